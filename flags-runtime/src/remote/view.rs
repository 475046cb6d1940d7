//! A remote provider's answers read without waiting: the bulk evaluation it holds, or its
//! cache.

use super::Inner;
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationDetails};
use crate::key::{FlagKey, FlagValue};
use crate::provider::Resolution;

/// A remote provider's answers read without waiting: the bulk evaluation, or the cache.
#[derive(Clone, Copy)]
pub(crate) struct RemoteView<'a> {
    pub(super) inner: &'a Inner,
    pub(super) bulk: Option<&'a crate::wire::ofrep::Bulk>,
    pub(super) bulk_mode: bool,
}

impl RemoteView<'_> {
    /// The value alone: in bulk mode, read straight from the held evaluation, without
    /// building details.
    #[inline]
    pub(crate) fn value<T: FlagValue>(self, key: &FlagKey<T>, ctx: &Context) -> T {
        if self.bulk_mode {
            return match self.bulk {
                Some(bulk) => bulk.flags.value(key),
                None => key.default_value(),
            };
        }
        // A cache hit: the value stored decoded, without building details.
        if !self.inner.is_fatal()
            && let Some(value) = self.inner.cache.as_ref().and_then(|c| c.value(key, ctx))
        {
            return value;
        }
        self.details(key, ctx, false).0.value
    }

    pub(crate) fn details<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<crate::Value>) {
        let raw = |r: &Resolution| if dynamic { r.raw_value() } else { None };
        if self.bulk_mode {
            return match self.bulk {
                Some(bulk) => (bulk.details(key), bulk.flags.get(key.key()).and_then(raw)),
                None => (
                    Resolution::error(
                        ErrorCode::ProviderNotReady,
                        format!(
                            "{}: the bulk evaluation has not arrived yet",
                            self.inner.name
                        ),
                    )
                    .to_details(key),
                    None,
                ),
            };
        }
        if self.inner.is_fatal() {
            return (
                Resolution::error(
                    ErrorCode::ProviderFatal,
                    format!(
                        "{} refused the credentials; the provider stopped (FATAL)",
                        self.inner.name
                    ),
                )
                .to_details(key),
                None,
            );
        }
        if let Some(details) = self.inner.cache.as_ref().and_then(|c| c.details(key, ctx)) {
            return (details, None);
        }
        let message = format!(
            "`{}` is evaluated remotely by {}: use `details_async` or `flags_async`, or \
             `flags::blocking::Client` in sync code (this call never waits for the network)",
            key.key(),
            self.inner.name
        );
        (
            Resolution::error(ErrorCode::General, message).to_details(key),
            None,
        )
    }
}
