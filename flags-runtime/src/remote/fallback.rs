//! The remote fallback of an in-process source: the flags the engine cannot compile asked for
//! over OFREP (see [`GoFeatureFlagSource::remote_fallback`]).
//!
//! GO Feature Flag's own providers ask the relay over OFREP whenever their engine fails, on
//! every such evaluation. Ours does not fail, but a flag whose definition it cannot read or
//! compile answers `PARSE_ERROR`; with a fallback, a read of such a flag answers from the
//! fallback's cache when it holds a fresh answer for the flag, the type read and the context,
//! and otherwise answers `PARSE_ERROR` at once and starts a request in the background (at most
//! one in flight per flag and context, within a token bucket over all requests) whose answer
//! serves the next reads. Reads of the other flags never reach this file.
//!
//! [`GoFeatureFlagSource::remote_fallback`]: crate::source::GoFeatureFlagSource::remote_fallback

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Inner, Ofrep, Remote, sealed};
use crate::context::Context;
use crate::details::{FlagMetadata, MetadataValue};
use crate::provider::Resolution;
use crate::transport::Deadline;

/// The flag metadata key set to `true` on an answer of the remote fallback: the key GO Feature
/// Flag's providers set (their data collector skips such evaluations, which the relay counted).
pub const EVALUATED_REMOTELY: &str = "gofeatureflag_evaluated_remotely";

/// Requests the remote fallback may send per [`DEFAULT_FALLBACK_PERIOD`] (and at once),
/// unless set.
pub const DEFAULT_FALLBACK_REQUESTS: u32 = 10;

/// The period of the remote fallback's rate limit, unless set.
pub const DEFAULT_FALLBACK_PERIOD: Duration = Duration::from_secs(1);

/// The counts are logged at most this often.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// A remote failure is quoted in messages up to this many characters.
const FAILURE_CHARS: usize = 200;

/// At most this many flags' last failures are kept (beyond, they are forgotten).
const MAX_FAILURES: usize = 1024;

/// What a remote fallback did since the client was built (cumulative): read with
/// [`Client::remote_fallback_stats`](crate::Client::remote_fallback_stats).
///
/// `reads` − `answered` reads answered `PARSE_ERROR`; each of them sent a request, joined
/// one in flight for the same flag and context, or was over the rate limit (`limited`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FallbackStats {
    /// Reads of a flag the engine cannot compile (the reads that reached the fallback).
    pub reads: u64,
    /// Of those, the reads answered with the remote service's answer.
    pub answered: u64,
    /// OFREP requests sent.
    pub sent: u64,
    /// Requests not sent: the rate limit was reached.
    pub limited: u64,
    /// Requests sent that brought no answer (a transport failure, an error status or an error
    /// answer, the deadline).
    pub failed: u64,
}

#[derive(Default)]
struct Counters {
    reads: AtomicU64,
    answered: AtomicU64,
    sent: AtomicU64,
    limited: AtomicU64,
    failed: AtomicU64,
}

/// A remote fallback's settings, held by its source until the provider starts it.
#[derive(Clone)]
pub(crate) struct FallbackPlan {
    ofrep: Ofrep,
    requests: u32,
    per: Duration,
}

impl fmt::Debug for FallbackPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FallbackPlan")
            .field("ofrep", &self.ofrep)
            .field("requests", &self.requests)
            .field("per", &self.per)
            .finish()
    }
}

impl FallbackPlan {
    /// Asks `ofrep`, at most `requests` per `per`.
    pub(crate) fn new(ofrep: Ofrep, requests: u32, per: Duration) -> FallbackPlan {
        FallbackPlan {
            ofrep,
            requests,
            per,
        }
    }

