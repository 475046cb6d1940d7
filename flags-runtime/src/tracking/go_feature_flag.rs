//! GO Feature Flag's data collector: `POST {url}/v1/data/collector` with
//! `{"meta": {...}, "events": [...]}`, through the shared transport.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value as Json};

use super::event::{Event, EventKind};
use super::exporter::{ExportError, Exporter, Kinds};
use crate::error::Error;
use crate::transport::{Request, Transport, TransportConfig, TransportError};
use crate::value::Value;

/// The metadata keys the exporter sets itself.
const RESERVED: [&str; 2] = ["provider", "openfeature"];

/// An exporter to GO Feature Flag's relay proxy (its data collector): evaluation events as
/// the relay's `FeatureEvent`s, and, when asked, tracking events.
///
/// ```
/// use flags_runtime::{Client, source, tracking};
/// let client = Client::builder()
///     .in_process(source::json(r#"{"flags": {}}"#))
///     .events(
///         tracking::go_feature_flag("http://relay:1031")
///             .api_key("secret")
///             .metadata("service", "checkout"),
///     )
///     .build()?;
/// # Ok::<(), flags_runtime::Error>(())
/// ```
pub fn go_feature_flag(url: impl Into<String>) -> GoFeatureFlag {
    GoFeatureFlag {
        url: url.into(),
        api_key: None,
        metadata: Vec::new(),
        tracking: false,
        transport: TransportConfig::new()
            .timeout(Duration::from_secs(3))
            .deadline(Duration::from_secs(4))
            .retries(2),
    }
}

/// The configuration of [`go_feature_flag`]: checked by [`GoFeatureFlag::build`] (which
/// [`ClientBuilder::events`](crate::ClientBuilder::events) calls).
#[must_use]
pub struct GoFeatureFlag {
    url: String,
    api_key: Option<String>,
    metadata: Vec<(String, Value)>,
    tracking: bool,
    transport: TransportConfig,
}

impl fmt::Debug for GoFeatureFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoFeatureFlag")
            .field("url", &crate::transport::redact_url(&self.url))
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("metadata", &self.metadata)
            .field("tracking", &self.tracking)
            .finish_non_exhaustive()
    }
}

impl GoFeatureFlag {
    /// Sent as `X-API-Key` (a secret: never logged, never in `Debug`).
    pub fn api_key(mut self, key: impl Into<String>) -> GoFeatureFlag {
        self.api_key = Some(key.into());
        self
    }

    /// Exporter metadata sent in every batch's `meta`: a string, boolean, integer or float;
    /// `provider` and `openfeature` are the exporter's own (checked by
    /// [`build`](GoFeatureFlag::build)).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> GoFeatureFlag {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// Also sends tracking events, as the relay's `tracking` events (relays that do not know
    /// them answer 400 and their batches are dropped, so this is off by default).
    pub fn tracking(mut self, tracking: bool) -> GoFeatureFlag {
        self.tracking = tracking;
        self
    }

    /// The shared transport's settings (by default a 3 s timeout, a 4 s deadline, 2 retries).
    pub fn transport(mut self, config: TransportConfig) -> GoFeatureFlag {
        self.transport = config;
        self
    }

    /// Checks the configuration and makes the exporter.
    ///
    /// # Errors
    ///
    /// [`Error::Exporter`] for a URL that is not `http(s)`, metadata of another type or under a
    /// reserved key, or a transport that cannot be built.
    pub fn build(self) -> Result<GoFeatureFlagExporter, Error> {
        let invalid = |message: String| Error::Exporter {
            exporter: NAME.to_owned(),
            message,
        };
        flags_http::check_url(&self.url).map_err(|e| {
            invalid(format!(
                "the URL `{}` is not usable: {e}",
                crate::transport::redact_url(&self.url)
            ))
        })?;
        let mut meta = Map::new();
        for (key, value) in &self.metadata {
            if RESERVED.contains(&key.as_str()) {
                return Err(invalid(format!(
                    "metadata `{key}` is reserved (the exporter sets `provider` and \
                     `openfeature`); choose another name"
                )));
            }
            match value {
                Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::String(_) => {
                    meta.insert(key.clone(), value.to_json());
                }
                _ => {
                    return Err(invalid(format!(
                        "metadata `{key}` must be a string, boolean, integer or float"
                    )));
                }
            }
        }
        meta.insert("provider".to_owned(), Json::from("rust"));
        meta.insert("openfeature".to_owned(), Json::Bool(true));
        let mut transport = self.transport;
        if let Some(key) = &self.api_key {
            transport = transport.header("X-API-Key", key.clone());
        }
        let transport = transport
            .build()
            .map_err(|e| invalid(format!("cannot build its transport: {e}")))?;
        Ok(GoFeatureFlagExporter {
            endpoint: format!("{}/v1/data/collector", self.url.trim_end_matches('/')),
            meta: Json::Object(meta),
            tracking: self.tracking,
            transport,
            runtime: None,
        })
    }
}

