//! Cloudflare Flagship's definitions evaluated in process: the format on any source, and the
//! live source (`source::flagship`) against the fault server on 127.0.0.1.
#![cfg(feature = "http")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flags_runtime::LoadProblem as Problem;
use flags_runtime::remote::FlagshipConfigError;
use flags_runtime::{
    Client, Context, Error, ErrorCode, FlagKey, Format, ProviderEvent, ProviderStatus, Reason,
    WarningKind, source,
};
use flags_test_support::fault::{FaultServer, Reply};
use serde_json::{Value, json};
use support::{PATIENCE, TempDir, eventually, record};

const ACCOUNT: &str = "aaaabbbbccccdddd1111222233334444";
const PATH: &str =
    "/client/v4/accounts/aaaabbbbccccdddd1111222233334444/flagship/apps/my-app/definitions";

fn flagship() -> Format {
    Format::Flagship {
        account_id: ACCOUNT.into(),
    }
}

/// A Flagship definitions document of these flags.
fn definitions(flags: &[(&str, Value)]) -> String {
    let flags: serde_json::Map<String, Value> = flags
        .iter()
        .map(|(key, flag)| {
            let mut flag = flag.clone();
            flag["key"] = json!(key);
            (key.to_string(), flag)
        })
        .collect();
    json!({ "flags": flags }).to_string()
}

/// An enabled flag without rules serving `default` of `variations`.
fn plain(default: &str, variations: Value) -> Value {
    json!({ "enabled": true, "default_variation": default, "variations": variations, "rules": [] })
}

/// `limit` (small/large) serving `default`, and `theme`.
fn limits(default: &str) -> String {
    definitions(&[
        (
            "limit",
            plain(default, json!({ "small": 10, "large": 100 })),
        ),
        (
            "theme",
            plain("light", json!({ "light": "#fff", "dark": "#000" })),
        ),
    ])
}

fn limit() -> FlagKey<i64> {
    FlagKey::new("limit", 1)
}

fn ctx() -> Context {
    Context::new("user-1")
}

/// The live source against `server`, polling rarely: the tests drive polls with `refresh`.
fn live(server: &FaultServer) -> source::FlagshipSource {
    source::flagship(ACCOUNT, "my-app")
        .base_url(server.url(""))
        .refresh_interval(Duration::from_secs(3600))
        .retries(0)
}

fn ready(source: source::FlagshipSource) -> Client {
    let client = Client::builder().in_process(source).build().unwrap();
    client.wait_ready(PATIENCE).unwrap();
    client
}

// --- The format on any source ---------------------------------------------------------------

