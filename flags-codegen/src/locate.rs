//! Finding the schema at compile time, offline: files only, no network, no subprocesses.
//!
//! First hit wins:
//!
//! | # | where | how it is named |
//! | --- | --- | --- |
//! | 1 | `#[flags(schema = "path")]` | relative to the crate root (`CARGO_MANIFEST_DIR`) |
//! | 2 | the environment variable `FLAGS_SCHEMA` | absolute, or relative to the crate root |
//! | 3 | `$OUT_DIR/flags.lock.json` | written by `flags_build::sync` in `build.rs` |
//! | 4 | `flags.lock.json` in the crate root | the committed lock file |
//! | 5 | `flags.lock.json` in each ancestor directory | up to the workspace root |
//!
//! Each route may name a lock file or any definition file `flags-schema` can import (a plain
//! flagd `flags.json` works). Parsed schemas are cached per path and modification time, so a
//! long-lived compiler process (rust-analyzer) parses a file once.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use flags_schema::{LOCK_FILE, Manifest, OUT_DIR_FILE, SCHEMA_ENV};
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

    fn resolve(&self, path: &Path) -> PathBuf {
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
    /// The path as messages show it.
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
        /// Where it was looked for.
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

impl fmt::Display for LocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocateError::Missing {
                route: Route::EnvVar,
                written,
                path,
            } => write!(
                f,
                "schema file `{written}` named by the environment variable `{SCHEMA_ENV}` does not exist (looked at `{}`); set `{SCHEMA_ENV}` to an existing lock or flag definition file, or unset it",
                path.display()
            ),
            LocateError::Missing { written, path, .. } => write!(
                f,
                "schema file `{written}` named by `#[flags(schema = ...)]` does not exist (looked at `{}`); the path is relative to the crate root, the directory of Cargo.toml",
                path.display()
            ),
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
        let path = env.resolve(Path::new(&written));
        return load_required(path, written, Route::Attribute, env);
    }
    if let Some(var) = &env.schema_var {
        let written = var.to_string_lossy().into_owned();
        let path = env.resolve(Path::new(var));
        return load_required(path, written, Route::EnvVar, env);
    }
    let mut tried = Vec::new();
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
    tried.push(format!("the environment variable `{SCHEMA_ENV}`: not set"));
    if let Some(dir) = &env.manifest_dir {
        for dir in dir.ancestors() {
            let path = dir.join(LOCK_FILE);
            if path.is_file() {
                return load(path, Route::LockFile, env);
            }
            tried.push(format!("`{}`: no such file", path.display()));
            if is_workspace_root(dir) {
                break;
            }
        }
    }
    Err(LocateError::NotFound { tried })
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|text| text.lines().any(|line| line.trim() == "[workspace]"))
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
    let display = env.display(&path);
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
    let manifest = Arc::new(flags_schema::import_str(&text, &display).map_err(|error| {
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

/// The candidate closest to `name`, for "did you mean" (case and separators ignored).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    flags_schema::closest(name, candidates)
}
