//! What goes out and comes back: [`Method`], [`Request`], [`Response`], and the URL check
//! they share with the callers that validate a URL before any request ([`check_url`]).

use std::fmt;

use bytes::Bytes;

use crate::Headers;

/// The HTTP method of a [`Request`]: one of the methods HTTP defines, as constants named as
/// in the `http` crate (`Method::GET`).
///
/// ```
/// use flags_http::Method;
///
/// assert_eq!(Method::POST.as_str(), "POST");
/// assert_eq!(Method::GET.to_string(), "GET");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(Verb);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Verb {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
}

impl Method {
    /// `GET`.
    pub const GET: Method = Method(Verb::Get);
    /// `HEAD`.
    pub const HEAD: Method = Method(Verb::Head);
    /// `POST`.
    pub const POST: Method = Method(Verb::Post);
    /// `PUT`.
    pub const PUT: Method = Method(Verb::Put);
    /// `DELETE`.
    pub const DELETE: Method = Method(Verb::Delete);
    /// `CONNECT`.
    pub const CONNECT: Method = Method(Verb::Connect);
    /// `OPTIONS`.
    pub const OPTIONS: Method = Method(Verb::Options);
    /// `TRACE`.
    pub const TRACE: Method = Method(Verb::Trace);
    /// `PATCH`.
    pub const PATCH: Method = Method(Verb::Patch);

    /// The method's name, in upper case.
    pub fn as_str(&self) -> &'static str {
        match self.0 {
            Verb::Get => "GET",
            Verb::Head => "HEAD",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
            Verb::Connect => "CONNECT",
            Verb::Options => "OPTIONS",
            Verb::Trace => "TRACE",
            Verb::Patch => "PATCH",
        }
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self.0 {
            Verb::Get => reqwest::Method::GET,
            Verb::Head => reqwest::Method::HEAD,
            Verb::Post => reqwest::Method::POST,
            Verb::Put => reqwest::Method::PUT,
            Verb::Delete => reqwest::Method::DELETE,
            Verb::Connect => reqwest::Method::CONNECT,
            Verb::Options => reqwest::Method::OPTIONS,
            Verb::Trace => reqwest::Method::TRACE,
            Verb::Patch => reqwest::Method::PATCH,
        }
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request: method, full URL, extra headers (e.g. `If-None-Match`; they win over every
/// configured header) and an optional body.
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL (`http` or `https`).
    pub url: String,
    /// Headers for this request only.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Bytes>,
}

impl Request {
    /// A request with no header and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Request {
        Request::new(Method::GET, url)
    }

    /// `POST url` with a JSON body (`Content-Type: application/json`).
    pub fn post_json(url: impl Into<String>, body: impl Into<Bytes>) -> Request {
        Request::new(Method::POST, url)
            .header("content-type", "application/json")
            .body(body)
    }

    /// With a header for this request only.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// With a body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Request {
        self.body = Some(body.into());
        self
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &crate::redact_url(&self.url))
            .field("headers (values redacted)", &names)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish()
    }
}

/// A response with a status below 400 (`304` included: the caller interprets it) and its whole
/// body. Cheap to clone.
#[derive(Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Headers,
    /// The body (empty for `304`).
    pub body: Bytes,
}

impl Response {
    /// The value of header `name` (any case), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The `ETag`, verbatim (quotes included).
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// Whether the status is `304 Not Modified`.
    pub fn is_not_modified(&self) -> bool {
        self.status == 304
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why a URL cannot be requested ([`check_url`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The text is not an absolute URL.
    #[error("{reason}")]
    Unparsable {
        /// What the URL parser says (without the URL).
        reason: String,
    },
    /// The scheme is neither `http` nor `https`.
    #[error("the scheme `{scheme}` is not supported; use `https` or `http`")]
    Scheme {
        /// The scheme, as parsed (lower case).
        scheme: String,
    },
}

/// Checks that `url` is an absolute `http` or `https` URL that a [`Request`] can carry.
///
/// ```
/// use flags_http::{UrlError, check_url};
///
/// assert_eq!(check_url("https://flags.example.com/flags.json"), Ok(()));
/// assert!(matches!(check_url("ftp://h/f"), Err(UrlError::Scheme { .. })));
/// assert!(matches!(check_url("not a url"), Err(UrlError::Unparsable { .. })));
/// ```
pub fn check_url(url: &str) -> Result<(), UrlError> {
    parse_url(url).map(drop)
}

/// The URL, parsed, if [`check_url`] accepts it.
pub(crate) fn parse_url(url: &str) -> Result<reqwest::Url, UrlError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| UrlError::Unparsable {
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlError::Scheme {
            scheme: parsed.scheme().to_owned(),
        });
    }
    Ok(parsed)
}
