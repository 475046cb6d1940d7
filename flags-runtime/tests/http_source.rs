//! Polling a flag file over HTTP, against a scripted server on 127.0.0.1.
#![cfg(feature = "http")]

mod support;

use std::time::Duration;

use flags_runtime::{
    Client, Context, Error, ErrorCode, FlagKey, ProviderEvent, ProviderStatus, Reason, source,
};
use flags_test_support::server::{Reply, Server};
use support::{PATIENCE, TempDir, limit, record};

fn ctx() -> Context {
    Context::new("user-1")
}

fn key() -> FlagKey<i64> {
    FlagKey::<i64>::new("limit", 1)
}

/// A source polling rarely: tests drive polls with `refresh`.
fn manual(server: &Server) -> source::HttpSource {
    source::http(server.url("/flags.json")).interval(Duration::from_secs(3600))
}

fn ready(source: source::HttpSource) -> Client {
    let client = Client::builder().in_process(source).build().unwrap();
    client.wait_ready(PATIENCE).unwrap();
    client
}

#[test]
fn etag_round_trip_304_keeps_the_state_without_an_event() {
    let server = Server::start(Reply::json(&limit("large", "")).etag("\"v1\""));
    let client = ready(manual(&server));
    assert_eq!(client.value(key(), &ctx()), 100);
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready, "late handler");

    client.refresh().unwrap();
    let exchanges = server.exchanges();
    assert_eq!(exchanges.len(), 2);
    assert_eq!(exchanges[0].request.header("if-none-match"), None);
    assert_eq!(exchanges[0].status, 200);
    assert_eq!(exchanges[1].request.header("if-none-match"), Some("\"v1\""));
    assert_eq!(exchanges[1].status, 304);
    assert_eq!(exchanges[1].request.path, "/flags.json");
    assert!(events.drain().is_empty(), "304: no event");
    assert_eq!(client.value(key(), &ctx()), 100);

    // A new version: applied, its ETag sent next.
    server.serve(Reply::json(&limit("small", "")).etag("\"v2\""));
    client.refresh().unwrap();
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["limit"]);
    assert_eq!(client.value(key(), &ctx()), 10);
    client.refresh().unwrap();
    let exchanges = server.exchanges();
    assert_eq!(exchanges[2].request.header("if-none-match"), Some("\"v1\""));
    assert_eq!(exchanges[3].request.header("if-none-match"), Some("\"v2\""));
    assert_eq!(exchanges[3].status, 304);
}

