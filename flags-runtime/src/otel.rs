//! OpenTelemetry (feature `otel`): [`OtelHook`] records every evaluation as a
//! `feature_flag.evaluation` event on the current span, as a log record if asked, and counts
//! it in a counter. It uses the `opentelemetry` API crate only: install the SDK and the
//! exporters you like in your application.
//!
//! The attribute names are OpenTelemetry's semantic conventions for feature flags, which are
//! OpenFeature's (specification Appendix D; [`crate::telemetry::attribute`]):
//!
//! | attribute | span event and log record | counter |
//! | --- | --- | --- |
//! | `feature_flag.key` | always | always |
//! | `feature_flag.provider.name` | always | always |
//! | `feature_flag.result.reason` (lower snake case) | always | always |
//! | `feature_flag.result.variant` | when the flag has one | when the flag has one |
//! | `feature_flag.result.value` | opt-in: [`OtelHook::include_value`] | never |
//! | `feature_flag.context.id` | opt-in: [`OtelHook::include_context_id`] | never |
//! | `feature_flag.set.id`, `feature_flag.version` | from the flag metadata `flagSetId`, `version` | never |
//! | `error.type` (lower snake case), `error.message` | on error | `error.type` on error |
//!
//! The semantic conventions name no metric for flags yet: the counter is
//! `feature_flag.evaluations` (unit `{evaluation}`), one per evaluation, its attributes those
//! of the event that keep the number of series bounded.
//!
//! ```
//! use flags_runtime::{Client, Context, FlagKey};
//! use flags_runtime::otel::OtelHook;
//!
//! let key = FlagKey::<bool>::new("dark-mode", false);
//! let client = Client::for_tests().set(&key, true);
//! // Span events on the current span, the counter on the global meter provider.
//! client.add_hook(OtelHook::new());
//! assert!(client.value(&key, &Context::new("user-1")));
//! ```

use std::fmt;
use std::sync::Arc;

use opentelemetry::logs::{AnyValue, LogRecord, Logger, LoggerProvider, Severity};
use opentelemetry::metrics::{Counter, Meter, MeterProvider};
use opentelemetry::trace::get_active_span;
use opentelemetry::{InstrumentationScope, KeyValue, StringValue};

use crate::details::{EvaluationDetails, MetadataValue};
use crate::hooks::{Hook, HookContext, HookHints};
use crate::telemetry::{EVALUATION_EVENT, attribute};
use crate::value::Value;

/// The name of the evaluation counter.
pub const EVALUATIONS_COUNTER: &str = "feature_flag.evaluations";

/// Emits one log record per evaluation; a closure because a `Logger` is generic over its
/// record type.
type LogSink = Arc<dyn Fn(&[KeyValue], bool) + Send + Sync>;

/// A hook recording evaluations with OpenTelemetry; see [the module](self).
///
/// [`OtelHook::new`] adds a `feature_flag.evaluation` event to the span current when the
/// evaluation ends (the OpenTelemetry context's, nothing when no span is recording) and counts
/// the evaluation with the global meter provider. Log records are off until
/// [`OtelHook::log_records`] is given a logger provider. The value evaluated and the
/// context id are left out unless asked for: they may be personal data.
#[derive(Clone)]
pub struct OtelHook {
    span_events: bool,
    include_value: bool,
    include_context_id: bool,
    counter: Option<Counter<u64>>,
    logs: Option<LogSink>,
}

impl fmt::Debug for OtelHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtelHook")
            .field("span_events", &self.span_events)
            .field("include_value", &self.include_value)
            .field("include_context_id", &self.include_context_id)
            .field("metrics", &self.counter.is_some())
            .field("log_records", &self.logs.is_some())
            .finish()
    }
}

