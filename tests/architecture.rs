//! The rules of `ARCHITECTURE.md` that a build can break without noticing: the dependencies
//! that must never exist between the crates, and import circles of more than three files
//! within a crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The output of `cargo tree -p package -e normal` with `args`, one line per crate.
fn cargo_tree(package: &str, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "-e", "normal", "-p", package])
        .args(args)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The crate names in the normal dependency tree of `package` (itself included).
fn tree(package: &str, all_features: bool) -> BTreeSet<String> {
    let features: &[&str] = if all_features {
        &["--all-features"]
    } else {
        &[]
    };
    cargo_tree(package, &[&["--prefix", "none"], features].concat())
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Fails naming every crate of `forbidden` found in the tree of `package`.
fn never(package: &str, all_features: bool, forbidden: &[&str], why: &str) {
    let tree = tree(package, all_features);
    let found: Vec<&str> = forbidden
        .iter()
        .copied()
        .filter(|name| {
            tree.iter().any(|c| {
                c == name || (name.ends_with('*') && c.starts_with(name.trim_end_matches('*')))
            })
        })
        .collect();
    assert!(
        found.is_empty(),
        "{package} must not depend on {found:?} ({why}); see ARCHITECTURE.md"
    );
}

/// HTTP and async crates: what the compile-time crates never pull in.
const NETWORK: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "tokio",
    "rustls",
    "mio",
    "futures*",
    "async-*",
    "flags-http",
];

#[test]
fn the_runtime_never_depends_on_the_macros() {
    never(
        "flags-runtime",
        true,
        &["flags-codegen", "flags-macro"],
        "programs would compile the macros' code generator",
    );
}

#[test]
fn the_macros_never_depend_on_the_network_or_the_runtime() {
    for package in ["flags-codegen", "flags-macro"] {
        let mut forbidden = NETWORK.to_vec();
        forbidden.push("flags-runtime");
        never(
            package,
            true,
            &forbidden,
            "the compiler would build an HTTP stack for every crate that uses a macro",
        );
    }
}

#[test]
fn the_schema_depends_on_no_crate_of_ours() {
    let ours = [
        "flags",
        "flags-runtime",
        "flags-codegen",
        "flags-macro",
        "flags-build",
        "flags-http",
        "flags-cli",
        "flags-openfeature",
    ];
    never(
        "flags-schema",
        true,
        &ours,
        "every crate reads definitions through it",
    );
}

#[test]
fn only_the_openfeature_crate_depends_on_open_feature() {
    for package in [
        "flags",
        "flags-runtime",
        "flags-codegen",
        "flags-macro",
        "flags-build",
        "flags-http",
        "flags-cli",
        "flags-schema",
    ] {
        never(
            package,
            true,
            &["open-feature", "flags-openfeature"],
            "the OpenFeature SDK is an integration in flags-openfeature, never a dependency of the core",
        );
    }
    let direct = direct_dependencies("flags-openfeature");
    for forbidden in ["flags-codegen", "flags-macro", "flags-build"] {
        assert!(
            !direct.contains(forbidden),
            "flags-openfeature reads flags at run time only: it must not depend on {forbidden}"
        );
    }
}

#[test]
fn the_build_helper_never_depends_on_the_runtime() {
    never(
        "flags-build",
        true,
        &["flags-runtime"],
        "a build script would compile the runtime",
    );
    never(
        "flags-build",
        false,
        &["clap", "prettyplease", "flags-codegen", "flags-runtime"],
        "its default features are what every user's build script compiles; the command line is flags-cli",
    );
    // syn and proc-macro2 come with serde's and thiserror's derives; flags-build itself must
    // not parse Rust.
    let direct = direct_dependencies("flags-build");
    for name in ["syn", "proc-macro2", "quote"] {
        assert!(
            !direct.contains(name),
            "flags-build must not depend on {name} itself (parsing Rust is flags-cli's job)"
        );
    }
}

