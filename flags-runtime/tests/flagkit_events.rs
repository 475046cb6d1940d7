//! FlagKit's event batches (`tracking::flagkit`) against the scripted FlagKit service on
//! 127.0.0.1: the request, its signature (checked as the service checks it, by
//! re-canonicalising the body), key rotation, and what 401, 400, 5xx, a slow and a down
//! service do to the events (kept, dropped, sent again).
#![cfg(feature = "http")]

mod support;

use std::time::Duration;

use flags_runtime::tracking::{self, EventOptions};
use flags_runtime::transport::TransportConfig;
use flags_runtime::{Client, Context, Error, FlagKey, TrackingDetails, Value, source};
use flags_test_support::fault::Reply;
use flags_test_support::flagkit::{FlagKitService, verify_signature};
use serde_json::{Value as Json, json};

const BATCH: &str = "/api/v1/sdk/events/batch";
const KEY: &str = "sdk_primary_0123456789";
const SECONDARY: &str = "sdk_secondary_9876543210";
const FLAGS: &str = r#"{"flags": {"beta": {"state": "ENABLED", "variants": {"on": true, "off": false},
    "defaultVariant": "on"}}}"#;

fn client(exporter: tracking::FlagKit) -> Client {
    support::events_client(FLAGS, exporter)
}

fn exporter(service: &FlagKitService) -> tracking::FlagKit {
    tracking::flagkit(KEY)
        .base_url(service.base_url())
        .transport(support::fast_transport())
}

/// The events of every batch the service received, in order.
fn delivered(service: &FlagKitService) -> Vec<Json> {
    service
        .requests_to(BATCH)
        .iter()
        .flat_map(|r| {
            let body: Json = serde_json::from_slice(&r.body).unwrap();
            body["events"].as_array().unwrap().clone()
        })
        .collect()
}

#[test]
fn tracking_events_are_posted_signed_as_flagkit_events() {
    let service = FlagKitService::start();
    service.route(
        "POST",
        BATCH,
        Reply::json(r#"{"success": true, "recorded": 2}"#),
    );
    let client = client(exporter(&service).environment_id("env-1"));
    let alice = Context::new("user-1").with("plan", "pro");
    client.track(
        "checkout-completed",
        &alice,
        TrackingDetails::value(42.5)
            .with("currency", "EUR")
            .with("items", 3),
    );
    client.track("signed.up_v2", &Context::default(), TrackingDetails::new());
    // Evaluations are not FlagKit events.
    assert!(client.value(FlagKey::new("beta", false), &alice));
    assert!(client.flush_events(Duration::from_secs(10)));

    let requests = service.requests_to(BATCH);
    assert_eq!(requests.len(), 1, "one batch");
    let request = &requests[0];
    verify_signature(request, KEY).unwrap();
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("x-flagkit-sdk-language"), Some("rust"));
    assert_eq!(
        request.header("content-type"),
        Some("application/json"),
        "{:?}",
        request.headers
    );
    service.assert_no_key_in_urls(&[KEY]);
    // The bytes sent are the canonical form the signature covers.
    let body: Json = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        std::str::from_utf8(&request.body).unwrap(),
        flags_test_support::flagkit::canonical(&body)
    );

    let events = delivered(&service);
    assert_eq!(events.len(), 2, "{events:?}");
    let first = &events[0];
    assert_eq!(first["eventType"], "checkout-completed");
    assert_eq!(first["userId"], "user-1");
    assert_eq!(first["environmentId"], "env-1");
    assert_eq!(first["sdkLanguage"], "rust");
    assert_eq!(
        first["sdkVersion"],
        flags_runtime::remote::FLAGKIT_SDK_VERSION
    );
    assert_eq!(
        first["eventData"],
        json!({ "value": 42.5, "currency": "EUR", "items": 3 })
    );
    let timestamp = first["timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() == 24 && timestamp.ends_with('Z') && timestamp.as_bytes()[19] == b'.',
        "ISO 8601 in UTC with milliseconds: {timestamp}"
    );
    let id = first["id"].as_str().unwrap();
    assert!(tracking::EventId::parse(id).is_some(), "{id}");
    let second = &events[1];
    assert_eq!(second["eventType"], "signed.up_v2");
    assert_ne!(second["id"], first["id"]);
    assert_eq!(
        second["sessionId"], first["sessionId"],
        "one session per exporter"
    );
    for absent in ["userId", "eventData"] {
        assert!(second.get(absent).is_none(), "{absent} left out when empty");
    }
    let stats = client.event_stats().unwrap();
    assert_eq!((stats.exported, stats.queued), (2, 0));
}

