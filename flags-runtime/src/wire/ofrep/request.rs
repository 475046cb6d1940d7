//! What an OFREP request carries: the endpoint URLs (the key percent-encoded, a re-fetch's
//! event metadata in the query) and the JSON body wrapping the evaluation context.

use super::events::Refetch;
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError};
use crate::wire::context::{self, Dates};

/// The path of the bulk endpoint, after the base URL.
pub(crate) const BULK_PATH: &str = "/ofrep/v1/evaluate/flags";

/// The base URL without trailing slashes (everything before `/ofrep`).
pub(crate) fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// The URL of the single-flag endpoint: `{base}/ofrep/v1/evaluate/flags/{key}`, the key
/// percent-encoded as one path segment.
///
/// # Errors
///
/// `FLAG_NOT_FOUND` for a key no path segment can carry (empty, `.` or `..`: URL parsers
/// remove dot segments, even escaped).
pub(crate) fn single_url(base_url: &str, key: &str) -> Result<String, EvaluationError> {
    if key.is_empty() || key == "." || key == ".." {
        return Err(EvaluationError::new(
            ErrorCode::FlagNotFound,
            format!("flag key `{key}` cannot be sent in a URL path"),
        ));
    }
    let mut url = String::with_capacity(base_url.len() + BULK_PATH.len() + key.len() + 1);
    url.push_str(base(base_url));
    url.push_str(BULK_PATH);
    url.push('/');
    context::encode_into(&mut url, key);
    Ok(url)
}

/// The URL of the bulk endpoint.
pub(crate) fn bulk_url(base_url: &str) -> String {
    format!("{}{BULK_PATH}", base(base_url))
}

/// The URL of a bulk re-fetch triggered by an event: the bulk URL with `flagConfigEtag` and
/// `flagConfigLastModified` from the event, when it carried them.
pub(crate) fn refetch_url(base_url: &str, event: &Refetch) -> String {
    let mut url = bulk_url(base_url);
    let mut sep = '?';
    for (name, value) in [
        ("flagConfigEtag", &event.etag),
        ("flagConfigLastModified", &event.last_modified),
    ] {
        if let Some(value) = value {
            url.push(sep);
            url.push_str(name);
            url.push('=');
            context::encode_into(&mut url, value);
            sep = '&';
        }
    }
    url
}

/// The request body of both endpoints: `{"context": {...}}`, with `targetingKey` when the
/// context has one and date-times as Unix seconds (the runtime's [`Context::to_json`]).
///
/// # Errors
///
/// `INVALID_CONTEXT` when a number is not finite; nothing should be sent then.
pub(crate) fn request_body(ctx: &Context) -> Result<Vec<u8>, EvaluationError> {
    let context = context::to_json(ctx, Dates::UnixSeconds)?;
    let body = serde_json::json!({ "context": context });
    serde_json::to_vec(&body).map_err(|e| {
        EvaluationError::new(
            ErrorCode::InvalidContext,
            format!("cannot encode the context: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value as J, json};

    use super::*;

    #[test]
    fn urls_encode_the_key_as_one_segment() {
        assert_eq!(
            single_url("http://h:8016/", "my-flag").unwrap(),
            "http://h:8016/ofrep/v1/evaluate/flags/my-flag"
        );
        assert_eq!(
            single_url("http://h/base//", "a/b c?d#é").unwrap(),
            "http://h/base/ofrep/v1/evaluate/flags/a%2Fb%20c%3Fd%23%C3%A9"
        );
        for bad in ["", ".", ".."] {
            let e = single_url("http://h", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::FlagNotFound);
        }
        assert_eq!(bulk_url("http://h/"), "http://h/ofrep/v1/evaluate/flags");
    }

    #[test]
    fn refetch_urls_carry_the_event_metadata() {
        let event = Refetch {
            etag: Some("\"v 2\"".into()),
            last_modified: Some("2026-02-20T21:28:18Z".into()),
        };
        assert_eq!(
            refetch_url("http://h", &event),
            "http://h/ofrep/v1/evaluate/flags?flagConfigEtag=%22v%202%22&flagConfigLastModified=2026-02-20T21%3A28%3A18Z"
        );
        let only = Refetch {
            etag: None,
            last_modified: Some("1771622898".into()),
        };
        assert_eq!(
            refetch_url("http://h", &only),
            "http://h/ofrep/v1/evaluate/flags?flagConfigLastModified=1771622898"
        );
        assert_eq!(
            refetch_url("http://h", &Refetch::default()),
            "http://h/ofrep/v1/evaluate/flags"
        );
    }

    #[test]
    fn the_body_wraps_the_context() {
        let ctx = Context::new("user-1").with("plan", "pro").with("seats", 3);
        let body: J = serde_json::from_slice(&request_body(&ctx).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"context": {"targetingKey": "user-1", "plan": "pro", "seats": 3}})
        );
        let body: J =
            serde_json::from_slice(&request_body(&Context::anonymous()).unwrap()).unwrap();
        assert_eq!(body, json!({"context": {}}));
        let e = request_body(&Context::new("u").with("x", f64::NAN)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidContext);
    }
}
