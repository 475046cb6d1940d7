//! Coalescing: identical requests in flight at the same time (same method, URL, headers and
//! body) share one HTTP call and its outcome.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use tokio::sync::OnceCell;

use crate::{Method, Response, TransportError};

/// The outcome of one request, shared by every caller that asked for it.
pub(crate) type Shared = Arc<OnceCell<Result<Response, TransportError>>>;

/// What makes two requests identical.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    method: Method,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Option<Bytes>,
}

impl Key {
    /// The key of a request with these merged headers (in any order).
    pub(crate) fn new(
        method: Method,
        url: &reqwest::Url,
        headers: &HeaderMap,
        body: Option<&Bytes>,
    ) -> Key {
        let mut headers: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        headers.sort();
        Key {
            method,
            url: url.as_str().to_owned(),
            headers,
            body: body.cloned(),
        }
    }
}

/// The requests in flight, by key.
#[derive(Default)]
pub(crate) struct InFlight(Mutex<HashMap<Key, Shared>>);

impl InFlight {
    /// The outcome cell of the identical request in flight (`true`: joined), or a new one for
    /// this caller to run (`false`).
    pub(crate) fn join(&self, key: &Key) -> (Shared, bool) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(key) {
            Some(cell) => (cell.clone(), true),
            None => {
                let cell = Shared::default();
                map.insert(key.clone(), cell.clone());
                (cell, false)
            }
        }
    }

    /// A guard that removes the entry of `key` when whoever runs the request finishes or is
    /// cancelled.
    pub(crate) fn leave_on_drop<'a>(&'a self, key: &'a Key, cell: &'a Shared) -> Leave<'a> {
        Leave {
            in_flight: self,
            key,
            cell,
        }
    }
}

/// Removes a coalescing entry when its leader finishes or is cancelled.
pub(crate) struct Leave<'a> {
    in_flight: &'a InFlight,
    key: &'a Key,
    cell: &'a Shared,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut map = self.in_flight.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(self.key).is_some_and(|c| Arc::ptr_eq(c, self.cell)) {
            map.remove(self.key);
        }
    }
}