#[test]
fn a_file_read_as_flagship_serves_every_flag_but_the_broken_ones() {
    let dir = TempDir::new("flagship-file");
    let path = dir.write(
        "definitions.json",
        &definitions(&[
            ("limit", plain("large", json!({ "small": 10, "large": 100 }))),
            (
                "off",
                json!({ "enabled": false, "default_variation": "a", "variations": { "a": 5 } }),
            ),
            (
                "typo",
                json!({ "enabled": true, "default_variation": "lage", "variations": { "large": 1 } }),
            ),
            ("empty", json!({ "enabled": true, "default_variation": "a", "variations": {} })),
            (
                "misnamed",
                json!({ "enabled": true, "default_variation": "lage", "variations": { "large": 1 } }),
            ),
            ("label", plain("x", json!({ "x": "hello" }))),
        ]),
    );
    let client = Client::builder()
        .in_process(source::file(&path).format(flagship()))
        .build()
        .unwrap();
    let events = record(&client);
    let ready = events.next();
    assert_eq!(ready.event, ProviderEvent::Ready);
    let broken: Vec<_> = ready
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::ParseError)
        .map(|w| w.flag.clone().unwrap())
        .collect();
    assert_eq!(broken, ["empty", "misnamed", "typo"]);

    let details = client.details(limit(), &ctx());
    assert_eq!(details.value, 100);
    assert_eq!(details.variant.as_deref(), Some("large"));
    assert_eq!(details.reason, Reason::Static);
    // Disabled: the caller's default, no error.
    let off = client.details(FlagKey::<i64>::new("off", 7), &ctx());
    assert_eq!(off.error_code(), None);
    assert_eq!((off.value, off.reason), (7, Reason::Disabled));
    // A broken flag answers PARSE_ERROR, alone.
    for key in ["typo", "empty"] {
        let details = client.details(FlagKey::<i64>::new(key, 3), &ctx());
        assert_eq!(details.value, 3);
        assert_eq!(details.error_code(), Some(ErrorCode::ParseError), "{key}");
        let message = details.error_message().unwrap();
        assert!(
            message.starts_with(&format!("flag `{key}` cannot be evaluated: ")),
            "{message}"
        );
    }
    // A value of another type, an unknown key.
    let wrong = client.details(FlagKey::<bool>::new("label", false), &ctx());
    assert_eq!(wrong.error_code(), Some(ErrorCode::TypeMismatch));
    let missing = client.details(FlagKey::<bool>::new("nope", false), &ctx());
    assert_eq!(missing.error_code(), Some(ErrorCode::FlagNotFound));
    assert_eq!(
        client.value(FlagKey::<String>::new("label", String::new()), &ctx()),
        "hello"
    );

    // Fixing a broken flag is a change of that flag.
    dir.replace(
        "definitions.json",
        &definitions(&[
            ("limit", plain("large", json!({ "small": 10, "large": 100 }))),
            (
                "off",
                json!({ "enabled": false, "default_variation": "a", "variations": { "a": 5 } }),
            ),
            (
                "typo",
                json!({ "enabled": true, "default_variation": "large", "variations": { "large": 1 } }),
            ),
            ("empty", json!({ "enabled": true, "default_variation": "a", "variations": {} })),
            (
                "misnamed",
                json!({ "enabled": true, "default_variation": "lrge", "variations": { "large": 1 } }),
            ),
            ("label", plain("x", json!({ "x": "hello" }))),
        ]),
    );
    client.refresh().unwrap();
    let changed = events.next_of(ProviderEvent::ConfigurationChanged);
    // `misnamed` is as broken as it was, but names another variation: a change too.
    assert_eq!(changed.flags_changed, ["misnamed", "typo"]);
    let misnamed = client.details(FlagKey::<i64>::new("misnamed", 3), &ctx());
    assert!(misnamed.error_message().unwrap().contains("`lrge`"));
    assert_eq!(client.value(FlagKey::<i64>::new("typo", 3), &ctx()), 1);
}

