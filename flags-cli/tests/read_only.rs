//! Only a sync writes the lock. Every other command (`flags check`, `generate`, `export`,
//! `schema`) and a build not asked to sync leave it byte for byte as it is, in every state of
//! the lock (none, in step, drifted, source unreachable) and for every kind of source, each
//! served by a server the test starts on 127.0.0.1. And `flags check` reports unused and
//! unknown flags against the lock as committed.

use std::path::{Path, PathBuf};
use std::process::Output;

use flags_build::Config;
use flags_test_support::fake_crate::FakeCrate;
use flags_test_support::server::{Reply, Server};

/// A crate with one source.
fn fake_crate(name: &str, source: &str) -> FakeCrate {
    FakeCrate::new("cli-read-only", name, &[source.to_owned()])
}

/// `flags <args>` run in `krate` with `env` (and none of this process's switches).
fn flags(krate: &FakeCrate, args: &[&str], env: &[(&str, &str)]) -> Output {
    krate.run(env!("CARGO_BIN_EXE_flags"), args, env)
}

/// A build of `krate` by `flags_build::sync`, not asked to sync (`check`: with `FLAGS_CHECK`),
/// with its out dir outside the crate.
fn build(krate: &FakeCrate, out: &Path, check: bool) -> Result<(), flags_build::Error> {
    Config::new()
        .crate_root(krate.path())
        .out_dir(out)
        .check(check)
        .refresh(false)
        .offline(false)
        .strict(false)
        .sync_to(&mut Vec::new())
        .map(drop)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Variables set for a command.
type Vars = &'static [(&'static str, &'static str)];

/// Every command but `sync`, with the environment it runs in. `FLAGS_SYNC=1` asks builds to
/// sync; it must not make a command write either.
const COMMANDS: &[(&[&str], Vars)] = &[
    (&["check"], &[]),
    (&["check", "--no-scan"], &[("FLAGS_SYNC", "1")]),
    (&["check", "--strict", "--no-scan"], &[]),
    (&["check", "--offline"], &[]),
    (&["check", "--deny-unused"], &[("FLAGS_STRICT", "1")]),
    (&["generate"], &[]),
    (&["generate", "--module", "app"], &[("FLAGS_SYNC", "1")]),
    (&["export", "--format", "openfeature"], &[]),
    (&["schema"], &[]),
];

/// A source kind: its entry in `Cargo.toml` (given the server's base URL) and two documents in
/// its format, the second with one more flag (`extra`).
struct Kind {
    name: &'static str,
    source: fn(&str) -> String,
    before: &'static str,
    after: &'static str,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "file",
        source: |_| r#"{ kind = "file", path = "flags.json" }"#.to_owned(),
        before: r#"{"flags": {"new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}}}"#,
        after: r#"{"flags": {"new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
                             "extra": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#,
    },
    Kind {
        name: "url",
        source: |base| format!(r#"{{ kind = "url", url = "{base}/flags.json" }}"#),
        before: r#"{"flags": {"new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}}}"#,
        after: r#"{"flags": {"new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
                             "extra": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#,
    },
    Kind {
        name: "openfeature-api",
        source: |base| format!(r#"{{ kind = "openfeature-api", url = "{base}" }}"#),
        before: r#"{"flags": [{"key": "new-checkout", "type": "boolean", "defaultValue": false}]}"#,
        after: r#"{"flags": [{"key": "new-checkout", "type": "boolean", "defaultValue": false},
                             {"key": "extra", "type": "boolean", "defaultValue": true}]}"#,
    },
    Kind {
        name: "ofrep",
        source: |base| format!(r#"{{ kind = "ofrep", url = "{base}" }}"#),
        before: r#"{"flags": [{"key": "new-checkout", "value": false, "reason": "STATIC", "variant": "off"}]}"#,
        after: r#"{"flags": [{"key": "new-checkout", "value": false, "reason": "STATIC", "variant": "off"},
                             {"key": "extra", "value": true, "reason": "STATIC", "variant": "on"}]}"#,
    },
    Kind {
        name: "flipt",
        source: |base| format!(r#"{{ kind = "flipt", url = "{base}", namespace = "shop" }}"#),
        before: r#"{"namespace": {"key": "shop"}, "flags": [{"key": "new-checkout", "type": "BOOLEAN_FLAG_TYPE", "enabled": false}]}"#,
        after: r#"{"namespace": {"key": "shop"}, "flags": [{"key": "new-checkout", "type": "BOOLEAN_FLAG_TYPE", "enabled": false},
                                                          {"key": "extra", "type": "BOOLEAN_FLAG_TYPE", "enabled": true}]}"#,
    },
    Kind {
        name: "go-feature-flag",
        source: |base| {
            format!(
                r#"{{ kind = "go-feature-flag", url = "{base}", flags = ["new-checkout", "extra"] }}"#
            )
        },
        before: r#"{"flags": {"new-checkout": {"variations": {"on": true, "off": false}, "defaultRule": {"variation": "off"}}}}"#,
        after: r#"{"flags": {"new-checkout": {"variations": {"on": true, "off": false}, "defaultRule": {"variation": "off"}},
                             "extra": {"variations": {"on": true}, "defaultRule": {"variation": "on"}}}}"#,
    },
    Kind {
        name: "flagship",
        source: |base| {
            format!(
                r#"{{ kind = "flagship", account-id = "acc", app-id = "app", base-url = "{base}" }}"#
            )
        },
        before: r#"{"flags": {"new-checkout": {"key": "new-checkout", "enabled": true, "default_variation": "off", "variations": {"on": true, "off": false}, "rules": []}}}"#,
        after: r#"{"flags": {"new-checkout": {"key": "new-checkout", "enabled": true, "default_variation": "off", "variations": {"on": true, "off": false}, "rules": []},
                             "extra": {"key": "extra", "enabled": true, "default_variation": "on", "variations": {"on": true}, "rules": []}}}"#,
    },
];

