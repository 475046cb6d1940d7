//! Sources configured in the crate's `Cargo.toml`, shared by the build script and the `flags`
//! command:
//!
//! ```toml
//! [package.metadata.flags]
//! lock = "flags.lock.json"     # the default
//! strict = false               # an unreachable source is a warning while a lock exists
//! sources = [
//!     { kind = "file", path = "flags.json" },
//!     { kind = "url", url = "https://config.example.com/flags.json", token-env = "FLAGS_TOKEN" },
//!     { kind = "url", url-env = "FLAGS_SIGNED_URL" },
//!     { kind = "openfeature-api", url = "https://flags.example.com", token-env = "MANIFEST_TOKEN" },
//!     { kind = "ofrep", url = "http://localhost:8016", context = { targetingKey = "build" } },
//!     { kind = "flipt", url = "http://localhost:8080", namespace = "default", environment = "prod", reference = "main" },
//!     { kind = "go-feature-flag", url = "http://localhost:1031", flags = ["a", "b"], api-key-env = "GOFF_API_KEY" },
//!     { kind = "flagship", account-id = "acc", app-id = "app", token-env = "CLOUDFLARE_API_TOKEN" },
//!     { kind = "flagship", endpoint = "https://edge.example.com/evaluate" },
//!     { kind = "flagkit", api-key-env = "FLAGKIT_API_KEY" },
//! ]
//! ```
//!
//! Every remote source also takes `headers = { "X-Name" = "ENV_VAR" }` (values from the
//! environment) and `timeout-ms`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::Error;
use crate::source::{FlagshipTarget, Kind, Location, Source};

