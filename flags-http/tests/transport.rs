//! The shared HTTP transport against the fault-injecting server on 127.0.0.1: retries,
//! `Retry-After`, the circuit breaker, coalescing, limits, headers, secrets and TLS.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use flags_http::{CircuitState, ConfigError, Request, Transport, TransportConfig, TransportError};
use flags_test_support::fault::{FaultServer, Reply, TestPki};

const PATH: &str = "/ofrep/v1/evaluate/flags";

/// No retries, no breaker, short delays: each test turns on what it checks.
fn config() -> TransportConfig {
    TransportConfig::new()
        .retries(0)
        .retry_delay(Duration::from_millis(10))
        .timeout(Duration::from_secs(5))
        .breaker(0, Duration::from_secs(1))
}

fn post(server: &FaultServer, body: &str) -> Request {
    Request::post_json(server.url(PATH), body.to_owned())
}

/// Waits (bounded) until `condition` holds.
async fn until(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(condition(), "condition not met within 10 s");
}

#[tokio::test]
async fn retries_5xx_with_backoff_then_succeeds_and_gives_up_after_the_limit() {
    let server = FaultServer::start();
    server
        .route("POST", PATH, Reply::status(503))
        .then("POST", PATH, Reply::status(500))
        .then("POST", PATH, Reply::json(r#"{"flags":[]}"#));
    let transport = config().retries(3).build().unwrap();
    let response = transport.send(post(&server, "{}")).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], br#"{"flags":[]}"#);
    assert_eq!(response.content_type(), Some("application/json"));
    assert_eq!(server.count(), 3);
    let stats = transport.stats();
    assert_eq!((stats.requests, stats.retries), (3, 2));

    server.route("POST", PATH, Reply::status(502).body("upstream down"));
    let error = transport.send(post(&server, "{}")).await.unwrap_err();
    assert!(
        matches!(&error, TransportError::Status { status: 502, body, .. } if &body[..] == b"upstream down"),
        "{error:?}"
    );
    assert_eq!(server.count(), 3 + 4, "one attempt and three retries");
}

#[tokio::test]
async fn never_retries_4xx() {
    let server = FaultServer::start();
    let transport = config().retries(5).build().unwrap();
    for status in [400, 401, 403, 404, 409, 422] {
        let before = server.count();
        server.route(
            "POST",
            PATH,
            Reply::status(status).body(r#"{"errorCode":"INVALID_CONTEXT"}"#),
        );
        let error = transport.send(post(&server, "{}")).await.unwrap_err();
        assert_eq!(error.status(), Some(status));
        assert!(!error.is_retryable());
        let TransportError::Status { body, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(&body[..], br#"{"errorCode":"INVALID_CONTEXT"}"#);
        assert_eq!(server.count(), before + 1, "{status} was retried");
    }
    assert_eq!(transport.stats().retries, 0);
}

async fn rate_limit_window(reply: Reply) {
    let server = FaultServer::start();
    let other = FaultServer::start();
    server.route("POST", PATH, reply);
    other.route("POST", PATH, Reply::json("{}"));
    let transport = config().build().unwrap();
    let error = transport.send(post(&server, "{}")).await.unwrap_err();
    let TransportError::RateLimited {
        until: deadline, ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(error.status(), Some(429));
    assert!(deadline > Instant::now());
    assert!(deadline <= Instant::now() + Duration::from_secs(3));
    // Until the window passes: no I/O to this origin, whatever the request.
    server.route("POST", PATH, Reply::json("{}"));
    for body in ["{}", r#"{"a":1}"#] {
        let error = transport.send(post(&server, body)).await.unwrap_err();
        assert!(
            matches!(error, TransportError::RateLimited { .. }),
            "{error:?}"
        );
        assert!(error.is_fail_fast());
    }
    assert_eq!(server.count(), 1);
    assert_eq!(transport.stats().failed_fast, 2);
    // Another origin is not limited.
    transport.send(post(&other, "{}")).await.unwrap();
    // After the window, requests go out again.
    tokio::time::sleep(deadline.saturating_duration_since(Instant::now())).await;
    transport.send(post(&server, "{}")).await.unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn http_429_with_retry_after_seconds_fails_fast_until_it_passes() {
    rate_limit_window(Reply::status(429).retry_after_secs(1)).await;
}

#[tokio::test]
async fn http_429_with_retry_after_date_fails_fast_until_it_passes() {
    rate_limit_window(
        Reply::status(429).retry_after_date(SystemTime::now() + Duration::from_secs(2)),
    )
    .await;
}

#[tokio::test]
async fn http_429_is_retried_after_its_retry_after_and_without_it_with_backoff() {
    let server = FaultServer::start();
    server
        .route("POST", PATH, Reply::status(429).retry_after_secs(1))
        .then("POST", PATH, Reply::status(429))
        .then("POST", PATH, Reply::json("{}"));
    let transport = config().retries(2).build().unwrap();
    transport.send(post(&server, "{}")).await.unwrap();
    assert_eq!(server.count(), 3);

    // A `Retry-After` beyond the 30 s cap ends the retries at once.
    server.route("POST", PATH, Reply::status(429).retry_after_secs(3600));
    let error = transport.send(post(&server, "{}")).await.unwrap_err();
    assert!(
        matches!(error, TransportError::RateLimited { .. }),
        "{error:?}"
    );
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn a_body_slower_than_the_timeout_times_out_and_is_retried() {
    let server = FaultServer::start();
    server.route(
        "GET",
        "/slow",
        Reply::json("[1,2,3,4,5,6,7,8,9,10]").slow_body(1, Duration::from_millis(200)),
    );
    // A deadline with room for the retry (by default it is the timeout: no room).
    let transport = config()
        .retries(1)
        .timeout(Duration::from_millis(300))
        .deadline(Duration::from_secs(2))
        .build()
        .unwrap();
    let error = transport
        .send(Request::get(server.url("/slow")))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Timeout), "{error:?}");
    assert_eq!(server.count(), 2);
    // Slow headers time out too.
    server.route(
        "GET",
        "/late",
        Reply::json("{}").delay(Duration::from_secs(3)),
    );
    let error = transport
        .send(Request::get(server.url("/late")))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Timeout), "{error:?}");
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_a_body_error_and_is_retried() {
    for chunked in [false, true] {
        let server = FaultServer::start();
        let broken = Reply::json(r#"{"flags":[{"key":"a","value":true}]}"#).reset_mid_body();
        let broken = if chunked { broken.chunked() } else { broken };
        server.route("POST", PATH, broken.clone());
        let error = config()
            .build()
            .unwrap()
            .send(post(&server, "{}"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransportError::Body { .. }),
            "chunked: {chunked}: {error:?}"
        );
        assert!(error.is_retryable());
        server
            .route("POST", PATH, broken)
            .then("POST", PATH, Reply::json("{}"));
        let transport = config().retries(1).build().unwrap();
        transport.send(post(&server, "{}")).await.unwrap();
        assert_eq!(server.count(), 3);
    }
}

#[tokio::test]
async fn a_connection_closed_before_the_response_is_retried() {
    let server = FaultServer::start();
    server
        .route("POST", PATH, Reply::close_before_response())
        .then("POST", PATH, Reply::json("{}"));
    let transport = config().retries(1).build().unwrap();
    transport.send(post(&server, "{}")).await.unwrap();
    assert_eq!(server.count(), 2);
    server.route("POST", PATH, Reply::close_before_response());
    let error = config()
        .build()
        .unwrap()
        .send(post(&server, "{}"))
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(!matches!(error, TransportError::Status { .. }));
}

#[tokio::test]
async fn bodies_over_the_limit_fail_whether_announced_or_chunked() {
    let server = FaultServer::start();
    let transport = config().retries(3).max_body(1000).build().unwrap();
    server.route("GET", "/exact", Reply::oversized(1000));
    assert_eq!(
        transport
            .send(Request::get(server.url("/exact")))
            .await
            .unwrap()
            .body
            .len(),
        1000
    );
    server.route("GET", "/exact", Reply::oversized(1000).chunked());
    assert_eq!(
        transport
            .send(Request::get(server.url("/exact")))
            .await
            .unwrap()
            .body
            .len(),
        1000
    );
    for (path, reply) in [
        ("/length", Reply::oversized(1001)),
        ("/chunked", Reply::oversized(5_000_000).chunked()),
    ] {
        server.route("GET", path, reply);
        let before = server.count();
        let error = transport
            .send(Request::get(server.url(path)))
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransportError::TooLarge { limit: 1000 }),
            "{path}: {error:?}"
        );
        assert!(error.to_string().contains("`max_body`"));
        assert_eq!(server.count(), before + 1, "{path}: not retried");
    }
}

#[tokio::test]
async fn a_malformed_body_passes_through() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::malformed());
    let response = config()
        .build()
        .unwrap()
        .send(post(&server, "{}"))
        .await
        .unwrap();
    assert_eq!(&response.body[..], br#"{"key": "flag", "value": tru"#);
}

#[tokio::test]
async fn an_etag_answered_304_is_a_success_for_the_caller() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::json(r#"{"flags":[]}"#).etag("\"v1\""));
    let transport = config().build().unwrap();
    let first = transport.send(post(&server, "{}")).await.unwrap();
    assert_eq!(first.etag(), Some("\"v1\""));
    let second = transport
        .send(post(&server, "{}").header("if-none-match", "\"v1\""))
        .await
        .unwrap();
    assert!(second.is_not_modified());
    assert!(second.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_opens_fails_fast_lets_one_probe_and_closes() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::status(503));
    let open_for = Duration::from_millis(300);
    let transport = config().breaker(3, open_for).build().unwrap();
    // 4xx do not count, and a success resets the count.
    for _ in 0..2 {
        transport.send(post(&server, "{}")).await.unwrap_err();
    }
    server.route("POST", PATH, Reply::status(404));
    for _ in 0..5 {
        transport.send(post(&server, "{}")).await.unwrap_err();
    }
    server.route("POST", PATH, Reply::status(503));
    for _ in 0..2 {
        transport.send(post(&server, "{}")).await.unwrap_err();
    }
    assert_eq!(transport.circuit_state(), CircuitState::Closed);
    transport.send(post(&server, "{}")).await.unwrap_err();
    assert_eq!(transport.circuit_state(), CircuitState::Open);
    let seen = server.count();
    assert_eq!(seen, 10);
    let error = transport.send(post(&server, "{}")).await.unwrap_err();
    assert!(
        matches!(error, TransportError::CircuitOpen { retry_in } if retry_in <= open_for),
        "{error:?}"
    );
    assert_eq!(server.count(), seen, "no I/O while open");

    // Half-open: one probe at a time, the others fail fast.
    until(|| transport.circuit_state() == CircuitState::HalfOpen).await;
    let (held, gate) = Reply::json("{}").gated();
    server.route("POST", PATH, held);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let transport = transport.clone();
        let request = post(&server, &format!("{{\"n\":{i}}}"));
        tasks.push(tokio::spawn(async move { transport.send(request).await }));
    }
    until(|| server.count() == seen + 1).await;
    // Every caller but the probe has failed fast by now.
    until(|| tasks.iter().filter(|t| t.is_finished()).count() == 9).await;
    gate.open();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(error) => assert!(
                matches!(error, TransportError::CircuitOpen { .. }),
                "{error:?}"
            ),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(server.count(), seen + 1);
    assert_eq!(transport.circuit_state(), CircuitState::Closed);

    // A failed probe re-opens the circuit.
    server.route("POST", PATH, Reply::status(500));
    for _ in 0..3 {
        transport.send(post(&server, "{}")).await.unwrap_err();
    }
    assert_eq!(transport.circuit_state(), CircuitState::Open);
    until(|| transport.circuit_state() == CircuitState::HalfOpen).await;
    let error = transport.send(post(&server, "{}")).await.unwrap_err();
    assert_eq!(error.status(), Some(500), "the probe went out");
    assert_eq!(transport.circuit_state(), CircuitState::Open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_identical_requests_make_one_http_request() {
    let server = FaultServer::start();
    let (held, gate) = Reply::json(r#"{"value":true}"#).gated();
    server.route("POST", PATH, held);
    let transport = config().build().unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let transport = transport.clone();
            let request = post(&server, r#"{"context":{"targetingKey":"u"}}"#);
            tokio::spawn(async move { transport.send(request).await })
        })
        .collect();
    until(|| transport.stats().coalesced == 99).await;
    gate.open();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        assert_eq!(&response.body[..], br#"{"value":true}"#);
    }
    assert_eq!(server.count(), 1);
    assert_eq!(transport.stats().requests, 1);

    // Different bodies, or different header values, are not coalesced.
    let (held, gate) = Reply::json("{}").gated();
    server.route("POST", PATH, held);
    let mut tasks = Vec::new();
    for i in 0..5 {
        let (a, b) = (transport.clone(), transport.clone());
        let request = post(
            &server,
            &format!(r#"{{"context":{{"targetingKey":"u{i}"}}}}"#),
        );
        tasks.push(tokio::spawn(async move { a.send(request).await }));
        let request = post(&server, "{}").header("if-none-match", format!("\"e{i}\""));
        tasks.push(tokio::spawn(async move { b.send(request).await }));
    }
    until(|| server.count() == 11).await;
    gate.open();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.count(), 11);
    assert_eq!(transport.stats().coalesced, 99);

    // Without coalescing, identical requests each make their own.
    let transport = config().coalesce(false).build().unwrap();
    server.route(
        "POST",
        PATH,
        Reply::json("{}").delay(Duration::from_millis(50)),
    );
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let transport = transport.clone();
            let request = post(&server, "{}");
            tokio::spawn(async move { transport.send(request).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.count(), 16);
}

#[tokio::test]
async fn the_headers_factory_is_called_per_request_and_wins() {
    let server = FaultServer::start();
    server.route("GET", "/", Reply::json("{}"));
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let transport = config()
        .bearer_token("static-token")
        .header("x-static", "kept")
        .header("x-overridden", "static")
        .headers_factory(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            vec![
                ("Authorization".to_owned(), format!("Bearer rotated-{n}")),
                ("x-overridden".to_owned(), "factory".to_owned()),
            ]
        })
        .build()
        .unwrap();
    for _ in 0..3 {
        transport.send(Request::get(server.url("/"))).await.unwrap();
    }
    transport
        .send(Request::get(server.url("/")).header("x-overridden", "request"))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let requests = server.requests();
    for (i, request) in requests.iter().enumerate() {
        let expected = format!("Bearer rotated-{}", i + 1);
        assert_eq!(request.header("authorization"), Some(expected.as_str()));
        assert_eq!(request.header("x-static"), Some("kept"));
        assert!(request.header("user-agent").unwrap().starts_with("flags/"));
    }
    assert_eq!(requests[0].header("x-overridden"), Some("factory"));
    assert_eq!(requests[3].header("x-overridden"), Some("request"));
    assert_eq!(
        requests[3]
            .headers
            .iter()
            .filter(|(n, _)| n == "x-overridden")
            .count(),
        1
    );

    // Without a factory, the bearer token is sent.
    let transport = config().bearer_token("static-token").build().unwrap();
    transport.send(Request::get(server.url("/"))).await.unwrap();
    assert_eq!(
        server.requests()[4].header("authorization"),
        Some("Bearer static-token")
    );
}

#[tokio::test]
async fn secrets_never_show_in_errors_debug_or_display() {
    let server = FaultServer::start();
    server.route("GET", "/", Reply::status(500).body("oops"));
    let config = config()
        .bearer_token("tok-SECRET-1")
        .header("x-api-key", "key-SECRET-2")
        .headers_factory(|| vec![("x-signed".to_owned(), "fac-SECRET-3".to_owned())]);
    let transport = config.clone().build().unwrap();
    let url = server
        .url("/?token=q-SECRET-4")
        .replace("http://", "http://user:pw-SECRET-5@");
    let mut texts = vec![format!("{config:?}"), format!("{transport:?}")];
    let request = Request::get(url.clone()).header("x-once", "req-SECRET-6");
    texts.push(format!("{request:?}"));
    let error = transport.send(request).await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    texts.push(format!("{error} {error:?}"));
    let down = dead_port();
    let error = transport
        .send(Request::get(format!(
            "http://user:pw-SECRET-7@{down}/?token=q-SECRET-8"
        )))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Connect { .. }), "{error:?}");
    texts.push(format!("{error} {error:?}"));
    let error = transport
        .send(Request::get(url).header("x-bad", "line\nbreak-SECRET-9"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::InvalidRequest { .. }),
        "{error:?}"
    );
    texts.push(format!("{error} {error:?}"));
    let error = TransportConfig::new()
        .header("x-bad", "line\nbreak-SECRET-10")
        .build()
        .unwrap_err();
    texts.push(format!("{error} {error:?}"));
    for text in &texts {
        assert!(!text.contains("SECRET"), "{text}");
        assert!(!text.contains("pw-"), "{text}");
    }
    // The server got them all the same.
    let seen = &server.requests()[0];
    assert_eq!(seen.header("authorization"), Some("Bearer tok-SECRET-1"));
    assert_eq!(seen.header("x-signed"), Some("fac-SECRET-3"));
    assert_eq!(seen.header("x-once"), Some("req-SECRET-6"));
}

/// A port nothing listens on.
fn dead_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn server_down_at_start_is_retried_then_opens_the_breaker() {
    let addr = dead_port();
    let transport = config()
        .retries(2)
        .breaker(3, Duration::from_secs(60))
        .build()
        .unwrap();
    let url = format!("http://{addr}{PATH}");
    let error = transport
        .send(Request::post_json(url.clone(), "{}"))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Connect { .. }), "{error:?}");
    assert!(error.to_string().starts_with("cannot connect"), "{error}");
    assert_eq!(transport.stats().requests, 3);
    assert_eq!(transport.circuit_state(), CircuitState::Open);
    let error = transport
        .send(Request::post_json(url, "{}"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::CircuitOpen { .. }),
        "{error:?}"
    );
    assert_eq!(transport.stats().requests, 3, "no I/O while open");
    assert_eq!(transport.stats().failed_fast, 1);
}

