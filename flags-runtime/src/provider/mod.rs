//! Providers: what answers evaluations for a client.
//!
//! A [`Client`](crate::Client) evaluates through one [`Provider`]. The runtime brings its own
//! (in process from a [`source`](crate::source), remote over OFREP or Flagship, in memory, test
//! values); any other implements the trait and is handed to
//! [`ClientBuilder::provider`](crate::ClientBuilder::provider). The client adds what every
//! provider shares: typed reads with the caller's default, hooks, merged contexts, events.
//!
//! A provider answers synchronously from what it holds ([`Provider::read`]): reads never wait.
//! One that must ask a service for each evaluation also answers [`Provider::fetch`], which the
//! async reads ([`Client::details_async`](crate::Client::details_async)) and
//! [`flags::blocking`](crate::blocking) await.
//!
//! ```
//! use flags_runtime::provider::{Configuration, Provider, Resolution, View};
//! use flags_runtime::{Client, Context, Events, FlagKey, ProviderStatus, Reason};
//!
//! /// Every flag is on for users whose key starts with `staff-`.
//! struct Staff {
//!     events: Events,
//! }
//!
//! impl Configuration for Staff {
//!     fn resolve(&self, _flag: &str, ctx: &Context) -> Resolution {
//!         let staff = ctx.targeting_key().is_some_and(|k| k.starts_with("staff-"));
//!         Resolution::value(serde_json::json!(staff), Reason::TargetingMatch)
//!     }
//! }
//!
//! impl Provider for Staff {
//!     fn events(&self) -> &Events {
//!         &self.events
//!     }
//!     fn read(&self, read: &mut dyn FnMut(View<'_>)) {
//!         read(View::of(self))
//!     }
//! }
//!
//! let client = Client::builder()
//!     .provider(Staff { events: Events::new("staff", ProviderStatus::Ready) })
//!     .build()?;
//! let beta = FlagKey::<bool>::new("beta", false);
//! assert!(client.value(&beta, &Context::new("staff-ada")));
//! assert!(!client.value(&beta, &Context::new("user-1")));
//! # Ok::<(), flags_runtime::Error>(())
//! ```

mod diff;
mod in_process;
pub(crate) mod memory;
mod persist;
#[cfg(feature = "http")]
mod poll;
pub(crate) mod resolution;
pub(crate) mod test_values;
pub(crate) mod thread_cache;
mod view;
mod watch;
mod worker;

use std::any::TypeId;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::context::Context;
use crate::error::Error;
use crate::events::{Events, ProviderStatus};
use crate::hooks::{Hook, ProviderMetadata};

pub(crate) use in_process::InProcess;
pub use resolution::Resolution;
#[cfg(feature = "http")]
pub(crate) use view::Kind as ViewKind;
pub use view::View;

