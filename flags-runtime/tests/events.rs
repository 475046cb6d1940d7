//! Provider events seen from clients and from the API (OpenFeature §5), the in-memory
//! provider's change events, and shutdown.
//!
//! API handlers are global to the process: every test here holds `LOCK`.

use std::sync::{Arc, Mutex, MutexGuard};

use flags_runtime::{
    Client, Context, ErrorCode, EventDetails, FlagKey, InMemory, InMemoryFlag, ProviderEvent,
    ProviderStatus, api, source,
};

static LOCK: Mutex<()> = Mutex::new(());

struct Clean(#[allow(dead_code)] MutexGuard<'static, ()>);

fn clean() -> Clean {
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    api().shutdown();
    Clean(guard)
}

impl Drop for Clean {
    fn drop(&mut self) {
        api().shutdown();
    }
}

type Seen = Arc<Mutex<Vec<String>>>;

fn recorder(seen: &Seen, tag: &'static str) -> impl Fn(&EventDetails) + Send + Sync + 'static {
    let seen = seen.clone();
    move |e: &EventDetails| {
        seen.lock().unwrap().push(format!(
            "{tag} {} {} {:?} {:?}",
            e.event.as_str(),
            e.provider_name,
            e.flags_changed,
            e.error_code
        ))
    }
}

fn flag(default: &str) -> InMemoryFlag {
    InMemoryFlag::new([("a", 1), ("b", 2)]).default_variant(default)
}

fn taken(seen: &Seen) -> Vec<String> {
    std::mem::take(&mut *seen.lock().unwrap())
}

#[test]
fn api_handlers_run_for_every_provider_client_handlers_for_their_own() {
    let _clean = clean();
    let seen = Seen::default();
    let one = InMemory::new([("x", flag("a"))]);
    let two = InMemory::new([("y", flag("a"))]);
    let client_one = one.client();
    let client_two = two.client();
    client_one.on(ProviderEvent::ConfigurationChanged, recorder(&seen, "one"));
    client_two.on(ProviderEvent::ConfigurationChanged, recorder(&seen, "two"));
    let id = api().on(ProviderEvent::ConfigurationChanged, recorder(&seen, "api"));

    one.set_flag("x", flag("b"));
    assert_eq!(
        taken(&seen),
        [
            "one PROVIDER_CONFIGURATION_CHANGED in-memory [\"x\"] None",
            "api PROVIDER_CONFIGURATION_CHANGED in-memory [\"x\"] None"
        ]
    );
    two.set_flag("z", flag("a"));
    assert_eq!(
        taken(&seen),
        [
            "two PROVIDER_CONFIGURATION_CHANGED in-memory [\"z\"] None",
            "api PROVIDER_CONFIGURATION_CHANGED in-memory [\"z\"] None"
        ]
    );

    // Removed API handlers stop running.
    assert!(api().remove_handler(id));
    assert!(!api().remove_handler(id));
    one.set_flag("x", flag("a"));
    assert_eq!(
        taken(&seen),
        ["one PROVIDER_CONFIGURATION_CHANGED in-memory [\"x\"] None"]
    );
}

#[test]
fn late_api_handlers_run_at_once_for_providers_already_in_that_state() {
    let _clean = clean();
    let seen = Seen::default();
    let ready = InMemory::new([("x", flag("a"))]);
    let _ready_client = ready.client();
    let failing = InMemory::new([("x", flag("a"))]);
    let failing_client = failing.client();
    failing.emit(
        EventDetails::new(ProviderEvent::Error, "in-memory").with_error_code(ErrorCode::General),
    );
    assert_eq!(failing_client.status(), ProviderStatus::Error);

    api().on(ProviderEvent::Error, recorder(&seen, "api"));
    assert_eq!(
        taken(&seen),
        ["api PROVIDER_ERROR in-memory [] None"],
        "once, for the failing provider only"
    );
    api().on(ProviderEvent::Ready, recorder(&seen, "api"));
    let ready_now = taken(&seen);
    assert!(
        ready_now.contains(&"api PROVIDER_READY in-memory [] None".to_owned()),
        "{ready_now:?}"
    );

    // A provider whose clients are gone is no longer reported.
    drop(_ready_client);
    drop(ready);
    api().on(ProviderEvent::Stale, recorder(&seen, "api"));
    assert!(taken(&seen).is_empty());
}

#[test]
fn the_status_changes_before_handlers_run() {
    let _clean = clean();
    let provider = InMemory::new([("x", flag("a"))]);
    let client = provider.client();
    let observed = Arc::new(Mutex::new(Vec::new()));
    for event in [
        ProviderEvent::Stale,
        ProviderEvent::Error,
        ProviderEvent::Ready,
    ] {
        let (observed, client) = (observed.clone(), client.clone());
        api().on(event, move |_| {
            observed.lock().unwrap().push(client.status());
        });
    }
    // READY ran at once (already ready).
    assert_eq!(*observed.lock().unwrap(), [ProviderStatus::Ready]);
    provider.emit(EventDetails::new(ProviderEvent::Stale, "in-memory"));
    provider.emit(
        EventDetails::new(ProviderEvent::Error, "in-memory")
            .with_error_code(ErrorCode::ProviderFatal),
    );
    assert_eq!(
        *observed.lock().unwrap(),
        [
            ProviderStatus::Ready,
            ProviderStatus::Stale,
            ProviderStatus::Fatal
        ]
    );
    // FATAL reads answer PROVIDER_FATAL.
    let key = FlagKey::<i64>::new("x", 0);
    let details = client.details(&key, &Context::anonymous());
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderFatal));
    assert_eq!(details.value, 0);
}

