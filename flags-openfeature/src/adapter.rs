//! [`OpenFeatureProvider`]: any OpenFeature `FeatureProvider` behind a `flags` client.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak, mpsc};
use std::time::Duration;

use flags_runtime::provider::{
    BoxFuture, Configuration, Fetched, Provider, Query, Resolution, View,
};
use flags_runtime::{Context, ErrorCode, EventDetails, Events, ProviderEvent, ProviderStatus};
use open_feature::provider::{FeatureProvider, ResolutionDetails};
use open_feature::{EvaluationErrorCode, EvaluationResult};

use crate::convert;

/// How long one fetch (every flag of one read) may take by default.
const DEADLINE: Duration = Duration::from_secs(2);

/// Any OpenFeature provider (an implementation of `open_feature::provider::FeatureProvider`)
/// as a `flags` provider, so that typed keys and `#[derive(Flags)]` read flags from providers
/// written for the `open-feature` crate:
///
/// ```
/// # async fn run(some_openfeature_provider: impl open_feature::provider::FeatureProvider) -> Result<(), flags_runtime::Error> {
/// use flags_openfeature::OpenFeatureProvider;
/// let client = flags_runtime::Client::builder()
///     .provider(OpenFeatureProvider::new(some_openfeature_provider))
///     .build()?;
/// let beta = flags_runtime::FlagKey::<bool>::new("beta", false);
/// let on = client.value_async(&beta, &flags_runtime::Context::new("user-1")).await;
/// # let _ = on;
/// # Ok(())
/// # }
/// ```
///
/// **What it costs.** OpenFeature's provider interface is async, so this provider asks it per
/// evaluation, as a remote per-evaluation provider does: the async reads
/// ([`Client::details_async`](flags_runtime::Client::details_async),
/// [`Client::flags_async`](flags_runtime::Client::flags_async)) and
/// [`flags::blocking`](flags_runtime::blocking) await the provider, one call per flag, each
/// with the context converted to OpenFeature's (an allocation per attribute) and the answer
/// converted back; the sync reads ([`Client::value`](flags_runtime::Client::value),
/// [`Client::flags`](flags_runtime::Client::flags)) never wait and answer the caller's
/// default with a `GENERAL` error saying to use the async or blocking API. Blocking reads run
/// the provider on one thread of the adapter's, with a single-threaded tokio runtime, started
/// at the first blocking read (they queue there, each bounded by the deadline). Measured
/// (`benches/README.md`): an async read over a provider answering a static boolean costs
/// about 1.1 µs, 0.75 µs above the same read in process; a blocking read (the
/// hand-over to the worker and back) about 5.4 µs.
///
/// **Types.** A read as `bool` asks `resolve_bool_value`; as an integer type,
/// `resolve_int_value`; as `f32`/`f64`, `resolve_float_value`; as a string type,
/// `resolve_string_value`; as `serde_json::Value` or a map, `resolve_struct_value`. Any other
/// type (a `#[derive(FlagVariant)]` enum, a serde structure) asks `resolve_struct_value`
/// and, when that answers `TYPE_MISMATCH`, `resolve_string_value`.
///
/// **Deadline.** Every fetch is bounded (2 seconds by default, [`OpenFeatureProvider::deadline`])
/// when it runs on a tokio runtime; past it, the caller's default with `GENERAL`.
///
/// **Status.** The provider's status is read after each fetch: a change emits the matching
/// event (`PROVIDER_READY`, `PROVIDER_ERROR`, `PROVIDER_STALE`). The provider's own hooks
/// (async, OpenFeature's) are not run: register `flags` hooks on the client instead.
pub struct OpenFeatureProvider {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Box<dyn FeatureProvider>,
    events: Events,
    name: Arc<str>,
    deadline: Duration,
    shut: AtomicBool,
    /// The thread of the blocking reads, once one was made.
    worker: OnceLock<Option<Worker>>,
}

impl fmt::Debug for OpenFeatureProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenFeatureProvider")
            .field("name", &self.inner.name)
            .field("status", &self.inner.events.status())
            .finish_non_exhaustive()
    }
}

impl OpenFeatureProvider {
    /// The adapter over `provider`, with the status the provider reports. A provider that
    /// needs its `initialize` called: [`OpenFeatureProvider::initialized`].
    pub fn new(provider: impl FeatureProvider) -> OpenFeatureProvider {
        OpenFeatureProvider::build(Box::new(provider), DEADLINE)
    }

