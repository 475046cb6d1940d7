//! Values mode: `GET /sdk/init`, then `GET /sdk/updates?since=` on every poll, the flags held
//! published as a bulk evaluation for local reads.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::send::Call;
use super::state::{Mode, State};
use crate::details::{ErrorCode, EvaluationError, FlagMetadata, Reason};
use crate::events::{EventDetails, ProviderEvent, ProviderStatus};
use crate::remote::{Inner, Protocol};
use crate::transport::Deadline;
use crate::wire::bulk::BulkFlags;
use crate::wire::flagkit::{self, FlagKitError, FlagState};
use crate::wire::ofrep::Bulk;

/// The longest wait between polls after failures (unless the interval is longer).
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Polls until the provider is dropped, shut down or FATAL.
pub(in crate::remote) async fn poll(weak: Weak<Inner>) {
    loop {
        let wait = {
            let Some(inner) = weak.upgrade() else { return };
            let streaming = match &inner.protocol {
                Protocol::FlagKit(fk) => fk.streaming_live.load(Ordering::Relaxed),
                _ => false,
            };
            // The event stream brings the changes while it is connected.
            if !streaming {
                let _ = inner.refresh_flagkit().await;
            }
            if inner.fatal.load(Ordering::Relaxed) || inner.stopped.load(Ordering::Relaxed) {
                return;
            }
            let Protocol::FlagKit(fk) = &inner.protocol else {
                return;
            };
            next_wait(fk)
        };
        tokio::time::sleep(wait).await;
    }
}

/// The wait before the next poll: the longer of the configured and the server's interval,
/// doubled per consecutive failure up to 5 minutes (or the interval, when longer), plus up to
/// a tenth of it (at most 1 s) at random.
fn next_wait(fk: &State) -> Duration {
    let server = fk.held().server_interval.unwrap_or_default();
    let interval = fk.settings.polling_interval.max(server);
    let failures = u32::from(fk.failures.load(Ordering::Relaxed));
    let wait = if failures == 0 {
        interval
    } else {
        interval
            .checked_mul(1 << failures.min(16))
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF.max(interval))
    };
    wait + crate::transport::jitter((interval / 10).min(Duration::from_secs(1)))
}

/// The bulk evaluation reads answer from: every flag held, with `reason`.
pub(super) fn publishable(flags: &BTreeMap<String, FlagState>, reason: &Reason) -> Bulk {
    Bulk {
        flags: BulkFlags::new(
            flags
                .values()
                .map(|state| (state.key.clone(), state.resolution(reason)))
                .collect(),
        ),
        etag: None,
        metadata: FlagMetadata::empty(),
        event_streams: Vec::new(),
        skipped: 0,
        gate: None,
    }
}

/// What a refresh brought.
pub(super) enum Outcome {
    /// The first answer (init, or the first bulk evaluation).
    Initialised,
    /// Updates: the keys that changed (added, modified or deleted).
    Updated(Vec<String>),
    /// The bulk evaluation for a new context: the keys whose evaluation differs.
    ContextChanged(Vec<String>),
    /// The context changed while the request was out: nothing applied.
    Superseded,
}

impl Inner {
    /// Publishes the bootstrap (values mode, before FlagKit first answers): reads of its keys
    /// get its values (reason `BOOTSTRAP`), of others `PROVIDER_NOT_READY`.
    pub(in crate::remote) fn flagkit_bootstrap(&self, fk: &State) {
        let Some(Ok(values)) = &fk.settings.bootstrap else {
            return;
        };
        let states: BTreeMap<String, FlagState> = flagkit::bootstrap_states(values)
            .into_iter()
            .map(|s| (s.key.clone(), s))
            .collect();
        let mut bulk = publishable(&states, &flagkit::bootstrap_reason());
        bulk.gate = Some(EvaluationError::new(
            ErrorCode::ProviderNotReady,
            format!(
                "{}: FlagKit has not answered yet and the bootstrap has no such flag",
                self.name
            ),
        ));
        self.bulk.store(Some(Arc::new(bulk)));
    }

