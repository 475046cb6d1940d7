//! Which flags a crate's code uses, read from its sources without compiling them: what
//! `flags check` reports as stale (in the lock, used nowhere) and unknown (used in the code,
//! absent from the lock).
//!
//! [`scan`] parses every `.rs` file under `src/`, `tests/`, `examples/` and `benches/` of the
//! crate (hidden directories and `target/` left out; symbolic links to directories not
//! followed) and records, key by key, where the code names a flag:
//!
//! | in the code | names |
//! | --- | --- |
//! | a field of a `#[derive(Flags)]` struct | its key, computed as the derive computes it: `#[flags(key = "...")]`, else the field name under `rename_all` (kebab-case by default); `#[flags(skip)]` fields name none |
//! | a `#[derive(FlagVariant)]` enum | its string flag: `#[flags(key = "...")]`, else the enum name in kebab-case |
//! | `FlagKey::new("key", ...)`, `FlagKey::<T>::new`, `FlagKey::from_fn` | the literal key (a key computed at run time cannot be known) |
//! | a name `flags!` generates | see below |
//!
//! `flags!(pub mod app_flags)` generates items for *every* flag of the lock, so the invocation
//! itself marks none as used. Once the crate has a `flags!` invocation, a flag counts as used
//! where one of the names the macro gives it appears in the code:
//!
//! - its constant (`NEW_CHECKOUT`) or one of its types (the enum of a string flag with variants
//!   `NewCheckout`, the structs of an object flag) as a segment of any path (an expression,
//!   a type, a pattern, `app_flags::NEW_CHECKOUT`) or an imported name (`use`);
//! - its field of `All` (`new_checkout`) as a field access (`flags.new_checkout`), in a struct
//!   expression or a struct pattern.
//!
//! The names are matched as written, without resolving them: a constant of the same name
//! from elsewhere, or a field `new_checkout` of another struct, counts as a use too. The scan
//! errs towards "used" (a flag reported unused should really be unused), and every flag it
//! counts comes with the sites that made it count.
//!
//! Macro invocations (`println!`, `assert_eq!`, ...) are read too: their input is parsed as
//! comma-separated expressions or as statements when it is one; otherwise its tokens are
//! matched (`FlagKey::new("key"`, a name of a constant or type, `.` then a field name).
//!
//! Every key is compared with the one manifest given, even when a derive or a `flags!` module
//! names another schema file with `#[flags(schema = "...")]`.
//!
//! A file that cannot be read as UTF-8 or does not parse is listed in [`Usage::unparsed`]; the
//! scan goes on without it.

mod report;
mod visit;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use flags_schema::Manifest;
use syn::visit::Visit;

pub use report::{StaleReport, Unknown, report};
use visit::{Names, Visitor};

/// The directories of a crate that are scanned, relative to its root.
pub const SCANNED_DIRS: &[&str] = &["src", "tests", "examples", "benches"];

/// A place in the code that names a flag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Site {
    /// The file, relative to the crate root.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// What names the flag there: "field `enabled` of `Checkout`".
    pub what: String,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.what)
    }
}

/// What [`scan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Usage {
    /// Every flag key the code names, with where; keys absent from the manifest included.
    pub used: BTreeMap<String, Vec<Site>>,
    /// The files that could not be read or parsed (relative to the crate root), with why.
    pub unparsed: Vec<(PathBuf, String)>,
    /// The names of the modules of the `flags!` invocations found, sorted, once each.
    pub modules: Vec<String>,
    /// How many files were scanned, unparsed ones included.
    pub files: usize,
}

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The crate root or one of its directories could not be listed.
    #[error("could not read the directory `{path}`: {source}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Scans the sources of the crate at `crate_root` (the directory of its Cargo.toml) for the
