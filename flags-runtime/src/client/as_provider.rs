//! A client is a provider too: what lets a client's provider (in process from a source,
//! remote, your own) be a member of a [`multi`](crate::provider::multi) provider. Its hooks and
//! context are the client's own: as a member, only its provider answers.

use std::sync::Arc;
use std::time::Duration;

use crate::context::Context;
use crate::error::Error;
use crate::events::Events;
use crate::hooks::{Hook, ProviderMetadata};
use crate::provider::{BoxFuture, Fetched, Provider, Query, View};

use super::Client;

impl Provider for Client {
    fn events(&self) -> &Events {
        self.inner.provider().events()
    }

    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        self.inner.provider().read(read);
    }

    fn metadata(&self) -> ProviderMetadata {
        self.inner.provider().metadata()
    }

    fn describe(&self) -> String {
        self.inner.provider().describe()
    }

    fn kind(&self) -> &'static str {
        self.inner.provider().kind()
    }

    fn hooks(&self) -> &[Arc<dyn Hook>] {
        self.inner.provider().hooks()
    }

    fn flag_count(&self) -> usize {
        self.inner.provider().flag_count()
    }

    fn refresh(&self) -> Result<(), Error> {
        self.inner.provider().refresh()
    }

    fn snapshot(&self) -> Result<String, Error> {
        self.inner.provider().snapshot()
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        self.inner.provider().wait_ready(timeout)
    }

    fn shutdown(&self) {
        self.inner.provider().shutdown();
    }

    fn set_context(&self, context: Context) -> Result<(), Error> {
        self.inner.provider().set_context(context)
    }

    fn set_context_async(&self, context: Context) -> BoxFuture<'_, Result<(), Error>> {
        self.inner.provider().set_context_async(context)
    }

    fn fetches(&self) -> bool {
        self.inner.provider().fetches()
    }

    fn fetch(&self, queries: Vec<Query>) -> BoxFuture<'static, Option<Vec<Fetched>>> {
        self.inner.provider().fetch(queries)
    }

    fn fetch_blocking(&self, queries: Vec<Query>) -> Option<Vec<Fetched>> {
        self.inner.provider().fetch_blocking(queries)
    }
}
