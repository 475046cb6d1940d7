//! [`FlagsProvider`]: a `flags` client as an OpenFeature `FeatureProvider`.

use std::time::Duration;

use flags_runtime::{Client, EvaluationDetails, FlagKey, FlagValue, ProviderStatus, Reason};
use open_feature::provider::{
    FeatureProvider, ProviderMetadata, ProviderStatus as OfStatus, ResolutionDetails,
};
use open_feature::{EvaluationContext, EvaluationErrorCode, EvaluationResult, StructValue};

use crate::convert;

/// How long [`FeatureProvider::initialize`] waits, by default, for a client that is not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// A `flags` [`Client`] (any of its providers: in process from a source, remote, in memory,
/// your own) as an OpenFeature provider, for applications written against the `open-feature`
/// crate:
///
/// ```
/// # async fn run() -> Result<(), flags_runtime::Error> {
/// use flags_openfeature::FlagsProvider;
/// use open_feature::OpenFeature;
///
/// let client = flags_runtime::Client::builder()
///     .in_process(flags_runtime::source::json(
///         r#"{"flags": {"dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}}}"#,
///     ))
///     .build()?;
/// OpenFeature::singleton_mut().await.set_provider(FlagsProvider::new(client)).await;
///
/// let openfeature = OpenFeature::singleton().await.create_client();
/// assert_eq!(openfeature.get_bool_value("dark-mode", None, None).await, Ok(true));
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
/// ```
///
/// What maps to what:
///
/// - **values**: booleans, integers, floats, strings as such; a structure is a flag whose
///   value is a JSON object (any other value read as a structure is `TYPE_MISMATCH`);
/// - **the caller's default**: the crate's provider interface is not given one, so where
///   `flags` serves the caller's default without an error (a disabled flag, a flag that
///   defers to the code's default) the answer is the type's zero value (`false`, `0`, `""`,
///   an empty structure) with the reason saying so (`DISABLED`, `DEFAULT`);
/// - **reasons** by name (`STALE`, which the crate lacks, as `Other("STALE")`); variants;
///   flag metadata;
/// - **errors**: each code by name; the crate has no `PROVIDER_FATAL` and carries `GENERAL`
///   with a text: both are `General` holding the code's name (`"PROVIDER_FATAL"`,
///   `"GENERAL"`), the message saying what happened; the crate's error carries no flag
///   metadata, so an error's metadata is lost;
/// - **context**: the targeting key and every attribute; a nested structure or list travels
///   in the crate's `Struct(Arc<dyn Any>)` field, read when it holds an `open_feature::Value`,
///   `StructValue`, `Vec<open_feature::Value>`, `HashMap<String, open_feature::Value>`,
///   `serde_json::Value` or a `flags::Value` (any other type: `INVALID_CONTEXT`);
/// - **status**: the client's, read live ([`FeatureProvider::status`]);
///   [`FeatureProvider::initialize`] waits (bounded) for a client that is not ready yet;
/// - **hooks**: the client's own hooks run inside each resolution; OpenFeature's hooks run
///   around it, as for any provider;
/// - **events**: the `open-feature` crate 0.3 has no event API; handlers registered on the
///   client ([`Client::on`]) still run.
///
/// Each resolution is an async read of the client ([`Client::details_async`]): a remote
/// per-evaluation provider asks its service, everything else answers at once.
#[derive(Debug, Clone)]
pub struct FlagsProvider {
    client: Client,
    metadata: ProviderMetadata,
    ready_timeout: Duration,
}

impl FlagsProvider {
    /// The provider over `client`, named `flags`.
    pub fn new(client: Client) -> FlagsProvider {
        FlagsProvider {
            client,
            metadata: ProviderMetadata::new("flags"),
            ready_timeout: READY_TIMEOUT,
        }
    }

    /// With another name, as OpenFeature's hooks and telemetry see it.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> FlagsProvider {
        self.metadata = ProviderMetadata::new(name);
        self
    }

    /// How long `initialize` (OpenFeature's `set_provider`) waits for a client that is not
    /// ready yet (5 seconds by default; zero: not at all). Reads meanwhile answer
    /// `PROVIDER_NOT_READY`, or from a bootstrap or persisted configuration.
    #[must_use]
    pub fn ready_timeout(mut self, timeout: Duration) -> FlagsProvider {
        self.ready_timeout = timeout;
        self
    }

    /// The client this provider reads.
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn details<T: FlagValue + Default>(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<EvaluationDetails<T>> {
        let ctx = convert::context_from_openfeature(ctx)?;
        let key = FlagKey::<T>::new(key.to_owned(), T::default());
        Ok(self.client.details_async(&key, &ctx).await)
    }

    async fn resolve<T: FlagValue + Default>(
        &self,
        key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<T>> {
        let details = self.details::<T>(key, ctx).await?;
        resolution(details, |value| Ok(value))
    }
}

/// Our details as OpenFeature's resolution, the value converted by `value`.
fn resolution<T, U>(
    details: EvaluationDetails<T>,
    value: impl FnOnce(T) -> EvaluationResult<U>,
) -> EvaluationResult<ResolutionDetails<U>> {
    if let Some(error) = &details.error {
        return Err(convert::error_to_openfeature(error));
    }
    Ok(ResolutionDetails {
        value: value(details.value)?,
        variant: details.variant.as_deref().map(str::to_owned),
        reason: Some(convert::reason_to_openfeature(&details.reason)),
        flag_metadata: (!details.flag_metadata.is_empty())
            .then(|| convert::metadata_to_openfeature(&details.flag_metadata)),
    })
}

#[open_feature::async_trait]
impl FeatureProvider for FlagsProvider {
    async fn initialize(&mut self, _context: &EvaluationContext) {
        // The global context needs nothing here: OpenFeature's client merges it into every
        // evaluation's context.
        if self.client.status() != ProviderStatus::NotReady || self.ready_timeout.is_zero() {
            return;
        }
        // `Client::wait_ready` blocks: it runs on a thread of its own, so that no executor
        // thread waits, and the outcome is read through the status afterwards.
        let (done, waited) = tokio::sync::oneshot::channel();
        let client = self.client.clone();
        let timeout = self.ready_timeout;
        let spawned = std::thread::Builder::new()
            .name("flags-openfeature-ready".into())
            .spawn(move || {
                let _ = client.wait_ready(timeout);
                let _ = done.send(());
            });
        if spawned.is_ok() {
            let _ = waited.await;
        }
    }

    fn status(&self) -> OfStatus {
        convert::status_to_openfeature(self.client.status())
    }

    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    async fn resolve_bool_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        self.resolve(flag_key, evaluation_context).await
    }

    async fn resolve_int_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.resolve(flag_key, evaluation_context).await
    }

    async fn resolve_float_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.resolve(flag_key, evaluation_context).await
    }

    async fn resolve_string_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        self.resolve(flag_key, evaluation_context).await
    }

    async fn resolve_struct_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        let details = self
            .details::<serde_json::Value>(flag_key, evaluation_context)
            .await?;
        let reason = details.reason.clone();
        resolution(details, |value| match value {
            serde_json::Value::Object(map) => Ok(convert::json_object_to_struct(&map)),
            // No value: the caller's default (a disabled flag, one deferring to the code).
            serde_json::Value::Null if reason != Reason::Error => Ok(StructValue::default()),
            other => Err(convert::of_error(
                EvaluationErrorCode::TypeMismatch,
                format!(
                    "flag `{flag_key}` is {}, not a structure",
                    json_kind(&other)
                ),
            )),
        })
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a structure",
    }
}