/// flags they use; see the [module docs](self) for the rules. `manifest` gives the names
/// `flags!` generates.
///
/// # Errors
///
/// [`ScanError::ReadDir`] when `crate_root` or a directory under it cannot be listed. Files
/// that cannot be read or parsed are not errors: they are listed in [`Usage::unparsed`].
pub fn scan(crate_root: &Path, manifest: &Manifest) -> Result<Usage, ScanError> {
    // Fails on a crate root that is not a directory, even when no scanned directory exists.
    std::fs::read_dir(crate_root).map_err(|source| ScanError::ReadDir {
        path: crate_root.to_owned(),
        source,
    })?;
    let mut files = Vec::new();
    for dir in SCANNED_DIRS {
        let dir = crate_root.join(dir);
        if dir.is_dir() {
            collect(&dir, &mut files)?;
        }
    }
    files.sort();

    let mut scanner = Scanner::new(manifest);
    for path in &files {
        let relative = path.strip_prefix(crate_root).unwrap_or(path);
        match std::fs::read_to_string(path) {
            Ok(text) => scanner.file(relative, &text),
            Err(error) => scanner.unreadable(relative, error.to_string()),
        }
    }
    Ok(scanner.finish())
}

/// The scan, file by file.
struct Scanner {
    names: Names,
    usage: Usage,
    /// Keys named through `flags!`'s names; they count once a `flags!` is found.
    generated: BTreeMap<String, Vec<Site>>,
}

impl Scanner {
    fn new(manifest: &Manifest) -> Scanner {
        Scanner {
            names: Names::new(manifest),
            usage: Usage::default(),
            generated: BTreeMap::new(),
        }
    }

    fn unreadable(&mut self, relative: &Path, why: String) {
        self.usage.files += 1;
        self.usage.unparsed.push((relative.to_owned(), why));
    }

    /// Scans the text of the file at `relative`.
    fn file(&mut self, relative: &Path, text: &str) {
        self.usage.files += 1;
        let file = match syn::parse_file(text) {
            Ok(file) => file,
            Err(error) => {
                let line = error.span().start().line;
                self.usage
                    .unparsed
                    .push((relative.to_owned(), format!("line {line}: {error}")));
                return;
            }
        };
        let mut visitor = Visitor {
            file: relative,
            names: &self.names,
            used: &mut self.usage.used,
            generated: &mut self.generated,
            modules: &mut self.usage.modules,
        };
        visitor.visit_file(&file);
    }

    fn finish(mut self) -> Usage {
        self.usage.modules.sort();
        self.usage.modules.dedup();
        if !self.usage.modules.is_empty() {
            for (key, sites) in self.generated {
                self.usage.used.entry(key).or_default().extend(sites);
            }
        }
        for sites in self.usage.used.values_mut() {
            sites.sort();
            sites.dedup();
        }
        self.usage
    }
}

