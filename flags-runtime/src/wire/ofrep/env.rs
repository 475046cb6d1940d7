//! The `OFREP_*` environment variables.

use std::fmt;
use std::time::Duration;

use crate::wire::context;

/// OFREP settings read from the environment (`OFREP_ENDPOINT`, `OFREP_HEADERS`,
/// `OFREP_TIMEOUT_MS`). Header values are secrets: `Debug` shows their names only.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct OfrepEnv {
    /// `OFREP_ENDPOINT`: the base URL.
    pub endpoint: Option<String>,
    /// `OFREP_HEADERS`, decoded, in order.
    pub headers: Vec<(String, String)>,
    /// `OFREP_TIMEOUT_MS`.
    pub timeout: Option<Duration>,
    /// What was skipped and why (never a header value), for a warning.
    pub problems: Vec<String>,
}

impl fmt::Debug for OfrepEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfrepEnv")
            .field("endpoint", &self.endpoint.as_ref().map(|_| "(set)"))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("problems", &self.problems)
            .finish()
    }
}

impl OfrepEnv {
    /// Reads the variables through `lookup` (`|name| std::env::var(name).ok()` in production).
    pub(crate) fn read(lookup: impl Fn(&str) -> Option<String>) -> OfrepEnv {
        let mut env = OfrepEnv {
            endpoint: lookup("OFREP_ENDPOINT")
                .map(|e| e.trim().to_owned())
                .filter(|e| !e.is_empty()),
            ..OfrepEnv::default()
        };
        if let Some(headers) = lookup("OFREP_HEADERS") {
            env.headers = parse_headers(&headers, &mut env.problems);
        }
        if let Some(ms) = lookup("OFREP_TIMEOUT_MS") {
            match ms.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => env.timeout = Some(Duration::from_millis(ms)),
                _ => env.problems.push(format!(
                    "`OFREP_TIMEOUT_MS` is not a positive number of milliseconds (`{}`); ignored",
                    ms.trim()
                )),
            }
        }
        env
    }
}

/// `OFREP_HEADERS`: the whole string URL-decoded, split on `,`, each entry split on its first
/// `=`, names and values trimmed. Entries without `=`, with an empty or invalid name, or with
/// a value holding a line break are skipped and reported.
pub(crate) fn parse_headers(raw: &str, problems: &mut Vec<String>) -> Vec<(String, String)> {
    let decoded = context::decode(raw);
    let mut headers = Vec::new();
    for (i, entry) in decoded.split(',').enumerate() {
        if entry.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let Some((name, value)) = entry.split_once('=') else {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n} has no `=` (expected `Name=value`); skipped"
            ));
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n} has an empty header name; skipped"
            ));
        } else if !name.bytes().all(is_token) {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n}: `{name}` is not a valid header name; skipped"
            ));
        } else if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n}: the value of `{name}` holds a line break; skipped"
            ));
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    headers
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> OfrepEnv {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        OfrepEnv::read(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_environment_is_read_and_decoded() {
        let e = env(&[
            ("OFREP_ENDPOINT", " http://localhost:8016/ "),
            (
                "OFREP_HEADERS",
                "Authorization=Bearer%20tok%3Den,%20X-Api-Key%20=%20k=v%2C , bad, =empty,Bad Name=1,,X-Plus=a+b",
            ),
            ("OFREP_TIMEOUT_MS", "2500"),
        ]);
        assert_eq!(e.endpoint.as_deref(), Some("http://localhost:8016/"));
        assert_eq!(
            e.headers,
            [
                ("Authorization".to_owned(), "Bearer tok=en".to_owned()),
                ("X-Api-Key".to_owned(), "k=v".to_owned()),
                ("X-Plus".to_owned(), "a+b".to_owned()),
            ]
        );
        assert_eq!(e.timeout, Some(Duration::from_millis(2500)));
        // `%2C` decodes before the split: a comma cannot be part of a value.
        assert_eq!(e.problems.len(), 3, "{:?}", e.problems);
        assert!(
            e.problems
                .iter()
                .any(|p| p.contains("entry 4") && p.contains("no `=`"))
        );
        assert!(e.problems.iter().any(|p| p.contains("empty header name")));
        assert!(e.problems.iter().any(|p| p.contains("`Bad Name`")));
        let printed = format!("{e:?}");
        assert!(
            !printed.contains("tok=en") && !printed.contains("8016"),
            "{printed}"
        );
        assert!(e.problems.iter().all(|p| !p.contains("tok")));

        let e = env(&[("OFREP_TIMEOUT_MS", "soon")]);
        assert_eq!(e.timeout, None);
        assert_eq!(e.problems.len(), 1);
        assert!(env(&[("OFREP_TIMEOUT_MS", "0")]).timeout.is_none());
        assert_eq!(env(&[]), OfrepEnv::default());
    }

    #[test]
    fn header_names_and_values_are_checked() {
        let mut problems = Vec::new();
        let h = parse_headers("X-A=1%0D%0AInjected: yes,X-B=2", &mut problems);
        assert_eq!(h, [("X-B".to_owned(), "2".to_owned())]);
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].contains("Injected"));
    }
}
