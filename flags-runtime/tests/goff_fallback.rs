//! The remote fallback of GO Feature Flag's source (`GoFeatureFlagSource::remote_fallback`):
//! the flags the engine cannot compile asked for over OFREP, against the fault server on
//! 127.0.0.1, which plays the relay (its configuration API and its OFREP endpoints).
//!
//! The counts of requests are the server's and the fallback's own (`remote_fallback_stats`);
//! waits are bounded by the patience bound and assert what happened, never how long it took.
#![cfg(feature = "http")]

mod support;

use std::time::Duration;

use flags_runtime::remote::{self, EVALUATED_REMOTELY, FallbackStats};
use flags_runtime::{Client, Context, Error, ErrorCode, FlagKey, MetadataValue, Reason, source};
use flags_test_support::fault::{FaultServer, Reply};
use serde_json::json;
use support::{PATIENCE, eventually};

const CONFIGURATION: &str = "/v1/flag/configuration";
const OFREP: &str = "/ofrep/v1/evaluate/flags/";

/// A relay configuration: `limit` (healthy, 100) and two flags the engine cannot read,
/// `broken` and `retired` (a `disable` that is not a boolean).
fn configuration() -> String {
    json!({ "flags": {
        "limit": { "variations": { "small": 10, "large": 100 },
                   "defaultRule": { "variation": "large" } },
        "broken": { "variations": { "a": 1 }, "disable": "maybe" },
        "retired": { "variations": { "a": 1 }, "disable": "sometimes" }
    } })
    .to_string()
}

/// The relay's OFREP answer for `broken`.
const ANSWER: &str = r#"{"key":"broken","value":42,"reason":"TARGETING_MATCH","variant":"big",
    "metadata":{"team":"growth"}}"#;

fn relay() -> FaultServer {
    let server = FaultServer::start();
    server.route("POST", CONFIGURATION, Reply::json(&configuration()));
    server
}

fn limit() -> FlagKey<i64> {
    FlagKey::new("limit", 1)
}

fn broken() -> FlagKey<i64> {
    FlagKey::new("broken", 7)
}

fn user(n: usize) -> Context {
    Context::new(format!("user-{n}")).with("plan", "pro")
}

/// The source at `server`, polling rarely, with a fallback at `fallback`.
fn with_fallback(server: &FaultServer, fallback: remote::Ofrep) -> source::GoFeatureFlagSource {
    source::go_feature_flag(server.url(""))
        .interval(Duration::from_secs(3600))
        .remote_fallback(fallback)
}

fn ready(source: source::GoFeatureFlagSource) -> Client {
    let client = Client::builder().in_process(source).build().unwrap();
    client.wait_ready(PATIENCE).unwrap();
    client
}

fn stats(client: &Client) -> FallbackStats {
    client.remote_fallback_stats().expect("a remote fallback")
}

fn message(details: &flags_runtime::EvaluationDetails<i64>) -> &str {
    details.error_message().unwrap_or_default()
}

