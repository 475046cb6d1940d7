//! Any OpenFeature provider behind the typed `flags` client: a provider written for the
//! `open-feature` crate (here a small one answering from a table, as a vendor's would from its
//! service) read through `#[derive(Flags)]`, whose keys and types the compiler checks against
//! `flags-openfeature/examples/flags.json`. No server.
//!
//! ```text
//! cargo run -p flags-openfeature --example openfeature_adapter
//! ```

use std::collections::HashMap;

use flags::{Client, Context, FlagVariant, Flags};
use flags_openfeature::OpenFeatureProvider;
use open_feature::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails};
use open_feature::{
    EvaluationContext, EvaluationError, EvaluationErrorCode, EvaluationReason, EvaluationResult,
    StructValue, Value,
};

/// The values of the string flag `greeting`, checked against the flag file.
#[derive(Debug, Clone, Copy, PartialEq, FlagVariant)]
#[flags(schema = "examples/flags.json", key = "greeting")]
enum Greeting {
    #[flags(rename = "Good afternoon")]
    Formal,
    #[flags(rename = "Hi there")]
    Casual,
}

/// The flags of the checkout page: every key and type checked at compile time.
#[derive(Debug, Flags)]
#[flags(schema = "examples/flags.json")]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
    #[flags(key = "upload-limit", default = 5)]
    upload_limit: i64,
    #[flags(key = "sample-rate")]
    sample_rate: f64,
    greeting: Greeting,
}

/// An OpenFeature provider we did not write: flags from a table, `new-checkout` on for the
/// targeting key `ada`.
struct Table {
    metadata: ProviderMetadata,
    values: HashMap<&'static str, Value>,
}

impl Table {
    fn answer<T>(
        &self,
        key: &str,
        ctx: &EvaluationContext,
        read: impl FnOnce(&Value) -> Option<T>,
    ) -> EvaluationResult<ResolutionDetails<T>> {
        let error = |code, message: String| EvaluationError {
            code,
            message: Some(message),
        };
        let value = self.values.get(key).ok_or_else(|| {
            error(
                EvaluationErrorCode::FlagNotFound,
                format!("no flag `{key}`"),
            )
        })?;
        let ada = ctx.targeting_key.as_deref() == Some("ada");
        let value = if key == "new-checkout" {
            &Value::Bool(ada)
        } else {
            value
        };
        let value = read(value).ok_or_else(|| {
            error(
                EvaluationErrorCode::TypeMismatch,
                format!("`{key}` is of another type"),
            )
        })?;
        Ok(ResolutionDetails {
            value,
            variant: None,
            reason: Some(if key == "new-checkout" {
                EvaluationReason::TargetingMatch
            } else {
                EvaluationReason::Static
            }),
            flag_metadata: None,
        })
    }
}

#[open_feature::async_trait]
impl FeatureProvider for Table {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }
    async fn resolve_bool_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        self.answer(key, ctx, Value::as_bool)
    }
    async fn resolve_int_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.answer(key, ctx, Value::as_i64)
    }
    async fn resolve_float_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.answer(key, ctx, Value::as_f64)
    }
    async fn resolve_string_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        self.answer(key, ctx, |v| v.as_str().map(str::to_owned))
    }
    async fn resolve_struct_value(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        self.answer(key, ctx, |v| v.as_struct().cloned())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let table = Table {
        metadata: ProviderMetadata::new("table"),
        values: [
            ("new-checkout", Value::Bool(false)),
            ("upload-limit", Value::Int(25)),
            ("sample-rate", Value::Float(0.5)),
            ("greeting", Value::String("Good afternoon".into())),
        ]
        .into(),
    };
    let client = Client::builder()
        .provider(OpenFeatureProvider::new(table))
        .build()?;

    // The provider is async: read with `flags_async` (or `flags::blocking` in sync code).
    let ada: Checkout = client.flags_async(&Context::new("ada")).await;
    println!("ada: {ada:?}");
    assert!(ada.enabled);
    assert_eq!((ada.upload_limit, ada.sample_rate), (25, 0.5));
    assert_eq!(ada.greeting, Greeting::Formal);
    let bob: Checkout = client.flags_async(&Context::new("bob")).await;
    println!("bob: {bob:?}");
    assert!(!bob.enabled);

    // A sync read never waits: the caller's default, and an error saying what to use.
    let sync: Checkout = client.flags(&Context::new("ada"));
    println!("sync read: {sync:?} (the defaults)");
    assert_eq!(sync.upload_limit, 5);
    Ok(())
}
