//! Header names and values: [`Headers`] (those of a response), and the checks and conversions
//! of the names and values given as text.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// The headers of a response. Names are case-insensitive; `Debug` shows the names only (values
/// may be secrets, such as cookies).
///
/// ```
/// let headers = flags_http::Headers::new();
/// assert_eq!(headers.get("etag"), None);
/// assert!(headers.is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Headers(Option<Box<HeaderMap>>);

impl Headers {
    /// No header.
    pub fn new() -> Headers {
        Headers::default()
    }

    pub(crate) fn from_map(map: HeaderMap) -> Headers {
        // Boxed, and none when empty: the headers ride on errors too, which stay small.
        Headers((!map.is_empty()).then(|| Box::new(map)))
    }

    /// The first value of header `name` (any case), if present and visible ASCII.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.as_deref()?.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of header `name` (any case) that is visible ASCII, in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let values = self.0.as_deref().map(|map| map.get_all(name));
        values.into_iter().flatten().filter_map(|v| v.to_str().ok())
    }

    /// Whether header `name` (any case) is present.
    pub fn contains(&self, name: &str) -> bool {
        self.0.as_deref().is_some_and(|map| map.contains_key(name))
    }

    /// The names and raw values, in order (a name once per value), names in lower case.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0
            .as_deref()
            .into_iter()
            .flat_map(HeaderMap::iter)
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.as_deref().map_or(0, HeaderMap::len)
    }

    /// Whether there is no header.
    pub fn is_empty(&self) -> bool {
        self.0.as_deref().is_none_or(HeaderMap::is_empty)
    }

    /// The names, each once, in lower case.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.0
            .as_deref()
            .into_iter()
            .flat_map(HeaderMap::keys)
            .map(HeaderName::as_str)
            .collect()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Whether `name` is a valid header name (an HTTP token: `x-api-key`), as given, untrimmed.
///
/// ```
/// assert!(flags_http::is_header_name("X-Api-Key"));
/// assert!(!flags_http::is_header_name("bad name"));
/// ```
pub fn is_header_name(name: &str) -> bool {
    HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// Whether `value` is a valid header value: no control character but tabs (so no line
/// break).
///
/// ```
/// assert!(flags_http::is_header_value("Bearer abc"));
/// assert!(!flags_http::is_header_value("line\nbreak"));
/// ```
pub fn is_header_value(value: &str) -> bool {
    HeaderValue::from_str(value).is_ok()
}

/// A header as given (both parts trimmed), its value marked sensitive; `Err` with the name
/// as given when either part is not valid HTTP.
pub(crate) fn header_pair<'a>(
    name: &'a str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), &'a str> {
    let header_name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| name)?;
    let value = secret_value(value.trim()).ok_or(name)?;
    Ok((header_name, value))
}

/// A header value marked sensitive (kept out of reqwest's and hyper's `Debug`).
pub(crate) fn secret_value(value: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(value).ok()?;
    value.set_sensitive(true);
    Some(value)
}
