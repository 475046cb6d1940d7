//! A Flipt namespace evaluated in process: the live source (`source::flipt`, polled or
//! streamed) against the fault server on 127.0.0.1, its error strategies, bootstrap from an
//! exported snapshot, and persistence.
//!
//! Until the engine compiles Flipt's dialect, every flag of a namespace read with its
//! namespace answers `PARSE_ERROR` (its targeting is its whole definition), so the tests of the
//! source look at what the source does: requests, events, statuses, the number of flags, the
//! exported snapshot, and errors that are the source's own (`PROVIDER_NOT_READY`, `GENERAL`
//! under `ErrorStrategy::Fail`, `PARSE_ERROR` of a broken flag, `PROVIDER_FATAL`). The values
//! Flipt serves are checked at the end, against expectations computed by Flipt's own engine
//! (`flipt-client` 1.4.5).
#![cfg(feature = "http")]

mod support;

use std::time::Duration;

use flags_runtime::source::{self, ErrorStrategy, FliptSource};
use flags_runtime::transport::TransportConfig;
use flags_runtime::{
    Client, Context, Error, ErrorCode, FlagKey, Format, ProviderEvent, ProviderStatus, Reason,
};
use flags_test_support::fault::{FaultServer, Recorded, Reply, TestPki};
use serde_json::{Value, json};
use support::{PATIENCE, TempDir, eventually, record};

const POLL: &str = "/internal/v1/evaluation/snapshot/namespace/checkout";
const STREAM: &str = "/client/v2/environments/production/namespaces/checkout/stream";

/// A boolean flag without rollouts.
fn beta(enabled: bool) -> Value {
    json!({ "key": "beta", "name": "Beta", "type": "BOOLEAN_FLAG_TYPE", "enabled": enabled,
            "rollouts": [] })
}

/// A variant flag without rules.
fn theme(default: &str) -> Value {
    json!({ "key": "theme", "name": "Theme", "type": "VARIANT_FLAG_TYPE", "enabled": true,
            "defaultVariant": { "id": format!("v-{default}"), "key": default }, "rules": [] })
}

/// The namespace `checkout` with these flags, as the server answers it.
fn namespace(flags: &[Value]) -> String {
    json!({ "namespace": { "key": "checkout", "name": "Checkout" }, "flags": flags }).to_string()
}

/// `beta` and `theme`.
fn two(enabled: bool, default: &str) -> String {
    namespace(&[beta(enabled), theme(default)])
}

/// A line of the stream.
fn line(document: &str) -> String {
    format!("{{\"result\":{document}}}\n")
}

fn flipt() -> Format {
    Format::Flipt {
        namespace: "checkout".into(),
    }
}

/// The source against `server`, polling rarely (the tests drive polls with `refresh`), one
/// attempt per poll.
fn live(server: &FaultServer) -> FliptSource {
    source::flipt(server.url(""))
        .namespace("checkout")
        .interval(Duration::from_secs(3600))
        .retries(0)
        .retry_delay(Duration::from_millis(50))
}

fn build(source: FliptSource) -> Client {
    Client::builder().in_process(source).build().unwrap()
}

fn ready(source: FliptSource) -> Client {
    let client = build(source);
    client.wait_ready(PATIENCE).unwrap();
    client
}

fn requests(server: &FaultServer, path: &str) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(path))
        .collect()
}

/// What Flipt's client engine exports for `document`.
fn exported(document: &str) -> Value {
    flags_schema::flipt::engine_snapshot(&serde_json::from_str(document).unwrap(), "checkout")
}

fn snapshot(client: &Client) -> Value {
    serde_json::from_str(&client.snapshot().unwrap()).unwrap()
}

fn ctx() -> Context {
    Context::new("user-1")
}

// --- Polling ---------------------------------------------------------------------------------