/// What `[package.metadata.flags]` says.
#[derive(Debug, Clone)]
pub(crate) struct FileConfig {
    pub(crate) lock: Option<PathBuf>,
    pub(crate) strict: Option<bool>,
    pub(crate) sources: Vec<Source>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Section {
    lock: Option<PathBuf>,
    strict: Option<bool>,
    #[serde(default)]
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSource {
    kind: String,
    path: Option<PathBuf>,
    url: Option<String>,
    url_env: Option<String>,
    context: Option<toml::Table>,
    namespace: Option<String>,
    environment: Option<String>,
    reference: Option<String>,
    flags: Option<Vec<String>>,
    account_id: Option<String>,
    app_id: Option<String>,
    base_url: Option<String>,
    endpoint: Option<String>,
    token_env: Option<String>,
    api_key_env: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    timeout_ms: Option<u64>,
}

/// Reads `[package.metadata.flags]` of `root/Cargo.toml`; `None` when there is no such section
/// (or no `Cargo.toml`).
pub(crate) fn read(root: &Path) -> Result<Option<FileConfig>, Error> {
    let path = root.join("Cargo.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    parse(&text, &path.display().to_string())
}

pub(crate) fn parse(text: &str, origin: &str) -> Result<Option<FileConfig>, Error> {
    let fail = |message: String| Error::Config {
        path: origin.to_owned(),
        message,
    };
    let document: toml::Table = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
    let Some(section) = document
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("flags"))
    else {
        return Ok(None);
    };
    let section = Section::deserialize(section.clone())
        .map_err(|e| fail(format!("in `[package.metadata.flags]`: {e}")))?;
    let sources = section
        .sources
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            raw.into_source()
                .map_err(|m| fail(format!("`[package.metadata.flags]` source {}: {m}", i + 1)))
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(FileConfig {
        lock: section.lock,
        strict: section.strict,
        sources,
    }))
}

impl RawSource {
    fn into_source(self) -> Result<Source, String> {
        let kind = self.kind.clone();
        // Every field a kind does not use is an error, so that a typo never goes unnoticed.
        let used: &[&str] = match kind.as_str() {
            "file" => &["path"],
            "url" | "openfeature-api" => &["url", "url-env"],
            "ofrep" => &["url", "url-env", "context"],
            "flipt" => &["url", "url-env", "namespace", "environment", "reference"],
            "go-feature-flag" => &["url", "url-env", "flags"],
            "flagship" => &["account-id", "app-id", "base-url", "endpoint"],
            "flagkit" => &["url", "url-env"],
            other => {
                return Err(format!(
                    "unknown kind `{other}`; expected one of `file`, `url`, `openfeature-api`, \
                     `ofrep`, `flipt`, `go-feature-flag`, `flagship`, `flagkit`"
                ));
            }
        };
        let present = [
            ("path", self.path.is_some()),
            ("url", self.url.is_some()),
            ("url-env", self.url_env.is_some()),
            ("context", self.context.is_some()),
            ("namespace", self.namespace.is_some()),
            ("environment", self.environment.is_some()),
            ("reference", self.reference.is_some()),
            ("flags", self.flags.is_some()),
            ("account-id", self.account_id.is_some()),
            ("app-id", self.app_id.is_some()),
            ("base-url", self.base_url.is_some()),
            ("endpoint", self.endpoint.is_some()),
        ];
        for (field, is_present) in present {
            if is_present && !used.contains(&field) {
                return Err(format!("`{field}` does not apply to kind `{kind}`"));
            }
        }
        if kind == "file"
            && (self.token_env.is_some()
                || self.api_key_env.is_some()
                || !self.headers.is_empty()
                || self.timeout_ms.is_some())
        {
            return Err("a `file` source takes no credentials, headers or timeout".to_owned());
        }
        let location = || -> Result<Location, String> {
            match (&self.url, &self.url_env) {
                (Some(url), None) => {
                    if crate::source::has_user_info(url) {
                        Err(
                            "`url` carries credentials (`user:password@`); put them in the \
                             environment and name the variable with `token-env` or `headers`, \
                             or read the whole URL from the environment with `url-env`"
                                .to_owned(),
                        )
                    } else {
                        Ok(Location::Literal(url.clone()))
                    }
                }
                (None, Some(var)) => Ok(Location::Env(var.clone())),
                (Some(_), Some(_)) => Err("give `url` or `url-env`, not both".to_owned()),
                (None, None) => Err(format!("kind `{kind}` needs `url` (or `url-env`)")),
            }
        };
        let kind = match kind.as_str() {
            "file" => Kind::File(
                self.path
                    .clone()
                    .ok_or("kind `file` needs `path`".to_owned())?,
            ),
            "url" => Kind::Url(location()?),
            "openfeature-api" => Kind::OpenfeatureApi(location()?),
            "ofrep" => {
                let context = match &self.context {
                    Some(table) => match serde_json::to_value(table) {
                        Ok(serde_json::Value::Object(map)) => map,
                        _ => return Err("`context` must be a table of JSON values".to_owned()),
                    },
                    None => serde_json::Map::new(),
                };
                Kind::Ofrep {
                    base: location()?,
                    context,
                }
            }
            "flipt" => Kind::Flipt {
                base: location()?,
                namespace: self
                    .namespace
                    .clone()
                    .ok_or("kind `flipt` needs `namespace`".to_owned())?,
                environment: self.environment.clone(),
                reference: self.reference.clone(),
            },
            "go-feature-flag" => Kind::GoFeatureFlag {
                base: location()?,
                flags: self.flags.clone().unwrap_or_default(),
            },
            // FlagKit's own API unless the section names another.
            "flagkit" if self.url.is_none() && self.url_env.is_none() => Kind::FlagKit(
                Location::Literal(crate::source::FLAGKIT_BASE_URL.to_owned()),
            ),
            "flagkit" => Kind::FlagKit(location()?),
            _ => match (&self.endpoint, &self.account_id, &self.app_id) {
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                    return Err("give `endpoint` or `account-id` and `app-id`, not both".to_owned());
                }
                (Some(endpoint), None, None) => {
                    if self.base_url.is_some() {
                        return Err(
                            "`base-url` applies to `account-id` and `app-id`, not to `endpoint`"
                                .to_owned(),
                        );
                    }
                    Kind::Flagship(FlagshipTarget::Endpoint(endpoint.clone()))
                }
                (None, Some(account_id), Some(app_id)) => Kind::Flagship(FlagshipTarget::Ids {
                    base_url: self
                        .base_url
                        .clone()
                        .unwrap_or_else(|| crate::FLAGSHIP_BASE_URL.to_owned()),
                    account_id: account_id.clone(),
                    app_id: app_id.clone(),
                }),
                _ => {
                    return Err(
                        "kind `flagship` needs `account-id` and `app-id`, or `endpoint`".to_owned(),
                    );
                }
            },
        };
        let mut source = Source::new(kind);
        if let Some(var) = self.token_env {
            source = source.bearer_token_env(var);
        }
        if let Some(var) = self.api_key_env {
            source = source.api_key_env(var);
        }
        for (name, var) in self.headers {
            source = source.header_env(name, var);
        }
        if let Some(ms) = self.timeout_ms {
            source = source.timeout(Duration::from_millis(ms));
        }
        Ok(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> Result<Vec<Source>, String> {
        parse(text, "Cargo.toml")
            .map(|c| c.map(|c| c.sources).unwrap_or_default())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_kind_parses() {
        let text = r#"
[package]
name = "x"
[package.metadata.flags]
lock = "custom.lock.json"
strict = true
sources = [
    { kind = "file", path = "flags.json" },
    { kind = "url", url = "http://127.0.0.1:1/flags.json", token-env = "T", headers = { "X-A" = "A" } },
    { kind = "url", url-env = "SIGNED" },
    { kind = "openfeature-api", url = "http://127.0.0.1:1" },
    { kind = "ofrep", url = "http://127.0.0.1:1", context = { targetingKey = "build", n = 3 } },
    { kind = "flipt", url = "http://127.0.0.1:1", namespace = "ns", environment = "e", reference = "r" },
    { kind = "go-feature-flag", url = "http://127.0.0.1:1", flags = ["a"], api-key-env = "K", timeout-ms = 500 },
    { kind = "flagship", account-id = "a", app-id = "b", base-url = "http://127.0.0.1:1" },
    { kind = "flagship", endpoint = "http://127.0.0.1:1/evaluate" },
    { kind = "flagkit", api-key-env = "K" },
    { kind = "flagkit", url = "http://127.0.0.1:1/api/v1" },
]
"#;
        let config = parse(text, "Cargo.toml").unwrap().unwrap();
        assert_eq!(config.lock.as_deref(), Some(Path::new("custom.lock.json")));
        assert_eq!(config.strict, Some(true));
        let expected = vec![
            Source::file("flags.json"),
            Source::url("http://127.0.0.1:1/flags.json")
                .bearer_token_env("T")
                .header_env("X-A", "A"),
            Source::url_from_env("SIGNED"),
            Source::openfeature_api("http://127.0.0.1:1"),
            Source::ofrep(
                "http://127.0.0.1:1",
                serde_json::json!({ "targetingKey": "build", "n": 3 }),
            ),
            Source::flipt("http://127.0.0.1:1", "ns")
                .environment("e")
                .reference("r"),
            Source::go_feature_flag("http://127.0.0.1:1")
                .only_flags(["a"])
                .api_key_env("K")
                .timeout(Duration::from_millis(500)),
            Source::flagship("a", "b").base_url("http://127.0.0.1:1"),
            Source::flagship_endpoint("http://127.0.0.1:1/evaluate"),
            Source::flagkit().api_key_env("K"),
            Source::flagkit().base_url("http://127.0.0.1:1/api/v1"),
        ];
        assert_eq!(config.sources, expected);
    }

    #[test]
    fn no_section_is_none() {
        assert!(
            parse("[package]\nname = \"x\"\n", "Cargo.toml")
                .unwrap()
                .is_none()
        );
        assert!(parse("[workspace]\n", "Cargo.toml").unwrap().is_none());
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (r#"{ kind = "ftp", url = "x" }"#, "unknown kind `ftp`"),
            (r#"{ kind = "file" }"#, "kind `file` needs `path`"),
            (
                r#"{ kind = "file", path = "a", url = "b" }"#,
                "`url` does not apply to kind `file`",
            ),
            (
                r#"{ kind = "file", path = "a", token-env = "T" }"#,
                "takes no credentials",
            ),
            (r#"{ kind = "url" }"#, "needs `url` (or `url-env`)"),
            (r#"{ kind = "url", url = "a", url-env = "B" }"#, "not both"),
            (
                r#"{ kind = "url", url = "http://u:p@h/f.json" }"#,
                "carries credentials",
            ),
            (
                r#"{ kind = "flipt", url = "http://h" }"#,
                "needs `namespace`",
            ),
            (
                r#"{ kind = "flagship", account-id = "a" }"#,
                "needs `account-id` and `app-id`",
            ),
            (
                r#"{ kind = "flagship", endpoint = "e", app-id = "a" }"#,
                "not both",
            ),
            (
                r#"{ kind = "url", url = "http://h", token = "secret" }"#,
                "unknown field `token`",
            ),
            (
                r#"{ kind = "ofrep", url = "http://h", namespace = "n" }"#,
                "`namespace` does not apply to kind `ofrep`",
            ),
        ];
        for (entry, expected) in cases {
            let text = format!("[package.metadata.flags]\nsources = [{entry}]\n");
            let error = sources(&text).unwrap_err();
            assert!(error.contains(expected), "{entry}: {error}");
            assert!(error.starts_with("`Cargo.toml`: "), "{error}");
        }
        let error = sources("[package.metadata.flags]\nsource = []\n").unwrap_err();
        assert!(error.contains("unknown field `source`"), "{error}");
        let error = sources("[package\n").unwrap_err();
        assert!(error.starts_with("`Cargo.toml`: "), "{error}");
    }
}
