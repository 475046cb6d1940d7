//! Every source, switch and failure of a sync, against servers the tests start on 127.0.0.1.
//!
//! Credentials come from the environment, so syncs that send them run the `flags` command as a
//! child process with its own environment (a test never changes its own). The others call
//! `flags_build::Config` directly. What a build script's sync alone does with a remote source
//! (retries, bad, oversized and slow answers) is tested in `flags-build/tests/sources.rs`.

use std::path::Path;
use std::process::{Command, Output};

use flags_build::{Config, Error, Source};
use flags_schema::{Format, Manifest, SourceKind};
use flags_test_support::fake_crate::FakeCrate;
use flags_test_support::server::{Reply, Server};
use serde_json::{Value, json};

/// `flags <args>` run in `krate` with `env` (and none of this process's switches).
fn flags(krate: &FakeCrate, args: &[&str], env: &[(&str, &str)]) -> Output {
    krate.run(env!("CARGO_BIN_EXE_flags"), args, env)
}

/// The lock `krate` has.
fn lock_of(krate: &FakeCrate) -> Manifest {
    Manifest::from_lock_str(&krate.lock_text(), "flags.lock.json").unwrap()
}

/// A `Config` for `krate`, without this process's switches.
fn config(krate: &FakeCrate) -> Config {
    Config::new()
        .crate_root(krate.path())
        .check(false)
        .refresh(false)
        .offline(false)
        .strict(false)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

fn keys(manifest: &Manifest) -> Vec<&str> {
    manifest.flags.keys().map(String::as_str).collect()
}

fn body(exchange: &flags_test_support::server::Exchange) -> Value {
    serde_json::from_slice(&exchange.request.body).unwrap()
}

const FLAGD: &str = r#"{
  "flags": {
    "new-checkout": { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off" },
    "upload-limit": { "state": "ENABLED", "variants": { "small": 10, "large": 100 }, "defaultVariant": "large" }
  }
}"#;

const FLAGD_MORE: &str = r#"{
  "flags": {
    "new-checkout": { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off" },
    "upload-limit": { "state": "ENABLED", "variants": { "small": 10, "large": 100 }, "defaultVariant": "large" },
    "greeting": { "state": "ENABLED", "variants": { "casual": "Hi" }, "defaultVariant": "casual" }
  }
}"#;

// ---------------------------------------------------------------------------------------------
// Each source

#[test]
fn a_flag_file_over_http_with_a_token_from_the_environment() {
    let server = Server::start(Reply::json(FLAGD));
    let url = server.url("/config/flags.json?ref=main");
    let krate = FakeCrate::new(
        "cli-sources",
        "url",
        &[format!(
            r#"{{ kind = "url", url = "{url}", token-env = "TEST_FLAGS_TOKEN", headers = {{ "X-Team" = "TEST_TEAM" }} }}"#
        )],
    );
    let output = flags(
        &krate,
        &["sync"],
        &[
            ("TEST_FLAGS_TOKEN", "tok-abc123"),
            ("TEST_TEAM", "payments"),
        ],
    );
    assert_success(&output);
    let lock = lock_of(&krate);
    assert_eq!(keys(&lock), ["new-checkout", "upload-limit"]);
    let [source] = lock.sources.as_slice() else {
        panic!("{:?}", lock.sources)
    };
    assert_eq!(source.kind, SourceKind::Url);
    assert_eq!(source.format, Format::Flagd);
    // The query string is dropped from the recorded location: it is where signed URLs keep
    // their credentials.
    assert_eq!(
        source.location.as_deref(),
        Some(server.url("/config/flags.json").as_str())
    );
    assert_eq!(source.fetched_at.as_deref(), Some("2026-11-18T11:06:40Z"));
    assert_eq!(lock.content_hash, Some(lock.compute_hash()));
    let text = krate.lock_text();
    assert!(!text.contains("tok-abc123") && !text.contains("payments"));
    assert!(text.ends_with("}\n"));

    let exchanges = server.exchanges();
    assert_eq!(exchanges.len(), 1);
    let request = &exchanges[0].request;
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/config/flags.json?ref=main");
    assert_eq!(request.header("authorization"), Some("Bearer tok-abc123"));
    assert_eq!(request.header("x-team"), Some("payments"));
    assert_eq!(request.header("accept"), Some("application/json"));
}

#[test]
fn the_lock_is_rewritten_only_when_the_definitions_change() {
    let server = Server::start(Reply::json(FLAGD));
    let krate = FakeCrate::new(
        "cli-sources",
        "unchanged",
        &[format!(
            r#"{{ kind = "url", url = "{}" }}"#,
            server.url("/f.json")
        )],
    );
    assert_success(&flags(&krate, &["sync"], &[]));
    let first = krate.lock_text();

    // A later fetch of the same definitions keeps the lock, and its fetch time, as it is.
    let output = flags(&krate, &["sync"], &[("SOURCE_DATE_EPOCH", "1800000000")]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("up to date"),
        "{}",
        stderr(&output)
    );
    assert_eq!(krate.lock_text(), first);

    // New definitions: rewritten, with the new fetch time, and the change is shown.
    server.serve(Reply::json(FLAGD_MORE));
    let output = flags(&krate, &["sync"], &[("SOURCE_DATE_EPOCH", "1800000000")]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ added flag `greeting` (string)"),
        "{}",
        stderr(&output)
    );
    let lock = lock_of(&krate);
    assert_eq!(keys(&lock), ["greeting", "new-checkout", "upload-limit"]);
    assert_eq!(
        lock.sources[0].fetched_at.as_deref(),
        Some("2027-01-15T08:00:00Z")
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn openfeature_manifest_api() {
    let server = Server::start(Reply::json(
        r#"{ "flags": [
            { "key": "search-rollout", "name": "Search", "type": "boolean", "defaultValue": false },
            { "key": "page-size", "type": "integer", "defaultValue": 20, "description": "Items per page" }
        ] }"#,
    ));
    let krate = FakeCrate::new(
        "cli-sources",
        "openfeature-api",
        &[format!(
            r#"{{ kind = "openfeature-api", url = "{}/", token-env = "TEST_MANIFEST_TOKEN" }}"#,
            server.url("")
        )],
    );
    assert_success(&flags(
        &krate,
        &["sync"],
        &[("TEST_MANIFEST_TOKEN", "m-token")],
    ));
    let lock = lock_of(&krate);
    assert_eq!(keys(&lock), ["page-size", "search-rollout"]);
    assert_eq!(
        lock.flags["page-size"].flag_type,
        flags_schema::FlagType::Integer
    );
    assert_eq!(lock.sources[0].kind, SourceKind::OpenfeatureApi);
    assert_eq!(lock.sources[0].format, Format::OpenfeatureApi);
    let request = &server.exchanges()[0].request;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/openfeature/v0/manifest")
    );
    assert_eq!(request.header("authorization"), Some("Bearer m-token"));
}

