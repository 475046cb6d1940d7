//! Remote providers (OFREP per evaluation and bulk, Cloudflare Flagship) through the `Client`,
//! against the fault-injecting server on 127.0.0.1.
#![cfg(feature = "http")]

use std::time::Duration;

use flags_runtime::{
    Client, Context, ErrorCode, Evaluation, FlagKey, Flags, ProviderStatus, Reason, remote,
};
use flags_test_support::fault::{FaultServer, Reply};
use serde_json::{Value, json};

fn body(recorded: &flags_test_support::fault::Recorded) -> Value {
    serde_json::from_slice(&recorded.body).unwrap()
}

/// A hand-written `Flags` struct (what `#[derive(Flags)]` generates, minus the checks).
#[derive(Debug, PartialEq)]
struct Checkout {
    enabled: bool,
    upload_limit: i64,
    theme: String,
}

const ENABLED: FlagKey<bool> = FlagKey::from_fn("new-checkout", || false);
const UPLOAD_LIMIT: FlagKey<i64> = FlagKey::from_fn("upload-limit", || 10);
const THEME: FlagKey<String> = FlagKey::from_fn("theme", || "light".to_owned());

impl Flags for Checkout {
    fn evaluate(evaluation: &Evaluation<'_>) -> Self {
        Checkout {
            enabled: evaluation.value(&ENABLED),
            upload_limit: evaluation.value(&UPLOAD_LIMIT),
            theme: evaluation.value(&THEME),
        }
    }
}

fn ofrep_flag(key: &str, value: Value) -> String {
    json!({ "key": key, "value": value, "reason": "TARGETING_MATCH", "variant": "v" }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ofrep_per_evaluation_async_and_typed() {
    let server = FaultServer::start();
    server
        .route(
            "POST",
            "/ofrep/v1/evaluate/flags/new-checkout",
            Reply::json(&ofrep_flag("new-checkout", json!(true))),
        )
        .route(
            "POST",
            "/ofrep/v1/evaluate/flags/upload-limit",
            Reply::json(&ofrep_flag("upload-limit", json!(250))),
        )
        .route(
            "POST",
            "/ofrep/v1/evaluate/flags/theme",
            Reply::status(404).body(
                r#"{"key":"theme","errorCode":"FLAG_NOT_FOUND","errorDetails":"no such flag"}"#,
            ),
        );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")).bearer_token("tok-123"))
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::Ready);
    let ctx = Context::new("user-1").with("plan", "premium");

    let details = client.details_async(&ENABLED, &ctx).await;
    assert!(details.value);
    assert_eq!(details.reason, Reason::TargetingMatch);
    assert_eq!(details.variant.as_deref(), Some("v"));
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer tok-123"));
    assert_eq!(
        body(request),
        json!({ "context": { "targetingKey": "user-1", "plan": "premium" } })
    );

    // One struct: every field asked for concurrently; a missing flag gives its default.
    let checkout: Checkout = client.flags_async(&ctx).await;
    assert_eq!(
        checkout,
        Checkout {
            enabled: true,
            upload_limit: 250,
            theme: "light".into()
        }
    );
    let theme = client.details_async(&THEME, &ctx).await;
    assert_eq!(theme.error.as_ref().unwrap().code, ErrorCode::FlagNotFound);
    assert_eq!(theme.value, "light");

    // A wrong type: the caller's default and TYPE_MISMATCH.
    let wrong = FlagKey::<String>::new("upload-limit", "x".to_owned());
    let details = client.details_async(&wrong, &ctx).await;
    assert_eq!(details.value, "x");
    assert_eq!(details.error.unwrap().code, ErrorCode::TypeMismatch);

    // The sync API never waits for the network: it says what to use.
    let before = server.count();
    let details = client.details(&ENABLED, &ctx);
    assert!(!details.value);
    assert!(details.error.unwrap().message.contains("details_async"));
    assert_eq!(server.count(), before);
}

#[test]
fn ofrep_blocking_api_cache_and_fatal() {
    let server = FaultServer::start();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/new-checkout",
        Reply::json(&ofrep_flag("new-checkout", json!(true))),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")).cache(Duration::from_secs(60), 100))
        .build()
        .unwrap();
    let blocking = client.blocking();
    let ctx = Context::new("user-1");
    let first = blocking.details(&ENABLED, &ctx);
    assert!(first.value);
    assert_eq!(first.reason, Reason::TargetingMatch);
    // A hit: reason CACHED, no request; also for the sync API of the client itself.
    let second = blocking.details(&ENABLED, &ctx);
    assert!(second.value);
    assert_eq!(second.reason, Reason::Cached);
    assert_eq!(client.details(&ENABLED, &ctx).reason, Reason::Cached);
    assert_eq!(server.count(), 1);
    // Another context is another entry.
    let _ = blocking.details(&ENABLED, &Context::new("user-2"));
    assert_eq!(server.count(), 2);

    // 401: FATAL, and no request afterwards.
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/upload-limit",
        Reply::status(401),
    );
    let details = blocking.details(&UPLOAD_LIMIT, &ctx);
    assert_eq!(details.value, 10);
    assert_eq!(details.error.unwrap().code, ErrorCode::General);
    assert_eq!(client.status(), ProviderStatus::Fatal);
    let count = server.count();
    let details = blocking.details(&UPLOAD_LIMIT, &Context::new("user-3"));
    assert_eq!(details.error.unwrap().code, ErrorCode::ProviderFatal);
    assert_eq!(server.count(), count);
    // The cache no longer answers either, sync or blocking.
    for details in [
        client.details(&ENABLED, &ctx),
        blocking.details(&ENABLED, &ctx),
    ] {
        assert!(!details.value);
        assert_eq!(details.error.unwrap().code, ErrorCode::ProviderFatal);
    }
    assert_eq!(server.count(), count);
}