impl Default for OtelHook {
    fn default() -> OtelHook {
        OtelHook::new()
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("flags")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

fn counter(meter: &Meter) -> Counter<u64> {
    meter
        .u64_counter(EVALUATIONS_COUNTER)
        .with_description("Feature flag evaluations")
        .with_unit("{evaluation}")
        .build()
}

impl OtelHook {
    /// Span events on the current span and the counter on the global meter provider
    /// (`opentelemetry::global::meter_provider()`: set yours before, or use
    /// [`OtelHook::meter_provider`]); no log records.
    pub fn new() -> OtelHook {
        OtelHook {
            span_events: true,
            include_value: false,
            include_context_id: false,
            counter: Some(counter(&opentelemetry::global::meter_with_scope(scope()))),
            logs: None,
        }
    }

    /// Adds (`true`, the default) or leaves out the span events.
    #[must_use]
    pub fn span_events(mut self, on: bool) -> OtelHook {
        self.span_events = on;
        self
    }

    /// Counts evaluations with this meter provider rather than the global one.
    #[must_use]
    pub fn meter_provider(mut self, provider: &impl MeterProvider) -> OtelHook {
        self.counter = Some(counter(&provider.meter_with_scope(scope())));
        self
    }

    /// Counts nothing.
    #[must_use]
    pub fn without_metrics(mut self) -> OtelHook {
        self.counter = None;
        self
    }

    /// Also emits a log record per evaluation with this logger provider: event name
    /// `feature_flag.evaluation`, the event's attributes, severity `INFO` (`WARN` on error),
    /// the current span's trace context (set by the SDK).
    #[must_use]
    pub fn log_records<P>(mut self, provider: &P) -> OtelHook
    where
        P: LoggerProvider,
        P::Logger: Send + Sync + 'static,
    {
        let logger = provider.logger_with_scope(scope());
        self.logs = Some(Arc::new(move |attributes: &[KeyValue], failed: bool| {
            let severity = if failed {
                Severity::Warn
            } else {
                Severity::Info
            };
            if !logger.event_enabled(severity, "flags", Some(EVALUATION_EVENT)) {
                return;
            }
            let mut record = logger.create_log_record();
            record.set_event_name(EVALUATION_EVENT);
            record.set_severity_number(severity);
            record.set_severity_text(severity.name());
            record.set_timestamp(std::time::SystemTime::now());
            record.add_attributes(
                attributes
                    .iter()
                    .map(|kv| (kv.key.clone(), any_value(&kv.value))),
            );
            logger.emit(record);
        }));
        self
    }

    /// Includes `feature_flag.result.value` in span events and log records (default: no).
    /// Scalars keep their type; lists, structures and times are their JSON text.
    #[must_use]
    pub fn include_value(mut self, include: bool) -> OtelHook {
        self.include_value = include;
        self
    }

    /// Includes `feature_flag.context.id` in span events and log records (default: no): the
    /// flag metadata's `contextId`, else the targeting key.
    #[must_use]
    pub fn include_context_id(mut self, include: bool) -> OtelHook {
        self.include_context_id = include;
        self
    }

    /// The attributes of the counter, then (from the returned index on) the event's others.
    fn attributes(
        &self,
        ctx: &HookContext<'_>,
        details: &EvaluationDetails<Value>,
        event: bool,
    ) -> (Vec<KeyValue>, usize) {
        let mut out = Vec::with_capacity(if event { 10 } else { 5 });
        out.push(KeyValue::new(attribute::KEY, details.flag_key.to_string()));
        out.push(KeyValue::new(
            attribute::PROVIDER_NAME,
            StringValue::from(ctx.provider_metadata().name.clone()),
        ));
        out.push(KeyValue::new(
            attribute::RESULT_REASON,
            details.reason.as_str().to_ascii_lowercase(),
        ));
        if let Some(variant) = &details.variant {
            out.push(KeyValue::new(
                attribute::RESULT_VARIANT,
                StringValue::from(variant.to_string()),
            ));
        }
        if let Some(code) = details.error_code() {
            out.push(KeyValue::new(
                attribute::ERROR_TYPE,
                code.as_str().to_ascii_lowercase(),
            ));
        }
        let counted = out.len();
        if !event {
            return (out, counted);
        }
        if let Some(message) = details.error_message() {
            out.push(KeyValue::new(attribute::ERROR_MESSAGE, message.to_owned()));
        }
        if self.include_value && details.value != Value::Null {
            out.push(KeyValue::new(
                attribute::RESULT_VALUE,
                value(&details.value),
            ));
        }
        let metadata = |key: &str| details.flag_metadata.get(key).map(metadata_value);
        if self.include_context_id {
            let id = metadata("contextId").or_else(|| {
                ctx.context()
                    .targeting_key()
                    .map(|k| opentelemetry::Value::from(k.to_owned()))
            });
            if let Some(id) = id {
                out.push(KeyValue::new(attribute::CONTEXT_ID, id));
            }
        }
        if let Some(id) = metadata("flagSetId") {
            out.push(KeyValue::new(attribute::SET_ID, id));
        }
        if let Some(version) = metadata("version") {
            out.push(KeyValue::new(attribute::VERSION, version));
        }
        (out, counted)
    }
}

impl Hook for OtelHook {
    fn finally(
        &self,
        ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) {
        let recording = self.span_events && get_active_span(|span| span.is_recording());
        let event = recording || self.logs.is_some();
        if !event && self.counter.is_none() {
            return;
        }
        let (attributes, counted) = self.attributes(ctx, details, event);
        if let Some(counter) = &self.counter {
            counter.add(1, &attributes[..counted]);
        }
        if let Some(logs) = &self.logs {
            logs(&attributes, details.error_code().is_some());
        }
        if recording {
            get_active_span(|span| span.add_event(EVALUATION_EVENT, attributes));
        }
    }
}

/// A value as an attribute: scalars as themselves, the rest as JSON text.
fn value(value: &Value) -> opentelemetry::Value {
    match value {
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => (*f).into(),
        Value::String(s) => s.clone().into(),
        other => other.to_json().to_string().into(),
    }
}

fn metadata_value(value: &MetadataValue) -> opentelemetry::Value {
    match value {
        MetadataValue::Bool(b) => (*b).into(),
        MetadataValue::Int(i) => (*i).into(),
        MetadataValue::Float(f) => (*f).into(),
        MetadataValue::String(s) => s.clone().into(),
    }
}

fn any_value(value: &opentelemetry::Value) -> AnyValue {
    match value {
        opentelemetry::Value::Bool(b) => AnyValue::Boolean(*b),
        opentelemetry::Value::I64(i) => AnyValue::Int(*i),
        opentelemetry::Value::F64(f) => AnyValue::Double(*f),
        opentelemetry::Value::String(s) => AnyValue::String(s.clone()),
        // Arrays are never built above; their text keeps them readable if one is.
        other => AnyValue::String(other.to_string().into()),
    }
}