#[test]
fn ofrep_bulk_evaluation_under_the_configured_context() {
    let server = Server::start(Reply::json(
        r#"{ "flags": [
            { "key": "beta", "value": true, "reason": "STATIC", "variant": "on" },
            { "key": "page-size", "value": 25, "reason": "SPLIT", "variant": "medium" },
            { "key": "rate", "value": 0.5, "reason": "STATIC", "variant": "half" },
            { "key": "banner", "value": { "title": "Sale" }, "reason": "DEFAULT", "variant": "sale" }
        ] }"#,
    ));
    let krate = FakeCrate::new(
        "cli-sources",
        "ofrep",
        &[format!(
            r#"{{ kind = "ofrep", url = "{}", context = {{ targetingKey = "build", plan = "premium" }}, api-key-env = "TEST_OFREP_KEY" }}"#,
            server.url("")
        )],
    );
    assert_success(&flags(&krate, &["sync"], &[("TEST_OFREP_KEY", "k-1")]));
    let lock = lock_of(&krate);
    use flags_schema::FlagType::*;
    let types: Vec<_> = lock.flags.values().map(|f| f.flag_type).collect();
    // banner, beta, page-size (integral → integer), rate.
    assert_eq!(types, [Object, Boolean, Integer, Float]);
    let exchange = &server.exchanges()[0];
    assert_eq!(exchange.request.method, "POST");
    assert_eq!(exchange.request.path, "/ofrep/v1/evaluate/flags");
    assert_eq!(exchange.request.header("x-api-key"), Some("k-1"));
    assert_eq!(
        exchange.request.header("content-type"),
        Some("application/json")
    );
    assert_eq!(
        body(exchange),
        json!({ "context": { "targetingKey": "build", "plan": "premium" } })
    );
}

