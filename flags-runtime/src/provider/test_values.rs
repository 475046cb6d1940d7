//! The provider of a test client ([`Client::for_tests`](crate::Client::for_tests)): typed
//! values set in code, read back by type.

use std::collections::HashMap;

use arc_swap::ArcSwap;

use crate::events::{Events, ProviderStatus};

use super::seam::Provider;
pub(crate) use super::view::Values;
use super::view::{Kind, TestView, View};

/// The backend of a test client: swapped whole on every `set`, read lock-free.
pub(crate) struct TestValues {
    pub(crate) values: ArcSwap<Values>,
    events: Events,
}

impl TestValues {
    pub(crate) fn new() -> TestValues {
        TestValues {
            values: ArcSwap::from_pointee(HashMap::new()),
            events: Events::new("test values", ProviderStatus::Ready),
        }
    }
}

impl Provider for TestValues {
    fn events(&self) -> &Events {
        &self.events
    }

    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        read(View(Kind::Test(TestView(&self.values.load()))));
    }

    fn kind(&self) -> &'static str {
        "test values"
    }

    fn flag_count(&self) -> usize {
        self.values.load().len()
    }
}