#[test]
fn polls_the_namespace_with_flipts_headers() {
    let server = FaultServer::start();
    let path = "/flipt/internal/v1/evaluation/snapshot/namespace/check%20out";
    let document = json!({ "namespace": { "key": "check out" }, "flags": [beta(true)] });
    server.route("GET", path, Reply::json(&document.to_string()));
    let client = ready(
        source::flipt(server.url("/flipt/"))
            .namespace("check out")
            .reference("release/1.2")
            .environment("production")
            .client_token("sekrit-token")
            .retries(0),
    );
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(client.flag_count(), 1);
    let request = &requests(&server, path)[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, format!("{path}?reference=release%2F1.2"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("x-flipt-accept-server-version"),
        Some("1.47.0")
    );
    assert_eq!(request.header("x-flipt-environment"), Some("production"));
    assert_eq!(request.header("authorization"), Some("Bearer sekrit-token"));
    assert_eq!(request.header("if-none-match"), None);
    // The client's Debug never shows the token.
    assert!(!format!("{client:?}").contains("sekrit"));
    // The export is the engine's snapshot of what was served.
    assert_eq!(
        snapshot(&client),
        flags_schema::flipt::engine_snapshot(&document, "check out")
    );

    // A JWT, and the defaults: namespace and environment `default`, no reference.
    let server = FaultServer::start();
    let default = "/internal/v1/evaluation/snapshot/namespace/default";
    server.route(
        "GET",
        default,
        Reply::json(r#"{"namespace": {"key": "default"}, "flags": []}"#),
    );
    ready(source::flipt(server.url("")).jwt("sekrit-jwt").retries(0));
    let request = &requests(&server, default)[0];
    assert_eq!(request.path, default);
    assert_eq!(request.header("authorization"), Some("JWT sekrit-jwt"));
    assert_eq!(request.header("x-flipt-environment"), Some("default"));
}

#[test]
fn etag_304_and_the_etag_forgotten_after_an_error() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")).etag("\"e1\""));
    let client = ready(live(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    // Unchanged: a 304, nothing happens.
    client.refresh().unwrap();
    let polls = requests(&server, POLL);
    assert_eq!(polls.len(), 2);
    assert_eq!(polls[1].header("if-none-match"), Some("\"e1\""));
    assert!(events.drain().is_empty());

    // A failure: the ETag is forgotten, the next poll is unconditional.
    server.route("GET", POLL, Reply::status(503));
    assert!(matches!(client.refresh(), Err(Error::Fetch { .. })));
    server.route("GET", POLL, Reply::json(&two(false, "dark")).etag("\"e2\""));
    client.refresh().unwrap();
    let polls = requests(&server, POLL);
    assert_eq!(polls.len(), 4);
    assert_eq!(polls[2].header("if-none-match"), Some("\"e1\""));
    assert_eq!(polls[3].header("if-none-match"), None);
    let changed = events.next_of(ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["beta", "theme"]);
    assert_eq!(snapshot(&client), exported(&two(false, "dark")));
    // And the new one is used from then on.
    client.refresh().unwrap();
    assert_eq!(
        requests(&server, POLL)[4].header("if-none-match"),
        Some("\"e2\"")
    );
}

#[test]
fn the_server_down_at_start() {
    // A port nothing listens on, until the server comes up there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = build(
        source::flipt(format!("http://{addr}"))
            .namespace("checkout")
            .interval(Duration::from_secs(3600))
            .retries(0),
    );
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(matches!(error, Error::NotReady { .. }), "{error}");
    assert!(error.to_string().contains("cannot reach"), "{error}");
    let details = client.details(FlagKey::<bool>::new("beta", false), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderNotReady));
    assert!(matches!(client.snapshot(), Err(Error::NotReady { .. })));

    let server = FaultServer::start_at(addr).unwrap();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    client.refresh().unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(client.flag_count(), 2);
}