/// The crates `package` names in its own `[dependencies]` with default features.
fn direct_dependencies(package: &str) -> BTreeSet<String> {
    cargo_tree(package, &["--prefix", "depth", "--depth", "1"])
        .lines()
        .filter_map(|line| line.strip_prefix('1'))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The `.rs` files of a crate's `src/`, by module path (`a/b.rs` and `a/b/mod.rs` are `a::b`).
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<Vec<String>, PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).expect("under the root");
                let mut parts: Vec<String> = relative
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                out.insert(parts, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// `text` with its comments removed and the insides of its string and character literals
/// blanked, so that what remains is code (a `"{"` or a `// crate::x` is not).
fn strip_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' || (c == 'r' && matches!(next, Some('"' | '#'))) {
            // A string, or a raw string `r#"..."#` (not an identifier ending in `r`).
            let ident_before = out
                .chars()
                .next_back()
                .is_some_and(|p| p.is_alphanumeric() || p == '_');
            if c == 'r' && ident_before {
                out.push(c);
                i += 1;
                continue;
            }
            let mut hashes = 0;
            let mut j = i + usize::from(c == 'r');
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if c == '"' && chars[j] == '\\' {
                    j += 2;
                    continue;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '\'' {
            // A character literal (`'x'`, `'\''`, `'\u{7f}'`), not a lifetime (`'a`).
            let end = if next == Some('\\') {
                (i + 3..chars.len()).find(|&j| chars[j] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.push_str("' '");
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The code of a file without its comments, its literals' contents, its `#[cfg(test)]`
/// modules (test modules may import what they test from anywhere), its `#[cfg(fuzzing)]`
/// modules and imports (the engines' checks for the fuzz targets: test code too, compiled only
/// by `fuzz/run.sh`) and the paths of `pub(in path)` visibilities.
fn code(text: &str) -> String {
    let mut text = strip_literals(text);
    while let Some(at) = text.find("pub(in ") {
        let end = text[at..].find(')').map_or(text.len(), |e| at + e + 1);
        text.replace_range(at..end, "pub");
    }
    for marker in ["#[cfg(test)]", "#[cfg(fuzzing)]"] {
        strip_cfg(&mut text, marker);
    }
    text
}

/// `text` without the items under `marker`: `mod name { ... }` (braces matched) and
/// `mod name;`, and for `#[cfg(fuzzing)]` a `use` too; any other item keeps its code.
fn strip_cfg(text: &mut String, marker: &str) {
    while let Some(at) = text.find(marker) {
        let rest = text[at + marker.len()..].trim_start();
        let rest = ["pub(crate) ", "pub(super) ", "pub "]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        if marker == "#[cfg(fuzzing)]"
            && let Some(path) = rest.strip_prefix("use ")
        {
            let end = text.len() - path.len() + path.find(';').map_or(path.len(), |e| e + 1);
            text.replace_range(at..end, "");
            continue;
        }
        let Some(name) = rest.strip_prefix("mod ") else {
            text.replace_range(at..at + marker.len(), "");
            continue;
        };
        let Some(open) = name.find(['{', ';']) else {
            break;
        };
        let open = text.len() - name.len() + open;
        let mut end = open + 1;
        if text.as_bytes()[open] == b'{' {
            let mut depth = 1;
            for (i, c) in text[open + 1..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = open + 1 + i + 1;
                    break;
                }
            }
        }
        text.replace_range(at..end, "");
    }
}

/// The identifiers of the path at the start of `rest`, up to the first segment that does not
/// end where the next `::` starts (`a::B;` is `[a, B]`; `a::{` is `[a]`).
fn path_at(rest: &str) -> Vec<String> {
    let mut path = Vec::new();
    for segment in rest.split("::") {
        let ident: String = segment
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let whole = ident.len() == segment.len();
        if ident.is_empty() {
            break;
        }
        path.push(ident);
        if !whole {
            break;
        }
    }
    path
}

/// One leaf of a `use` tree: its path as written (without a trailing `*`), and the name it
/// brings into scope (the last segment, or its alias).
struct UseLeaf {
    path: Vec<String>,
    name: String,
}

/// The leaves of every `use` of a file: `use a::{b, c::{d as e}}` is `a::b` (`b`) and `a::c::d`
/// (`e`).
fn use_leaves(text: &str) -> Vec<UseLeaf> {
    fn expand(tree: &str, prefix: &str, out: &mut Vec<UseLeaf>) {
        let tree = tree.trim();
        let Some(open) = tree.find('{') else {
            let (path, alias) = match tree.split_once(" as ") {
                Some((path, alias)) => (path.trim(), Some(alias.trim())),
                None => (tree, None),
            };
            let full = format!("{prefix}{path}");
            let path: Vec<String> = full
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "*")
                .map(str::to_owned)
                .collect();
            let name = alias
                .map(str::to_owned)
                .or_else(|| path.last().cloned())
                .unwrap_or_default();
            if !path.is_empty() {
                out.push(UseLeaf { path, name });
            }
            return;
        };
        let prefix = format!("{prefix}{}", &tree[..open]);
        let body = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0, 0);
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&body[start..i], &prefix, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&body[start..], &prefix, out);
    }
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let boundary = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == ';' || c == '}' || c == ')');
        let after = &rest[at + "use ".len()..];
        let Some(end) = after.find(';') else {
            break;
        };
        if boundary {
            expand(
                &after[..end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                "",
                &mut out,
            );
        }
        rest = &after[end..];
    }
    out
}

