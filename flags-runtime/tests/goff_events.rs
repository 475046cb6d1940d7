//! GO Feature Flag's data collector exporter (`tracking::go_feature_flag`) against the fault
//! server on 127.0.0.1 playing the relay: the request, its body and headers, and what 401,
//! 400, 5xx, a slow and a down collector do to the events (kept, dropped, sent again).
#![cfg(feature = "http")]

mod support;

use std::time::Duration;

use flags_runtime::tracking::{self, EventOptions};
use flags_runtime::transport::TransportConfig;
use flags_runtime::{Client, Context, Error, FlagKey, TrackingDetails, source};
use flags_runtime::{ErrorCode, remote};
use flags_test_support::fault::{FaultServer, Reply};
use serde_json::{Value, json};

const COLLECTOR: &str = "/v1/data/collector";
const FLAGS: &str = r#"{"flags": {"beta": {"state": "ENABLED", "variants": {"on": true, "off": false},
    "defaultVariant": "on"}}}"#;

fn client(exporter: tracking::GoFeatureFlag) -> Client {
    support::events_client(FLAGS, exporter)
}

fn beta() -> FlagKey<bool> {
    FlagKey::new("beta", false)
}

/// The events of every request the collector received, in order.
fn delivered(server: &FaultServer) -> Vec<Value> {
    server
        .requests()
        .iter()
        .filter(|r| r.path == COLLECTOR)
        .flat_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["events"].as_array().unwrap().clone()
        })
        .collect()
}