    /// Checks the settings and starts the fallback of the source described as `source`: its
    /// OFREP provider's thread, without network I/O.
    pub(crate) fn start(self, source: &str) -> Result<RemoteFallback, crate::Error> {
        let origin = format!("the remote fallback of {source}");
        let fail = |message: &str| crate::Error::Source {
            origin: origin.clone(),
            message: message.to_owned(),
        };
        if self.ofrep.bulk.is_some() {
            return Err(fail(
                "it asks for one flag at a time: remove `.bulk(..)` from its `remote::ofrep(..)`",
            ));
        }
        let cache = self.ofrep.cache.unwrap_or_default();
        if cache.ttl.is_zero() || cache.max_entries == 0 {
            return Err(fail(
                "reads are answered from its cache: give `.cache(ttl, max_entries)` of its \
                 `remote::ofrep(..)` a positive TTL and size, or leave it unset (60 s, 1000)",
            ));
        }
        if self.requests == 0 || self.per.is_zero() {
            return Err(fail(
                "its rate limit must let requests through: `.remote_fallback_rate(requests, \
                 per)` with both above zero (default: 10 per second)",
            ));
        }
        let mut ofrep = self.ofrep;
        ofrep.cache = Some(cache);
        let remote = sealed::Sealed::start(Box::new(ofrep)).map_err(|error| match error {
            crate::Error::Source {
                origin: part,
                message,
            } => crate::Error::Source {
                origin: format!("{part} of {origin}"),
                message,
            },
            other => other,
        })?;
        Ok(RemoteFallback {
            remote,
            source: source.to_owned(),
            state: Arc::new(State::default()),
            limiter: Mutex::new(Bucket::new(self.requests, self.per, Instant::now())),
            rate: (self.requests, self.per),
            last_log: Mutex::new(None),
        })
    }
}

impl Ofrep {
    /// Adds `headers` (a relay's API key and custom headers, in order of precedence) when this
    /// provider's base URL is `endpoint`, the relay's own; a header of the same name set here
    /// wins. A provider at another URL gets none of them.
    pub(crate) fn inherit(mut self, endpoint: &str, headers: Vec<(String, String)>) -> Ofrep {
        let normal = |url: &str| url.trim().trim_end_matches('/').to_owned();
        if self.options.base_url.as_deref().map(normal) == Some(normal(endpoint)) {
            for (name, value) in headers {
                if !self
                    .options
                    .headers
                    .iter()
                    .any(|(set, _)| set.eq_ignore_ascii_case(&name))
                {
                    self.options.headers.push((name, value));
                }
            }
        }
        self
    }
}

/// A running remote fallback: an OFREP provider per evaluation with its cache, the requests in
/// flight, the rate limit and the counts.
pub(crate) struct RemoteFallback {
    remote: Remote,
    /// The source's description, for the log.
    source: String,
    state: Arc<State>,
    limiter: Mutex<Bucket>,
    /// Requests per period, for messages.
    rate: (u32, Duration),
    /// When the counts were last logged.
    last_log: Mutex<Option<Instant>>,
}

impl fmt::Debug for RemoteFallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteFallback")
            .field("remote", &self.remote.inner.name)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// What a fallback and its requests in flight share.
#[derive(Default)]
struct State {
    counters: Counters,
    /// The requests in flight: the flag and the request's body (the context as sent).
    in_flight: Mutex<HashSet<(Arc<str>, Vec<u8>)>>,
    /// Per flag, why its last request failed, until one succeeds.
    failures: Mutex<HashMap<Arc<str>, Arc<str>>>,
}

