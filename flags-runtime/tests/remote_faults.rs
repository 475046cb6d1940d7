//! Faults through the remote providers: every transport behaviour seen from `Client` over OFREP
//! and Cloudflare Flagship (values, reasons, error codes, messages, provider status and
//! events, and the requests that reached the server), against the fault-injecting server on
//! 127.0.0.1. Timeouts and retry delays are tiny so the whole file stays fast.
#![cfg(feature = "http")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use flags_runtime::transport::TransportConfig;
use flags_runtime::{
    Client, Context, ErrorCode, EvaluationDetails, FlagKey, ProviderEvent, ProviderStatus, Reason,
    Value, remote,
};
use flags_test_support::fault::{FaultServer, Recorded, Reply, TestPki};
use serde_json::json;

const ENABLED: FlagKey<bool> = FlagKey::from_fn("new-checkout", || false);
const LIMIT: FlagKey<i64> = FlagKey::from_fn("upload-limit", || 10);
const THEME: FlagKey<String> = FlagKey::from_fn("theme", || "light".to_owned());

const OFREP: &str = "/ofrep/v1/evaluate/flags/";
const OFREP_LIMIT: &str = "/ofrep/v1/evaluate/flags/upload-limit";
const OFREP_BULK: &str = "/ofrep/v1/evaluate/flags";
const FLAGSHIP: &str = "/client/v4/accounts/acc/flagship/apps/app/evaluate";

fn limit_answer(value: i64) -> Reply {
    Reply::json(
        &json!({ "key": "upload-limit", "value": value, "reason": "TARGETING_MATCH", "variant": "v" })
            .to_string(),
    )
}

fn flagship_answer(value: i64) -> Reply {
    Reply::json(
        &json!({ "flagKey": "upload-limit", "value": value, "variant": "big", "reason": "TARGETING_MATCH" })
            .to_string(),
    )
}

/// Tiny retry delays, so a test that retries stays fast.
fn quick() -> TransportConfig {
    TransportConfig::new().retry_delay(Duration::from_millis(1))
}

/// An OFREP provider on `server` with tiny delays and a short timeout.
fn ofrep_on(server: &FaultServer, transport: TransportConfig) -> remote::Ofrep {
    remote::ofrep(server.url(""))
        .timeout(Duration::from_millis(800))
        .transport(transport)
}

fn build(provider: impl remote::RemoteProvider + 'static) -> Client {
    Client::builder().remote(provider).build().unwrap()
}

/// A port nothing listens on (bound, read, released).
fn dead_addr() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Waits (at most 10 s) until `condition` holds; returns whether it did.
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    condition()
}

/// The error of a failed evaluation: the caller's default and reason `ERROR` were given.
#[track_caller]
fn failed<T: PartialEq + std::fmt::Debug>(
    details: &EvaluationDetails<T>,
    default: T,
    code: ErrorCode,
) -> String {
    assert_eq!(details.value, default);
    assert_eq!(details.reason, Reason::Error);
    let error = details.error.as_ref().expect("an error");
    assert_eq!(error.code, code, "{}", error.message);
    error.message.to_string()
}

fn body(recorded: &Recorded) -> serde_json::Value {
    serde_json::from_slice(&recorded.body).unwrap()
}

// --- Server down at start ---------------------------------------------------------------------

#[test]
fn server_down_at_start_gives_the_default_then_the_server_comes_up() {
    let addr = dead_addr();
    let client = build(
        remote::ofrep(format!("http://{addr}"))
            .timeout(Duration::from_millis(500))
            .transport(quick()),
    );
    let blocking = client.blocking();
    assert_eq!(client.status(), ProviderStatus::Ready);
    let details = blocking.details(&LIMIT, &Context::new("u"));
    let message = failed(&details, 10, ErrorCode::General);
    assert!(message.contains("cannot connect"), "{message}");
    assert!(message.starts_with("OFREP `"), "{message}");

    // The server comes up on that port: the next evaluation goes through.
    let server = FaultServer::start_at(addr).unwrap();
    server.route("POST", OFREP_LIMIT, limit_answer(77));
    let details = blocking.details(&LIMIT, &Context::new("u"));
    assert_eq!(details.value, 77);
    assert_eq!(details.reason, Reason::TargetingMatch);
    assert!(details.error.is_none());
    assert_eq!(server.count(), 1);
}

#[test]
fn bulk_mode_with_the_server_down_goes_error_then_ready_after_a_poll() {
    let addr = dead_addr();
    let client = build(
        remote::ofrep(format!("http://{addr}"))
            .timeout(Duration::from_millis(500))
            .transport(quick().breaker(3, Duration::from_millis(50)))
            .bulk(Context::new("device-1"), Some(Duration::from_millis(20))),
    );
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    for event in [ProviderEvent::Ready, ProviderEvent::Error] {
        let events = events.clone();
        client.on(event, move |details| {
            events
                .lock()
                .unwrap()
                .push((details.event, details.message.clone()));
        });
    }
    // The first refresh fails: not ready, status ERROR, an ERROR event.
    let error = client.wait_ready(Duration::from_secs(10)).unwrap_err();
    assert!(error.to_string().contains("OFREP"), "{error}");
    assert_eq!(client.status(), ProviderStatus::Error);
    let details = client.details(&LIMIT, &Context::anonymous());
    assert_eq!(details.value, 10);
    assert_eq!(details.reason, Reason::Error);
    assert!(details.error.is_some());
    assert!(eventually(|| {
        events
            .lock()
            .unwrap()
            .iter()
            .any(|(e, m)| *e == ProviderEvent::Error && m.as_deref().is_some())
    }));
    // The handler, added after build, runs at once with the state's latest details: the
    // failed connection, or on a slow machine the breaker it opened after three.
    let first_error = events.lock().unwrap()[0].clone();
    assert_eq!(first_error.0, ProviderEvent::Error);
    let message = first_error.1.as_deref().unwrap();
    assert!(
        message.contains("cannot connect") || message.contains("circuit breaker is open"),
        "{first_error:?}"
    );

    // The server comes up: a later poll (after the breaker's short cool-down) makes it READY.
    let server = FaultServer::start_at(addr).unwrap();
    server.route(
        "POST",
        OFREP_BULK,
        Reply::json(
            &json!({ "flags": [{ "key": "upload-limit", "value": 64, "reason": "STATIC" }] })
                .to_string(),
        ),
    );
    assert!(eventually(|| client.status() == ProviderStatus::Ready));
    assert!(eventually(|| {
        events
            .lock()
            .unwrap()
            .iter()
            .any(|(e, _)| *e == ProviderEvent::Ready)
    }));
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 64);
    assert!(server.count() >= 1);
    client.shutdown();
}

