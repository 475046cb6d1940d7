//! `FlagsProvider` read through the `open-feature` crate's own API and client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use flags_openfeature::FlagsProvider;
use flags_runtime::provider::{Configuration, Provider, Resolution, View};
use flags_runtime::{
    Client, Context, ErrorCode, Events, FlagMetadata, InMemory, InMemoryFlag, MetadataValue,
    ProviderStatus, Reason,
};
use open_feature::provider::{FeatureProvider, ProviderStatus as OfStatus};
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue as Field, EvaluationDetails, EvaluationError,
    EvaluationErrorCode, EvaluationReason, FlagMetadataValue, HookContext, HookHints, OpenFeature,
    StructValue, Value as OfValue,
};

const FLAGS: &str = r#"{
  "flags": {
    "dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
                  "metadata": {"owner": "web", "version": 3}},
    "limit": {"state": "ENABLED", "variants": {"small": 10, "large": 100}, "defaultVariant": "small",
              "targeting": {"if": [{"==": [{"var": "plan"}, "premium"]}, "large"]}},
    "ratio": {"state": "ENABLED", "variants": {"low": 0.25, "high": 0.75}, "defaultVariant": "low"},
    "colour": {"state": "ENABLED", "variants": {"red": "red", "blue": "blue"}, "defaultVariant": "red",
               "targeting": {"if": [{"==": [{"var": "account.tier"}, "gold"]}, "blue",
                                    {"in": ["beta", {"var": "groups"}]}, "blue"]}},
    "layout": {"state": "ENABLED", "variants": {"a": {"columns": 2, "title": "A", "tags": ["x", "y"]}},
               "defaultVariant": "a"},
    "off": {"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "broken": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
               "targeting": {"no-such-operator": [1]}}
  }
}"#;

fn client() -> Client {
    Client::builder()
        .in_process(flags_runtime::source::json(FLAGS))
        .build()
        .expect("the flags load")
}

/// An OpenFeature API instance (not the singleton, so tests run side by side) with `provider`.
async fn openfeature(provider: FlagsProvider) -> open_feature::Client {
    let mut api = OpenFeature::default();
    api.set_provider(provider).await;
    api.create_client()
}

fn code<T>(result: Result<T, EvaluationError>) -> EvaluationErrorCode {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.code,
    }
}

#[tokio::test]
async fn one_line_on_the_singleton() {
    OpenFeature::singleton_mut()
        .await
        .set_provider(FlagsProvider::new(client()))
        .await;
    let of = OpenFeature::singleton().await.create_client();
    assert_eq!(of.get_bool_value("dark-mode", None, None).await, Ok(true));
    assert_eq!(
        OpenFeature::singleton()
            .await
            .provider_metadata()
            .await
            .name,
        "flags"
    );
}

#[tokio::test]
async fn every_type_with_variant_reason_and_metadata() {
    let of = openfeature(FlagsProvider::new(client())).await;

    let dark = of.get_bool_details("dark-mode", None, None).await.unwrap();
    assert!(dark.value);
    assert_eq!(dark.variant.as_deref(), Some("on"));
    assert_eq!(dark.reason, Some(EvaluationReason::Static));
    assert_eq!(
        dark.flag_metadata.values.get("owner"),
        Some(&FlagMetadataValue::String("web".into()))
    );
    assert_eq!(
        dark.flag_metadata.values.get("version"),
        Some(&FlagMetadataValue::Int(3))
    );

    let limit = of.get_int_details("limit", None, None).await.unwrap();
    assert_eq!((limit.value, limit.variant.as_deref()), (10, Some("small")));
    assert_eq!(limit.reason, Some(EvaluationReason::Default));

    let ratio = of.get_float_value("ratio", None, None).await;
    assert_eq!(ratio, Ok(0.25));

    let colour = of.get_string_value("colour", None, None).await;
    assert_eq!(colour.as_deref(), Ok("red"));

    let layout = of
        .get_struct_details::<StructValue>("layout", None, None)
        .await
        .unwrap();
    assert_eq!(layout.variant.as_deref(), Some("a"));
    let expected = StructValue::default()
        .with_field("columns", 2)
        .with_field("title", "A")
        .with_field(
            "tags",
            OfValue::Array(vec![OfValue::from("x"), OfValue::from("y")]),
        );
    assert_eq!(layout.value, expected);

    // A disabled flag: the crate's provider interface has no default, so the type's zero value
    // with reason DISABLED.
    let off = of.get_bool_details("off", None, None).await.unwrap();
    assert_eq!(
        (off.value, off.reason),
        (false, Some(EvaluationReason::Disabled))
    );
}