#[test]
fn an_invalid_body_is_rejected_and_the_etag_is_not_advanced() {
    let server = Server::start(Reply::json(&limit("large", "")).etag("\"v1\""));
    let client = ready(manual(&server));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    for body in [
        // What flagd rejects too: a default variant that names no variant.
        r#"{"flags": {"limit": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "c"}}}"#,
        "{\"flags\": ",
    ] {
        server.serve(Reply::json(body).etag_unconditional("\"bad\""));
        let error = client.refresh().unwrap_err();
        assert!(matches!(error, Error::Rejected { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.starts_with("could not load flag definitions from `http://"),
            "{text}"
        );
        let event = events.next();
        assert_eq!(event.event, ProviderEvent::Error);
        assert_eq!(event.error_code, Some(ErrorCode::ParseError));
        assert!(event.message.unwrap().contains("flags.json"));
        assert_eq!(client.status(), ProviderStatus::Error);
        assert_eq!(client.value(key(), &ctx()), 100, "the old configuration");
    }
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("not valid JSON"), "{error}");

    // The ETag still names the configuration in use: the bad one is fetched again, and the
    // good one, back, is a 304.
    let sent: Vec<_> = server
        .exchanges()
        .iter()
        .map(|e| e.request.header("if-none-match").map(str::to_owned))
        .collect();
    assert_eq!(
        sent[1..],
        [
            Some("\"v1\"".to_owned()),
            Some("\"v1\"".to_owned()),
            Some("\"v1\"".to_owned())
        ]
    );
    server.serve(Reply::json(&limit("large", "")).etag("\"v1\""));
    client.refresh().unwrap();
    assert_eq!(server.exchanges().last().unwrap().status, 304);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    assert!(events.drain().is_empty());
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn a_document_that_is_not_flag_definitions_names_the_url_once() {
    let server = Server::start(Reply::json(&limit("large", "")));
    let client = ready(manual(&server));
    server.serve(Reply::json(r#"{"hello": "world"}"#));
    let text = client.refresh().unwrap_err().to_string();
    let url = server.url("/flags.json");
    assert!(
        text.starts_with(&format!(
            "could not load flag definitions from `{url}`: not a flag definition file: "
        )),
        "{text}"
    );
    assert_eq!(text.matches(&url).count(), 1, "{text}");
    // A flag that cannot be read: the URL once, then the flag.
    server.serve(Reply::json(
        r#"{"flags": {"limit": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "c"}}}"#,
    ));
    let text = client.refresh().unwrap_err().to_string();
    assert!(
        text.starts_with(&format!(
            "could not load flag definitions from `{url}`: flag `limit`: "
        )),
        "{text}"
    );
    assert_eq!(text.matches(&url).count(), 1, "{text}");
}

#[test]
fn stale_after_n_failed_polls_then_ready_on_recovery() {
    let server = Server::start(Reply::json(&limit("large", "")).etag("\"v1\""));
    let client = ready(manual(&server).stale_after(3));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    server.serve(Reply::status(500));
    for _ in 0..2 {
        let error = client.refresh().unwrap_err().to_string();
        assert!(error.contains("500"), "{error}");
        assert_eq!(client.status(), ProviderStatus::Ready);
    }
    assert!(events.drain().is_empty());
    client.refresh().unwrap_err();
    let stale = events.next();
    assert_eq!(stale.event, ProviderEvent::Stale);
    assert!(stale.message.unwrap().contains("500"));
    assert_eq!(client.status(), ProviderStatus::Stale);
    assert_eq!(client.value(key(), &ctx()), 100);
    assert_eq!(client.details(key(), &ctx()).reason, Reason::Static);

    server.serve(Reply::json(&limit("large", "")).etag("\"v1\""));
    client.refresh().unwrap();
    assert_eq!(server.exchanges().last().unwrap().status, 304);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn polling_runs_by_itself() {
    let server = Server::start(Reply::json(&limit("large", "")).etag("\"v1\""));
    let client = Client::builder()
        .in_process(
            source::http(server.url("/flags.json"))
                .interval(Duration::from_millis(5))
                .jitter(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    assert!(server.wait_for_requests(4) >= 4);
    assert_eq!(client.value(key(), &ctx()), 100);
    assert!(server.exchanges()[1..].iter().all(|e| e.status == 304));
}

#[test]
fn not_ready_until_the_first_fetch_then_ready() {
    let (reply, release) = Reply::json(&limit("large", "")).gated();
    let server = Server::start(reply);
    let client = Client::builder()
        .in_process(manual(&server))
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::NotReady);
    let details = client.details(key(), &ctx());
    assert_eq!(details.value, 1);
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderNotReady));
    let events = record(&client);
    release.send(()).unwrap();
    assert_eq!(events.next().event, ProviderEvent::Ready);
    assert_eq!(client.value(key(), &ctx()), 100);
}

#[test]
fn bootstrap_serves_before_the_first_fetch() {
    let (reply, release) = Reply::json(&limit("large", "")).gated();
    let server = Server::start(reply);
    let client = Client::builder()
        .in_process(manual(&server).bootstrap(limit("small", "")))
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
    let details = client.details(key(), &ctx());
    assert_eq!((details.value, details.reason), (10, Reason::Static));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready, "late handler");
    release.send(()).unwrap();
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["limit"]);
    assert_eq!(client.value(key(), &ctx()), 100);
}

#[test]
fn first_fetch_failing_is_an_error_and_the_bootstrap_keeps_serving() {
    let server = Server::start(Reply::status(503));
    let client = Client::builder()
        .in_process(manual(&server).bootstrap(limit("small", "")))
        .build()
        .unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotReady {
                status: ProviderStatus::Error,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("503"), "{error}");
    assert_eq!(client.value(key(), &ctx()), 10);
}

#[test]
fn unauthorized_is_fatal_and_polling_stops() {
    for status in [401, 403] {
        let server = Server::start(Reply::status(status));
        let client = Client::builder()
            .in_process(
                source::http(server.url("/flags.json"))
                    .interval(Duration::from_millis(5))
                    .bootstrap(limit("small", "")),
            )
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
        assert!(error.to_string().contains(&status.to_string()), "{error}");
        let events = record(&client);
        let fatal = events.next();
        assert_eq!(fatal.event, ProviderEvent::Error, "late handler");
        assert_eq!(fatal.error_code, Some(ErrorCode::ProviderFatal));
        // Reads short-circuit, even with a bootstrap.
        let details = client.details(key(), &ctx());
        assert_eq!(details.value, 1);
        assert_eq!(details.error_code(), Some(ErrorCode::ProviderFatal));
        // No more requests: not by the timer, not by refresh.
        let count = server.count();
        assert_eq!(count, 1);
        let error = client.refresh().unwrap_err();
        assert!(error.to_string().contains("refused"), "{error}");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(server.count(), count);
        assert_eq!(client.status(), ProviderStatus::Fatal);
    }
}

#[test]
fn a_restart_while_the_server_is_down_serves_the_persisted_configuration() {
    let dir = TempDir::new("persist-http");
    let lkg = dir.path().join("lkg.json");
    let server = Server::start(Reply::json(&limit("small", "")).etag("\"v1\""));
    let url = server.url("/flags.json");
    {
        let client = ready(manual(&server).persist(&lkg));
        assert_eq!(client.value(key(), &ctx()), 10);
        // Persisted once applied; a 304 writes nothing new.
        client.refresh().unwrap();
    }
    assert!(lkg.exists());
    server.stop();

    // Nobody listens on that port any more.
    let client = Client::builder()
        .in_process(
            source::http(&url)
                .interval(Duration::from_secs(3600))
                .persist(&lkg),
        )
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::Stale);
    let details = client.details(key(), &ctx());
    assert_eq!(details.value, 10);
    assert_eq!(details.reason, Reason::Stale);
    assert_eq!(details.variant.as_deref(), Some("small"));
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotReady {
                status: ProviderStatus::Stale,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        client.value(key(), &ctx()),
        10,
        "still served after the failed fetch"
    );
}

#[test]
fn shutdown_is_bounded_and_stops_polling() {
    let server = Server::start(Reply::json(&limit("large", "")).etag("\"v1\""));
    let client = Client::builder()
        .in_process(source::http(server.url("/flags.json")).interval(Duration::from_millis(5)))
        .build()
        .unwrap();
    assert!(server.wait_for_requests(3) >= 3);
    client.shutdown();
    assert_eq!(client.status(), ProviderStatus::NotReady);
    assert_eq!(
        client.details(key(), &ctx()).error_code(),
        Some(ErrorCode::ProviderNotReady)
    );
    assert_stopped(&server);
    assert!(matches!(client.refresh(), Err(Error::ShutDown)));
}

#[test]
fn shutdown_interrupts_a_slow_request() {
    let server = Server::start(Reply::json(&limit("large", "")).delay(Duration::from_secs(30)));
    let client = Client::builder()
        .in_process(source::http(server.url("/flags.json")).timeout(Duration::from_secs(60)))
        .build()
        .unwrap();
    // The request is in flight (the server holds it); shutdown does not wait for it.
    client.shutdown();
    assert_eq!(client.status(), ProviderStatus::NotReady);
    drop(server);
}

#[test]
fn dropping_the_last_client_stops_polling() {
    let server = Server::start(Reply::json(&limit("large", "")).etag("\"v1\""));
    let client = Client::builder()
        .in_process(source::http(server.url("/flags.json")).interval(Duration::from_millis(5)))
        .build()
        .unwrap();
    let clone = client.clone();
    assert!(server.wait_for_requests(2) >= 2);
    drop(client);
    let before = server.count();
    assert!(
        server.wait_for_requests(before + 2) >= before + 2,
        "a clone keeps it polling"
    );
    drop(clone);
    assert_stopped(&server);
}

/// The request count stops growing (a request already sent may still be logged by the server
/// just after the client stopped: the count is read once that has settled).
fn assert_stopped(server: &Server) {
    std::thread::sleep(Duration::from_millis(50));
    let count = server.count();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.count(), count, "no request after the client stopped");
}

