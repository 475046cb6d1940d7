//! `flags_build::Config` end to end on real files: the out file the macros read, the committed
//! lock file (created, kept, refreshed), check mode, provenance, directives and errors.
//!
//! Every test gives `.out_dir` and collects the directives with `sync_to`, so nothing is
//! printed and `OUT_DIR` is not needed. Files live in a fresh directory under the system temp
//! dir, removed at the end of each test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use flags_build::{CHECK_ENV, Config, Error, OFFLINE_ENV, STRICT_ENV, SYNC_ENV, Synced};
use flags_schema::{Format, LOCK_FILE, Manifest, OUT_DIR_FILE, OUT_DIR_NAME_FILE};

/// A directory under the system temp dir, unique per process and test, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "flags-build-sync-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Canonical, so that paths compare equal to what the OS reports.
        TempDir(dir.canonicalize().unwrap())
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const FLAGD: &str = r#"{
  "flags": {
    "new-checkout": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "off"
    },
    "upload-limit": {
      "state": "ENABLED",
      "variants": { "small": 10, "large": 100 },
      "defaultVariant": "large"
    }
  }
}"#;

/// [`FLAGD`] with one more flag.
const FLAGD_CHANGED: &str = r#"{
  "flags": {
    "new-checkout": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "on"
    },
    "upload-limit": {
      "state": "ENABLED",
      "variants": { "small": 10, "large": 100 },
      "defaultVariant": "large"
    },
    "greeting": {
      "state": "ENABLED",
      "variants": { "casual": "Hi" },
      "defaultVariant": "casual"
    }
  }
}"#;

const CLI_MANIFEST: &str = r#"{
  "flags": { "max-items": { "flagType": "integer", "defaultValue": 50 } }
}"#;

const MIXED: &str = r#"{"flags": {
  "fine": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
  "mixed-up": {"state": "ENABLED", "variants": {"on": true, "count": 3}, "defaultVariant": "on"}
}}"#;

/// Runs `config` with directives collected; returns the result and the directive lines.
fn run(config: &Config) -> (Result<Synced, Error>, Vec<String>) {
    let mut directives = Vec::new();
    let result = config.sync_to(&mut directives);
    let text = String::from_utf8(directives).unwrap();
    (result, text.lines().map(str::to_owned).collect())
}

fn keys(manifest: &Manifest) -> Vec<&str> {
    manifest.flags.keys().map(String::as_str).collect()
}

fn read_lock(path: &Path) -> Manifest {
    let text = std::fs::read_to_string(path).unwrap();
    Manifest::from_lock_str(&text, &path.display().to_string()).unwrap()
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Sets a file's modification time far in the past, so that any rewrite shows as a change
/// whatever the file system's timestamp resolution.
fn age(path: &Path) -> SystemTime {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert_eq!(mtime(path), old);
    old
}

/// The crate root, as `flags_build` resolves relative paths against it.
fn crate_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().unwrap())
}

/// `path` written relative to the crate root (`../../..` up to the file system root, then
/// down), so that a relative path can name a file in the temp dir.
fn relative_to_crate_root(path: &Path) -> PathBuf {
    use std::path::Component;
    let base = crate_root().canonicalize().unwrap();
    let mut relative = PathBuf::new();
    for component in base.components() {
        if matches!(component, Component::Normal(_)) {
            relative.push("..");
        }
    }
    for component in path.canonicalize().unwrap().components() {
        if let Component::Normal(part) = component {
            relative.push(part);
        }
    }
    assert!(relative.is_relative());
    assert_eq!(
        crate_root().join(&relative).canonicalize().unwrap(),
        path.canonicalize().unwrap()
    );
    relative
}

// ---------------------------------------------------------------------------------------------
// Without a source: the named file is read and copied for the macros

