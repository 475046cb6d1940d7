//! FlagKit's event batches: `POST {base}/sdk/events/batch` with `{"events": [...]}`, signed
//! as every FlagKit POST is, through the shared transport.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};

use super::event::{Event, EventKind, TrackingEvent};
use super::exporter::{ExportError, Exporter, Kinds};
use crate::error::Error;
use crate::remote::{
    FLAGKIT_BASE_URL as DEFAULT_BASE_URL, FLAGKIT_SDK_VERSION as SDK_VERSION,
    check_flagkit_key as check_key, flagkit_sdk_headers,
};
use crate::transport::{Request, Transport, TransportConfig};
use crate::value::Value;
use crate::wire::flagkit::{self, Code, pii, sign};

/// The longest event name FlagKit takes.
const MAX_NAME: usize = 128;

/// An exporter of tracking events to FlagKit (`POST /sdk/events/batch`): each
/// [`Client::track`](crate::Client::track) becomes one of FlagKit's events, its name the
/// `eventType`, its numeric value and fields the `eventData`, the context's targeting key the
/// `userId`.
///
/// Every batch is signed (HMAC-SHA256 over the exact bytes sent, as the FlagKit provider signs
/// its requests); a `401` to the primary key switches to the
/// [secondary key](FlagKit::secondary_key) for good and sends again. What FlagKit would refuse
/// is left out before sending, with one warning each: an event whose name is not
/// `[A-Za-z0-9._-]{1,128}`, and fields whose value is a list or a map (FlagKit takes strings,
/// numbers, booleans and null). Each event carries its [`EventId`](super::EventId) as `id`, so
/// the receiver can drop what an at-least-once resend (after a crash, with
/// [`event_log`](crate::ClientBuilder::event_log)) delivers twice.
///
/// ```
/// use flags_runtime::{Client, source, tracking};
/// let client = Client::builder()
///     .in_process(source::json(r#"{"flags": {}}"#))
///     .events(tracking::flagkit("sdk_your_key").environment_id("env-1"))
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn flagkit(api_key: impl Into<String>) -> FlagKit {
    FlagKit {
        primary: api_key.into(),
        secondary: None,
        base_url: DEFAULT_BASE_URL.to_owned(),
        environment_id: None,
        strict_pii: false,
        transport: TransportConfig::new()
            .timeout(Duration::from_secs(5))
            .deadline(Duration::from_secs(8))
            .retries(2),
    }
}

/// The configuration of [`flagkit`]: checked by [`FlagKit::build`] (which
/// [`ClientBuilder::events`](crate::ClientBuilder::events) calls).
#[must_use]
pub struct FlagKit {
    primary: String,
    secondary: Option<String>,
    base_url: String,
    environment_id: Option<String>,
    strict_pii: bool,
    transport: TransportConfig,
}

impl fmt::Debug for FlagKit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagKit")
            .field("base_url", &crate::transport::redact_url(&self.base_url))
            .field("environment_id", &self.environment_id)
            .field("strict_pii", &self.strict_pii)
            .finish_non_exhaustive()
    }
}

impl FlagKit {
    /// The key to switch to, once and for good, when FlagKit refuses the primary one with a
    /// `401`.
    pub fn secondary_key(mut self, api_key: impl Into<String>) -> FlagKit {
        self.secondary = Some(api_key.into());
        self
    }

    /// The API's base URL (default [`FLAGKIT_BASE_URL`](crate::remote::FLAGKIT_BASE_URL)).
    pub fn base_url(mut self, base_url: impl Into<String>) -> FlagKit {
        self.base_url = base_url.into();
        self
    }

    /// The `environmentId` sent with each event (FlagKit's init answer names it); left out
    /// when not set.
    pub fn environment_id(mut self, id: impl Into<String>) -> FlagKit {
        self.environment_id = Some(id.into());
        self
    }

    /// Events whose fields or targeting key look like personal data (an e-mail address, a
    /// phone or card number, by name or by value) are not sent; without it they are sent, with
    /// one warning.
    pub fn strict_pii(mut self) -> FlagKit {
        self.strict_pii = true;
        self
    }

    /// The shared transport's settings (by default a 5 s timeout, an 8 s deadline, 2 retries).
    pub fn transport(mut self, config: TransportConfig) -> FlagKit {
        self.transport = config;
        self
    }

