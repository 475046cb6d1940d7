//! The FlagKit provider against a scripted FlagKit service on 127.0.0.1
//! (`flags_test_support::flagkit`): values mode (init, updates with changes and deletions),
//! bootstraps, key rotation, usage headers, the service's failures.
#![cfg(feature = "http")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flags_runtime::transport::TransportConfig;
use flags_runtime::{
    Client, Context, Error, ErrorCode, EventDetails, FlagKey, MetadataValue, ProviderEvent,
    ProviderStatus, Reason, remote,
};
use flags_test_support::fault::Reply;
use flags_test_support::flagkit::{
    self, FlagKitService, INIT, UPDATES, disabled, flag, init_body, updates_body,
};
use serde_json::json;

const KEY: &str = "sdk_primary_0123456789";
const KEY_2: &str = "sdk_secondary_9876543210";

const DARK: FlagKey<bool> = FlagKey::from_fn("dark-mode", || false);
const LIMIT: FlagKey<i64> = FlagKey::from_fn("upload-limit", || 10);
const RATE: FlagKey<f64> = FlagKey::from_fn("sample-rate", || 0.0);
const THEME: FlagKey<String> = FlagKey::from_fn("theme", || "light".to_owned());

#[derive(serde::Deserialize, Debug, Clone, PartialEq, Default)]
struct Banner {
    text: String,
}
const BANNER: FlagKey<Banner> = FlagKey::from_fn("banner", Banner::default);

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

fn flags() -> Vec<serde_json::Value> {
    vec![
        flag("dark-mode", true),
        flag("upload-limit", 100),
        flag("sample-rate", 0.25),
        flag("theme", "dark"),
        flag("banner", json!({"text": "hello"})),
        disabled("old-checkout", true),
    ]
}

const T0: &str = "2026-12-05T03:00:00.000+00:00";
const T1: &str = "2026-12-05T03:00:05.000+00:00";

/// A service whose init answers [`flags`] and whose updates answer nothing new.
fn service() -> FlagKitService {
    let service = FlagKitService::start();
    service.route("GET", INIT, Reply::json(&init_body(&flags(), 0.01, T0)));
    service.route("GET", UPDATES, Reply::json(&updates_body(&[], &[], T0)));
    service
}

/// Polling every 20 ms (the service asks for 10).
fn provider(service: &FlagKitService) -> remote::FlagKit {
    remote::flagkit(KEY)
        .base_url(service.base_url())
        .polling_interval(Duration::from_millis(20))
}

fn build(provider: remote::FlagKit) -> Client {
    Client::builder().remote(provider).build().unwrap()
}

fn ready(provider: remote::FlagKit) -> Client {
    let client = build(provider);
    client.wait_ready(Duration::from_secs(10)).unwrap();
    client
}

/// Records the events of `kind`.
fn record(client: &Client, kind: ProviderEvent) -> Arc<Mutex<Vec<EventDetails>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    client.on(kind, move |details| {
        sink.lock().unwrap().push(details.clone())
    });
    seen
}

fn messages(seen: &Arc<Mutex<Vec<EventDetails>>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|d| d.message.clone())
        .collect()
}