#[test]
fn flipt_namespace_snapshot() {
    let server = Server::start(Reply::json(
        r#"{ "namespace": { "key": "shop" }, "flags": [
            { "key": "new-checkout", "type": "BOOLEAN_FLAG_TYPE", "enabled": true },
            { "key": "theme", "type": "VARIANT_FLAG_TYPE", "enabled": true,
              "defaultVariant": { "id": "1", "key": "light" },
              "rules": [ { "distributions": [ { "variantKey": "dark", "rollout": 50,
                                                 "variantAttachment": "{\"background\":\"black\"}" } ] } ] }
        ] }"#,
    ));
    let krate = FakeCrate::new(
        "cli-sources",
        "flipt",
        &[format!(
            r#"{{ kind = "flipt", url = "{}", namespace = "shop", environment = "production", reference = "main", token-env = "TEST_FLIPT_TOKEN" }}"#,
            server.url("")
        )],
    );
    assert_success(&flags(
        &krate,
        &["sync"],
        &[("TEST_FLIPT_TOKEN", "f-token")],
    ));
    let lock = lock_of(&krate);
    assert_eq!(keys(&lock), ["new-checkout", "theme"]);
    assert_eq!(lock.flags["theme"].default, Some(json!("light")));
    // Its variants carry attachments: the lock says so, for the derive.
    assert!(lock.flags["theme"].attachments);
    assert!(krate.lock_text().contains("\"attachments\": true"));
    assert!(!lock.flags["new-checkout"].attachments);
    assert_eq!(lock.sources[0].kind, SourceKind::Flipt);
    let request = &server.exchanges()[0].request;
    assert_eq!(
        request.path,
        "/internal/v1/evaluation/snapshot/namespace/shop?reference=main"
    );
    assert_eq!(request.header("x-flipt-environment"), Some("production"));
    assert_eq!(
        request.header("x-flipt-accept-server-version"),
        Some("1.47.0")
    );
    assert_eq!(request.header("authorization"), Some("Bearer f-token"));
}

#[test]
fn flagkit_init_answer_with_the_key_from_the_environment() {
    let server = Server::start(Reply::json(
        r#"{ "flags": [
            { "key": "new-checkout", "value": true, "enabled": true, "flagType": "boolean", "version": 2 },
            { "key": "upload-limit", "value": 100, "enabled": true, "flagType": "number" },
            { "key": "legacy-cart", "value": false, "enabled": false, "flagType": "boolean" }
        ], "environmentId": "env_1", "serverTime": "2026-12-05T03:00:00Z" }"#,
    ));
    let krate = FakeCrate::new(
        "cli-sources",
        "flagkit",
        &[format!(
            r#"{{ kind = "flagkit", url = "{}/api/v1", api-key-env = "TEST_FLAGKIT_KEY" }}"#,
            server.url("")
        )],
    );
    let key = "sdk_lock_never_holds_this";
    assert_success(&flags(&krate, &["sync"], &[("TEST_FLAGKIT_KEY", key)]));
    let lock = lock_of(&krate);
    assert_eq!(keys(&lock), ["legacy-cart", "new-checkout", "upload-limit"]);
    assert_eq!(
        lock.flags["upload-limit"].flag_type,
        flags_schema::FlagType::Integer
    );
    assert_eq!(lock.flags["upload-limit"].default, Some(json!(100)));
    assert_eq!(
        lock.flags["legacy-cart"].state,
        flags_schema::FlagState::Disabled
    );
    assert_eq!(lock.sources[0].kind, SourceKind::FlagKit);
    assert_eq!(lock.sources[0].format, Format::FlagKit);
    let request = &server.exchanges()[0].request;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/api/v1/sdk/init")
    );
    assert_eq!(request.header("x-api-key"), Some(key));
    assert!(
        !krate.lock_text().contains(key),
        "the key never reaches the lock"
    );
    // `flags check` agrees with the service it synced from.
    assert_success(&flags(&krate, &["check"], &[("TEST_FLAGKIT_KEY", key)]));
}

