//! A running FlagKit provider's settings and state: a leaf file, imported by the provider's
//! tasks (`values.rs`, `send.rs`) and by the remote provider that holds it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::context::Context;
use crate::wire::flagkit::FlagState;
use crate::wire::flagkit::request::ContextRules;

/// The version FlagKit's service is told (`X-FlagKit-SDK-Version`) and compares with its
/// `sdkVersionMin`.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A secret: printed as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What the service's usage headers said on one answer (`x-api-usage-percent`,
/// `x-evaluation-usage-percent`, `x-rate-limit-*`, `x-subscription-status`); handed to
/// [`FlagKit::on_usage`](crate::remote::FlagKit::on_usage).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Usage {
    /// The share of the plan's API calls used, in percent.
    pub api_usage_percent: Option<f64>,
    /// The share of the plan's evaluations used, in percent.
    pub evaluation_usage_percent: Option<f64>,
    /// The service warns that the rate limit is near (`x-rate-limit-warning: true`).
    pub rate_limit_warning: bool,
    /// `x-rate-limit-limit`: requests allowed per window.
    pub rate_limit_limit: Option<u64>,
    /// `x-rate-limit-remaining`: requests left in this window.
    pub rate_limit_remaining: Option<u64>,
    /// `x-rate-limit-reset`: when the window resets, as the service writes it.
    pub rate_limit_reset: Option<String>,
    /// `active`, `trial`, `past_due`, `suspended`, `cancelled`.
    pub subscription_status: Option<String>,
}

/// A usage callback.
pub(crate) type UsageCallback = Arc<dyn Fn(&Usage) + Send + Sync>;

/// How the provider asks the service.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    /// `GET /sdk/init` then `/sdk/updates`: values per environment, read locally.
    Values,
    /// `POST /sdk/evaluate` per evaluation, with its context.
    Evaluate,
    /// `POST /sdk/evaluate/all` for one context, read locally (a bulk mode).
    EvaluateAll(Context),
}

/// How the event stream is paced (values mode with `.streaming()`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamTiming {
    /// The first reconnection delay, doubled per consecutive failure (at most 30 s).
    pub reconnect_delay: Duration,
    /// A stream silent this long is presumed dead.
    pub heartbeat_timeout: Duration,
    /// After 3 consecutive failures (or the service saying so), streaming is tried again
    /// this long later, polling meanwhile.
    pub retry_after: Duration,
}

impl Default for StreamTiming {
    /// FlagKit's SDKs' pacing: 3 s, 60 s (twice the 30 s heartbeat), 300 s.
    fn default() -> Self {
        StreamTiming {
            reconnect_delay: Duration::from_secs(3),
            heartbeat_timeout: Duration::from_secs(60),
            retry_after: Duration::from_secs(300),
        }
    }
}

/// The settings, validated.
pub(crate) struct Settings {
    pub base_url: String,
    pub primary: Secret,
    pub secondary: Option<Secret>,
    /// The configured polling interval; the server's may be longer.
    pub polling_interval: Duration,
    pub mode: Mode,
    /// Values mode: listen to FlagKit's event stream, polling only while it is down.
    pub streaming: Option<StreamTiming>,
    pub context_rules: ContextRules,
    pub on_usage: Option<UsageCallback>,
    /// The bootstrap, verified (or why it was refused).
    pub bootstrap: Option<Result<serde_json::Map<String, serde_json::Value>, String>>,
}

/// The flags held, in key order, and where the next `since` starts.
#[derive(Default)]
pub(crate) struct Held {
    /// `None` until the init answer arrives.
    pub flags: Option<BTreeMap<String, FlagState>>,
    pub since: Option<String>,
    /// The server's polling interval.
    pub server_interval: Option<Duration>,
}

/// Usage seen so far, to report each change once.
#[derive(Default)]
pub(crate) struct UsageSeen {
    pub last: Option<Usage>,
    pub high_usage: bool,
}

/// A running FlagKit provider's own state, beside the remote provider's.
pub(crate) struct State {
    pub settings: Settings,
    /// Switched to the secondary key (after a 401): for good.
    pub rotated: AtomicBool,
    pub held: Mutex<Held>,
    pub usage: Mutex<UsageSeen>,
    /// The SDK version advice and the bootstrap problem were reported.
    pub advised: AtomicBool,
    pub bootstrap_reported: AtomicBool,
    /// Consecutive failed polls (for the backoff).
    pub failures: AtomicU8,
    /// The event stream is connected: polls are skipped.
    pub streaming_live: AtomicBool,
    /// The init answer arrived (the stream starts then).
    pub initialised: tokio::sync::watch::Sender<bool>,
    /// Streams opened, for tests and tracing.
    pub stream_connections: std::sync::atomic::AtomicU64,
}

impl State {
    pub(crate) fn new(settings: Settings) -> State {
        State {
            settings,
            rotated: AtomicBool::new(false),
            held: Mutex::new(Held::default()),
            usage: Mutex::new(UsageSeen::default()),
            advised: AtomicBool::new(false),
            bootstrap_reported: AtomicBool::new(false),
            failures: AtomicU8::new(0),
            streaming_live: AtomicBool::new(false),
            initialised: tokio::sync::watch::Sender::new(false),
            stream_connections: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The key requests go out with.
    pub(crate) fn key(&self) -> &str {
        match &self.settings.secondary {
            Some(secondary) if self.rotated.load(std::sync::atomic::Ordering::Relaxed) => {
                &secondary.0
            }
            _ => &self.settings.primary.0,
        }
    }

    /// Whether reads answer locally from a bulk evaluation (values, `evaluate_all`).
    pub(crate) fn is_bulk(&self) -> bool {
        !matches!(self.settings.mode, Mode::Evaluate)
    }

    /// The context of `evaluate_all`.
    pub(crate) fn bulk_context(&self) -> Option<&Context> {
        match &self.settings.mode {
            Mode::EvaluateAll(ctx) => Some(ctx),
            _ => None,
        }
    }

    pub(crate) fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}
