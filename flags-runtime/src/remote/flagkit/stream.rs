//! Streaming (values mode, `.streaming()`): the key exchanged for a token, FlagKit's event
//! stream read with flags-http's SSE reader, its changes applied as they come; the token
//! renewed at 80 % of its lifetime, a silent stream presumed dead, and after 3 consecutive
//! failures a fallback to polling until streaming is tried again.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use flags_http::sse::SseParser;

use super::send::Call;
use super::state::{State, StreamTiming};
use super::values::publishable;
use crate::details::Reason;
use crate::events::{EventDetails, ProviderEvent};
use crate::remote::{Inner, Protocol};
use crate::transport::{Deadline, Request};
use crate::wire::flagkit::stream::{self, StreamErrorCode, StreamMessage};
use crate::wire::flagkit::{self, FlagState, sign};

/// Consecutive failures before falling back to polling.
const MAX_FAILURES: u32 = 3;
/// The longest reconnection delay.
const MAX_RECONNECT: Duration = Duration::from_secs(30);
/// The largest SSE line or event accepted.
const MAX_EVENT: usize = 1 << 20;

/// How one connection ended.
enum End {
    /// The token is at 80 % of its lifetime: a new one, and reconnect at once.
    Renew,
    /// `TOKEN_INVALID` / `TOKEN_EXPIRED`: a new token, and reconnect at once (a failure when
    /// the connection brought nothing, so that a server saying only this is paced).
    NewToken { productive: bool },
    /// The service says streaming is not for now: poll, and try again later.
    Fallback(String),
    /// A failure: reconnect after a delay (`productive`: the connection brought messages).
    Failure { why: String, productive: bool },
    /// The provider stopped (FATAL, shut down).
    Stop,
}

/// Keeps a stream connected while the provider lives (values mode with streaming).
pub(in crate::remote) async fn supervise(weak: Weak<Inner>) {
    let mut initialised = {
        let Some(inner) = weak.upgrade() else { return };
        let Protocol::FlagKit(fk) = &inner.protocol else {
            return;
        };
        fk.initialised.subscribe()
    };
    // The stream brings changes to the flags held: it starts once the init answer arrived.
    if initialised.wait_for(|done| *done).await.is_err() {
        return;
    }
    let mut failures: u32 = 0;
    let mut connected_before = false;
    loop {
        let (end, timing) = {
            let Some(inner) = weak.upgrade() else { return };
            let Protocol::FlagKit(fk) = &inner.protocol else {
                return;
            };
            let Some(timing) = fk.settings.streaming else {
                return;
            };
            if inner.fatal.load(Ordering::Relaxed) || inner.stopped.load(Ordering::Relaxed) {
                return;
            }
            let end = inner
                .flagkit_stream_once(fk, &timing, connected_before)
                .await;
            fk.streaming_live.store(false, Ordering::Relaxed);
            (end, timing)
        };
        connected_before = true;
        let failed = |why: String, failures: u32| -> Option<Duration> {
            tracing::debug!(target: "flags", "FlagKit stream: {why}");
            (failures < MAX_FAILURES).then(|| reconnect_delay(timing.reconnect_delay, failures))
        };
        let wait = match end {
            End::Stop => return,
            End::Renew | End::NewToken { productive: true } => {
                failures = 0;
                continue;
            }
            End::NewToken { productive: false } => {
                failures += 1;
                failed("the token was refused".to_owned(), failures)
            }
            End::Failure { why, productive } => {
                failures = if productive { 1 } else { failures + 1 };
                failed(why, failures)
            }
            End::Fallback(why) => {
                fall_back(&weak, &why);
                failures = 0;
                tokio::time::sleep(timing.retry_after).await;
                continue;
            }
        };
        match wait {
            Some(delay) => tokio::time::sleep(delay).await,
            None => {
                fall_back(
                    &weak,
                    &format!("{MAX_FAILURES} consecutive failures to stream"),
                );
                failures = 0;
                tokio::time::sleep(timing.retry_after).await;
            }
        }
    }
}

