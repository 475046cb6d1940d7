//! Finding the schema at compile time, offline: files only, no network, no subprocesses.
//!
//! First hit wins:
//!
//! | # | where | how it is named |
//! | --- | --- | --- |
//! | 1 | `#[flags(schema = "path")]` | relative to the crate root (`CARGO_MANIFEST_DIR`) |
//! | 2 | the environment variable `FLAGS_SCHEMA` | absolute, or relative to the crate root |
//! | 3 | `$OUT_DIR/flags.lock.json` | written by `flags_build::sync` in `build.rs`; messages name the file it copies |
//! | 4 | `flags.lock.json` in the crate root | the committed lock file |
//! | 5 | `flags.lock.json` in each ancestor directory | up to the workspace root |
//!
//! Each route may name a lock file or any definition file `flags-schema` can import (a plain
//! flagd `flags.json` works). Parsed schemas are cached per path and modification time, so a
//! long-lived compiler process (rust-analyzer) parses a file once.
//!
//! Messages name files relative to the crate root when they are inside it, so that they read
//! the same on every machine and whatever the target directory.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use flags_schema::{LOCK_FILE, Manifest, OUT_DIR_FILE, OUT_DIR_NAME_FILE, SCHEMA_ENV};
use proc_macro2::Span;

/// The environment the macro runs in.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `CARGO_MANIFEST_DIR`: the root of the crate being compiled.
    pub manifest_dir: Option<PathBuf>,
    /// `OUT_DIR`, set when the crate has a build script.
    pub out_dir: Option<PathBuf>,
    /// The value of `FLAGS_SCHEMA`.
    pub schema_var: Option<OsString>,
}

impl Env {
    /// Reads the variables of the current process (the compiler's, for a proc macro).
    pub fn from_process() -> Env {
        Env {
            manifest_dir: std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
            out_dir: std::env::var_os("OUT_DIR").map(PathBuf::from),
            schema_var: std::env::var_os(SCHEMA_ENV).filter(|v| !v.is_empty()),
        }
    }

    /// `path`, relative to the crate root unless absolute.
    fn absolute(&self, path: &Path) -> PathBuf {
        match &self.manifest_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_owned(),
        }
    }

    /// `path` relative to the crate root when it is inside it, for messages.
    pub fn display(&self, path: &Path) -> String {
        match self
            .manifest_dir
            .as_deref()
            .and_then(|dir| path.strip_prefix(dir).ok())
        {
            Some(relative) => relative.display().to_string(),
            None => path.display().to_string(),
        }
    }
}

/// Which route found the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `#[flags(schema = "...")]`.
    Attribute,
    /// `FLAGS_SCHEMA`.
    EnvVar,
    /// `$OUT_DIR/flags.lock.json`.
    OutDir,
    /// A committed `flags.lock.json`.
    LockFile,
}

/// A schema that was found and parsed.
#[derive(Debug, Clone)]
pub struct Located {
    /// The absolute path of the file.
    pub path: PathBuf,
    /// The file as messages name it: relative to the crate root when inside it; for the build
    /// script's copy in `OUT_DIR`, the file it copies, as the crate names it.
    pub display: String,
    /// How it was found.
    pub route: Route,
    /// Its contents.
    pub manifest: Arc<Manifest>,
}

/// Why no schema could be used.
#[derive(Debug)]
pub enum LocateError {
    /// The file an explicit route names does not exist.
    Missing {
        /// The route.
        route: Route,
        /// The path as written.
        written: String,
        /// Where it was looked for (not in the message: it is the path as written, resolved
        /// against the crate root).
        path: PathBuf,
    },
    /// Nothing found on any route.
    NotFound {
        /// Every place looked at.
        tried: Vec<String>,
    },
    /// The file was found but could not be read or imported.
    Invalid {
        /// The import error.
        error: Box<flags_schema::Error>,
    },
}

const FIX: &str = "to fix it, do one of:\n  \
    - add a build script that syncs the definitions: `fn main() { flags_build::sync(\"flags.json\").unwrap(); }` in build.rs, with `flags-build` in [build-dependencies]\n  \
    - commit a lock file `flags.lock.json` next to Cargo.toml\n  \
    - set the environment variable `FLAGS_SCHEMA` to the path of a lock or flag definition file\n  \
    - name the file on the struct: `#[flags(schema = \"flags.json\")]`";