/// `path` as written in `module`, made absolute (from the crate root): `crate::`, `self::`,
/// `super::` and a child module's name are ours; anything else (`std`, a dependency) is `None`.
fn absolute(
    module: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some(path[1..].to_vec()),
        "self" => Some([module, &path[1..]].concat()),
        "super" => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            let base = &module[..module.len().checked_sub(ups)?];
            Some([base, &path[ups..]].concat())
        }
        _ => {
            let child = [module, &path[..1]].concat();
            modules
                .contains_key(&child)
                .then(|| [module, path].concat())
        }
    }
}

/// The files of `src` and the files each one imports from: every path a file names through
/// `use` (with `crate::`, `self::`, `super::` or a child module) or inline (`crate::a::f()`),
/// taken to the file that defines what it names, following re-exports (`pub use`).
fn import_graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules(src);
    let texts: BTreeMap<&Vec<String>, String> = modules
        .iter()
        .map(|(module, path)| {
            (
                module,
                code(&std::fs::read_to_string(path).expect("readable")),
            )
        })
        .collect();
    // What each file's `use`s bring into scope: (file, name) → the absolute path it names.
    let mut imported: BTreeMap<(Vec<String>, String), Vec<String>> = BTreeMap::new();
    for (module, text) in &texts {
        for leaf in use_leaves(text) {
            if let Some(path) = absolute(module, &leaf.path, &modules) {
                imported.insert(((*module).clone(), leaf.name), path);
            }
        }
    }
    // The file defining what `path` names: the longest prefix that is a file, unless that
    // file only imports the next segment, which is then followed (a few steps at most).
    fn resolve(
        path: &[String],
        modules: &BTreeMap<Vec<String>, PathBuf>,
        imported: &BTreeMap<(Vec<String>, String), Vec<String>>,
        depth: usize,
    ) -> Option<Vec<String>> {
        let n = (1..=path.len())
            .rev()
            .find(|n| modules.contains_key(&path[..*n]))?;
        let file = path[..n].to_vec();
        if n < path.len()
            && depth < 10
            && let Some(target) = imported.get(&(file.clone(), path[n].clone()))
        {
            let followed = [target.as_slice(), &path[n + 1..]].concat();
            if followed != path
                && let Some(defining) = resolve(&followed, modules, imported, depth + 1)
            {
                return Some(defining);
            }
        }
        Some(file)
    }
    let mut graph = BTreeMap::new();
    for (module, text) in &texts {
        let mut named: Vec<Vec<String>> = use_leaves(text)
            .into_iter()
            .filter_map(|leaf| absolute(module, &leaf.path, &modules))
            .collect();
        for keyword in ["crate::", "super::"] {
            for (at, _) in text.match_indices(keyword) {
                let boundary = text[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
                let rest = &text[at + keyword.len()..];
                let mut path = vec![keyword.trim_end_matches(':').to_owned()];
                path.extend(path_at(rest));
                let after = &rest[path_at(rest).join("::").len()..];
                let group = after.starts_with("::{") || after.starts_with('{');
                if boundary && !group {
                    named.extend(absolute(module, &path, &modules));
                }
            }
        }
        let edges = named
            .iter()
            .filter_map(|path| resolve(path, &modules, &imported, 0))
            .filter(|file| file != *module)
            .collect();
        graph.insert((*module).clone(), edges);
    }
    graph
}