#[test]
fn secrets_stay_out_of_debug_errors_and_events() {
    let server = Server::start(Reply::status(500));
    let url = format!("http://{}/flags.json?token=qu3ry", server.addr());
    let source = source::http(&url)
        .interval(Duration::from_secs(3600))
        .bearer_token("s3cret-token")
        .header("x-api-key", "k3y-value")
        .stale_after(1);
    let builder = Client::builder().in_process(source.clone());
    let client = builder.build().unwrap();
    let events = record(&client);
    client.wait_ready(PATIENCE).unwrap_err();
    let error = client.refresh().unwrap_err();
    let mut texts = vec![
        format!("{source:?}"),
        format!("{client:?}"),
        format!("{error}"),
        format!("{error:?}"),
    ];
    texts.extend(events.drain().into_iter().map(|e| format!("{e:?}")));
    for text in &texts {
        for secret in ["s3cret-token", "k3y-value", "pa55word", "qu3ry"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(texts[0].contains("x-api-key"), "{}", texts[0]);
    assert!(texts[2].contains("/flags.json"), "{}", texts[2]);
    // They were sent all the same.
    let request = &server.exchanges()[0].request;
    assert_eq!(request.header("authorization"), Some("Bearer s3cret-token"));
    assert_eq!(request.header("x-api-key"), Some("k3y-value"));
    assert_eq!(request.path, "/flags.json?token=qu3ry");
}

#[test]
fn credentials_in_the_url_stay_out_of_debug_and_errors() {
    let server = Server::start(Reply::status(500));
    let url = format!("http://user:pa55word@{}/flags.json", server.addr());
    let source = source::http(&url).interval(Duration::from_secs(3600));
    let client = Client::builder()
        .in_process(source.clone())
        .build()
        .unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    for text in [
        format!("{source:?}"),
        format!("{client:?}"),
        error.to_string(),
    ] {
        assert!(!text.contains("pa55word"), "{text}");
    }
    // Sent as basic authentication.
    let request = &server.exchanges()[0].request;
    assert!(
        request
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
}

#[test]
fn invalid_urls_and_headers_fail_build() {
    for source in [
        source::http("not a url"),
        source::http("ftp://127.0.0.1/flags.json"),
        source::http("http://127.0.0.1:1/flags.json").header("bad name", "v"),
        source::http("http://127.0.0.1:1/flags.json").bearer_token("line\nbreak"),
    ] {
        let error = Client::builder().in_process(source).build().unwrap_err();
        assert!(matches!(error, Error::Source { .. }), "{error:?}");
        assert!(!error.to_string().contains("line\nbreak"), "{error}");
    }
}

#[test]
fn an_oversized_body_is_a_failed_fetch() {
    let server = Server::start(Reply::json(&limit("large", "")));
    let client = Client::builder()
        .in_process(manual(&server).max_body_size(16))
        .build()
        .unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(
        error.to_string().contains("larger than 16 bytes"),
        "{error}"
    );
}

#[test]
fn a_handler_may_refresh_without_waiting_for_itself() {
    let (reply, release) = Reply::json(&limit("large", "")).etag("\"v1\"").gated();
    let server = Server::start(reply);
    let client = Client::builder()
        .in_process(manual(&server))
        .build()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = client.clone();
    client.on(ProviderEvent::Ready, move |_| {
        let _ = tx.send(inner.refresh().is_ok());
    });
    drop(release);
    assert_eq!(rx.recv_timeout(PATIENCE), Ok(true));
    // The refresh ran once the handler returned.
    assert_eq!(server.wait_for_requests(2), 2);
    assert_eq!(server.exchanges()[1].status, 304);
    // The handler holds a clone: shut down explicitly.
    client.shutdown();
}

#[test]
fn a_request_slower_than_the_timeout_is_a_failed_fetch() {
    let server = Server::start(Reply::json(&limit("large", "")).delay(Duration::from_secs(5)));
    let client = Client::builder()
        .in_process(manual(&server).timeout(Duration::from_millis(100)))
        .build()
        .unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_eq!(client.status(), ProviderStatus::Error);
    assert_eq!(
        client.details(key(), &ctx()).error_code(),
        Some(ErrorCode::ProviderNotReady)
    );
}

#[test]
fn too_many_requests_is_a_failed_fetch_and_later_polls_recover() {
    let server = Server::start(Reply::status(429).header("retry-after", "0"));
    let client = Client::builder()
        .in_process(manual(&server))
        .build()
        .unwrap();
    let error = client.wait_ready(PATIENCE).unwrap_err();
    assert!(error.to_string().contains("429"), "{error}");
    server.serve(Reply::json(&limit("large", "")));
    client.refresh().unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(client.value(key(), &ctx()), 100);
}