/// Said of a relative path that was not found.
const RELATIVE: &str = "the path is relative to the crate root, the directory of Cargo.toml";

impl fmt::Display for LocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocateError::Missing {
                route: Route::EnvVar,
                written,
                ..
            } => {
                write!(
                    f,
                    "schema file `{written}` named by the environment variable `{SCHEMA_ENV}` does not exist"
                )?;
                if Path::new(written).is_relative() {
                    write!(f, " ({RELATIVE})")?;
                }
                write!(
                    f,
                    "; set `{SCHEMA_ENV}` to an existing lock or flag definition file, or unset it"
                )
            }
            LocateError::Missing { written, .. } => {
                write!(
                    f,
                    "schema file `{written}` named by `#[flags(schema = ...)]` does not exist"
                )?;
                if Path::new(written).is_relative() {
                    write!(f, "; {RELATIVE}")?;
                }
                Ok(())
            }
            LocateError::NotFound { tried } => {
                write!(f, "could not find the flag schema; looked at:")?;
                for place in tried {
                    write!(f, "\n  - {place}")?;
                }
                write!(f, "\n{FIX}")
            }
            LocateError::Invalid { error } => write!(f, "invalid flag schema: {error}"),
        }
    }
}

impl std::error::Error for LocateError {}

/// Finds and parses the schema. `explicit` is the value of `#[flags(schema = ...)]`.
pub fn locate(explicit: Option<(String, Span)>, env: &Env) -> Result<Located, LocateError> {
    if let Some((written, _)) = explicit {
        let path = env.absolute(Path::new(&written));
        return load_required(path, written, Route::Attribute, env);
    }
    if let Some(var) = &env.schema_var {
        let written = var.to_string_lossy().into_owned();
        let path = env.absolute(Path::new(var));
        return load_required(path, written, Route::EnvVar, env);
    }
    let mut tried = vec![format!("the environment variable `{SCHEMA_ENV}`: not set")];
    match &env.out_dir {
        Some(out_dir) => {
            let path = out_dir.join(OUT_DIR_FILE);
            if path.is_file() {
                return load(path, Route::OutDir, env);
            }
            tried.push(format!(
                "`$OUT_DIR/{OUT_DIR_FILE}`: the build script did not write it (no `flags_build::sync` in build.rs?)"
            ));
        }
        None => tried.push(format!(
            "`$OUT_DIR/{OUT_DIR_FILE}`: the crate has no build script that writes it"
        )),
    }
    if let Some(dir) = &env.manifest_dir {
        for dir in dir.ancestors() {
            let path = dir.join(LOCK_FILE);
            if path.is_file() {
                return load(path, Route::LockFile, env);
            }
            if Some(dir) == env.manifest_dir.as_deref() {
                tried.push(format!("`{LOCK_FILE}` in the crate root: no such file"));
            } else {
                tried.push(format!("`{}`: no such file", path.display()));
            }
            if is_workspace_root(dir) {
                break;
            }
        }
    }
    Err(LocateError::NotFound { tried })
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|text| {
        text.lines().any(|line| {
            let line = line.trim_start();
            line.starts_with("[workspace]") || line.starts_with("[workspace.")
        })
    })
}

fn load_required(
    path: PathBuf,
    written: String,
    route: Route,
    env: &Env,
) -> Result<Located, LocateError> {
    if !path.is_file() {
        return Err(LocateError::Missing {
            route,
            written,
            path,
        });
    }
    load(path, route, env)
}

type Cache = HashMap<PathBuf, (Option<SystemTime>, u64, Arc<Manifest>)>;

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