    /// Checks the configuration and makes the exporter.
    ///
    /// # Errors
    ///
    /// [`Error::Exporter`] for a key that is not one of FlagKit's (`sdk_…`, `srv_…`, `cli_…`),
    /// a base URL that is not `http(s)`, an empty environment id, or a transport that cannot be
    /// built.
    pub fn build(self) -> Result<FlagKitExporter, Error> {
        let invalid = |message: String| Error::Exporter {
            exporter: NAME.to_owned(),
            message,
        };
        check_key(&self.primary, "primary").map_err(|e| invalid(e.to_string()))?;
        if let Some(secondary) = &self.secondary {
            check_key(secondary, "secondary").map_err(|e| invalid(e.to_string()))?;
        }
        crate::wire::context::check_http_url(&self.base_url).map_err(|problem| {
            invalid(format!(
                "the base URL `{}` is not usable: {problem}",
                crate::transport::redact_url(&self.base_url)
            ))
        })?;
        if self
            .environment_id
            .as_deref()
            .is_some_and(|id| id.trim().is_empty())
        {
            return Err(invalid(
                "the environment id is empty; pass the `environmentId` FlagKit's init answer \
                 names, or leave it out"
                    .to_owned(),
            ));
        }
        let transport = flagkit_sdk_headers(self.transport)
            .build()
            .map_err(|e| invalid(format!("cannot build its transport: {e}")))?;
        Ok(FlagKitExporter {
            endpoint: flagkit::url(self.base_url.trim_end_matches('/'), "/sdk/events/batch"),
            primary: self.primary,
            secondary: self.secondary,
            rotated: false,
            environment_id: self.environment_id,
            session_id: session_id(),
            strict_pii: self.strict_pii,
            warned: Warned::default(),
            transport,
            runtime: None,
        })
    }
}

impl super::IntoExporter for FlagKit {
    fn into_exporter(self) -> Result<Box<dyn Exporter>, Error> {
        Ok(Box::new(self.build()?))
    }
}

const NAME: &str = "flagkit";

/// What was warned about already (each once per exporter).
#[derive(Default)]
struct Warned {
    name: bool,
    nested: bool,
    pii: bool,
}

/// The exporter [`FlagKit::build`] makes.
pub struct FlagKitExporter {
    endpoint: String,
    primary: String,
    secondary: Option<String>,
    /// Switched to the secondary key, for good.
    rotated: bool,
    environment_id: Option<String>,
    session_id: String,
    strict_pii: bool,
    warned: Warned,
    transport: Transport,
    /// Made on the pipeline's thread at the first export, kept for the transport's connections.
    runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for FlagKitExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagKitExporter")
            .field("endpoint", &crate::transport::redact_url(&self.endpoint))
            .field("rotated", &self.rotated)
            .finish_non_exhaustive()
    }
}

impl FlagKitExporter {
    /// The request body of a batch (canonical JSON, as signed), or `None` when no event of it
    /// can be sent.
    pub(crate) fn body(&mut self, events: &[Event]) -> Option<String> {
        let events: Vec<Json> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Tracked(t) => self.event(e, t),
                EventKind::Evaluated(_) => None,
            })
            .collect();
        if events.is_empty() {
            return None;
        }
        let mut body = Map::new();
        body.insert("events".to_owned(), Json::Array(events));
        Some(sign::canonical(&Json::Object(body)))
    }

    fn event(&mut self, event: &Event, tracked: &TrackingEvent) -> Option<Json> {
        let name = &tracked.name;
        let valid_name = !name.is_empty()
            && name.len() <= MAX_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !valid_name {
            if !std::mem::replace(&mut self.warned.name, true) {
                tracing::warn!(
                    target: "flags",
                    exporter = NAME,
                    "an event was not sent to FlagKit: its name `{}` is not 1 to 128 of \
                     A-Z a-z 0-9 . _ - (further such events are dropped without a warning)",
                    crate::transport::excerpt(name)
                );
            }
            return None;
        }
        let user_id = tracked.context.targeting_key();
        let looks_personal = pii::find(tracked.details.fields(), &[])
            .map(|(path, what)| format!("the field `{path}` looks like {}", what.as_str()))
            .or_else(|| {
                user_id.and_then(pii::by_value).map(|what| {
                    format!(
                        "the targeting key (sent as `userId`) looks like {}",
                        what.as_str()
                    )
                })
            });
        if let Some(problem) = looks_personal {
            if !std::mem::replace(&mut self.warned.pii, true) {
                let outcome = if self.strict_pii {
                    "it was not sent (strict PII mode; further such events are dropped without \
                     a warning)"
                } else {
                    "it was sent; mark the exporter `.strict_pii()` to drop such events"
                };
                tracing::warn!(target: "flags", exporter = NAME, "an event for FlagKit: {problem}; {outcome}");
            }
            if self.strict_pii {
                return None;
            }
        }
        let mut data = Map::new();
        for (key, value) in tracked.details.fields() {
            match value {
                Value::List(_) | Value::Map(_) => {
                    if !std::mem::replace(&mut self.warned.nested, true) {
                        tracing::warn!(
                            target: "flags",
                            exporter = NAME,
                            "the field `{}` of a tracking event was not sent to FlagKit: it \
                             takes strings, numbers, booleans and null, not lists or maps",
                            crate::transport::excerpt(key)
                        );
                    }
                }
                _ => {
                    data.insert(key.to_owned(), value.to_json());
                }
            }
        }
        if let Some(value) = tracked.details.numeric() {
            data.insert("value".to_owned(), Json::from(value));
        }
        let mut out = Map::new();
        out.insert("id".into(), Json::from(event.id.to_string()));
        out.insert("eventType".into(), Json::from(name.clone()));
        out.insert("timestamp".into(), Json::from(iso8601_ms(event.created_ms)));
        out.insert("sdkVersion".into(), Json::from(SDK_VERSION));
        out.insert("sdkLanguage".into(), Json::from("rust"));
        out.insert("sessionId".into(), Json::from(self.session_id.clone()));
        if let Some(id) = &self.environment_id {
            out.insert("environmentId".into(), Json::from(id.clone()));
        }
        if !data.is_empty() {
            out.insert("eventData".into(), Json::Object(data));
        }
        if let Some(user) = user_id {
            out.insert("userId".into(), Json::from(user.to_owned()));
        }
        Some(Json::Object(out))
    }

    fn key(&self) -> &str {
        match (&self.secondary, self.rotated) {
            (Some(secondary), true) => secondary,
            _ => &self.primary,
        }
    }
}