#[test]
fn go_feature_flag_relay_proxy() {
    let server = Server::start(Reply::json(
        r#"{ "flags": {
            "new-checkout": { "variations": { "on": true, "off": false }, "defaultRule": { "variation": "off" } },
            "page-size": { "variations": { "small": 10, "big": 50 }, "defaultRule": { "percentage": { "small": 50, "big": 50 } } }
        } }"#,
    ));
    let krate = FakeCrate::new(
        "cli-sources",
        "goff",
        &[format!(
            r#"{{ kind = "go-feature-flag", url = "{}", flags = ["new-checkout", "page-size"], api-key-env = "TEST_GOFF_KEY" }}"#,
            server.url("")
        )],
    );
    assert_success(&flags(&krate, &["sync"], &[("TEST_GOFF_KEY", "g-key")]));
    let lock = lock_of(&krate);
    assert_eq!(lock.flags["new-checkout"].default, Some(json!(false)));
    // A split default rule defers to the code default.
    assert_eq!(lock.flags["page-size"].default, None);
    assert_eq!(lock.sources[0].kind, SourceKind::GoFeatureFlag);
    let exchange = &server.exchanges()[0];
    assert_eq!(exchange.request.method, "POST");
    assert_eq!(exchange.request.path, "/v1/flag/configuration");
    assert_eq!(exchange.request.header("x-api-key"), Some("g-key"));
    assert_eq!(
        body(exchange),
        json!({ "flags": ["new-checkout", "page-size"] })
    );
}

#[test]
fn cloudflare_flagship_definitions() {
    let server = Server::start(Reply::json(
        r#"{ "flags": {
            "new-checkout": { "key": "new-checkout", "enabled": true, "default_variation": "off",
                              "variations": { "on": true, "off": false }, "rules": [] }
        } }"#,
    ));
    let krate = FakeCrate::new(
        "cli-sources",
        "flagship",
        &[format!(
            r#"{{ kind = "flagship", account-id = "acc/1", app-id = "my app", base-url = "{}", token-env = "TEST_CF_TOKEN" }}"#,
            server.url("")
        )],
    );
    assert_success(&flags(&krate, &["sync"], &[("TEST_CF_TOKEN", "cf-token")]));
    assert_eq!(keys(&lock_of(&krate)), ["new-checkout"]);
    let request = &server.exchanges()[0].request;
    assert_eq!(
        request.path,
        "/client/v4/accounts/acc%2F1/flagship/apps/my%20app/definitions"
    );
    assert_eq!(request.header("authorization"), Some("Bearer cf-token"));

    // The same from a full evaluate endpoint.
    let krate = FakeCrate::new(
        "cli-sources",
        "flagship-endpoint",
        &[format!(
            r#"{{ kind = "flagship", endpoint = "{}" }}"#,
            server.url("/edge/app/evaluate")
        )],
    );
    assert_success(&flags(&krate, &["sync"], &[]));
    assert_eq!(server.exchanges()[1].request.path, "/edge/app/definitions");
}

#[test]
fn sources_are_merged_and_a_type_conflict_is_an_error() {
    let server = Server::start(Reply::json(
        r#"{ "flags": [ { "key": "page-size", "type": "integer", "defaultValue": 20 } ] }"#,
    ));
    let krate = FakeCrate::new(
        "cli-sources",
        "merge",
        &[
            r#"{ kind = "file", path = "flags.json" }"#.to_owned(),
            format!(
                r#"{{ kind = "openfeature-api", url = "{}" }}"#,
                server.url("")
            ),
        ],
    );
    krate.write("flags.json", FLAGD);
    assert_success(&flags(&krate, &["sync"], &[]));
    let lock = lock_of(&krate);
    assert_eq!(keys(&lock), ["new-checkout", "page-size", "upload-limit"]);
    let kinds: Vec<_> = lock.sources.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [SourceKind::File, SourceKind::OpenfeatureApi]);
    assert_eq!(lock.sources[0].location.as_deref(), Some("flags.json"));
    assert_eq!(lock.sources[0].fetched_at, None);
    assert!(lock.sources[1].fetched_at.is_some());

    // `upload-limit` is an integer in the file and a string on the server.
    server.serve(Reply::json(
        r#"{ "flags": [ { "key": "upload-limit", "type": "string", "defaultValue": "big" } ] }"#,
    ));
    let output = flags(&krate, &["sync"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains(
            "flag `upload-limit` is integer in file `flags.json` but string in openfeature-api"
        ),
        "{err}"
    );
    assert_eq!(
        keys(&lock_of(&krate)),
        ["new-checkout", "page-size", "upload-limit"]
    );
}