fn load(path: PathBuf, route: Route, env: &Env) -> Result<Located, LocateError> {
    let display = match route {
        Route::OutDir => copied_from(&path),
        _ => env.display(&path),
    };
    let stamp = std::fs::metadata(&path)
        .ok()
        .map(|m| (m.modified().ok(), m.len()));
    if let Some((modified, len)) = stamp {
        let cache = CACHE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((m, l, manifest)) = cache.as_ref().and_then(|c| c.get(&path))
            && *m == modified
            && *l == len
            && modified.is_some()
        {
            {
                return Ok(Located {
                    path,
                    display,
                    route,
                    manifest: manifest.clone(),
                });
            }
        }
    }
    let text = std::fs::read_to_string(&path).map_err(|source| LocateError::Invalid {
        error: Box::new(flags_schema::Error::Io {
            path: display.clone(),
            source,
        }),
    })?;
    let manifest = Arc::new(flags_schema::parse_str(&text, &display).map_err(|error| {
        LocateError::Invalid {
            error: Box::new(error),
        }
    })?);
    if let Some((modified, len)) = stamp {
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .get_or_insert_with(HashMap::new)
            .insert(path.clone(), (modified, len, manifest.clone()));
    }
    Ok(Located {
        path,
        display,
        route,
        manifest,
    })
}

/// The name of the file the build script copied to `out_file`, as the crate names it: what
/// `flags_build::sync` wrote beside the copy. Without it (a build script of another version),
/// the copy is named by its place, not by the machine's path.
fn copied_from(out_file: &Path) -> String {
    const LONGEST: usize = 4096;
    std::fs::read_to_string(out_file.with_file_name(OUT_DIR_NAME_FILE))
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|name| !name.is_empty() && name.len() <= LONGEST && !name.contains('\n'))
        .unwrap_or_else(|| format!("$OUT_DIR/{OUT_DIR_FILE}"))
}

