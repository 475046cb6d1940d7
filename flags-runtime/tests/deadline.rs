//! One deadline per evaluation, retries included, through every remote path (async, blocking,
//! structs, bulk) and the transport itself; and HTTP errors summarised in one short line
//! wherever they become a message. Against the fault-injecting server on 127.0.0.1.
//!
//! The elapsed-time assertions are bounds on behaviour, not benchmarks: without the deadline,
//! a server that never answers makes the default retries take about three times the timeout.
#![cfg(feature = "http")]

use std::time::{Duration, Instant};

use flags_runtime::transport::{
    CircuitState, ConfigError, Deadline, Request, Transport, TransportConfig, TransportError,
};
use flags_runtime::{
    Client, Context, ErrorCode, Evaluation, EvaluationDetails, FlagKey, Flags, ProviderStatus,
    Reason, remote, source,
};
use flags_test_support::fault::{FaultServer, Reply};
use serde_json::json;

/// How long the slow server takes to answer.
const SLOW: Duration = Duration::from_secs(5);
/// The timeout of one attempt in these tests.
const TIMEOUT: Duration = Duration::from_secs(1);
/// The timeout and a margin for a loaded machine.
const WITHIN_TIMEOUT: Duration = Duration::from_millis(1800);

const OFREP_FLAGS: &str = "/ofrep/v1/evaluate/flags";

const ENABLED: FlagKey<bool> = FlagKey::from_fn("new-checkout", || false);
const UPLOAD_LIMIT: FlagKey<i64> = FlagKey::from_fn("upload-limit", || 10);
const THEME: FlagKey<String> = FlagKey::from_fn("theme", || "light".to_owned());

/// A hand-written `Flags` struct keeping each field's details.
struct Checkout {
    enabled: EvaluationDetails<bool>,
    upload_limit: EvaluationDetails<i64>,
    theme: EvaluationDetails<String>,
}

impl Flags for Checkout {
    fn evaluate(evaluation: &Evaluation<'_>) -> Self {
        Checkout {
            enabled: evaluation.details(&ENABLED),
            upload_limit: evaluation.details(&UPLOAD_LIMIT),
            theme: evaluation.details(&THEME),
        }
    }
}

/// A server whose every OFREP evaluation (single and bulk) answers after [`SLOW`].
fn slow_ofrep() -> FaultServer {
    let server = FaultServer::start();
    server.route(
        "POST",
        OFREP_FLAGS,
        Reply::json(&json!({ "flags": [] }).to_string()).delay(SLOW),
    );
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/",
        Reply::json(&json!({ "key": "any", "value": 1, "reason": "STATIC" }).to_string())
            .delay(SLOW),
    );
    server
}

/// An OFREP client with a 1 s timeout and the default retries and deadline.
fn ofrep_client(server: &FaultServer) -> Client {
    Client::builder()
        .remote(remote::ofrep(server.url("")).timeout(TIMEOUT))
        .build()
        .unwrap()
}

/// The caller's default, reason `ERROR`, code `GENERAL`, and a message saying the deadline
/// passed; returns the message.
#[track_caller]
fn past_the_deadline<T: PartialEq + std::fmt::Debug>(
    details: &EvaluationDetails<T>,
    default: T,
) -> String {
    assert_eq!(details.value, default);
    assert_eq!(details.reason, Reason::Error);
    let error = details.error.as_ref().expect("an error");
    assert_eq!(error.code, ErrorCode::General, "{}", error.message);
    assert!(
        error
            .message
            .contains("no answer within the deadline of 1000 ms (1 attempt)"),
        "{}",
        error.message
    );
    error.message.to_string()
}

#[track_caller]
fn within(started: Instant, bound: Duration) {
    let elapsed = started.elapsed();
    assert!(elapsed < bound, "took {elapsed:?}, bound {bound:?}");
}