#[test]
fn a_broken_flag_is_answered_remotely_after_the_first_read_and_healthy_flags_never_ask() {
    let server = relay();
    server.route("POST", &format!("{OFREP}broken"), Reply::json(ANSWER));
    server.route(
        "POST",
        &format!("{OFREP}retired"),
        Reply::json(r#"{"key":"retired","reason":"DISABLED","variant":"SdkDefault"}"#),
    );
    let client = ready(with_fallback(&server, remote::ofrep(server.url(""))).api_key("relay-key"));

    // Healthy flags never reach the fallback, whatever the context.
    for n in 0..50 {
        assert_eq!(client.value(limit(), &user(n)), 100);
        assert_eq!(client.details(limit(), &user(n)).reason, Reason::Static);
    }
    assert_eq!(server.count_path(OFREP), 0);
    assert_eq!(stats(&client), FallbackStats::default());

    // The first read answers at once: the engine's error, and the request it started.
    let first = client.details(broken(), &user(1));
    assert_eq!(
        (first.value, first.error_code()),
        (7, Some(ErrorCode::ParseError))
    );
    assert!(
        message(&first).contains("flag `broken` cannot be evaluated")
            && message(&first).contains("asked over OFREP"),
        "{}",
        message(&first)
    );
    eventually("the remote answer is held", || {
        client.details(broken(), &user(1)).error.is_none()
    });
    let details = client.details(broken(), &user(1));
    assert_eq!(details.value, 42);
    assert_eq!(details.reason, Reason::TargetingMatch);
    assert_eq!(details.variant.as_deref(), Some("big"));
    assert_eq!(
        details.flag_metadata.get(EVALUATED_REMOTELY),
        Some(&MetadataValue::Bool(true))
    );
    assert_eq!(
        details.flag_metadata.get("team"),
        Some(&MetadataValue::String("growth".to_owned()))
    );
    assert_eq!(client.value(broken(), &user(1)), 42);
    assert_eq!(
        server.count_path(OFREP),
        1,
        "one request per flag and context"
    );

    // The relay's own request: its key, the context, the flag.
    let request = server
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with(OFREP))
        .unwrap();
    assert_eq!(request.path, format!("{OFREP}broken"));
    assert_eq!(request.header("x-api-key"), Some("relay-key"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({ "context": { "targetingKey": "user-1", "plan": "pro" } })
    );

    // Another context is another question.
    let other = client.details(broken(), &user(2));
    assert_eq!(other.error_code(), Some(ErrorCode::ParseError));
    eventually("the second answer is held", || {
        client.value(broken(), &user(2)) == 42
    });
    assert_eq!(server.count_path(OFREP), 2);

    // A DISABLED answer: the caller's default, reason DISABLED.
    let retired = FlagKey::<i64>::new("retired", 5);
    assert_eq!(
        client.details(&retired, &user(1)).error_code(),
        Some(ErrorCode::ParseError)
    );
    eventually("the DISABLED answer is held", || {
        client.details(&retired, &user(1)).error.is_none()
    });
    let details = client.details(&retired, &user(1));
    assert_eq!((details.value, details.reason), (5, Reason::Disabled));

    let counted = stats(&client);
    assert_eq!((counted.sent, counted.failed, counted.limited), (3, 0, 0));
    assert!(
        counted.answered >= 4 && counted.reads > counted.answered,
        "{counted:?}"
    );
    // Still no request for the healthy flag.
    client.value(limit(), &user(3));
    assert_eq!(server.count_path(&format!("{OFREP}limit")), 0);
}

#[test]
fn requests_over_the_rate_limit_are_not_sent_and_one_per_flag_and_context_is_in_flight() {
    let server = relay();
    let (held, gate) = Reply::json(ANSWER).gated();
    server.route("POST", &format!("{OFREP}broken"), held);
    let client = ready(
        with_fallback(&server, remote::ofrep(server.url("")))
            .remote_fallback_rate(2, Duration::from_secs(3600)),
    );

    let notes: Vec<String> = (0..5)
        .map(|n| message(&client.details(broken(), &user(n))).to_owned())
        .collect();
    for note in &notes[..2] {
        assert!(note.contains("asked over OFREP"), "{note}");
    }
    for note in &notes[2..] {
        assert!(
            note.contains("over its rate limit (2 requests per 3600000 ms)"),
            "{note}"
        );
    }
    // A read of a context whose request is in flight joins it.
    let joined = client.details(broken(), &user(0));
    assert!(
        message(&joined).contains("on its way"),
        "{}",
        message(&joined)
    );
    let counted = stats(&client);
    assert_eq!(
        (
            counted.reads,
            counted.sent,
            counted.limited,
            counted.answered
        ),
        (6, 2, 3, 0)
    );

    gate.open();
    eventually("both answers are held", || {
        client.value(broken(), &user(0)) == 42 && client.value(broken(), &user(1)) == 42
    });
    assert_eq!(server.count_path(OFREP), 2, "only two requests were sent");
    // The bucket is empty: another context is still over the limit.
    assert_eq!(client.value(broken(), &user(4)), 7);
    let counted = stats(&client);
    assert_eq!((counted.sent, counted.limited), (2, 4));
    assert_eq!(server.count_path(OFREP), 2);
}

#[test]
fn when_the_remote_fails_the_original_error_surfaces_with_the_failure() {
    let server = relay();
    server.route(
        "POST",
        &format!("{OFREP}broken"),
        Reply::status(404)
            .header("content-type", "application/json")
            .body(r#"{"errorCode":"FLAG_NOT_FOUND","errorDetails":"no flag `broken` here"}"#),
    );
    let client = ready(with_fallback(&server, remote::ofrep(server.url(""))));

    assert_eq!(
        client.details(broken(), &user(1)).error_code(),
        Some(ErrorCode::ParseError)
    );
    eventually("the failure is counted", || stats(&client).failed == 1);
    let details = client.details(broken(), &user(1));
    assert_eq!(
        (details.value, details.reason.clone(), details.error_code()),
        (7, Reason::Error, Some(ErrorCode::ParseError))
    );
    let text = message(&details);
    assert!(
        text.contains("flag `broken` cannot be evaluated")
            && text.contains("the remote fallback failed: FLAG_NOT_FOUND"),
        "{text}"
    );
    assert!(text.chars().count() < 700, "{text}");
    assert!(details.flag_metadata.get(EVALUATED_REMOTELY).is_none());

    // The relay recovers: a later read's request brings the answer.
    server.route("POST", &format!("{OFREP}broken"), Reply::json(ANSWER));
    eventually("the answer after the recovery is held", || {
        client.value(broken(), &user(1)) == 42
    });
    let details = client.details(broken(), &user(1));
    assert_eq!((details.value, details.error), (42, None));
    assert!(stats(&client).failed >= 1 && stats(&client).sent >= 2);
}

#[test]
fn only_the_relay_itself_gets_the_sources_key_and_headers() {
    let server = relay();
    let elsewhere = FaultServer::start();
    elsewhere.route("POST", &format!("{OFREP}broken"), Reply::json(ANSWER));
    let client = ready(
        with_fallback(
            &server,
            remote::ofrep(elsewhere.url("")).header("X-Own", "own-value"),
        )
        .api_key("relay-key")
        .header("X-Team", "relay-team"),
    );
    client.value(broken(), &user(1));
    eventually("the answer is held", || {
        client.value(broken(), &user(1)) == 42
    });
    let request = &elsewhere.requests()[0];
    assert_eq!(request.header("x-own"), Some("own-value"));
    assert_eq!(request.header("x-api-key"), None);
    assert_eq!(request.header("x-team"), None);
    assert_eq!(server.count_path(OFREP), 0);
    // The relay's configuration request had them.
    let configuration = &server.requests()[0];
    assert_eq!(configuration.header("x-api-key"), Some("relay-key"));
}

#[test]
fn settings_that_cannot_work_fail_build_and_say_how_to_fix_them() {
    let server = relay();
    let build = |source: source::GoFeatureFlagSource| {
        Client::builder()
            .in_process(source)
            .build()
            .map(|_| ())
            .unwrap_err()
    };
    let cases = [
        (
            with_fallback(
                &server,
                remote::ofrep(server.url("")).bulk(Context::default(), None),
            ),
            "remove `.bulk(..)`",
        ),
        (
            with_fallback(
                &server,
                remote::ofrep(server.url("")).cache(Duration::ZERO, 10),
            ),
            "positive TTL and size",
        ),
        (
            with_fallback(&server, remote::ofrep(server.url("")))
                .remote_fallback_rate(0, Duration::from_secs(1)),
            "`.remote_fallback_rate(requests, per)` with both above zero",
        ),
        (
            with_fallback(&server, remote::ofrep(server.url("")))
                .remote_fallback_rate(1, Duration::ZERO),
            "with both above zero",
        ),
        (
            with_fallback(&server, remote::ofrep("ftp://relay")),
            "OFREP base URL",
        ),
    ];
    for (source, fix) in cases {
        let error = build(source);
        assert!(
            matches!(&error, Error::Source { .. }) && error.to_string().contains(fix),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("remote fallback of GO Feature Flag"),
            "{error}"
        );
    }
    assert_eq!(server.count_path(OFREP), 0);
}

#[test]
fn without_a_fallback_there_are_no_counts_and_a_broken_flag_answers_parse_error() {
    let server = relay();
    let client = ready(source::go_feature_flag(server.url("")).interval(Duration::from_secs(3600)));
    assert_eq!(client.remote_fallback_stats(), None);
    let details = client.details(broken(), &user(1));
    assert_eq!(details.error_code(), Some(ErrorCode::ParseError));
    assert!(
        !message(&details).contains("fallback"),
        "{}",
        message(&details)
    );
    assert_eq!(server.count_path(OFREP), 0);
}
