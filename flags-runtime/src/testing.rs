//! Typed test doubles: a client whose flags are set in code, with typed keys and values.

use std::any::Any;
use std::borrow::Borrow;
use std::ops::Deref;
use std::sync::Arc;

use crate::client::{Backend, Client};
use crate::key::{FlagKey, FlagValue};
use crate::provider::test_values::{TestValues, Values};

/// A [`Client`] for unit tests, from [`Client::for_tests`]: flags answer their code default
/// until [`set`](TestClient::set). Dereferences to [`Client`], so it can be passed wherever a
/// `&Client` is expected; [`TestClient::client`] gives an owned one.
///
/// ```
/// # use flags_runtime::{Client, Context, FlagKey};
/// let limit = FlagKey::<i64>::new("upload-limit", 10);
/// let greeting = FlagKey::<String>::new("greeting", "Hello".to_owned());
/// let client = Client::for_tests().set(&limit, 100);
/// let ctx = Context::anonymous();
/// assert_eq!(client.value(&limit, &ctx), 100);
/// assert_eq!(client.value(&greeting, &ctx), "Hello"); // not set: the code default
///
/// client.set_value(&greeting, "Hi".to_owned()); // change it later, through a shared client
/// assert_eq!(client.value(&greeting, &ctx), "Hi");
/// ```
#[derive(Clone)]
pub struct TestClient {
    client: Client,
    values: Arc<TestValues>,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient")
            .field("flags", &self.client.flag_count())
            .finish()
    }
}

impl TestClient {
    pub(crate) fn new() -> TestClient {
        let values = Arc::new(TestValues::new());
        TestClient {
            client: Client::from_backend(Backend::Provider(values.clone())),
            values,
        }
    }

    /// Sets a flag's value; chainable.
    #[must_use]
    pub fn set<T: FlagValue>(self, key: impl Borrow<FlagKey<T>>, value: T) -> TestClient {
        self.set_value(key, value);
        self
    }

    /// Sets a flag's value on a shared test client; every clone sees it.
    pub fn set_value<T: FlagValue>(&self, key: impl Borrow<FlagKey<T>>, value: T) {
        let key = key.borrow().key_cow().clone();
        let value: Arc<dyn Any + Send + Sync> = Arc::new(value);
        self.values().rcu(|current| {
            let mut next = Values::clone(current);
            next.insert(key.clone(), value.clone());
            next
        });
    }

    /// Unsets a flag: it answers its code default again.
    pub fn unset<T: FlagValue>(&self, key: impl Borrow<FlagKey<T>>) {
        let key = key.borrow().key();
        self.values().rcu(|current| {
            let mut next = Values::clone(current);
            next.remove(key);
            next
        });
    }

    /// The client, owned.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    fn values(&self) -> &arc_swap::ArcSwap<Values> {
        &self.values.values
    }
}

impl Deref for TestClient {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl From<TestClient> for Client {
    fn from(test: TestClient) -> Client {
        test.client
    }
}

impl Client {
    /// A client for unit tests: every flag answers its code default (reason `DEFAULT`) until
    /// set, with typed keys and values, so tests stay compile-checked.
    ///
    /// ```
    /// # use flags_runtime::{Client, Context, FlagKey};
    /// let enabled = FlagKey::<bool>::new("new-checkout", false);
    /// let client = Client::for_tests().set(&enabled, true);
    /// assert!(client.value(&enabled, &Context::anonymous()));
    /// ```
    pub fn for_tests() -> TestClient {
        TestClient::new()
    }
}
