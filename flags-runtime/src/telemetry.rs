//! Built-in hooks: [`LoggingHook`] writes evaluations to `tracing`; [`TelemetryHook`] hands an
//! [`EvaluationEvent`] per evaluation to a function of yours, with OpenFeature's telemetry
//! attribute names (specification Appendix D) for exporters.
//!
//! ```
//! use flags_runtime::{Client, Context, FlagKey};
//! use flags_runtime::telemetry::TelemetryHook;
//! use std::sync::{Arc, Mutex};
//!
//! let events = Arc::new(Mutex::new(Vec::new()));
//! let sink = events.clone();
//! let key = FlagKey::<bool>::new("dark-mode", false);
//! let client = Client::for_tests().set(&key, true);
//! client.add_hook(TelemetryHook::new(move |event| sink.lock().unwrap().push(event.clone())));
//! client.value(&key, &Context::new("user-1"));
//!
//! let events = events.lock().unwrap();
//! assert_eq!(events[0].flag_key, "dark-mode");
//! let attributes = events[0].attributes();
//! assert!(attributes.iter().any(|(name, value)| *name == "feature_flag.result.value"
//!     && *value == flags_runtime::Value::Bool(true)));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::context::Context;
use crate::details::{
    ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason, VariantName,
};
use crate::hooks::{Hook, HookContext, HookHints};
use crate::value::Value;

/// The name of an evaluation event (OpenFeature Appendix D).
pub const EVALUATION_EVENT: &str = "feature_flag.evaluation";

/// The attribute names of an evaluation event: OpenFeature Appendix D, which are
/// OpenTelemetry's semantic conventions for feature flags. [`EvaluationEvent::attributes`]
/// and the `otel` feature's hook both use them.
pub mod attribute {
    /// The flag key.
    pub const KEY: &str = "feature_flag.key";
    /// The provider's name.
    pub const PROVIDER_NAME: &str = "feature_flag.provider.name";
    /// The variant, if the flag has one.
    pub const RESULT_VARIANT: &str = "feature_flag.result.variant";
    /// The value evaluated.
    pub const RESULT_VALUE: &str = "feature_flag.result.value";
    /// The reason, in lower snake case (`targeting_match`, `static`, `error`, ...).
    pub const RESULT_REASON: &str = "feature_flag.result.reason";
    /// The flag metadata's `contextId`, else the targeting key.
    pub const CONTEXT_ID: &str = "feature_flag.context.id";
    /// The flag metadata's `flagSetId`.
    pub const SET_ID: &str = "feature_flag.set.id";
    /// The flag metadata's `version`.
    pub const VERSION: &str = "feature_flag.version";
    /// The error code, in lower snake case (`flag_not_found`, `type_mismatch`, ...).
    pub const ERROR_TYPE: &str = "error.type";
    /// The error message.
    pub const ERROR_MESSAGE: &str = "error.message";
}

/// Writes evaluations to `tracing` (target `flags`): `debug` before and after, `warn` on
/// error. The evaluation context is left out unless asked for, as it may hold personal data.
#[derive(Debug, Clone, Default)]
pub struct LoggingHook {
    include_context: bool,
}

impl LoggingHook {
    /// A logging hook without context in its records.
    pub fn new() -> LoggingHook {
        LoggingHook::default()
    }

    /// Includes the evaluation context in every record.
    #[must_use]
    pub fn include_context(mut self, include: bool) -> LoggingHook {
        self.include_context = include;
        self
    }

    fn context(&self, ctx: &HookContext<'_>) -> Option<String> {
        self.include_context
            .then(|| ctx.context().to_json().to_string())
    }
}

impl Hook for LoggingHook {
    fn before(
        &self,
        ctx: &mut HookContext<'_>,
        _hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        tracing::debug!(
            target: "flags",
            stage = "before",
            flag_key = ctx.flag_key(),
            provider = &*ctx.provider_metadata().name,
            default_value = ?ctx.default_value(),
            context = self.context(ctx),
        );
        Ok(None)
    }

    fn after(
        &self,
        ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) -> Result<(), EvaluationError> {
        tracing::debug!(
            target: "flags",
            stage = "after",
            flag_key = ctx.flag_key(),
            provider = &*ctx.provider_metadata().name,
            value = ?details.value,
            variant = details.variant.as_deref(),
            reason = details.reason.as_str(),
            context = self.context(ctx),
        );
        Ok(())
    }

    fn error(&self, ctx: &mut HookContext<'_>, error: &EvaluationError, _hints: &HookHints) {
        tracing::warn!(
            target: "flags",
            stage = "error",
            flag_key = ctx.flag_key(),
            provider = &*ctx.provider_metadata().name,
            error_code = error.code.as_str(),
            error_message = &*error.message,
            context = self.context(ctx),
        );
    }
}