#[test]
fn ofrep_server_down_429_and_errors_give_the_default() {
    // Nothing listens on this port.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .remote(
            remote::ofrep(format!("http://127.0.0.1:{port}")).timeout(Duration::from_millis(500)),
        )
        .build()
        .unwrap()
        .blocking();
    let details = client.details(&UPLOAD_LIMIT, &Context::new("u"));
    assert_eq!(details.value, 10);
    assert_eq!(details.reason, Reason::Error);
    assert_eq!(details.error.unwrap().code, ErrorCode::General);

    // 429 with Retry-After: fail fast, no request, until it passes.
    let server = FaultServer::start();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/",
        Reply::status(429).retry_after_secs(30),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")))
        .build()
        .unwrap()
        .blocking();
    let details = client.details(&UPLOAD_LIMIT, &Context::new("u"));
    assert_eq!(details.value, 10);
    assert!(details.error.is_some());
    let count = server.count();
    for _ in 0..5 {
        let details = client.details(&ENABLED, &Context::new("u"));
        assert!(details.error.is_some());
    }
    assert_eq!(server.count(), count, "requests sent while rate limited");

    // 400 with an error code; a malformed body.
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/",
        Reply::status(400).body(
            r#"{"key":"x","errorCode":"TARGETING_KEY_MISSING","errorDetails":"needs a key"}"#,
        ),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")))
        .build()
        .unwrap()
        .blocking();
    let details = client.details(&ENABLED, &Context::anonymous());
    assert_eq!(details.error.unwrap().code, ErrorCode::TargetingKeyMissing);
    server.route("POST", "/ofrep/v1/evaluate/flags/", Reply::malformed());
    let details = client.details(&ENABLED, &Context::new("u"));
    assert_eq!(details.error.unwrap().code, ErrorCode::ParseError);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_evaluations_make_one_request() {
    let server = FaultServer::start();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/new-checkout",
        Reply::json(&ofrep_flag("new-checkout", json!(true))).delay(Duration::from_millis(200)),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")))
        .build()
        .unwrap();
    let ctx = Context::new("user-1");
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let client = client.clone();
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            client.value_async(&ENABLED, &ctx).await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(server.count(), 1);
}

