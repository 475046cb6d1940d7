//! Local sources and the provider lifecycle: watched files, exact changed keys, rejected
//! updates, STALE after N failures, bootstrap, the persisted last-known-good copy, shutdown.

mod support;

use flags_runtime::{
    Client, Context, Error, ErrorCode, FlagKey, ProviderEvent, ProviderStatus, Reason, WarningKind,
    source,
};
use support::{TempDir, limit, record};

fn ctx() -> Context {
    Context::new("user-1")
}

fn key() -> FlagKey<i64> {
    FlagKey::<i64>::new("limit", 1)
}

#[test]
fn a_watched_file_picks_up_an_edit_saved_by_rename() {
    let dir = TempDir::new("watch-rename");
    let path = dir.write("flags.json", &limit("large", ""));
    let client = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap();
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready, "late handler");
    assert_eq!(client.value(key(), &ctx()), 100);

    dir.replace("flags.json", &limit("small", ""));
    let changed = events.next_of(ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["limit"]);
    assert_eq!(client.value(key(), &ctx()), 10);

    // And again: the watch survives the file being replaced.
    dir.replace(
        "flags.json",
        &limit(
            "small",
            r#", "new": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}"#,
        ),
    );
    let changed = events.next_of(ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["new"]);
    assert!(client.value(FlagKey::<bool>::new("new", false), &ctx()));
}

#[test]
fn a_watched_file_picks_up_an_edit_in_place() {
    let dir = TempDir::new("watch-in-place");
    let path = dir.write("flags.json", &limit("large", ""));
    let client = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap();
    let events = record(&client);
    dir.write("flags.json", &limit("small", ""));
    let changed = events.next_of(ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["limit"]);
    assert_eq!(client.value(key(), &ctx()), 10);
}

const V1: &str = r#"{"$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@example.com"]},
                                     "other": {"==": [1, 1]}},
  "flags": {
    "same": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "value-changes": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"},
    "removed": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
    "metadata-changes": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
                         "metadata": {"owner": "web"}},
    "state-changes": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
    "rule-changes": {"state": "ENABLED", "variants": {"on": true, "off": false},
                     "defaultVariant": "off", "targeting": {"if": [{"==": [{"var": "tier"}, "gold"]}, "on", null]}},
    "evaluator-changes": {"state": "ENABLED", "variants": {"on": true, "off": false},
                          "defaultVariant": "off", "targeting": {"if": [{"$ref": "staff"}, "on", null]}},
    "other-evaluator": {"state": "ENABLED", "variants": {"on": true, "off": false},
                        "defaultVariant": "off", "targeting": {"if": [{"$ref": "other"}, "on", null]}}
  }}"#;

const V2: &str = r#"{"$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@example.org"]},
                                     "other": {"==": [1, 1]}},
  "flags": {
    "same": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "value-changes": {"state": "ENABLED", "variants": {"a": 1, "b": 3}, "defaultVariant": "a"},
    "metadata-changes": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
                         "metadata": {"owner": "mobile"}},
    "state-changes": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"},
    "rule-changes": {"state": "ENABLED", "variants": {"on": true, "off": false},
                     "defaultVariant": "off", "targeting": {"if": [{"==": [{"var": "tier"}, "silver"]}, "on", null]}},
    "evaluator-changes": {"state": "ENABLED", "variants": {"on": true, "off": false},
                          "defaultVariant": "off", "targeting": {"if": [{"$ref": "staff"}, "on", null]}},
    "other-evaluator": {"state": "ENABLED", "variants": {"on": true, "off": false},
                        "defaultVariant": "off", "targeting": {"if": [{"$ref": "other"}, "on", null]}},
    "added": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}
  }}"#;

#[test]
fn configuration_changed_lists_exactly_the_keys_added_removed_or_modified() {
    let dir = TempDir::new("changed-keys");
    let path = dir.write("flags.json", V1);
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    dir.write("flags.json", V2);
    client.refresh().unwrap();
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(
        changed.flags_changed,
        [
            "added",
            "evaluator-changes",
            "metadata-changes",
            "removed",
            "rule-changes",
            "state-changes",
            "value-changes",
        ]
    );
    assert_eq!(client.status(), ProviderStatus::Ready);

    // The same content again (even written anew) changes nothing: no event.
    dir.write("flags.json", V2);
    client.refresh().unwrap();
    // Back to V1: the same keys, by content.
    dir.write("flags.json", V1);
    client.refresh().unwrap();
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(
        changed.flags_changed.len(),
        7,
        "{:?}",
        changed.flags_changed
    );
    assert!(events.drain().is_empty());
}

/// What flagd rejects too: a state that is neither `ENABLED` nor `DISABLED`.
const INVALID: &str = r#"{"flags": {
  "limit": {"state": "ENABLED", "variants": {"small": 10, "large": 100}, "defaultVariant": "large"},
  "broken": {"state": "ON", "variants": {"on": true}, "defaultVariant": "on"}
}}"#;