#[test]
fn fallback_keeps_the_last_snapshot_and_turns_stale() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let client = ready(live(&server).stale_after(2));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    server.route("GET", POLL, Reply::status(500));
    assert!(client.refresh().is_err());
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert!(client.refresh().is_err());
    assert_eq!(client.status(), ProviderStatus::Stale);
    let stale = events.next_of(ProviderEvent::Stale);
    assert!(
        stale
            .message
            .as_deref()
            .unwrap()
            .contains("failed 2 times in a row"),
        "{stale:?}"
    );
    // Still served, still exported.
    assert_eq!(client.flag_count(), 2);
    assert_eq!(snapshot(&client), exported(&two(true, "light")));
    let details = client.details(FlagKey::<bool>::new("beta", false), &ctx());
    assert_ne!(details.error_code(), Some(ErrorCode::General));
    // Back: READY.
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    client.refresh().unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn fail_strategy_fails_reads_until_the_server_answers() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let client = ready(live(&server).error_strategy(ErrorStrategy::Fail));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    let beta = FlagKey::<bool>::new("beta", true);

    server.route("GET", POLL, Reply::status(500));
    assert!(client.refresh().is_err());
    assert_eq!(client.status(), ProviderStatus::Error);
    let error = events.next_of(ProviderEvent::Error);
    assert_eq!(error.error_code, Some(ErrorCode::General));
    let details = client.details(&beta, &ctx());
    assert!(details.value, "the caller's default");
    assert_eq!(details.error_code(), Some(ErrorCode::General));
    let message = details.error_message().unwrap();
    assert!(
        message.contains("error strategy is `Fail`") && message.contains("500"),
        "{message}"
    );
    // The last good snapshot is still the one exported.
    assert_eq!(snapshot(&client), exported(&two(true, "light")));

    // A body that is not a snapshot fails reads too.
    server.route("GET", POLL, Reply::malformed());
    assert!(client.refresh().is_err());
    assert_eq!(
        client.details(&beta, &ctx()).error_code(),
        Some(ErrorCode::General)
    );

    // The same snapshot again: served again.
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    client.refresh().unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(client.flag_count(), 2);
    assert_ne!(
        client.details(&beta, &ctx()).error_code(),
        Some(ErrorCode::General)
    );

    // From the start, a bootstrap is not served once the server has failed.
    let down = FaultServer::start();
    down.route("GET", POLL, Reply::status(503));
    let client = build(
        live(&down)
            .error_strategy(ErrorStrategy::Fail)
            .bootstrap(two(true, "light")),
    );
    assert!(client.wait_ready(PATIENCE).is_err());
    assert_eq!(
        client.details(&beta, &ctx()).error_code(),
        Some(ErrorCode::General)
    );
    // While the default strategy serves it.
    let client = build(live(&down).bootstrap(two(true, "light")));
    assert!(client.wait_ready(PATIENCE).is_err());
    assert_eq!(client.flag_count(), 2);
    assert_ne!(
        client.details(&beta, &ctx()).error_code(),
        Some(ErrorCode::General)
    );
}