#[tokio::test]
async fn context_attributes_reach_targeting_rules() {
    let of = openfeature(FlagsProvider::new(client())).await;

    let premium = EvaluationContext::default()
        .with_targeting_key("user-1")
        .with_custom_field("plan", "premium");
    let limit = of
        .get_int_details("limit", Some(&premium), None)
        .await
        .unwrap();
    assert_eq!(
        (limit.value, limit.reason),
        (100, Some(EvaluationReason::TargetingMatch))
    );

    // A nested structure, as the crate carries one: an `open_feature::Value` in a Struct field.
    let gold = EvaluationContext::default().with_custom_field(
        "account",
        Field::new_struct(OfValue::Struct(
            StructValue::default().with_field("tier", "gold"),
        )),
    );
    assert_eq!(
        of.get_string_value("colour", Some(&gold), None)
            .await
            .as_deref(),
        Ok("blue")
    );
    // A nested serde_json value works too.
    let gold = EvaluationContext::default().with_custom_field(
        "account",
        Field::new_struct(serde_json::json!({"tier": "gold"})),
    );
    assert_eq!(
        of.get_string_value("colour", Some(&gold), None)
            .await
            .as_deref(),
        Ok("blue")
    );
    // A list.
    let beta = EvaluationContext::default().with_custom_field(
        "groups",
        Field::new_struct(vec![OfValue::from("staff"), OfValue::from("beta")]),
    );
    assert_eq!(
        of.get_string_value("colour", Some(&beta), None)
            .await
            .as_deref(),
        Ok("blue")
    );
    let neither = EvaluationContext::default().with_custom_field("plan", "free");
    assert_eq!(
        of.get_string_value("colour", Some(&neither), None)
            .await
            .as_deref(),
        Ok("red")
    );

    // The client's context (OpenFeature's merging) reaches the rule as well.
    let mut of = of;
    of.set_evaluation_context(EvaluationContext::default().with_custom_field("plan", "premium"));
    assert_eq!(of.get_int_value("limit", None, None).await, Ok(100));
}

/// A provider of our own (a real implementation of our trait) answering each error code by
/// the flag's key.
struct Failing(Events);

impl Configuration for Failing {
    fn resolve(&self, flag: &str, _ctx: &Context) -> Resolution {
        let code = match flag {
            "targeting-key-missing" => ErrorCode::TargetingKeyMissing,
            "invalid-context" => ErrorCode::InvalidContext,
            "provider-fatal" => ErrorCode::ProviderFatal,
            _ => ErrorCode::General,
        };
        Resolution::error(code, format!("{flag} failed"))
    }
}

impl Provider for Failing {
    fn events(&self) -> &Events {
        &self.0
    }
    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        read(View::of(self))
    }
}