// --- Per evaluation ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_evaluations_answer_the_default_within_the_timeout() {
    let server = slow_ofrep();
    let client = ofrep_client(&server);
    let ctx = Context::new("user-1");

    let started = Instant::now();
    let details = client.details_async(&UPLOAD_LIMIT, &ctx).await;
    within(started, WITHIN_TIMEOUT);
    let message = past_the_deadline(&details, 10);
    assert!(message.starts_with("OFREP `"), "{message}");
    assert_eq!(
        server.count(),
        1,
        "no retry after an attempt that used the deadline"
    );

    let started = Instant::now();
    assert_eq!(client.value_async(&UPLOAD_LIMIT, &ctx).await, 10);
    within(started, WITHIN_TIMEOUT);
    assert_eq!(server.count(), 2);
}

#[test]
fn blocking_evaluations_answer_the_default_within_the_timeout() {
    let server = slow_ofrep();
    let client = ofrep_client(&server).blocking();
    let ctx = Context::new("user-1");

    let started = Instant::now();
    let details = client.details(&UPLOAD_LIMIT, &ctx);
    within(started, WITHIN_TIMEOUT);
    past_the_deadline(&details, 10);
    assert_eq!(server.count(), 1);

    let started = Instant::now();
    assert_eq!(client.value(&THEME, &ctx), "light");
    within(started, WITHIN_TIMEOUT);
    assert_eq!(server.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fields_of_a_struct_share_one_deadline() {
    let server = slow_ofrep();
    let client = ofrep_client(&server);
    let ctx = Context::new("user-1");

    let started = Instant::now();
    let checkout: Checkout = client.flags_async(&ctx).await;
    within(started, WITHIN_TIMEOUT);
    past_the_deadline(&checkout.enabled, false);
    past_the_deadline(&checkout.upload_limit, 10);
    past_the_deadline(&checkout.theme, "light".to_owned());
    assert_eq!(server.count(), 3, "one attempt per field");

    let blocking = client.blocking();
    let ctx = ctx.clone();
    let started = Instant::now();
    let checkout: Checkout = tokio::task::spawn_blocking(move || blocking.flags(&ctx))
        .await
        .unwrap();
    within(started, WITHIN_TIMEOUT);
    past_the_deadline(&checkout.enabled, false);
    past_the_deadline(&checkout.upload_limit, 10);
    past_the_deadline(&checkout.theme, "light".to_owned());
    assert_eq!(server.count(), 6);
}

#[test]
fn flagship_evaluations_answer_the_default_within_the_timeout() {
    let server = FaultServer::start();
    server.route(
        "*",
        "/evaluate",
        Reply::json(r#"{"flagKey":"upload-limit","value":99}"#).delay(SLOW),
    );
    // Flagship's defaults: one retry, 1 s apart.
    let client = Client::builder()
        .remote(remote::flagship_endpoint(server.url("/evaluate")).timeout(TIMEOUT))
        .build()
        .unwrap()
        .blocking();
    let started = Instant::now();
    let details = client.details(&UPLOAD_LIMIT, &Context::new("u"));
    within(started, WITHIN_TIMEOUT);
    let message = past_the_deadline(&details, 10);
    assert!(message.starts_with("Flagship `"), "{message}");
    assert_eq!(server.count(), 1);
}

#[test]
fn a_longer_deadline_makes_room_for_retries_and_still_ends_on_time() {
    let server = slow_ofrep();
    let client = Client::builder()
        .remote(
            remote::ofrep(server.url(""))
                .timeout(TIMEOUT)
                .deadline(Duration::from_secs(3)),
        )
        .build()
        .unwrap()
        .blocking();
    let started = Instant::now();
    let details = client.details(&UPLOAD_LIMIT, &Context::new("u"));
    within(started, Duration::from_millis(3800));
    assert_eq!(details.value, 10);
    let message = &details.error.as_ref().unwrap().message;
    // Two attempts of 1 s, backoffs of at most 250 ms and 500 ms, and a last attempt cut by
    // the deadline: the default 2 retries all happen.
    assert_eq!(server.count(), 3, "{message}");
    assert!(
        message.contains("no answer within the deadline of 3000 ms (3 attempts)"),
        "{message}"
    );
}

// --- Bulk -------------------------------------------------------------------------------------

#[test]
fn bulk_fetches_refreshes_and_context_changes_end_within_the_timeout() {
    let server = slow_ofrep();
    let started = Instant::now();
    let client = Client::builder()
        .remote(
            remote::ofrep(server.url(""))
                .timeout(TIMEOUT)
                .bulk(Context::new("device-1"), None),
        )
        .build()
        .unwrap();
    // The first fetch, started by `build`, fails by its deadline.
    let error = client.wait_ready(Duration::from_secs(10)).unwrap_err();
    within(started, WITHIN_TIMEOUT);
    assert_eq!(client.status(), ProviderStatus::Error, "{error}");
    assert_eq!(server.count_path(OFREP_FLAGS), 1);

    let started = Instant::now();
    let error = client.refresh().unwrap_err();
    within(started, WITHIN_TIMEOUT);
    assert!(error.to_string().contains("deadline of 1000 ms"), "{error}");
    assert_eq!(server.count_path(OFREP_FLAGS), 2);

    let started = Instant::now();
    let error = client
        .set_bulk_context(Context::new("device-2"))
        .unwrap_err();
    within(started, WITHIN_TIMEOUT);
    assert!(error.to_string().contains("deadline of 1000 ms"), "{error}");
    assert_eq!(server.count_path(OFREP_FLAGS), 3);
    // Reads answer at once, from no evaluation.
    let details = client.details(&UPLOAD_LIMIT, &Context::new("device-2"));
    assert_eq!(details.value, 10);
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderNotReady));
}

// --- The transport ----------------------------------------------------------------------------

fn slow_transport_server() -> FaultServer {
    let server = FaultServer::start();
    server.route("POST", OFREP_FLAGS, Reply::json("{}").delay(SLOW));
    server
}

fn post(server: &FaultServer) -> Request {
    Request::post_json(server.url(OFREP_FLAGS), "{}")
}

#[tokio::test]
async fn an_attempt_gets_what_is_left_before_the_deadline() {
    let server = slow_transport_server();
    let transport = TransportConfig::new()
        .timeout(Duration::from_secs(10))
        .deadline(TIMEOUT)
        .build()
        .unwrap();
    assert_eq!(transport.deadline(), TIMEOUT);
    let started = Instant::now();
    let error = transport.send(post(&server)).await.unwrap_err();
    within(started, WITHIN_TIMEOUT);
    assert!(
        matches!(
            error,
            TransportError::DeadlineExceeded {
                attempts: 1,
                joined: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "no answer within the deadline of 1000 ms (1 attempt)"
    );
    assert!(!error.is_retryable());
    assert_eq!(server.count(), 1);
    assert_eq!(transport.stats().retries, 0);
}

#[tokio::test]
async fn a_wait_that_would_cross_the_deadline_is_not_taken() {
    let server = FaultServer::start();
    server.route(
        "POST",
        OFREP_FLAGS,
        Reply::status(503).body("busy").retry_after_secs(2),
    );
    let config = TransportConfig::new()
        .timeout(Duration::from_secs(5))
        .retries(2)
        .coalesce(false)
        .breaker(0, Duration::from_secs(1));
    // 2 s of `Retry-After` do not fit in a 1 s deadline: the 503 now, no retry.
    let transport = config.clone().deadline(TIMEOUT).build().unwrap();
    let started = Instant::now();
    let error = transport.send(post(&server)).await.unwrap_err();
    within(started, Duration::from_millis(900));
    assert!(
        matches!(error, TransportError::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(server.count(), 1);
    assert_eq!(transport.stats().retries, 0);

    // In a 3 s deadline one such wait fits, a second does not.
    let transport = config.deadline(Duration::from_secs(3)).build().unwrap();
    let error = transport.send(post(&server)).await.unwrap_err();
    assert!(
        matches!(error, TransportError::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(server.count(), 3);
    assert_eq!(transport.stats().retries, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_joined_a_request_in_flight_stops_waiting_at_its_own_deadline() {
    let server = FaultServer::start();
    server.route(
        "POST",
        OFREP_FLAGS,
        Reply::json(r#"{"flags":[]}"#).delay(Duration::from_secs(3)),
    );
    let transport = TransportConfig::new()
        .timeout(Duration::from_secs(5))
        .retries(0)
        .build()
        .unwrap();
    let leader = {
        let transport = transport.clone();
        let request = post(&server);
        tokio::spawn(async move {
            transport
                .send_until(request, Deadline::after(Duration::from_secs(5)))
                .await
        })
    };
    let waited_for = Instant::now() + Duration::from_secs(10);
    while server.count() == 0 && Instant::now() < waited_for {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.count(), 1);

    let started = Instant::now();
    let error = transport
        .send_until(post(&server), Deadline::after(TIMEOUT))
        .await
        .unwrap_err();
    within(started, WITHIN_TIMEOUT);
    assert!(
        matches!(
            error,
            TransportError::DeadlineExceeded {
                attempts: 0,
                joined: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .ends_with("(waiting for an identical request in flight)"),
        "{error}"
    );
    assert_eq!(transport.stats().coalesced, 1);
    // The request it joined goes on, for the caller that sent it.
    let response = leader.await.unwrap().unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_deadline_already_passed_sends_nothing() {
    let server = slow_transport_server();
    let transport = Transport::new().unwrap();
    let error = transport
        .send_until(post(&server), Deadline::after(Duration::ZERO))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            TransportError::DeadlineExceeded {
                attempts: 0,
                joined: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(transport.stats().requests, 0);
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn only_attempts_that_had_most_of_the_timeout_count_towards_the_breaker() {
    let server = slow_transport_server();
    // An attempt cut to 1 s of a 10 s timeout says little about the server.
    let cut = TransportConfig::new()
        .timeout(Duration::from_secs(10))
        .deadline(TIMEOUT)
        .breaker(1, Duration::from_secs(30))
        .build()
        .unwrap();
    let _ = cut.send(post(&server)).await.unwrap_err();
    assert_eq!(cut.circuit_state(), CircuitState::Closed);
    // One that had its whole timeout does.
    let whole = TransportConfig::new()
        .timeout(TIMEOUT)
        .breaker(1, Duration::from_secs(30))
        .build()
        .unwrap();
    let _ = whole.send(post(&server)).await.unwrap_err();
    assert_eq!(whole.circuit_state(), CircuitState::Open);
}

#[test]
fn deadlines_are_validated_with_a_typed_error() {
    for deadline in [
        Duration::ZERO,
        Duration::from_secs(24 * 3600) + Duration::from_nanos(1),
        Duration::MAX,
    ] {
        let error = TransportConfig::new()
            .deadline(deadline)
            .build()
            .unwrap_err();
        assert_eq!(error, ConfigError::InvalidDeadline { deadline });
        assert!(
            error
                .to_string()
                .starts_with("`deadline` must be greater than zero and at most 24 h"),
            "{error}"
        );
        let error = Client::builder()
            .remote(remote::ofrep("http://127.0.0.1:9").deadline(deadline))
            .build()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the OFREP `deadline` must be positive"),
            "{error}"
        );
        let error = Client::builder()
            .remote(remote::flagship_endpoint("http://127.0.0.1:9/e").deadline(deadline))
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains("`deadline` must be positive"),
            "{error}"
        );
    }
    // The default is the timeout; the longest allowed is accepted.
    let transport = TransportConfig::new()
        .timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    assert_eq!(transport.deadline(), Duration::from_millis(1500));
    let transport = TransportConfig::new()
        .deadline(Duration::from_secs(24 * 3600))
        .build()
        .unwrap();
    assert_eq!(transport.deadline(), Duration::from_secs(24 * 3600));
}

// --- HTTP error summaries ---------------------------------------------------------------------

/// A 500 with a 1 MB HTML page.
fn html_page() -> Reply {
    let page = format!(
        "<!DOCTYPE html>\n<html><body>{}</body></html>",
        "<p>Something went wrong on our side.</p>\n".repeat(25_000)
    );
    assert!(page.len() > 1_000_000);
    Reply::status(500)
        .header("content-type", "text/html; charset=utf-8")
        .body(page)
}

/// A 500 with 100 KB of text over many lines.
fn long_text() -> Reply {
    Reply::status(500)
        .header("content-type", "text/plain")
        .body("stack frame at worker::run (line 12)\n".repeat(2_700))
}

/// A short, one-line summary without the page.
#[track_caller]
fn short(message: &str, html: bool) {
    assert!(
        message.chars().count() < 300,
        "{} chars: {message}",
        message.len()
    );
    assert!(!message.contains('\n'), "{message}");
    assert!(!message.contains("<p>"), "{message}");
    assert!(
        message.contains("HTTP 500 Internal Server Error"),
        "{message}"
    );
    if html {
        assert!(message.contains("(HTML body omitted)"), "{message}");
    } else {
        assert!(
            message.contains("Internal Server Error: stack frame at worker::run (line 12) stack"),
            "{message}"
        );
        assert!(message.ends_with('…'), "{message}");
    }
}

#[tokio::test]
async fn the_transport_summarises_error_answers() {
    let server = FaultServer::start();
    let transport = TransportConfig::new().retries(0).build().unwrap();
    for (reply, html) in [(html_page(), true), (long_text(), false)] {
        server.route("POST", OFREP_FLAGS, reply);
        let error = transport.send(post(&server)).await.unwrap_err();
        short(&error.to_string(), html);
    }
}

#[test]
fn remote_providers_summarise_error_answers() {
    let server = FaultServer::start();
    let quick = || TransportConfig::new().retries(0);
    let ofrep = Client::builder()
        .remote(remote::ofrep(server.url("")).transport(quick()))
        .build()
        .unwrap()
        .blocking();
    let flagship = Client::builder()
        .remote(remote::flagship_endpoint(server.url("/evaluate")).retries(0))
        .build()
        .unwrap()
        .blocking();
    let bulk = Client::builder()
        .remote(
            remote::ofrep(server.url(""))
                .transport(quick())
                .bulk(Context::new("d"), None),
        )
        .build()
        .unwrap();
    let _ = bulk.wait_ready(Duration::from_secs(10));
    for (reply, html) in [(html_page(), true), (long_text(), false)] {
        server.route("POST", "/ofrep/v1/evaluate/flags/", reply.clone());
        server.route("POST", OFREP_FLAGS, reply.clone());
        server.route("*", "/evaluate", reply);
        let details = ofrep.details(&UPLOAD_LIMIT, &Context::new("u"));
        assert_eq!(details.error_code(), Some(ErrorCode::General));
        short(&details.error.unwrap().message, html);
        let details = flagship.details(&UPLOAD_LIMIT, &Context::new("u"));
        assert_eq!(details.error_code(), Some(ErrorCode::General));
        short(&details.error.unwrap().message, html);
        let error = bulk.refresh().unwrap_err();
        short(&error.to_string(), html);
    }
}

#[test]
fn the_http_source_summarises_error_answers() {
    for (reply, html) in [(html_page(), true), (long_text(), false)] {
        let server = FaultServer::start();
        server.route("GET", "/flags.json", reply);
        let client = Client::builder()
            .in_process(source::http(server.url("/flags.json")).interval(Duration::from_secs(3600)))
            .build()
            .unwrap();
        let error = client.wait_ready(Duration::from_secs(10)).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("answered HTTP 500"), "{message}");
        // The message names the source too; the summary itself stays short.
        let summary = &message[message.find("HTTP 500").unwrap()..];
        short(summary, html);
        let error = client.refresh().unwrap_err().to_string();
        let summary = &error[error.find("HTTP 500").unwrap()..];
        short(summary, html);
    }
}