#[test]
fn bodies_that_are_not_snapshots_are_rejected_and_the_last_one_stays() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let client = ready(live(&server).max_body_size(64 * 1024));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    let other = r#"{"namespace": {"key": "payments"}, "flags": []}"#;
    for (reply, says) in [
        (Reply::malformed(), "JSON"),
        (Reply::json(r#"{"flags": 3}"#), "`flags`"),
        (
            Reply::json(other),
            "the snapshot is of namespace `payments`",
        ),
        (
            Reply::status(200)
                .header("content-type", "text/html")
                .body("<html>sign in</html>"),
            "JSON",
        ),
        (Reply::oversized(1024 * 1024), "larger than 65536 bytes"),
        (
            Reply::status(500).body("{\"message\": \"internal\"}"),
            "500",
        ),
        (Reply::json(&two(true, "light")).reset_mid_body(), "`"),
    ] {
        server.route("GET", POLL, reply);
        let error = client.refresh().unwrap_err();
        assert!(error.to_string().contains(says), "{says}: {error}");
        assert_eq!(client.flag_count(), 2);
        assert_eq!(snapshot(&client), exported(&two(true, "light")));
    }
    // Rejected documents are error events; the outage alone turns STALE.
    let error = events.next_of(ProviderEvent::Error);
    assert_eq!(error.error_code, Some(ErrorCode::ParseError));
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    client.refresh().unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn a_hanging_server_times_out() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let client = ready(live(&server).timeout(Duration::from_millis(300)));
    server.route(
        "GET",
        POLL,
        Reply::json(&two(false, "dark")).delay(Duration::from_secs(30)),
    );
    let error = client.refresh().unwrap_err();
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_eq!(snapshot(&client), exported(&two(true, "light")));
    // A body that trickles is cut by the same timeout.
    server.route(
        "GET",
        POLL,
        Reply::json(&two(false, "dark")).slow_body(8, Duration::from_millis(100)),
    );
    assert!(client.refresh().is_err());
    assert_eq!(snapshot(&client), exported(&two(true, "light")));
}

#[test]
fn retries_with_backoff_within_one_poll() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::status(503));
    server.then("GET", POLL, Reply::status(502));
    server.then("GET", POLL, Reply::json(&two(true, "light")));
    let client = ready(
        live(&server)
            .retries(3)
            .retry_delay(Duration::from_millis(20)),
    );
    assert_eq!(requests(&server, POLL).len(), 3);
    assert_eq!(client.flag_count(), 2);
    // 4xx but 408/429 is not retried.
    server.route("GET", POLL, Reply::status(404));
    assert!(client.refresh().is_err());
    assert_eq!(requests(&server, POLL).len(), 4);
}

#[test]
fn refused_credentials_are_final() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::status(401));
    let client = build(live(&server).client_token("wrong"));
    assert!(client.wait_ready(PATIENCE).is_err());
    assert_eq!(client.status(), ProviderStatus::Fatal);
    let details = client.details(FlagKey::<bool>::new("beta", false), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderFatal));
}

#[test]
fn a_broken_flag_answers_parse_error_and_the_others_load() {
    let server = FaultServer::start();
    let odd = json!({ "key": "odd", "name": "Odd", "type": "MULTI_FLAG_TYPE", "enabled": true });
    server.route(
        "GET",
        POLL,
        Reply::json(&namespace(&[beta(true), odd, theme("light")])),
    );
    let client = build(live(&server));
    let events = record(&client);
    client.wait_ready(PATIENCE).unwrap();
    assert_eq!(client.flag_count(), 3);
    let details = client.details(FlagKey::<bool>::new("odd", false), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::ParseError));
    let message = details.error_message().unwrap();
    assert!(message.contains("field `type`"), "{message}");
    let warnings = events.next_of(ProviderEvent::Ready).warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.flag.as_deref() == Some("odd") && w.message.contains("`PARSE_ERROR`")),
        "{warnings:?}"
    );
    // The broken flag is left out of the export (Flipt's engine refuses the whole document).
    let export = snapshot(&client);
    assert!(export["namespace"]["flags"].get("odd").is_none());
    assert!(export["namespace"]["flags"].get("beta").is_some());
}

// --- Bootstrap, export, persistence ----------------------------------------------------------