#[test]
fn bulk_mode_credentials_refused_goes_fatal_and_stops_polling() {
    let server = FaultServer::start();
    server.route("POST", OFREP_BULK, Reply::status(401));
    let client = build(
        remote::ofrep(server.url(""))
            .timeout(Duration::from_millis(500))
            .transport(quick().retries(3))
            .bulk(Context::new("device-1"), Some(Duration::from_millis(10))),
    );
    let error = client.wait_ready(Duration::from_secs(10)).unwrap_err();
    assert!(error.to_string().contains("OFREP"), "{error}");
    assert_eq!(client.status(), ProviderStatus::Fatal);
    assert_eq!(server.count(), 1, "401 is not retried");
    let details = client.details(&LIMIT, &Context::anonymous());
    assert_eq!(details.value, 10);
    assert!(details.error.is_some());
    // No poll after FATAL, and an explicit refresh sends nothing either.
    std::thread::sleep(Duration::from_millis(100));
    assert!(client.refresh().is_err());
    assert_eq!(server.count(), 1);
}

#[test]
fn bulk_mode_keeps_the_last_good_evaluation_through_5xx_and_a_429_window() {
    let server = FaultServer::start();
    let bulk = |value: i64| {
        Reply::json(
            &json!({ "flags": [{ "key": "upload-limit", "value": value, "reason": "STATIC" }] })
                .to_string(),
        )
    };
    server.route("POST", OFREP_BULK, bulk(1));
    server.then("POST", OFREP_BULK, Reply::status(503));
    let client = build(
        remote::ofrep(server.url(""))
            .timeout(Duration::from_millis(500))
            .transport(quick().retries(0).breaker(0, Duration::ZERO))
            .bulk(Context::new("device-1"), Some(Duration::from_millis(10))),
    );
    let stale = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let stale = stale.clone();
        client.on(ProviderEvent::Stale, move |details| {
            stale.lock().unwrap().push(details.message.clone());
        });
    }
    client.wait_ready(Duration::from_secs(10)).unwrap();
    // 5xx: STALE, the last good evaluation still answers.
    assert!(eventually(|| client.status() == ProviderStatus::Stale));
    assert!(eventually(|| !stale.lock().unwrap().is_empty()));
    let message = stale.lock().unwrap()[0].clone().unwrap();
    assert!(message.contains("HTTP 503"), "{message}");
    let details = client.details(&LIMIT, &Context::anonymous());
    assert_eq!((details.value, details.reason), (1, Reason::Static));

    // Back: READY with the new evaluation.
    server.route("POST", OFREP_BULK, bulk(2));
    assert!(eventually(
        || client.value(&LIMIT, &Context::anonymous()) == 2
    ));
    assert_eq!(client.status(), ProviderStatus::Ready);

    // 429 with a date: no poll reaches the server while the window lasts; values kept.
    server.route(
        "POST",
        OFREP_BULK,
        Reply::status(429).retry_after_date(SystemTime::now() + Duration::from_secs(120)),
    );
    assert!(eventually(|| client.status() == ProviderStatus::Stale));
    let count = server.count();
    std::thread::sleep(Duration::from_millis(100));
    assert!(client.refresh().is_err());
    assert_eq!(server.count(), count, "polls sent while rate limited");
    assert_eq!(client.value(&LIMIT, &Context::anonymous()), 2);
    client.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_shutdown_evaluations_give_the_default_at_once() {
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, limit_answer(3));
    let client = build(ofrep_on(&server, quick()));
    assert_eq!(client.value_async(&LIMIT, &Context::new("u")).await, 3);
    client.shutdown();
    let details = client.details_async(&LIMIT, &Context::new("u")).await;
    assert_eq!(details.value, 10);
    assert!(details.error.is_some());
    let blocking = client.blocking();
    let details = std::thread::spawn(move || blocking.details(&LIMIT, &Context::new("u")))
        .join()
        .unwrap();
    assert_eq!(details.value, 10);
    assert!(details.error.is_some());
    assert_eq!(server.count(), 1);

    // Bulk mode: no refresh after shutdown.
    server.route(
        "POST",
        OFREP_BULK,
        Reply::json(r#"{"flags":[{"key":"upload-limit","value":5,"reason":"STATIC"}]}"#),
    );
    let bulk = build(
        remote::ofrep(server.url(""))
            .transport(quick())
            .bulk(Context::new("d"), None),
    );
    let waiting = bulk.clone();
    tokio::task::spawn_blocking(move || waiting.wait_ready(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(server.count(), 2);
    bulk.shutdown();
    let refreshing = bulk.clone();
    let refreshed = tokio::task::spawn_blocking(move || refreshing.refresh())
        .await
        .unwrap();
    assert!(refreshed.is_err());
    assert_eq!(bulk.status(), ProviderStatus::NotReady);
    assert_eq!(server.count(), 2);
}

// --- Flapping server, circuit breaker -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_server_is_absorbed_by_retries() {
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, Reply::status(503));
    for i in 0..10 {
        server
            .then("POST", OFREP_LIMIT, limit_answer(100 + i))
            .then("POST", OFREP_LIMIT, Reply::status(503));
    }
    let client = build(ofrep_on(
        &server,
        quick().retries(1).breaker(2, Duration::from_secs(60)),
    ));
    for i in 0..10 {
        let details = client
            .details_async(&LIMIT, &Context::new(format!("user-{i}")))
            .await;
        assert!(details.error.is_none(), "{:?}", details.error);
        assert_eq!(details.value, 100 + i);
    }
    assert_eq!(server.count(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_the_breaker_opens_fails_fast_and_recovers_with_one_probe() {
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, Reply::status(503));
    let client = build(ofrep_on(
        &server,
        quick().retries(0).breaker(3, Duration::from_secs(1)),
    ));
    let ctx = Context::new("u");
    for n in 1..=3 {
        let message = failed(
            &client.details_async(&LIMIT, &ctx).await,
            10,
            ErrorCode::General,
        );
        assert!(message.contains("HTTP 503"), "{message}");
        assert_eq!(server.count(), n);
    }
    // Open: fail fast, nothing reaches the server.
    for _ in 0..5 {
        let message = failed(
            &client.details_async(&LIMIT, &ctx).await,
            10,
            ErrorCode::General,
        );
        assert!(message.contains("circuit breaker is open"), "{message}");
    }
    assert_eq!(server.count(), 3);

    // After the cool-down: one probe at a time (held at the server by a gate), the others
    // still fail fast; the probe's success closes the breaker.
    let (reply, gate) = limit_answer(55).gated();
    server.route("POST", OFREP_LIMIT, reply);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let probe = {
        let client = client.clone();
        tokio::spawn(async move { client.details_async(&LIMIT, &Context::new("probe")).await })
    };
    for _ in 0..2000 {
        if server.count() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.count(), 4, "the probe did not reach the server");
    for i in 0..4 {
        let message = failed(
            &client
                .details_async(&LIMIT, &Context::new(format!("other-{i}")))
                .await,
            10,
            ErrorCode::General,
        );
        assert!(message.contains("probe"), "{message}");
    }
    gate.open();
    let details = probe.await.unwrap();
    assert_eq!(details.value, 55);
    assert!(details.error.is_none());
    let details = client.details_async(&LIMIT, &ctx).await;
    assert_eq!(details.value, 55);
    assert_eq!(server.count(), 5, "one probe, then one request once closed");
}

// --- Slow body, broken connections, bad bodies ------------------------------------------------

#[test]
fn a_body_slower_than_the_timeout_gives_the_default_and_the_next_call_works() {
    let server = FaultServer::start();
    let long =
        json!({ "key": "upload-limit", "value": 5, "reason": "STATIC", "padding": "x".repeat(64) })
            .to_string();
    server.route(
        "POST",
        OFREP_LIMIT,
        Reply::json(&long).slow_body(4, Duration::from_millis(100)),
    );
    let client = build(
        remote::ofrep(server.url(""))
            .timeout(Duration::from_millis(200))
            // Room for the retry (by default the deadline is the timeout: no room).
            .deadline(Duration::from_secs(2))
            .transport(quick().retries(1)),
    )
    .blocking();
    let message = failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(message.contains("timed out"), "{message}");
    // The first attempt and one retry, both cut by the timeout.
    assert_eq!(server.count(), 2);

    server.route("POST", OFREP_LIMIT, limit_answer(6));
    assert_eq!(client.value(&LIMIT, &Context::new("u")), 6);
    assert_eq!(server.count(), 3);
}

#[test]
fn a_reset_mid_body_or_a_close_before_the_response_is_retried() {
    let server = FaultServer::start();
    let answer = json!({ "key": "upload-limit", "value": 9, "reason": "STATIC", "padding": "...................." })
        .to_string();
    server.route("POST", OFREP_LIMIT, Reply::json(&answer).reset_mid_body());
    let client = build(ofrep_on(&server, quick().retries(0))).blocking();
    let message = failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(
        message.contains("cannot read the response body"),
        "{message}"
    );
    assert_eq!(server.count(), 1);

    server.route("POST", OFREP_LIMIT, Reply::close_before_response());
    let message = failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(message.contains("request failed"), "{message}");
    assert_eq!(server.count(), 2);

    // With a retry, each fault is absorbed.
    let retrying = build(ofrep_on(&server, quick().retries(1))).blocking();
    for fault in [
        Reply::json(&answer).reset_mid_body(),
        Reply::close_before_response(),
    ] {
        server.route("POST", OFREP_LIMIT, fault);
        server.then("POST", OFREP_LIMIT, Reply::json(&answer));
        let before = server.count();
        let details = retrying.details(&LIMIT, &Context::new("u"));
        assert_eq!(details.value, 9, "{:?}", details.error);
        assert_eq!(details.reason, Reason::Static);
        assert_eq!(server.count(), before + 2);
    }
}

#[test]
fn malformed_and_oversized_bodies() {
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, Reply::malformed());
    let client = build(ofrep_on(&server, quick().max_body(1024))).blocking();
    let message = failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::ParseError,
    );
    assert!(message.contains("not JSON"), "{message}");
    assert_eq!(server.count(), 1, "a malformed body is not retried");
    server.route("POST", OFREP_LIMIT, Reply::status(200));
    failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::ParseError,
    );
    assert_eq!(server.count(), 2, "an empty body is not retried");

    // Over the limit, announced by `Content-Length` or found while reading a chunked body.
    for (n, reply) in [
        Reply::oversized(64 * 1024),
        Reply::oversized(64 * 1024).chunked(),
    ]
    .into_iter()
    .enumerate()
    {
        server.route("POST", OFREP_LIMIT, reply);
        let message = failed(
            &client.details(&LIMIT, &Context::new("u")),
            10,
            ErrorCode::General,
        );
        assert!(
            message.contains("larger than the limit of 1024 bytes"),
            "{message}"
        );
        assert_eq!(server.count(), 3 + n, "an oversized body is not retried");
    }
}