    /// Calls the provider's `initialize` with `context` (OpenFeature's global context), then
    /// builds the adapter with the status the provider then reports.
    pub async fn initialized(
        mut provider: impl FeatureProvider,
        context: &Context,
    ) -> OpenFeatureProvider {
        provider
            .initialize(&convert::context_to_openfeature(context))
            .await;
        OpenFeatureProvider::new(provider)
    }

    fn build(provider: Box<dyn FeatureProvider>, deadline: Duration) -> OpenFeatureProvider {
        let name: Arc<str> = Arc::from(provider.metadata().name.as_str());
        let status = convert::status_from_openfeature(&provider.status());
        OpenFeatureProvider {
            inner: Arc::new(Inner {
                events: Events::new(name.to_string(), status),
                provider,
                name,
                deadline,
                shut: AtomicBool::new(false),
                worker: OnceLock::new(),
            }),
        }
    }

    /// With another bound on each fetch (2 seconds by default).
    #[must_use]
    pub fn deadline(self, deadline: Duration) -> OpenFeatureProvider {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => OpenFeatureProvider::build(inner.provider, deadline),
            Err(inner) => OpenFeatureProvider { inner },
        }
    }
}

impl Inner {
    /// Answers every query, in order, within the deadline when on a tokio runtime.
    async fn answer(self: Arc<Self>, queries: Vec<Query>) -> Vec<Fetched> {
        let count = queries.len();
        let work = {
            let inner = self.clone();
            async move {
                let mut out = Vec::with_capacity(queries.len());
                for query in &queries {
                    out.push(Fetched {
                        resolution: Arc::new(inner.resolve(query).await),
                        cached: false,
                    });
                }
                out
            }
        };
        let answers = if tokio::runtime::Handle::try_current().is_ok() {
            match tokio::time::timeout(self.deadline, work).await {
                Ok(answers) => answers,
                Err(_) => {
                    let message = format!(
                        "the OpenFeature provider `{}` did not answer within {:?}",
                        self.name, self.deadline
                    );
                    let late = Arc::new(Resolution::error(ErrorCode::General, message));
                    vec![
                        Fetched {
                            resolution: late,
                            cached: false
                        };
                        count
                    ]
                }
            }
        } else {
            work.await
        };
        self.follow_status();
        answers
    }

    /// Emits the event of a status the provider moved to since the last look.
    fn follow_status(&self) {
        let now = convert::status_from_openfeature(&self.provider.status());
        if now == self.events.status() {
            return;
        }
        let event = match now {
            ProviderStatus::Ready => ProviderEvent::Ready,
            ProviderStatus::Stale => ProviderEvent::Stale,
            ProviderStatus::Error => ProviderEvent::Error,
            _ => {
                self.events.set_status(now);
                return;
            }
        };
        self.events
            .emit(EventDetails::new(event, self.name.to_string()));
    }

    async fn resolve(&self, query: &Query) -> Resolution {
        let ctx = convert::context_to_openfeature(&query.context);
        let key = &*query.key;
        let p = &*self.provider;
        let t = query.type_id;
        if t == TypeId::of::<bool>() {
            return scalar(p.resolve_bool_value(key, &ctx).await);
        }
        if is_int(t) {
            return scalar(p.resolve_int_value(key, &ctx).await);
        }
        if t == TypeId::of::<f64>() || t == TypeId::of::<f32>() {
            return scalar(p.resolve_float_value(key, &ctx).await);
        }
        if is_string(t) {
            return scalar(p.resolve_string_value(key, &ctx).await);
        }
        let structure = p.resolve_struct_value(key, &ctx).await;
        if is_structure(t) {
            return answer(structure, |s| convert::struct_to_json(&s));
        }
        match structure {
            Err(e) if e.code == EvaluationErrorCode::TypeMismatch => {
                scalar(p.resolve_string_value(key, &ctx).await)
            }
            other => answer(other, |s| convert::struct_to_json(&s)),
        }
    }
}

fn is_int(t: TypeId) -> bool {
    [
        TypeId::of::<i64>(),
        TypeId::of::<i32>(),
        TypeId::of::<i16>(),
        TypeId::of::<i8>(),
        TypeId::of::<isize>(),
        TypeId::of::<u64>(),
        TypeId::of::<u32>(),
        TypeId::of::<u16>(),
        TypeId::of::<u8>(),
        TypeId::of::<usize>(),
    ]
    .contains(&t)
}

fn is_string(t: TypeId) -> bool {
    [
        TypeId::of::<String>(),
        TypeId::of::<Arc<str>>(),
        TypeId::of::<Box<str>>(),
        TypeId::of::<Cow<'static, str>>(),
    ]
    .contains(&t)
}

