//! URL redaction for `Debug`, logs and error messages.

/// The URL without user information, query or fragment (where credentials hide): scheme,
/// host, port and path, as written. Text that is not an absolute URL keeps what follows its
/// last `@` before any `?` or `#`.
///
/// ```
/// use flags_http::redact_url;
///
/// assert_eq!(
///     redact_url("https://user:secret@flags.example:8443/v1/flags.json?sig=abc#top"),
///     "https://flags.example:8443/v1/flags.json"
/// );
/// assert_eq!(redact_url("http://h?k=v/w"), "http://h");
/// assert_eq!(redact_url("user:pw@host/path?token=x"), "host/path");
/// ```
pub fn redact_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        None => without_query
            .rsplit_once('@')
            .map_or(without_query, |(_, rest)| rest)
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_queries_and_fragments_go() {
        // From flags-build's `source.rs`.
        assert_eq!(
            redact_url("https://user:secret@host:8443/path?sig=abc#x"),
            "https://host:8443/path"
        );
        // From the runtime's `wire/context.rs`.
        assert_eq!(
            redact_url("https://u:p@h.example/a/b?token=x#f"),
            "https://h.example/a/b"
        );
        assert_eq!(redact_url("http://h?k=v/w"), "http://h");
        // A path with an `@` keeps it; an authority loses what precedes its `@`.
        assert_eq!(
            redact_url("http://h/users/a@b/x#frag"),
            "http://h/users/a@b/x"
        );
        assert_eq!(redact_url("http://u@[::1]:80/p"), "http://[::1]:80/p");
        assert_eq!(redact_url("HTTP://Host.Example"), "HTTP://Host.Example");
        // Not a URL: nothing before an `@`, nothing after `?` or `#`.
        assert_eq!(redact_url("user:pw@host/p?q#f"), "host/p");
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(redact_url(""), "");
    }
}