#[test]
fn sync_of_a_flagd_file_writes_the_out_file() {
    let dir = TempDir::new("flagd");
    let flags = dir.write("flags.json", FLAGD);
    let out = dir.join("out");
    assert!(!out.exists(), "the out dir is created when missing");

    let (result, directives) = run(&Config::new().lock(&flags).out_dir(&out).check(false));
    let synced = result.unwrap();
    assert_eq!(synced.out_file, Some(out.join(OUT_DIR_FILE)));
    assert_eq!(synced.out_file, Some(out.join("flags.lock.json")));
    assert!(!synced.lock_written);

    let written = read_lock(synced.out_file.as_deref().unwrap());
    let direct = flags_schema::read(&flags).unwrap();
    assert_eq!(keys(&written), ["new-checkout", "upload-limit"]);
    assert_eq!(written.flags, direct.flags);
    assert_eq!(written, synced.manifest);
    let provenance = written.sources[0].clone();
    assert_eq!(provenance.format, Format::Flagd);
    assert_eq!(
        provenance.location.as_deref(),
        Some(flags.to_str().unwrap())
    );
    assert_eq!(
        std::fs::read_to_string(synced.out_file.as_deref().unwrap()).unwrap(),
        synced.manifest.to_lock_string()
    );
    // The definition file itself is not touched, and nothing but the out file and its name
    // (the file as the build script named it, for messages) is written.
    assert_eq!(std::fs::read_to_string(&flags).unwrap(), FLAGD);
    let mut written: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    written.sort();
    assert_eq!(written, [OUT_DIR_FILE, OUT_DIR_NAME_FILE]);
    assert_eq!(
        std::fs::read_to_string(out.join(OUT_DIR_NAME_FILE)).unwrap(),
        flags.display().to_string()
    );

    assert_eq!(
        directives,
        [
            format!("cargo:rerun-if-env-changed={CHECK_ENV}"),
            format!("cargo:rerun-if-env-changed={SYNC_ENV}"),
            format!("cargo:rerun-if-env-changed={OFFLINE_ENV}"),
            format!("cargo:rerun-if-env-changed={STRICT_ENV}"),
            format!("cargo:rerun-if-changed={}", flags.display()),
        ]
    );
    assert_eq!(CHECK_ENV, "FLAGS_CHECK");
}

#[test]
fn sync_of_a_lock_file_keeps_its_provenance() {
    let dir = TempDir::new("lock-only");
    let manifest = flags_schema::import_str(CLI_MANIFEST, "somewhere/flag-manifest.json").unwrap();
    let lock = dir.write("flags.lock.json", &manifest.to_lock_string());
    let out = dir.join("out");
    let (result, _) = run(&Config::new().lock(&lock).out_dir(&out).check(false));
    let synced = result.unwrap();
    assert!(!synced.lock_written);
    assert_eq!(synced.manifest, manifest);
    let provenance = read_lock(synced.out_file.as_deref().unwrap()).sources[0].clone();
    assert_eq!(provenance.format, Format::OpenfeatureCli);
    assert_eq!(
        provenance.location.as_deref(),
        Some("somewhere/flag-manifest.json")
    );
    // Copied byte for byte.
    assert_eq!(
        std::fs::read_to_string(synced.out_file.as_deref().unwrap()).unwrap(),
        std::fs::read_to_string(&lock).unwrap()
    );
}

#[test]
fn the_out_file_is_rewritten_only_when_it_changes() {
    let dir = TempDir::new("out-mtime");
    let flags = dir.write("flags.json", FLAGD);
    let config = Config::new()
        .lock(&flags)
        .out_dir(dir.join("out"))
        .check(false);
    let out_file = run(&config).0.unwrap().out_file.unwrap();
    let old = age(&out_file);

    let synced = run(&config).0.unwrap();
    assert_eq!(synced.out_file.as_ref(), Some(&out_file));
    assert_eq!(mtime(&out_file), old, "an unchanged out file was rewritten");

    dir.write("flags.json", FLAGD_CHANGED);
    let synced = run(&config).0.unwrap();
    assert_ne!(
        mtime(&out_file),
        old,
        "a changed out file was not rewritten"
    );
    assert_eq!(
        keys(&read_lock(&out_file)),
        ["greeting", "new-checkout", "upload-limit"]
    );
    assert_eq!(keys(&synced.manifest), keys(&read_lock(&out_file)));

    // A damaged out file is repaired.
    std::fs::write(&out_file, "{").unwrap();
    run(&config).0.unwrap();
    assert_eq!(read_lock(&out_file), synced.manifest);
}

// ---------------------------------------------------------------------------------------------
// With a source: the lock file is kept up to date

