//! GO Feature Flag configurations evaluated in process: the format on any source (JSON, YAML,
//! TOML flag files), and the live source (`source::go_feature_flag`) against the fault server on
//! 127.0.0.1.
//!
//! Every flag read for evaluation carries its rule in GO Feature Flag's dialect, so what a flag
//! serves is the engine's (`engine/gofeatureflag/`): the lifecycle tests tell flags apart by
//! whether they are known (`FLAG_NOT_FOUND` or not) and by the events, and the tests under
//! "Values" are the ones that need that engine.
#![cfg(feature = "http")]

mod support;

use std::time::Duration;

use flags_runtime::{
    Client, Context, Error, ErrorCode, FlagKey, Format, ProviderEvent, ProviderStatus, Reason,
    WarningKind, source,
};
use flags_test_support::fault::{FaultServer, Reply};
use serde_json::{Value, json};
use support::{PATIENCE, TempDir, eventually, record};

const PATH: &str = "/v1/flag/configuration";

/// A relay configuration of these flags, with an enrichment when given.
fn configuration(flags: &[(&str, Value)], enrichment: Option<Value>) -> String {
    let flags: serde_json::Map<String, Value> = flags
        .iter()
        .map(|(key, flag)| (key.to_string(), flag.clone()))
        .collect();
    let mut document = json!({ "flags": flags });
    if let Some(enrichment) = enrichment {
        document["evaluationContextEnrichment"] = enrichment;
    }
    document.to_string()
}

/// A flag serving `default` of `small` (10) and `large` (100).
fn sized(default: &str) -> Value {
    json!({ "variations": { "small": 10, "large": 100 }, "defaultRule": { "variation": default } })
}

/// `limit` serving `default`, and `theme`.
fn limits(default: &str) -> String {
    configuration(
        &[
            ("limit", sized(default)),
            (
                "theme",
                json!({ "variations": { "light": "#fff", "dark": "#000" },
                        "defaultRule": { "variation": "light" } }),
            ),
        ],
        None,
    )
}

fn limit() -> FlagKey<i64> {
    FlagKey::new("limit", 1)
}

fn ctx() -> Context {
    Context::new("user-1")
}

/// Whether the client's configuration holds `key`.
fn known(client: &Client, key: &'static str) -> bool {
    let details = client.details(FlagKey::<i64>::new(key, 0), &ctx());
    details.error_code() != Some(ErrorCode::FlagNotFound)
}

/// The live source against `server`, polling rarely: the tests drive polls with `refresh`.
fn live(server: &FaultServer) -> source::GoFeatureFlagSource {
    source::go_feature_flag(server.url("")).interval(Duration::from_secs(3600))
}

fn ready(source: source::GoFeatureFlagSource) -> Client {
    let client = Client::builder().in_process(source).build().unwrap();
    client.wait_ready(PATIENCE).unwrap();
    client
}

// --- The format on any source ---------------------------------------------------------------

const YAML: &str = "\
limit:
  variations: { small: 10, large: 100 }
  defaultRule: { variation: large }
broken:
  variations: { a: 1 }
  disable: maybe
";