/// Every `.rs` file under `dir`, skipping hidden directories, `target` and links to
/// directories.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScanError> {
    let fail = |source| ScanError::ReadDir {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" {
                collect(&path, out)?;
            }
        } else if name.ends_with(".rs") && (kind.is_file() || path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let flag = r#"{"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}"#;
        let hero =
            r#"{"state": "ENABLED", "variants": {"a": "x", "b": "y"}, "defaultVariant": "a"}"#;
        flags_schema::import_str(
            &format!(r#"{{"flags": {{"new-checkout": {flag}, "dark": {flag}, "hero": {hero}}}}}"#),
            "flags.json",
        )
        .unwrap()
    }

    /// The keys used by `files`, each with the lines naming it.
    fn used(files: &[&str]) -> BTreeMap<String, Vec<usize>> {
        let mut scanner = Scanner::new(&manifest());
        for (i, text) in files.iter().enumerate() {
            scanner.file(Path::new(&format!("f{i}.rs")), text);
        }
        let usage = scanner.finish();
        assert!(usage.unparsed.is_empty(), "{:?}", usage.unparsed);
        usage
            .used
            .into_iter()
            .map(|(key, sites)| (key, sites.iter().map(|s| s.line).collect()))
            .collect()
    }

    fn keys(list: &[(&str, &[usize])]) -> BTreeMap<String, Vec<usize>> {
        list.iter()
            .map(|(k, lines)| ((*k).to_owned(), lines.to_vec()))
            .collect()
    }

    #[test]
    fn every_form_of_a_literal_key() {
        assert_eq!(
            used(&[r#"
                const A: FlagKey<bool> = FlagKey::new("a", true);
                const B: flags::FlagKey<bool> = flags::FlagKey::<bool>::new("b", true);
                fn c() { let _ = <FlagKey<bool>>::new("c", true); }
                static D: FlagKey<i64> = ::flags::FlagKey::from_fn("d", || 1);
                fn e() { let _ = FlagKey::new(KEY, true); let _ = Other::new("f", true); }
                fn g() { let _ = FlagKey::other("g"); let _ = new("h"); }
            "#]),
            keys(&[("a", &[2]), ("b", &[3]), ("c", &[4]), ("d", &[5])])
        );
    }

    #[test]
    fn macro_inputs_are_read_as_expressions_statements_or_tokens() {
        assert_eq!(
            used(&[r#"
                fn f() {
                    assert_eq!(client.value(&FlagKey::new("a", false)), vec![FlagKey::new("b", 1)]);
                    tokio::select! { x = FlagKey::new("c", 1) => {} }
                    my_macro! { let k = FlagKey::new("d", 1); k }
                    other! { FlagKey::<Option<fn() -> u8>>::from_fn("e", f) => FlagKey::new(KEY, 1) }
                    other! { FlagKey::new[("f")] => FlagKey::build("g") => FlagKey::<T>("h") }
                }
            "#]),
            // `select!`'s input is neither: its tokens are matched.
            keys(&[
                ("a", &[3]),
                ("b", &[3]),
                ("c", &[4]),
                ("d", &[5]),
                ("e", &[6])
            ])
        );
    }

    #[test]
    fn generated_names_count_once_flags_is_invoked_anywhere() {
        let uses = r#"
            fn f(all: &All) -> bool {
                all.new_checkout && app::DARK.is_some()
            }
            fn g(hero: app::Hero) {}
        "#;
        assert!(used(&[uses]).is_empty());
        let expected = keys(&[("dark", &[3]), ("hero", &[5]), ("new-checkout", &[3])]);
        for invocation in [
            "flags::flags!(pub mod app);",
            "::flags::flags! { #[flags(schema = \"f.json\")] pub(crate) mod app }",
            "fn inner() { flags!(mod app); }",
        ] {
            assert_eq!(used(&[invocation, uses]), expected, "{invocation}");
        }
        // A macro named `flags` with other input is someone else's.
        assert!(used(&["bitflags::flags!(struct S: u8 { const A = 1; });", uses]).is_empty());
    }

    #[test]
    fn derives_are_found_on_nested_items_and_by_their_last_segment() {
        assert_eq!(
            used(&[r#"
                mod m {
                    #[derive(Debug)]
                    #[derive(::flags::Flags)]
                    struct S { dark: bool }
                }
                #[derive(other::Flags)] struct T { new_checkout: bool }
                #[derive(Flag)] struct U { hero: bool }
                #[derive(Flags)] enum V { A }
                #[derive(FlagVariant)] struct W { x: bool }
            "#]),
            keys(&[("dark", &[5]), ("new-checkout", &[7])])
        );
    }

    #[test]
    fn site_and_report_display() {
        let site = Site {
            file: PathBuf::from("src").join("lib.rs"),
            line: 3,
            what: "enum `Hero`".to_owned(),
        };
        assert_eq!(
            site.to_string(),
            format!("{}:3: enum `Hero`", Path::new("src/lib.rs").display())
        );
        let report = StaleReport {
            unused: vec!["a".to_owned()],
            unknown: vec![Unknown {
                key: "b".to_owned(),
                sites: vec![site.clone()],
                suggestion: None,
            }],
            unparsed: vec![(PathBuf::from("x.rs"), "line 1: expected `;`".to_owned())],
        };
        assert_eq!(
            report.to_string(),
            format!(
                "1 flag in the lock used nowhere in the code:\n  - a\n\
                 1 key used in the code but absent from the lock:\n  - b\n      {site}\n\
                 1 file not scanned (flags used only there are listed as unused):\n  - x.rs: line 1: expected `;`\n"
            )
        );
    }
}