#[test]
fn bootstrap_from_an_exported_snapshot() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let first = ready(live(&server));
    let export = first.snapshot().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&export).unwrap(),
        exported(&two(true, "light"))
    );

    // The server down: the export serves, as JSON or base64 (what Flipt's SDKs take).
    let down = FaultServer::start();
    down.route("GET", POLL, Reply::status(503));
    for bootstrap in [export.clone(), flags_schema::flipt::to_base64(&export)] {
        let client = build(live(&down).bootstrap(bootstrap));
        assert!(client.wait_ready(PATIENCE).is_err());
        assert_eq!(client.flag_count(), 2);
        assert_eq!(client.snapshot().unwrap(), export);
    }
    // Any source reads it, given the format.
    let client = Client::builder()
        .in_process(source::json(export.clone()).format(flipt()))
        .build()
        .unwrap();
    assert_eq!(client.flag_count(), 2);
    assert_eq!(client.snapshot().unwrap(), export);
    let dir = TempDir::new("flipt-export");
    let path = dir.write("snapshot.b64", &flags_schema::flipt::to_base64(&export));
    let client = Client::builder()
        .in_process(source::file(&path).format(flipt()))
        .build()
        .unwrap();
    assert_eq!(client.flag_count(), 2);
    // An invalid bootstrap fails the build.
    let error = Client::builder()
        .in_process(live(&down).bootstrap("not a snapshot"))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error}");
    // Other sources export the document they serve.
    let flagd = r#"{"flags": {"on": {"state": "ENABLED", "variants": {"a": true}, "defaultVariant": "a"}}}"#;
    let client = Client::builder()
        .in_process(source::json(flagd))
        .build()
        .unwrap();
    assert_eq!(client.snapshot().unwrap(), flagd);
    let test_client = flags_runtime::Client::for_tests();
    assert!(matches!(
        test_client.client().snapshot(),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn persisted_snapshots_serve_a_restart_while_the_server_is_down() {
    let dir = TempDir::new("flipt-persist");
    let path = dir.path().join("cache").join("checkout.json");
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let client = ready(live(&server).persist(&path));
    eventually("the snapshot persisted", || path.exists());
    client.shutdown();
    let persisted: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(persisted["namespace"]["key"], "checkout");

    let down = FaultServer::start();
    down.route("GET", POLL, Reply::status(503));
    let restarted = build(live(&down).persist(&path));
    assert!(restarted.wait_ready(PATIENCE).is_err());
    assert_eq!(restarted.status(), ProviderStatus::Stale);
    assert_eq!(restarted.flag_count(), 2);
    assert_eq!(snapshot(&restarted), exported(&two(true, "light")));
}

// --- Streaming -------------------------------------------------------------------------------

fn streamed(server: &FaultServer) -> FliptSource {
    source::flipt(server.url(""))
        .namespace("checkout")
        .environment("production")
        .jwt("sekrit-jwt")
        .streaming()
        .retries(0)
        .retry_delay(Duration::from_millis(50))
}

#[test]
fn streams_each_line_as_the_whole_namespace() {
    let server = FaultServer::start();
    let (reply, stream) = Reply::sse(&line(&two(true, "light")));
    server.route("GET", STREAM, reply);
    let client = ready(streamed(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    assert_eq!(client.flag_count(), 2);
    let request = &requests(&server, STREAM)[0];
    assert_eq!(request.path, STREAM);
    assert_eq!(request.header("authorization"), Some("JWT sekrit-jwt"));
    assert_eq!(request.header("x-flipt-environment"), Some("production"));
    assert_eq!(
        request.header("x-flipt-accept-server-version"),
        Some("1.47.0")
    );
    assert!(requests(&server, POLL).is_empty());

    // A change, in two pieces, and CRLF line ends.
    let next = line(&two(false, "light")).replace('\n', "\r\n");
    let (a, b) = next.split_at(10);
    assert_eq!(stream.send_raw(a), 1);
    stream.send_raw(b);
    let changed = events.next_of(ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["beta"]);
    assert_eq!(snapshot(&client), exported(&two(false, "light")));
    // A line with a flag more.
    stream.send_raw(&line(&namespace(&[beta(false), theme("light"), {
        let mut more = beta(true);
        more["key"] = json!("more");
        more
    }])));
    eventually("the third flag", || client.flag_count() == 3);
    assert_eq!(stream.opened(), 1);
}

#[test]
fn a_malformed_line_is_an_error_and_the_last_snapshot_stays() {
    let server = FaultServer::start();
    let (reply, stream) = Reply::sse(&line(&two(true, "light")));
    server.route("GET", STREAM, reply);
    let client = ready(streamed(&server).max_body_size(4096));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    for (bad, says) in [
        ("garbage\n".to_owned(), "not JSON"),
        (
            "{\"error\": {\"code\": 13, \"message\": \"boom\"}}\n".to_owned(),
            "boom",
        ),
        (
            line(r#"{"namespace": {"key": "payments"}, "flags": []}"#),
            "`payments`",
        ),
        (
            format!("{}\n", "x".repeat(10_000)),
            "longer than 4096 bytes",
        ),
    ] {
        stream.send_raw(&bad);
        let error = events.next_of(ProviderEvent::Error);
        assert!(
            error.message.as_deref().unwrap().contains(says),
            "{says}: {error:?}"
        );
        assert_eq!(client.status(), ProviderStatus::Error);
        assert_eq!(client.flag_count(), 2);
        assert_eq!(snapshot(&client), exported(&two(true, "light")));
        // A good line: back.
        stream.send_raw(&line(&two(true, "light")));
        events.next_of(ProviderEvent::Ready);
    }
    assert_eq!(stream.opened(), 1, "a bad line does not end the stream");
}

#[test]
fn the_stream_is_opened_again_when_it_ends_breaks_or_stalls() {
    let server = FaultServer::start();
    let (reply, stream) = Reply::sse(&line(&two(true, "light")));
    server.route("GET", STREAM, reply);
    let client = ready(streamed(&server).idle_timeout(Duration::from_millis(300)));
    // Ended by the server: opened again, the state re-read. (Each stream then falls silent
    // and is opened again past the idle bound, so a slow machine may see counts go by: each
    // step waits for one more than it saw.)
    stream.close();
    eventually("a second stream", || stream.opened() >= 2);
    // Broken in the middle.
    let seen = stream.opened();
    stream.reset();
    eventually("a stream after the reset", || stream.opened() > seen);
    // Silent past the idle bound.
    let seen = stream.opened();
    eventually("a stream after the silence", || stream.opened() > seen);
    assert_eq!(client.flag_count(), 2);
    // A refresh opens a new stream at once and waits for its first line. Asked while a stream
    // is being opened, it is answered by that one (already counted): so ask just after a
    // stream opened, well before it falls silent.
    let seen = stream.opened();
    eventually("a stream to ask from", || stream.opened() > seen);
    std::thread::sleep(Duration::from_millis(100));
    let before = stream.opened();
    client.refresh().unwrap();
    assert!(stream.opened() > before);
}

#[test]
fn a_server_that_closes_at_once_is_never_reconnected_to_in_a_loop() {
    let server = FaultServer::start();
    // A stream that ends without a line, every time.
    server.route("GET", STREAM, Reply::json(""));
    let client = build(streamed(&server).retry_delay(Duration::from_millis(100)));
    assert!(client.wait_ready(PATIENCE).is_err());
    std::thread::sleep(Duration::from_secs(1));
    let attempts = requests(&server, STREAM).len();
    // 50-100 ms, then 100-200, 200-400, 400-800 ms: at most 5 in a second (a loop would make
    // thousands).
    assert!(
        (1..=6).contains(&attempts),
        "{attempts} streams in a second"
    );
    client.shutdown();
    let after = requests(&server, STREAM).len();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        requests(&server, STREAM).len(),
        after,
        "stopped on shutdown"
    );
}

#[test]
fn a_stream_whose_credentials_are_refused_stops() {
    let server = FaultServer::start();
    server.route("GET", STREAM, Reply::status(403));
    let client = build(streamed(&server));
    assert!(client.wait_ready(PATIENCE).is_err());
    assert_eq!(client.status(), ProviderStatus::Fatal);
    assert_eq!(requests(&server, STREAM).len(), 1);
    assert!(client.refresh().is_err());
    assert_eq!(requests(&server, STREAM).len(), 1);
}

#[test]
fn a_stream_down_at_start_and_fail_strategy() {
    let server = FaultServer::start();
    server.route("GET", STREAM, Reply::status(503));
    let client = build(streamed(&server).error_strategy(ErrorStrategy::Fail));
    assert!(client.wait_ready(PATIENCE).is_err());
    let details = client.details(FlagKey::<bool>::new("beta", false), &ctx());
    assert_eq!(details.error_code(), Some(ErrorCode::General));
    let (reply, _stream) = Reply::sse(&line(&two(true, "light")));
    server.route("GET", STREAM, reply);
    eventually("the stream serves", || {
        client.status() == ProviderStatus::Ready
    });
    assert_eq!(client.flag_count(), 2);
}

// --- TLS -------------------------------------------------------------------------------------

#[test]
fn tls_with_a_custom_ca_mutual_tls_and_the_hostname_skip() {
    let pki = TestPki::generate();
    let server = FaultServer::start_tls(pki.other_host_server_config(true));
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let transport = || {
        TransportConfig::new()
            .add_root_certificate_pem(pki.ca_pem.clone())
            .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
    };
    // The certificate names another host: refused unless the hostname check is skipped.
    let client = build(live(&server).transport(transport()));
    assert!(client.wait_ready(PATIENCE).is_err());
    let client = ready(live(&server).transport(transport().tls_skip_hostname_verification(true)));
    assert_eq!(client.flag_count(), 2);
}

// --- Values: these need the engine's Flipt dialect (`engine/flipt/`) -------------------------

/// The namespace of `schema/tests/fixtures/services/flipt-namespace.json`; each expectation is
/// what Flipt's engine (`flipt-client` 1.4.5) answered for it.
fn fixture() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schema/tests/fixtures/services/flipt-namespace.json");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn flipt_namespaces_evaluate_as_flipts_engine_does() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&fixture()));
    let client = ready(live(&server));
    let checkout = FlagKey::<bool>::new("new-checkout", false);
    let staff = Context::new("u-1")
        .with("email", "ada@example.com")
        .with("age", "20");
    let details = client.details(&checkout, &staff);
    assert_eq!(
        (details.value, details.reason),
        (true, Reason::TargetingMatch)
    );
    let details = client.details(&checkout, &Context::new("b"));
    assert_eq!((details.value, details.reason), (true, Reason::Split));
    let details = client.details(&checkout, &Context::new("x"));
    assert_eq!((details.value, details.reason), (true, Reason::Default));
    let details = client.details(&checkout, &Context::new("x").with("beta", "true"));
    assert_eq!(
        (details.value, details.reason),
        (false, Reason::TargetingMatch)
    );

    let theme = FlagKey::<String>::new("theme", String::new());
    let pro = |id: &str| Context::new(id).with("plan", "pro");
    let details = client.details(&theme, &pro("user-5"));
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("dark", Reason::Split)
    );
    assert_eq!(client.value(&theme, &pro("user-1")), "contrast");
    let details = client.details(&theme, &Context::new("u-1").with("plan", "free"));
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("light", Reason::TargetingMatch)
    );

    let details = client.details(FlagKey::<bool>::new("maintenance", true), &ctx());
    assert_eq!((details.value, details.reason), (false, Reason::Disabled));
    let details = client.details(FlagKey::<String>::new("copy", String::new()), &ctx());
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("formal", Reason::Disabled)
    );
}

#[test]
fn rule_less_flags_serve_as_flipt_serves_them() {
    let server = FaultServer::start();
    server.route("GET", POLL, Reply::json(&two(true, "light")));
    let client = ready(live(&server));
    let details = client.details(FlagKey::<bool>::new("beta", false), &ctx());
    assert_eq!((details.value, details.reason), (true, Reason::Default));
    let details = client.details(FlagKey::<String>::new("theme", String::new()), &ctx());
    assert_eq!(
        (details.value.as_str(), details.reason),
        ("light", Reason::Default)
    );
    assert_eq!(details.variant.as_deref(), Some("light"));
    // A snapshot exported by Flipt's own engine (base64), served as a bootstrap.
    let down = FaultServer::start();
    down.route("GET", POLL, Reply::status(503));
    let engine = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schema/tests/fixtures/services/flipt-engine-snapshot.json"),
    )
    .unwrap();
    let client = build(live(&down).bootstrap(flags_schema::flipt::to_base64(&engine)));
    let details = client.details(FlagKey::<bool>::new("maintenance", true), &ctx());
    assert_eq!((details.value, details.reason), (false, Reason::Disabled));
}