#[test]
fn source_creates_keeps_and_refreshes_the_lock() {
    let dir = TempDir::new("source-lock");
    let source = dir.write("flags.json", FLAGD);
    let lock = dir.join("flags.lock.json");
    let out = dir.join("out");
    let config = Config::new()
        .source(&source)
        .lock(&lock)
        .out_dir(&out)
        .check(false)
        .refresh(true);

    // First sync: the lock is created.
    let (result, directives) = run(&config);
    let synced = result.unwrap();
    assert!(synced.lock_written);
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        synced.manifest.to_lock_string()
    );
    assert_eq!(
        read_lock(&lock).flags,
        flags_schema::read(&source).unwrap().flags
    );
    // The macros read the same thing.
    assert_eq!(
        std::fs::read_to_string(synced.out_file.as_deref().unwrap()).unwrap(),
        std::fs::read_to_string(&lock).unwrap()
    );
    assert_eq!(
        directives,
        [
            format!("cargo:rerun-if-env-changed={CHECK_ENV}"),
            format!("cargo:rerun-if-env-changed={SYNC_ENV}"),
            format!("cargo:rerun-if-env-changed={OFFLINE_ENV}"),
            format!("cargo:rerun-if-env-changed={STRICT_ENV}"),
            format!("cargo:rerun-if-changed={}", lock.display()),
            format!("cargo:rerun-if-changed={}", source.display()),
        ]
    );
    // Written atomically: no temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["flags.json", "flags.lock.json", "out"]);

    // Second sync, nothing changed: the lock is not rewritten.
    let old = age(&lock);
    let synced = run(&config).0.unwrap();
    assert!(!synced.lock_written);
    assert_eq!(mtime(&lock), old, "an up-to-date lock was rewritten");

    // The source changes: the lock is rewritten.
    dir.write("flags.json", FLAGD_CHANGED);
    let synced = run(&config).0.unwrap();
    assert!(synced.lock_written);
    assert_ne!(mtime(&lock), old, "a stale lock was not rewritten");
    let relocked = read_lock(&lock);
    assert_eq!(
        keys(&relocked),
        ["greeting", "new-checkout", "upload-limit"]
    );
    assert_eq!(
        relocked.flags["new-checkout"].default_variant.as_deref(),
        Some("on")
    );
    assert_eq!(read_lock(synced.out_file.as_deref().unwrap()), relocked);

    // A lock edited by hand is put back.
    std::fs::write(&lock, "{}\n").unwrap();
    assert!(run(&config).0.unwrap().lock_written);
    assert_eq!(read_lock(&lock), relocked);
}

#[test]
fn lock_provenance_location_is_the_source_path_as_given() {
    let dir = TempDir::new("provenance");
    let source = dir.write("flags.json", FLAGD);

    // Absolute: recorded as the absolute path (as given; nothing shortens it).
    let abs_lock = dir.join("abs.lock.json");
    let config = Config::new()
        .source(&source)
        .lock(&abs_lock)
        .out_dir(dir.join("out-abs"))
        .check(false)
        .refresh(true);
    let synced = run(&config).0.unwrap();
    let location = read_lock(&abs_lock).sources[0].clone().location.unwrap();
    assert_eq!(location, source.display().to_string());
    assert!(Path::new(&location).is_absolute());
    assert_eq!(
        synced.manifest.sources[0].clone().location.unwrap(),
        location
    );

    // Relative: resolved against the crate root to read it, but recorded as written, so a
    // committed lock is the same on every machine.
    let relative_source = relative_to_crate_root(&source);
    let relative_lock = relative_to_crate_root(dir.path()).join("rel.lock.json");
    let config = Config::new()
        .source(&relative_source)
        .lock(&relative_lock)
        .out_dir(dir.join("out-rel"))
        .check(false)
        .refresh(true);
    let (result, directives) = run(&config);
    let synced = result.unwrap();
    assert!(synced.lock_written);
    let rel_lock_file = dir.join("rel.lock.json");
    let written = read_lock(&rel_lock_file);
    let location = written.sources[0].clone().location.unwrap();
    assert_eq!(location, relative_source.display().to_string());
    assert!(Path::new(&location).is_relative());
    assert!(location.starts_with(".."), "{location}");
    assert!(location.ends_with("flags.json"), "{location}");
    // The directives name the resolved paths, which Cargo needs to watch the right files.
    let root = crate_root();
    assert!(
        directives.contains(&format!(
            "cargo:rerun-if-changed={}",
            root.join(&relative_source).display()
        )),
        "{directives:?}"
    );
    assert!(
        directives.contains(&format!(
            "cargo:rerun-if-changed={}",
            root.join(&relative_lock).display()
        )),
        "{directives:?}"
    );

    // Only the location differs between the two locks.
    let absolute = read_lock(&abs_lock);
    assert_eq!(absolute.flags, written.flags);
    assert_eq!(
        absolute.content_hash,
        read_lock(&rel_lock_file).content_hash
    );

    // Without a source, a definition file named relative is recorded as written too.
    let config = Config::new()
        .lock(&relative_source)
        .out_dir(dir.join("out-rel-only"))
        .check(false);
    let synced = run(&config).0.unwrap();
    assert_eq!(
        read_lock(synced.out_file.as_deref().unwrap()).sources[0]
            .location
            .clone()
            .unwrap(),
        relative_source.display().to_string()
    );
}