// ---------------------------------------------------------------------------------------------
// Credentials

#[test]
fn credentials_never_reach_messages_or_the_lock() {
    // The server echoes what it was sent, as a careless one might.
    let server =
        Server::start(Reply::status(401).body(r#"{ "errorDetails": "bad token tok-SECRET-42" }"#));
    let krate = FakeCrate::new(
        "cli-sources",
        "secret",
        &[format!(
            r#"{{ kind = "url", url = "{}", token-env = "TEST_SECRET_TOKEN" }}"#,
            server.url("/flags.json")
        )],
    );
    let output = flags(&krate, &["sync"], &[("TEST_SECRET_TOKEN", "tok-SECRET-42")]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("401"), "{err}");
    assert!(err.contains("`TEST_SECRET_TOKEN`"), "{err}");
    assert!(!err.contains("tok-SECRET-42"), "{err}");
    assert!(err.contains("[redacted]"), "{err}");
    assert!(!krate.lock_path().exists());

    // A credential in a URL written in the configuration is refused before any request.
    let krate = FakeCrate::new(
        "cli-sources",
        "userinfo",
        &[format!(
            r#"{{ kind = "url", url = "http://user:pw@{}/flags.json" }}"#,
            server.addr()
        )],
    );
    let before = server.connections();
    let output = flags(&krate, &["sync"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("carries credentials"), "{err}");
    assert!(!err.contains("pw@"), "{err}");
    assert_eq!(server.connections(), before);

    // An unset variable is named, with what it is for.
    let krate = FakeCrate::new(
        "cli-sources",
        "unset",
        &[format!(
            r#"{{ kind = "url", url = "{}", token-env = "TEST_UNSET_VAR_XYZ" }}"#,
            server.url("/flags.json")
        )],
    );
    let err = stderr(&flags(&krate, &["sync"], &[]));
    assert!(
        err.contains("`TEST_UNSET_VAR_XYZ` is not set; it holds the credentials of url"),
        "{err}"
    );

    // `Debug` of a source names variables, never values.
    let source = Source::url("http://127.0.0.1:1/f.json").bearer_token_env("TEST_SECRET_TOKEN");
    assert!(format!("{source:?}").contains("TEST_SECRET_TOKEN"));
}

#[test]
fn a_signed_url_from_the_environment_is_recorded_without_its_query() {
    let server = Server::start(Reply::json(FLAGD));
    let krate = FakeCrate::new(
        "cli-sources",
        "url-env",
        &[r#"{ kind = "url", url-env = "TEST_SIGNED_URL" }"#.to_owned()],
    );
    let signed = server.url("/bucket/flags.json?X-Signature=abcdef123456");
    assert_success(&flags(&krate, &["sync"], &[("TEST_SIGNED_URL", &signed)]));
    let text = krate.lock_text();
    assert!(!text.contains("abcdef123456"), "{text}");
    assert_eq!(
        lock_of(&krate).sources[0].location.as_deref(),
        Some(server.url("/bucket/flags.json").as_str())
    );
    assert_eq!(
        server.exchanges()[0].request.path,
        "/bucket/flags.json?X-Signature=abcdef123456"
    );
}

// ---------------------------------------------------------------------------------------------
// Offline by default

#[test]
fn an_offline_build_never_connects() {
    let server = Server::start(Reply::json(FLAGD));
    let krate = FakeCrate::new(
        "cli-sources",
        "offline",
        &[format!(
            r#"{{ kind = "url", url = "{}" }}"#,
            server.url("/f.json")
        )],
    );
    // No lock, not asked: an error naming the command, and no connection.
    let error = config(&krate).sync_lock().unwrap_err();
    assert!(matches!(error, Error::MissingLock { .. }), "{error:?}");
    assert!(error.to_string().contains("`flags sync`"), "{error}");
    assert_eq!(server.connections(), 0);

    // Asked, but offline: still none.
    let error = config(&krate)
        .refresh(true)
        .offline(true)
        .sync_lock()
        .unwrap_err();
    assert!(error.to_string().contains("forbidden"), "{error}");
    let output = flags(&krate, &["sync"], &[("FLAGS_OFFLINE", "1")]);
    assert_eq!(output.status.code(), Some(2));
    let output = flags(&krate, &["sync", "--offline"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let output = flags(&krate, &["sync"], &[("CARGO_NET_OFFLINE", "true")]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(server.connections(), 0);

    // With a lock, a build (not asked) reads it and connects to nothing.
    assert_success(&flags(&krate, &["sync"], &[]));
    let connections = server.connections();
    assert_eq!(connections, 1);
    let out = krate.path().join("out");
    let mut directives = Vec::new();
    let synced = config(&krate)
        .out_dir(&out)
        .sync_to(&mut directives)
        .unwrap();
    assert!(!synced.fetched && !synced.lock_written);
    assert_eq!(keys(&synced.manifest), ["new-checkout", "upload-limit"]);
    assert!(out.join("flags.lock.json").is_file());
    // Check mode offline: a warning, no connection.
    let synced = config(&krate)
        .check(true)
        .offline(true)
        .sync_lock()
        .unwrap();
    assert!(
        synced.warnings[0].contains("offline"),
        "{:?}",
        synced.warnings
    );
    assert_eq!(server.connections(), connections);
    // ... and an error when strict.
    assert!(
        config(&krate)
            .check(true)
            .offline(true)
            .strict(true)
            .sync_lock()
            .is_err()
    );
    assert_eq!(server.connections(), connections);

    // Asked: it connects.
    let synced = config(&krate).refresh(true).sync_lock().unwrap();
    assert!(synced.fetched);
    assert_eq!(server.connections(), connections + 1);
    let text = String::from_utf8(directives).unwrap();
    assert!(
        text.contains("cargo:rerun-if-env-changed=FLAGS_SYNC"),
        "{text}"
    );
}

#[test]
fn an_unreachable_source_warns_while_a_lock_exists() {
    let server = Server::start(Reply::json(FLAGD));
    let krate = FakeCrate::new(
        "cli-sources",
        "unreachable",
        &[format!(
            r#"{{ kind = "url", url = "{}" }}"#,
            server.url("/f.json")
        )],
    );
    assert_success(&flags(&krate, &["sync"], &[]));
    let before = krate.lock_text();
    server.stop();

    let output = flags(&krate, &["sync"], &[]);
    assert_success(&output);
    let err = stderr(&output);
    assert!(err.starts_with("warning: url `http://127.0.0.1:"), "{err}");
    assert!(err.contains("is used as it is"), "{err}");
    assert_eq!(krate.lock_text(), before);
    // In a build script the warning goes to Cargo.
    let mut directives = Vec::new();
    config(&krate)
        .refresh(true)
        .out_dir(krate.path().join("out"))
        .sync_to(&mut directives)
        .unwrap();
    let text = String::from_utf8(directives).unwrap();
    assert!(
        text.contains("cargo:warning=url `http://127.0.0.1:"),
        "{text}"
    );

    // Strict: an error.
    let output = flags(&krate, &["sync", "--strict"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = flags(&krate, &["sync"], &[("FLAGS_STRICT", "1")]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(krate.lock_text(), before);

    // No lock: an error that says how to make one.
    std::fs::remove_file(krate.lock_path()).unwrap();
    let output = flags(&krate, &["sync"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("does not exist") && err.contains("`flags sync`"),
        "{err}"
    );
}

#[test]
fn a_bad_answer_names_its_source_once() {
    let server = Server::start(Reply::json(r#"{ "hello": "world" }"#));
    let url = server.url("/f.json");
    let krate = FakeCrate::new(
        "cli-sources",
        "bad-answer-once",
        &[format!(r#"{{ kind = "url", url = "{url}" }}"#)],
    );

    // Not a flag definition file: the URL once, at the front.
    let output = flags(&krate, &["sync"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("error: url `{url}`: not a flag definition file: ")),
        "{err}"
    );
    assert_eq!(err.matches(&url).count(), 1, "{err}");

    // A flag that cannot be imported: the URL once, then the flag.
    server.serve(Reply::json(
        r#"{ "flags": { "mixed": { "state": "ENABLED", "variants": { "on": true, "n": 3 }, "defaultVariant": "on" } } }"#,
    ));
    let error = config(&krate).refresh(true).sync_lock().unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("url `{url}`: flag `mixed`: ")),
        "{message}"
    );
    assert_eq!(message.matches(&url).count(), 1, "{message}");
    assert!(!krate.lock_path().exists());
}

// ---------------------------------------------------------------------------------------------
// The command

#[test]
fn check_fails_on_drift_with_a_readable_diff() {
    let server = Server::start(Reply::json(FLAGD));
    let krate = FakeCrate::new(
        "cli-sources",
        "check",
        &[format!(
            r#"{{ kind = "url", url = "{}" }}"#,
            server.url("/f.json")
        )],
    );
    assert_success(&flags(&krate, &["sync"], &[]));
    assert_success(&flags(&krate, &["check", "--no-scan"], &[]));

    let renamed = FLAGD_MORE
        .replace("new-checkout", "checkout-v2")
        .replace(r#""small": 10"#, r#""small": 5"#)
        .replace(
            r#""defaultVariant": "large""#,
            r#""defaultVariant": "small""#,
        );
    server.serve(Reply::json(&renamed));
    let before = krate.lock_text();
    let output = flags(&krate, &["check", "--no-scan"], &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for line in [
        "+ added flag `checkout-v2` (boolean)",
        "+ added flag `greeting` (string)",
        "- removed flag `new-checkout` (boolean)",
        "~ flag `upload-limit`: default 100 → 5",
        "~ flag `upload-limit`: variants changed `small`",
        "run `flags sync`",
    ] {
        assert!(err.contains(line), "{line} in {err}");
    }
    assert_eq!(krate.lock_text(), before, "check wrote the lock");

    assert_success(&flags(&krate, &["sync"], &[]));
    assert_success(&flags(&krate, &["check", "--no-scan"], &[]));
}

#[test]
fn help_schema_export_and_errors() {
    let krate = FakeCrate::new(
        "cli-sources",
        "cmd",
        &[r#"{ kind = "file", path = "flags.json" }"#.to_owned()],
    );
    krate.write("flags.json", FLAGD);
    for args in [
        &["--help"][..],
        &["sync", "--help"],
        &["check", "--help"],
        &["schema", "--help"],
        &["generate", "--help"],
        &["export", "--help"],
    ] {
        let output = flags(&krate, args, &[]);
        assert_success(&output);
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(out.contains("Usage: flags"), "{args:?}: {out}");
    }

    let output = flags(&krate, &["schema"], &[]);
    assert_success(&output);
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/manifest.schema.json"),
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), committed);

    assert_success(&flags(&krate, &["sync"], &[]));
    let output = flags(&krate, &["export", "--format", "openfeature"], &[]);
    assert_success(&output);
    let exported: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        exported["flags"]["upload-limit"],
        json!({ "flagType": "integer", "defaultValue": 100 })
    );
    let output = flags(
        &krate,
        &["export", "--format", "openfeature", "-o", "manifest.json"],
        &[],
    );
    assert_success(&output);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(krate.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(written, exported);
    // And what is exported imports back to the same flags and types.
    let back = flags_schema::import(&written, "manifest.json").unwrap();
    assert_eq!(keys(&back), keys(&lock_of(&krate)));

    let output = flags(&krate, &["export", "--format", "yaml"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let output = flags(&krate, &["frobnicate"], &[]);
    assert_eq!(output.status.code(), Some(2));

    // A bad configuration is named.
    krate.set_sources(&[r#"{ kind = "ftp" }"#.to_owned()]);
    let output = flags(&krate, &["sync"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown kind `ftp`"),
        "{}",
        stderr(&output)
    );

    // Outside a crate.
    let output = Command::new(env!("CARGO_BIN_EXE_flags"))
        .args(["sync", "--manifest-path", "/nonexistent/Cargo.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
}