const NAME: &str = "go-feature-flag";

/// The exporter [`GoFeatureFlag::build`] makes.
pub struct GoFeatureFlagExporter {
    endpoint: String,
    meta: Json,
    tracking: bool,
    transport: Transport,
    /// Made on the pipeline's thread at the first export, kept for the transport's connections.
    runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for GoFeatureFlagExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoFeatureFlagExporter")
            .field("endpoint", &crate::transport::redact_url(&self.endpoint))
            .finish_non_exhaustive()
    }
}

impl GoFeatureFlagExporter {
    /// The request body of a batch.
    pub(crate) fn body(&self, events: &[Event]) -> Vec<u8> {
        let events: Vec<Json> = events.iter().filter_map(|e| self.event(e)).collect();
        let mut body = Map::new();
        body.insert("meta".to_owned(), self.meta.clone());
        body.insert("events".to_owned(), Json::Array(events));
        serde_json::to_vec(&Json::Object(body)).unwrap_or_default()
    }

    fn event(&self, event: &Event) -> Option<Json> {
        let mut out = Map::new();
        let context_kind =
            |anonymous: bool| Json::from(if anonymous { "anonymousUser" } else { "user" });
        let user_key =
            |key: Option<&str>| Json::from(key.unwrap_or("undefined-targetingKey").to_owned());
        match &event.kind {
            EventKind::Evaluated(e) => {
                out.insert("kind".into(), "feature".into());
                out.insert("contextKind".into(), context_kind(e.anonymous));
                out.insert("userKey".into(), user_key(e.targeting_key.as_deref()));
                out.insert("creationDate".into(), Json::from(event.created_s()));
                out.insert("key".into(), Json::from(e.flag_key.clone()));
                out.insert(
                    "variation".into(),
                    Json::from(e.variant.as_deref().unwrap_or("SdkDefault")),
                );
                out.insert("value".into(), e.value.to_json());
                out.insert("default".into(), Json::Bool(e.default));
                if let Some(version) = &e.version {
                    out.insert("version".into(), Json::from(version.clone()));
                }
                out.insert("source".into(), "PROVIDER_CACHE".into());
            }
            EventKind::Tracked(t) => {
                if !self.tracking {
                    return None;
                }
                let anonymous = t.context.get("anonymous") == Some(&Value::Bool(true));
                out.insert("kind".into(), "tracking".into());
                out.insert("contextKind".into(), context_kind(anonymous));
                out.insert("userKey".into(), user_key(t.context.targeting_key()));
                out.insert("creationDate".into(), Json::from(event.created_s()));
                out.insert("key".into(), Json::from(t.name.clone()));
                let mut context: Map<String, Json> = t
                    .context
                    .attributes()
                    .map(|(k, v)| (k.to_owned(), v.to_json()))
                    .collect();
                if let Some(key) = t.context.targeting_key() {
                    context.insert("targetingKey".into(), Json::from(key.to_owned()));
                }
                out.insert("evaluationContext".into(), Json::Object(context));
                let mut details: Map<String, Json> = t
                    .details
                    .fields()
                    .map(|(k, v)| (k.to_owned(), v.to_json()))
                    .collect();
                if let Some(value) = t.details.numeric() {
                    details.insert("value".into(), Json::from(value));
                }
                out.insert("trackingEventDetails".into(), Json::Object(details));
                out.insert("id".into(), Json::from(event.id.to_string()));
            }
        }
        Some(Json::Object(out))
    }
}

impl Exporter for GoFeatureFlagExporter {
    fn name(&self) -> &str {
        NAME
    }

    fn kinds(&self) -> Kinds {
        Kinds {
            tracking: self.tracking,
            evaluation: true,
        }
    }

    fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
        let body = self.body(events);
        let runtime = match &self.runtime {
            Some(runtime) => runtime,
            None => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| ExportError::failed(format!("cannot start a runtime: {e}")))?;
                self.runtime.insert(runtime)
            }
        };
        let request = Request::post_json(self.endpoint.clone(), body);
        match runtime.block_on(self.transport.send(request)) {
            Ok(response) if (200..300).contains(&response.status) => Ok(()),
            Ok(response) => Err(ExportError::failed(format!(
                "the collector answered {}",
                response.status
            ))),
            Err(error) => Err(classify(&error)),
        }
    }
}

/// What a failed request means for the batch: kept (and sent again) unless the collector says
/// it will never take it.
fn classify(error: &TransportError) -> ExportError {
    match error.status() {
        Some(401 | 403) => ExportError::failed(format!(
            "the collector refused the credentials ({error}); check the API key (events are \
             kept meanwhile)"
        )),
        Some(400 | 413 | 422) => ExportError::rejected(format!("{error}")),
        _ => ExportError::failed(format!("{error}")),
    }
}