impl Exporter for FlagKitExporter {
    fn name(&self) -> &str {
        NAME
    }

    fn kinds(&self) -> Kinds {
        Kinds::TRACKING
    }

    fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
        let Some(body) = self.body(events) else {
            return Ok(());
        };
        if self.runtime.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| ExportError::failed(format!("cannot start a runtime: {e}")))?;
            self.runtime = Some(runtime);
        }
        loop {
            let key = self.key().to_owned();
            let mut request = Request::post_json(self.endpoint.clone(), body.clone().into_bytes());
            for (name, value) in sign::request_headers(&key, now_ms(), body.as_bytes()) {
                request = request.header(name, value);
            }
            let request = request.header("X-API-Key", key);
            let Some(runtime) = &self.runtime else {
                return Err(ExportError::failed("no runtime"));
            };
            let error = match runtime.block_on(self.transport.send(request)) {
                Ok(response) if (200..300).contains(&response.status) => return Ok(()),
                Ok(response) => flagkit::status_error(
                    response.status,
                    response.headers.get("content-type"),
                    &response.body,
                    response.headers.get("x-request-id"),
                ),
                Err(error) => flagkit::transport_error(&error),
            };
            if error.kind == Code::InvalidKey && self.secondary.is_some() && !self.rotated {
                self.rotated = true;
                tracing::warn!(
                    target: "flags",
                    exporter = NAME,
                    "FlagKit refused the primary API key (401); the events exporter switched to \
                     the secondary key for good"
                );
                continue;
            }
            return Err(match error.status {
                Some(401 | 403) => ExportError::failed(format!(
                    "{error}; check the API key (events are kept meanwhile)"
                )),
                Some(400 | 413 | 422) => ExportError::rejected(error.to_string()),
                _ => ExportError::failed(error.to_string()),
            });
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Milliseconds since the Unix epoch as ISO 8601 in UTC with milliseconds
/// (`2026-12-05T07:00:00.250Z`).
fn iso8601_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = flags_http::date::civil_from_days(days);
    let secs = in_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        in_day % 1000
    )
}

/// A random version-4 UUID, one per exporter (FlagKit's `sessionId`).
fn session_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.write_usize(i);
        *half = hasher.finish();
    }
    let n = (u128::from(halves[0]) << 64 | u128::from(halves[1]))
        & !(0xf000_u128 << 64)
        & !(0xc000_u128 << 48);
    let n = n | (0x4000_u128 << 64) | (0x8000_u128 << 48);
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_carry_milliseconds_in_utc() {
        assert_eq!(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_ms(1_796_454_000_250), "2026-12-05T07:00:00.250Z");
        assert_eq!(iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn session_ids_are_version_4_uuids() {
        let a = session_id();
        let b = session_id();
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(
            matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "{a}"
        );
    }
}
