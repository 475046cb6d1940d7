//! Evaluation events: a built-in hook, installed only when an exporter asks for them, so that
//! a client without one reads flags exactly as before (no branch, no load on the read path).

use std::sync::Arc;

use super::event::{EvaluationEvent, Event, EventKind};
use super::pipeline::Shared;
use crate::details::{EvaluationDetails, MetadataValue};
use crate::hooks::{Hook, HookContext, HookHints};
use crate::value::Value;

/// Whether a flag's evaluations are recorded (GO Feature Flag's `trackEvents`).
pub(crate) type Trackable = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// Records one [`EvaluationEvent`] per evaluation, in `finally`, with what the caller got.
pub(crate) struct EvaluationEvents {
    pub(crate) pipeline: Arc<Shared>,
    pub(crate) trackable: Trackable,
}

/// The metadata key that marks a value answered by GO Feature Flag's remote fallback (which
/// counted the evaluation itself): `remote::EVALUATED_REMOTELY`.
const EVALUATED_REMOTELY: &str = "gofeatureflag_evaluated_remotely";

impl Hook for EvaluationEvents {
    fn finally(
        &self,
        ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) {
        if details.flag_metadata.get(EVALUATED_REMOTELY) == Some(&MetadataValue::Bool(true)) {
            return;
        }
        let flag_key = ctx.flag_key();
        if !(self.trackable)(flag_key) {
            return;
        }
        let context = ctx.context();
        let failed = details.error.is_some();
        let event = EvaluationEvent {
            flag_key: flag_key.to_owned(),
            targeting_key: context.targeting_key().map(str::to_owned),
            anonymous: context.get("anonymous") == Some(&Value::Bool(true)),
            variant: if failed {
                None
            } else {
                details.variant.as_deref().map(str::to_owned)
            },
            value: if failed {
                ctx.default_value().clone()
            } else {
                details.value.clone()
            },
            default: failed,
            version: match details.flag_metadata.get("version") {
                Some(MetadataValue::String(version)) => Some(version.clone()),
                _ => None,
            },
        };
        self.pipeline.push(Event::new(EventKind::Evaluated(event)));
    }
}