/// Runs every command but `sync`, and two builds, in `krate`; asserts that no file of the
/// crate changed (the lock included, or its absence). Returns the outputs of the commands.
fn run_all_and_compare(kind: &str, state: &str, krate: &FakeCrate, out: &Path) -> Vec<Output> {
    let before = krate.files();
    let lock = krate.lock_bytes();
    let mut outputs = Vec::new();
    for (args, env) in COMMANDS {
        let output = flags(krate, args, env);
        // Errors are fine (a missing lock, an unreachable source in strict mode); a crash is
        // not.
        assert!(
            matches!(output.status.code(), Some(0..=2)),
            "{kind}, {state}: `flags {}` ended with {:?}: {}",
            args.join(" "),
            output.status,
            stderr(&output)
        );
        assert_eq!(
            krate.lock_bytes(),
            lock,
            "{kind}, {state}: `flags {}` changed the lock: {}",
            args.join(" "),
            stderr(&output)
        );
        outputs.push(output);
    }
    for check in [false, true] {
        let _ = build(krate, out, check);
        assert_eq!(
            krate.lock_bytes(),
            lock,
            "{kind}, {state}: a build (check: {check}) changed the lock"
        );
    }
    assert_eq!(
        krate.files().keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "{kind}, {state}: files were created or removed"
    );
    assert!(
        krate.files() == before,
        "{kind}, {state}: a file of the crate changed"
    );
    outputs
}

/// The output of `flags check` (the first command) in a run.
fn check_of(outputs: &[Output]) -> &Output {
    &outputs[0]
}