#[test]
fn flagship_definitions_without_an_account_do_not_load_and_say_how_to_fix_it() {
    let dir = TempDir::new("flagship-no-account");
    let text = limits("large");
    let path = dir.write("definitions.json", &text);
    for source in [
        source::file(&path),
        source::file(&path).format(Format::Flagship {
            account_id: String::new(),
        }),
    ] {
        let error = Client::builder().in_process(source).build().unwrap_err();
        let Error::Load { error: load, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(load.problem(), Some(&Problem::AccountIdRequired));
        let message = error.to_string();
        assert!(
            message.contains("set `.format(flags::Format::Flagship { account_id: .. })`"),
            "{message}"
        );
    }
    // Inline JSON too.
    let error = Client::builder()
        .in_process(source::json(&text))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");

    // A live source that switches to Flagship definitions without the format: an error event,
    // and the last good configuration serves.
    let server = FaultServer::start();
    let flagd = r#"{"flags": {"limit": {"state": "ENABLED", "variants": {"a": 42}, "defaultVariant": "a"}}}"#;
    server.route("GET", "/flags.json", Reply::json(flagd));
    let client = Client::builder()
        .in_process(source::http(server.url("/flags.json")).interval(Duration::from_secs(3600)))
        .build()
        .unwrap();
    client.wait_ready(PATIENCE).unwrap();
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    server.route("GET", "/flags.json", Reply::json(&text));
    let error = client.refresh().unwrap_err();
    assert!(matches!(error, Error::Rejected { .. }), "{error:?}");
    let event = events.next();
    assert_eq!(event.event, ProviderEvent::Error);
    assert_eq!(event.error_code, Some(ErrorCode::ParseError));
    assert!(event.message.unwrap().contains("account_id"));
    assert_eq!(client.value(limit(), &ctx()), 42);
}

#[test]
fn bootstrap_and_persisted_copies_are_read_in_the_format() {
    let dir = TempDir::new("flagship-copies");
    let persisted = dir.path().join("last-good.json");
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::status(503));
    // Nothing persisted yet: the bootstrap, in Flagship's format, serves.
    let client = Client::builder()
        .in_process(live(&server).bootstrap(limits("small")).persist(&persisted))
        .build()
        .unwrap();
    assert_eq!(client.value(limit(), &ctx()), 10);
    assert!(client.wait_ready(PATIENCE).is_err(), "the server is down");
    assert_eq!(client.value(limit(), &ctx()), 10);

    // The server answers: persisted, as Flagship's JSON.
    server.route("GET", PATH, Reply::json(&limits("large")));
    client.refresh().unwrap();
    assert_eq!(client.value(limit(), &ctx()), 100);
    assert_eq!(
        std::fs::read_to_string(&persisted).unwrap(),
        limits("large")
    );
    client.shutdown();

    // A restart while the server is down serves the persisted copy, STALE.
    server.route("GET", PATH, Reply::status(503));
    let client = Client::builder()
        .in_process(live(&server).persist(&persisted))
        .build()
        .unwrap();
    let details = client.details(limit(), &ctx());
    assert_eq!((details.value, details.reason), (100, Reason::Stale));

    // Inline JSON and an HTTP flag file take the format too.
    let client = Client::builder()
        .in_process(source::json(limits("large")).format(flagship()))
        .build()
        .unwrap();
    assert_eq!(client.value(limit(), &ctx()), 100);
    server.route("GET", "/definitions.json", Reply::json(&limits("small")));
    let client = Client::builder()
        .in_process(
            source::http(server.url("/definitions.json"))
                .interval(Duration::from_secs(3600))
                .format(flagship()),
        )
        .build()
        .unwrap();
    client.wait_ready(PATIENCE).unwrap();
    assert_eq!(client.value(limit(), &ctx()), 10);
}

// --- The live source --------------------------------------------------------------------------

