//! A crate in a temporary directory, for the tests of `flags sync` / `flags check` and of a
//! build script's sync: a `Cargo.toml` with `[package.metadata.flags] sources`, an empty
//! `src/lib.rs`, and the `flags` command run in it with a clean environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The variables of this process that would change what `flags` or a sync does; a command run
/// by [`FakeCrate::run`] starts without them.
const SWITCHES: [&str; 7] = [
    "FLAGS_SYNC",
    "FLAGS_CHECK",
    "FLAGS_OFFLINE",
    "FLAGS_STRICT",
    "CARGO_NET_OFFLINE",
    "SOURCE_DATE_EPOCH",
    "CARGO_MANIFEST_DIR",
];

/// The sync time a command run by [`FakeCrate::run`] sees (`SOURCE_DATE_EPOCH`), so that locks
/// written in tests do not depend on the clock.
pub const SYNC_EPOCH: &str = "1795000000";

/// A crate under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct FakeCrate {
    dir: PathBuf,
}

impl FakeCrate {
    /// A crate whose `[package.metadata.flags]` has `sources` (TOML inline tables, one per
    /// item), in a directory named after `suite` (the test file) and `name` (the test), unique
    /// to this process and call.
    pub fn new(suite: &str, name: &str, sources: &[String]) -> FakeCrate {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("flags-{suite}-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("the temporary directory is writable");
        let krate = FakeCrate { dir };
        krate.set_sources(sources);
        krate.write("src/lib.rs", "");
        krate
    }

    /// Rewrites `Cargo.toml` with `sources`.
    pub fn set_sources(&self, sources: &[String]) {
        let manifest = format!(
            "[package]\nname = \"fake\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [package.metadata.flags]\nsources = [\n{}\n]\n",
            sources
                .iter()
                .map(|s| format!("    {s},"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        self.write("Cargo.toml", &manifest);
    }

    /// The crate's root.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where its lock file is.
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join("flags.lock.json")
    }

    /// The lock's text (panics when there is none).
    pub fn lock_text(&self) -> String {
        std::fs::read_to_string(self.lock_path()).expect("a lock file")
    }

    /// The lock's bytes, `None` when there is none.
    pub fn lock_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.lock_path()).ok()
    }

    /// Writes `text` to the file `name` (relative to the root).
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).expect("the crate is writable");
    }

    /// Every file of the crate with its bytes: a command that writes anything shows here.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for path in entries.flatten().map(|entry| entry.path()) {
                if path.is_dir() {
                    walk(&path, root, out);
                } else if let (Ok(bytes), Ok(relative)) =
                    (std::fs::read(&path), path.strip_prefix(root))
                {
                    out.insert(relative.to_owned(), bytes);
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.dir, &self.dir, &mut out);
        out
    }

    /// Runs `program` (the `flags` command: `env!("CARGO_BIN_EXE_flags")`) with `args` in
    /// the crate, with `env` and none of this process's `FLAGS_*` and Cargo switches, at the sync
    /// time [`SYNC_EPOCH`].
    pub fn run(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(program);
        command.args(args).current_dir(&self.dir);
        for var in SWITCHES {
            command.env_remove(var);
        }
        command.env("SOURCE_DATE_EPOCH", SYNC_EPOCH);
        command.envs(env.iter().copied());
        command.output().expect("the command runs")
    }
}

impl Drop for FakeCrate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
