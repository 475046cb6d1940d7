//! One FlagKit request: the current key, the signature of a POST body, the usage headers of
//! the answer, and the switch to the secondary key on a `401`.

use std::sync::atomic::Ordering;

use super::state::{State, Usage};
use crate::events::{EventDetails, ProviderEvent};
use crate::remote::Inner;
use crate::transport::{Deadline, Headers, Request, Response};
use crate::wire::flagkit::{self, Code, FlagKitError, sign};

/// What to send.
pub(super) enum Call {
    Get(String),
    /// The URL and the body, signed as sent.
    Post(String, String),
}

/// Usage at or above this share (percent) is reported once.
const HIGH_USAGE: f64 = 80.0;

impl Inner {
    /// Sends `call` with the current key until `deadline`; a `401` to the primary key
    /// switches to the secondary one (once, for good, with a notice) and sends again.
    pub(super) async fn flagkit_send(
        &self,
        fk: &State,
        call: &Call,
        deadline: Deadline,
    ) -> Result<Response, FlagKitError> {
        loop {
            let on_secondary = fk.rotated.load(Ordering::Relaxed);
            let key = fk.key();
            let request = match call {
                Call::Get(url) => Request::get(url.clone()),
                Call::Post(url, body) => {
                    let mut request = Request::post_json(url.clone(), body.clone().into_bytes());
                    for (name, value) in sign::request_headers(key, now_ms(), body.as_bytes()) {
                        request = request.header(name, value);
                    }
                    request
                }
            };
            let request = request.header("X-API-Key", key.to_owned());
            match self.transport.send_until(request, deadline).await {
                Ok(response) => {
                    self.flagkit_usage(fk, &response.headers);
                    return Ok(response);
                }
                Err(error) => {
                    // A 429 or any other refusal carries the usage headers too.
                    if let Some(headers) = error.headers() {
                        self.flagkit_usage(fk, headers);
                    }
                    let error = flagkit::transport_error(&error);
                    if error.kind == Code::InvalidKey
                        && !on_secondary
                        && fk.settings.secondary.is_some()
                    {
                        if !fk.rotated.swap(true, Ordering::Relaxed) {
                            self.flagkit_notice(
                                "FlagKit refused the primary API key (401); the provider \
                                 switched to the secondary key for good",
                            );
                        }
                        continue;
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Reads the usage headers of an answer (a success or an error status): the callback,
    /// and an event per change worth one.
    fn flagkit_usage(&self, fk: &State, headers: &Headers) {
        let percent = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.trim().trim_end_matches('%').parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        let count = |name: &str| headers.get(name).and_then(|v| v.trim().parse::<u64>().ok());
        let usage = Usage {
            api_usage_percent: percent("x-api-usage-percent"),
            evaluation_usage_percent: percent("x-evaluation-usage-percent"),
            rate_limit_warning: headers
                .get("x-rate-limit-warning")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            rate_limit_limit: count("x-rate-limit-limit"),
            rate_limit_remaining: count("x-rate-limit-remaining"),
            rate_limit_reset: headers
                .get("x-rate-limit-reset")
                .map(|v| crate::transport::excerpt(v.trim())),
            subscription_status: headers
                .get("x-subscription-status")
                .map(|v| crate::transport::excerpt(&v.trim().to_ascii_lowercase())),
        };
        if usage == Usage::default() {
            return;
        }
        if let Some(callback) = &fk.settings.on_usage {
            // A panicking callback must not take the provider's task down.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(&usage)));
        }
        let mut messages = Vec::new();
        {
            let mut seen = fk.usage.lock().unwrap_or_else(|p| p.into_inner());
            let before = seen.last.take().unwrap_or_default();
            if usage.subscription_status != before.subscription_status
                && let Some(status) = &usage.subscription_status
                && !matches!(status.as_str(), "active" | "trial")
            {
                messages.push(format!("the FlagKit subscription is `{status}`"));
            }
            if usage.rate_limit_warning && !before.rate_limit_warning {
                messages.push("FlagKit warns that the rate limit is near".to_owned());
            }
            let high = usage
                .api_usage_percent
                .into_iter()
                .chain(usage.evaluation_usage_percent)
                .fold(None::<f64>, |m, v| Some(m.map_or(v, |m| m.max(v))));
            let is_high = high.is_some_and(|h| h >= HIGH_USAGE);
            if is_high && !seen.high_usage {
                messages.push(format!(
                    "FlagKit usage reached {:.0} % of the plan",
                    high.unwrap_or_default()
                ));
            }
            seen.high_usage = is_high;
            seen.last = Some(usage);
        }
        for message in messages {
            self.flagkit_notice(&message);
        }
    }

    /// Tells the handlers and the log what happened, without changing the status (FlagKit
    /// still serves): a `CONFIGURATION_CHANGED` event with no changed flag and `message`.
    /// (An `ERROR` event would set the status to ERROR, which OpenFeature ties to that event.)
    pub(super) fn flagkit_notice(&self, message: &str) {
        let message = format!("{}: {message}", self.name);
        tracing::warn!(target: "flags", "{message}");
        self.events.emit(
            EventDetails::new(ProviderEvent::ConfigurationChanged, self.name.clone())
                .with_message(message),
        );
    }
}

/// Unix milliseconds now.
pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
