//! OFREP bulk mode: SSE change notification (`eventStreams`, `refetchEvaluation`) and context
//! changes, against the fault-injecting server on 127.0.0.1.
#![cfg(feature = "http")]

use std::sync::mpsc;
use std::time::{Duration, Instant};

use flags_runtime::transport::TransportConfig;
use flags_runtime::{
    Client, Context, Error, ErrorCode, FlagKey, ProviderEvent, ProviderStatus, remote,
};
use flags_test_support::fault::{FaultServer, Recorded, Reply, SseHandle};
use serde_json::{Value, json};

const BULK: &str = "/ofrep/v1/evaluate/flags";
const THEME: FlagKey<String> = FlagKey::from_fn("theme", || "light".to_owned());
const LIMIT: FlagKey<i64> = FlagKey::from_fn("upload-limit", || 10);

/// Polls `condition` every 10 ms for at most 10 s; whether it held.
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A bulk answer with `theme` and `upload-limit`, announcing `streams`.
fn bulk(theme: &str, limit: i64, streams: Value) -> String {
    let mut answer = json!({ "flags": [
        { "key": "theme", "value": theme, "reason": "STATIC", "variant": theme },
        { "key": "upload-limit", "value": limit, "reason": "TARGETING_MATCH", "variant": "v" }
    ] });
    if !streams.is_null() {
        answer["eventStreams"] = streams;
    }
    answer.to_string()
}

fn sse_at(request_uri: &str) -> Value {
    json!([{ "type": "sse", "endpoint": { "requestUri": request_uri } }])
}

fn bulk_requests(server: &FaultServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.starts_with(BULK))
        .collect()
}

fn body(recorded: &Recorded) -> Value {
    serde_json::from_slice(&recorded.body).unwrap()
}

fn client(server: &FaultServer, context: Context) -> Client {
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")).bulk(context, None))
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    client
}

/// A server whose bulk answer (ETag `"v1"`) announces an event stream at `/events?channel=c1`.
fn streaming_server(first: &str) -> (FaultServer, SseHandle) {
    let server = FaultServer::start();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 100, sse_at("/events?channel=c1"))).etag("\"v1\""),
    );
    let (reply, handle) = Reply::sse(first);
    server.route("GET", "/events", reply);
    (server, handle)
}

#[test]
fn refetch_messages_refetch_once_each_and_garbage_is_ignored() {
    let (server, events) = streaming_server(": welcome\n\n");
    let client = client(&server, Context::new("device-1"));
    assert!(eventually(|| events.open_now() == 1), "never connected");
    let stream = server
        .requests()
        .into_iter()
        .find(|r| r.method == "GET")
        .unwrap();
    assert_eq!(stream.path, "/events?channel=c1");
    assert_eq!(stream.header("accept"), Some("text/event-stream"));
    assert_eq!(stream.header("last-event-id"), None);
    assert_eq!(bulk_requests(&server).len(), 1);

    let (tx, rx) = mpsc::channel();
    client.on(ProviderEvent::ConfigurationChanged, move |event| {
        let _ = tx.send(event.flags_changed.clone());
    });
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("blue", 100, sse_at("/events?channel=c1"))).etag("\"v2\""),
    );
    assert_eq!(events.refetch(Some("cfg-2"), Some(1_771_622_898)), 1);
    let changed = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(changed, ["theme"]);
    assert_eq!(client.value(&THEME, &Context::anonymous()), "blue");
    let requests = bulk_requests(&server);
    assert_eq!(requests.len(), 2);
    // The event's metadata as query parameters, and the held ETag.
    assert_eq!(
        requests[1].path,
        format!("{BULK}?flagConfigEtag=cfg-2&flagConfigLastModified=1771622898")
    );
    assert_eq!(requests[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        body(&requests[1]),
        json!({ "context": { "targetingKey": "device-1" } })
    );

    // Garbage, comments, unknown types, non-JSON data and an oversized event cause nothing;
    // the refetch after them is the only request (answered 304: no event).
    events.send_raw("garbage without colon\n: comment\nunknown: field\n\n");
    events.message(r#"{"type":"somethingElse","etag":"x"}"#);
    events.message("not json at all");
    events.send_raw(&format!("data: {}\n\n", "x".repeat(200 * 1024)));
    events.send_raw("retry: soon\nid: evt-9\ndata: [1,2]\n\n");
    assert_eq!(events.refetch(None, None), 1);
    assert!(eventually(|| bulk_requests(&server).len() >= 3));
    let requests = bulk_requests(&server);
    assert_eq!(requests.len(), 3, "one refetch for one message");
    assert_eq!(requests[2].path, BULK);
    assert_eq!(requests[2].header("if-none-match"), Some("\"v2\""));
    assert!(rx.try_recv().is_err(), "a 304 changes nothing");
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(events.opened(), 1, "the stream survived the garbage");
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 100);
    client.shutdown();
    assert!(
        eventually(|| events.open_now() == 0),
        "shutdown closes the stream"
    );
}