fn every_state_of(kind: &Kind) {
    let server = Server::start(Reply::json(kind.before));
    let krate = fake_crate(kind.name, &(kind.source)(&server.url("")));
    let out = tempdir_for(kind.name);
    let is_file = kind.name == "file";
    if is_file {
        std::fs::write(krate.path().join("flags.json"), kind.before).unwrap();
    }

    // No lock.
    let outputs = run_all_and_compare(kind.name, "no lock", &krate, &out);
    assert!(krate.lock_bytes().is_none());
    let err = stderr(check_of(&outputs));
    assert!(err.contains("does not exist"), "{}: {err}", kind.name);

    // In step: a sync creates the lock.
    let synced = flags(&krate, &["sync"], &[]);
    assert!(
        synced.status.success(),
        "{}: {}",
        kind.name,
        stderr(&synced)
    );
    assert!(krate.lock_bytes().is_some());
    let outputs = run_all_and_compare(kind.name, "in step", &krate, &out);
    assert_eq!(
        check_of(&outputs).status.code(),
        Some(0),
        "{}: {}",
        kind.name,
        stderr(check_of(&outputs))
    );

    // Drifted: the source defines `extra`; check says so.
    if is_file {
        std::fs::write(krate.path().join("flags.json"), kind.after).unwrap();
    } else {
        server.serve(Reply::json(kind.after));
    }
    let outputs = run_all_and_compare(kind.name, "drifted", &krate, &out);
    let check = check_of(&outputs);
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}: {}",
        kind.name,
        stderr(check)
    );
    assert!(
        stderr(check).contains("+ added flag `extra` (boolean)"),
        "{}: {}",
        kind.name,
        stderr(check)
    );

    // The source cannot be reached (a file that is gone, a server that is down).
    if is_file {
        std::fs::remove_file(krate.path().join("flags.json")).unwrap();
    }
    server.stop();
    run_all_and_compare(kind.name, "unreachable", &krate, &out);

    // Unreachable, and no lock.
    std::fs::remove_file(krate.lock_path()).unwrap();
    run_all_and_compare(kind.name, "unreachable without a lock", &krate, &out);
    assert!(krate.lock_bytes().is_none());
    let _ = std::fs::remove_dir_all(&out);
}

fn tempdir_for(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "flags-cli-read-only-out-{}-{name}",
        std::process::id()
    ))
}

#[test]
fn no_command_but_sync_writes_the_lock_in_any_state_with_any_source() {
    // One thread per kind: most of the time is spent waiting on retries of the unreachable
    // state.
    std::thread::scope(|scope| {
        let handles: Vec<_> = KINDS
            .iter()
            .map(|kind| (kind.name, scope.spawn(|| every_state_of(kind))))
            .collect();
        for (name, handle) in handles {
            if let Err(panic) = handle.join() {
                eprintln!("source kind `{name}` failed");
                std::panic::resume_unwind(panic);
            }
        }
    });
}

#[test]
fn check_reports_unused_and_unknown_flags_against_the_committed_lock() {
    let krate = fake_crate("check-report", r#"{ kind = "file", path = "flags.json" }"#);
    std::fs::write(krate.path().join("flags.json"), KINDS[0].before).unwrap();
    std::fs::write(
        krate.path().join("src/lib.rs"),
        "pub const EXTRA: flags::FlagKey<bool> = flags::FlagKey::new(\"extra\", false);\n",
    )
    .unwrap();
    assert!(flags(&krate, &["sync"], &[]).status.success());
    let committed = krate.lock_bytes();

    // In step: `new-checkout` is unused, `extra` is unknown to the lock.
    let output = flags(&krate, &["check"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("1 flag in the lock used nowhere in the code:\n  - new-checkout\n"),
        "{err}"
    );
    assert!(
        err.contains("1 key used in the code but absent from the lock:\n  - extra"),
        "{err}"
    );

    // The file source now defines `extra` and drops `new-checkout`: check reports the drift,
    // and its report is still against the committed lock (read from it, not from the source,
    // and the lock is not rewritten to make it so).
    std::fs::write(
        krate.path().join("flags.json"),
        r#"{"flags": {"extra": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#,
    )
    .unwrap();
    let output = flags(&krate, &["check"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("- removed flag `new-checkout`"), "{err}");
    assert!(err.contains("+ added flag `extra`"), "{err}");
    assert!(
        err.contains("1 flag in the lock used nowhere in the code:\n  - new-checkout\n"),
        "{err}"
    );
    assert!(
        err.contains("1 key used in the code but absent from the lock:\n  - extra"),
        "{err}"
    );
    assert_eq!(krate.lock_bytes(), committed);

    // After a sync, the report follows the new lock.
    assert!(flags(&krate, &["sync"], &[]).status.success());
    let output = flags(&krate, &["check"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("every flag in the lock is used"),
        "{}",
        stderr(&output)
    );
}