#[tokio::test]
async fn every_error_code() {
    let of = openfeature(FlagsProvider::new(client())).await;
    assert_eq!(
        code(of.get_bool_value("missing", None, None).await),
        EvaluationErrorCode::FlagNotFound
    );
    assert_eq!(
        code(of.get_int_value("dark-mode", None, None).await),
        EvaluationErrorCode::TypeMismatch
    );
    // A flag whose value is not a structure, read as one.
    assert_eq!(
        code(
            of.get_struct_value::<StructValue>("colour", None, None)
                .await
        ),
        EvaluationErrorCode::TypeMismatch
    );
    let broken = of.get_bool_value("broken", None, None).await.unwrap_err();
    assert_eq!(broken.code, EvaluationErrorCode::ParseError);
    assert!(broken.message.is_some_and(|m| !m.is_empty()));

    // A nested value of a type we cannot read: INVALID_CONTEXT, naming the attribute.
    #[derive(Debug)]
    struct Opaque;
    let odd = EvaluationContext::default().with_custom_field("thing", Field::new_struct(Opaque));
    let invalid = of
        .get_bool_value("dark-mode", Some(&odd), None)
        .await
        .unwrap_err();
    assert_eq!(invalid.code, EvaluationErrorCode::InvalidContext);
    assert!(invalid.message.unwrap().contains("`thing`"));

    // Codes a rule or a service answers, through a provider of our own.
    let failing = Client::builder()
        .provider(Failing(Events::new("failing", ProviderStatus::Ready)))
        .build()
        .unwrap();
    let of = openfeature(FlagsProvider::new(failing)).await;
    for (key, expected) in [
        (
            "targeting-key-missing",
            EvaluationErrorCode::TargetingKeyMissing,
        ),
        ("invalid-context", EvaluationErrorCode::InvalidContext),
        ("general", EvaluationErrorCode::General("GENERAL".into())),
        (
            "provider-fatal",
            EvaluationErrorCode::General("PROVIDER_FATAL".into()),
        ),
    ] {
        let error = of.get_string_value(key, None, None).await.unwrap_err();
        assert_eq!(error.code, expected, "{key}");
        assert_eq!(error.message.as_deref(), Some(&*format!("{key} failed")));
    }

    // A provider that is not ready.
    let memory = InMemory::new([("x", InMemoryFlag::new([("on", true)]).default_variant("on"))]);
    let not_ready = FlagsProvider::new(memory.with_status(ProviderStatus::NotReady).client())
        .ready_timeout(std::time::Duration::ZERO);
    assert_eq!(not_ready.status(), OfStatus::NotReady);
    let of = openfeature(not_ready).await;
    assert_eq!(
        code(of.get_bool_value("x", None, None).await),
        EvaluationErrorCode::ProviderNotReady
    );
}

#[tokio::test]
async fn every_reason() {
    let reasons = [
        (Reason::Static, EvaluationReason::Static),
        (Reason::Default, EvaluationReason::Default),
        (Reason::TargetingMatch, EvaluationReason::TargetingMatch),
        (Reason::Split, EvaluationReason::Split),
        (Reason::Cached, EvaluationReason::Cached),
        (Reason::Unknown, EvaluationReason::Unknown),
        (Reason::Stale, EvaluationReason::Other("STALE".into())),
        (
            Reason::Other("PINNED".into()),
            EvaluationReason::Other("PINNED".into()),
        ),
    ];
    for (ours, theirs) in reasons {
        let flag = InMemoryFlag::new([("on", true)])
            .default_variant("on")
            .resolver(move |_| (Some("on".into()), ours.clone()));
        let memory = InMemory::new([("f", flag)]);
        let of = openfeature(FlagsProvider::new(memory.client())).await;
        let details = of.get_bool_details("f", None, None).await.unwrap();
        assert_eq!(details.reason, Some(theirs));
        assert!(details.value);
    }
    // DISABLED, from a disabled flag (above), and ERROR, which the crate's client reports as
    // an `Err` with the code.
}