/// Reports a fallback to polling (the status stays: polling serves).
fn fall_back(weak: &Weak<Inner>, why: &str) {
    if let Some(inner) = weak.upgrade() {
        inner.flagkit_notice(&format!("{why}; polling until streaming is tried again"));
    }
}

/// The wait before reconnection attempt `failures` (1 for the first): `base` doubled per
/// consecutive failure, capped at 30 s, the upper half of it random.
fn reconnect_delay(base: Duration, failures: u32) -> Duration {
    let ceiling = base
        .checked_mul(1 << failures.saturating_sub(1).min(16))
        .unwrap_or(MAX_RECONNECT)
        .min(MAX_RECONNECT.max(base));
    let half = ceiling / 2;
    half + crate::transport::jitter(ceiling - half)
}

impl Inner {
    /// One connection: a token, the stream, its messages applied, until it ends.
    async fn flagkit_stream_once(&self, fk: &State, timing: &StreamTiming, reconnect: bool) -> End {
        let url = flagkit::url(&fk.settings.base_url, "/sdk/stream/token");
        let deadline = Deadline::after(self.transport.deadline());
        let token = match self
            .flagkit_send(fk, &Call::Post(url, "{}".to_owned()), deadline)
            .await
        {
            Ok(response) => match stream::parse_token(&response.body) {
                Ok(token) => token,
                Err(error) => {
                    return End::Failure {
                        why: error.to_string(),
                        productive: false,
                    };
                }
            },
            Err(error) if error.is_auth() => {
                self.go_fatal(&error.resolution());
                return End::Stop;
            }
            Err(error) => {
                return End::Failure {
                    why: format!("the stream token: {error}"),
                    productive: false,
                };
            }
        };
        let renew_at = Instant::now() + token.expires_in.mul_f64(0.8);
        // The token, never the key, in the URL; the key in no header of this request either.
        let request = Request::get(stream::stream_url(&fk.settings.base_url, &token.token))
            .header("Accept", "text/event-stream")
            .header("Cache-Control", "no-cache");
        let mut open = match self.transport.open_stream(request).await {
            Ok(open) if open.status() == 200 => open,
            Ok(open) => {
                return End::Failure {
                    why: format!("the stream answered HTTP {}", open.status()),
                    productive: false,
                };
            }
            Err(error) => {
                return End::Failure {
                    why: format!(
                        "cannot open the stream: {}",
                        sign::sanitize(&error.to_string())
                    ),
                    productive: false,
                };
            }
        };
        let is_sse = open.header("content-type").is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        });
        if !is_sse {
            return End::Failure {
                why: "the stream is not `text/event-stream`".to_owned(),
                productive: false,
            };
        }
        fk.streaming_live.store(true, Ordering::Relaxed);
        fk.stream_connections.fetch_add(1, Ordering::Relaxed);
        if reconnect {
            // Changes may have come while disconnected.
            let _ = self.refresh_flagkit().await;
        }
        let mut parser = SseParser::new(MAX_EVENT);
        let mut productive = false;
        loop {
            if self.fatal.load(Ordering::Relaxed) || self.stopped.load(Ordering::Relaxed) {
                return End::Stop;
            }
            let now = Instant::now();
            if now >= renew_at {
                return End::Renew;
            }
            let wait = timing.heartbeat_timeout.min(renew_at - now);
            let chunk = match tokio::time::timeout(wait, open.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => {
                    return End::Failure {
                        why: "the stream ended".to_owned(),
                        productive,
                    };
                }
                Ok(Err(error)) => {
                    return End::Failure {
                        why: format!("the stream failed: {}", sign::sanitize(&error.to_string())),
                        productive,
                    };
                }
                Err(_) if Instant::now() >= renew_at => return End::Renew,
                Err(_) => {
                    return End::Failure {
                        why: format!(
                            "no heartbeat for {} ms; reconnecting",
                            timing.heartbeat_timeout.as_millis()
                        ),
                        productive,
                    };
                }
            };
            for event in parser.feed(&chunk) {
                match stream::parse_message(&event.event, &event.data) {
                    StreamMessage::Heartbeat => productive = true,
                    StreamMessage::Updated(state) => {
                        productive = true;
                        self.apply_stream(fk, |flags| upsert(flags, state));
                    }
                    StreamMessage::Deleted(key) => {
                        productive = true;
                        self.apply_stream(fk, |flags| {
                            flags.remove(&key).map(|_| vec![key]).unwrap_or_default()
                        });
                    }
                    StreamMessage::Reset(states) => {
                        productive = true;
                        self.apply_stream(fk, |flags| reset(flags, states));
                    }
                    StreamMessage::Error { code, message } => {
                        let said = if message.is_empty() {
                            String::new()
                        } else {
                            format!(": {message}")
                        };
                        return match code {
                            StreamErrorCode::Token => End::NewToken { productive },
                            StreamErrorCode::Suspended => End::Fallback(format!(
                                "the FlagKit subscription is suspended{said}"
                            )),
                            StreamErrorCode::Unavailable => {
                                End::Fallback(format!("FlagKit streaming is unavailable{said}"))
                            }
                            StreamErrorCode::ConnectionLimit => End::Failure {
                                why: format!("too many stream connections{said}"),
                                productive: false,
                            },
                            StreamErrorCode::Other(code) => End::Failure {
                                why: format!("the stream sent error `{code}`{said}"),
                                productive: false,
                            },
                        };
                    }
                    StreamMessage::Ignored(why) => {
                        tracing::debug!(target: "flags", "{}: stream message ignored: {why}", self.name);
                    }
                }
            }
        }
    }

    /// Applies a change from the stream to the flags held: publishes them and raises
    /// `CONFIGURATION_CHANGED` when a flag changed.
    fn apply_stream(
        &self,
        fk: &State,
        change: impl FnOnce(&mut BTreeMap<String, FlagState>) -> Vec<String>,
    ) {
        let mut changed = {
            let mut held = fk.held();
            let Some(flags) = held.flags.as_mut() else {
                return;
            };
            let changed = change(flags);
            if !changed.is_empty() {
                self.bulk
                    .store(Some(Arc::new(publishable(flags, &Reason::Static))));
            }
            changed
        };
        if !changed.is_empty() {
            changed.sort();
            changed.dedup();
            self.events.emit(
                EventDetails::new(ProviderEvent::ConfigurationChanged, self.name.clone())
                    .with_flags_changed(changed),
            );
        }
    }
}