/// The candidate closest to `name`, for "did you mean" (case and separators ignored).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    flags_schema::closest(name, candidates)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, SystemTime};

    use super::*;

    /// A directory under the system temp dir, unique per process and test, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "flags-codegen-locate-{}-{n}-{name}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir.canonicalize().unwrap())
        }

        fn join(&self, relative: &str) -> PathBuf {
            self.0.join(relative)
        }

        /// Writes `text` to `relative`, creating directories; returns the path.
        fn write(&self, relative: &str, text: &str) -> PathBuf {
            let path = self.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }

        /// Creates the directory `relative`; returns its path.
        fn mkdir(&self, relative: &str) -> PathBuf {
            let path = self.join(relative);
            std::fs::create_dir_all(&path).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A flagd file with one boolean flag named `key`, so each file is recognisable.
    fn flagd(key: &str) -> String {
        format!(
            r#"{{"flags": {{"{key}": {{"state": "ENABLED", "variants": {{"on": true, "off": false}}, "defaultVariant": "on"}}}}}}"#
        )
    }

    /// A lock file with one boolean flag named `key`.
    fn lock(key: &str) -> String {
        flags_schema::import_str(&flagd(key), "flags.json")
            .unwrap()
            .to_lock_string()
    }

    const MIXED: &str = r#"{"flags": {
      "fine": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
      "mixed-up": {"state": "ENABLED", "variants": {"on": true, "count": 3}, "defaultVariant": "on"}
    }}"#;

    const WORKSPACE_TOML: &str = "[workspace]\nmembers = [\"member\"]\n";
    const PACKAGE_TOML: &str = "[package]\nname = \"member\"\nversion = \"0.1.0\"\n";

    fn explicit(path: &str) -> Option<(String, Span)> {
        Some((path.to_owned(), Span::call_site()))
    }

    fn keys(located: &Located) -> Vec<&str> {
        located.manifest.flags.keys().map(String::as_str).collect()
    }

    /// Sets a file's modification time.
    fn set_mtime(path: &Path, time: SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(time)
            .unwrap();
        assert_eq!(std::fs::metadata(path).unwrap().modified().unwrap(), time);
    }

    /// A crate (a single-crate workspace, so the walk stops at it) with a file on every route:
    /// `attr.json` (flag `from-attr`), `env.json` (`from-env`), `$OUT_DIR/flags.lock.json`
    /// (`from-out-dir`), `flags.lock.json` in the crate root (`from-lock`).
    fn everything(dir: &TempDir) -> Env {
        dir.write(
            "crate/Cargo.toml",
            &format!("{PACKAGE_TOML}\n[workspace]\n"),
        );
        dir.write("crate/schemas/attr.json", &flagd("from-attr"));
        dir.write("crate/env.json", &flagd("from-env"));
        dir.write("out/flags.lock.json", &lock("from-out-dir"));
        dir.write("crate/flags.lock.json", &lock("from-lock"));
        dir.write("flags.lock.json", &lock("from-above"));
        Env {
            manifest_dir: Some(dir.join("crate")),
            out_dir: Some(dir.join("out")),
            schema_var: Some("env.json".into()),
        }
    }

    #[test]
    fn explicit_attribute_wins_over_everything() {
        let dir = TempDir::new("explicit");
        let env = everything(&dir);
        let located = locate(explicit("schemas/attr.json"), &env).unwrap();
        assert_eq!(located.route, Route::Attribute);
        assert_eq!(keys(&located), ["from-attr"]);
        // Relative to the crate root; shown relative to it.
        assert_eq!(located.path, dir.join("crate/schemas/attr.json"));
        assert_eq!(located.display, "schemas/attr.json");

        // An absolute path outside the crate works too, and is shown absolute.
        let outside = dir.write("elsewhere/defs.json", &flagd("from-elsewhere"));
        let located = locate(explicit(outside.to_str().unwrap()), &env).unwrap();
        assert_eq!(located.route, Route::Attribute);
        assert_eq!(keys(&located), ["from-elsewhere"]);
        assert_eq!(located.path, outside);
        assert_eq!(located.display, outside.display().to_string());
    }

    /// Checks that `error` says the file `written` (given through `route`) is missing at
    /// `resolved`, and returns its message.
    fn assert_missing(
        error: &LocateError,
        route: Route,
        written: &str,
        resolved: &std::path::Path,
    ) -> String {
        match error {
            LocateError::Missing {
                route: found,
                written: found_written,
                path,
            } => {
                assert_eq!(*found, route);
                assert_eq!(found_written, written);
                assert_eq!(path, resolved);
            }
            other => panic!("expected `Missing`, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains(&format!("`{written}`")), "{message}");
        // A relative path is named as written, never with the crate root in front: the message
        // is the same on every machine.
        if Path::new(written).is_relative() {
            let root = resolved.to_string_lossy().replace(written, "");
            assert!(!message.contains(&root), "{message}");
        }
        message
    }

    #[test]
    fn a_missing_explicit_file_is_an_error_not_a_fallback() {
        let dir = TempDir::new("explicit-missing");
        let env = everything(&dir);
        let error = locate(explicit("schemas/typo.json"), &env).unwrap_err();
        let resolved = dir.join("crate/schemas/typo.json");
        let message = assert_missing(&error, Route::Attribute, "schemas/typo.json", &resolved);
        assert_eq!(
            message,
            "schema file `schemas/typo.json` named by `#[flags(schema = ...)]` does not exist; \
             the path is relative to the crate root, the directory of Cargo.toml"
        );
        // An absolute path: nothing said about the crate root.
        let absolute = dir.join("elsewhere/typo.json");
        let written = absolute.display().to_string();
        let error = locate(explicit(&written), &env).unwrap_err();
        let message = assert_missing(&error, Route::Attribute, &written, &absolute);
        assert_eq!(
            message,
            format!("schema file `{written}` named by `#[flags(schema = ...)]` does not exist")
        );
        // A directory is not a schema file.
        let error = locate(explicit("schemas"), &env).unwrap_err();
        assert!(matches!(error, LocateError::Missing { .. }), "{error:?}");
    }

    #[test]
    fn env_var_wins_over_out_dir_and_lock() {
        let dir = TempDir::new("env");
        let mut env = everything(&dir);
        let located = locate(None, &env).unwrap();
        assert_eq!(located.route, Route::EnvVar);
        assert_eq!(keys(&located), ["from-env"]);
        // A relative value is relative to the crate root.
        assert_eq!(located.path, dir.join("crate/env.json"));
        assert_eq!(located.display, "env.json");

        // An absolute value.
        let absolute = dir.write("elsewhere/flags.lock.json", &lock("from-env-abs"));
        env.schema_var = Some(absolute.clone().into_os_string());
        let located = locate(None, &env).unwrap();
        assert_eq!(located.route, Route::EnvVar);
        assert_eq!(keys(&located), ["from-env-abs"]);
        assert_eq!(located.path, absolute);
    }

    #[test]
    fn a_missing_env_var_file_is_an_error_not_a_fallback() {
        let dir = TempDir::new("env-missing");
        let mut env = everything(&dir);
        env.schema_var = Some("nope.json".into());
        let error = locate(None, &env).unwrap_err();
        let resolved = dir.join("crate/nope.json");
        let message = assert_missing(&error, Route::EnvVar, "nope.json", &resolved);
        assert_eq!(
            message,
            "schema file `nope.json` named by the environment variable `FLAGS_SCHEMA` does not \
             exist (the path is relative to the crate root, the directory of Cargo.toml); set \
             `FLAGS_SCHEMA` to an existing lock or flag definition file, or unset it"
        );
    }

    #[test]
    fn out_dir_file_wins_over_lock() {
        let dir = TempDir::new("out-dir");
        let mut env = everything(&dir);
        env.schema_var = None;
        let located = locate(None, &env).unwrap();
        assert_eq!(located.route, Route::OutDir);
        assert_eq!(keys(&located), ["from-out-dir"]);
        assert_eq!(located.path, dir.join("out").join(OUT_DIR_FILE));
        // Named by the file it copies, as the build script wrote beside it; without that, by
        // its place, never by the build directory's path.
        assert_eq!(located.display, "$OUT_DIR/flags.lock.json");
        dir.write("out/flags.lock.name", "config/flags.lock.json");
        let located = locate(None, &env).unwrap();
        assert_eq!(located.display, "config/flags.lock.json");
        for bad in ["", "  \n", "two\nlines"] {
            dir.write("out/flags.lock.name", bad);
            let located = locate(None, &env).unwrap();
            assert_eq!(located.display, "$OUT_DIR/flags.lock.json", "{bad:?}");
        }
        dir.write("out/flags.lock.name", &"x".repeat(5000));
        assert_eq!(
            locate(None, &env).unwrap().display,
            "$OUT_DIR/flags.lock.json"
        );

        // An `OUT_DIR` without the file (a build script that does not sync) falls through.
        std::fs::remove_file(dir.join("out").join(OUT_DIR_FILE)).unwrap();
        let located = locate(None, &env).unwrap();
        assert_eq!(located.route, Route::LockFile);
        assert_eq!(keys(&located), ["from-lock"]);
    }

    #[test]
    fn lock_in_crate_root() {
        let dir = TempDir::new("crate-root");
        let env = Env {
            manifest_dir: Some(dir.join("crate")),
            ..Env::default()
        };
        dir.write("crate/Cargo.toml", PACKAGE_TOML);
        dir.write("crate/flags.lock.json", &lock("in-root"));
        dir.write("flags.lock.json", &lock("above"));
        let located = locate(None, &env).unwrap();
        assert_eq!(located.route, Route::LockFile);
        assert_eq!(keys(&located), ["in-root"]);
        assert_eq!(located.path, dir.join("crate").join(LOCK_FILE));
        assert_eq!(located.display, "flags.lock.json");
    }

    #[test]
    fn lock_in_an_ancestor_directory() {
        let dir = TempDir::new("ancestor");
        dir.write("ws/Cargo.toml", WORKSPACE_TOML);
        dir.write("ws/flags.lock.json", &lock("in-workspace"));
        // Package manifests on the way do not stop the walk.
        dir.write("ws/crates/member/Cargo.toml", PACKAGE_TOML);
        dir.mkdir("ws/crates/member/src");
        let env = Env {
            manifest_dir: Some(dir.join("ws/crates/member")),
            ..Env::default()
        };
        let located = locate(None, &env).unwrap();
        assert_eq!(located.route, Route::LockFile);
        assert_eq!(keys(&located), ["in-workspace"]);
        assert_eq!(located.path, dir.join("ws/flags.lock.json"));
        // Outside the crate root: shown absolute.
        assert_eq!(located.display, located.path.display().to_string());

        // The nearest one wins.
        dir.write("ws/crates/flags.lock.json", &lock("in-crates"));
        let located = locate(None, &env).unwrap();
        assert_eq!(keys(&located), ["in-crates"]);
    }

    #[test]
    fn the_walk_stops_at_the_workspace_root() {
        let dir = TempDir::new("walk-stop");
        dir.write("flags.lock.json", &lock("above-the-workspace"));
        dir.write("ws/Cargo.toml", WORKSPACE_TOML);
        dir.write("ws/member/Cargo.toml", PACKAGE_TOML);
        let env = Env {
            manifest_dir: Some(dir.join("ws/member")),
            ..Env::default()
        };
        let error = locate(None, &env).unwrap_err();
        let LocateError::NotFound { tried } = &error else {
            panic!("expected `NotFound`, got {error:?}");
        };
        let member_lock = "`flags.lock.json` in the crate root: no such file".to_owned();
        let ws_lock = format!(
            "`{}`: no such file",
            dir.join("ws/flags.lock.json").display()
        );
        assert!(tried.contains(&member_lock), "{tried:#?}");
        assert!(tried.contains(&ws_lock), "{tried:#?}");
        let above = dir.join("flags.lock.json").display().to_string();
        assert!(
            !tried.iter().any(|t| t.contains(&format!("`{above}`"))),
            "{tried:#?}"
        );
        assert_eq!(tried.len(), 4, "{tried:#?}");

        // Without the workspace marker the walk goes on and finds it.
        std::fs::write(dir.join("ws/Cargo.toml"), PACKAGE_TOML).unwrap();
        let located = locate(None, &env).unwrap();
        assert_eq!(keys(&located), ["above-the-workspace"]);
    }

    #[test]
    fn not_found_lists_every_place_and_the_fixes() {
        let dir = TempDir::new("not-found");
        dir.write("ws/Cargo.toml", WORKSPACE_TOML);
        dir.mkdir("ws/member");
        dir.mkdir("out");
        let mut env = Env {
            manifest_dir: Some(dir.join("ws/member")),
            out_dir: Some(dir.join("out")),
            schema_var: None,
        };
        let error = locate(None, &env).unwrap_err();
        let LocateError::NotFound { tried } = &error else {
            panic!("expected `NotFound`, got {error:?}");
        };
        assert_eq!(
            tried,
            &[
                "the environment variable `FLAGS_SCHEMA`: not set".to_owned(),
                "`$OUT_DIR/flags.lock.json`: the build script did not write it (no `flags_build::sync` in build.rs?)".to_owned(),
                // The crate root is named as such; ancestors by their path.
                "`flags.lock.json` in the crate root: no such file".to_owned(),
                format!("`{}`: no such file", dir.join("ws/flags.lock.json").display()),
            ]
        );
        let message = error.to_string();
        assert!(
            message.starts_with("could not find the flag schema; looked at:\n"),
            "{message}"
        );
        for place in tried {
            assert!(message.contains(&format!("\n  - {place}\n")), "{message}");
        }
        for fix in [
            "to fix it, do one of:",
            "flags_build::sync(\"flags.json\")",
            "[build-dependencies]",
            "commit a lock file `flags.lock.json` next to Cargo.toml",
            "set the environment variable `FLAGS_SCHEMA`",
            "#[flags(schema = \"flags.json\")]",
        ] {
            assert!(message.contains(fix), "missing {fix:?} in {message}");
        }

        // No build script: said so.
        env.out_dir = None;
        let LocateError::NotFound { tried } = locate(None, &env).unwrap_err() else {
            panic!("expected `NotFound`");
        };
        assert_eq!(
            tried[1],
            "`$OUT_DIR/flags.lock.json`: the crate has no build script that writes it"
        );
        assert_eq!(tried.len(), 4);

        // No crate root: only the first two routes.
        let LocateError::NotFound { tried } = locate(None, &Env::default()).unwrap_err() else {
            panic!("expected `NotFound`");
        };
        assert_eq!(tried.len(), 2, "{tried:#?}");
    }

    #[test]
    fn an_invalid_schema_is_invalid_naming_the_flag() {
        let dir = TempDir::new("invalid");
        dir.write("crate/Cargo.toml", WORKSPACE_TOML);
        dir.write("crate/flags.json", MIXED);
        dir.write("crate/flags.lock.json", MIXED);
        let env = Env {
            manifest_dir: Some(dir.join("crate")),
            ..Env::default()
        };
        for result in [locate(explicit("flags.json"), &env), locate(None, &env)] {
            let error = result.unwrap_err();
            let LocateError::Invalid { error: inner } = &error else {
                panic!("expected `Invalid`, got {error:?}");
            };
            assert_eq!(inner.flag_key(), Some("mixed-up"));
            let message = error.to_string();
            assert!(message.starts_with("invalid flag schema: "), "{message}");
            assert!(message.contains("flag `mixed-up`"), "{message}");
            // Named relative to the crate root.
            assert!(message.contains("`flags."), "{message}");
        }
        // Not JSON at all.
        dir.write("crate/broken.json", "{\"flags\": ");
        let error = locate(explicit("broken.json"), &env).unwrap_err();
        assert!(matches!(error, LocateError::Invalid { .. }), "{error:?}");
        assert!(error.to_string().contains("`broken.json`"), "{error}");
    }

    #[test]
    fn the_cache_returns_new_content_after_the_file_changes() {
        let dir = TempDir::new("cache");
        let path = dir.write("crate/schema.json", &flagd("aaaa"));
        let env = Env {
            manifest_dir: Some(dir.join("crate")),
            ..Env::default()
        };
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        set_mtime(&path, t0);
        let first = locate(explicit("schema.json"), &env).unwrap();
        assert_eq!(keys(&first), ["aaaa"]);

        // Unchanged: the parsed schema is shared, not parsed again.
        let again = locate(explicit("schema.json"), &env).unwrap();
        assert!(Arc::ptr_eq(&first.manifest, &again.manifest));
        // Whatever route reaches the file.
        let via_env = Env {
            schema_var: Some(path.clone().into_os_string()),
            ..env.clone()
        };
        let again = locate(None, &via_env).unwrap();
        assert_eq!(again.route, Route::EnvVar);
        assert!(Arc::ptr_eq(&first.manifest, &again.manifest));

        // Same length, new modification time.
        std::fs::write(&path, flagd("bbbb")).unwrap();
        set_mtime(&path, t0 + Duration::from_secs(10));
        let second = locate(explicit("schema.json"), &env).unwrap();
        assert_eq!(keys(&second), ["bbbb"]);

        // New length, the same modification time as before.
        std::fs::write(&path, flagd("cccc-longer")).unwrap();
        set_mtime(&path, t0 + Duration::from_secs(10));
        let third = locate(explicit("schema.json"), &env).unwrap();
        assert_eq!(keys(&third), ["cccc-longer"]);

        // Both differ.
        std::fs::write(&path, flagd("dd")).unwrap();
        set_mtime(&path, t0 + Duration::from_secs(20));
        let fourth = locate(explicit("schema.json"), &env).unwrap();
        assert_eq!(keys(&fourth), ["dd"]);

        // A file that turns invalid is reported, not served from the cache.
        std::fs::write(&path, MIXED).unwrap();
        set_mtime(&path, t0 + Duration::from_secs(30));
        let error = locate(explicit("schema.json"), &env).unwrap_err();
        assert!(matches!(error, LocateError::Invalid { .. }), "{error:?}");
    }

    #[test]
    fn env_display_is_relative_inside_the_crate() {
        let env = Env {
            manifest_dir: Some(PathBuf::from("/work/app")),
            ..Env::default()
        };
        assert_eq!(
            env.display(Path::new("/work/app/flags.lock.json")),
            "flags.lock.json"
        );
        assert_eq!(
            env.display(Path::new("/work/app/schemas/a.json")),
            Path::new("schemas").join("a.json").display().to_string()
        );
        assert_eq!(
            env.display(Path::new("/work/flags.lock.json")),
            "/work/flags.lock.json"
        );
        assert_eq!(Env::default().display(Path::new("/x/y.json")), "/x/y.json");
    }
}