const TOML: &str = "\
[limit]
variations = { small = 10, large = 100 }
defaultRule = { variation = \"large\" }

[broken]
variations = { a = 1 }
disable = \"maybe\"
";

#[test]
fn flag_files_in_json_yaml_and_toml_load_alike_and_a_broken_flag_is_listed() {
    let dir = TempDir::new("goff-files");
    let json_file = json!({
        "limit": sized("large"),
        "broken": { "variations": { "a": 1 }, "disable": "maybe" }
    })
    .to_string();
    for (name, text) in [
        ("flags.goff.json", json_file.as_str()),
        ("flags.goff.yaml", YAML),
        ("flags.goff.toml", TOML),
    ] {
        for format in [None, Some(Format::GoFeatureFlag)] {
            let path = dir.write(name, text);
            let source = match &format {
                Some(format) => source::file(&path).format(format.clone()),
                None => source::file(&path),
            };
            let client = Client::builder().in_process(source).build().unwrap();
            let events = record(&client);
            let ready = events.next();
            assert_eq!(ready.event, ProviderEvent::Ready, "{name}");
            let broken: Vec<_> = ready
                .warnings
                .iter()
                .filter(|w| {
                    w.kind == WarningKind::ParseError && w.flag.as_deref() == Some("broken")
                })
                .collect();
            assert_eq!(broken.len(), 1, "{name} {format:?}: {:?}", ready.warnings);
            assert!(
                known(&client, "limit") && known(&client, "broken"),
                "{name}"
            );
            let details = client.details(FlagKey::<i64>::new("broken", 7), &ctx());
            assert_eq!(details.value, 7);
            assert_eq!(details.error_code(), Some(ErrorCode::ParseError));
            assert!(!known(&client, "other"));
        }
    }
}

#[test]
fn a_yaml_file_with_a_syntax_error_fails_the_build_naming_the_place() {
    let dir = TempDir::new("goff-bad-yaml");
    let path = dir.write("flags.goff.yaml", "limit:\n  variations: {small: 10\n");
    let error = Client::builder()
        .in_process(source::file(&path).format(Format::GoFeatureFlag))
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("not valid YAML"), "{error}");
    assert!(error.contains("line "), "{error}");
}

// --- The live source --------------------------------------------------------------------------

#[test]
fn polls_with_a_post_of_the_flag_list_the_api_key_and_custom_headers() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(&limits("large")));
    let client = ready(
        live(&server)
            .api_key("sekrit-key")
            .header("X-Team", "checkout")
            .header("X-API-Key", "overridden")
            .flags(["limit", "theme"]),
    );
    client.refresh().unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, PATH);
        assert_eq!(request.header("x-api-key"), Some("sekrit-key"));
        assert_eq!(request.header("x-team"), Some("checkout"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_str(&request.text()).unwrap();
        assert_eq!(body, json!({ "flags": ["limit", "theme"] }));
    }
    assert!(known(&client, "limit") && known(&client, "theme"));
    // Every flag when no subset is given; the key never shows.
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(&limits("large")));
    let _client = ready(live(&server));
    let body: Value = serde_json::from_str(&server.requests()[0].text()).unwrap();
    assert_eq!(body, json!({ "flags": [] }));
    assert_eq!(server.requests()[0].header("x-api-key"), None);
    let source = source::go_feature_flag("http://relay").api_key("sekrit-key");
    assert!(!format!("{source:?}").contains("sekrit"));
}

#[test]
fn the_etag_is_echoed_verbatim_a_304_keeps_the_state_and_changes_name_their_keys() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(&limits("large")).etag("\"v1\""));
    let client = ready(live(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    client.refresh().unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].header("if-none-match"), None);
    assert_eq!(requests[1].header("if-none-match"), Some("\"v1\""));
    assert!(events.drain().is_empty(), "a 304 changes nothing");

    // A changed flag, an added one, a removed one: exactly those keys.
    let changed = configuration(
        &[("limit", sized("small")), ("added", sized("small"))],
        None,
    );
    server.route("POST", PATH, Reply::json(&changed).etag("W/\"v2\""));
    client.refresh().unwrap();
    let event = events.next();
    assert_eq!(event.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(event.flags_changed, ["added", "limit", "theme"]);
    assert!(!known(&client, "theme") && known(&client, "added"));

    // A new ETag for the same configuration: no event; the weak ETag is echoed as it came.
    server.route("POST", PATH, Reply::json(&changed).etag("\"v3\""));
    client.refresh().unwrap();
    assert!(events.drain().is_empty());
    assert_eq!(
        server.requests()[3].header("if-none-match"),
        Some("W/\"v2\"")
    );
}