fn upsert(flags: &mut BTreeMap<String, FlagState>, state: FlagState) -> Vec<String> {
    if state.deleted {
        return flags
            .remove(&state.key)
            .map(|_| vec![state.key])
            .unwrap_or_default();
    }
    if flags.get(&state.key) == Some(&state) {
        return Vec::new();
    }
    let key = state.key.clone();
    flags.insert(key.clone(), state);
    vec![key]
}

fn reset(flags: &mut BTreeMap<String, FlagState>, states: Vec<FlagState>) -> Vec<String> {
    let new: BTreeMap<String, FlagState> = states
        .into_iter()
        .filter(|s| !s.deleted)
        .map(|s| (s.key.clone(), s))
        .collect();
    let changed = flags
        .keys()
        .chain(new.keys())
        .filter(|k| flags.get(*k) != new.get(*k))
        .cloned()
        .collect();
    *flags = new;
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_double_within_their_cap() {
        let base = Duration::from_millis(100);
        for _ in 0..20 {
            let first = reconnect_delay(base, 1);
            assert!((base / 2..=base).contains(&first), "{first:?}");
            let third = reconnect_delay(base, 3);
            assert!((base * 2..=base * 4).contains(&third), "{third:?}");
            assert!(reconnect_delay(Duration::from_secs(3), 40) <= MAX_RECONNECT);
        }
    }
}