#[test]
fn values_are_read_locally_with_their_types() {
    let service = service();
    let client = ready(provider(&service));
    let ctx = Context::new("user-1");
    assert!(client.value(DARK, &ctx));
    assert_eq!(client.value(LIMIT, &ctx), 100);
    assert_eq!(client.value(RATE, &ctx), 0.25);
    assert_eq!(client.value(THEME, &ctx), "dark");
    assert_eq!(
        client.value(BANNER, &ctx),
        Banner {
            text: "hello".into()
        }
    );
    let d = client.details(LIMIT, &ctx);
    assert_eq!((d.reason, d.error), (Reason::Static, None));
    assert_eq!(
        d.flag_metadata.get("flagType"),
        Some(&MetadataValue::String("number".into()))
    );
    assert_eq!(d.flag_metadata.get("version"), Some(&MetadataValue::Int(1)));
    // Disabled: the caller's default, reason DISABLED, no error.
    let d = client.details(FlagKey::new("old-checkout", false), &ctx);
    assert_eq!(
        (d.value, d.reason, d.error),
        (false, Reason::Disabled, None)
    );
    // The wrong type, and a flag FlagKit does not serve.
    let d = client.details(FlagKey::new("theme", 5_i64), &ctx);
    assert_eq!(d.value, 5);
    assert_eq!(d.error.unwrap().code, ErrorCode::TypeMismatch);
    let d = client.details(FlagKey::new("nope", true), &ctx);
    assert!(d.value);
    assert_eq!(d.error.unwrap().code, ErrorCode::FlagNotFound);
    // Reads never ask the service: only init and polls reached it.
    assert!(
        service
            .requests()
            .iter()
            .all(|r| r.path.starts_with(INIT) || r.path.starts_with(UPDATES))
    );
    // The context is FlagKit's values' business only in evaluation mode.
    assert!(matches!(
        client.set_bulk_context(Context::new("x")),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn requests_identify_the_sdk_and_carry_the_key_in_a_header_only() {
    let service = service();
    let _client = ready(provider(&service));
    assert!(eventually(|| service.requests_to(UPDATES).len() >= 2));
    let init = &service.requests_to(INIT)[0];
    assert_eq!(init.method, "GET");
    assert_eq!(init.header("x-api-key"), Some(KEY));
    assert_eq!(init.header("x-flagkit-sdk-language"), Some("rust"));
    assert_eq!(
        init.header("x-flagkit-sdk-version"),
        Some(remote::FLAGKIT_SDK_VERSION)
    );
    assert!(init.header("user-agent").unwrap().contains("FlagKit"));
    assert_eq!(init.header("accept"), Some("application/json"));
    service.assert_no_key_in_urls(&[KEY]);
}

#[test]
fn updates_apply_changes_and_deletions_from_the_last_server_time() {
    let service = service();
    let (gated, gate) = Reply::json(&updates_body(&[], &[], T0)).gated();
    service.route("GET", UPDATES, gated);
    let client = ready(provider(&service));
    let changed = record(&client, ProviderEvent::ConfigurationChanged);
    let ctx = Context::anonymous();
    // The first poll (held at the gate) answers nothing new; the next a change, a deletion
    // in each form and a new flag; then nothing.
    service.then(
        "GET",
        UPDATES,
        Reply::json(
            &json!({
                "flags": [
                    flag("upload-limit", 250),
                    flag("new-flag", "fresh"),
                    {"key": "sample-rate", "deleted": true}
                ],
                "deleted": ["banner"],
                "checkedAt": T1
            })
            .to_string(),
        ),
    );
    service.then("GET", UPDATES, Reply::json(&updates_body(&[], &[], T1)));
    gate.open();
    assert!(eventually(|| client.value(LIMIT, &ctx) == 250));
    assert_eq!(
        client.value(FlagKey::from_fn("new-flag", String::new), &ctx),
        "fresh"
    );
    let d = client.details(RATE, &ctx);
    assert_eq!(d.error.unwrap().code, ErrorCode::FlagNotFound);
    assert_eq!(
        client.details(BANNER, &ctx).error.unwrap().code,
        ErrorCode::FlagNotFound
    );
    assert!(client.value(DARK, &ctx), "untouched flags stay");
    assert!(eventually(|| !changed.lock().unwrap().is_empty()));
    assert_eq!(
        changed.lock().unwrap()[0].flags_changed,
        ["banner", "new-flag", "sample-rate", "upload-limit"]
    );
    // `since` is the init's server time, then the updates' checkedAt, percent-encoded.
    assert!(eventually(|| service.requests_to(UPDATES).len() >= 3));
    let sinces: Vec<String> = service
        .requests_to(UPDATES)
        .iter()
        .map(|r| r.path.split_once("?since=").unwrap().1.to_owned())
        .collect();
    assert_eq!(sinces[0], "2026-12-05T03%3A00%3A00.000%2B00%3A00");
    assert_eq!(sinces[1], sinces[0]);
    assert_eq!(sinces[2], "2026-12-05T03%3A00%3A05.000%2B00%3A00");
}

#[test]
fn a_service_down_at_start_leaves_defaults_then_serves_once_up() {
    // A port nobody listens on, brought up later.
    let addr = flags_test_support::fault::FaultServer::start().addr();
    let client = build(
        remote::flagkit(KEY)
            .base_url(format!("http://{addr}/api/v1"))
            .polling_interval(Duration::from_millis(20))
            .transport(TransportConfig::new().retries(0)),
    );
    let ctx = Context::anonymous();
    let d = client.details(DARK, &ctx);
    assert!(!d.value);
    assert_eq!(d.error.unwrap().code, ErrorCode::ProviderNotReady);
    assert!(eventually(|| client.status() == ProviderStatus::Error));
    let service = FlagKitService::start_at(addr).unwrap();
    service.route("GET", INIT, Reply::json(&init_body(&flags(), 0.01, T0)));
    service.route("GET", UPDATES, Reply::json(&updates_body(&[], &[], T0)));
    assert!(eventually(|| client.status() == ProviderStatus::Ready));
    assert!(client.value(DARK, &ctx));
}

#[test]
fn a_bootstrap_serves_until_flagkit_answers() {
    let service = FlagKitService::start();
    let (init, gate) = Reply::json(&init_body(&flags(), 0.01, T0)).gated();
    service.route("GET", INIT, init);
    service.route("GET", UPDATES, Reply::json(&updates_body(&[], &[], T0)));
    let client = build(provider(&service).bootstrap(r#"{"dark-mode": false, "theme": "boot"}"#));
    let ctx = Context::anonymous();
    let d = client.details(THEME, &ctx);
    assert_eq!(d.value, "boot");
    assert_eq!(d.reason, Reason::Other("BOOTSTRAP".into()));
    let d = client.details(LIMIT, &ctx);
    assert_eq!(d.error.unwrap().code, ErrorCode::ProviderNotReady);
    gate.open();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let d = client.details(THEME, &ctx);
    assert_eq!((d.value.as_str(), d.reason), ("dark", Reason::Static));
    assert_eq!(client.value(LIMIT, &ctx), 100);
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn a_signed_bootstrap_is_verified_before_use() {
    let flags_json = json!({"theme": "signed", "dark-mode": true});
    let at = now_ms() - 1_000;
    let document = json!({"flags": flags_json, "timestamp": at}).to_string();
    let good = flagkit::bootstrap_signature(KEY, &flags_json, at);
    let cases = [
        (good.clone(), Duration::from_secs(60), None),
        (
            flagkit::bootstrap_signature(KEY_2, &flags_json, at),
            Duration::from_secs(60),
            Some("signature does not match"),
        ),
        (good, Duration::from_millis(10), Some("maximum age")),
    ];
    for (signature, max_age, problem) in cases {
        let service = FlagKitService::start();
        let (init, gate) = Reply::json(&init_body(&[], 0.01, T0)).gated();
        service.route("GET", INIT, init);
        let client = build(provider(&service).bootstrap_signed(
            document.clone(),
            signature.clone(),
            max_age,
        ));
        let errors = record(&client, ProviderEvent::Error);
        let d = client.details(THEME, &Context::anonymous());
        match problem {
            None => assert_eq!(d.value, "signed"),
            Some(problem) => {
                assert_eq!(d.value, "light", "a refused bootstrap is not used");
                assert_eq!(d.error.unwrap().code, ErrorCode::ProviderNotReady);
                gate.open();
                assert!(eventually(|| !messages(&errors).is_empty()));
                let message = &messages(&errors)[0];
                assert!(message.contains(problem), "{message}");
                assert!(!message.contains(KEY) && !message.contains(&signature));
            }
        }
    }
}

#[test]
fn keys_are_checked_at_build_and_never_printed() {
    for (provider, expected) in [
        (remote::flagkit(""), "primary API key is empty"),
        (
            remote::flagkit("pk_live_123"),
            "primary API key is not a FlagKit key",
        ),
        (
            remote::flagkit("sdk_clé"),
            "starts with `sdk_`, `srv_` or `cli_`",
        ),
        (
            remote::flagkit(KEY).secondary_key("bad key"),
            "secondary API key is not a FlagKit key",
        ),
        (
            remote::flagkit(KEY).base_url("ftp://x"),
            "`base_url` must use `http` or `https`",
        ),
        (
            remote::flagkit(KEY).polling_interval(Duration::ZERO),
            "`polling_interval` must be positive",
        ),
    ] {
        let error = Client::builder().remote(provider).build().unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, Error::FlagKit { .. }), "{text}");
        assert!(text.contains(expected), "{text}");
        assert!(
            !text.contains("pk_live_123") && !text.contains("bad key") && !text.contains("clé")
        );
    }
    let debug = format!(
        "{:?}",
        remote::flagkit(KEY)
            .secondary_key(KEY_2)
            .base_url("https://user:pw@flagkit.example/api/v1?token=t")
    );
    for secret in [KEY, KEY_2, "user:pw", "token=t"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[test]
fn a_refused_key_rotates_once_to_the_secondary_then_goes_fatal() {
    let service = service();
    service.route(
        "GET",
        INIT,
        Reply::status(401).body(r#"{"message":"invalid key"}"#),
    );
    let client = build(provider(&service).secondary_key(KEY_2));
    let errors = record(&client, ProviderEvent::Error);
    let notices = record(&client, ProviderEvent::ConfigurationChanged);
    // The secondary key is refused too, at first: then FlagKit accepts it.
    service.then("GET", INIT, Reply::status(401));
    service.then("GET", INIT, Reply::json(&init_body(&flags(), 0.01, T0)));
    // 401 (primary) → rotate → 401 (secondary) → FATAL: the third reply is never asked for.
    assert!(eventually(|| client.status() == ProviderStatus::Fatal));
    let keys: Vec<String> = service
        .requests_to(INIT)
        .iter()
        .map(|r| r.header("x-api-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys, [KEY, KEY_2]);
    // The switch is a notice, not an error; FATAL is an error.
    let switched = messages(&notices);
    assert!(
        switched
            .iter()
            .any(|m| m.contains("switched to the secondary key")),
        "{switched:?}"
    );
    assert!(
        notices
            .lock()
            .unwrap()
            .iter()
            .all(|e| e.flags_changed.is_empty())
    );
    assert_eq!(
        errors.lock().unwrap().last().unwrap().error_code,
        Some(ErrorCode::ProviderFatal)
    );
    let all: Vec<String> = switched.into_iter().chain(messages(&errors)).collect();
    for message in &all {
        assert!(
            !message.contains(KEY) && !message.contains(KEY_2),
            "{message}"
        );
    }
    let d = client.details(DARK, &Context::anonymous());
    assert_eq!(d.error.unwrap().code, ErrorCode::ProviderFatal);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        service.requests_to(INIT).len(),
        2,
        "FATAL: no more requests"
    );
}

#[test]
fn after_rotation_the_secondary_key_serves_every_request() {
    let service = service();
    service.route("GET", INIT, Reply::status(401));
    service.then("GET", INIT, Reply::json(&init_body(&flags(), 0.01, T0)));
    let client = ready(provider(&service).secondary_key(KEY_2));
    assert!(client.value(DARK, &Context::anonymous()));
    assert!(eventually(|| service.requests_to(UPDATES).len() >= 2));
    for update in service.requests_to(UPDATES) {
        assert_eq!(update.header("x-api-key"), Some(KEY_2));
    }
}

#[test]
fn forbidden_is_fatal_without_a_secondary_key_to_try() {
    let service = service();
    service.route("GET", INIT, Reply::status(403));
    let client = build(provider(&service).secondary_key(KEY_2));
    assert!(eventually(|| client.status() == ProviderStatus::Fatal));
    assert_eq!(service.requests_to(INIT).len(), 1);
}

#[test]
fn a_failing_poll_keeps_the_values_and_reports_stale() {
    let service = service();
    let client = ready(provider(&service).transport(TransportConfig::new().retries(0)));
    let stale = record(&client, ProviderEvent::Stale);
    service.route("GET", UPDATES, Reply::malformed());
    assert!(eventually(|| client.status() == ProviderStatus::Stale));
    assert!(
        client.value(DARK, &Context::anonymous()),
        "the last values serve"
    );
    assert!(eventually(|| !stale.lock().unwrap().is_empty()));
    service.route("GET", UPDATES, Reply::json(&updates_body(&[], &[], T1)));
    assert!(eventually(|| client.status() == ProviderStatus::Ready));
}

#[test]
fn malformed_init_answers_leave_the_provider_not_ready() {
    let service = service();
    service.route("GET", INIT, Reply::json(r#"{"flags": "no"}"#));
    let client = build(provider(&service));
    let errors = record(&client, ProviderEvent::Error);
    assert!(eventually(|| client.status() == ProviderStatus::Error));
    assert!(eventually(|| !errors.lock().unwrap().is_empty()));
    let event = errors.lock().unwrap()[0].clone();
    assert_eq!(event.error_code, Some(ErrorCode::ParseError));
    assert!(event.message.unwrap().contains("no `flags` array"));
    let d = client.details(DARK, &Context::anonymous());
    assert_eq!(d.error.unwrap().code, ErrorCode::ProviderNotReady);
}

fn evaluation(key: &str, value: serde_json::Value, reason: &str) -> String {
    json!({"flagKey": key, "value": value, "enabled": true, "reason": reason, "version": 3})
        .to_string()
}

#[test]
fn evaluation_mode_sends_a_signed_context_per_evaluation() {
    let service = FlagKitService::start();
    service.route(
        "POST",
        flagkit::EVALUATE,
        Reply::json(&evaluation("upload-limit", json!(500), "RULE_MATCH")),
    );
    let client = build(
        provider(&service)
            .evaluate()
            .private_attribute("secret")
            .private_attribute("profile.email"),
    )
    .blocking();
    let mut profile = std::collections::BTreeMap::new();
    profile.insert(
        "email".to_owned(),
        flags_runtime::Value::from("bob@example.com"),
    );
    profile.insert("tier".to_owned(), flags_runtime::Value::from("gold"));
    let ctx = Context::new("user-7")
        .with("country", "FR")
        .with("plan", "premium")
        .with("secret", "do-not-send")
        .with("profile", flags_runtime::Value::Map(profile))
        .with("name", "Zoë");
    let d = client.details(LIMIT, &ctx);
    assert_eq!(
        (d.value, d.reason, d.error),
        (500, Reason::TargetingMatch, None)
    );
    assert_eq!(d.flag_metadata.get("version"), Some(&MetadataValue::Int(3)));
    let sent = &service.requests_to(flagkit::EVALUATE)[0];
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent.body).unwrap(),
        json!({"flagKey": "upload-limit", "context": {"userId": "user-7", "country": "FR",
            "name": "Zoë", "custom": {"plan": "premium", "profile": {"tier": "gold"}}}})
    );
    assert!(!sent.text().contains("do-not-send") && !sent.text().contains("bob@"));
    // The service re-canonicalises what it received and checks the HMAC.
    flagkit::verify_signature(sent, KEY).unwrap();
    assert!(
        flagkit::verify_signature(sent, KEY_2).is_err(),
        "the check can fail"
    );
    // The bytes sent are already canonical (so any server's canonical form matches them).
    let reparsed: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(flagkit::canonical(&reparsed).as_bytes(), &sent.body[..]);
    assert_eq!(sent.header("x-key-id"), Some(&KEY[..8]));
    // The sync read never waits for the network.
    let d = client.client().details(LIMIT, &ctx);
    assert_eq!(d.error.unwrap().code, ErrorCode::General);
}

#[test]
fn evaluation_errors_keep_flagkit_codes_in_the_metadata() {
    let service = FlagKitService::start();
    let client = build(
        provider(&service).evaluate().transport(
            TransportConfig::new()
                .retries(1)
                .retry_delay(Duration::from_millis(1)),
        ),
    )
    .blocking();
    let ctx = Context::new("u");
    for (reply, code, number) in [
        (
            Reply::status(404).body(r#"{"message":"no flag","requestId":"r-1"}"#),
            ErrorCode::FlagNotFound,
            1200,
        ),
        (Reply::status(400), ErrorCode::InvalidContext, 1203),
        (Reply::status(503), ErrorCode::General, 1306),
        (Reply::json("{not json"), ErrorCode::ParseError, 1999),
    ] {
        service.route("POST", flagkit::EVALUATE, reply);
        let d = client.details(DARK, &ctx);
        assert!(!d.value);
        let error = d.error.unwrap();
        assert_eq!(error.code, code, "{}", error.message);
        assert_eq!(
            d.flag_metadata.get("flagkitErrorCode"),
            Some(&MetadataValue::Int(number)),
            "{}",
            error.message
        );
    }
    // 5xx is retried by the shared transport: two attempts for the 503 above.
    let attempts = service.requests_to(flagkit::EVALUATE).len();
    assert_eq!(
        attempts, 5,
        "404, 400 once each; 503 twice; the malformed answer once"
    );
    let d = {
        service.route(
            "POST",
            flagkit::EVALUATE,
            Reply::status(404).body(r#"{"message":"no flag","requestId":"r-1"}"#),
        );
        client.details(DARK, &ctx)
    };
    assert_eq!(
        d.flag_metadata.get("requestId"),
        Some(&MetadataValue::String("r-1".into()))
    );
}

#[test]
fn strict_pii_refuses_personal_data_before_sending() {
    let service = FlagKitService::start();
    service.route(
        "POST",
        flagkit::EVALUATE,
        Reply::json(&evaluation("dark-mode", json!(true), "DEFAULT")),
    );
    let client = build(
        provider(&service)
            .evaluate()
            .strict_pii()
            .private_attribute("email"),
    )
    .blocking();
    let d = client.details(DARK, &Context::new("u").with("contact", "bob@example.com"));
    let error = d.error.unwrap();
    assert_eq!(error.code, ErrorCode::InvalidContext);
    assert!(
        error
            .message
            .contains("`contact` looks like an e-mail address"),
        "{}",
        error.message
    );
    assert!(!error.message.contains("bob@"));
    assert_eq!(
        service.requests_to(flagkit::EVALUATE).len(),
        0,
        "nothing sent"
    );
    // Marked private: not checked, and not sent.
    let d = client.details(DARK, &Context::new("u").with("email", "bob@example.com"));
    assert!(d.value);
    assert!(
        !service.requests_to(flagkit::EVALUATE)[0]
            .text()
            .contains("bob@")
    );
}

#[test]
fn evaluate_all_is_a_bulk_mode_for_one_context() {
    let service = FlagKitService::start();
    let answer = |theme: &str| {
        json!({"flags": {
            "theme": {"flagKey": "theme", "value": theme, "enabled": true, "reason": "SEGMENT_MATCH"},
            "dark-mode": {"flagKey": "dark-mode", "value": true, "enabled": false, "reason": "FLAG_DISABLED"}
        }, "evaluatedAt": T0})
        .to_string()
    };
    service.route("POST", flagkit::EVALUATE_ALL, Reply::json(&answer("gold")));
    let client =
        ready(provider(&service).evaluate_all(Context::new("user-1").with("plan", "gold")));
    let ctx = Context::anonymous();
    let d = client.details(THEME, &ctx);
    assert_eq!(
        (d.value.as_str(), d.reason),
        ("gold", Reason::TargetingMatch)
    );
    let d = client.details(DARK, &ctx);
    assert_eq!((d.value, d.reason), (false, Reason::Disabled));
    let sent = &service.requests_to(flagkit::EVALUATE_ALL)[0];
    flagkit::verify_signature(sent, KEY).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent.body).unwrap(),
        json!({"context": {"userId": "user-1", "custom": {"plan": "gold"}}})
    );
    // A new context: its evaluation, and a CONTEXT_CHANGED event naming what differs.
    let changed = record(&client, ProviderEvent::ContextChanged);
    service.route(
        "POST",
        flagkit::EVALUATE_ALL,
        Reply::json(&answer("silver")),
    );
    client
        .set_bulk_context(Context::new("user-2").with("plan", "silver"))
        .unwrap();
    assert_eq!(client.value(THEME, &ctx), "silver");
    assert!(eventually(|| !changed.lock().unwrap().is_empty()));
    assert_eq!(changed.lock().unwrap()[0].flags_changed, ["theme"]);
    let last = service.requests_to(flagkit::EVALUATE_ALL).pop().unwrap();
    assert!(last.text().contains("user-2"));
    // Polls re-evaluate with the same context.
    let before = service.requests_to(flagkit::EVALUATE_ALL).len();
    assert!(eventually(|| service
        .requests_to(flagkit::EVALUATE_ALL)
        .len()
        > before + 1));
}

#[test]
fn usage_headers_reach_the_callback_and_events() {
    let service = FlagKitService::start();
    let (init, gate) = Reply::json(&init_body(&flags(), 0.01, T0))
        .header("x-api-usage-percent", "85.5")
        .header("x-evaluation-usage-percent", "12")
        .header("x-rate-limit-warning", "true")
        .header("x-subscription-status", "suspended")
        .header("x-rate-limit-limit", "1000")
        .header("x-rate-limit-remaining", "42")
        .header("x-rate-limit-reset", "2026-12-05T04:00:00Z")
        .gated();
    service.route("GET", INIT, init);
    service.route("GET", UPDATES, Reply::json(&updates_body(&[], &[], T0)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let client =
        build(provider(&service).on_usage(move |usage| sink.lock().unwrap().push(usage.clone())));
    let errors = record(&client, ProviderEvent::Error);
    let notices = record(&client, ProviderEvent::ConfigurationChanged);
    gate.open();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let usage = seen.lock().unwrap()[0].clone();
    assert_eq!(usage.api_usage_percent, Some(85.5));
    assert_eq!(usage.evaluation_usage_percent, Some(12.0));
    assert!(usage.rate_limit_warning);
    assert_eq!(usage.subscription_status.as_deref(), Some("suspended"));
    assert_eq!(
        (usage.rate_limit_limit, usage.rate_limit_remaining),
        (Some(1000), Some(42))
    );
    assert_eq!(
        usage.rate_limit_reset.as_deref(),
        Some("2026-12-05T04:00:00Z")
    );
    let all = messages(&notices);
    for expected in [
        "subscription is `suspended`",
        "rate limit is near",
        "usage reached 86 %",
    ] {
        assert!(
            all.iter().any(|m| m.contains(expected)),
            "{expected}: {all:?}"
        );
    }
    assert!(
        notices
            .lock()
            .unwrap()
            .iter()
            .all(|e| e.flags_changed.is_empty())
    );
    assert!(errors.lock().unwrap().is_empty(), "usage is no error");
    assert_eq!(
        client.status(),
        ProviderStatus::Ready,
        "usage does not move the status"
    );
    // Polls without usage headers call nothing and report nothing more.
    assert!(eventually(|| service.requests_to(UPDATES).len() >= 2));
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(messages(&notices).len(), 3);
}

/// Refreshes only when told (the server asks for 10 ms; an hour wins).
fn quiet(service: &FlagKitService, transport: TransportConfig) -> Client {
    ready(
        remote::flagkit(KEY)
            .base_url(service.base_url())
            .polling_interval(Duration::from_secs(3600))
            .transport(transport),
    )
}

#[test]
fn a_rate_limit_is_honoured_and_client_errors_never_open_the_breaker() {
    let service = service();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let client = ready(
        remote::flagkit(KEY)
            .base_url(service.base_url())
            .polling_interval(Duration::from_secs(3600))
            .on_usage(move |usage| sink.lock().unwrap().push(usage.clone()))
            .transport(
                TransportConfig::new()
                    .retries(0)
                    .breaker(2, Duration::from_secs(60)),
            ),
    );
    let updates = || service.requests_to(UPDATES).len();
    // 404s reach the service every time: they are answers, not failures of the service.
    service.route("GET", UPDATES, Reply::status(404));
    for n in 1..=4 {
        assert!(client.refresh().is_err());
        assert_eq!(updates(), n);
    }
    assert_eq!(client.status(), ProviderStatus::Stale);
    assert!(
        client.value(DARK, &Context::anonymous()),
        "the values held serve"
    );
    // 429 with Retry-After: no request until it passes; its usage headers are read.
    service.route(
        "GET",
        UPDATES,
        Reply::status(429)
            .retry_after_secs(60)
            .header("x-rate-limit-limit", "1000")
            .header("x-rate-limit-remaining", "0")
            .header("x-rate-limit-warning", "true"),
    );
    assert!(client.refresh().is_err());
    assert_eq!(updates(), 5);
    let usage = seen
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("the 429's usage");
    assert_eq!(
        (usage.rate_limit_limit, usage.rate_limit_remaining),
        (Some(1000), Some(0))
    );
    assert!(usage.rate_limit_warning);
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("rate limited"), "{error}");
    assert!(error.contains("1104"), "{error}");
    assert_eq!(updates(), 5, "no request while the rate limit holds");
}

#[test]
fn server_errors_are_retried_and_open_the_breaker() {
    let service = service();
    let client = quiet(
        &service,
        TransportConfig::new()
            .retries(1)
            .retry_delay(Duration::from_millis(1))
            .breaker(4, Duration::from_secs(60)),
    );
    let updates = || service.requests_to(UPDATES).len();
    // One 503, then an answer: the retry hides the failure.
    service.route("GET", UPDATES, Reply::status(503));
    service.then(
        "GET",
        UPDATES,
        Reply::json(&updates_body(&[flag("dark-mode", false)], &[], T1)),
    );
    client.refresh().unwrap();
    assert_eq!(updates(), 2);
    assert!(!client.value(DARK, &Context::anonymous()));
    // Only 5xx: two refreshes of two attempts each open the breaker.
    service.route("GET", UPDATES, Reply::status(500));
    for _ in 0..2 {
        let error = client.refresh().unwrap_err().to_string();
        assert!(error.contains("1306"), "{error}");
    }
    assert_eq!(updates(), 6);
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("circuit breaker"), "{error}");
    assert_eq!(updates(), 6, "the open breaker sends nothing");
}

// ---------------------------------------------------------------------------------------------
// Streaming

use flags_test_support::fault::SseHandle;
use flags_test_support::flagkit::{STREAM, STREAM_TOKEN};

fn token(token: &str, expires_in: u64) -> Reply {
    Reply::json(&json!({"token": token, "expiresIn": expires_in}).to_string())
}

/// [`service`] with a stream token route (`tok-1`) and an event stream.
fn streaming_service() -> (FlagKitService, SseHandle) {
    let service = service();
    service.route("POST", STREAM_TOKEN, token("tok-1", 600));
    let (reply, handle) = Reply::sse(": connected\n\n");
    service.route("GET", STREAM, reply);
    (service, handle)
}

/// Polling every 20 ms while not streaming; reconnecting after 10 ms, a stream silent for
/// `heartbeat` presumed dead, streaming tried again 200 ms after a fallback.
fn streaming(service: &FlagKitService, heartbeat: Duration) -> remote::FlagKit {
    provider(service).secondary_key(KEY_2).stream_timing(
        Duration::from_millis(10),
        heartbeat,
        Duration::from_millis(200),
    )
}

fn event(name: &str, data: serde_json::Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn stream_tokens(service: &FlagKitService) -> Vec<String> {
    service
        .requests_to(STREAM)
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path.split_once("?token=").unwrap().1.to_owned())
        .collect()
}

#[test]
fn the_stream_applies_updates_deletions_and_resets_instead_of_polling() {
    let (service, stream) = streaming_service();
    let client = ready(streaming(&service, Duration::from_secs(30)));
    let changed = record(&client, ProviderEvent::ConfigurationChanged);
    let ctx = Context::anonymous();
    assert!(eventually(|| stream.open_now() == 1));
    // The key buys a token (signed POST); only the token travels in the stream's URL.
    let exchange = &service.requests_to(STREAM_TOKEN)[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.header("x-api-key"), Some(KEY));
    flagkit::verify_signature(exchange, KEY).unwrap();
    let opened = service
        .requests_to(STREAM)
        .into_iter()
        .find(|r| r.method == "GET")
        .unwrap();
    assert_eq!(opened.path, "/api/v1/sdk/stream?token=tok-1");
    assert_eq!(opened.header("accept"), Some("text/event-stream"));
    assert_eq!(opened.header("x-api-key"), None);

    stream.send_raw(&event("flag_updated", flag("upload-limit", 999)));
    assert!(eventually(|| client.value(LIMIT, &ctx) == 999));
    let polls = service.requests_to(UPDATES).len();
    stream.send_raw(&event("heartbeat", json!({})));
    stream.send_raw(&event("flag_deleted", json!({"key": "theme"})));
    assert!(eventually(|| client.details(THEME, &ctx).error.is_some()));
    assert_eq!(
        client.details(THEME, &ctx).error.unwrap().code,
        ErrorCode::FlagNotFound
    );
    stream.send_raw(&event(
        "flags_reset",
        json!([flag("dark-mode", false), flag("only-one", "left")]),
    ));
    assert!(eventually(|| client.flag_count() == 2));
    assert!(!client.value(DARK, &ctx));
    assert_eq!(
        client.details(LIMIT, &ctx).error.unwrap().code,
        ErrorCode::FlagNotFound
    );
    assert!(eventually(|| changed.lock().unwrap().len() == 3));
    assert_eq!(changed.lock().unwrap()[0].flags_changed, ["upload-limit"]);
    assert_eq!(changed.lock().unwrap()[1].flags_changed, ["theme"]);
    // Garbage is ignored.
    stream.send_raw("event: flag_updated\ndata: {oops\n\nevent: unknown\ndata: 1\n\n");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(client.flag_count(), 2);
    // No poll while the stream is connected (one may have been in flight at the start).
    assert_eq!(service.requests_to(UPDATES).len(), polls);
    service.assert_no_key_in_urls(&[KEY, KEY_2]);
}

#[test]
fn an_expired_token_is_replaced_and_missed_updates_fetched() {
    let (service, stream) = streaming_service();
    service.then("POST", STREAM_TOKEN, token("tok-2", 600));
    let client = ready(streaming(&service, Duration::from_secs(30)));
    assert!(eventually(|| stream.open_now() == 1));
    let polls = service.requests_to(UPDATES).len();
    stream.send_raw(&event(
        "error",
        json!({"code": "TOKEN_EXPIRED", "message": "token expired"}),
    ));
    assert!(eventually(|| stream.opened() == 2 && stream.open_now() == 1));
    assert_eq!(stream_tokens(&service), ["tok-1", "tok-2"]);
    // Reconnected: the updates it may have missed are asked for.
    assert!(eventually(|| service.requests_to(UPDATES).len() > polls));
    assert_eq!(client.status(), ProviderStatus::Ready);
    service.assert_no_key_in_urls(&[KEY, KEY_2]);
}

#[test]
fn the_token_is_renewed_at_80_percent_of_its_lifetime() {
    let (service, stream) = streaming_service();
    // One second: renewed after 800 ms, without any error.
    service.route("POST", STREAM_TOKEN, token("short", 1));
    let _client = ready(streaming(&service, Duration::from_secs(30)));
    assert!(eventually(|| stream.opened() >= 2));
    assert!(service.requests_to(STREAM_TOKEN).len() >= 2);
}

#[test]
fn a_silent_stream_is_presumed_dead() {
    let (service, stream) = streaming_service();
    let _client = ready(streaming(&service, Duration::from_millis(150)));
    assert!(eventually(|| stream.opened() >= 2));
}

#[test]
fn the_service_can_send_the_provider_back_to_polling() {
    for code in ["STREAMING_UNAVAILABLE", "SUBSCRIPTION_SUSPENDED"] {
        let (service, stream) = streaming_service();
        let client = ready(streaming(&service, Duration::from_secs(30)));
        let errors = record(&client, ProviderEvent::Error);
        let notices = record(&client, ProviderEvent::ConfigurationChanged);
        assert!(eventually(|| stream.open_now() == 1));
        let polls = service.requests_to(UPDATES).len();
        stream.send_raw(&event("error", json!({"code": code, "message": "not now"})));
        assert!(eventually(|| messages(&notices)
            .iter()
            .any(|m| m.contains("polling until streaming is tried again"))));
        // Polling resumes, and streaming is tried again later.
        assert!(
            eventually(|| service.requests_to(UPDATES).len() > polls + 1),
            "{code}"
        );
        assert!(eventually(|| stream.opened() >= 2), "{code}");
        assert_eq!(client.status(), ProviderStatus::Ready, "{code}");
        assert!(
            errors.lock().unwrap().is_empty(),
            "{code}: polling serves, no error"
        );
    }
}

#[test]
fn three_failures_fall_back_to_polling_and_streaming_is_retried() {
    let service = service();
    service.route("POST", STREAM_TOKEN, token("tok-1", 600));
    service.route("GET", STREAM, Reply::status(503));
    let client = ready(streaming(&service, Duration::from_secs(30)));
    let errors = record(&client, ProviderEvent::Error);
    let notices = record(&client, ProviderEvent::ConfigurationChanged);
    assert!(eventually(|| messages(&notices)
        .iter()
        .any(|m| m.contains("3 consecutive failures"))));
    assert!(stream_tokens(&service).len() >= 3);
    let polls = service.requests_to(UPDATES).len();
    assert!(eventually(|| service.requests_to(UPDATES).len() > polls));
    // Tried again after the fallback's wait.
    assert!(eventually(|| stream_tokens(&service).len() >= 4));
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert!(
        errors.lock().unwrap().is_empty(),
        "polling serves, no error"
    );
}

#[test]
fn a_connection_limit_is_a_failure_with_backoff() {
    let (service, stream) = streaming_service();
    let client = ready(streaming(&service, Duration::from_secs(30)));
    let notices = record(&client, ProviderEvent::ConfigurationChanged);
    for n in 1..=3 {
        assert!(
            eventually(|| stream.opened() == n && stream.open_now() == 1),
            "{n}"
        );
        stream.send_raw(&event("error", json!({"code": "CONNECTION_LIMIT"})));
    }
    assert!(eventually(|| messages(&notices)
        .iter()
        .any(|m| m.contains("3 consecutive failures"))));
}

#[test]
fn streaming_and_bootstraps_need_local_reads() {
    let error = Client::builder()
        .remote(remote::flagkit(KEY).evaluate().streaming())
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`streaming` applies to FlagKit's values"),
        "{error}"
    );
    let error = Client::builder()
        .remote(remote::flagkit(KEY).evaluate().bootstrap("{}"))
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a bootstrap serves reads answered locally"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Logs

#[test]
fn the_sdk_version_advice_is_logged_once_without_the_key() {
    let logged = support::Logs::global();
    let service = FlagKitService::start();
    let mut init: serde_json::Value = serde_json::from_str(&init_body(&flags(), 0.01, T0)).unwrap();
    init["metadata"] = json!({
        "sdkVersionMin": "99.0.0",
        "deprecationWarning": "SDK 0.x is deprecated; upgrade"
    });
    service.route("GET", INIT, Reply::json(&init.to_string()));
    // Polls that follow the init answer do not log the advice again.
    service.route("GET", UPDATES, Reply::json(&updates_body(&[], &[], T1)));
    let client = ready(provider(&service));
    assert!(eventually(|| service.requests_to(UPDATES).len() >= 3));
    let ours: Vec<String> = logged
        .messages()
        .iter()
        .filter(|m| m.contains(&service.base_url()))
        .cloned()
        .collect();
    let count = |needle: &str| ours.iter().filter(|m| m.contains(needle)).count();
    assert_eq!(
        count("older than the oldest FlagKit supports (99.0.0)"),
        1,
        "{ours:?}"
    );
    assert_eq!(count("SDK 0.x is deprecated"), 1, "{ours:?}");
    assert!(ours.iter().all(|m| !m.contains(KEY)));
    drop(client);
}

#[test]
fn a_slow_service_holds_no_read_and_no_refresh_past_the_deadline() {
    let service = FlagKitService::start();
    service.route(
        "GET",
        INIT,
        Reply::json(&init_body(&flags(), 0.01, T0)).delay(Duration::from_secs(5)),
    );
    let client = build(
        remote::flagkit(KEY)
            .base_url(service.base_url())
            .polling_interval(Duration::from_secs(3600))
            .timeout(Duration::from_millis(200))
            .transport(TransportConfig::new().retries(0)),
    );
    let errors = record(&client, ProviderEvent::Error);
    // Reads never wait for the network.
    let d = client.details(DARK, &Context::anonymous());
    assert_eq!(d.error.unwrap().code, ErrorCode::ProviderNotReady);
    // A refresh gives up at the deadline (the init still in flight holds it).
    let error = client.refresh().unwrap_err().to_string();
    assert!(error.contains("within the deadline of 200 ms"), "{error}");
    // The init attempt times out: ERROR, with FlagKit's timeout code.
    assert!(eventually(|| client.status() == ProviderStatus::Error));
    assert!(eventually(|| !messages(&errors).is_empty()));
    let message = messages(&errors).join(" ");
    assert!(message.contains("NETWORK_TIMEOUT 1301"), "{message}");
}

#[test]
fn evaluation_mode_caches_results_when_asked() {
    let service = FlagKitService::start();
    service.route(
        "POST",
        flagkit::EVALUATE,
        Reply::json(&evaluation("dark-mode", json!(true), "RULE_MATCH")),
    );
    let client = build(
        provider(&service)
            .evaluate()
            .cache(Duration::from_secs(3600), 100),
    );
    let ctx = Context::new("user-1");
    assert!(client.blocking().value(DARK, &ctx));
    // Answered by the cache, sync or blocking, without a request.
    let d = client.details(DARK, &ctx);
    assert_eq!((d.value, d.reason), (true, Reason::Cached));
    assert!(client.blocking().value(DARK, &ctx));
    assert_eq!(service.requests_to(flagkit::EVALUATE).len(), 1);
    // Another context is another evaluation.
    assert!(client.blocking().value(DARK, &Context::new("user-2")));
    assert_eq!(service.requests_to(flagkit::EVALUATE).len(), 2);
}

#[test]
fn the_token_exchange_rotates_keys_like_every_request() {
    let (service, stream) = streaming_service();
    service.route("POST", STREAM_TOKEN, Reply::status(401));
    service.then("POST", STREAM_TOKEN, token("tok-2", 600));
    let client = ready(streaming(&service, Duration::from_secs(30)));
    assert!(eventually(|| stream.open_now() == 1));
    let keys: Vec<String> = service
        .requests_to(STREAM_TOKEN)
        .iter()
        .map(|r| r.header("x-api-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys, [KEY, KEY_2]);
    // The retried POST is signed with the key it carries.
    flagkit::verify_signature(&service.requests_to(STREAM_TOKEN)[1], KEY_2).unwrap();
    assert_eq!(stream_tokens(&service), ["tok-2"]);
    // The switch is a notice: the status stays READY.
    assert_eq!(client.status(), ProviderStatus::Ready);
    service.assert_no_key_in_urls(&[KEY, KEY_2]);
}

#[test]
fn a_forbidden_evaluation_makes_the_provider_fatal() {
    let service = FlagKitService::start();
    service.route("POST", flagkit::EVALUATE, Reply::status(403));
    let client = build(provider(&service).evaluate()).blocking();
    let d = client.details(DARK, &Context::new("u"));
    assert_eq!(d.error.unwrap().code, ErrorCode::ProviderFatal);
    assert_eq!(
        d.flag_metadata.get("flagkitErrorCode"),
        Some(&MetadataValue::Int(1103))
    );
    assert_eq!(client.client().status(), ProviderStatus::Fatal);
    // FATAL: no more requests.
    let d = client.details(LIMIT, &Context::new("u"));
    assert_eq!(d.error.unwrap().code, ErrorCode::ProviderFatal);
    assert_eq!(service.requests_to(flagkit::EVALUATE).len(), 1);
}

#[test]
fn a_refused_bootstrap_and_a_failed_init_are_both_reported() {
    let service = FlagKitService::start();
    let (init, gate) = Reply::status(503).gated();
    service.route("GET", INIT, init);
    let client = build(
        provider(&service)
            .transport(TransportConfig::new().retries(0))
            .bootstrap_signed(
                r#"{"flags": {"a": true}, "timestamp": 1}"#,
                "00",
                Duration::from_secs(60),
            ),
    );
    let errors = record(&client, ProviderEvent::Error);
    gate.open();
    assert!(eventually(|| messages(&errors).len() >= 2));
    let all = messages(&errors);
    assert!(all[0].contains("signature does not match"), "{all:?}");
    assert!(all[1].contains("NETWORK_SERVER_ERROR 1306"), "{all:?}");
    assert_eq!(client.status(), ProviderStatus::Error);
}