#[test]
fn ofrep_bulk_mode_answers_locally_and_polls_with_etag() {
    let server = FaultServer::start();
    let bulk = json!({ "flags": [
        { "key": "new-checkout", "value": true, "reason": "STATIC", "variant": "on" },
        { "key": "upload-limit", "value": 100, "reason": "STATIC", "variant": "big" },
        { "key": "theme", "value": "dark", "reason": "STATIC", "variant": "dark" }
    ] })
    .to_string();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags",
        Reply::json(&bulk).etag("\"v1\""),
    );
    let client = Client::builder()
        .remote(
            remote::ofrep(server.url(""))
                .bulk(Context::new("device-1"), Some(Duration::from_millis(50))),
        )
        .build()
        .unwrap();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    // Every read is local, sync included; `flags::<S>` costs no request.
    let before = server.count_path("/ofrep/v1/evaluate/flags");
    let checkout: Checkout = client.flags(&Context::anonymous());
    assert_eq!(
        checkout,
        Checkout {
            enabled: true,
            upload_limit: 100,
            theme: "dark".into()
        }
    );
    assert_eq!(client.flag_count(), 3);
    // The value path: a type mismatch or an absent flag gives the caller's default.
    assert_eq!(client.value(&UPLOAD_LIMIT, &Context::anonymous()), 100);
    assert_eq!(
        client.value(FlagKey::<i64>::new("theme", 7), &Context::anonymous()),
        7
    );
    assert!(client.value(FlagKey::<bool>::new("absent", true), &Context::anonymous()));
    let missing = client.details(FlagKey::<bool>::new("absent", true), &Context::anonymous());
    assert_eq!(missing.error.unwrap().code, ErrorCode::FlagNotFound);
    // Polls send the ETag and get 304s.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.count() < before + 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let requests = server.requests();
    assert!(requests.len() >= 3, "{}", requests.len());
    let first = &requests[0];
    assert_eq!(first.header("if-none-match"), None);
    assert_eq!(
        body(first),
        json!({ "context": { "targetingKey": "device-1" } })
    );
    assert_eq!(requests[2].header("if-none-match"), Some("\"v1\""));
    assert!(client.details(&ENABLED, &Context::anonymous()).value);

    // A change: CONFIGURATION_CHANGED names the flag, from the provider's own thread, where
    // a handler's refresh returns at once instead of waiting for itself.
    let (tx, rx) = std::sync::mpsc::channel();
    let handler_client = client.clone();
    client.on(
        flags_runtime::ProviderEvent::ConfigurationChanged,
        move |event| {
            let _ = tx.send((
                event.flags_changed.clone(),
                handler_client.refresh().is_ok(),
            ));
        },
    );
    let changed = bulk.replace("\"dark\"", "\"blue\"");
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags",
        Reply::json(&changed).etag("\"v2\""),
    );
    let (keys, refreshed) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(keys, ["theme"]);
    assert!(refreshed);
    assert_eq!(client.value(&THEME, &Context::anonymous()), "blue");
    client.shutdown();
    assert_eq!(client.status(), ProviderStatus::NotReady);
}