// --- Statuses ---------------------------------------------------------------------------------

#[test]
fn a_5xx_is_retried_then_succeeds() {
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, Reply::status(502));
    server.then("POST", OFREP_LIMIT, limit_answer(31));
    let client = build(ofrep_on(&server, quick())).blocking();
    let details = client.details(&LIMIT, &Context::new("u"));
    assert_eq!(details.value, 31);
    assert!(details.error.is_none());
    assert_eq!(server.count(), 2);
}

#[test]
fn client_errors_are_never_retried() {
    for (status, code, fatal) in [
        (400, ErrorCode::TargetingKeyMissing, false),
        (401, ErrorCode::General, true),
        (403, ErrorCode::General, true),
        (404, ErrorCode::FlagNotFound, false),
    ] {
        let server = FaultServer::start();
        let reply = Reply::status(status);
        let reply = if status == 400 {
            reply.body(
                r#"{"key":"upload-limit","errorCode":"TARGETING_KEY_MISSING","errorDetails":"a key is needed"}"#,
            )
        } else {
            reply
        };
        server.route("POST", OFREP_LIMIT, reply);
        let client = build(ofrep_on(&server, quick().retries(5)));
        let fatal_events = Arc::new(AtomicUsize::new(0));
        {
            let fatal_events = fatal_events.clone();
            client.on(ProviderEvent::Error, move |details| {
                if details.error_code == Some(ErrorCode::ProviderFatal) {
                    fatal_events.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let message = failed(
            &client.blocking().details(&LIMIT, &Context::new("u")),
            10,
            code,
        );
        assert_eq!(server.count(), 1, "HTTP {status} was retried");
        if fatal {
            assert!(message.contains(&format!("HTTP {status}")), "{message}");
            assert_eq!(client.status(), ProviderStatus::Fatal);
            assert!(eventually(|| fatal_events.load(Ordering::SeqCst) == 1));
            // FATAL: no request any more.
            let again = client.blocking().details(&LIMIT, &Context::new("v"));
            assert!(failed(&again, 10, ErrorCode::ProviderFatal).contains("FATAL"));
            assert_eq!(server.count(), 1);
        } else {
            assert_eq!(client.status(), ProviderStatus::Ready, "HTTP {status}");
            assert_eq!(fatal_events.load(Ordering::SeqCst), 0);
        }
    }
}

#[test]
fn a_429_with_an_http_date_opens_a_window_without_requests() {
    let server = FaultServer::start();
    server.route(
        "POST",
        OFREP,
        Reply::status(429).retry_after_date(SystemTime::now() + Duration::from_secs(120)),
    );
    let client = build(ofrep_on(&server, quick().retries(3))).blocking();
    let message = failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(message.contains("rate limited"), "{message}");
    assert_eq!(server.count(), 1);
    // Every flag of that origin fails fast, with no request, while the window lasts.
    server.route("POST", OFREP, limit_answer(1));
    for i in 0..5 {
        let message = failed(
            &client.details(&LIMIT, &Context::new(format!("user-{i}"))),
            10,
            ErrorCode::General,
        );
        assert!(message.contains("rate limited"), "{message}");
        let details = client.details(&ENABLED, &Context::new("u"));
        failed(&details, false, ErrorCode::General);
    }
    assert_eq!(server.count(), 1);
}

// --- TLS ---------------------------------------------------------------------------------------

fn mtls(pki: &TestPki, identity: bool) -> TransportConfig {
    let config = quick()
        .retries(0)
        .add_root_certificate_pem(pki.ca_pem.clone())
        .tls_built_in_roots(false);
    if identity {
        config.client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
    } else {
        config
    }
}

#[test]
fn mutual_tls_through_both_providers() {
    let pki = TestPki::generate();
    let server = FaultServer::start_tls(pki.server_config(true));
    server.route("POST", OFREP_LIMIT, limit_answer(443));
    server.route("GET", FLAGSHIP, flagship_answer(8443));
    assert!(server.url("").starts_with("https://"));

    let ofrep = build(ofrep_on(&server, mtls(&pki, true))).blocking();
    let details = ofrep.details(&LIMIT, &Context::new("u"));
    assert_eq!(details.value, 443, "{:?}", details.error);
    let flagship = build(
        remote::flagship_endpoint(server.url(FLAGSHIP))
            .timeout(Duration::from_millis(800))
            .transport(mtls(&pki, true)),
    )
    .blocking();
    let details = flagship.details(&LIMIT, &Context::new("u"));
    assert_eq!(details.value, 8443, "{:?}", details.error);
    assert_eq!(details.variant.as_deref(), Some("big"));
    assert_eq!(server.count(), 2);

    // Without a client identity the server refuses the handshake: the default, an error.
    let failures = server.tls_failures();
    let ofrep = build(ofrep_on(&server, mtls(&pki, false))).blocking();
    failed(
        &ofrep.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    let flagship = build(
        remote::flagship_endpoint(server.url(FLAGSHIP))
            .timeout(Duration::from_millis(800))
            .transport(mtls(&pki, false)),
    )
    .blocking();
    failed(
        &flagship.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert_eq!(server.count(), 2, "no request without the handshake");
    assert!(eventually(|| server.tls_failures() >= failures + 2));

    // A server certificate the client does not trust: signed by another CA (of the same
    // name), or by no root it knows (the platform's only), with the fix in the message.
    let other = TestPki::generate();
    let untrusted = build(ofrep_on(&server, mtls(&other, true))).blocking();
    let message = failed(
        &untrusted.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(message.contains("TLS handshake failed"), "{message}");
    let platform_only = quick()
        .retries(0)
        .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone());
    let untrusted = build(
        remote::flagship_endpoint(server.url(FLAGSHIP))
            .timeout(Duration::from_millis(800))
            .transport(platform_only),
    )
    .blocking();
    let message = failed(
        &untrusted.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(message.contains("TLS handshake failed"), "{message}");
    assert!(message.contains("`add_root_certificate_pem`"), "{message}");
    assert_eq!(server.count(), 2);
}

// --- Flagship -----------------------------------------------------------------------------------

fn flagship_on(server: &FaultServer) -> remote::Flagship {
    remote::flagship("acc", "app")
        .base_url(server.url(""))
        .timeout(Duration::from_millis(800))
        .retry_delay(Duration::from_millis(1))
}

#[test]
fn flagship_retries_are_capped_at_ten() {
    let server = FaultServer::start();
    server.route("*", FLAGSHIP, Reply::status(503));
    // The default breaker leaves room for every attempt of one request; the deadline is long
    // enough that only the cap ends the attempts, however loaded the machine.
    let client = build(
        flagship_on(&server)
            .retries(50)
            .deadline(Duration::from_secs(60)),
    )
    .blocking();
    let message = failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(message.contains("HTTP 503"), "{message}");
    assert_eq!(server.count(), 11, "the first attempt and 10 retries");

    // The default: one retry.
    let client = build(flagship_on(&server).deadline(Duration::from_secs(60))).blocking();
    let _ = client.details(&LIMIT, &Context::new("u"));
    assert_eq!(server.count(), 13);
}

/// The cap's value (30 s) is checked where the options are validated (`wire::flagship`'s unit
/// tests): waiting for it cannot be observed quickly. Here: beyond the cap is capped, not
/// refused, and costs nothing when the first attempt succeeds.
#[test]
fn flagship_retry_delay_beyond_the_cap_is_accepted() {
    let server = FaultServer::start();
    server.route("*", FLAGSHIP, flagship_answer(3));
    let client = build(
        flagship_on(&server)
            .retry_delay(Duration::from_secs(24 * 3600))
            .retries(10),
    )
    .blocking();
    assert_eq!(client.value(&LIMIT, &Context::new("u")), 3);
}

#[test]
fn flagship_get_query_for_flat_contexts() {
    let server = FaultServer::start();
    server.route("*", FLAGSHIP, flagship_answer(42));
    let client = build(flagship_on(&server)).blocking();
    // 2024-02-29T12:30:05.250Z
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_709_209_805_250);
    let ctx = Context::new("user 1")
        .with("beta", true)
        .with("legacy", false)
        .with("seats", 12)
        .with("ratio", 2.5)
        .with("since", Value::DateTime(at))
        .with("plan", "pro&max");
    let details = client.details(&LIMIT, &ctx);
    assert_eq!(details.value, 42);
    assert_eq!(details.reason, Reason::TargetingMatch);
    assert_eq!(details.variant.as_deref(), Some("big"));
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        format!(
            "{FLAGSHIP}?flagKey=upload-limit&targetingKey=user%201&beta=true&legacy=false\
             &plan=pro%26max&ratio=2.5&seats=12&since=2024-02-29T12%3A30%3A05.250Z"
        )
    );

    // A URL beyond 4 KiB (servers and proxies cut them): POST.
    let long = Context::new("u").with("blob", "x".repeat(5000));
    assert_eq!(client.value(&LIMIT, &long), 42);
    let request = server.requests().pop().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", FLAGSHIP)
    );
    assert_eq!(
        body(&request)["context"]["blob"].as_str().unwrap().len(),
        5000
    );

    // An attribute named `flagKey` never replaces the flag key: POST, where it stays in the
    // context.
    let sneaky = Context::new("u").with("flagKey", "other-flag");
    assert_eq!(client.value(&LIMIT, &sneaky), 42);
    let request = &server.requests()[2];
    assert_eq!(request.method, "POST");
    assert!(!request.path.contains("other-flag"), "{}", request.path);
    assert_eq!(
        body(request),
        json!({ "flagKey": "upload-limit", "context": { "targetingKey": "u", "flagKey": "other-flag" } })
    );
}

#[test]
fn flagship_post_for_nested_or_null_contexts_and_invalid_contexts_send_nothing() {
    let server = FaultServer::start();
    server.route("*", FLAGSHIP, flagship_answer(42));
    let client = build(flagship_on(&server)).blocking();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
    let ctx = Context::new("u")
        .with("team", Value::from(json!({ "name": "core", "size": 4 })))
        .with("nothing", Value::Null)
        .with("seen", Value::List(vec![Value::DateTime(at)]));
    assert_eq!(client.value(&LIMIT, &ctx), 42);
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, FLAGSHIP);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        body(request),
        json!({ "flagKey": "upload-limit", "context": {
            "targetingKey": "u", "team": { "name": "core", "size": 4 }, "nothing": null,
            "seen": ["2000-02-29T00:00:00Z"]
        } })
    );

    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let details = client.details(&LIMIT, &Context::new("u").with("score", bad));
        let message = failed(&details, 10, ErrorCode::InvalidContext);
        assert!(message.contains("score"), "{message}");
        // Nested too (that context would be POSTed).
        let nested = Context::new("u").with(
            "team",
            Value::Map([("score".to_owned(), Value::Float(bad))].into()),
        );
        failed(
            &client.details(&LIMIT, &nested),
            10,
            ErrorCode::InvalidContext,
        );
    }
    assert_eq!(server.count(), 1, "no request for an invalid context");
}

#[test]
fn flagship_statuses_and_bodies() {
    let server = FaultServer::start();
    let client = build(
        flagship_on(&server)
            .retries(3)
            .deadline(Duration::from_secs(60)),
    )
    .blocking();
    let ctx = Context::new("u");

    server.route(
        "*",
        FLAGSHIP,
        Reply::status(404).body(r#"{"errorDetails":"no flag upload-limit"}"#),
    );
    let message = failed(&client.details(&LIMIT, &ctx), 10, ErrorCode::FlagNotFound);
    assert!(message.contains("no flag upload-limit"), "{message}");
    assert_eq!(server.count(), 1);

    server.route(
        "*",
        FLAGSHIP,
        Reply::status(400).body(r#"{"errorDetails":"bad context"}"#),
    );
    let message = failed(&client.details(&LIMIT, &ctx), 10, ErrorCode::General);
    assert!(
        message.contains("HTTP 400 Bad Request: bad context"),
        "{message}"
    );
    assert_eq!(server.count(), 2, "400 is not retried");

    for (n, reply) in [
        Reply::malformed(),
        Reply::json(r#"{"flagKey":"upload-limit"}"#),
        Reply::json("[1, 2]"),
    ]
    .into_iter()
    .enumerate()
    {
        server.route("*", FLAGSHIP, reply);
        failed(&client.details(&LIMIT, &ctx), 10, ErrorCode::ParseError);
        assert_eq!(server.count(), 3 + n, "a bad body is not retried");
    }

    // 5xx: retried, then the answer.
    server.route("*", FLAGSHIP, Reply::status(500));
    server.then("*", FLAGSHIP, flagship_answer(12));
    assert_eq!(client.value(&LIMIT, &ctx), 12);
    assert_eq!(server.count(), 7);
}

#[test]
fn flagship_headers_factory_runs_per_request_wins_over_the_token_and_secrets_stay_hidden() {
    let server = FaultServer::start();
    server.route("*", FLAGSHIP, flagship_answer(1));
    let calls = Arc::new(AtomicUsize::new(0));
    let provider = {
        let calls = calls.clone();
        flagship_on(&server)
            .auth_token("cf-SECRET-token")
            .headers_factory(move || {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                vec![
                    ("authorization".to_owned(), format!("Bearer rotated-{n}")),
                    ("X-Request-Id".to_owned(), format!("req-{n}")),
                ]
            })
    };
    let debug = format!("{provider:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
    let client = build(provider);
    let blocking = client.blocking();
    for n in 1..=3 {
        assert_eq!(
            blocking.value(&LIMIT, &Context::new(format!("user-{n}"))),
            1
        );
        let request = &server.requests()[n - 1];
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer rotated-{n}").as_str())
        );
        assert_eq!(
            request.header("x-request-id"),
            Some(format!("req-{n}").as_str())
        );
        let authorizations = request
            .headers
            .iter()
            .filter(|(name, _)| name == "authorization")
            .count();
        assert_eq!(authorizations, 1);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // Errors never carry the token nor the factory's headers.
    server.route("*", FLAGSHIP, Reply::status(401));
    let message = failed(
        &blocking.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    for text in [message, format!("{client:?}")] {
        assert!(!text.contains("SECRET"), "{text}");
        assert!(!text.contains("rotated"), "{text}");
    }

    // Without a factory, the token goes as a bearer token.
    let plain = build(flagship_on(&server).auth_token("cf-SECRET-token")).blocking();
    let message = failed(
        &plain.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(!message.contains("SECRET"), "{message}");
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer cf-SECRET-token"));
}

// --- OFREP bodies -------------------------------------------------------------------------------

#[test]
fn ofrep_success_without_value_gives_the_default_and_unknown_reasons_are_kept() {
    let server = FaultServer::start();
    server.route(
        "POST",
        OFREP_LIMIT,
        Reply::json(r#"{"key":"upload-limit","reason":"DEFAULT","variant":"off"}"#),
    );
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/theme",
        Reply::json(r#"{"key":"theme","value":"dark","reason":"VENDOR_RULE_7"}"#),
    );
    let client = build(ofrep_on(&server, quick())).blocking();
    let details = client.details(&LIMIT, &Context::new("u"));
    assert_eq!(details.value, 10);
    assert!(details.error.is_none(), "{:?}", details.error);
    assert_eq!(details.reason, Reason::Default);

    let details = client.details(&THEME, &Context::new("u"));
    assert_eq!(details.value, "dark");
    assert!(details.error.is_none());
    assert_eq!(details.reason, Reason::Other("VENDOR_RULE_7".to_owned()));

    // A key is one path segment, encoded.
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/team%2Fa%20b",
        Reply::json(r#"{"key":"team/a b","value":3,"reason":"STATIC"}"#),
    );
    assert_eq!(
        client.value(FlagKey::<i64>::new("team/a b", 0), &Context::new("u")),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_keeps_answers_but_never_errors_nor_disabled_results() {
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, Reply::status(503));
    let client = build(
        ofrep_on(&server, quick().retries(0).breaker(0, Duration::ZERO))
            .cache(Duration::from_secs(60), 16),
    );
    let ctx = Context::new("u");
    failed(
        &client.details_async(&LIMIT, &ctx).await,
        10,
        ErrorCode::General,
    );
    // The error was not cached: the next call asks again, and its answer is kept.
    server.route("POST", OFREP_LIMIT, limit_answer(4));
    let details = client.details_async(&LIMIT, &ctx).await;
    assert_eq!((details.value, details.reason), (4, Reason::TargetingMatch));
    assert_eq!(server.count(), 2);
    // A hit, from the async and the blocking API alike, even with the server failing again.
    server.route("POST", OFREP_LIMIT, Reply::status(503));
    let details = client.details_async(&LIMIT, &ctx).await;
    assert_eq!((details.value, details.reason), (4, Reason::Cached));
    let blocking = client.blocking();
    let details = std::thread::spawn(move || blocking.details(&LIMIT, &Context::new("u")))
        .join()
        .unwrap();
    assert_eq!((details.value, details.reason), (4, Reason::Cached));
    assert_eq!(server.count(), 2);

    // DISABLED: the caller's default, asked again every time.
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/theme",
        Reply::json(r#"{"key":"theme","reason":"DISABLED"}"#),
    );
    for n in 1..=2 {
        let details = client.details_async(&THEME, &ctx).await;
        assert_eq!(details.value, "light");
        assert_eq!(details.reason, Reason::Disabled);
        assert_eq!(server.count_path("/ofrep/v1/evaluate/flags/theme"), n);
    }
}

#[test]
fn ofrep_secrets_never_show_in_messages_events_or_debug() {
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, Reply::status(500));
    let url = server.url("").replace("http://", "http://user:pw-SECRET@");
    let provider = remote::ofrep(url)
        .bearer_token("tok-SECRET")
        .header("X-Api-Key", "key-SECRET")
        .timeout(Duration::from_millis(800))
        .transport(quick().retries(0));
    let debug = format!("{provider:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
    let client = build(provider);
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let events = events.clone();
        client.on(ProviderEvent::Error, move |details| {
            events.lock().unwrap().push(format!("{details:?}"));
        });
    }
    let blocking = client.blocking();
    let mut texts = vec![format!("{client:?}")];
    texts.push(failed(
        &blocking.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    ));
    // A dead port with the same credentials: a connection error.
    let dead = build(
        remote::ofrep(format!("http://user:pw-SECRET@{}", dead_addr()))
            .bearer_token("tok-SECRET")
            .transport(quick().retries(0)),
    );
    texts.push(failed(
        &dead.blocking().details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    ));
    // 401: FATAL, with an error event.
    server.route("POST", OFREP_LIMIT, Reply::status(401));
    texts.push(failed(
        &blocking.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    ));
    assert!(eventually(|| !events.lock().unwrap().is_empty()));
    texts.extend(events.lock().unwrap().iter().cloned());
    for text in &texts {
        assert!(!text.contains("SECRET"), "{text}");
    }
    // The credentials did go to the server.
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer tok-SECRET"));
    assert_eq!(request.header("x-api-key"), Some("key-SECRET"));
}

/// Set by the parent test in the child process it starts.
const CHILD: &str = "FLAGS_REMOTE_FAULTS_ENV_CHILD";
/// The URL of a second server, for the child.
const CHILD_OTHER: &str = "FLAGS_REMOTE_FAULTS_OTHER_URL";

/// The process environment cannot be changed safely while other threads run, so the test
/// runs itself again as a child process with the variables set, and the child evaluates.
#[test]
fn ofrep_environment_variables_are_honoured() {
    if std::env::var_os(CHILD).is_some() {
        // The child: everything comes from the environment.
        let client = build(remote::ofrep_from_env()).blocking();
        let details = client.details(&LIMIT, &Context::new("u"));
        assert_eq!(details.value, 21, "{:?}", details.error);
        // `OFREP_TIMEOUT_MS`: a slow flag times out, and with it the deadline (by default
        // the timeout).
        let message = failed(
            &client.details(&THEME, &Context::new("u")),
            "light".to_owned(),
            ErrorCode::General,
        );
        assert!(
            message.contains("no answer within the deadline of 150 ms (1 attempt)"),
            "{message}"
        );
        assert!(!message.contains("env-SECRET"), "{message}");
        // Options set in code win: the base URL, the timeout and a header of the same name;
        // the other `OFREP_HEADERS` still apply.
        let other = std::env::var(CHILD_OTHER).unwrap();
        let explicit = build(
            remote::ofrep(other)
                .timeout(Duration::from_secs(5))
                .header("x-tenant", "red"),
        )
        .blocking();
        assert_eq!(explicit.value(&THEME, &Context::new("u")), "elsewhere");
        return;
    }
    let server = FaultServer::start();
    server.route("POST", OFREP_LIMIT, limit_answer(21));
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/theme",
        Reply::json(r#"{"key":"theme","value":"slow","reason":"STATIC"}"#)
            .delay(Duration::from_millis(600)),
    );
    let other = FaultServer::start();
    other.route(
        "POST",
        "/ofrep/v1/evaluate/flags/theme",
        Reply::json(r#"{"key":"theme","value":"elsewhere","reason":"STATIC"}"#)
            .delay(Duration::from_millis(300)),
    );
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "ofrep_environment_variables_are_honoured",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env(CHILD_OTHER, other.url(""))
        .env("OFREP_ENDPOINT", server.url(""))
        // The whole string is URL-decoded, then split on `,`: a comma cannot be in a value
        // (ADR-0007), so `green` is an entry without `=`, skipped.
        .env(
            "OFREP_HEADERS",
            "Authorization=Bearer%20env-SECRET,X-Tenant=blue%2Cgreen",
        )
        .env("OFREP_TIMEOUT_MS", "150")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    // The value, then the slow flag: one attempt, cut by the 150 ms of `OFREP_TIMEOUT_MS`,
    // which leaves no time for the default retries.
    assert_eq!(server.count_path(OFREP_LIMIT), 1);
    assert_eq!(server.count_path("/ofrep/v1/evaluate/flags/theme"), 1);
    for request in server.requests() {
        assert_eq!(request.header("authorization"), Some("Bearer env-SECRET"));
        assert_eq!(request.header("x-tenant"), Some("blue"));
    }
    let requests = other.requests();
    assert_eq!(
        requests.len(),
        1,
        "the explicit timeout waited for the answer"
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer env-SECRET")
    );
    let tenants: Vec<_> = requests[0]
        .headers
        .iter()
        .filter(|(name, _)| name == "x-tenant")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(tenants, ["red"]);
}

// --- Blocking API -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_api_from_a_plain_thread_gives_the_same_answers() {
    let server = FaultServer::start();
    server
        .route("POST", OFREP_LIMIT, limit_answer(250))
        .route(
            "POST",
            "/ofrep/v1/evaluate/flags/new-checkout",
            Reply::json(r#"{"key":"new-checkout","value":true,"reason":"SPLIT","variant":"on"}"#),
        )
        .route(
            "POST",
            "/ofrep/v1/evaluate/flags/theme",
            Reply::status(404)
                .body(r#"{"key":"theme","errorCode":"FLAG_NOT_FOUND","errorDetails":"gone"}"#),
        );
    let client = build(ofrep_on(&server, quick()));
    let ctx = Context::new("user-1").with("plan", "pro");
    type Answers = (
        EvaluationDetails<i64>,
        EvaluationDetails<bool>,
        EvaluationDetails<String>,
    );
    let from_async: Answers = (
        client.details_async(&LIMIT, &ctx).await,
        client.details_async(&ENABLED, &ctx).await,
        client.details_async(&THEME, &ctx).await,
    );
    let from_thread: Answers = {
        let blocking = client.blocking();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            (
                blocking.details(&LIMIT, &ctx),
                blocking.details(&ENABLED, &ctx),
                blocking.details(&THEME, &ctx),
            )
        })
        .join()
        .unwrap()
    };
    assert_eq!(from_async.0.value, 250);
    assert!(from_async.1.value);
    assert_eq!(from_async.1.reason, Reason::Split);
    assert_eq!(
        from_async.2.error.as_ref().unwrap().code,
        ErrorCode::FlagNotFound
    );
    assert_eq!(from_thread.0, from_async.0);
    assert_eq!(from_thread.1, from_async.1);
    assert_eq!(from_thread.2, from_async.2);
    assert_eq!(server.count(), 6);
    // Both sent the same request for the same evaluation.
    let requests = server.requests();
    let limit: Vec<_> = requests
        .iter()
        .filter(|r| r.path == OFREP_LIMIT)
        .map(body)
        .collect();
    assert_eq!(limit.len(), 2);
    assert_eq!(limit[0], limit[1]);
}

#[test]
fn redirects_stay_within_the_origin_so_credentials_do_not_leave_it() {
    let elsewhere = FaultServer::start();
    elsewhere.route("POST", OFREP_LIMIT, limit_answer(99));
    let server = FaultServer::start();
    server.route(
        "POST",
        OFREP_LIMIT,
        Reply::status(307).header("location", &elsewhere.url(OFREP_LIMIT)),
    );
    server.route("POST", "/moved/", limit_answer(42));
    let client = build(
        ofrep_on(&server, quick())
            .bearer_token("tok-SECRET")
            .header("X-Api-Key", "key-SECRET"),
    )
    .blocking();
    // To another origin: not followed, the default and the status.
    let message = failed(
        &client.details(&LIMIT, &Context::new("u")),
        10,
        ErrorCode::General,
    );
    assert!(message.contains("HTTP 307"), "{message}");
    assert_eq!(elsewhere.count(), 0, "a credential left for another origin");
    assert_eq!(server.count(), 1, "a redirect is not retried");

    // Within the origin: followed, with the credentials and without `Referer`.
    server.route(
        "POST",
        OFREP_LIMIT,
        Reply::status(307).header("location", "/moved/upload-limit"),
    );
    let details = client.details(&LIMIT, &Context::new("u"));
    assert_eq!(details.value, 42, "{:?}", details.error);
    let moved = server.requests().pop().unwrap();
    assert_eq!(moved.path, "/moved/upload-limit");
    assert_eq!(moved.header("x-api-key"), Some("key-SECRET"));
    assert_eq!(moved.header("authorization"), Some("Bearer tok-SECRET"));
    assert_eq!(moved.header("referer"), None);
    assert_eq!(body(&moved), json!({ "context": { "targetingKey": "u" } }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_headers_factory_gives_the_default_and_says_so() {
    let server = FaultServer::start();
    server.route("*", FLAGSHIP, flagship_answer(1));
    let client = build(flagship_on(&server).headers_factory(|| panic!("factory broke")));
    let message = failed(
        &client.details_async(&LIMIT, &Context::new("u")).await,
        10,
        ErrorCode::General,
    );
    assert!(message.contains("panicked"), "{message}");
    let blocking = client.blocking();
    let details = std::thread::spawn(move || blocking.details(&LIMIT, &Context::new("u")))
        .join()
        .unwrap();
    let message = failed(&details, 10, ErrorCode::General);
    assert!(message.contains("`headers_factory`"), "{message}");
    // No request went out, and the provider is still READY.
    assert_eq!(server.count(), 0);
    assert_eq!(client.status(), ProviderStatus::Ready);
}
