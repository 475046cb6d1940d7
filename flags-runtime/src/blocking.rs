//! The typed API for sync code over any provider, remote ones included: each call waits for the
//! answer at most the provider's deadline, every attempt and retry included (by default the
//! timeout; see [`remote::Ofrep::deadline`](crate::remote::Ofrep::deadline)), then answers the
//! caller's default with `GENERAL` and a message saying so. A struct's flags
//! ([`Client::flags`]) are asked for concurrently and share one deadline. Not for use inside
//! an async runtime: there, use [`Client::details_async`](crate::Client::details_async) and
//! friends, which keep to the same deadline.
//!
//! ```no_run
//! # #[cfg(feature = "http")] {
//! let client = flags_runtime::Client::builder()
//!     .remote(flags_runtime::remote::ofrep("http://localhost:8016"))
//!     .build()?
//!     .blocking();
//! let beta = flags_runtime::FlagKey::<bool>::new("beta", false);
//! let on = client.value(&beta, &flags_runtime::Context::new("user-1"));
//! # }
//! # Ok::<(), flags_runtime::Error>(())
//! ```

use std::borrow::Borrow;

use crate::client::Flags;
use crate::context::Context;
use crate::details::EvaluationDetails;
use crate::key::{FlagKey, FlagValue};

/// A [`Client`](crate::Client) whose evaluations wait for remote answers; see the module docs.
#[derive(Clone, Debug)]
pub struct Client {
    client: crate::Client,
}

impl Client {
    /// Wraps `client`; clones share the provider.
    pub fn new(client: crate::Client) -> Client {
        Client { client }
    }

    /// The wrapped client (whose sync methods never wait).
    pub fn client(&self) -> &crate::Client {
        &self.client
    }

    /// The flag's value for `ctx`, or the key's default when it cannot be evaluated.
    pub fn value<T: FlagValue>(&self, key: impl Borrow<FlagKey<T>>, ctx: &Context) -> T {
        self.details(key, ctx).value
    }

    /// The flag's value with variant, reason, error and metadata.
    pub fn details<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        if let Some(provider) = self.client.fetching() {
            let key = key.borrow();
            let planned = self.client.plan_one(key, ctx).fetch_blocking(provider);
            return self.client.finish_one(planned, key);
        }
        self.client.details(key, ctx)
    }

    /// Every flag of a `#[derive(Flags)]` struct; over a per-evaluation remote provider the
    /// flags are asked for concurrently.
    pub fn flags<S: Flags>(&self, ctx: &Context) -> S {
        if let Some(provider) = self.client.fetching() {
            let planned = self.client.plan_flags::<S>(ctx).fetch_blocking(provider);
            let merged = self.client.merged_context_owned(ctx);
            return self.client.finish_flags(planned, &merged);
        }
        self.client.flags(ctx)
    }

    /// Records an event for the client's exporters: [`crate::Client::track`] (which never
    /// waits, in either client).
    pub fn track(&self, name: &str, ctx: &Context, details: crate::tracking::TrackingDetails) {
        self.client.track(name, ctx, details);
    }

    /// Shuts the client down, events flushed within their bound: [`crate::Client::shutdown`].
    pub fn shutdown(&self) {
        self.client.shutdown();
    }
}

impl crate::Client {
    /// This client with evaluations that wait for remote answers; see [`crate::blocking`].
    pub fn blocking(&self) -> Client {
        Client::new(self.clone())
    }
}
