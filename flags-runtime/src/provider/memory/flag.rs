//! The flags of the in-memory provider: variants, a default variant and an optional function
//! of the context choosing the variant; and how a version of them answers a read.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::context::Context;
use crate::details::{
    ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason, VariantName,
};
use crate::events::ProviderStatus;
use crate::key::{FlagKey, FlagValue, FlagValueRef};
use crate::value::Value;

/// Chooses a variant from the context: `None` or an empty name means "the default variant".
type Evaluator = Arc<dyn Fn(&Context) -> Option<String> + Send + Sync>;

/// Chooses a variant (or none: the default variant) and gives the reason.
type Resolver = Arc<dyn Fn(&Context) -> (Option<String>, Reason) + Send + Sync>;

#[derive(Clone)]
enum Rule {
    None,
    Evaluator(Evaluator),
    Resolver(Resolver),
}

/// A flag of an [`InMemory`](super::InMemory) provider.
///
/// ```
/// use flags_runtime::{Context, FlagKey, InMemory, InMemoryFlag, Reason};
/// let flags = InMemory::new([(
///     "new-checkout",
///     InMemoryFlag::new([("on", true), ("off", false)])
///         .default_variant("off")
///         .context_evaluator(|ctx| {
///             (ctx.get("plan").and_then(|v| v.as_str()) == Some("premium")).then(|| "on".to_owned())
///         }),
/// )]);
/// let client = flags.client();
/// let key = FlagKey::<bool>::new("new-checkout", false);
/// let premium = Context::new("user-1").with("plan", "premium");
/// let details = client.details(&key, &premium);
/// assert!(details.value);
/// assert_eq!(details.reason, Reason::TargetingMatch);
/// assert!(!client.value(&key, &Context::new("user-2")));
/// ```
#[derive(Clone)]
#[must_use]
pub struct InMemoryFlag {
    variants: Vec<(Arc<str>, MemValue)>,
    default_variant: Option<Arc<str>>,
    disabled: bool,
    rule: Rule,
    metadata: FlagMetadata,
}

impl fmt::Debug for InMemoryFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryFlag")
            .field(
                "variants",
                &self.variants.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("default_variant", &self.default_variant)
            .field("disabled", &self.disabled)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

/// A variant value, scalars ready to read without allocating.
#[derive(Debug, Clone, PartialEq)]
enum MemValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Json(serde_json::Value),
}

impl MemValue {
    fn new(value: serde_json::Value) -> MemValue {
        use serde_json::Value as J;
        match value {
            J::Bool(b) => MemValue::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => MemValue::Int(i),
                None => MemValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => MemValue::Str(Arc::from(s)),
            other => MemValue::Json(other),
        }
    }

    fn read<T: FlagValue>(&self) -> Result<T, String> {
        let scalar = match self {
            MemValue::Bool(b) => FlagValueRef::Bool(*b),
            MemValue::Int(i) => FlagValueRef::Int(*i),
            MemValue::Float(f) => FlagValueRef::Float(*f),
            MemValue::Str(s) => FlagValueRef::Str(s),
            MemValue::Json(json) => {
                return T::deserialize(json).map_err(crate::message::bounded);
            }
        };
        crate::flag_value::read(scalar).map_err(|e| e.0.into_owned())
    }

    fn to_value(&self) -> Value {
        match self {
            MemValue::Bool(b) => Value::Bool(*b),
            MemValue::Int(i) => Value::Int(*i),
            MemValue::Float(f) => Value::Float(*f),
            MemValue::Str(s) => Value::String(s.to_string()),
            MemValue::Json(json) => Value::from(json.clone()),
        }
    }
}

impl InMemoryFlag {
    /// A flag with these variants (name, value), enabled, without default variant (it answers
    /// the caller's default, reason `DEFAULT`, until given one).
    pub fn new<N, V>(variants: impl IntoIterator<Item = (N, V)>) -> InMemoryFlag
    where
        N: Into<String>,
        V: Into<serde_json::Value>,
    {
        InMemoryFlag {
            variants: variants
                .into_iter()
                .map(|(n, v)| (Arc::from(n.into()), MemValue::new(v.into())))
                .collect(),
            default_variant: None,
            disabled: false,
            rule: Rule::None,
            metadata: FlagMetadata::empty(),
        }
    }

    /// Serves this variant when no rule chooses one.
    pub fn default_variant(mut self, name: impl Into<String>) -> InMemoryFlag {
        self.default_variant = Some(Arc::from(name.into()));
        self
    }

    /// Disables the flag (or enables it again): a disabled flag answers the caller's default
    /// with reason `DISABLED`.
    pub fn disabled(mut self, disabled: bool) -> InMemoryFlag {
        self.disabled = disabled;
        self
    }

    /// Chooses the variant from the context: a name gives that variant (reason
    /// `TARGETING_MATCH`; a name that is no variant is a `GENERAL` error), `None` or `""` the
    /// default variant (reason `DEFAULT`).
    pub fn context_evaluator(
        mut self,
        evaluator: impl Fn(&Context) -> Option<String> + Send + Sync + 'static,
    ) -> InMemoryFlag {
        self.rule = Rule::Evaluator(Arc::new(evaluator));
        self
    }