/// A future a provider returns, sendable to any executor.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What answers a client's evaluations. Implement it to bring a provider of your own;
/// hand it to [`ClientBuilder::provider`](crate::ClientBuilder::provider).
///
/// Only [`Provider::events`] and [`Provider::read`] are required. Every other method has a
/// default fit for a provider that holds its flags in memory and needs no background work.
/// A provider never panics on bad data: it answers an error [`Resolution`] and the client
/// serves the caller's default.
pub trait Provider: Send + Sync + 'static {
    /// The provider's status and event handlers. The provider owns them: it moves the status
    /// and emits events ([`Events::emit`]), the client registers handlers.
    fn events(&self) -> &Events;

    /// Calls `read` once with the current configuration, so that every flag of one
    /// [`Client::flags`](crate::Client::flags) comes from the same version. Never waits for
    /// I/O: a provider that has nothing yet answers errors (`PROVIDER_NOT_READY`).
    fn read(&self, read: &mut dyn FnMut(View<'_>));

    /// The provider's name, as hooks see it (by default the name its [`Events`] carry).
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata {
            name: Arc::from(self.events().provider_name()),
        }
    }

    /// What the client prints for it in `Debug` output: the name and where it reads from,
    /// never a secret.
    fn describe(&self) -> String {
        self.events().provider_name().to_owned()
    }

    /// What kind of provider this is, in the messages of operations it does not support.
    fn kind(&self) -> &'static str {
        "this provider"
    }

    /// Hooks the provider brings (OpenFeature 2.3.1): run after invocation hooks in `before`,
    /// first in the other stages.
    fn hooks(&self) -> &[Arc<dyn Hook>] {
        &[]
    }

    /// The number of flags the current configuration holds, when the provider knows it.
    fn flag_count(&self) -> usize {
        0
    }

    /// Reloads from the provider's source now, waiting for the outcome within the provider's
    /// own bound. On failure the last good configuration keeps serving.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] by default.
    fn refresh(&self) -> Result<(), Error> {
        Err(Error::Unsupported {
            operation: "refresh",
            provider: self.kind(),
        })
    }

    /// Waits at most `timeout` for the provider's first configuration; ready at once by
    /// default.
    ///
    /// # Errors
    ///
    /// [`Error::NotReady`] with the status and the reason when it is not ready in time.
    fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        let _ = timeout;
        Ok(())
    }

    /// Stops background work; the provider reports `NOT_READY` afterwards. Idempotent.
    fn shutdown(&self) {
        self.events().set_status(ProviderStatus::NotReady);
    }

    /// Changes the context a provider evaluates every flag for at once (a bulk evaluation)
    /// and waits for the new evaluation within its own bound. Blocks the calling thread.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] by default.
    fn set_context(&self, context: Context) -> Result<(), Error> {
        let _ = context;
        Err(Error::Unsupported {
            operation: "set_bulk_context",
            provider: self.kind(),
        })
    }

    /// [`Provider::set_context`] as a future, for any executor.
    fn set_context_async(&self, context: Context) -> BoxFuture<'_, Result<(), Error>> {
        let _ = context;
        let unsupported = Error::Unsupported {
            operation: "set_bulk_context",
            provider: self.kind(),
        };
        Box::pin(std::future::ready(Err(unsupported)))
    }

    /// `true` when the provider asks a service for each evaluation: the async and blocking
    /// reads then call [`Provider::fetch`] / [`Provider::fetch_blocking`], and the sync reads
    /// answer from [`Provider::read`] (a cache, or an error saying to use them).
    fn fetches(&self) -> bool {
        false
    }

    /// Answers `queries` (in order, one [`Fetched`] each), asking the service, all within the
    /// provider's deadline; `None` when the provider is shut down. Called only when
    /// [`Provider::fetches`] is `true`.
    fn fetch(&self, queries: Vec<Query>) -> BoxFuture<'static, Option<Vec<Fetched>>> {
        let _ = queries;
        Box::pin(std::future::ready(None))
    }

    /// [`Provider::fetch`], blocking the calling thread; `None` at once when waiting would
    /// never end (called from the provider's own thread).
    fn fetch_blocking(&self, queries: Vec<Query>) -> Option<Vec<Fetched>> {
        let _ = queries;
        None
    }
}

/// One configuration version of a provider, read through the owned [`Resolution`] it
/// answers: the simple way to implement [`Provider::read`] (see the module example).
/// The runtime's own providers read through faster, borrowing paths.
pub trait Configuration {
    /// The answer for flag `flag` in `ctx`. The client reads the value as the caller's type
    /// (a value that does not fit answers `TYPE_MISMATCH` with the caller's default).
    fn resolve(&self, flag: &str, ctx: &Context) -> Resolution;
}

/// One flag a provider is asked for by [`Provider::fetch`]: its key, the Rust type the
/// caller reads (providers that cache answers key them by it) and the context, with what
/// `before` hooks added.
#[derive(Clone)]
pub struct Query {
    /// The flag's key.
    pub key: Arc<str>,
    /// The Rust type the caller reads the value as.
    pub type_id: TypeId,
    /// The evaluation context.
    pub context: Arc<Context>,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A provider's answer to one [`Query`].
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The answer.
    pub resolution: Arc<Resolution>,
    /// `true` when it came from the provider's cache (a success then reports `CACHED`).
    pub cached: bool,
}