#[test]
fn a_build_not_asked_to_sync_reads_file_sources_and_never_writes_the_lock() {
    let dir = TempDir::new("plain-build");
    let source = dir.write("flags.json", FLAGD);
    let lock = dir.join("flags.lock.json");
    let out = dir.join("out");
    let out_file = out.join(OUT_DIR_FILE);
    let name_file = out.join(OUT_DIR_NAME_FILE);
    let name = |path: &Path| std::fs::read_to_string(path).unwrap();
    let build = Config::new()
        .source(&source)
        .lock(&lock)
        .out_dir(&out)
        .check(false)
        .refresh(false);

    // No lock: the macros read the source, messages name it, a warning says what creates the
    // lock; the lock is not created.
    let synced = run(&build).0.unwrap();
    assert!(!synced.lock_written && !synced.lock_created);
    assert!(!lock.exists(), "a build created the lock");
    assert_eq!(
        keys(&read_lock(&out_file)),
        ["new-checkout", "upload-limit"]
    );
    assert_eq!(name(&name_file), source.display().to_string());
    let [warning] = synced.warnings.as_slice() else {
        panic!("one warning expected: {:?}", synced.warnings)
    };
    assert_eq!(
        warning,
        &format!(
            "`{}` does not exist; this build reads its sources instead: run `flags sync` (or \
             the build with `FLAGS_SYNC=1`) to create it, then commit it",
            lock.display()
        )
    );

    // In step with its source: the macros read the lock, named as such, and nothing is said.
    assert!(run(&build.clone().refresh(true)).0.unwrap().lock_written);
    let committed = std::fs::read_to_string(&lock).unwrap();
    let old = age(&lock);
    let synced = run(&build).0.unwrap();
    assert!(synced.warnings.is_empty(), "{:?}", synced.warnings);
    assert!(!synced.lock_written);
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), committed);
    assert_eq!(name(&name_file), lock.display().to_string());

    // The source was edited: the build sees the edit and warns with the difference; the lock
    // stays byte for byte as committed.
    dir.write("flags.json", FLAGD_CHANGED);
    let (result, directives) = run(&build);
    let synced = result.unwrap();
    assert!(!synced.lock_written && !synced.lock_created);
    assert!(synced.diff.changes.is_empty(), "{}", synced.diff);
    assert_eq!(
        keys(&synced.manifest),
        ["greeting", "new-checkout", "upload-limit"]
    );
    assert_eq!(read_lock(&out_file).flags, synced.manifest.flags);
    assert_eq!(name(&name_file), source.display().to_string());
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), committed);
    assert_eq!(mtime(&lock), old, "a build touched the lock");
    let [warning] = synced.warnings.as_slice() else {
        panic!("one warning expected: {:?}", synced.warnings)
    };
    assert_eq!(
        warning,
        &format!(
            "`{}` differs from its sources, which this build reads instead:\n  \
             + added flag `greeting` (string)\n  \
             ~ flag `new-checkout`: default false → true\n\
             run `flags sync` (or the build with `FLAGS_SYNC=1`) to update it, then commit it",
            lock.display()
        )
    );
    // In a build script, one Cargo warning per line.
    for line in warning.lines() {
        assert!(
            directives.contains(&format!("cargo:warning={line}")),
            "{line} in {directives:?}"
        );
    }

    // Many changes: the first ten, then how many more.
    let many: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#""extra-{i:02}": {{"state": "ENABLED", "variants": {{"on": true}}, "defaultVariant": "on"}}"#
            )
        })
        .collect();
    dir.write(
        "flags.json",
        &FLAGD.replacen(
            "\"flags\": {",
            &format!("\"flags\": {{ {},", many.join(", ")),
            1,
        ),
    );
    let synced = run(&build).0.unwrap();
    let warning = &synced.warnings[0];
    assert_eq!(
        warning.matches("+ added flag `extra-").count(),
        10,
        "{warning}"
    );
    assert!(warning.contains("+ added flag `extra-09`"), "{warning}");
    assert!(warning.contains("\n  … and 10 more\n"), "{warning}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), committed);

    // A lock that cannot be read: the build reads the sources and says so; the lock stays as
    // it is, and a sync replaces it.
    std::fs::write(&lock, "{ not a lock").unwrap();
    let synced = run(&build).0.unwrap();
    assert_eq!(synced.manifest.flags.len(), 22);
    let [warning] = synced.warnings.as_slice() else {
        panic!("one warning expected: {:?}", synced.warnings)
    };
    assert!(
        warning.contains("this build reads its sources instead"),
        "{warning}"
    );
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "{ not a lock");
    // Check mode does not read past it.
    assert!(matches!(
        run(&build.clone().check(true)).0,
        Err(Error::Schema(_))
    ));
    let synced = run(&build.refresh(true)).0.unwrap();
    assert!(synced.lock_written);
    assert_eq!(keys(&read_lock(&lock)).len(), 22);
}