#[test]
fn an_enrichment_change_alone_names_every_flag() {
    let server = FaultServer::start();
    let flags = [("limit", sized("large")), ("other", sized("small"))];
    server.route(
        "POST",
        PATH,
        Reply::json(&configuration(&flags, Some(json!({ "env": "dev" })))),
    );
    let client = ready(live(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    server.route(
        "POST",
        PATH,
        Reply::json(&configuration(&flags, Some(json!({ "env": "prod" })))),
    );
    client.refresh().unwrap();
    let event = events.next();
    assert_eq!(event.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(event.flags_changed, ["limit", "other"]);
    // The same enrichment again: nothing.
    client.refresh().unwrap();
    assert!(events.drain().is_empty());
    // Dropped: every flag again.
    server.route("POST", PATH, Reply::json(&configuration(&flags, None)));
    client.refresh().unwrap();
    assert_eq!(events.next().flags_changed, ["limit", "other"]);
}

#[test]
fn a_304_to_an_unconditional_request_is_a_protocol_error() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::status(304));
    let client = Client::builder().in_process(live(&server)).build().unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(error.to_string().contains("protocol error"), "{error}");
    // Still polling: the relay recovers, so does the client.
    server.route("POST", PATH, Reply::json(&limits("large")));
    client.refresh().unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert!(known(&client, "limit"));
}

#[test]
fn failures_keep_the_configuration_and_the_etag_stale_after_three_then_ready() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(&limits("large")).etag("\"v1\""));
    let client = ready(live(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    server.route("POST", PATH, Reply::status(500));
    for failure in 1..=3 {
        let error = client.refresh().unwrap_err();
        assert!(matches!(error, Error::Fetch { .. }), "{error:?}");
        if failure < 3 {
            assert_eq!(client.status(), ProviderStatus::Ready, "{failure}");
        }
    }
    let stale = events.next();
    assert_eq!(stale.event, ProviderEvent::Stale);
    assert!(stale.message.unwrap().contains("failed 3 times in a row"));
    assert!(known(&client, "limit") && known(&client, "theme"));
    // Each failed poll sent the ETag of what is served.
    let requests = server.requests();
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.header("if-none-match") == Some("\"v1\""))
    );

    // A 304 for what is served recovers.
    server.route("POST", PATH, Reply::json(&limits("large")).etag("\"v1\""));
    client.refresh().unwrap();
    assert_eq!(events.next().event, ProviderEvent::Ready);
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn a_rejected_body_never_advances_the_etag() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(&limits("large")).etag("\"v1\""));
    let client = ready(live(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    for body in [
        r#"{"flags": []}"#,
        r#"{"flags": "none"}"#,
        "[1, 2]",
        r#"{"flags": {"#,
        "a: [1",
    ] {
        server.route("POST", PATH, Reply::json(body).etag("\"bad\""));
        let error = client.refresh().unwrap_err();
        assert!(matches!(error, Error::Rejected { .. }), "{body}: {error:?}");
        let event = events.next();
        assert_eq!(event.event, ProviderEvent::Error, "{body}");
        assert!(event.message.unwrap().len() < 400);
        assert!(known(&client, "limit"), "{body}");
    }
    let requests = server.requests();
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.header("if-none-match") == Some("\"v1\"")),
        "the ETag of a rejected body is never sent"
    );
}

#[test]
fn a_huge_body_and_a_hanging_server_are_failed_polls() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(&limits("large")));
    let client = ready(
        live(&server)
            .max_body_size(4096)
            .timeout(Duration::from_secs(2))
            .stale_after(2),
    );
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    server.route("POST", PATH, Reply::oversized(64 * 1024));
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("larger than 4096 bytes"), "{error}");
    server.route(
        "POST",
        PATH,
        Reply::json(&limits("small")).delay(Duration::from_secs(30)),
    );
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("timed out"), "{error}");
    assert_eq!(events.next().event, ProviderEvent::Stale);
    assert!(known(&client, "limit"));
}

