//! The multi-provider: strategies, what is answered when every member fails, fetching members,
//! aggregated status and events, names.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use flags_runtime::provider::{
    BoxFuture, Configuration, Fetched, Provider, Query, Resolution, Strategy, View, multi,
};
use flags_runtime::{
    Client, Context, ErrorCode, EventDetails, Events, FlagKey, InMemory, InMemoryFlag,
    MetadataValue, ProviderEvent, ProviderStatus, Reason,
};

const LOCAL: &str = r#"{"flags": {
    "beta": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "limit": {"state": "ENABLED", "variants": {"small": 10}, "defaultVariant": "small"}
}}"#;

fn local() -> Client {
    Client::builder()
        .in_process(flags_runtime::source::json(LOCAL))
        .build()
        .unwrap()
}

fn memory(flags: &[(&str, serde_json::Value)]) -> InMemory {
    InMemory::new(flags.iter().map(|(key, value)| {
        (
            *key,
            InMemoryFlag::new([("only", value.clone())]).default_variant("only"),
        )
    }))
}

#[test]
fn first_match_serves_the_first_provider_that_knows_the_flag() {
    let fallback = memory(&[
        ("limit", serde_json::json!(100)),
        ("theme", serde_json::json!("dark")),
    ]);
    let client = Client::builder()
        .provider(
            multi(Strategy::FirstMatch)
                .provider(local())
                .provider(fallback)
                .build(),
        )
        .build()
        .unwrap();
    let ctx = Context::new("u");
    // In both: the first's.
    assert_eq!(client.value(FlagKey::new("limit", 0i64), &ctx), 10);
    // Only in the second.
    let theme = client.details(FlagKey::new("theme", String::new()), &ctx);
    assert_eq!(
        (theme.value.as_str(), theme.variant.as_deref()),
        ("dark", Some("only"))
    );
    // An error that is not FLAG_NOT_FOUND is the first provider's answer: no fall-through.
    let mismatch = client.details(FlagKey::new("beta", 0i64), &ctx);
    assert_eq!(mismatch.error_code(), Some(ErrorCode::TypeMismatch));
    // In none.
    let missing = client.details(FlagKey::new("missing", 7i64), &ctx);
    assert_eq!(
        (missing.value, missing.error_code()),
        (7, Some(ErrorCode::FlagNotFound))
    );
    assert_eq!(missing.reason, Reason::Error);
    let message = missing.error_message().unwrap();
    assert!(
        message.contains("FLAG_NOT_FOUND") && message.contains("in-memory"),
        "{message}"
    );
    assert_eq!(missing.flag_metadata.len(), 2, "one entry per provider");
    assert!(matches!(
        missing.flag_metadata.get("in-memory"),
        Some(MetadataValue::String(s)) if s.starts_with("FLAG_NOT_FOUND")
    ));
}

#[test]
fn first_success_passes_over_failing_providers() {
    let not_ready =
        memory(&[("limit", serde_json::json!(1))]).with_status(ProviderStatus::NotReady);
    let typed_elsewhere = memory(&[("beta", serde_json::json!(5))]);
    let client = Client::builder()
        .provider(
            multi(Strategy::FirstSuccess)
                .provider(not_ready)
                .provider(local())
                .provider(typed_elsewhere)
                .build(),
        )
        .build()
        .unwrap();
    let ctx = Context::new("u");
    // The first member is not ready: the second answers.
    assert_eq!(client.value(FlagKey::new("limit", 0i64), &ctx), 10);
    // A type mismatch in the second: the third answers.
    let beta = client.details(FlagKey::new("beta", 0i64), &ctx);
    assert_eq!((beta.value, beta.error_code()), (5, None));
    // Every member fails, with different codes: GENERAL, each listed.
    let failed = client.details(FlagKey::new("nowhere", false), &ctx);
    assert_eq!(failed.error_code(), Some(ErrorCode::General));
    let message = failed.error_message().unwrap();
    assert!(
        message.contains("PROVIDER_NOT_READY") && message.contains("FLAG_NOT_FOUND"),
        "{message}"
    );
    // Two members share the name `in-memory`: they are told apart by their place.
    let names: Vec<&str> = failed.flag_metadata.iter().map(|(k, _)| k).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.contains(&"in-memory_0") && names.contains(&"in-memory_2"),
        "{names:?}"
    );
}

/// A provider of our own that asks "a service" per evaluation (a map here), counting fetches.
struct Fetching {
    events: Events,
    flags: HashMap<&'static str, serde_json::Value>,
    fetches: Arc<AtomicUsize>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Configuration for Fetching {
    fn resolve(&self, flag: &str, _: &Context) -> Resolution {
        Resolution::error(ErrorCode::General, format!("`{flag}`: use the async reads"))
    }
}

impl Fetching {
    fn answer(&self, queries: &[Query]) -> Vec<Fetched> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        queries
            .iter()
            .map(|q| {
                self.asked.lock().unwrap().push(q.key.to_string());
                let resolution = match self.flags.get(&*q.key) {
                    Some(value) => Resolution::value(value.clone(), Reason::TargetingMatch),
                    None => Resolution::error(ErrorCode::FlagNotFound, "not here"),
                };
                Fetched {
                    resolution: Arc::new(resolution),
                    cached: false,
                }
            })
            .collect()
    }
}