#[tokio::test]
async fn metadata_of_every_kind() {
    let metadata = FlagMetadata::new(
        [
            ("b".to_owned(), MetadataValue::Bool(true)),
            ("i".to_owned(), MetadataValue::Int(-4)),
            ("f".to_owned(), MetadataValue::Float(0.5)),
            ("s".to_owned(), MetadataValue::String("x".into())),
        ]
        .into(),
    );
    let flag = InMemoryFlag::new([("on", 1)])
        .default_variant("on")
        .metadata(metadata);
    let of = openfeature(FlagsProvider::new(InMemory::new([("f", flag)]).client())).await;
    let details = of.get_int_details("f", None, None).await.unwrap();
    let expected: HashMap<String, FlagMetadataValue> = [
        ("b".to_owned(), FlagMetadataValue::Bool(true)),
        ("i".to_owned(), FlagMetadataValue::Int(-4)),
        ("f".to_owned(), FlagMetadataValue::Float(0.5)),
        ("s".to_owned(), FlagMetadataValue::String("x".into())),
    ]
    .into();
    assert_eq!(details.flag_metadata.values, expected);
}

#[tokio::test]
async fn provider_metadata_and_status() {
    let provider = FlagsProvider::new(client()).named("checkout-flags");
    assert_eq!(provider.metadata().name, "checkout-flags");
    assert_eq!(provider.status(), OfStatus::Ready);
    let flags_client = provider.client().clone();
    let mut api = OpenFeature::default();
    api.set_named_provider("checkout", provider).await;
    assert_eq!(
        api.named_provider_metadata("checkout")
            .await
            .map(|m| m.name),
        Some("checkout-flags".into())
    );
    // The status is the client's, read live: shut down, NOT_READY, and reads say so.
    flags_client.shutdown();
    assert_eq!(
        FlagsProvider::new(flags_client).status(),
        OfStatus::NotReady
    );
}

/// Records the stages it sees, in order.
#[derive(Clone)]
struct Trail(Arc<Mutex<Vec<String>>>);

impl Trail {
    fn push(&self, stage: &str) {
        self.0.lock().unwrap().push(stage.to_owned());
    }
}

#[open_feature::async_trait]
impl open_feature::Hook for Trail {
    async fn before<'a>(
        &self,
        _: &HookContext<'a>,
        _: Option<&'a HookHints>,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        self.push("openfeature before");
        Ok(None)
    }
    async fn after<'a>(
        &self,
        _: &HookContext<'a>,
        _: &EvaluationDetails<OfValue>,
        _: Option<&'a HookHints>,
    ) -> Result<(), EvaluationError> {
        self.push("openfeature after");
        Ok(())
    }
    async fn error<'a>(&self, _: &HookContext<'a>, _: &EvaluationError, _: Option<&'a HookHints>) {
        self.push("openfeature error");
    }
    async fn finally<'a>(
        &self,
        _: &HookContext<'a>,
        _: &EvaluationDetails<OfValue>,
        _: Option<&'a HookHints>,
    ) {
        self.push("openfeature finally");
    }
}

impl flags_runtime::Hook for Trail {
    fn before(
        &self,
        _: &mut flags_runtime::HookContext<'_>,
        _: &flags_runtime::HookHints,
    ) -> Result<Option<Context>, flags_runtime::EvaluationError> {
        self.push("flags before");
        Ok(None)
    }
    fn after(
        &self,
        _: &mut flags_runtime::HookContext<'_>,
        _: &flags_runtime::EvaluationDetails<flags_runtime::Value>,
        _: &flags_runtime::HookHints,
    ) -> Result<(), flags_runtime::EvaluationError> {
        self.push("flags after");
        Ok(())
    }
    fn finally(
        &self,
        _: &mut flags_runtime::HookContext<'_>,
        _: &flags_runtime::EvaluationDetails<flags_runtime::Value>,
        _: &flags_runtime::HookHints,
    ) {
        self.push("flags finally");
    }
}