#[test]
fn polls_the_definitions_url_with_the_token_and_the_factory_headers() {
    let server = FaultServer::start();
    let path = "/api/client/v4/accounts/acc%2F1/flagship/apps/my%20app/definitions";
    server.route("GET", path, Reply::json(&limits("large")));
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let client = ready(
        source::flagship("acc/1", "my app")
            .base_url(format!("{}/api//", server.url("")))
            .refresh_interval(Duration::from_secs(3600))
            .auth_token("sekrit-token")
            .headers_factory(move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                let mut headers = vec![("x-request".to_owned(), format!("r{n}"))];
                if n > 0 {
                    headers.push(("Authorization".to_owned(), "Bearer rotated".to_owned()));
                }
                headers
            }),
    );
    assert_eq!(client.value(limit(), &ctx()), 100);
    client.refresh().unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, path);
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sekrit-token")
    );
    assert_eq!(requests[0].header("x-request"), Some("r0"));
    // Called per request; its `Authorization` wins over the token.
    assert_eq!(requests[1].header("authorization"), Some("Bearer rotated"));
    assert_eq!(requests[1].header("x-request"), Some("r1"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // The token never shows.
    let source = source::flagship("acc", "app").auth_token("sekrit-token");
    assert!(!format!("{source:?}").contains("sekrit"));
}

#[test]
fn an_evaluate_endpoint_gives_the_definitions_url_and_bad_settings_are_typed_errors() {
    let server = FaultServer::start();
    server.route("GET", "/x/definitions", Reply::json(&limits("large")));
    let client = ready(
        source::flagship(ACCOUNT, "ignored")
            .endpoint(server.url("/x/evaluate"))
            .refresh_interval(Duration::from_secs(3600)),
    );
    assert_eq!(client.value(limit(), &ctx()), 100);
    assert_eq!(server.requests()[0].path, "/x/definitions");

    let build =
        |source: source::FlagshipSource| Client::builder().in_process(source).build().unwrap_err();
    let typed = |error: Error| match error {
        Error::Flagship { error, .. } => error,
        other => panic!("{other:?}"),
    };
    let error = build(source::flagship(ACCOUNT, "app").endpoint(server.url("/x/flags")));
    assert!(
        error
            .to_string()
            .contains("`endpoint` must be a Flagship evaluate URL"),
        "{error}"
    );
    assert_eq!(typed(error), FlagshipConfigError::NotAnEvaluateEndpoint);
    assert!(matches!(
        typed(build(
            source::flagship(ACCOUNT, "app").endpoint("localhost/evaluate")
        )),
        FlagshipConfigError::InvalidUrl {
            field: "endpoint",
            ..
        }
    ));
    for interval in [Duration::ZERO, Duration::from_secs(25 * 3600)] {
        assert!(matches!(
            typed(build(
                source::flagship(ACCOUNT, "app").refresh_interval(interval)
            )),
            FlagshipConfigError::InvalidRefreshInterval { .. }
        ));
    }
    assert_eq!(
        typed(build(source::flagship("", "app"))),
        FlagshipConfigError::EmptyId {
            field: "account_id"
        }
    );
    assert_eq!(server.count(), 1, "a bad setting sends nothing");
}

#[test]
fn local_mode_with_the_remote_cache_is_refused_at_build_saying_why() {
    let server = FaultServer::start();
    let error = Client::builder()
        .in_process(source::flagship(ACCOUNT, "app").base_url(server.url("")))
        .remote(
            flags_runtime::remote::flagship(ACCOUNT, "app")
                .base_url(server.url(""))
                .cache(Duration::from_secs(60), 100),
        )
        .build()
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::TwoProviders {
                first: "in_process",
                second: "remote"
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("reads through one provider"), "{message}");
    assert!(message.contains("need no remote cache"), "{message}");
    // Nothing started: no request was sent.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.count(), 0);
}

#[test]
fn the_first_fetch_runs_in_the_background_and_reads_before_it_are_not_ready() {
    let server = FaultServer::start();
    let (reply, gate) = Reply::json(&limits("large")).gated();
    server.route("GET", PATH, reply);
    let client = Client::builder().in_process(live(&server)).build().unwrap();
    eventually("the first fetch is in flight", || server.count() == 1);
    let details = client.details(limit(), &ctx());
    assert_eq!(details.value, 1);
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderNotReady));
    assert_eq!(client.status(), ProviderStatus::NotReady);
    gate.open();
    client.wait_ready(PATIENCE).unwrap();
    assert_eq!(client.value(limit(), &ctx()), 100);
}

#[test]
fn etags_make_unchanged_definitions_a_304_and_changes_an_event() {
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::json(&limits("large")).etag("\"v1\""));
    let client = ready(live(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    client.refresh().unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].header("if-none-match"), None);
    assert_eq!(requests[1].header("if-none-match"), Some("\"v1\""));
    assert!(events.drain().is_empty(), "a 304 changes nothing");

    // New definitions: the changed keys.
    server.route("GET", PATH, Reply::json(&limits("small")).etag("\"v2\""));
    client.refresh().unwrap();
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["limit"]);
    assert_eq!(client.value(limit(), &ctx()), 10);

    // A new ETag for the same definitions: no event, and the new ETag is sent next.
    server.route("GET", PATH, Reply::json(&limits("small")).etag("\"v3\""));
    client.refresh().unwrap();
    client.refresh().unwrap();
    assert!(events.drain().is_empty());
    let requests = server.requests();
    assert_eq!(requests[3].header("if-none-match"), Some("\"v2\""));
    assert_eq!(requests[4].header("if-none-match"), Some("\"v3\""));
    assert_eq!(client.value(limit(), &ctx()), 10);

    // Without an ETag, the next polls are unconditional.
    server.route("GET", PATH, Reply::json(&limits("large")));
    client.refresh().unwrap();
    client.refresh().unwrap();
    let requests = server.requests();
    assert_eq!(requests[5].header("if-none-match"), Some("\"v3\""));
    assert_eq!(requests[6].header("if-none-match"), None);
    assert_eq!(client.value(limit(), &ctx()), 100);
}