/// Strongly connected components (Tarjan), iteratively.
fn circles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    let nodes: Vec<&Vec<String>> = graph.keys().collect();
    let id: BTreeMap<&Vec<String>, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| graph[*n].iter().map(|m| id[m]).collect())
        .collect();
    let (mut index, mut low) = (vec![usize::MAX; nodes.len()], vec![0; nodes.len()]);
    let (mut stack, mut on_stack, mut next, mut out) =
        (Vec::new(), vec![false; nodes.len()], 0, Vec::new());
    for root in 0..nodes.len() {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0)];
        while let Some((v, i)) = work.pop() {
            if i == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(i) {
                work.push((v, i + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(nodes[w].join("/"));
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    out.push(component);
                }
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    out
}

#[test]
fn no_import_circle_of_more_than_three_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut long = Vec::new();
    for krate in [
        "src",
        "flags-runtime/src",
        "flags-http/src",
        "flags-build/src",
        "flags-cli/src",
        "flags-codegen/src",
        "flags-macro/src",
        "flags-openfeature/src",
        "schema/src",
    ] {
        let src = root.join(krate);
        if !src.is_dir() {
            continue;
        }
        let graph = import_graph(&src);
        for circle in circles(&graph) {
            if circle.len() > 3 {
                // Each file, and the files of the circle it imports.
                let inside: Vec<String> = circle
                    .iter()
                    .map(|file| {
                        let key: Vec<String> = file.split('/').map(str::to_owned).collect();
                        let to: Vec<String> = graph[&key]
                            .iter()
                            .map(|m| m.join("/"))
                            .filter(|m| circle.contains(m))
                            .collect();
                        format!("  {file} -> {}", to.join(", "))
                    })
                    .collect();
                long.push(format!(
                    "{krate}: {}\n{}",
                    circle.join(", "),
                    inside.join("\n")
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files that import each other in a circle of more than three (ARCHITECTURE.md):\n{}",
        long.join("\n")
    );
}

#[test]
fn circles_are_found() {
    let graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a", "d"]),
        ("d", vec![]),
        ("e", vec!["e"]),
    ]
    .into_iter()
    .map(|(n, e)| {
        (
            vec![n.to_owned()],
            e.into_iter().map(|m| vec![m.to_owned()]).collect(),
        )
    })
    .collect();
    assert_eq!(circles(&graph), vec![vec!["a", "b", "c"]]);
    let leaves: Vec<(String, String)> =
        use_leaves("pub use a::{b, c::{d as e, f::*}};\nuse super::g;\nfn reuse() {}")
            .into_iter()
            .map(|leaf| (leaf.path.join("::"), leaf.name))
            .collect();
    assert_eq!(
        leaves,
        [
            ("a::b", "b"),
            ("a::c::d", "e"),
            ("a::c::f", "f"),
            ("super::g", "g")
        ]
        .map(|(p, n)| (p.to_owned(), n.to_owned()))
    );
    let text = code(
        "use x::Y; // crate::commented\npub(in crate::m) fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::z;\n    fn g() { if true {} }\n}\nfn h() {}",
    );
    assert!(!text.contains("crate::"), "{text}");
    assert!(text.contains("fn h()"), "{text}");
    // Braces and paths inside literals and comments are not code.
    let text = code(
        "#[cfg(test)]\nmod tests {\n    const OPEN: &str = \"{ crate::a\";\n    const C: char = '{';\n    /* } */\n    use crate::z;\n}\nfn h<'a>(x: &'a str) { let r = r#\"}\"#; }",
    );
    assert!(!text.contains("crate::"), "{text}");
    assert!(text.contains("fn h<'a>"), "{text}");
    // The fuzz targets' checks: their modules and imports; other items under the attribute stay.
    let text = code(
        "#[cfg(fuzzing)]\nmod check;\n#[cfg(fuzzing)]\npub(crate) use check::{a as b};\n#[cfg(fuzzing)]\nfn f() { crate::c(); }\nfn h() {}",
    );
    assert!(!text.contains("check"), "{text}");
    assert!(
        text.contains("crate::c") && text.contains("fn h()"),
        "{text}"
    );
}

/// A crate laid out in a temporary directory: `(relative path, text)` per file.
fn scratch_crate(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root =
        std::env::temp_dir().join(format!("flags-architecture-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("writable");
        std::fs::write(path, text).expect("writable");
    }
    root
}

#[test]
fn imports_are_followed_to_the_defining_file() {
    // `a` re-exports `Thing` from its child `a::inner`; `b` names it through `a`; `a::inner`
    // imports `b` back: a circle of `b` and `a/inner` (not `a`), found through the re-export.
    // `a` names its child relatively (`use inner::...`).
    let root = scratch_crate(
        "reexport",
        &[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a/mod.rs", "mod inner;\npub(crate) use inner::Thing;\n"),
            (
                "a/inner.rs",
                "use crate::b::User;\npub(crate) struct Thing;\n",
            ),
            (
                "b.rs",
                "use crate::a::Thing as Renamed;\npub(crate) struct User;\n",
            ),
        ],
    );
    let graph = import_graph(&root);
    let _ = std::fs::remove_dir_all(&root);
    let edges = |m: &str| -> Vec<String> {
        graph[&m.split('/').map(str::to_owned).collect::<Vec<_>>()]
            .iter()
            .map(|e| e.join("/"))
            .collect()
    };
    assert_eq!(edges("b"), ["a/inner"]);
    assert_eq!(edges("a"), ["a/inner"]);
    assert_eq!(edges("a/inner"), ["b"]);
    assert_eq!(circles(&graph), vec![vec!["a/inner", "b"]]);
}
