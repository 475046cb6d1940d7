//! The provider of a test client ([`Client::for_tests`](crate::Client::for_tests)): typed
//! values set in code, read back by type.

use std::any::Any;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::details::{ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason};
use crate::events::{Events, ProviderStatus};
use crate::key::{FlagKey, FlagValue};

use super::Provider;
use super::view::{Kind, View};

/// The values set on a test client, by key.
pub(crate) type Values = HashMap<Cow<'static, str>, Arc<dyn Any + Send + Sync>>;

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

/// One version of a test client's values, read by the client.
#[derive(Clone, Copy)]
pub(crate) struct TestView<'a>(&'a Values);

impl TestView<'_> {
    pub(crate) fn value<T: FlagValue>(&self, key: &FlagKey<T>) -> T {
        match self.0.get(key.key()).map(|v| v.downcast_ref::<T>()) {
            Some(Some(value)) => value.clone(),
            _ => key.default_value(),
        }
    }

    pub(crate) fn details<T: FlagValue>(&self, key: &FlagKey<T>) -> EvaluationDetails<T> {
        let (value, reason, error) = match self.0.get(key.key()).map(|v| v.downcast_ref::<T>()) {
            Some(Some(value)) => (value.clone(), Reason::Static, None),
            Some(None) => (
                key.default_value(),
                Reason::Error,
                Some(EvaluationError::new(
                    ErrorCode::TypeMismatch,
                    format!(
                        "flag `{}` was set to a value of another type than `{}`",
                        key.key(),
                        std::any::type_name::<T>()
                    ),
                )),
            ),
            None => (key.default_value(), Reason::Default, None),
        };
        EvaluationDetails {
            flag_key: key.key_cow().clone(),
            value,
            variant: None,
            reason,
            error,
            flag_metadata: FlagMetadata::empty(),
        }
    }
}
