//! The remote provider as the client sees it: the [`Provider`] implementation, and the reads
//! answered without waiting (the bulk evaluation, or the cache).

use super::view::RemoteView;
use super::*;
use crate::provider::{Provider, View, ViewKind};

impl Remote {
    /// Runs `f` on what reads answer from without waiting: the held bulk evaluation, or the
    /// cache. Generic, so that the client reads a remote provider without a virtual call.
    #[inline]
    pub(crate) fn with_view<R>(&self, f: impl FnOnce(View<'_>) -> R) -> R {
        let inner = &*self.inner;
        if self.is_bulk() {
            inner.bulk.with(|bulk| {
                f(View(ViewKind::Remote(RemoteView {
                    inner,
                    bulk,
                    bulk_mode: true,
                })))
            })
        } else {
            // Per-evaluation mode has no bulk evaluation: nothing to load.
            f(View(ViewKind::Remote(RemoteView {
                inner,
                bulk: None,
                bulk_mode: false,
            })))
        }
    }
}

impl Provider for Remote {
    fn events(&self) -> &Events {
        &self.inner.events
    }

    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        self.with_view(read);
    }

    fn describe(&self) -> String {
        self.inner.name.clone()
    }

    fn kind(&self) -> &'static str {
        "remote evaluation"
    }

    fn flag_count(&self) -> usize {
        self.inner.bulk.load().as_ref().map_or(0, |b| b.flags.len())
    }

    fn refresh(&self) -> Result<(), crate::Error> {
        self.refresh_blocking()
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), crate::Error> {
        Remote::wait_ready(self, timeout)
    }

    fn shutdown(&self) {
        Remote::shutdown(self);
    }

    fn set_context(&self, context: Context) -> Result<(), crate::Error> {
        self.set_context_blocking(context)
    }

    fn set_context_async(
        &self,
        context: Context,
    ) -> crate::provider::BoxFuture<'_, Result<(), crate::Error>> {
        Box::pin(Remote::set_context(self, context))
    }

    fn fetches(&self) -> bool {
        !self.is_bulk()
    }

    fn fetch(
        &self,
        queries: Vec<Query>,
    ) -> crate::provider::BoxFuture<'static, Option<Vec<Fetched>>> {
        let inner = self.inner.clone();
        let runtime = self.inner.runtime.clone();
        Box::pin(async move { runtime.spawn(inner.resolve_each(queries)).await.ok() })
    }

    fn fetch_blocking(&self, queries: Vec<Query>) -> Option<Vec<Fetched>> {
        let inner = self.inner.clone();
        self.run_blocking(inner.resolve_each(queries))
    }
}