#[tokio::test]
async fn a_flapping_server_is_absorbed_by_retries_without_opening_the_breaker() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::status(503));
    for _ in 0..10 {
        server
            .then("POST", PATH, Reply::json("{}"))
            .then("POST", PATH, Reply::status(503));
    }
    let transport = config()
        .retries(1)
        .breaker(2, Duration::from_secs(60))
        .build()
        .unwrap();
    for _ in 0..10 {
        transport.send(post(&server, "{}")).await.unwrap();
    }
    assert_eq!(server.count(), 20);
    assert_eq!(transport.circuit_state(), CircuitState::Closed);
}

#[tokio::test]
async fn custom_ca_and_mutual_tls() {
    let pki = TestPki::generate();
    let server = FaultServer::start_tls(pki.server_config(true));
    server.route("GET", "/", Reply::json("{}"));
    let url = server.url("/");
    assert!(url.starts_with("https://127.0.0.1:"));

    // Without the CA: the certificate is refused, with the fix in the message.
    let error = config()
        .build()
        .unwrap()
        .send(Request::get(url.clone()))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
    assert!(
        error.to_string().contains("`add_root_certificate_pem`"),
        "{error}"
    );
    assert!(!error.is_retryable());

    // With the CA but no client certificate: the server refuses.
    let error = config()
        .add_root_certificate_pem(pki.ca_pem.clone())
        .build()
        .unwrap()
        .send(Request::get(url.clone()))
        .await
        .unwrap_err();
    // Usually the server's alert arrives (`Tls`, with the fix in the message); with TLS 1.3 a
    // reset may overtake it.
    match &error {
        TransportError::Tls { .. } => {
            assert!(
                error.to_string().contains("`client_identity_pem`"),
                "{error}"
            )
        }
        TransportError::Network { .. } | TransportError::Body { .. } => {}
        _ => panic!("{error:?}"),
    }
    assert_eq!(server.count(), 0);

    // With both: through, in addition to the platform roots or instead of them.
    for built_in in [true, false] {
        let transport = config()
            .add_root_certificate_pem(pki.ca_pem.clone())
            .tls_built_in_roots(built_in)
            .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
            .build()
            .unwrap();
        let response = transport.send(Request::get(url.clone())).await.unwrap();
        assert_eq!(response.status, 200);
    }
    assert_eq!(server.count(), 2);
    assert!(server.tls_failures() >= 1);

    // A server that does not ask for a client certificate, trusted by the custom CA alone.
    let open = FaultServer::start_tls(pki.server_config(false));
    open.route("GET", "/", Reply::json("{}"));
    config()
        .add_root_certificate_pem(pki.ca_pem.clone())
        .tls_built_in_roots(false)
        .build()
        .unwrap()
        .send(Request::get(open.url("/")))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_hostname_check_can_be_skipped_but_not_the_chain() {
    let pki = TestPki::generate();
    let server = FaultServer::start_tls(pki.other_host_server_config(true));
    server.route("GET", "/", Reply::json("{}"));
    let url = server.url("/");
    let trusting = || {
        config()
            .add_root_certificate_pem(pki.ca_pem.clone())
            .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
    };
    // Issued for `elsewhere.flags.test`, reached as 127.0.0.1: refused by default.
    let error = trusting()
        .build()
        .unwrap()
        .send(Request::get(url.clone()))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
    // Accepted with the check skipped, from the platform's roots and the CA or the CA alone;
    // mutual TLS still works.
    for built_in in [true, false] {
        let transport = trusting()
            .tls_built_in_roots(built_in)
            .tls_skip_hostname_verification(true)
            .build()
            .unwrap();
        let response = transport.send(Request::get(url.clone())).await.unwrap();
        assert_eq!(response.status, 200);
    }
    // The chain is still verified: without the CA, refused.
    let error = config()
        .tls_skip_hostname_verification(true)
        .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap()
        .send(Request::get(url.clone()))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
    let other = TestPki::generate();
    let error = config()
        .add_root_certificate_pem(other.ca_pem.clone())
        .tls_built_in_roots(false)
        .tls_skip_hostname_verification(true)
        .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap()
        .send(Request::get(url))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
    assert_eq!(server.count(), 2);
}

#[test]
fn one_transport_works_from_current_thread_and_multi_thread_runtimes() {
    let server = FaultServer::start();
    server.route("GET", "/", Reply::json("{}"));
    let transport = config().retries(1).build().unwrap();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    current
        .block_on(transport.send(Request::get(server.url("/"))))
        .unwrap();
    drop(current);
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let spawned = transport.clone();
    let url = server.url("/");
    multi
        .block_on(async move {
            tokio::spawn(async move { spawned.send(Request::get(url)).await }).await
        })
        .unwrap()
        .unwrap();
    assert_eq!(server.count(), 2);
}

#[test]
fn bad_configuration_says_how_to_fix_it() {
    let cases: Vec<(TransportConfig, &str)> = vec![
        (
            TransportConfig::new().timeout(Duration::ZERO),
            "`timeout` must be greater than zero",
        ),
        (
            TransportConfig::new().connect_timeout(Duration::ZERO),
            "`connect_timeout` must be greater than zero",
        ),
        (
            TransportConfig::new().max_body(0),
            "`max_body` must be at least 1 byte",
        ),
        (
            TransportConfig::new().header("bad name", "v"),
            "invalid header `bad name`",
        ),
        (
            TransportConfig::new().add_root_certificate_pem("not a pem"),
            "no `CERTIFICATE` block",
        ),
        (
            TransportConfig::new().tls_built_in_roots(false),
            "`add_root_certificate_pem`",
        ),
        (
            TransportConfig::new().client_identity_pem("", ""),
            "invalid client identity for mutual TLS",
        ),
    ];
    for (config, expected) in cases {
        let error: ConfigError = config.build().unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    // Retries and delays are capped rather than refused.
    let config = TransportConfig::new()
        .retries(1000)
        .retry_delay(Duration::from_secs(3600));
    let debug = format!("{config:?}");
    assert!(debug.contains("retries: 10"), "{debug}");
    assert!(debug.contains("retry_delay: 30s"), "{debug}");
    assert!(Transport::new().is_ok());
}

#[tokio::test]
async fn a_5xx_retry_after_beyond_the_cap_ends_the_retries() {
    let server = FaultServer::start();
    server.route("POST", PATH, Reply::status(503).retry_after_secs(3600));
    let transport = config().retries(3).build().unwrap();
    let error = transport.send(post(&server, "{}")).await.unwrap_err();
    assert!(
        matches!(error, TransportError::Status { status: 503, retry_after: Some(d), .. } if d == Duration::from_secs(3600)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the server answered HTTP 503 Service Unavailable (retry after 3600 s)"
    );
    assert_eq!(server.count(), 1);
    assert_eq!(
        transport.circuit_state(),
        CircuitState::Closed,
        "breaker off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_leader_does_not_strand_its_coalesced_followers() {
    let server = FaultServer::start();
    let (held, gate) = Reply::json("{}").gated();
    server.route("POST", PATH, held);
    let transport = config().build().unwrap();
    let leader = {
        let transport = transport.clone();
        let request = post(&server, "{}");
        tokio::spawn(async move { transport.send(request).await })
    };
    until(|| server.count() == 1).await;
    let follower = {
        let transport = transport.clone();
        let request = post(&server, "{}");
        tokio::spawn(async move { transport.send(request).await })
    };
    until(|| transport.stats().coalesced == 1).await;
    leader.abort();
    // The follower takes over with its own request.
    until(|| server.count() == 2).await;
    gate.open();
    assert_eq!(follower.await.unwrap().unwrap().status, 200);
    assert!(leader.await.unwrap_err().is_cancelled());
    // Nothing is left in flight: the next identical request is sent, not joined.
    server.route("POST", PATH, Reply::json("{}"));
    transport.send(post(&server, "{}")).await.unwrap();
    assert_eq!(server.count(), 3);
    assert_eq!(transport.stats().coalesced, 1);
}

#[tokio::test]
async fn redirects_stay_within_the_origin_unless_asked() {
    let other = FaultServer::start();
    other.route("GET", "/target", Reply::json(r#"{"flags":[]}"#));
    let server = FaultServer::start();
    server
        .route(
            "GET",
            "/same",
            Reply::status(302).header("location", "/target"),
        )
        .route("GET", "/target", Reply::json("{}"))
        .route(
            "GET",
            "/away",
            Reply::status(302).header("location", &other.url("/target")),
        );

    let transport = config().build().unwrap();
    let same = transport.send(Request::get(server.url("/same"))).await;
    assert_eq!(same.unwrap().status, 200, "followed within the origin");
    let away = transport
        .send(Request::get(server.url("/away")))
        .await
        .unwrap();
    assert_eq!(away.status, 302, "returned as it is");
    assert_eq!(other.count(), 0);

    let transport = config().cross_origin_redirects(true).build().unwrap();
    let away = transport
        .send(Request::get(server.url("/away")))
        .await
        .unwrap();
    assert_eq!(away.status, 200);
    assert_eq!(&away.body[..], br#"{"flags":[]}"#);
    assert_eq!(other.count(), 1);
}
