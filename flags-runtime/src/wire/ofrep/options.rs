//! OFREP options as given in code, merged with the environment and validated.

use std::fmt;
use std::time::Duration;

use super::env::OfrepEnv;
use super::request::base;
use crate::wire::context;

/// The default timeout of OFREP requests (the guidelines' 10 s).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Invalid OFREP options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfrepConfigError {
    /// No base URL, neither given nor in `OFREP_ENDPOINT`.
    #[error(
        "no OFREP base URL; pass one (everything before `/ofrep`, e.g. `http://localhost:8016`) \
         or set `OFREP_ENDPOINT`"
    )]
    MissingBaseUrl,
    /// The base URL is not usable.
    #[error("the OFREP base URL {problem}")]
    InvalidBaseUrl {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The timeout is zero.
    #[error("the OFREP `timeout` must be positive")]
    ZeroTimeout,
    /// The deadline is zero or longer than 24 hours.
    #[error(
        "the OFREP `deadline` must be positive and at most 24 h (it is {} ms)",
        deadline.as_millis()
    )]
    InvalidDeadline {
        /// The deadline given.
        deadline: Duration,
    },
}

/// OFREP options as given in code; unset fields come from the environment, then defaults.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct OfrepOptions {
    /// The base URL (everything before `/ofrep`).
    pub base_url: Option<String>,
    /// Extra headers (authentication, say); secrets, never printed.
    pub headers: Vec<(String, String)>,
    /// The request timeout.
    pub timeout: Option<Duration>,
    /// The deadline of one evaluation or bulk fetch, retries included (`None`: the
    /// transport's, by default the timeout).
    pub deadline: Option<Duration>,
}

impl fmt::Debug for OfrepOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfrepOptions")
            .field("base_url", &self.base_url.as_ref().map(|_| "(set)"))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// Validated OFREP settings.
#[derive(Clone, PartialEq)]
pub(crate) struct OfrepConfig {
    /// The base URL, without trailing slash.
    pub base_url: String,
    /// Headers for every request: the environment's, then the options' (which win by
    /// case-insensitive name).
    pub headers: Vec<(String, String)>,
    /// The request timeout.
    pub timeout: Duration,
    /// The deadline, when set.
    pub deadline: Option<Duration>,
}

impl fmt::Debug for OfrepConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfrepConfig")
            .field("base_url", &context::redacted(&self.base_url))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl OfrepOptions {
    /// Merges with the environment (the options win) and validates.
    ///
    /// # Errors
    ///
    /// No base URL, one that is not an absolute `http(s)` URL with a host, a zero timeout, a
    /// deadline that is zero or longer than 24 hours.
    pub(crate) fn resolve(&self, env: &OfrepEnv) -> Result<OfrepConfig, OfrepConfigError> {
        let base_url = self
            .base_url
            .as_deref()
            .or(env.endpoint.as_deref())
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .ok_or(OfrepConfigError::MissingBaseUrl)?;
        context::check_http_url(base_url)
            .map_err(|problem| OfrepConfigError::InvalidBaseUrl { problem })?;
        let timeout = self.timeout.or(env.timeout).unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(OfrepConfigError::ZeroTimeout);
        }
        if let Some(deadline) = self.deadline
            && (deadline.is_zero() || deadline > crate::transport::MAX_DEADLINE)
        {
            return Err(OfrepConfigError::InvalidDeadline { deadline });
        }
        let mut headers: Vec<(String, String)> = env
            .headers
            .iter()
            .filter(|(n, _)| !self.headers.iter().any(|(o, _)| o.eq_ignore_ascii_case(n)))
            .cloned()
            .collect();
        headers.extend(self.headers.iter().cloned());
        Ok(OfrepConfig {
            base_url: base(base_url).to_owned(),
            headers,
            timeout,
            deadline: self.deadline,
        })
    }
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
    fn options_win_over_the_environment() {
        let e = env(&[
            ("OFREP_ENDPOINT", "http://env:8016"),
            ("OFREP_HEADERS", "Authorization=env,X-Env=1"),
            ("OFREP_TIMEOUT_MS", "100"),
        ]);
        let config = OfrepOptions::default().resolve(&e).unwrap();
        assert_eq!(config.base_url, "http://env:8016");
        assert_eq!(config.timeout, Duration::from_millis(100));
        assert_eq!(config.headers.len(), 2);
        let options = OfrepOptions {
            base_url: Some("https://code.example/".into()),
            headers: vec![("authorization".into(), "code".into())],
            timeout: Some(Duration::from_secs(3)),
            deadline: None,
        };
        let config = options.resolve(&e).unwrap();
        assert_eq!(config.base_url, "https://code.example");
        assert_eq!(config.timeout, Duration::from_secs(3));
        assert_eq!(
            config.headers,
            [
                ("X-Env".to_owned(), "1".to_owned()),
                ("authorization".to_owned(), "code".to_owned()),
            ]
        );
        assert!(!format!("{config:?}{options:?}").contains("code\""));
        let defaults = OfrepOptions {
            base_url: Some("http://h".into()),
            ..OfrepOptions::default()
        };
        assert_eq!(
            defaults.resolve(&OfrepEnv::default()).unwrap().timeout,
            DEFAULT_TIMEOUT
        );
    }

    #[test]
    fn invalid_options_say_what_to_fix() {
        let none = OfrepOptions::default()
            .resolve(&OfrepEnv::default())
            .unwrap_err();
        assert_eq!(none, OfrepConfigError::MissingBaseUrl);
        assert!(none.to_string().contains("OFREP_ENDPOINT"));
        let bad = OfrepOptions {
            base_url: Some("localhost:8016?token=SECRET".into()),
            ..OfrepOptions::default()
        };
        let e = bad.resolve(&OfrepEnv::default()).unwrap_err();
        assert!(matches!(e, OfrepConfigError::InvalidBaseUrl { .. }));
        assert!(!e.to_string().contains("SECRET"));
        let zero = OfrepOptions {
            base_url: Some("http://h".into()),
            timeout: Some(Duration::ZERO),
            ..OfrepOptions::default()
        };
        assert_eq!(
            zero.resolve(&OfrepEnv::default()).unwrap_err(),
            OfrepConfigError::ZeroTimeout
        );
        for deadline in [
            Duration::ZERO,
            Duration::from_secs(24 * 3600 + 1),
            Duration::MAX,
        ] {
            let bad = OfrepOptions {
                base_url: Some("http://h".into()),
                deadline: Some(deadline),
                ..OfrepOptions::default()
            };
            let e = bad.resolve(&OfrepEnv::default()).unwrap_err();
            assert_eq!(e, OfrepConfigError::InvalidDeadline { deadline });
            assert!(e.to_string().contains("`deadline` must be positive"), "{e}");
        }
        let set = OfrepOptions {
            base_url: Some("http://h".into()),
            deadline: Some(Duration::from_secs(3)),
            ..OfrepOptions::default()
        };
        let config = set.resolve(&OfrepEnv::default()).unwrap();
        assert_eq!(config.deadline, Some(Duration::from_secs(3)));
    }
}