#[test]
fn flagship_get_for_flat_contexts_post_for_nested_ones() {
    let server = FaultServer::start();
    server.route(
        "*",
        "/client/v4/accounts/acc%2F1/flagship/apps/app/evaluate",
        Reply::json(
            r#"{"flagKey":"upload-limit","value":42,"variant":"big","reason":"TARGETING_MATCH"}"#,
        ),
    );
    let client = Client::builder()
        .remote(
            remote::flagship("acc/1", "app")
                .base_url(server.url(""))
                .auth_token("cf-token")
                .headers_factory(|| vec![("X-Request".to_owned(), "r1".to_owned())]),
        )
        .build()
        .unwrap()
        .blocking();
    let flat = Context::new("user-1")
        .with("plan", "premium")
        .with("beta", true);
    assert_eq!(client.value(&UPLOAD_LIMIT, &flat), 42);
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        "/client/v4/accounts/acc%2F1/flagship/apps/app/evaluate?flagKey=upload-limit&targetingKey=user-1&beta=true&plan=premium"
    );
    assert_eq!(request.header("authorization"), Some("Bearer cf-token"));
    assert_eq!(request.header("x-request"), Some("r1"));

    let nested = Context::new("user-1").with("tags", flags_runtime::Value::from(json!(["a"])));
    assert_eq!(client.value(&UPLOAD_LIMIT, &nested), 42);
    let request = &server.requests()[1];
    assert_eq!(request.method, "POST");
    assert_eq!(
        body(request),
        json!({ "flagKey": "upload-limit", "context": { "targetingKey": "user-1", "tags": ["a"] } })
    );

    // NaN in the context: INVALID_CONTEXT, before any request.
    let count = server.count();
    let details = client.details(&UPLOAD_LIMIT, &Context::new("u").with("score", f64::NAN));
    assert_eq!(details.error.unwrap().code, ErrorCode::InvalidContext);
    assert_eq!(server.count(), count);

    // 404 → FLAG_NOT_FOUND, not retried.
    server.route(
        "*",
        "/client/v4/accounts/acc%2F1/flagship/apps/app/evaluate",
        Reply::status(404).body(r#"{"errorDetails":"unknown flag"}"#),
    );
    let details = client.details(&UPLOAD_LIMIT, &flat);
    assert_eq!(details.error.unwrap().code, ErrorCode::FlagNotFound);
    assert_eq!(server.count(), count + 1);
}

#[test]
fn invalid_settings_fail_at_build_without_io() {
    let error = Client::builder()
        .remote(remote::ofrep("not a url"))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("OFREP"), "{error}");
    let error = Client::builder()
        .remote(remote::flagship_endpoint("ftp://x/evaluate"))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("Flagship"), "{error}");
    let error = Client::builder()
        .remote(remote::flagship("", "app"))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("account_id"), "{error}");
}

/// A hook that adds `plan: premium` in `before` (or fails there), and counts its stages.
#[derive(Default)]
struct PlanHook {
    fail_before: bool,
    stages: std::sync::Mutex<Vec<String>>,
}

impl flags_runtime::Hook for PlanHook {
    fn before(
        &self,
        ctx: &mut flags_runtime::HookContext<'_>,
        _: &flags_runtime::HookHints,
    ) -> Result<Option<Context>, flags_runtime::EvaluationError> {
        self.stages
            .lock()
            .unwrap()
            .push(format!("before {}", ctx.flag_key()));
        if self.fail_before {
            return Err(flags_runtime::EvaluationError::new(
                ErrorCode::General,
                "refused by the hook",
            ));
        }
        Ok(Some(Context::anonymous().with("plan", "premium")))
    }

    fn after(
        &self,
        ctx: &mut flags_runtime::HookContext<'_>,
        details: &flags_runtime::EvaluationDetails<flags_runtime::Value>,
        _: &flags_runtime::HookHints,
    ) -> Result<(), flags_runtime::EvaluationError> {
        let plan = ctx.context().get("plan").cloned();
        self.stages.lock().unwrap().push(format!(
            "after {} {:?} plan={plan:?}",
            ctx.flag_key(),
            details.value
        ));
        Ok(())
    }

    fn error(
        &self,
        ctx: &mut flags_runtime::HookContext<'_>,
        error: &flags_runtime::EvaluationError,
        _: &flags_runtime::HookHints,
    ) {
        self.stages
            .lock()
            .unwrap()
            .push(format!("error {} {}", ctx.flag_key(), error.message));
    }

    fn finally(
        &self,
        ctx: &mut flags_runtime::HookContext<'_>,
        _: &flags_runtime::EvaluationDetails<flags_runtime::Value>,
        _: &flags_runtime::HookHints,
    ) {
        self.stages
            .lock()
            .unwrap()
            .push(format!("finally {}", ctx.flag_key()));
    }
}

