//! `OpenFeatureProvider`: OpenFeature providers behind our typed client. One provider written
//! here (a real implementation of the crate's trait), and our own `FlagsProvider` round-tripped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flags_openfeature::{FlagsProvider, OpenFeatureProvider};
use flags_runtime::{
    Client, Context, ErrorCode, EvaluationDetails, FlagKey, FlagValue, ProviderEvent,
    ProviderStatus, Reason, Value,
};
use open_feature::provider::{
    FeatureProvider, ProviderMetadata, ProviderStatus as OfStatus, ResolutionDetails,
};
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue as Field, EvaluationError, EvaluationErrorCode,
    EvaluationReason, EvaluationResult, FlagMetadata, StructValue, Value as OfValue,
};

/// A catalogue of flags: `beta` is on for plan `premium` (read at the top level or nested in
/// `account`); `hang` never answers; every call is counted.
struct Catalogue {
    metadata: ProviderMetadata,
    status: Arc<Mutex<OfStatus>>,
    calls: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<EvaluationContext>>>,
}

impl Catalogue {
    fn new() -> Catalogue {
        Catalogue {
            metadata: ProviderMetadata::new("catalogue"),
            status: Arc::new(Mutex::new(OfStatus::Ready)),
            calls: Arc::default(),
            seen: Arc::default(),
        }
    }

    fn value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<(OfValue, &'static str)> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push(ctx.clone());
        let premium = |ctx: &EvaluationContext| {
            if ctx.custom_fields.get("plan").and_then(Field::as_str) == Some("premium") {
                return true;
            }
            let Some(Field::Struct(account)) = ctx.custom_fields.get("account") else {
                return false;
            };
            account
                .downcast_ref::<OfValue>()
                .and_then(OfValue::as_struct)
                .and_then(|s| s.fields.get("plan"))
                .and_then(OfValue::as_str)
                == Some("premium")
        };
        Ok(match key {
            "beta" if premium(ctx) => (OfValue::Bool(true), "on"),
            "beta" => (OfValue::Bool(false), "off"),
            "limit" => (OfValue::Int(100), "large"),
            "ratio" => (OfValue::Float(0.5), "half"),
            "theme" => (OfValue::String("dark".into()), "dark"),
            "layout" => (
                OfValue::Struct(
                    StructValue::default()
                        .with_field("columns", 3)
                        .with_field("title", "Wide"),
                ),
                "wide",
            ),
            "fatal" => {
                return Err(EvaluationError {
                    code: EvaluationErrorCode::General("PROVIDER_FATAL".into()),
                    message: Some("credentials refused".into()),
                });
            }
            _ => {
                return Err(EvaluationError {
                    code: EvaluationErrorCode::FlagNotFound,
                    message: Some(format!("no flag `{key}`")),
                });
            }
        })
    }

    fn typed<T>(
        &self,
        key: &str,
        ctx: &EvaluationContext,
        read: impl FnOnce(OfValue) -> Option<T>,
    ) -> EvaluationResult<ResolutionDetails<T>> {
        let (value, variant) = self.value(key, ctx)?;
        let value = read(value).ok_or(EvaluationError {
            code: EvaluationErrorCode::TypeMismatch,
            message: Some(format!("`{key}` is of another type")),
        })?;
        Ok(ResolutionDetails {
            value,
            variant: Some(variant.into()),
            reason: Some(if key == "beta" {
                EvaluationReason::TargetingMatch
            } else {
                EvaluationReason::Static
            }),
            flag_metadata: Some(FlagMetadata::default().with_value("source", "catalogue")),
        })
    }
}

#[open_feature::async_trait]
impl FeatureProvider for Catalogue {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    fn status(&self) -> OfStatus {
        match *self.status.lock().unwrap() {
            OfStatus::NotReady => OfStatus::NotReady,
            OfStatus::Ready => OfStatus::Ready,
            OfStatus::Error => OfStatus::Error,
            OfStatus::STALE => OfStatus::STALE,
        }
    }