#[test]
fn evaluation_events_are_posted_as_feature_events_with_meta_and_key() {
    let server = FaultServer::start();
    server.route(
        "POST",
        COLLECTOR,
        Reply::json(r#"{"ingestedContentCount":2}"#),
    );
    let client = client(
        tracking::go_feature_flag(server.url(""))
            .api_key("s3cret")
            .metadata("service", "checkout")
            .metadata("replicas", 3)
            .transport(support::fast_transport()),
    );
    assert!(client.value(beta(), &Context::new("user-1")));
    assert!(!client.value(
        FlagKey::<bool>::new("missing", false),
        &Context::new("user-2").with("anonymous", true)
    ));
    // Tracking events are not sent unless asked for.
    client.track("ignored", &Context::new("user-1"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", COLLECTOR)
    );
    assert_eq!(request.header("x-api-key"), Some("s3cret"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body["meta"],
        json!({"service": "checkout", "replicas": 3, "provider": "rust", "openfeature": true})
    );
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let created = events[0]["creationDate"].as_i64().unwrap();
    assert!(
        (1_700_000_000..4_000_000_000).contains(&created),
        "Unix seconds: {created}"
    );
    assert_eq!(
        events[0],
        json!({"kind": "feature", "contextKind": "user", "userKey": "user-1",
            "creationDate": created, "key": "beta", "variation": "on", "value": true,
            "default": false, "source": "PROVIDER_CACHE"})
    );
    assert_eq!(
        events[1],
        json!({"kind": "feature", "contextKind": "anonymousUser", "userKey": "user-2",
            "creationDate": events[1]["creationDate"], "key": "missing",
            "variation": "SdkDefault", "value": false, "default": true,
            "source": "PROVIDER_CACHE"})
    );
    // The key never shows in Debug.
    let debug = format!(
        "{:?}",
        tracking::go_feature_flag(server.url("")).api_key("s3cret")
    );
    assert!(!debug.contains("s3cret"), "{debug}");
}

#[test]
fn without_a_key_no_key_header_and_tracking_events_when_asked() {
    let server = FaultServer::start();
    server.route("POST", COLLECTOR, Reply::status(200));
    let client = client(
        tracking::go_feature_flag(server.url("/"))
            .tracking(true)
            .transport(support::fast_transport()),
    );
    client.track(
        "checkout-completed",
        &Context::new("user-1").with("plan", "pro"),
        TrackingDetails::value(42.0).with("currency", "EUR"),
    );
    assert!(client.flush_events(Duration::from_secs(10)));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, COLLECTOR, "one slash");
    assert_eq!(requests[0].header("x-api-key"), None);
    let events = delivered(&server);
    let event = &events[0];
    assert_eq!(event["kind"], "tracking");
    assert_eq!(event["key"], "checkout-completed");
    assert_eq!(event["userKey"], "user-1");
    assert_eq!(event["contextKind"], "user");
    assert_eq!(
        event["evaluationContext"],
        json!({"targetingKey": "user-1", "plan": "pro"})
    );
    assert_eq!(
        event["trackingEventDetails"],
        json!({"value": 42.0, "currency": "EUR"})
    );
    assert_eq!(event["id"].as_str().map(str::len), Some(32));
}

#[test]
fn a_refused_key_keeps_the_events_until_it_is_accepted() {
    let server = FaultServer::start();
    server.route("POST", COLLECTOR, Reply::status(401));
    server.then("POST", COLLECTOR, Reply::status(200));
    let client = client(
        tracking::go_feature_flag(server.url(""))
            .api_key("old")
            .transport(support::fast_transport()),
    );
    client.value(beta(), &Context::new("u"));
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(server.count(), 1, "a 401 is not retried by the transport");
    let stats = client.event_stats().unwrap();
    assert_eq!(
        (stats.failed_exports, stats.queued, stats.exported),
        (1, 1, 0)
    );
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(
        delivered(&server).len(),
        2,
        "the batch went twice: refused, then taken"
    );
    assert_eq!(client.event_stats().unwrap().exported, 1);
}

#[test]
fn server_errors_are_retried_then_the_batch_waits_for_recovery() {
    let server = FaultServer::start();
    server.route("POST", COLLECTOR, Reply::status(503));
    for _ in 0..2 {
        server.then("POST", COLLECTOR, Reply::status(500));
    }
    server.then("POST", COLLECTOR, Reply::status(200));
    let client =
        client(tracking::go_feature_flag(server.url("")).transport(support::fast_transport()));
    for user in ["a", "b"] {
        client.value(beta(), &Context::new(user));
    }
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(server.count(), 3, "the transport's two retries");
    assert_eq!(client.event_stats().unwrap().queued, 2);
    client.value(beta(), &Context::new("c"));
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(server.count(), 4);
    let last = server.requests().pop().unwrap();
    let body: Value = serde_json::from_slice(&last.body).unwrap();
    let users: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["userKey"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["a", "b", "c"], "kept in order, new events behind");
    assert_eq!(client.event_stats().unwrap().exported, 3);
}

#[test]
fn a_batch_the_collector_rejects_is_dropped() {
    let server = FaultServer::start();
    server.route(
        "POST",
        COLLECTOR,
        Reply::status(400).body(r#"{"errorCode":"INVALID_REQUEST"}"#),
    );
    let client =
        client(tracking::go_feature_flag(server.url("")).transport(support::fast_transport()));
    client.value(beta(), &Context::new("u"));
    assert!(client.flush_events(Duration::from_secs(10)));
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(server.count(), 1, "neither retried nor sent again");
    let stats = client.event_stats().unwrap();
    assert_eq!((stats.dropped, stats.queued), (1, 0));
}

#[test]
fn a_slow_collector_times_out_and_the_events_are_kept() {
    let server = FaultServer::start();
    server.route(
        "POST",
        COLLECTOR,
        Reply::status(200).delay(Duration::from_secs(5)),
    );
    let client = client(
        tracking::go_feature_flag(server.url("")).transport(
            TransportConfig::new()
                .timeout(Duration::from_millis(100))
                .retries(0),
        ),
    );
    client.value(beta(), &Context::new("u"));
    assert!(client.flush_events(Duration::from_secs(10)));
    let stats = client.event_stats().unwrap();
    assert_eq!((stats.failed_exports, stats.queued), (1, 1));
    server.route("POST", COLLECTOR, Reply::status(200));
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(client.event_stats().unwrap().exported, 1);
}

#[test]
fn a_collector_down_keeps_the_events_and_shutdown_stays_bounded() {
    // A port nothing listens on: taken, then released.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = client(
        tracking::go_feature_flag(format!("http://{addr}")).transport(support::fast_transport()),
    );
    client.value(beta(), &Context::new("u"));
    assert!(client.flush_events(Duration::from_secs(10)));
    let stats = client.event_stats().unwrap();
    assert_eq!((stats.failed_exports, stats.queued), (1, 1));
    // Brought up where the client points: the next flush delivers.
    let Ok(server) = FaultServer::start_at(addr) else {
        return; // the port was taken meanwhile: nothing more to learn here
    };
    server.route("POST", COLLECTOR, Reply::status(200));
    client.value(beta(), &Context::new("v"));
    client.shutdown();
    assert_eq!(delivered(&server).len(), 2);
}

#[test]
fn the_configuration_is_checked_when_the_client_is_built() {
    let build = |exporter: tracking::GoFeatureFlag| {
        Client::builder()
            .in_process(source::json(FLAGS))
            .events(exporter)
            .build()
            .unwrap_err()
    };
    let reserved = build(tracking::go_feature_flag("http://relay:1031").metadata("provider", "x"));
    assert!(matches!(&reserved, Error::Exporter { exporter, .. } if exporter == "go-feature-flag"));
    assert!(
        reserved.to_string().contains("`provider` is reserved"),
        "{reserved}"
    );
    let list =
        build(tracking::go_feature_flag("http://relay:1031").metadata("zones", vec!["a", "b"]));
    assert!(
        list.to_string()
            .contains("must be a string, boolean, integer or float"),
        "{list}"
    );
    let url = build(tracking::go_feature_flag("relay:1031"));
    assert!(url.to_string().contains("is not usable"), "{url}");
    // Accepted types, checked without a client.
    assert!(
        tracking::go_feature_flag("http://relay:1031")
            .metadata("s", "x")
            .metadata("b", true)
            .metadata("i", 1)
            .metadata("f", 1.5)
            .build()
            .is_ok()
    );
}

/// Evaluation events of an in-process GO Feature Flag source: none for a flag with
/// `trackEvents: false`, none for a value its remote fallback answered (the relay counted that
/// one), one for every other read, errors included.
#[test]
fn untracked_flags_and_remote_answers_are_not_recorded() {
    let server = FaultServer::start();
    server.route(
        "POST",
        "/v1/flag/configuration",
        Reply::json(
            &json!({ "flags": {
                "limit": { "variations": { "small": 10, "large": 100 },
                           "defaultRule": { "variation": "large" } },
                "quiet": { "variations": { "small": 10, "large": 100 }, "trackEvents": false,
                           "defaultRule": { "variation": "small" } },
                "broken": { "variations": { "a": 1 }, "disable": "maybe" }
            } })
            .to_string(),
        ),
    );
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/broken",
        Reply::json(r#"{"key":"broken","value":42,"reason":"TARGETING_MATCH","variant":"big"}"#),
    );
    server.route("POST", COLLECTOR, Reply::status(200));
    let client = Client::builder()
        .in_process(
            source::go_feature_flag(server.url(""))
                .interval(Duration::from_secs(3600))
                .remote_fallback(remote::ofrep(server.url(""))),
        )
        .events(tracking::go_feature_flag(server.url("")).transport(support::fast_transport()))
        .event_options(EventOptions::default().flush_interval(Duration::from_secs(3600)))
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let ctx = Context::new("user-1");
    let (limit, quiet, broken) = (
        FlagKey::<i64>::new("limit", 1),
        FlagKey::<i64>::new("quiet", 1),
        FlagKey::<i64>::new("broken", 7),
    );
    // The first read of `broken` is the engine's error, recorded; it asks the relay.
    assert_eq!(
        client.details(&broken, &ctx).error_code(),
        Some(ErrorCode::ParseError)
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while client.value(&broken, &ctx) != 42 {
        assert!(std::time::Instant::now() < deadline, "no remote answer");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(client.flush_events(Duration::from_secs(10)));
    let before = delivered(&server).len();
    for _ in 0..3 {
        assert_eq!(client.value(&broken, &ctx), 42);
        assert_eq!(client.value(&quiet, &ctx), 10);
    }
    assert_eq!(client.value(&limit, &ctx), 100);
    assert!(client.flush_events(Duration::from_secs(10)));
    let events = delivered(&server);
    let keys: Vec<&str> = events[before..]
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["limit"],
        "remote answers and `trackEvents: false` are not recorded"
    );
    let first = &events[0];
    assert_eq!(
        (
            first["key"].as_str(),
            first["default"].as_bool(),
            first["variation"].as_str()
        ),
        (Some("broken"), Some(true), Some("SdkDefault")),
        "the engine's error was recorded"
    );
}