fn assert_send<F: Send>(future: F) -> F {
    future
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_hooks_change_the_context_sent_per_evaluation() {
    let server = FaultServer::start();
    for (key, value) in [
        ("new-checkout", json!(true)),
        ("upload-limit", json!(250)),
        ("theme", json!("dark")),
    ] {
        server.route(
            "POST",
            &format!("/ofrep/v1/evaluate/flags/{key}"),
            Reply::json(&ofrep_flag(key, value)),
        );
    }
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")))
        .build()
        .unwrap();
    let hook = std::sync::Arc::new(PlanHook::default());
    client.add_shared_hook(hook.clone());
    let ctx = Context::new("user-1");

    // One flag: the `before` hook's attribute is in the request, and every stage ran once,
    // after the answer.
    let details = assert_send(client.details_async(&ENABLED, &ctx)).await;
    assert!(details.value);
    assert_eq!(
        body(&server.requests()[0]),
        json!({ "context": { "targetingKey": "user-1", "plan": "premium" } })
    );
    assert_eq!(
        *hook.stages.lock().unwrap(),
        [
            "before new-checkout",
            "after new-checkout Bool(true) plan=Some(String(\"premium\"))",
            "finally new-checkout",
        ]
    );

    // A struct: every field's request carries it; the blocking API does the same.
    hook.stages.lock().unwrap().clear();
    let checkout: Checkout = assert_send(client.flags_async(&ctx)).await;
    let expected = Checkout {
        enabled: true,
        upload_limit: 250,
        theme: "dark".to_owned(),
    };
    assert_eq!(checkout, expected);
    let blocking = {
        let client = client.blocking();
        let ctx = ctx.clone();
        tokio::task::spawn_blocking(move || client.flags::<Checkout>(&ctx))
            .await
            .unwrap()
    };
    assert_eq!(blocking, expected);
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    for request in &requests[1..] {
        assert_eq!(
            body(request)["context"]["plan"],
            "premium",
            "{}",
            request.path
        );
    }
    let stages = hook.stages.lock().unwrap().clone();
    assert_eq!(stages.len(), 18, "{stages:?}");
    assert_eq!(stages.iter().filter(|s| s.starts_with("before")).count(), 6);
    assert_eq!(
        stages.iter().filter(|s| s.starts_with("finally")).count(),
        6
    );

    // A failing `before` hook: no request, the default with the hook's error, then the
    // `error` and `finally` stages.
    let failing = Client::builder()
        .remote(remote::ofrep(server.url("")))
        .build()
        .unwrap();
    let hook = std::sync::Arc::new(PlanHook {
        fail_before: true,
        ..PlanHook::default()
    });
    failing.add_shared_hook(hook.clone());
    let details = failing.details_async(&UPLOAD_LIMIT, &ctx).await;
    assert_eq!(details.value, 10);
    assert_eq!(details.reason, Reason::Error);
    assert_eq!(details.error.unwrap().message, "refused by the hook");
    assert_eq!(server.count(), 7, "a failed `before` hook sent a request");
    assert_eq!(
        *hook.stages.lock().unwrap(),
        [
            "before upload-limit",
            "error upload-limit refused by the hook",
            "finally upload-limit",
        ]
    );
}

#[test]
fn cached_entries_expire_while_the_provider_ticks() {
    let server = FaultServer::start();
    server.route(
        "POST",
        "/ofrep/v1/evaluate/flags/new-checkout",
        Reply::json(&ofrep_flag("new-checkout", json!(true))),
    );
    let client = Client::builder()
        .remote(remote::ofrep(server.url("")).cache(Duration::from_millis(40), 10))
        .build()
        .unwrap();
    let blocking = client.blocking();
    let ctx = Context::new("user-1");
    assert_eq!(
        blocking.details(&ENABLED, &ctx).reason,
        Reason::TargetingMatch
    );
    assert_eq!(blocking.details(&ENABLED, &ctx).reason, Reason::Cached);
    assert_eq!(server.count(), 1);
    // Past the TTL and a few ticks (every 10 ms), the entry is gone: the sync API misses
    // and the blocking one asks again.
    std::thread::sleep(Duration::from_millis(60));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while client.details(&ENABLED, &ctx).reason == Reason::Cached
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_ne!(client.details(&ENABLED, &ctx).reason, Reason::Cached);
    assert_eq!(
        blocking.details(&ENABLED, &ctx).reason,
        Reason::TargetingMatch
    );
    assert_eq!(server.count(), 2);
}