/// A lock that a panic elsewhere does not make unusable: each holder leaves the data whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl RemoteFallback {
    /// A read of `flag`, as the type `ty`, in `ctx`, which the engine cannot compile: the
    /// remote answer held for them, or a short note of what the fallback did instead, for the
    /// `PARSE_ERROR` message. Never waits for the network.
    pub(crate) fn resolve(
        &self,
        flag: &str,
        ty: TypeId,
        ctx: &Context,
    ) -> Result<Arc<Resolution>, String> {
        let counters = &self.state.counters;
        counters.reads.fetch_add(1, Ordering::Relaxed);
        let held = self
            .remote
            .inner
            .cache
            .as_ref()
            .and_then(|cache| cache.get(flag, ty, ctx));
        let outcome = match held {
            Some(answer) => {
                counters.answered.fetch_add(1, Ordering::Relaxed);
                Ok(answer)
            }
            None => {
                let failed = lock(&self.state.failures).get(flag).cloned();
                match self.request(flag, ty, ctx) {
                    Ok(answer) => {
                        counters.answered.fetch_add(1, Ordering::Relaxed);
                        Ok(answer)
                    }
                    Err(note) => Err(match failed {
                        Some(why) => format!("the remote fallback failed: {why}"),
                        None => note.into_owned(),
                    }),
                }
            }
        };
        self.log_counts();
        outcome
    }

    /// Starts a request for `flag` in `ctx` unless one is in flight or the rate limit is
    /// reached; says which. The answer itself when it arrived since the caller missed it in
    /// the cache: a request files its answer before it leaves the in-flight set, so a reader
    /// that finds no request in flight finds its answer (one request per flag and context).
    fn request(
        &self,
        flag: &str,
        ty: TypeId,
        ctx: &Context,
    ) -> Result<Arc<Resolution>, Cow<'static, str>> {
        let inner = &self.remote.inner;
        if inner.stopped.load(Ordering::Relaxed) {
            return Err("the remote fallback is shut down".into());
        }
        let body = match crate::wire::ofrep::request_body(ctx) {
            Ok(body) => body,
            Err(error) => {
                return Err(format!("the remote fallback cannot send the context: {error}").into());
            }
        };
        let key = (Arc::<str>::from(flag), body);
        {
            let mut in_flight = lock(&self.state.in_flight);
            if in_flight.contains(&key) {
                return Err("the remote fallback's answer is on its way".into());
            }
            if let Some(answer) = inner.cache.as_ref().and_then(|c| c.get(flag, ty, ctx)) {
                return Ok(answer);
            }
            if !lock(&self.limiter).take(Instant::now()) {
                self.state.counters.limited.fetch_add(1, Ordering::Relaxed);
                let (requests, per) = self.rate;
                return Err(format!(
                    "the remote fallback is over its rate limit ({requests} requests per {} ms)",
                    per.as_millis()
                )
                .into());
            }
            in_flight.insert(key.clone());
        }
        self.state.counters.sent.fetch_add(1, Ordering::Relaxed);
        // Dropped when the request ends, or with the task if the runtime stops first.
        let pending = InFlight {
            state: self.state.clone(),
            key,
        };
        let inner = inner.clone();
        let ctx = ctx.clone();
        inner.runtime.clone().spawn(async move {
            let flag = pending.key.0.clone();
            let deadline = Deadline::after(inner.transport.deadline());
            let resolution = inner.fetch_one(&flag, &ctx, deadline).await;
            pending.state.record(&inner, &flag, ty, &ctx, resolution);
        });
        Err("the remote fallback was asked over OFREP; its answer serves the next reads".into())
    }

    /// The counts so far.
    pub(crate) fn stats(&self) -> FallbackStats {
        let c = &self.state.counters;
        FallbackStats {
            reads: c.reads.load(Ordering::Relaxed),
            answered: c.answered.load(Ordering::Relaxed),
            sent: c.sent.load(Ordering::Relaxed),
            limited: c.limited.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    /// Logs the counts at WARNING, at most once per [`LOG_EVERY`] (the first time at once).
    fn log_counts(&self) {
        let now = Instant::now();
        // Another reader checking or logging right now: it logs, or it was not time.
        let Ok(mut last) = self.last_log.try_lock() else {
            return;
        };
        if !log_due(*last, now) {
            return;
        }
        *last = Some(now);
        drop(last);
        let s = self.stats();
        tracing::warn!(
            target: "flags",
            reads = s.reads,
            answered = s.answered,
            sent = s.sent,
            limited = s.limited,
            failed = s.failed,
            "{}: flags the engine cannot compile are asked from {}: {} reads so far, {} \
             answered remotely; {} requests sent, {} failed, {} over the rate limit (logged at \
             most once a minute)",
            self.source,
            self.remote.inner.name,
            s.reads,
            s.answered,
            s.sent,
            s.failed,
            s.limited
        );
    }

    /// Stops the OFREP provider: no more requests. Idempotent.
    pub(crate) fn shutdown(&self) {
        self.remote.shutdown();
    }
}

impl Drop for RemoteFallback {
    fn drop(&mut self) {
        self.remote.shutdown();
    }
}

impl State {
    /// Files the answer to a request for `flag` as `ty` in `ctx`: held for the next reads
    /// (marked as evaluated remotely), or its failure counted and kept for the messages.
    fn record(
        &self,
        inner: &Inner,
        flag: &Arc<str>,
        ty: TypeId,
        ctx: &Context,
        answer: Resolution,
    ) {
        if let Some(error) = &answer.error {
            self.counters.failed.fetch_add(1, Ordering::Relaxed);
            let why =
                crate::message::cut(&format!("{}: {}", error.code, error.message), FAILURE_CHARS);
            let mut failures = lock(&self.failures);
            if failures.len() >= MAX_FAILURES && !failures.contains_key(flag) {
                failures.clear();
            }
            failures.insert(flag.clone(), Arc::from(why));
            return;
        }
        lock(&self.failures).remove(flag);
        let answer = Resolution {
            metadata: marked(&answer.metadata),
            ..answer
        };
        if let Some(cache) = &inner.cache {
            cache.store(flag, ty, ctx, Arc::new(answer));
        }
    }
}

/// A request in flight; its entry goes when it is dropped.
struct InFlight {
    state: Arc<State>,
    key: (Arc<str>, Vec<u8>),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.state.in_flight).remove(&self.key);
    }
}