#[tokio::test]
async fn our_hooks_run_inside_theirs() {
    let trail = Trail(Arc::default());
    let flags_client = client();
    flags_client.add_hook(trail.clone());
    let of = openfeature(FlagsProvider::new(flags_client))
        .await
        .with_hook(trail.clone());
    assert_eq!(of.get_bool_value("dark-mode", None, None).await, Ok(true));
    assert_eq!(
        *trail.0.lock().unwrap(),
        [
            "openfeature before",
            "flags before",
            "flags after",
            "flags finally",
            "openfeature after",
            "openfeature finally"
        ]
    );
}

/// A client that asks a service per evaluation: `FlagsProvider` reads it asynchronously, with
/// the OpenFeature context, here against a scripted OFREP server on loopback.
#[tokio::test]
async fn a_remote_per_evaluation_client_is_asked_with_the_context() {
    use flags_test_support::server::{Reply, Server};
    let service = Server::start(Reply::json(
        r#"{"key": "search-v2", "value": true, "reason": "TARGETING_MATCH", "variant": "on",
            "metadata": {"team": "search"}}"#,
    ));
    let remote = Client::builder()
        .remote(flags_runtime::remote::ofrep(service.url("")))
        .build()
        .unwrap();
    let of = openfeature(FlagsProvider::new(remote)).await;
    let ctx = EvaluationContext::default()
        .with_targeting_key("ada")
        .with_custom_field("plan", "premium");
    let details = of
        .get_bool_details("search-v2", Some(&ctx), None)
        .await
        .unwrap();
    assert!(details.value);
    assert_eq!(details.variant.as_deref(), Some("on"));
    assert_eq!(details.reason, Some(EvaluationReason::TargetingMatch));
    assert_eq!(
        details.flag_metadata.values.get("team"),
        Some(&FlagMetadataValue::String("search".into()))
    );
    let exchanges = service.exchanges();
    assert_eq!(exchanges.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&exchanges[0].request.body).unwrap();
    assert_eq!(body["context"]["targetingKey"], "ada");
    assert_eq!(body["context"]["plan"], "premium");
}

/// A provider of our own that loads when waited for: not ready until `wait_ready` is called.
struct LoadsOnWait {
    events: Events,
    waits: Arc<Mutex<Vec<std::time::Duration>>>,
}

impl Configuration for LoadsOnWait {
    fn resolve(&self, _flag: &str, _ctx: &Context) -> Resolution {
        Resolution::value(serde_json::json!(true), Reason::Static)
    }
}

impl Provider for LoadsOnWait {
    fn events(&self) -> &Events {
        &self.events
    }
    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        read(View::of(self))
    }
    fn wait_ready(&self, timeout: std::time::Duration) -> Result<(), flags_runtime::Error> {
        self.waits.lock().unwrap().push(timeout);
        self.events.emit(flags_runtime::EventDetails::new(
            flags_runtime::ProviderEvent::Ready,
            "loads-on-wait",
        ));
        Ok(())
    }
}

#[tokio::test]
async fn initialize_waits_for_a_client_that_is_not_ready() {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let client = Client::builder()
        .provider(LoadsOnWait {
            events: Events::new("loads-on-wait", ProviderStatus::NotReady),
            waits: waits.clone(),
        })
        .build()
        .unwrap();
    let provider = FlagsProvider::new(client).ready_timeout(std::time::Duration::from_secs(3));
    assert_eq!(provider.status(), OfStatus::NotReady);
    let mut api = OpenFeature::default();
    api.set_provider(provider).await;
    assert_eq!(*waits.lock().unwrap(), [std::time::Duration::from_secs(3)]);
    let of = api.create_client();
    assert_eq!(of.get_bool_value("anything", None, None).await, Ok(true));

    // A ready client is not waited for.
    let waits = Arc::new(Mutex::new(Vec::new()));
    let ready = Client::builder()
        .provider(LoadsOnWait {
            events: Events::new("loads-on-wait", ProviderStatus::Ready),
            waits: waits.clone(),
        })
        .build()
        .unwrap();
    OpenFeature::default()
        .set_provider(FlagsProvider::new(ready))
        .await;
    assert!(waits.lock().unwrap().is_empty());
}