/// One evaluation, as [`TelemetryHook`] reports it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EvaluationEvent {
    /// The event's name: [`EVALUATION_EVENT`].
    pub event_type: &'static str,
    /// The flag key.
    pub flag_key: String,
    /// When the evaluation started.
    pub timestamp: SystemTime,
    /// How long it took, hooks included (up to this hook's `finally`).
    pub duration: Duration,
    /// The value returned (the caller's default on error; [`Value::Null`] for Rust types
    /// without a dynamic form).
    pub value: Value,
    /// The reason.
    pub reason: Reason,
    /// The variant, if any.
    pub variant: Option<VariantName>,
    /// The error code, if the evaluation failed.
    pub error_code: Option<ErrorCode>,
    /// The error message, if the evaluation failed.
    pub error_message: Option<String>,
    /// The merged evaluation context.
    pub context: Context,
    /// The hook hints of the evaluation.
    pub hints: HookHints,
    /// The provider's name.
    pub provider_name: Arc<str>,
    /// The flag metadata.
    pub flag_metadata: FlagMetadata,
}

impl EvaluationEvent {
    /// The event as OpenTelemetry-style attributes, named as OpenFeature Appendix D says:
    /// `feature_flag.key`, `feature_flag.provider.name`, `feature_flag.result.variant`,
    /// `feature_flag.result.value`, `feature_flag.result.reason` (lower snake case),
    /// `error.type` and `error.message` on error, `feature_flag.context.id` (the flag
    /// metadata's `contextId`, else the targeting key), `feature_flag.set.id` (metadata
    /// `flagSetId`) and `feature_flag.version` (metadata `version`). Absent values are left out.
    pub fn attributes(&self) -> Vec<(&'static str, Value)> {
        let mut out = vec![
            (attribute::KEY, Value::String(self.flag_key.clone())),
            (
                attribute::PROVIDER_NAME,
                Value::String(self.provider_name.to_string()),
            ),
            (
                attribute::RESULT_REASON,
                Value::String(self.reason.as_str().to_ascii_lowercase()),
            ),
        ];
        if let Some(variant) = &self.variant {
            out.push((
                attribute::RESULT_VARIANT,
                Value::String(variant.to_string()),
            ));
        }
        if self.value != Value::Null {
            out.push((attribute::RESULT_VALUE, self.value.clone()));
        }
        if let Some(code) = self.error_code {
            out.push((
                attribute::ERROR_TYPE,
                Value::String(code.as_str().to_ascii_lowercase()),
            ));
        }
        if let Some(message) = &self.error_message {
            out.push((attribute::ERROR_MESSAGE, Value::String(message.clone())));
        }
        let metadata = |key: &str| self.flag_metadata.get(key).map(metadata_value);
        let context_id = metadata("contextId").or_else(|| {
            self.context
                .targeting_key()
                .map(|k| Value::String(k.to_owned()))
        });
        if let Some(id) = context_id {
            out.push((attribute::CONTEXT_ID, id));
        }
        if let Some(id) = metadata("flagSetId") {
            out.push((attribute::SET_ID, id));
        }
        if let Some(version) = metadata("version") {
            out.push((attribute::VERSION, version));
        }
        out
    }
}

fn metadata_value(value: &crate::MetadataValue) -> Value {
    match value {
        crate::MetadataValue::Bool(b) => Value::Bool(*b),
        crate::MetadataValue::Int(i) => Value::Int(*i),
        crate::MetadataValue::Float(f) => Value::Float(*f),
        crate::MetadataValue::String(s) => Value::String(s.clone()),
    }
}

type Sink = Arc<dyn Fn(&EvaluationEvent) + Send + Sync>;

/// Calls a function of yours with an [`EvaluationEvent`] after every evaluation (in
/// `finally`), for metrics, traces or audit logs. The function runs on the evaluating thread:
/// keep it short, or hand the event to a channel.
#[derive(Clone)]
pub struct TelemetryHook {
    sink: Sink,
}

impl fmt::Debug for TelemetryHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryHook").finish_non_exhaustive()
    }
}

impl TelemetryHook {
    /// A hook calling `sink` with every evaluation event.
    pub fn new(sink: impl Fn(&EvaluationEvent) + Send + Sync + 'static) -> TelemetryHook {
        TelemetryHook {
            sink: Arc::new(sink),
        }
    }
}

/// When the evaluation started, kept in the hook data between `before` and `finally`.
struct Started(SystemTime, Instant);

impl Hook for TelemetryHook {
    fn before(
        &self,
        ctx: &mut HookContext<'_>,
        _hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        ctx.data_mut()
            .set("started", Started(SystemTime::now(), Instant::now()));
        Ok(None)
    }

    fn finally(
        &self,
        ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        hints: &HookHints,
    ) {
        // `before` may not have run (an earlier `before` hook failed): start = now.
        let (timestamp, duration) = match ctx.data().get::<Started>("started") {
            Some(Started(at, instant)) => (*at, instant.elapsed()),
            None => (SystemTime::now(), Duration::ZERO),
        };
        let event = EvaluationEvent {
            event_type: EVALUATION_EVENT,
            flag_key: details.flag_key.to_string(),
            timestamp,
            duration,
            value: details.value.clone(),
            reason: details.reason.clone(),
            variant: details.variant.clone(),
            error_code: details.error_code(),
            error_message: details.error_message().map(str::to_owned),
            context: ctx.context().clone(),
            hints: hints.clone(),
            provider_name: ctx.provider_metadata().name.clone(),
            flag_metadata: details.flag_metadata.clone(),
        };
        (self.sink)(&event);
    }
}
