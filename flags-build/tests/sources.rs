//! Fetching a remote source from a build script's `flags_build::Config`, against servers the
//! tests start on 127.0.0.1: a build asked to sync, retries, bad, oversized and slow answers.
//! The syncs that run the `flags` command (every source kind, credentials from the
//! environment, offline, the command's messages) are in `flags-cli/tests/sources.rs`.

use flags_build::{Config, Error};
use flags_test_support::fake_crate::FakeCrate;
use flags_test_support::server::{Reply, Server};

/// A `Config` for `krate`, without this process's switches.
fn config(krate: &FakeCrate) -> Config {
    Config::new()
        .crate_root(krate.path())
        .check(false)
        .refresh(false)
        .offline(false)
        .strict(false)
}

const FLAGD: &str = r#"{
  "flags": {
    "new-checkout": { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off" },
    "upload-limit": { "state": "ENABLED", "variants": { "small": 10, "large": 100 }, "defaultVariant": "large" }
  }
}"#;

#[test]
fn a_build_asked_to_sync_fetches_and_reruns_while_asked() {
    let server = Server::start(Reply::json(FLAGD));
    let krate = FakeCrate::new(
        "build-sources",
        "build-sync",
        &[format!(
            r#"{{ kind = "url", url = "{}" }}"#,
            server.url("/f.json")
        )],
    );
    let mut directives = Vec::new();
    let synced = config(&krate)
        .refresh(true)
        .out_dir(krate.path().join("out"))
        .sync_to(&mut directives)
        .unwrap();
    assert!(synced.fetched && synced.lock_written);
    assert_eq!(server.count(), 1);
    // A path that never exists makes Cargo re-run the script on every build.
    let text = String::from_utf8(directives).unwrap();
    let always = krate.path().join("flags.lock.always-refresh");
    assert!(!always.exists());
    assert!(
        text.contains(&format!("cargo:rerun-if-changed={}", always.display())),
        "{text}"
    );
}

#[test]
fn server_errors_are_retried_and_client_errors_are_not() {
    let server = Server::start(Reply::status(503));
    let krate = FakeCrate::new(
        "build-sources",
        "retries",
        &[format!(
            r#"{{ kind = "url", url = "{}" }}"#,
            server.url("/f.json")
        )],
    );
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    assert!(error.to_string().contains("503"), "{error}");
    assert_eq!(server.count(), 3, "a first attempt and two retries");

    server.serve(Reply::status(404).body("no such file"));
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    assert!(
        error.to_string().contains("404 Not Found: no such file"),
        "{error}"
    );
    assert_eq!(server.count(), 4, "a 404 is not retried");

    // A transient failure then success: the sync succeeds.
    server.serve(Reply::status(500));
    server.then(Reply::json(FLAGD));
    let synced = config(&krate).refresh(true).sync_lock().unwrap();
    assert!(synced.lock_written);
    assert_eq!(server.count(), 6);
}

#[test]
fn bad_answers_are_errors_even_with_a_lock() {
    let server = Server::start(Reply::json(FLAGD));
    let krate = FakeCrate::new(
        "build-sources",
        "bad-answers",
        &[format!(
            r#"{{ kind = "ofrep", url = "{}" }}"#,
            server.url("")
        )],
    );
    // An OFREP endpoint that answers a flagd file.
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("expected a ofrep document, but the answer looks like flagd"),
        "{error}"
    );
    // Not JSON.
    server.serve(Reply::status(200).body("<html>"));
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    assert!(error.to_string().contains("not JSON"), "{error}");
    // Invalid definitions: the flag is named.
    server.serve(Reply::json(
        r#"{ "flags": [ { "key": "broken", "value": [1, 2], "reason": "STATIC" } ] }"#,
    ));
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    assert!(error.to_string().contains("broken"), "{error}");
    assert!(!krate.lock_path().exists());
}

#[test]
fn an_oversized_or_slow_answer_is_refused() {
    // Larger than the 32 MiB limit: refused on its announced length.
    let server = Server::start(Reply::json(&" ".repeat((32 << 20) + 1)));
    let krate = FakeCrate::new(
        "build-sources",
        "oversized",
        &[format!(
            r#"{{ kind = "url", url = "{}" }}"#,
            server.url("/f.json")
        )],
    );
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    assert!(error.to_string().contains("larger than 32 MiB"), "{error}");
    assert!(
        matches!(
            error,
            Error::Fetch {
                unreachable: false,
                ..
            }
        ),
        "{error:?}"
    );

    // Slower than the source's timeout: a transport failure, so a warning while a lock exists.
    let server = Server::start(Reply::json(FLAGD).delay(std::time::Duration::from_millis(800)));
    let krate = FakeCrate::new(
        "build-sources",
        "slow",
        &[format!(
            r#"{{ kind = "url", url = "{}", timeout-ms = 100 }}"#,
            server.url("/f.json")
        )],
    );
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(!krate.lock_path().exists());
}