#[test]
fn refused_credentials_are_final() {
    for status in [401, 403] {
        let server = FaultServer::start();
        server.route("POST", PATH, Reply::status(status));
        let client = Client::builder()
            .in_process(live(&server).api_key("expired-key"))
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
            "{status}: {error:?}"
        );
        assert!(!error.to_string().contains("expired-key"), "{error}");
        let details = client.details(limit(), &ctx());
        assert_eq!(details.error_code(), Some(ErrorCode::ProviderFatal));
    }
}

#[test]
fn an_init_failure_keeps_polling_and_recovers() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::status(503));
    server.then("POST", PATH, Reply::json(&limits("large")));
    let client = Client::builder()
        .in_process(
            source::go_feature_flag(server.url(""))
                // Polls every 20 ms ± 10 %: the second poll comes on its own.
                .interval(Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    // The first outcome is the failure; polling goes on.
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    eventually("a later poll succeeds", || {
        client.status() == ProviderStatus::Ready
    });
    assert!(server.count() >= 2);
    assert!(known(&client, "limit"));
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn the_first_fetch_runs_in_the_background_and_reads_before_it_are_not_ready() {
    let server = FaultServer::start();
    let (reply, gate) = Reply::json(&limits("large")).gated();
    server.route("POST", PATH, reply);
    let client = Client::builder().in_process(live(&server)).build().unwrap();
    eventually("the first fetch is in flight", || server.count() == 1);
    let details = client.details(limit(), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderNotReady));
    gate.open();
    client.wait_ready(PATIENCE).unwrap();
    assert!(known(&client, "limit"));
}

#[test]
fn bootstrap_and_persisted_copies_are_read_as_go_feature_flag() {
    let dir = TempDir::new("goff-persist");
    let persisted = dir.path().join("last-good.json");
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::status(500));
    // A flag file in YAML as the bootstrap: served while the relay fails.
    let client = Client::builder()
        .in_process(live(&server).bootstrap(YAML))
        .build()
        .unwrap();
    assert!(known(&client, "limit") && known(&client, "broken"));
    drop(client);
    // What was applied is persisted and served on the next start, relay down.
    server.route("POST", PATH, Reply::json(&limits("large")));
    let first = ready(live(&server).persist(&persisted));
    first.shutdown();
    assert_eq!(
        std::fs::read_to_string(&persisted).unwrap(),
        limits("large")
    );
    server.route("POST", PATH, Reply::status(500));
    let second = Client::builder()
        .in_process(live(&server).persist(&persisted))
        .build()
        .unwrap();
    assert!(known(&second, "theme"));
}

// --- Values: these need the engine's GO Feature Flag dialect (`engine/gofeatureflag/`) ----------

#[test]
fn values_a_static_flag_serves_its_default_rule() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(&limits("large")));
    let client = ready(live(&server));
    let details = client.details(limit(), &ctx());
    assert_eq!(details.value, 100, "{details:?}");
    assert_eq!(details.variant.as_deref(), Some("large"));
    assert_eq!(details.reason, Reason::Static);
}

#[test]
fn values_the_enrichment_is_merged_over_the_callers_attributes() {
    let server = FaultServer::start();
    let flag = json!({
        "variations": { "small": 10, "large": 100 },
        "targeting": [{ "query": "env eq \"prod\"", "variation": "large" }],
        "defaultRule": { "variation": "small" }
    });
    server.route(
        "POST",
        PATH,
        Reply::json(&configuration(
            &[("limit", flag)],
            Some(json!({ "env": "prod" })),
        )),
    );
    let client = ready(live(&server));
    // As GO Feature Flag's engine: the enrichment wins over the caller's `env`.
    let dev = Context::new("user-1").with("env", "dev");
    let details = client.details(limit(), &dev);
    assert_eq!(details.value, 100, "{details:?}");
    assert_eq!(details.reason, Reason::TargetingMatch);
}