#[test]
fn failed_polls_keep_the_last_good_definitions_then_stale_then_ready() {
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::json(&limits("large")).etag("\"v1\""));
    let client = ready(live(&server).stale_after(2));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    server.route("GET", PATH, Reply::status(500));
    let error = client.refresh().unwrap_err();
    assert!(matches!(error, Error::Fetch { .. }), "{error:?}");
    assert!(error.to_string().contains("HTTP 500"), "{error}");
    assert_eq!(
        client.status(),
        ProviderStatus::Ready,
        "one failure is not stale yet"
    );
    client.refresh().unwrap_err();
    let stale = events.next();
    assert_eq!(stale.event, ProviderEvent::Stale);
    assert!(stale.message.unwrap().contains("failed 2 times in a row"));
    assert_eq!(client.status(), ProviderStatus::Stale);
    assert_eq!(
        client.value(limit(), &ctx()),
        100,
        "the last good definitions"
    );

    // Recovery: a 304 for what is served.
    server.route("GET", PATH, Reply::json(&limits("large")).etag("\"v1\""));
    client.refresh().unwrap();
    assert_eq!(events.next().event, ProviderEvent::Ready);
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn a_retry_within_a_poll_rides_over_one_failure() {
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::status(503));
    server.then("GET", PATH, Reply::json(&limits("large")));
    let client = ready(
        live(&server)
            .retries(1)
            .retry_delay(Duration::from_millis(1))
            .timeout(Duration::from_secs(5)),
    );
    assert_eq!(client.value(limit(), &ctx()), 100);
    assert_eq!(server.count(), 2);
}

#[test]
fn bodies_that_are_not_definitions_are_rejected_and_the_last_good_serves() {
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::json(&limits("large")));
    let client = ready(live(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    for body in [
        r#"{"hello": "world"}"#,
        r#"{"flags": []}"#,
        r#"{"flags": "none"}"#,
        "[1, 2]",
        r#"{"flags": {"#,
    ] {
        server.route("GET", PATH, Reply::json(body));
        let error = client.refresh().unwrap_err();
        assert!(matches!(error, Error::Rejected { .. }), "{body}: {error:?}");
        let event = events.next();
        assert_eq!(event.event, ProviderEvent::Error, "{body}");
        assert_eq!(event.error_code, Some(ErrorCode::ParseError));
        let message = event.message.unwrap();
        assert!(message.len() < 400, "a short message: {message}");
        assert_eq!(client.value(limit(), &ctx()), 100, "{body}");
    }
    // Back to good definitions: READY, and the change.
    server.route("GET", PATH, Reply::json(&limits("small")));
    client.refresh().unwrap();
    assert_eq!(
        events.next_of(ProviderEvent::Ready).event,
        ProviderEvent::Ready
    );
    assert_eq!(client.value(limit(), &ctx()), 10);
}

#[test]
fn a_huge_body_and_a_hanging_server_are_failed_polls() {
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::json(&limits("large")));
    let client = ready(
        live(&server)
            .max_body_size(4096)
            // Room for the first fetch on a loaded machine; the hanging reply takes 30 s.
            .timeout(Duration::from_secs(2))
            .stale_after(2),
    );
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    server.route("GET", PATH, Reply::oversized(64 * 1024));
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("larger than 4096 bytes"), "{error}");

    server.route(
        "GET",
        PATH,
        Reply::json(&limits("small")).delay(Duration::from_secs(30)),
    );
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("timed out"), "{error}");
    assert_eq!(events.next().event, ProviderEvent::Stale);
    assert_eq!(client.value(limit(), &ctx()), 100);
}

#[test]
fn refused_credentials_are_final() {
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::status(401));
    let client = Client::builder()
        .in_process(live(&server).auth_token("expired"))
        .build()
        .unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotReady {
                status: ProviderStatus::Fatal,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("expired"), "{error}");
    let details = client.details(limit(), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderFatal));
}