    /// Chooses the variant (`None`: the default variant) and the reason reported, for tests
    /// of how code handles reasons such as `SPLIT` or `CACHED`.
    pub fn resolver(
        mut self,
        resolver: impl Fn(&Context) -> (Option<String>, Reason) + Send + Sync + 'static,
    ) -> InMemoryFlag {
        self.rule = Rule::Resolver(Arc::new(resolver));
        self
    }

    /// With flag metadata.
    pub fn metadata(mut self, metadata: FlagMetadata) -> InMemoryFlag {
        self.metadata = metadata;
        self
    }

    fn variant(&self, name: &str) -> Option<&(Arc<str>, MemValue)> {
        self.variants.iter().find(|(n, _)| &**n == name)
    }

    /// Same definition (rules compared by identity).
    pub(super) fn same(&self, other: &InMemoryFlag) -> bool {
        let rules = match (&self.rule, &other.rule) {
            (Rule::None, Rule::None) => true,
            (Rule::Evaluator(a), Rule::Evaluator(b)) => Arc::ptr_eq(a, b),
            (Rule::Resolver(a), Rule::Resolver(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        rules
            && self.variants == other.variants
            && self.default_variant == other.default_variant
            && self.disabled == other.disabled
            && self.metadata == other.metadata
    }
}

pub(super) type FlagMap = HashMap<String, InMemoryFlag>;

/// One version of an in-memory provider's flags.
#[derive(Clone, Copy)]
pub(crate) struct MemoryView<'a> {
    pub(super) flags: &'a FlagMap,
    pub(super) status: ProviderStatus,
}

impl MemoryView<'_> {
    pub(crate) fn details<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<Value>) {
        let fail = |code: ErrorCode, message: String, metadata: FlagMetadata| {
            (
                EvaluationDetails {
                    flag_key: key.key_cow().clone(),
                    value: key.default_value(),
                    variant: None,
                    reason: Reason::Error,
                    error: Some(EvaluationError::new(code, message)),
                    flag_metadata: metadata,
                },
                None,
            )
        };
        match self.status {
            ProviderStatus::NotReady => {
                return fail(
                    ErrorCode::ProviderNotReady,
                    "the provider is not ready".to_owned(),
                    FlagMetadata::empty(),
                );
            }
            ProviderStatus::Fatal => {
                return fail(
                    ErrorCode::ProviderFatal,
                    "the provider failed for good".to_owned(),
                    FlagMetadata::empty(),
                );
            }
            _ => {}
        }
        let Some(flag) = self.flags.get(key.key()) else {
            return fail(
                ErrorCode::FlagNotFound,
                format!("no flag `{}` in the configuration", key.key()),
                FlagMetadata::empty(),
            );
        };
        let metadata = flag.metadata.clone();
        let code_default = |reason: Reason| {
            (
                EvaluationDetails {
                    flag_key: key.key_cow().clone(),
                    value: key.default_value(),
                    variant: None,
                    reason,
                    error: None,
                    flag_metadata: flag.metadata.clone(),
                },
                None,
            )
        };
        if flag.disabled {
            return code_default(Reason::Disabled);
        }
        // The rule is the user's code: a panic in it is an evaluation error, not the caller's.
        let panicked = || {
            fail(
                ErrorCode::General,
                format!("the rule of flag `{}` panicked", key.key()),
                flag.metadata.clone(),
            )
        };
        let chosen = match &flag.rule {
            Rule::None => None,
            Rule::Evaluator(evaluate) => match crate::hooks::isolated(|| evaluate(ctx)) {
                Some(name) => name
                    .filter(|name| !name.is_empty())
                    .map(|name| (name, Reason::TargetingMatch)),
                None => return panicked(),
            },
            Rule::Resolver(resolve) => match crate::hooks::isolated(|| resolve(ctx)) {
                None => return panicked(),
                Some((Some(name), reason)) if !name.is_empty() => Some((name, reason)),
                Some((_, reason)) => {
                    let Some(name) = &flag.default_variant else {
                        return code_default(reason);
                    };
                    Some((name.to_string(), reason))
                }
            },
        };
        let (name, reason) = match (chosen, &flag.default_variant, &flag.rule) {
            (Some((name, reason)), ..) => (Arc::from(name), reason),
            (None, Some(name), Rule::None) => (name.clone(), Reason::Static),
            (None, Some(name), _) => (name.clone(), Reason::Default),
            (None, None, _) => return code_default(Reason::Default),
        };
        let Some((variant, value)) = flag.variant(&name) else {
            return fail(
                ErrorCode::General,
                format!(
                    "flag `{}` chose `{name}`, which is not a variant",
                    key.key()
                ),
                metadata,
            );
        };
        match value.read::<T>() {
            Ok(v) => (
                EvaluationDetails {
                    flag_key: key.key_cow().clone(),
                    value: v,
                    variant: Some(VariantName::from(variant)),
                    reason,
                    error: None,
                    flag_metadata: metadata,
                },
                dynamic.then(|| value.to_value()),
            ),
            Err(error) => fail(
                ErrorCode::TypeMismatch,
                format!(
                    "flag `{}` cannot be read as `{}`: {error}",
                    key.key(),
                    std::any::type_name::<T>()
                ),
                metadata,
            ),
        }
    }
}