#[test]
fn a_refused_primary_key_switches_to_the_secondary_for_good() {
    let service = FlagKitService::start();
    service.route(
        "POST",
        BATCH,
        Reply::status(401).body(r#"{"error": "invalid key"}"#),
    );
    service.then("POST", BATCH, Reply::status(200));
    let client = client(exporter(&service).secondary_key(SECONDARY));
    client.track("a", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    client.track("b", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    let requests = service.requests_to(BATCH);
    assert_eq!(
        requests.len(),
        3,
        "refused, sent again at once, then the next batch"
    );
    verify_signature(&requests[0], KEY).unwrap();
    for request in &requests[1..] {
        assert_eq!(request.header("x-api-key"), Some(SECONDARY));
        verify_signature(request, SECONDARY).unwrap();
    }
    let names: Vec<String> = delivered(&service)
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["a", "a", "b"]);
    assert_eq!(client.event_stats().unwrap().exported, 2);
}

#[test]
fn a_refused_key_without_a_secondary_keeps_the_events() {
    let service = FlagKitService::start();
    service.route("POST", BATCH, Reply::status(401));
    service.then("POST", BATCH, Reply::status(200));
    let client = client(exporter(&service));
    client.track("a", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(service.requests_to(BATCH).len(), 1, "a 401 is not retried");
    let stats = client.event_stats().unwrap();
    assert_eq!((stats.failed_exports, stats.queued), (1, 1));
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(client.event_stats().unwrap().exported, 1);
    assert_eq!(delivered(&service).len(), 2, "refused, then taken");
}

#[test]
fn server_errors_are_retried_then_kept_in_order_and_rejected_batches_dropped() {
    let service = FlagKitService::start();
    service.route("POST", BATCH, Reply::status(503));
    for _ in 0..2 {
        service.then("POST", BATCH, Reply::status(500));
    }
    service.then("POST", BATCH, Reply::status(200));
    let client = client(exporter(&service));
    client.track("a", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    assert_eq!(
        service.requests_to(BATCH).len(),
        3,
        "the transport's two retries"
    );
    assert_eq!(client.event_stats().unwrap().queued, 1);
    client.track("b", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    let last = service.requests_to(BATCH).pop().unwrap();
    let body: Json = serde_json::from_slice(&last.body).unwrap();
    let names: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"], "kept in order, new events behind");

    service.route(
        "POST",
        BATCH,
        Reply::status(400).body(r#"{"message": "malformed event"}"#),
    );
    client.track("c", &Context::new("u"), TrackingDetails::new());
    assert!(client.flush_events(Duration::from_secs(10)));
    assert!(client.flush_events(Duration::from_secs(10)));
    let stats = client.event_stats().unwrap();
    assert_eq!((stats.dropped, stats.queued, stats.exported), (1, 0, 2));
}

#[test]
fn a_slow_or_down_service_keeps_the_events_and_shutdown_stays_bounded() {
    let service = FlagKitService::start();
    service.route(
        "POST",
        BATCH,
        Reply::status(200).delay(Duration::from_secs(5)),
    );
    let slow = client(
        exporter(&service).transport(
            TransportConfig::new()
                .timeout(Duration::from_millis(100))
                .retries(0),
        ),
    );
    slow.track("a", &Context::new("u"), TrackingDetails::new());
    assert!(slow.flush_events(Duration::from_secs(10)));
    let stats = slow.event_stats().unwrap();
    assert_eq!((stats.failed_exports, stats.queued), (1, 1));
    service.route("POST", BATCH, Reply::status(200));
    assert!(slow.flush_events(Duration::from_secs(10)));
    assert_eq!(slow.event_stats().unwrap().exported, 1);

    // A port nothing listens on: taken, then released.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = client(
        tracking::flagkit(KEY)
            .base_url(format!("http://{addr}/api/v1"))
            .transport(support::fast_transport()),
    );
    down.track("a", &Context::new("u"), TrackingDetails::new());
    assert!(down.flush_events(Duration::from_secs(10)));
    let stats = down.event_stats().unwrap();
    assert_eq!((stats.failed_exports, stats.queued), (1, 1));
    // Brought up where the client points: the shutdown's flush delivers.
    let Ok(up) = FlagKitService::start_at(addr) else {
        return; // the port was taken meanwhile: nothing more to learn here
    };
    up.route("POST", BATCH, Reply::status(200));
    down.track("b", &Context::new("u"), TrackingDetails::new());
    down.shutdown();
    assert_eq!(delivered(&up).len(), 2);
}

#[test]
fn what_flagkit_would_refuse_is_left_out_with_one_warning() {
    let logs = support::Logs::global();
    let service = FlagKitService::start();
    service.route("POST", BATCH, Reply::status(200));
    let lenient = client(exporter(&service));
    let u = Context::new("u");
    lenient.track("has space", &u, TrackingDetails::new());
    lenient.track(&"x".repeat(129), &u, TrackingDetails::new());
    lenient.track(
        "nested",
        &u,
        TrackingDetails::new()
            .with("tags", Value::List(vec![Value::from("a")]))
            .with("ok", true),
    );
    lenient.track(
        "personal",
        &u,
        TrackingDetails::new().with("email", "someone@example.com"),
    );
    assert!(lenient.flush_events(Duration::from_secs(10)));
    let events = delivered(&service);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nested", "personal"], "invalid names are not sent");
    assert_eq!(events[0]["eventData"], json!({ "ok": true }));
    let ours: Vec<String> = logs
        .messages()
        .into_iter()
        .filter(|m| m.contains("FlagKit"))
        .collect();
    let count = |needle: &str| ours.iter().filter(|m| m.contains(needle)).count();
    assert_eq!(count("its name `has space`"), 1, "{ours:?}");
    assert_eq!(
        count("is not 1 to 128"),
        1,
        "one warning for both names: {ours:?}"
    );
    assert_eq!(count("the field `tags`"), 1, "{ours:?}");
    assert_eq!(count("looks like an e-mail address"), 1, "{ours:?}");
    assert!(
        ours.iter().all(|m| !m.contains("someone@example.com")),
        "{ours:?}"
    );

    // Strict: the personal event is not sent.
    let strict_service = FlagKitService::start();
    strict_service.route("POST", BATCH, Reply::status(200));
    let strict = client(exporter(&strict_service).strict_pii());
    strict.track(
        "personal",
        &u,
        TrackingDetails::new().with("phone", "+44 20 7946 0000"),
    );
    strict.track(
        "by-key",
        &Context::new("someone@example.com"),
        TrackingDetails::new(),
    );
    strict.track("fine", &u, TrackingDetails::value(1.0));
    assert!(strict.flush_events(Duration::from_secs(10)));
    let names: Vec<String> = delivered(&strict_service)
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["fine"]);
    // Everything handed over counts as exported (the left-out events are not retried).
    assert_eq!(strict.event_stats().unwrap().queued, 0);
}

#[test]
fn the_configuration_is_checked_when_the_client_is_built() {
    let build = |exporter: tracking::FlagKit| {
        Client::builder()
            .in_process(source::json(FLAGS))
            .events(exporter)
            .build()
            .unwrap_err()
    };
    let key = build(tracking::flagkit("not-a-key"));
    assert!(matches!(&key, Error::Exporter { exporter, .. } if exporter == "flagkit"));
    assert!(key.to_string().contains("sdk_"), "{key}");
    assert!(!key.to_string().contains("not-a-key"), "{key}");
    let secondary = build(tracking::flagkit(KEY).secondary_key(""));
    assert!(secondary.to_string().contains("secondary"), "{secondary}");
    let url = build(tracking::flagkit(KEY).base_url("flagkit.local/api"));
    assert!(url.to_string().contains("not usable"), "{url}");
    let env = build(tracking::flagkit(KEY).environment_id(" "));
    assert!(env.to_string().contains("environment id is empty"), "{env}");
    let debug = format!("{:?}", tracking::flagkit(KEY).secondary_key(SECONDARY));
    assert!(
        !debug.contains(KEY) && !debug.contains(SECONDARY),
        "{debug}"
    );
    let built = tracking::flagkit(KEY).build().unwrap();
    assert!(!format!("{built:?}").contains(KEY));
}

/// With the event log, an event tracked by a client that never delivered it is sent, with the
/// same id, by the next client opened on the directory.
#[test]
fn logged_events_are_resent_with_their_ids_after_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "flags-flagkit-events-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let service = FlagKitService::start();
    service.route("POST", BATCH, Reply::status(503));
    let build = || {
        Client::builder()
            .in_process(source::json(FLAGS))
            .events(exporter(&service))
            .event_log(&dir)
            .event_options(
                EventOptions::default()
                    .flush_interval(Duration::from_secs(3600))
                    .retry_delay(Duration::from_millis(1))
                    .shutdown_timeout(Duration::from_millis(500)),
            )
            .build()
            .unwrap()
    };
    let first = build();
    first.track("kept", &Context::new("u"), TrackingDetails::new());
    assert!(first.flush_events(Duration::from_secs(10)));
    let refused = delivered(&service);
    assert!(!refused.is_empty());
    let id = refused[0]["id"].clone();
    first.shutdown();
    drop(first);

    service.route("POST", BATCH, Reply::status(200));
    let before = service.requests_to(BATCH).len();
    let second = build();
    assert!(second.flush_events(Duration::from_secs(10)));
    let resent: Vec<Json> = service.requests_to(BATCH)[before..]
        .iter()
        .flat_map(|r| {
            let body: Json = serde_json::from_slice(&r.body).unwrap();
            body["events"].as_array().unwrap().clone()
        })
        .collect();
    assert_eq!(resent.len(), 1, "{resent:?}");
    assert_eq!(resent[0]["eventType"], "kept");
    assert_eq!(
        resent[0]["id"], id,
        "the same id, so the receiver can drop a duplicate"
    );
    second.shutdown();
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}