/// A flag whose `sem_ver` call has an unknown operator (null when evaluated) and one whose
/// variants have two types: flagd loads both.
const SUSPICIOUS: &str = r#"{"flags": {
  "limit": {"state": "ENABLED", "variants": {"small": 10, "large": 100}, "defaultVariant": "large",
            "targeting": {"if": [{"sem_ver": [{"var": "version"}, "==", "2.0.0"]}, "small"]}},
  "mixed": {"state": "ENABLED", "variants": {"on": true, "count": 3}, "defaultVariant": "on"}
}}"#;

#[test]
fn what_flagd_loads_loads_with_warnings_in_the_events() {
    let dir = TempDir::new("warnings");
    let path = dir.write("flags.json", SUSPICIOUS);
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let events = record(&client);
    let ready = events.next();
    assert_eq!(ready.event, ProviderEvent::Ready);
    let warnings: Vec<String> = ready.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("flag `mixed`: variants must all have one type"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("flag `limit`: unknown `sem_ver` operator `==`"),
        "{warnings:?}"
    );
    assert_eq!(ready.warnings[1].kind, WarningKind::AlwaysNull);
    // The flags serve: the malformed call is null, so the `if` gives null and the default
    // variant serves.
    let details = client.details(key(), &ctx().with("version", "2.0.0"));
    assert_eq!((details.value, details.reason), (100, Reason::Default));

    // An update: CONFIGURATION_CHANGED carries the warnings of the new configuration.
    dir.write("flags.json", &SUSPICIOUS.replace(r#""==""#, r#""=""#));
    client.refresh().unwrap();
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["limit"]);
    assert_eq!(changed.warnings.len(), 1, "{:?}", changed.warnings);
    assert_eq!(changed.warnings[0].flag.as_deref(), Some("mixed"));
    assert_eq!(client.value(key(), &ctx().with("version", "2.0.0")), 10);

    // A handler added now gets READY at once, with the warnings of what serves.
    let late = record(&client);
    assert_eq!(late.next().warnings, changed.warnings);

    // A clean configuration: no warnings.
    dir.write("flags.json", &limit("small", ""));
    client.refresh().unwrap();
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert!(changed.warnings.is_empty(), "{:?}", changed.warnings);
}

#[test]
fn an_invalid_update_is_rejected_whole_with_an_error_event_saying_why() {
    let dir = TempDir::new("invalid");
    let path = dir.write("flags.json", &limit("large", ""));
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    dir.write("flags.json", INVALID);
    let error = client.refresh().unwrap_err();
    assert!(error.to_string().contains("`broken`"), "{error}");
    let event = events.next();
    assert_eq!(event.event, ProviderEvent::Error);
    assert_eq!(event.error_code, Some(ErrorCode::ParseError));
    let message = event.message.unwrap();
    assert!(message.contains("`broken`"), "{message}");
    assert!(message.contains("flags.json"), "{message}");
    assert_eq!(client.status(), ProviderStatus::Error);
    // The previous configuration serves, whole.
    assert_eq!(client.value(key(), &ctx()), 100);
    assert_eq!(client.flag_count(), 1);
    let details = client.details(key(), &ctx());
    assert_eq!(details.reason, Reason::Static);

    // The same problem again is not reported twice.
    client.refresh().unwrap_err();
    assert!(events.drain().is_empty());

    // A good file: READY, then the change.
    dir.write("flags.json", &limit("small", ""));
    client.refresh().unwrap();
    assert_eq!(events.next().event, ProviderEvent::Ready);
    let changed = events.next();
    assert_eq!(changed.event, ProviderEvent::ConfigurationChanged);
    assert_eq!(changed.flags_changed, ["limit"]);
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert_eq!(client.value(key(), &ctx()), 10);
}

#[test]
fn stale_after_n_consecutive_failures_then_ready_on_recovery() {
    let dir = TempDir::new("stale");
    let path = dir.write("flags.json", &limit("large", ""));
    let client = Client::builder()
        .in_process(source::file(&path).watch(false).stale_after(2))
        .build()
        .unwrap();
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);

    std::fs::remove_file(&path).unwrap();
    client.refresh().unwrap_err();
    assert_eq!(client.status(), ProviderStatus::Ready, "one failure");
    assert!(events.drain().is_empty());
    client.refresh().unwrap_err();
    let stale = events.next();
    assert_eq!(stale.event, ProviderEvent::Stale);
    assert!(
        stale.message.as_deref().unwrap().contains("2 times"),
        "{stale:?}"
    );
    assert_eq!(client.status(), ProviderStatus::Stale);
    client.refresh().unwrap_err();
    assert!(events.drain().is_empty(), "stale once");
    assert_eq!(client.value(key(), &ctx()), 100, "the last configuration");

    dir.write("flags.json", &limit("large", ""));
    client.refresh().unwrap();
    assert_eq!(events.next().event, ProviderEvent::Ready);
    assert!(events.drain().is_empty(), "same content: no change event");
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn default_stale_after_is_three() {
    let dir = TempDir::new("stale-default");
    let path = dir.write("flags.json", &limit("large", ""));
    let client = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    for expected in [
        ProviderStatus::Ready,
        ProviderStatus::Ready,
        ProviderStatus::Stale,
    ] {
        client.refresh().unwrap_err();
        assert_eq!(client.status(), expected);
    }
}

#[test]
fn bootstrap_serves_while_the_file_cannot_be_read() {
    let dir = TempDir::new("bootstrap");
    let path = dir.path().join("flags.json");
    let client = Client::builder()
        .in_process(
            source::file(&path)
                .debounce(std::time::Duration::from_millis(10))
                .bootstrap(limit("small", "")),
        )
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::Error);
    let details = client.details(key(), &ctx());
    assert_eq!((details.value, details.reason), (10, Reason::Static));
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Error, "late handler");

    // The file appears: it serves from then on.
    dir.replace("flags.json", &limit("large", ""));
    assert_eq!(
        events.next_of(ProviderEvent::Ready).event,
        ProviderEvent::Ready
    );
    assert_eq!(client.value(key(), &ctx()), 100);
    assert_eq!(client.status(), ProviderStatus::Ready);
}