/// `metadata` with [`EVALUATED_REMOTELY`] set.
fn marked(metadata: &FlagMetadata) -> FlagMetadata {
    let mut map: std::collections::BTreeMap<String, MetadataValue> = metadata
        .iter()
        .map(|(key, value)| (key.to_owned(), value.clone()))
        .collect();
    map.insert(EVALUATED_REMOTELY.to_owned(), MetadataValue::Bool(true));
    FlagMetadata::new(map)
}

/// Whether the counts are to be logged at `now`, last logged at `last`.
fn log_due(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|last| now.saturating_duration_since(last) >= LOG_EVERY)
}

/// A token bucket: at most `capacity` requests at once, refilled at `capacity` per period.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    /// Tokens per second.
    rate: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket of `requests` tokens, refilled at `requests` per `per` (both above zero).
    fn new(requests: u32, per: Duration, now: Instant) -> Bucket {
        let capacity = f64::from(requests);
        Bucket {
            tokens: capacity,
            capacity,
            rate: capacity / per.as_secs_f64(),
            last: now,
        }
    }

    /// Takes a token at `now`; `false` when there is none.
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = self.last.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_lets_its_size_through_at_once_then_its_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(2, Duration::from_secs(3600), start);
        assert!(bucket.take(start) && bucket.take(start));
        assert!(!bucket.take(start));
        assert!(!bucket.take(start + Duration::from_secs(1700)));
        // Half an hour refills one token of two per hour.
        assert!(bucket.take(start + Duration::from_secs(1800)));
        assert!(!bucket.take(start + Duration::from_secs(1800)));
        // Never more than its size, however long it waited.
        let later = start + Duration::from_secs(100 * 3600);
        assert!(bucket.take(later) && bucket.take(later) && !bucket.take(later));
        // A clock read out of order takes nothing back.
        assert!(!bucket.take(start));
    }

    #[test]
    fn the_counts_are_logged_at_once_then_at_most_once_a_minute() {
        let start = Instant::now();
        assert!(log_due(None, start));
        assert!(!log_due(Some(start), start + Duration::from_secs(59)));
        assert!(log_due(Some(start), start + LOG_EVERY));
        assert!(!log_due(Some(start + Duration::from_secs(1)), start));
    }

    #[test]
    fn answers_are_marked_as_evaluated_remotely_and_keep_their_metadata() {
        let metadata = FlagMetadata::new(
            [(
                "team".to_owned(),
                MetadataValue::String("growth".to_owned()),
            )]
            .into_iter()
            .collect(),
        );
        let marked = marked(&metadata);
        assert_eq!(
            marked.get(EVALUATED_REMOTELY),
            Some(&MetadataValue::Bool(true))
        );
        assert_eq!(marked.get("team"), metadata.get("team"));
        assert_eq!(super::marked(&FlagMetadata::empty()).len(), 1);
    }

    #[test]
    fn only_the_relay_itself_gets_its_headers() {
        let headers = || {
            vec![
                ("X-API-Key".to_owned(), "relay-key".to_owned()),
                ("X-Team".to_owned(), "a".to_owned()),
            ]
        };
        let same = super::super::ofrep("http://relay:1031/")
            .header("x-team", "mine")
            .inherit(" http://relay:1031", headers());
        assert_eq!(
            same.options.headers,
            [
                ("x-team".to_owned(), "mine".to_owned()),
                ("X-API-Key".to_owned(), "relay-key".to_owned()),
            ]
        );
        let other =
            super::super::ofrep("http://elsewhere:1031").inherit("http://relay:1031", headers());
        assert!(other.options.headers.is_empty());
    }
}
