//! Evaluation modes: `POST /sdk/evaluate` per evaluation, and `POST /sdk/evaluate/all` for
//! the provider's context as a bulk evaluation read locally.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::send::Call;
use super::state::State;
use super::values::Outcome;
use crate::context::Context;
use crate::details::FlagMetadata;
use crate::provider::Resolution;
use crate::remote::Inner;
use crate::transport::Deadline;
use crate::wire::bulk::BulkFlags;
use crate::wire::flagkit::{self, FlagKitError, request};
use crate::wire::ofrep::Bulk;

impl Inner {
    /// One flag for `ctx`, asked of FlagKit (evaluation mode).
    pub(in crate::remote) async fn flagkit_evaluate(
        &self,
        fk: &State,
        key: &str,
        ctx: &Context,
        deadline: Deadline,
    ) -> Resolution {
        let body = match request::evaluate_body(key, ctx, &fk.settings.context_rules) {
            Ok(body) => body,
            Err(error) => return Resolution::error(error.code, error.message),
        };
        let url = flagkit::url(&fk.settings.base_url, "/sdk/evaluate");
        match self
            .flagkit_send(fk, &Call::Post(url, body), deadline)
            .await
        {
            Ok(response) => flagkit::parse_evaluate(key, &response.body),
            Err(error) => {
                let resolution = error.resolution();
                if error.is_auth() {
                    self.go_fatal(&resolution);
                }
                resolution
            }
        }
    }

    /// Every flag for the provider's context (bulk evaluation mode); `Superseded` when the
    /// context changed while the request was out (the fetch for the new one follows).
    pub(super) async fn flagkit_evaluate_all(
        &self,
        fk: &State,
        deadline: Deadline,
    ) -> Result<Outcome, FlagKitError> {
        let (epoch, ctx) = self.control.current();
        let body = request::evaluate_all_body(&ctx, &fk.settings.context_rules).map_err(|e| {
            FlagKitError {
                code: e.code,
                kind: flagkit::Code::InvalidContext,
                message: e.message.into_owned(),
                request_id: None,
                status: None,
            }
        })?;
        let url = flagkit::url(&fk.settings.base_url, "/sdk/evaluate/all");
        let response = self
            .flagkit_send(fk, &Call::Post(url, body), deadline)
            .await?;
        if self.control.current().0 != epoch {
            return Ok(Outcome::Superseded);
        }
        let items = flagkit::parse_evaluate_all(&response.body)?;
        let bulk = Bulk {
            flags: BulkFlags::new(items),
            etag: None,
            metadata: FlagMetadata::empty(),
            event_streams: Vec::new(),
            skipped: 0,
            gate: None,
        };
        let held = self.bulk.load_full();
        let same_context = self.control.held_epoch.load(Ordering::Acquire) == epoch;
        let changed: Vec<String> = match &held {
            Some(old) if old.gate.is_none() => old.flags.changed_keys(&bulk.flags),
            _ => Vec::new(),
        };
        let first = held.as_ref().is_none_or(|old| old.gate.is_some());
        self.bulk.store(Some(Arc::new(bulk)));
        self.control.held_epoch.store(epoch, Ordering::Release);
        Ok(if first {
            Outcome::Initialised
        } else if !same_context {
            Outcome::ContextChanged(changed)
        } else {
            Outcome::Updated(changed)
        })
    }
}