#[test]
fn read_lock_reads_the_committed_lock_and_nothing_else() {
    let dir = TempDir::new("read-lock");
    let source = dir.write("flags.json", FLAGD);
    let lock = dir.join("flags.lock.json");
    let config = Config::new().source(&source).lock(&lock);

    // No lock: what creates it.
    let error = config.read_lock().unwrap_err();
    match &error {
        Error::MissingLock { hint, .. } => assert!(hint.contains("`flags sync`"), "{hint}"),
        other => panic!("expected `Error::MissingLock`, got {other:?}"),
    }
    assert!(!lock.exists());

    run(&config.clone().out_dir(dir.join("out")).refresh(true))
        .0
        .unwrap();
    let committed = std::fs::read_to_string(&lock).unwrap();
    // The source changes, then disappears: the lock is read as committed all the same.
    dir.write("flags.json", FLAGD_CHANGED);
    assert_eq!(
        keys(&config.read_lock().unwrap()),
        ["new-checkout", "upload-limit"]
    );
    std::fs::remove_file(&source).unwrap();
    assert_eq!(config.read_lock().unwrap(), read_lock(&lock));
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), committed);

    // Without a source, the named file is the definitions.
    let flags = dir.write("defs.json", CLI_MANIFEST);
    assert_eq!(
        keys(&Config::new().lock(&flags).read_lock().unwrap()),
        ["max-items"]
    );
    // An unreadable lock is an error naming it.
    std::fs::write(&lock, "[]").unwrap();
    let error = config.read_lock().unwrap_err();
    assert!(matches!(error, Error::Schema(_)), "{error:?}");
    assert!(
        error.to_string().contains(&lock.display().to_string()),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Check mode

#[test]
fn check_with_a_stale_lock_fails_and_leaves_it_alone() {
    let dir = TempDir::new("stale");
    let source = dir.write("flags.json", FLAGD);
    let lock = dir.join("flags.lock.json");
    let out = dir.join("out");
    let base = Config::new()
        .source(&source)
        .lock(&lock)
        .out_dir(&out)
        .refresh(true);
    assert!(run(&base.clone().check(false)).0.unwrap().lock_written);
    let before = std::fs::read_to_string(&lock).unwrap();
    let old = age(&lock);
    let out_before = std::fs::read_to_string(out.join(OUT_DIR_FILE)).unwrap();

    // Up to date: check mode passes and writes nothing.
    let synced = run(&base.clone().check(true)).0.unwrap();
    assert!(!synced.lock_written);
    assert_eq!(mtime(&lock), old);

    // Stale: an error naming both files; the lock is untouched and so is the out file.
    dir.write("flags.json", FLAGD_CHANGED);
    let (result, directives) = run(&base.clone().check(true));
    let error = result.unwrap_err();
    match &error {
        Error::Drift { lock: l, diff } => {
            assert_eq!(l, &lock.display().to_string());
            // The default of `new-checkout` changed and `greeting` was added.
            assert_eq!(
                diff.to_string(),
                "  + added flag `greeting` (string)\n  ~ flag `new-checkout`: default false → true\n",
                "{diff}"
            );
        }
        other => panic!("expected `Error::Drift`, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("out of date"), "{message}");
    assert!(message.contains(&lock.display().to_string()), "{message}");
    assert!(message.contains("flags sync"), "{message}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), before);
    assert_eq!(mtime(&lock), old, "check mode touched the lock");
    assert_eq!(
        std::fs::read_to_string(out.join(OUT_DIR_FILE)).unwrap(),
        out_before
    );
    // The directives are written even on error, so fixing the files re-runs the build.
    assert!(
        directives.contains(&format!("cargo:rerun-if-changed={}", source.display())),
        "{directives:?}"
    );

    // Check mode wins over a refresh: it never writes, whatever else is asked.
    assert!(matches!(
        run(&base.clone().check(true).refresh(true)).0,
        Err(Error::Drift { .. })
    ));
    assert_eq!(mtime(&lock), old, "check mode touched the lock");

    // `.check(false)` overrides an earlier `.check(true)`: the lock is refreshed.
    let synced = run(&base.clone().check(true).check(false)).0.unwrap();
    assert!(synced.lock_written);
    assert_ne!(std::fs::read_to_string(&lock).unwrap(), before);
    assert!(
        run(&base.check(true))
            .0
            .unwrap()
            .manifest
            .flags
            .contains_key("greeting")
    );
}

#[test]
fn check_without_a_lock_is_missing_lock() {
    let dir = TempDir::new("missing-lock");
    let source = dir.write("flags.json", FLAGD);
    let lock = dir.join("flags.lock.json");
    let out = dir.join("out");
    let config = Config::new().source(&source).lock(&lock).out_dir(&out);

    let error = run(&config.clone().check(true)).0.unwrap_err();
    match &error {
        Error::MissingLock { lock: l, hint } => {
            assert_eq!(l, &lock.display().to_string());
            assert!(hint.contains("flags sync"), "{hint}");
        }
        other => panic!("expected `Error::MissingLock`, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("does not exist"), "{message}");
    assert!(message.contains(&lock.display().to_string()), "{message}");
    assert!(!lock.exists(), "check mode created the lock");
    assert!(!out.join(OUT_DIR_FILE).exists());

    // A sync creates it.
    assert!(
        run(&config.check(false).refresh(true))
            .0
            .unwrap()
            .lock_written
    );
    assert!(lock.exists());
}

#[test]
fn check_mode_without_a_source_reads_the_lock_as_is() {
    let dir = TempDir::new("check-no-source");
    let flags = dir.write("flags.json", FLAGD);
    let synced = run(&Config::new()
        .lock(&flags)
        .out_dir(dir.join("out"))
        .check(true))
    .0
    .unwrap();
    assert!(!synced.lock_written);
    assert_eq!(keys(&synced.manifest), ["new-checkout", "upload-limit"]);
}

/// The child half of [`flags_check_env_sets_the_default_and_check_overrides_it`]: runs in a
/// process of its own whose `FLAGS_CHECK` the parent chose (the environment is process-wide,
/// and other tests of this file run on other threads).
const CHILD_ENV: &str = "FLAGS_BUILD_SYNC_TEST_EXPECT_CHECK";

#[test]
fn flags_check_env_sets_the_default_and_check_overrides_it() {
    const NAME: &str = "flags_check_env_sets_the_default_and_check_overrides_it";
    let Some(expect) = std::env::var_os(CHILD_ENV) else {
        // Parent: one child per value of `FLAGS_CHECK`.
        for (value, expect_check) in [
            (Some("1"), true),
            (Some("true"), true),
            (Some("TRUE"), true),
            (Some("0"), false),
            (Some("yes"), false),
            (Some(""), false),
            (None, false),
        ] {
            let mut command = Command::new(std::env::current_exe().unwrap());
            command
                .args([NAME, "--exact", "--test-threads=1", "--nocapture"])
                .env(CHILD_ENV, if expect_check { "on" } else { "off" });
            match value {
                Some(value) => command.env(CHECK_ENV, value),
                None => command.env_remove(CHECK_ENV),
            };
            let output = command.output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && stdout.contains("1 passed"),
                "{CHECK_ENV}={value:?}:\n{stdout}\n{stderr}"
            );
        }
        return;
    };
    // Child.
    let expect_check = expect == "on";
    let dir = TempDir::new("env");
    let source = dir.write("flags.json", FLAGD);
    let lock = dir.join("flags.lock.json");
    let config = Config::new()
        .source(&source)
        .lock(&lock)
        .out_dir(dir.join("out"))
        .refresh(true);
    let result = run(&config).0;
    if expect_check {
        assert!(
            matches!(result, Err(Error::MissingLock { .. })),
            "{result:?}"
        );
        assert!(!lock.exists());
        // `.check(false)` overrides the environment.
        assert!(run(&config.clone().check(false)).0.unwrap().lock_written);
    } else {
        assert!(result.unwrap().lock_written);
        std::fs::remove_file(&lock).unwrap();
        // `.check(true)` overrides the environment.
        let result = run(&config.clone().check(true)).0;
        assert!(
            matches!(result, Err(Error::MissingLock { .. })),
            "{result:?}"
        );
        assert!(!lock.exists());
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn without_out_dir_is_missing_out_dir() {
    assert!(
        std::env::var_os("OUT_DIR").is_none(),
        "precondition: `OUT_DIR` is not set when tests run"
    );
    let dir = TempDir::new("no-out-dir");
    let flags = dir.write("flags.json", FLAGD);
    let (result, directives) = run(&Config::new().lock(&flags).check(false));
    let error = result.unwrap_err();
    assert!(matches!(error, Error::MissingOutDir), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`OUT_DIR`"), "{message}");
    assert!(message.contains("Config::out_dir"), "{message}");
    assert!(directives.is_empty(), "{directives:?}");

    // The one-line form needs `OUT_DIR` too.
    let error = flags_build::sync(&flags).unwrap_err();
    assert!(matches!(error, Error::MissingOutDir), "{error:?}");
}

#[test]
fn invalid_definitions_are_a_schema_error_naming_the_flag() {
    let dir = TempDir::new("invalid");
    let source = dir.write("flags.json", MIXED);
    let lock = dir.join("flags.lock.json");
    let out = dir.join("out");

    // As the file to read.
    let (result, directives) = run(&Config::new().lock(&source).out_dir(&out).check(false));
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Schema(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`mixed-up`"), "{message}");
    assert!(message.contains(&source.display().to_string()), "{message}");
    assert!(
        directives.contains(&format!("cargo:rerun-if-changed={}", source.display())),
        "{directives:?}"
    );

    // As the source of a lock: no lock and no out file are written.
    let error = run(&Config::new()
        .source(&source)
        .lock(&lock)
        .out_dir(&out)
        .check(false))
    .0
    .unwrap_err();
    match &error {
        Error::Schema(inner) => assert_eq!(inner.flag_key(), Some("mixed-up")),
        other => panic!("expected `Error::Schema`, got {other:?}"),
    }
    assert!(error.to_string().contains("`mixed-up`"), "{error}");
    assert!(!lock.exists());
    assert!(!out.exists());
}

#[test]
fn missing_files_are_schema_errors_naming_them() {
    let dir = TempDir::new("missing");
    let nowhere = dir.join("nowhere.json");
    let error = run(&Config::new()
        .lock(&nowhere)
        .out_dir(dir.join("out"))
        .check(false))
    .0
    .unwrap_err();
    // No lock and no source: the error names the command that creates it.
    assert!(matches!(error, Error::MissingLock { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&nowhere.display().to_string()),
        "{message}"
    );
    assert!(message.contains("`flags sync`"), "{message}");
    let error = run(&Config::new()
        .source(&nowhere)
        .lock(dir.join("flags.lock.json"))
        .out_dir(dir.join("out"))
        .check(false))
    .0
    .unwrap_err();
    assert!(
        error.to_string().contains(&nowhere.display().to_string()),
        "{error}"
    );
}

#[test]
fn an_unwritable_out_dir_is_a_write_error() {
    let dir = TempDir::new("unwritable");
    let flags = dir.write("flags.json", FLAGD);
    // A file where the out dir should be.
    let blocker = dir.write("blocker", "");
    let error = run(&Config::new().lock(&flags).out_dir(&blocker).check(false))
        .0
        .unwrap_err();
    match &error {
        Error::Write { path, .. } => {
            assert_eq!(path, &blocker.join(OUT_DIR_FILE).display().to_string());
        }
        other => panic!("expected `Error::Write`, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Every option changes the outcome

#[test]
fn every_option_changes_the_outcome() {
    let dir = TempDir::new("options");
    let flagd = dir.write("flags.json", FLAGD);
    let cli = dir.write("flag-manifest.json", CLI_MANIFEST);

    // `.lock`: which file is read.
    let a = run(&Config::new()
        .lock(&flagd)
        .out_dir(dir.join("a"))
        .check(false))
    .0
    .unwrap();
    let b = run(&Config::new().lock(&cli).out_dir(dir.join("b")).check(false))
        .0
        .unwrap();
    assert_eq!(
        keys(&read_lock(a.out_file.as_deref().unwrap())),
        ["new-checkout", "upload-limit"]
    );
    assert_eq!(
        keys(&read_lock(b.out_file.as_deref().unwrap())),
        ["max-items"]
    );

    // `.out_dir`: where the out file goes.
    assert_eq!(a.out_file, Some(dir.join("a").join(OUT_DIR_FILE)));
    assert_eq!(b.out_file, Some(dir.join("b").join(OUT_DIR_FILE)));

    // `.source`: the named lock is written from the source instead of being read.
    let lock = dir.join("flags.lock.json");
    let without = run(&Config::new()
        .lock(&lock)
        .out_dir(dir.join("c"))
        .check(false))
    .0;
    assert!(
        matches!(without, Err(Error::MissingLock { .. })),
        "{without:?}"
    );
    assert!(!lock.exists());
    let with = run(&Config::new()
        .source(&cli)
        .lock(&lock)
        .out_dir(dir.join("c"))
        .check(false)
        .refresh(true))
    .0
    .unwrap();
    assert!(with.lock_written);
    assert_eq!(keys(&read_lock(&lock)), ["max-items"]);
    // Several `.source`s are merged, each recorded in the lock.
    let with = run(&Config::new()
        .source(&cli)
        .source(&flagd)
        .lock(&lock)
        .out_dir(dir.join("c"))
        .check(false)
        .refresh(true))
    .0
    .unwrap();
    assert!(with.lock_written);
    let merged = read_lock(&lock);
    assert_eq!(keys(&merged), ["max-items", "new-checkout", "upload-limit"]);
    assert_eq!(merged.sources.len(), 2);
    assert_eq!(merged.content_hash, Some(merged.compute_hash()));

    // `.check`: compare instead of write.
    dir.write("flags.json", FLAGD_CHANGED);
    let config = Config::new()
        .source(&flagd)
        .lock(&lock)
        .out_dir(dir.join("c"));
    assert!(matches!(
        run(&config.clone().check(true).refresh(true)).0,
        Err(Error::Drift { .. })
    ));
    // `.refresh`: without it the lock is not written (the build reads the changed file and
    // warns); with it the lock is written.
    let before = std::fs::read_to_string(&lock).unwrap();
    let read = run(&config.clone().check(false).refresh(false)).0.unwrap();
    assert!(!read.lock_written);
    assert!(read.manifest.flags.contains_key("greeting"));
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), before);
    assert!(
        run(&config.check(false).refresh(true))
            .0
            .unwrap()
            .lock_written
    );
    assert_ne!(std::fs::read_to_string(&lock).unwrap(), before);

    // The default lock is `flags.lock.json` in the crate root.
    assert_eq!(LOCK_FILE, "flags.lock.json");
    let default_lock = crate_root().join(LOCK_FILE);
    assert!(
        !default_lock.exists(),
        "precondition: no {}",
        default_lock.display()
    );
    for config in [Config::new(), Config::default()] {
        let (result, directives) = run(&config.out_dir(dir.join("d")).check(false));
        let error = result.unwrap_err();
        assert!(matches!(error, Error::MissingLock { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("`flags.lock.json` does not exist"),
            "{error}"
        );
        assert!(
            directives.contains(&format!(
                "cargo:rerun-if-changed={}",
                default_lock.display()
            )),
            "{directives:?}"
        );
    }
}
