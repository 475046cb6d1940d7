//! What a provider that asks a service per evaluation is asked, and answers.

use std::any::TypeId;
use std::sync::Arc;

use crate::context::Context;

use super::resolution::Resolution;

/// One flag a provider is asked for by [`Provider::fetch`](crate::provider::Provider::fetch): its key, the Rust type the
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