fn is_structure(t: TypeId) -> bool {
    [
        TypeId::of::<serde_json::Value>(),
        TypeId::of::<serde_json::Map<String, serde_json::Value>>(),
    ]
    .contains(&t)
}

fn scalar<T: Into<serde_json::Value>>(
    result: EvaluationResult<ResolutionDetails<T>>,
) -> Resolution {
    answer(result, Into::into)
}

/// OpenFeature's answer as ours.
fn answer<T>(
    result: EvaluationResult<ResolutionDetails<T>>,
    json: impl FnOnce(T) -> serde_json::Value,
) -> Resolution {
    match result {
        Ok(details) => Resolution {
            variant: details.variant.map(flags_runtime::VariantName::from),
            reason: convert::reason_from_openfeature(details.reason.as_ref()),
            error: None,
            metadata: convert::metadata_from_openfeature(details.flag_metadata.as_ref()),
            value: Some(json(details.value)),
        },
        Err(error) => {
            let error = convert::error_from_openfeature(&error);
            Resolution::error(error.code, error.message)
        }
    }
}

/// What the sync reads answer: the caller's default and how to read instead.
struct AskAsync<'a>(&'a str);

impl Configuration for AskAsync<'_> {
    fn resolve(&self, flag: &str, _ctx: &Context) -> Resolution {
        Resolution::error(
            ErrorCode::General,
            format!(
                "`{flag}` is answered by the OpenFeature provider `{}` per evaluation: use \
                 `details_async` or `flags_async`, or `flags::blocking::Client` in sync code \
                 (this call never waits)",
                self.0
            ),
        )
    }
}

impl Provider for OpenFeatureProvider {
    fn events(&self) -> &Events {
        &self.inner.events
    }

    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        read(View::of(&AskAsync(&self.inner.name)));
    }

    fn describe(&self) -> String {
        format!("OpenFeature provider `{}`", self.inner.name)
    }

    fn kind(&self) -> &'static str {
        "an OpenFeature provider"
    }

    fn fetches(&self) -> bool {
        true
    }

    fn shutdown(&self) {
        self.inner.shut.store(true, Ordering::Release);
        self.inner.events.set_status(ProviderStatus::NotReady);
    }

    fn fetch(&self, queries: Vec<Query>) -> BoxFuture<'static, Option<Vec<Fetched>>> {
        let inner = self.inner.clone();
        if inner.shut.load(Ordering::Acquire) {
            return Box::pin(std::future::ready(None));
        }
        Box::pin(async move { Some(inner.answer(queries).await) })
    }

    fn fetch_blocking(&self, queries: Vec<Query>) -> Option<Vec<Fetched>> {
        let inner = &self.inner;
        if inner.shut.load(Ordering::Acquire) {
            return None;
        }
        let worker = inner
            .worker
            .get_or_init(|| Worker::start(Arc::downgrade(inner)))
            .as_ref()?;
        // Waiting for the worker from the worker itself would never end.
        if std::thread::current().id() == worker.thread {
            return None;
        }
        let (reply, answer) = mpsc::channel();
        worker.jobs.lock().ok()?.send((queries, reply)).ok()?;
        // The worker bounds each fetch by the deadline; the margin covers its queue.
        answer
            .recv_timeout(inner.deadline.saturating_mul(2) + Duration::from_millis(100))
            .ok()
    }
}

/// What a blocking read hands the worker: the queries, and where to send the answers.
type Job = (Vec<Query>, mpsc::Sender<Vec<Fetched>>);

/// The thread that runs the provider for blocking reads, on a single-threaded tokio runtime:
/// started at the first blocking read, ended when the adapter is dropped.
struct Worker {
    jobs: Mutex<mpsc::Sender<Job>>,
    thread: std::thread::ThreadId,
}

impl Worker {
    /// `None` when no thread or runtime could be started: blocking reads then answer the
    /// caller's default with `GENERAL`.
    fn start(inner: Weak<Inner>) -> Option<Worker> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .ok()?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let handle = std::thread::Builder::new()
            .name("flags-openfeature".into())
            .spawn(move || {
                while let Ok((queries, reply)) = queue.recv() {
                    let Some(inner) = inner.upgrade() else { return };
                    let _ = reply.send(runtime.block_on(inner.answer(queries)));
                }
            })
            .ok()?;
        Some(Worker {
            jobs: Mutex::new(jobs),
            thread: handle.thread().id(),
        })
    }
}