#[test]
fn a_dropped_stream_reconnects_with_its_last_event_id_and_refetches() {
    let (server, events) = streaming_server("retry: 50\n\n");
    let client = client(&server, Context::new("device-1"));
    assert!(eventually(|| events.open_now() == 1));
    events.send_raw("id: evt-1\n: no data, no dispatch, but the id counts\n\n");
    events.close();
    assert!(eventually(|| events.opened() == 2), "no reconnection");
    let streams: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(streams[1].header("last-event-id"), Some("evt-1"));
    // Messages may have been missed: an unconditional refetch (no `If-None-Match`).
    assert!(eventually(|| bulk_requests(&server).len() == 2));
    assert_eq!(bulk_requests(&server)[1].header("if-none-match"), None);

    // A connection broken mid-body, then a server that refuses streams for a while: the
    // provider keeps trying, with backoff, and comes back.
    server.route("GET", "/events", Reply::status(503));
    server.then("GET", "/events", Reply::status(503));
    let (reply, next) = Reply::sse("retry: 50\n\n");
    server.then("GET", "/events", reply);
    let before = server.count_path("/events");
    events.reset();
    assert!(
        eventually(|| next.open_now() == 1),
        "no reconnection after 503s"
    );
    assert_eq!(server.count_path("/events"), before + 3);
    assert!(eventually(|| bulk_requests(&server).len() == 3));
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(client.value(&THEME, &Context::anonymous()), "dark");
}

#[test]
fn no_event_streams_no_connection_until_an_answer_announces_one() {
    let server = FaultServer::start();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 1, Value::Null)).etag("\"v1\""),
    );
    let (reply, events) = Reply::sse("");
    server.route("GET", "/events", reply);
    let client = client(&server, Context::new("device-1"));
    client.refresh().unwrap();
    client.refresh().unwrap();
    assert_eq!(events.opened(), 0);
    assert_eq!(server.count_path("/events"), 0);
    // A later answer announcing a stream starts the listening.
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 2, sse_at("/events"))).etag("\"v2\""),
    );
    client.refresh().unwrap();
    assert!(eventually(|| events.open_now() == 1));
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 2);
}

#[test]
fn a_fresh_answer_announcing_another_stream_switches_to_it() {
    let (server, first) = streaming_server("");
    let client = client(&server, Context::new("device-1"));
    assert!(eventually(|| first.open_now() == 1));
    let (reply, second) = Reply::sse("");
    server.route("GET", "/second", reply);
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("green", 100, sse_at("/second"))).etag("\"v2\""),
    );
    first.refetch(None, None);
    assert!(eventually(|| second.open_now() == 1), "not switched");
    assert!(eventually(|| first.open_now() == 0), "old stream kept");
    assert_eq!(first.opened(), 1);
    assert_eq!(client.value(&THEME, &Context::anonymous()), "green");
    // The new stream is listened to.
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("red", 100, sse_at("/second"))).etag("\"v3\""),
    );
    second.refetch(None, None);
    assert!(eventually(
        || client.value(&THEME, &Context::anonymous()) == "red"
    ));
}

#[test]
fn fatal_stops_the_stream() {
    let (server, events) = streaming_server("retry: 50\n\n");
    let client = client(&server, Context::new("device-1"));
    assert!(eventually(|| events.open_now() == 1));
    server.route("POST", BULK, Reply::status(401));
    events.refetch(None, None);
    assert!(eventually(|| client.status() == ProviderStatus::Fatal));
    assert!(
        eventually(|| events.open_now() == 0),
        "still listening after FATAL"
    );
    // Give a wrong reconnection (50 ms backoff) the time to happen.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(events.opened(), 1);
    assert_eq!(bulk_requests(&server).len(), 2);
    assert!(client.refresh().is_err(), "no request after FATAL");
    assert_eq!(bulk_requests(&server).len(), 2);
    // Reads no longer answer from the last evaluation: the default, PROVIDER_FATAL.
    let details = client.details(&THEME, &Context::anonymous());
    assert_eq!(details.value, THEME.default_value());
    assert_eq!(details.error.unwrap().code, ErrorCode::ProviderFatal);
}

