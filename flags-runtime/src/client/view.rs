//! What one evaluation reads from: a provider's configuration version, or one of the two
//! passes of a read that asks a service first ([`super::prefetch`]).

use crate::context::Context;
use crate::details::{EvaluationDetails, FlagMetadata, Reason};
use crate::key::{FlagKey, FlagValue};
use crate::provider::{Configuration, Resolution};
use crate::value::Value;

use super::prefetch::{Answers, Recording};

/// What evaluation reads from.
#[derive(Clone, Copy)]
pub(crate) enum View<'a> {
    /// A provider's current configuration.
    Provider(crate::provider::View<'a>),
    /// Records which flags are read, running `before` hooks and answering defaults (the
    /// first pass of a read that asks a service, see [`super::prefetch`]).
    Recording(&'a Recording<'a>),
    /// Answers what the first pass recorded, from what the service answered.
    Answers(&'a Answers),
}

impl View<'_> {
    #[inline]
    pub(crate) fn value<T: FlagValue>(self, key: &FlagKey<T>, ctx: &Context) -> T {
        match self {
            View::Provider(view) => view.value(key, ctx),
            View::Recording(plan) => {
                plan.record(key, ctx);
                key.default_value()
            }
            View::Answers(answers) => answers.details(key, false).0.value,
        }
    }

    #[inline]
    pub(crate) fn details<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        match self {
            View::Provider(view) => view.details(key, ctx),
            _ => self.details_dyn(key, ctx, false).0,
        }
    }

    /// The details, and with `dynamic`, the flag's value as the provider holds it (when the
    /// value came from the flag), for hooks.
    #[inline]
    pub(crate) fn details_dyn<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<Value>) {
        match self {
            View::Provider(view) => view.details_dyn(key, ctx, dynamic),
            View::Answers(answers) => answers.details(key, dynamic),
            View::Recording(plan) => {
                plan.record(key, ctx);
                (
                    EvaluationDetails {
                        flag_key: key.key_cow().clone(),
                        value: key.default_value(),
                        variant: None,
                        reason: Reason::Default,
                        error: None,
                        flag_metadata: FlagMetadata::empty(),
                    },
                    None,
                )
            }
        }
    }
}

/// What a provider that never called back from [`Provider::read`] answers.
///
/// [`Provider::read`]: crate::provider::Provider::read
pub(super) struct Silent;

impl Configuration for Silent {
    fn resolve(&self, flag: &str, _ctx: &Context) -> Resolution {
        Resolution::error(
            crate::details::ErrorCode::General,
            format!("the provider gave no configuration to read `{flag}` from"),
        )
    }
}