    /// Values mode: asks for the init answer until one arrives, then for updates; publishes
    /// what changed and moves the status (READY; STALE when FlagKit fails after answering
    /// once, ERROR before; FATAL when the keys are refused).
    pub(in crate::remote) async fn refresh_flagkit(&self) -> Result<(), crate::Error> {
        let Protocol::FlagKit(fk) = &self.protocol else {
            return Ok(());
        };
        let _one_at_a_time = self.control.refresh.lock().await;
        let fail = |message: String| crate::Error::Fetch {
            origin: self.name.clone(),
            message,
        };
        if self.fatal.load(Ordering::Relaxed) {
            return Err(fail(
                "the provider is FATAL: FlagKit refused the API key".to_owned(),
            ));
        }
        let deadline = Deadline::after(self.transport.deadline());
        // Whether FlagKit's answer for this configuration (this context) is held: a failure
        // is then STALE, else ERROR.
        let (outcome, initialised) = match &fk.settings.mode {
            Mode::Evaluate => return Ok(()),
            Mode::Values => {
                let initialised = fk.held().flags.is_some();
                let outcome = if initialised {
                    self.flagkit_updates(fk, deadline).await
                } else {
                    self.flagkit_init(fk, deadline).await
                };
                (outcome, initialised)
            }
            Mode::EvaluateAll(_) => {
                let epoch = self.control.current().0;
                let outcome = self.flagkit_evaluate_all(fk, deadline).await;
                let held = self.control.held_epoch.load(Ordering::Acquire) == epoch
                    && self.bulk.load().as_ref().is_some_and(|b| b.gate.is_none());
                (outcome, held)
            }
        };
        let reported = self.report_bootstrap(fk);
        match outcome {
            Ok(Outcome::Superseded) => Ok(()),
            Ok(outcome) => {
                fk.failures.store(0, Ordering::Relaxed);
                let was = self.events.status();
                if was != ProviderStatus::Ready {
                    self.events.set_status(ProviderStatus::Ready);
                    self.events
                        .emit(EventDetails::new(ProviderEvent::Ready, self.name.clone()));
                }
                match outcome {
                    Outcome::Updated(changed) if !changed.is_empty() => self.events.emit(
                        EventDetails::new(ProviderEvent::ConfigurationChanged, self.name.clone())
                            .with_flags_changed(changed),
                    ),
                    Outcome::ContextChanged(changed) => self.events.emit(
                        EventDetails::new(ProviderEvent::ContextChanged, self.name.clone())
                            .with_flags_changed(changed),
                    ),
                    _ => {}
                }
                Ok(())
            }
            Err(error) => {
                let _ = fk
                    .failures
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        Some(n.saturating_add(1))
                    });
                let message = format!("{}: {error}", self.name);
                if error.is_auth() {
                    self.go_fatal(&error.resolution());
                    return Err(fail(error.to_string()));
                }
                let status = if initialised {
                    ProviderStatus::Stale
                } else {
                    ProviderStatus::Error
                };
                // (The bootstrap's ERROR event just sent does not stand for this failure.)
                if self.events.status() != status || reported {
                    self.events.set_status(status);
                    let event = if status == ProviderStatus::Stale {
                        ProviderEvent::Stale
                    } else {
                        ProviderEvent::Error
                    };
                    self.events.emit(
                        EventDetails::new(event, self.name.clone())
                            .with_message(message.clone())
                            .with_error_code(error.code),
                    );
                }
                tracing::debug!(target: "flags", "{message}");
                Err(fail(error.to_string()))
            }
        }
    }

    /// A bootstrap that was not used: an `ERROR` event, once, when the first answer (or
    /// failure) arrives; whether it was sent now.
    fn report_bootstrap(&self, fk: &State) -> bool {
        if let Some(Err(why)) = &fk.settings.bootstrap
            && !fk.bootstrap_reported.swap(true, Ordering::Relaxed)
        {
            self.events.emit(
                EventDetails::new(ProviderEvent::Error, self.name.clone())
                    .with_message(format!("{}: {why}", self.name)),
            );
            return true;
        }
        false
    }

    async fn flagkit_init(&self, fk: &State, deadline: Deadline) -> Result<Outcome, FlagKitError> {
        let url = flagkit::url(&fk.settings.base_url, "/sdk/init");
        let response = self.flagkit_send(fk, &Call::Get(url), deadline).await?;
        let init = flagkit::parse_init(&response.body)?;
        for why in &init.skipped {
            tracing::warn!(target: "flags", "{}: init: a flag state was skipped: {why}", self.name);
        }
        self.advise(fk, &init.sdk);
        let flags: BTreeMap<String, FlagState> = init
            .flags
            .into_iter()
            .filter(|s| !s.deleted)
            .map(|s| (s.key.clone(), s))
            .collect();
        self.bulk
            .store(Some(Arc::new(publishable(&flags, &Reason::Static))));
        let mut held = fk.held();
        held.flags = Some(flags);
        held.since = Some(init.server_time.unwrap_or_else(an_hour_ago));
        held.server_interval = Some(init.polling_interval);
        drop(held);
        fk.initialised.send_replace(true);
        Ok(Outcome::Initialised)
    }

    async fn flagkit_updates(
        &self,
        fk: &State,
        deadline: Deadline,
    ) -> Result<Outcome, FlagKitError> {
        let since = fk.held().since.clone().unwrap_or_else(an_hour_ago);
        let url = flagkit::updates_url(&fk.settings.base_url, &since);
        let response = self.flagkit_send(fk, &Call::Get(url), deadline).await?;
        let updates = flagkit::parse_updates(&response.body)?;
        for why in &updates.skipped {
            tracing::warn!(target: "flags", "{}: updates: a flag state was skipped: {why}", self.name);
        }
        let mut held = fk.held();
        if let Some(at) = updates.checked_at {
            held.since = Some(at);
        }
        let Some(flags) = held.flags.as_mut() else {
            return Ok(Outcome::Updated(Vec::new()));
        };
        let mut changed = Vec::new();
        for state in updates.changed {
            if flags.get(&state.key) != Some(&state) {
                changed.push(state.key.clone());
                flags.insert(state.key.clone(), state);
            }
        }
        for key in updates.deleted {
            if flags.remove(&key).is_some() {
                changed.push(key);
            }
        }
        if !changed.is_empty() {
            self.bulk
                .store(Some(Arc::new(publishable(flags, &Reason::Static))));
            changed.sort();
            changed.dedup();
        }
        Ok(Outcome::Updated(changed))
    }

    /// Logs the server's SDK version advice, once per provider.
    fn advise(&self, fk: &State, sdk: &flagkit::SdkAdvice) {
        if fk.advised.swap(true, Ordering::Relaxed) {
            return;
        }
        let ours = super::state::SDK_VERSION;
        if let Some(warning) = &sdk.deprecation_warning {
            tracing::warn!(
                target: "flags",
                "{}: FlagKit says: {}",
                self.name,
                crate::transport::excerpt(warning)
            );
        }
        if let Some(min) = &sdk.min
            && older(ours, min)
        {
            tracing::error!(
                target: "flags",
                "{}: this SDK ({ours}) is older than the oldest FlagKit supports ({})",
                self.name,
                crate::transport::excerpt(min)
            );
        } else if let Some(recommended) = &sdk.recommended
            && older(ours, recommended)
        {
            tracing::warn!(
                target: "flags",
                "{}: FlagKit recommends SDK {} or newer (this is {ours})",
                self.name,
                crate::transport::excerpt(recommended)
            );
        }
    }
}

/// Whether version `a` is older than `b` (dotted numbers, a leading `v` and pre-release or
/// build suffixes ignored; unreadable parts count as 0).
pub(super) fn older(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.trim()
            .trim_start_matches(['v', 'V'])
            .split(['-', '+'])
            .next()
            .unwrap_or_default()
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x < y;
        }
    }
    false
}

/// `since` when FlagKit named no server time: an hour ago, as its SDKs do.
fn an_hour_ago() -> String {
    flags_http::date::iso8601(std::time::SystemTime::now() - Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::older;

    #[test]
    fn versions_compare_by_their_numbers() {
        assert!(older("0.1.0", "1.0.0"));
        assert!(older("1.2.9", "1.10.0"));
        assert!(!older("1.10.0", "1.2.9"));
        assert!(!older("1.0", "v1.0.0"));
        assert!(!older("2.0.0-beta", "2.0.0"));
    }
}