#[test]
fn set_bulk_context_refetches_without_the_etag_and_reads_wait_for_nothing() {
    let server = FaultServer::start();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 100, Value::Null)).etag("\"v1\""),
    );
    let client = client(&server, Context::new("device-1"));
    let (tx, rx) = mpsc::channel();
    for event in [ProviderEvent::Reconciling, ProviderEvent::ContextChanged] {
        let tx = tx.clone();
        client.on(event, move |details| {
            let _ = tx.send((details.event, details.flags_changed.clone()));
        });
    }
    let (reply, gate) = Reply::json(&bulk("dark", 500, Value::Null))
        .etag("\"c2\"")
        .gated();
    server.route("POST", BULK, reply);
    let changer = {
        let client = client.clone();
        std::thread::spawn(move || {
            client.set_bulk_context(Context::new("user-2").with("plan", "pro"))
        })
    };
    assert!(eventually(|| bulk_requests(&server).len() == 2));
    // In flight: reads answer from the previous evaluation.
    assert_eq!(client.status(), ProviderStatus::Reconciling);
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 100);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        (ProviderEvent::Reconciling, vec![])
    );
    gate.open();
    changer.join().unwrap().unwrap();
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 500);
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        (
            ProviderEvent::ContextChanged,
            vec!["upload-limit".to_owned()]
        )
    );
    let requests = bulk_requests(&server);
    assert_eq!(requests[1].header("if-none-match"), None);
    assert_eq!(
        body(&requests[1]),
        json!({ "context": { "targetingKey": "user-2", "plan": "pro" } })
    );
    // Later refreshes use the new ETag and the new context.
    client.refresh().unwrap();
    let requests = bulk_requests(&server);
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].header("if-none-match"), Some("\"c2\""));
    assert_eq!(body(&requests[2]), body(&requests[1]));
}

#[test]
fn set_bulk_context_failures_and_other_providers() {
    let server = FaultServer::start();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 100, Value::Null)).etag("\"v1\""),
    );
    let client = Client::builder()
        .remote(
            remote::ofrep(server.url(""))
                .timeout(Duration::from_secs(1))
                .transport(TransportConfig::new().retries(0))
                .bulk(Context::new("device-1"), None),
        )
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    // Too slow: an error after the timeout, the previous evaluation kept.
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 7, Value::Null)).delay(Duration::from_secs(3)),
    );
    let error = client.set_bulk_context(Context::new("user-2")).unwrap_err();
    assert!(matches!(error, Error::Fetch { .. }), "{error}");
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 100);
    // The fetch ends by itself (timed out): ERROR, since what is held is for another context.
    assert!(eventually(|| client.status() == ProviderStatus::Error));
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 100);
    // Refused: ERROR, the previous evaluation still served; a later success recovers.
    server.route(
        "POST",
        BULK,
        Reply::status(400).body(r#"{"errorCode":"INVALID_CONTEXT"}"#),
    );
    let error = client.set_bulk_context(Context::new("user-3")).unwrap_err();
    assert!(
        matches!(&error, Error::Fetch { message, .. } if message.contains("INVALID_CONTEXT")),
        "{error}"
    );
    assert_eq!(client.status(), ProviderStatus::Error);
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 100);
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 3, Value::Null)).etag("\"c3\""),
    );
    client.refresh().unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 3);
    let last = bulk_requests(&server).pop().unwrap();
    assert_eq!(last.header("if-none-match"), None);
    assert_eq!(
        body(&last),
        json!({ "context": { "targetingKey": "user-3" } })
    );

    let per_flag = Client::builder()
        .remote(remote::ofrep(server.url("")))
        .build()
        .unwrap();
    for other in [per_flag, Client::for_tests().into()] {
        assert!(matches!(
            other.set_bulk_context(Context::new("x")),
            Err(Error::Unsupported { .. })
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_bulk_context_async_from_any_executor() {
    let server = FaultServer::start();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 100, Value::Null)).etag("\"v1\""),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")).bulk(Context::new("device-1"), None))
        .build()
        .unwrap();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("night", 100, Value::Null)).etag("\"c2\""),
    );
    // The first evaluation may still be in flight: the change waits its turn.
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.status() != ProviderStatus::Ready && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    client
        .set_bulk_context_async(Context::new("user-9"))
        .await
        .unwrap();
    assert_eq!(client.value(&THEME, &Context::anonymous()), "night");
    let last = bulk_requests(&server).pop().unwrap();
    assert_eq!(
        body(&last),
        json!({ "context": { "targetingKey": "user-9" } })
    );
    assert_eq!(last.header("if-none-match"), None);
}

