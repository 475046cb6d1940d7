//! The evaluation context: who or what a flag is evaluated for.

use std::collections::BTreeMap;

use crate::value::Value;

/// The evaluation context: an optional targeting key (the user, account or device a flag is
/// evaluated for) and attributes that targeting rules can read.
///
/// ```
/// use flags_runtime::Context;
/// let ctx = Context::new("user-123").with("plan", "premium").with("seats", 12);
/// assert_eq!(ctx.targeting_key(), Some("user-123"));
/// assert_eq!(ctx.get("plan").and_then(|v| v.as_str()), Some("premium"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    targeting_key: Option<String>,
    attributes: BTreeMap<String, Value>,
}

impl Context {
    /// A context for the subject `targeting_key`.
    pub fn new(targeting_key: impl Into<String>) -> Context {
        Context {
            targeting_key: Some(targeting_key.into()),
            attributes: BTreeMap::new(),
        }
    }

    /// A context without targeting key (an anonymous subject).
    pub fn anonymous() -> Context {
        Context::default()
    }

    /// Adds or replaces an attribute.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Context {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Adds or replaces an attribute in place.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Context {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Sets or replaces the targeting key.
    #[must_use]
    pub fn with_targeting_key(mut self, targeting_key: impl Into<String>) -> Context {
        self.targeting_key = Some(targeting_key.into());
        self
    }

    /// The targeting key, if any.
    pub fn targeting_key(&self) -> Option<&str> {
        self.targeting_key.as_deref()
    }

    /// An attribute.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key)
    }

    /// The attributes, in key order.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.attributes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// `true` when there is neither a targeting key nor an attribute.
    pub fn is_empty(&self) -> bool {
        self.targeting_key.is_none() && self.attributes.is_empty()
    }

    /// This context overlaid with `higher`: attributes and targeting key of `higher` win.
    /// Contexts merge from lowest to highest precedence: global, client, invocation.
    ///
    /// ```
    /// use flags_runtime::Context;
    /// let global = Context::anonymous().with("region", "eu").with("plan", "free");
    /// let call = Context::new("user-1").with("plan", "premium");
    /// let merged = global.merged(&call);
    /// assert_eq!(merged.targeting_key(), Some("user-1"));
    /// assert_eq!(merged.get("plan").and_then(|v| v.as_str()), Some("premium"));
    /// assert_eq!(merged.get("region").and_then(|v| v.as_str()), Some("eu"));
    /// ```
    #[must_use]
    pub fn merged(&self, higher: &Context) -> Context {
        let mut out = self.clone();
        out.merge_from(higher);
        out
    }

    /// Overlays `higher` on this context, in place: its attributes and targeting key win.
    pub fn merge_from(&mut self, higher: &Context) {
        if let Some(key) = &higher.targeting_key {
            self.targeting_key = Some(key.clone());
        }
        for (k, v) in &higher.attributes {
            self.attributes.insert(k.clone(), v.clone());
        }
    }

    /// The context as a JSON object, as flagd's targeting rules see it: the attributes plus
    /// `targetingKey` when there is one.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map: serde_json::Map<String, serde_json::Value> = self
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        if let Some(key) = &self.targeting_key {
            map.insert(
                "targetingKey".to_owned(),
                serde_json::Value::String(key.clone()),
            );
        }
        serde_json::Value::Object(map)
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Context {
    /// Collects attributes; a string attribute `targetingKey` becomes the targeting key.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut ctx = Context::default();
        for (k, v) in iter {
            let (k, v) = (k.into(), v.into());
            match (k.as_str(), v) {
                ("targetingKey", Value::String(key)) => ctx.targeting_key = Some(key),
                (_, v) => {
                    ctx.attributes.insert(k, v);
                }
            }
        }
        ctx
    }
}
