//! Flipt's client protocol: the namespace snapshot polled, the namespace stream (Flipt v2),
//! their URLs and headers, and a line of the stream. No I/O.

use serde_json::Value as J;

use super::context::encode;

/// The snapshot format version the client reads (`X-Flipt-Accept-Server-Version`), as Flipt's
/// client engine sends it.
pub(crate) const ACCEPT_SERVER_VERSION: &str = "1.47.0";

/// The header naming the snapshot format version.
pub(crate) const ACCEPT_SERVER_VERSION_HEADER: &str = "x-flipt-accept-server-version";

/// The header naming the environment (Flipt v2).
pub(crate) const ENVIRONMENT_HEADER: &str = "x-flipt-environment";

/// `url` without its trailing slashes.
fn base(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

/// `GET {url}/internal/v1/evaluation/snapshot/namespace/{namespace}[?reference={reference}]`,
/// the namespace and the reference percent-encoded.
pub(crate) fn snapshot_url(url: &str, namespace: &str, reference: Option<&str>) -> String {
    let mut out = format!(
        "{}/internal/v1/evaluation/snapshot/namespace/{}",
        base(url),
        encode(namespace)
    );
    if let Some(reference) = reference {
        out.push_str("?reference=");
        out.push_str(&encode(reference));
    }
    out
}

/// `GET {url}/client/v2/environments/{environment}/namespaces/{namespace}/stream`, the
/// environment and the namespace percent-encoded.
pub(crate) fn stream_url(url: &str, environment: &str, namespace: &str) -> String {
    format!(
        "{}/client/v2/environments/{}/namespaces/{}/stream",
        base(url),
        encode(environment),
        encode(namespace)
    )
}

/// The longest part of a server's error message kept in ours.
const MAX_MESSAGE: usize = 200;

/// A line of the namespace stream, `{"result": <namespace document>}`: the document's text, or
/// why the line is not one (an `{"error": ...}` line says what the server said).
pub(crate) fn stream_line(line: &str) -> Result<String, String> {
    let value: J = serde_json::from_str(line)
        .map_err(|error| format!("a line of the stream is not JSON ({error})"))?;
    let J::Object(mut fields) = value else {
        return Err("a line of the stream is not an object".to_owned());
    };
    match fields.remove("result") {
        Some(document @ J::Object(_)) => Ok(document.to_string()),
        Some(_) => Err("a line of the stream has a `result` that is not a namespace".to_owned()),
        None => match fields.get("error") {
            Some(error) => {
                let said = error.get("message").and_then(J::as_str).map_or_else(
                    || "no message".to_owned(),
                    |m| crate::message::cut(m, MAX_MESSAGE),
                );
                Err(format!("the stream sent an error: {said}"))
            }
            None => Err("a line of the stream has no `result`".to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_their_segments() {
        assert_eq!(
            snapshot_url("http://h:8080/", "default", None),
            "http://h:8080/internal/v1/evaluation/snapshot/namespace/default"
        );
        assert_eq!(
            snapshot_url(" https://h/flipt// ", "a b/c", Some("main&x=1")),
            "https://h/flipt/internal/v1/evaluation/snapshot/namespace/a%20b%2Fc?reference=main%26x%3D1"
        );
        assert_eq!(
            stream_url("http://h", "prod env", "../ns"),
            "http://h/client/v2/environments/prod%20env/namespaces/..%2Fns/stream"
        );
    }

    #[test]
    fn stream_lines() {
        assert_eq!(
            stream_line(r#"{"result":{"namespace":{"key":"n"},"flags":[]}}"#),
            Ok(r#"{"flags":[],"namespace":{"key":"n"}}"#.to_owned())
        );
        for (line, says) in [
            ("garbage", "not JSON"),
            ("[1]", "not an object"),
            (r#"{"result": 3}"#, "not a namespace"),
            (r#"{"other": 3}"#, "no `result`"),
            (
                r#"{"error": {"code": 16, "message": "unauthenticated"}}"#,
                "the stream sent an error: unauthenticated",
            ),
        ] {
            let error = stream_line(line).unwrap_err();
            assert!(error.contains(says), "{line}: {error}");
        }
        let long = format!(r#"{{"error": {{"message": "{}"}}}}"#, "x".repeat(10_000));
        assert!(stream_line(&long).unwrap_err().len() < 300);
    }
}
