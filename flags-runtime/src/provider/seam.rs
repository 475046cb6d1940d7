//! The trait every provider implements.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::context::Context;
use crate::error::Error;
use crate::events::{Events, ProviderStatus};
use crate::hooks::{Hook, ProviderMetadata};

use super::query::{Fetched, Query};
use super::view::View;

/// A future a provider returns, sendable to any executor.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What answers a client's evaluations. Implement it to bring a provider of your own;
/// hand it to [`ClientBuilder::provider`](crate::ClientBuilder::provider).
///
/// Only [`Provider::events`] and [`Provider::read`] are required. Every other method has a
/// default fit for a provider that holds its flags in memory and needs no background work.
/// A provider never panics on bad data: it answers an error [`Resolution`](crate::provider::Resolution) and the client
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

    /// The configuration the provider serves, as a document its source accepts back as a
    /// bootstrap (see [`Client::snapshot`](crate::Client::snapshot)).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] by default.
    fn snapshot(&self) -> Result<String, Error> {
        Err(Error::Unsupported {
            operation: "snapshot",
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