#[test]
fn a_panicking_headers_factory_fails_its_poll_only() {
    let server = FaultServer::start();
    server.route("GET", PATH, Reply::json(&limits("large")));
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let client = Client::builder()
        .in_process(live(&server).headers_factory(move || {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("no token yet");
            }
            Vec::new()
        }))
        .build()
        .unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(
        error.to_string().contains("the headers factory panicked"),
        "{error}"
    );
    assert_eq!(server.count(), 0);
    client.refresh().unwrap();
    assert_eq!(client.value(limit(), &ctx()), 100);
}

#[test]
fn a_poll_in_flight_at_shutdown_never_applies_nor_reaches_a_new_client() {
    let dir = TempDir::new("flagship-epoch");
    let persisted = dir.path().join("last-good.json");
    let server = FaultServer::start();
    let (old, gate) = Reply::json(&limits("small")).gated();
    server.route("GET", PATH, old);
    server.then("GET", PATH, Reply::json(&limits("large")));

    let first = Client::builder()
        .in_process(live(&server).persist(&persisted))
        .build()
        .unwrap();
    let events = record(&first);
    eventually("the first fetch is in flight", || server.count() == 1);
    first.shutdown();
    // A new client on the same persisted file, while the old fetch is still held.
    let second = ready(live(&server).persist(&persisted));
    gate.open();
    assert_eq!(second.value(limit(), &ctx()), 100);
    second.refresh().unwrap();

    assert_eq!(
        std::fs::read_to_string(&persisted).unwrap(),
        limits("large")
    );
    let details = first.details(limit(), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderNotReady));
    assert_eq!(first.status(), ProviderStatus::NotReady);
    assert!(
        events
            .drain()
            .iter()
            .all(|e| e.event != ProviderEvent::Ready
                && e.event != ProviderEvent::ConfigurationChanged),
        "nothing from the old fetch"
    );
    assert!(matches!(first.refresh(), Err(Error::ShutDown)));
    assert_eq!(second.value(limit(), &ctx()), 100);
}

// --- Rules: these need the engine's Flagship dialect (`engine/flagship/`) ---------------------

/// The split of seed-sdks.md §1: account `aaaabbbbccccdddd1111222233334444`, flag
/// `rollout_test` (seed 45), 50 %.
#[test]
fn rules_evaluate_as_flagship_evaluates_them() {
    let server = FaultServer::start();
    let text = definitions(&[
        (
            "rollout_test",
            json!({ "enabled": true, "default_variation": "off",
                    "variations": { "on": true, "off": false },
                    "rules": [{ "conditions": [], "serve_variation": "on",
                                "rollout": { "percentage": 50 } }] }),
        ),
        (
            "staff",
            json!({ "enabled": true, "default_variation": "no",
                    "variations": { "yes": "staff", "no": "guest" },
                    "rules": [{ "conditions": [{ "attribute": "email", "operator": "ends_with",
                                                  "value": "@example.com" }],
                                "serve_variation": "yes" }] }),
        ),
    ]);
    server.route("GET", PATH, Reply::json(&text));
    let client = ready(live(&server));
    let rollout = FlagKey::<bool>::new("rollout_test", false);
    for key in ["0", "1", "日本語", "🚀"] {
        let details = client.details(&rollout, &Context::new(key));
        assert_eq!(
            (details.value, details.reason),
            (true, Reason::Split),
            "{key}"
        );
    }
    for key in ["2", "user-a", "héllo", ""] {
        let details = client.details(&rollout, &Context::new(key));
        assert_eq!(
            (details.value, details.reason),
            (false, Reason::Default),
            "{key}"
        );
    }
    let staff = FlagKey::<String>::new("staff", String::new());
    let details = client.details(&staff, &ctx().with("email", "ada@example.com"));
    assert_eq!(details.value, "staff");
    assert_eq!(details.variant.as_deref(), Some("yes"));
    assert_eq!(details.reason, Reason::TargetingMatch);
    let details = client.details(&staff, &ctx().with("email", "ada@example.org"));
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("guest", Reason::Default)
    );
}