impl Provider for Fetching {
    fn events(&self) -> &Events {
        &self.events
    }
    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        read(View::of(self))
    }
    fn fetches(&self) -> bool {
        true
    }
    fn fetch(&self, queries: Vec<Query>) -> BoxFuture<'static, Option<Vec<Fetched>>> {
        let answers = self.answer(&queries);
        Box::pin(std::future::ready(Some(answers)))
    }
    fn fetch_blocking(&self, queries: Vec<Query>) -> Option<Vec<Fetched>> {
        Some(self.answer(&queries))
    }
}

fn local_then_fetching() -> (Client, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let asked = Arc::new(Mutex::new(Vec::new()));
    let remote = Fetching {
        events: Events::new("remote", ProviderStatus::Ready),
        flags: [
            ("remote-only", serde_json::json!(42)),
            ("beta", serde_json::json!(false)),
        ]
        .into(),
        fetches: fetches.clone(),
        asked: asked.clone(),
    };
    let client = Client::builder()
        .provider(
            multi(Strategy::FirstMatch)
                .provider(local())
                .provider(remote)
                .build(),
        )
        .build()
        .unwrap();
    (client, fetches, asked)
}

#[tokio::test]
async fn in_process_first_remote_as_fallback() {
    let (client, fetches, asked) = local_then_fetching();
    let ctx = Context::new("u");
    // Known locally: the service is not asked.
    assert!(client.value_async(&FlagKey::new("beta", false), &ctx).await);
    assert_eq!(fetches.load(Ordering::SeqCst), 0);
    // Only remote: asked once.
    let remote = client
        .details_async(&FlagKey::new("remote-only", 0i64), &ctx)
        .await;
    assert_eq!((remote.value, remote.reason), (42, Reason::TargetingMatch));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // A sync read never waits: the remote member answers as it does alone.
    let sync = client.details(FlagKey::new("remote-only", 0i64), &ctx);
    assert_eq!(sync.error_code(), Some(ErrorCode::General));
    assert!(
        sync.error_message()
            .unwrap()
            .contains("use the async reads")
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // Missing everywhere: asked, then FLAG_NOT_FOUND with both listed.
    let missing = client
        .details_async(&FlagKey::new("nowhere", 1i64), &ctx)
        .await;
    assert_eq!(missing.error_code(), Some(ErrorCode::FlagNotFound));
    assert!(missing.flag_metadata.get("remote").is_some());
    assert_eq!(*asked.lock().unwrap(), ["remote-only", "nowhere"]);
}

#[test]
fn blocking_reads_ask_the_fetching_member() {
    let (client, fetches, _) = local_then_fetching();
    let client = client.blocking();
    let ctx = Context::new("u");
    assert_eq!(client.value(FlagKey::new("remote-only", 0i64), &ctx), 42);
    assert!(client.value(FlagKey::new("beta", false), &ctx));
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "beta is answered locally"
    );
}

#[test]
fn status_is_the_worst_of_the_members_and_changes_are_events() {
    let a = memory(&[("x", serde_json::json!(1))]);
    let b = memory(&[("y", serde_json::json!(2))]).with_status(ProviderStatus::NotReady);
    let client = Client::builder()
        .provider(
            multi(Strategy::FirstMatch)
                .provider(a.clone())
                .provider(b.clone())
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::NotReady);

    let seen = Arc::new(Mutex::new(Vec::new()));
    for event in [
        ProviderEvent::Ready,
        ProviderEvent::Error,
        ProviderEvent::Stale,
        ProviderEvent::ConfigurationChanged,
    ] {
        let seen = seen.clone();
        client.on(event, move |details| {
            seen.lock().unwrap().push((
                details.event,
                details.provider_name.clone(),
                details.flags_changed.clone(),
            ));
        });
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "not ready: no handler ran at once"
    );

    b.emit(EventDetails::new(ProviderEvent::Ready, "in-memory"));
    assert_eq!(client.status(), ProviderStatus::Ready);
    a.emit(EventDetails::new(ProviderEvent::Stale, "in-memory"));
    assert_eq!(client.status(), ProviderStatus::Stale);
    b.emit(EventDetails::new(ProviderEvent::Error, "in-memory"));
    assert_eq!(client.status(), ProviderStatus::Error);
    // Still in error (b): a's recovery changes nothing.
    a.emit(EventDetails::new(ProviderEvent::Ready, "in-memory"));
    assert_eq!(client.status(), ProviderStatus::Error);
    b.emit(EventDetails::new(ProviderEvent::Ready, "in-memory"));
    assert_eq!(client.status(), ProviderStatus::Ready);
    a.set_flag("x", InMemoryFlag::new([("two", 2)]).default_variant("two"));

    let seen = seen.lock().unwrap();
    let events: Vec<ProviderEvent> = seen.iter().map(|(e, ..)| *e).collect();
    assert_eq!(
        events,
        [
            ProviderEvent::Ready,
            ProviderEvent::Stale,
            ProviderEvent::Error,
            ProviderEvent::Ready,
            ProviderEvent::ConfigurationChanged
        ]
    );
    assert!(seen.iter().all(|(_, name, _)| name == "multi"));
    assert_eq!(seen[4].2, ["x"]);

    drop(seen);
    client.shutdown();
    assert_eq!(a.status(), ProviderStatus::NotReady);
    assert_eq!(b.status(), ProviderStatus::NotReady);
}

#[test]
fn without_members_every_read_says_so() {
    let client = Client::builder()
        .provider(multi(Strategy::FirstMatch).build())
        .build()
        .unwrap();
    let details = client.details(FlagKey::new("x", 3i64), &Context::anonymous());
    assert_eq!(
        (details.value, details.error_code()),
        (3, Some(ErrorCode::General))
    );
    assert!(details.error_message().unwrap().contains("no members"));
}