#[test]
fn a_superseded_context_change_lands_nothing() {
    let server = FaultServer::start();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 100, Value::Null)).etag("\"v1\""),
    );
    let client = client(&server, Context::new("device-1"));
    let (tx, rx) = mpsc::channel();
    for event in [ProviderEvent::Reconciling, ProviderEvent::ContextChanged] {
        let tx = tx.clone();
        client.on(event, move |details| {
            let _ = tx.send((details.event, details.flags_changed.clone()));
        });
    }
    let (first, gate) = Reply::json(&bulk("dark", 1, Value::Null))
        .etag("\"a\"")
        .gated();
    server.route("POST", BULK, first);
    server.then(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 2, Value::Null)).etag("\"b\""),
    );
    let change = |name: &'static str| {
        let client = client.clone();
        std::thread::spawn(move || client.set_bulk_context(Context::new(name)))
    };
    let to_a = change("user-a");
    assert!(eventually(|| bulk_requests(&server).len() == 2));
    let to_b = change("user-b");
    for _ in 0..2 {
        let (event, _) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(event, ProviderEvent::Reconciling);
    }
    gate.open();
    to_a.join().unwrap().unwrap();
    to_b.join().unwrap().unwrap();
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 2);
    assert_eq!(
        rx.try_recv().unwrap(),
        (
            ProviderEvent::ContextChanged,
            vec!["upload-limit".to_owned()]
        )
    );
    assert!(
        rx.try_recv().is_err(),
        "one CONTEXT_CHANGED for the last change"
    );
    let requests = bulk_requests(&server);
    assert_eq!(requests.len(), 3);
    assert_eq!(
        body(&requests[2]),
        json!({ "context": { "targetingKey": "user-b" } })
    );
    assert_eq!(requests[2].header("if-none-match"), None);
    client.refresh().unwrap();
    assert_eq!(
        bulk_requests(&server)[3].header("if-none-match"),
        Some("\"b\"")
    );
}

#[test]
fn the_stream_outlives_the_request_timeout_and_carries_the_headers() {
    let (server, events) = streaming_server("");
    let client = Client::builder()
        .remote(
            remote::ofrep(server.url(""))
                .bearer_token("secret-token")
                .timeout(Duration::from_millis(200))
                .bulk(Context::new("device-1"), None),
        )
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    assert!(eventually(|| events.open_now() == 1));
    let stream = server
        .requests()
        .into_iter()
        .find(|r| r.method == "GET")
        .unwrap();
    assert_eq!(stream.header("authorization"), Some("Bearer secret-token"));
    // Well past the request timeout, the same connection still delivers.
    std::thread::sleep(Duration::from_millis(600));
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("late", 100, sse_at("/events?channel=c1"))).etag("\"v2\""),
    );
    assert_eq!(events.refetch(None, None), 1);
    assert!(eventually(
        || client.value(&THEME, &Context::anonymous()) == "late"
    ));
    assert_eq!(events.opened(), 1, "the stream was cut and reopened");
}

#[test]
fn a_204_stream_is_not_retried() {
    let server = FaultServer::start();
    server.route(
        "POST",
        BULK,
        Reply::json(&bulk("dark", 100, sse_at("/events"))).etag("\"v1\""),
    );
    server.route("GET", "/events", Reply::status(204));
    let client = client(&server, Context::new("device-1"));
    assert!(eventually(|| server.count_path("/events") == 1));
    // A wrong retry (1 s backoff without `retry:`) would show within this wait.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(server.count_path("/events"), 1);
    assert_eq!(client.status(), ProviderStatus::Ready);
}