#[test]
fn an_invalid_bootstrap_is_a_setup_error() {
    let error = Client::builder()
        .in_process(source::file("/nonexistent/flags.json").bootstrap(r#"{"flags": {"x": 1}}"#))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");
    assert!(error.to_string().contains("bootstrap"), "{error}");
}

#[test]
fn the_persisted_copy_serves_as_stale_when_the_file_is_gone_at_start() {
    let dir = TempDir::new("persist-file");
    let path = dir.write("flags.json", &limit("small", ""));
    let lkg = dir.path().join("cache").join("lkg.json");
    {
        let client = Client::builder()
            .in_process(source::file(&path).watch(false).persist(&lkg))
            .build()
            .unwrap();
        assert_eq!(client.value(key(), &ctx()), 10);
    }
    assert!(lkg.exists());
    std::fs::remove_file(&path).unwrap();

    let client = Client::builder()
        .in_process(source::file(&path).watch(false).persist(&lkg))
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::Stale);
    // Twice through one key: the second read is answered from the key's slot, stale too.
    let read = key();
    for _ in 0..2 {
        let details = client.details(&read, &ctx());
        assert_eq!(details.value, 10);
        assert_eq!(details.reason, Reason::Stale);
        assert_eq!(details.variant.as_deref(), Some("small"));
    }
    let error = client.wait_ready(std::time::Duration::ZERO).unwrap_err();
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

    // Without a persisted copy, the same start is an error.
    let error = Client::builder()
        .in_process(source::file(&path).watch(false))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");

    // The source back: fresh values, normal reasons, READY.
    dir.write("flags.json", &limit("large", ""));
    client.refresh().unwrap();
    let details = client.details(key(), &ctx());
    assert_eq!((details.value, details.reason), (100, Reason::Static));
    assert_eq!(client.status(), ProviderStatus::Ready);
    assert!(client.wait_ready(std::time::Duration::ZERO).is_ok());
}

#[test]
fn an_unreadable_persisted_copy_is_skipped() {
    let dir = TempDir::new("persist-bad");
    let lkg = dir.write("lkg.json", "not json");
    let path = dir.path().join("flags.json");
    let error = Client::builder()
        .in_process(source::file(&path).persist(&lkg))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Load { .. }), "{error:?}");
}

#[test]
fn shutdown_returns_to_not_ready_and_reads_answer_provider_not_ready() {
    let dir = TempDir::new("shutdown-file");
    let path = dir.write("flags.json", &limit("large", ""));
    let client = Client::builder()
        .in_process(source::file(&path))
        .build()
        .unwrap();
    assert!(client.wait_ready(std::time::Duration::ZERO).is_ok());
    let clone = client.clone();
    client.shutdown();
    client.shutdown();
    assert_eq!(clone.status(), ProviderStatus::NotReady);
    let details = clone.details(key(), &ctx());
    assert_eq!(details.value, 1);
    assert_eq!(details.error_code(), Some(ErrorCode::ProviderNotReady));
    assert!(matches!(clone.refresh(), Err(Error::ShutDown)));
}

#[test]
fn inline_json_is_ready_and_refresh_changes_nothing() {
    let client = Client::builder()
        .in_process(source::json(limit("large", "")))
        .build()
        .unwrap();
    let events = record(&client);
    assert_eq!(events.next().event, ProviderEvent::Ready);
    client.refresh().unwrap();
    assert!(events.drain().is_empty());
    assert!(format!("{:?}", source::file("x.json").watch(false)).contains("x.json"));
}

#[test]
fn a_directory_that_cannot_be_watched_does_not_stop_the_bootstrap_from_serving() {
    let dir = TempDir::new("unwatchable");
    let path = dir.path().join("missing-dir").join("flags.json");
    let client = Client::builder()
        .in_process(source::file(&path).bootstrap(limit("small", "")))
        .build()
        .unwrap();
    assert_eq!(client.status(), ProviderStatus::Error);
    assert_eq!(client.value(key(), &ctx()), 10);
    // `refresh` still reads it once it exists.
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, limit("large", "")).unwrap();
    client.refresh().unwrap();
    assert_eq!(client.value(key(), &ctx()), 100);
    assert_eq!(client.status(), ProviderStatus::Ready);
}