    async fn resolve_bool_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        self.typed(key, ctx, |v| v.as_bool())
    }

    async fn resolve_int_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.typed(key, ctx, |v| v.as_i64())
    }

    async fn resolve_float_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.typed(key, ctx, |v| v.as_f64())
    }

    async fn resolve_string_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        if key == "hang" {
            std::future::pending::<()>().await;
        }
        self.typed(key, ctx, |v| v.as_str().map(str::to_owned))
    }

    async fn resolve_struct_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        self.typed(key, ctx, |v| v.as_struct().cloned())
    }
}

fn client_over(catalogue: Catalogue) -> Client {
    Client::builder()
        .provider(OpenFeatureProvider::new(catalogue))
        .build()
        .expect("the client builds")
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct Layout {
    columns: u32,
    title: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Theme {
    Dark,
    Light,
}

#[tokio::test]
async fn every_type_through_the_async_reads() {
    let catalogue = Catalogue::new();
    let calls = catalogue.calls.clone();
    let client = client_over(catalogue);
    let user = Context::new("user-1");

    let beta = client
        .details_async(&FlagKey::new("beta", true), &user)
        .await;
    assert_eq!(
        (beta.value, beta.variant.as_deref(), &beta.reason),
        (false, Some("off"), &Reason::TargetingMatch)
    );
    assert_eq!(
        beta.flag_metadata.get("source"),
        Some(&flags_runtime::MetadataValue::String("catalogue".into()))
    );
    assert_eq!(
        client
            .value_async(&FlagKey::new("limit", 0i64), &user)
            .await,
        100
    );
    assert_eq!(
        client
            .value_async(&FlagKey::new("limit", 0u32), &user)
            .await,
        100
    );
    assert_eq!(
        client.value_async(&FlagKey::new("ratio", 0.0), &user).await,
        0.5
    );
    assert_eq!(
        client
            .value_async(&FlagKey::new("theme", String::new()), &user)
            .await,
        "dark"
    );
    // A serde structure: asked as a structure.
    let layout = client
        .details_async(
            &FlagKey::new(
                "layout",
                Layout {
                    columns: 1,
                    title: "x".into(),
                },
            ),
            &user,
        )
        .await;
    assert_eq!(
        layout.value,
        Layout {
            columns: 3,
            title: "Wide".into()
        }
    );
    assert_eq!(layout.reason, Reason::Static);
    // An enum read from a string flag: the structure answers TYPE_MISMATCH, the string serves.
    let before = calls.load(Ordering::SeqCst);
    assert_eq!(
        client
            .value_async(&FlagKey::new("theme", Theme::Light), &user)
            .await,
        Theme::Dark
    );
    assert_eq!(
        calls.load(Ordering::SeqCst) - before,
        2,
        "struct, then string"
    );
    // JSON, as such.
    assert_eq!(
        client
            .value_async(&FlagKey::new("layout", serde_json::Value::Null), &user)
            .await,
        serde_json::json!({"columns": 3, "title": "Wide"})
    );
}

#[tokio::test]
async fn context_reaches_the_provider_nested_values_included() {
    let catalogue = Catalogue::new();
    let seen = catalogue.seen.clone();
    let client = client_over(catalogue);
    let beta = FlagKey::new("beta", false);
    assert!(
        client
            .value_async(&beta, &Context::new("u").with("plan", "premium"))
            .await
    );
    let nested = Context::new("u").with(
        "account",
        Value::from(serde_json::json!({"plan": "premium", "seats": [1, 2]})),
    );
    assert!(client.value_async(&beta, &nested).await);
    assert!(
        !client
            .value_async(&beta, &Context::new("u").with("plan", "free"))
            .await
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen[1].targeting_key.as_deref(), Some("u"));
    let Some(Field::Struct(account)) = seen[1].custom_fields.get("account") else {
        panic!("the nested attribute travels as a structure");
    };
    let account = account
        .downcast_ref::<OfValue>()
        .and_then(OfValue::as_struct)
        .unwrap();
    assert_eq!(
        account.fields.get("seats"),
        Some(&OfValue::Array(vec![OfValue::Int(1), OfValue::Int(2)]))
    );
}

#[tokio::test]
async fn errors_carry_their_codes() {
    let client = client_over(Catalogue::new());
    let user = Context::new("user-1");
    let missing = client
        .details_async(&FlagKey::new("nope", 7i64), &user)
        .await;
    assert_eq!(
        (missing.value, missing.error_code()),
        (7, Some(ErrorCode::FlagNotFound))
    );
    assert_eq!(missing.error_message(), Some("no flag `nope`"));
    let mismatch = client
        .details_async(&FlagKey::new("theme", 1i64), &user)
        .await;
    assert_eq!(mismatch.error_code(), Some(ErrorCode::TypeMismatch));
    let fatal = client
        .details_async(&FlagKey::new("fatal", false), &user)
        .await;
    assert_eq!(fatal.error_code(), Some(ErrorCode::ProviderFatal));
    assert_eq!(fatal.reason, Reason::Error);
}

#[tokio::test]
async fn the_sync_reads_say_to_use_the_async_ones() {
    let catalogue = Catalogue::new();
    let calls = catalogue.calls.clone();
    let client = client_over(catalogue);
    let details = client.details(FlagKey::new("beta", true), &Context::new("u"));
    assert!(details.value, "the caller's default");
    assert_eq!(details.error_code(), Some(ErrorCode::General));
    let message = details.error_message().unwrap();
    assert!(
        message.contains("`catalogue`") && message.contains("details_async"),
        "{message}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "a sync read never calls the provider"
    );
}

#[test]
fn the_blocking_reads_wait_for_the_provider() {
    let client = client_over(Catalogue::new()).blocking();
    let details = client.details(
        FlagKey::new("beta", false),
        &Context::new("u").with("plan", "premium"),
    );
    assert_eq!(
        (details.value, details.reason),
        (true, Reason::TargetingMatch)
    );
}

#[tokio::test]
async fn a_provider_that_never_answers_is_cut_at_the_deadline() {
    let client = Client::builder()
        .provider(OpenFeatureProvider::new(Catalogue::new()).deadline(Duration::from_millis(50)))
        .build()
        .unwrap();
    let details = client
        .details_async(
            &FlagKey::new("hang", "fallback".to_owned()),
            &Context::new("u"),
        )
        .await;
    assert_eq!(details.value, "fallback");
    assert_eq!(details.error_code(), Some(ErrorCode::General));
    assert!(details.error_message().unwrap().contains("did not answer"));
}

#[tokio::test]
async fn status_changes_become_events() {
    let catalogue = Catalogue::new();
    let status = catalogue.status.clone();
    let client = client_over(catalogue);
    assert_eq!(client.status(), ProviderStatus::Ready);
    let errors = Arc::new(AtomicUsize::new(0));
    let counted = errors.clone();
    client.on(ProviderEvent::Error, move |details| {
        assert_eq!(details.provider_name, "catalogue");
        counted.fetch_add(1, Ordering::SeqCst);
    });
    *status.lock().unwrap() = OfStatus::Error;
    let _ = client
        .value_async(&FlagKey::new("beta", false), &Context::new("u"))
        .await;
    assert_eq!(client.status(), ProviderStatus::Error);
    assert_eq!(errors.load(Ordering::SeqCst), 1);
    // No change, no event.
    let _ = client
        .value_async(&FlagKey::new("beta", false), &Context::new("u"))
        .await;
    assert_eq!(errors.load(Ordering::SeqCst), 1);

    client.shutdown();
    assert_eq!(client.status(), ProviderStatus::NotReady);
    let after = client
        .details_async(&FlagKey::new("beta", true), &Context::new("u"))
        .await;
    assert!(
        after.value && after.is_error(),
        "shut down: the caller's default"
    );
}

/// Our flags, through `FlagsProvider` and back through `OpenFeatureProvider`, answer what the
/// client answers directly.
#[tokio::test]
async fn our_provider_round_trips() {
    let flags = r#"{"flags": {
        "dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
                      "metadata": {"owner": "web"}},
        "limit": {"state": "ENABLED", "variants": {"small": 10, "large": 100}, "defaultVariant": "small",
                  "targeting": {"if": [{"==": [{"var": "account.tier"}, "gold"]}, "large",
                                       {"in": ["beta", {"var": "groups"}]}, "large"]}},
        "ratio": {"state": "ENABLED", "variants": {"a": 0.25}, "defaultVariant": "a"},
        "colour": {"state": "ENABLED", "variants": {"red": "red"}, "defaultVariant": "red"},
        "layout": {"state": "ENABLED", "variants": {"a": {"columns": 2, "title": "A"}}, "defaultVariant": "a"},
        "off": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}
    }}"#;
    let direct = Client::builder()
        .in_process(flags_runtime::source::json(flags))
        .build()
        .unwrap();
    let round = Client::builder()
        .provider(OpenFeatureProvider::new(FlagsProvider::new(direct.clone())))
        .build()
        .unwrap();
    assert_eq!(round.status(), ProviderStatus::Ready);

    async fn same<T: FlagValue + PartialEq + std::fmt::Debug>(
        direct: &Client,
        round: &Client,
        key: FlagKey<T>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        let a = direct.details(&key, ctx);
        let b = round.details_async(&key, ctx).await;
        assert_eq!(
            (&a.value, &a.variant, &a.reason, a.error_code()),
            (&b.value, &b.variant, &b.reason, b.error_code()),
            "{}",
            key.key()
        );
        // The `open-feature` crate's error carries no flag metadata: it is lost on errors.
        if !a.is_error() {
            assert_eq!(a.flag_metadata, b.flag_metadata, "{}", key.key());
        }
        b
    }
    let anyone = Context::new("u");
    let gold = Context::new("u").with("account", Value::from(serde_json::json!({"tier": "gold"})));
    let beta = Context::new("u").with("groups", Value::from(serde_json::json!(["staff", "beta"])));
    same(&direct, &round, FlagKey::new("dark-mode", false), &anyone).await;
    let small = same(&direct, &round, FlagKey::new("limit", 0i64), &anyone).await;
    assert_eq!(small.value, 10);
    let large = same(&direct, &round, FlagKey::new("limit", 0i64), &gold).await;
    assert_eq!((large.value, large.reason), (100, Reason::TargetingMatch));
    assert_eq!(
        same(&direct, &round, FlagKey::new("limit", 0i64), &beta)
            .await
            .value,
        100
    );
    same(&direct, &round, FlagKey::new("ratio", 0.0), &anyone).await;
    same(
        &direct,
        &round,
        FlagKey::new("colour", String::new()),
        &anyone,
    )
    .await;
    same(&direct, &round, FlagKey::new("missing", false), &anyone).await;
    same(&direct, &round, FlagKey::new("dark-mode", 0i64), &anyone).await;
    // A disabled flag: the zero value of the type is the caller's default here.
    same(&direct, &round, FlagKey::new("off", false), &anyone).await;
    let layout = same(
        &direct,
        &round,
        FlagKey::new("layout", serde_json::Value::Null),
        &anyone,
    )
    .await;
    assert_eq!(
        layout.value,
        serde_json::json!({"columns": 2, "title": "A"})
    );
}

#[test]
fn a_blocking_read_of_a_provider_that_never_answers_ends_at_the_deadline() {
    let client = Client::builder()
        .provider(OpenFeatureProvider::new(Catalogue::new()).deadline(Duration::from_millis(50)))
        .build()
        .unwrap()
        .blocking();
    let ctx = Context::new("u");
    let hang = client.details(FlagKey::new("hang", "fallback".to_owned()), &ctx);
    assert_eq!(hang.value, "fallback");
    assert_eq!(hang.error_code(), Some(ErrorCode::General));
    // The worker goes on serving after a read it cut.
    assert_eq!(client.value(FlagKey::new("limit", 0i64), &ctx), 100);
}