#[test]
fn a_panicking_api_handler_does_not_stop_the_others() {
    let _clean = clean();
    let seen = Seen::default();
    let provider = InMemory::new([("x", flag("a"))]);
    let client = provider.client();
    api().on(ProviderEvent::ConfigurationChanged, |_| {
        panic!("handler bug")
    });
    api().on(ProviderEvent::ConfigurationChanged, recorder(&seen, "api"));
    client.on(ProviderEvent::ConfigurationChanged, |_| {
        panic!("handler bug")
    });
    client.on(
        ProviderEvent::ConfigurationChanged,
        recorder(&seen, "client"),
    );
    provider.set_flag("x", flag("b"));
    assert_eq!(
        taken(&seen),
        [
            "client PROVIDER_CONFIGURATION_CHANGED in-memory [\"x\"] None",
            "api PROVIDER_CONFIGURATION_CHANGED in-memory [\"x\"] None"
        ]
    );
}

#[test]
fn in_memory_changes_report_the_changed_keys() {
    let _clean = clean();
    let seen = Seen::default();
    let provider = InMemory::new([("a", flag("a")), ("b", flag("a"))]);
    let client = provider.client();
    client.on(ProviderEvent::ConfigurationChanged, recorder(&seen, "c"));
    let key = FlagKey::<i64>::new("b", 0);
    assert_eq!(client.value(&key, &Context::anonymous()), 1);

    // Replacing the set: the union of old and new keys.
    provider.set_flags([("b", flag("b")), ("c", flag("a"))]);
    assert_eq!(
        taken(&seen),
        ["c PROVIDER_CONFIGURATION_CHANGED in-memory [\"a\", \"b\", \"c\"] None"]
    );
    assert_eq!(client.value(&key, &Context::anonymous()), 2);

    // Setting an identical definition changes nothing; removing reports the key.
    provider.set_flag("b", flag("b"));
    assert!(taken(&seen).is_empty());
    provider.remove_flag("b");
    provider.remove_flag("b");
    assert_eq!(
        taken(&seen),
        ["c PROVIDER_CONFIGURATION_CHANGED in-memory [\"b\"] None"]
    );
    assert_eq!(
        client.details(&key, &Context::anonymous()).error_code(),
        Some(ErrorCode::FlagNotFound)
    );
}

#[test]
fn shutdown_returns_providers_to_not_ready() {
    let _clean = clean();
    let memory = InMemory::new([("x", flag("a"))]);
    let memory_client = memory.client();
    let in_process = Client::builder()
        .in_process(source::json(
            r#"{"flags": {"x": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}}}"#,
        ))
        .build()
        .unwrap();
    let test = Client::for_tests();
    assert_eq!(in_process.status(), ProviderStatus::Ready);

    memory_client.shutdown();
    assert_eq!(memory_client.status(), ProviderStatus::NotReady);
    assert_eq!(memory.status(), ProviderStatus::NotReady);
    let key = FlagKey::<i64>::new("x", 9);
    let details = memory_client.details(&key, &Context::anonymous());
    assert_eq!(
        (details.value, details.error_code()),
        (9, Some(ErrorCode::ProviderNotReady))
    );

    // The API shuts every live provider down and forgets its handlers.
    let seen = Seen::default();
    api().on(ProviderEvent::Ready, recorder(&seen, "api"));
    assert!(!taken(&seen).is_empty());
    api().shutdown();
    assert_eq!(in_process.status(), ProviderStatus::NotReady);
    assert_eq!(test.status(), ProviderStatus::NotReady);
    memory.emit(EventDetails::new(ProviderEvent::Ready, "in-memory"));
    assert_eq!(memory.status(), ProviderStatus::Ready);
    assert!(taken(&seen).is_empty(), "handlers were removed");
}
