//! The manifest model and the lock file format.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Problem};
use crate::limits::shorten;
use crate::targeting::{Dialect, Targeting};

/// The version of the lock file format this crate reads and writes.
pub const FORMAT_VERSION: u32 = 2;

/// Flag-set or flag metadata: string keys to booleans, strings or numbers.
pub type Metadata = BTreeMap<String, MetadataValue>;

/// Every flag a flag service knows, with its type and default.
///
/// Serialised, this is the lock file: pretty JSON, keys sorted, a format version, no credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// The version of the lock file format; [`FORMAT_VERSION`] for files this crate writes.
    pub format_version: u32,
    /// `sha256:` and the hex SHA-256 of the canonical JSON of the flags, metadata and
    /// evaluators ([`Manifest::compute_hash`]): equal hashes mean equal definitions. Absent from
    /// manifests parsed without provenance ([`crate::parse_str`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// Where the definitions came from: one entry per source merged into this manifest, in the
    /// order they were merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Provenance>,
    /// Flag-set metadata (flagd's top-level `metadata`), merged under every flag's metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: Metadata,
    /// Named reusable targeting fragments (flagd's `$evaluators`), referenced as `{"$ref": name}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(
        feature = "json-schema",
        schemars(with = "BTreeMap<String, serde_json::Value>")
    )]
    pub evaluators: BTreeMap<String, Value>,
    /// The flags, by key.
    pub flags: BTreeMap<String, Flag>,
}

/// Where (part of) a manifest came from, recorded in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provenance {
    /// How the definitions were obtained: a local file, a URL, a flag service's API.
    pub kind: SourceKind,
    /// The format the definitions were imported from (its name: a Flagship account id is not
    /// recorded).
    #[cfg_attr(feature = "json-schema", schemars(with = "FormatName"))]
    pub format: Format,
    /// The file or URL they were read from, without credentials (no user information, no
    /// query string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// When they were fetched from a service (RFC 3339, UTC); absent for local files, so that a
    /// lock file built from files is reproducible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
}

/// How definitions were obtained; serialised in kebab-case (`"file"`, `"go-feature-flag"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceKind {
    /// A local file.
    File,
    /// A flag file (any importable format) fetched over HTTP(S).
    Url,
    /// The OpenFeature manifest management API (`GET /openfeature/v0/manifest`).
    OpenfeatureApi,
    /// An OFREP bulk evaluation (`POST /ofrep/v1/evaluate/flags`) under a configured context.
    Ofrep,
    /// A Flipt namespace snapshot.
    Flipt,
    /// A GO Feature Flag relay proxy's flag configuration.
    GoFeatureFlag,
    /// Cloudflare Flagship app definitions.
    Flagship,
    /// FlagKit's SDK init answer (`GET /api/v1/sdk/init`): each flag's type and its value in
    /// one environment.
    #[serde(rename = "flagkit")]
    FlagKit,
}

impl SourceKind {
    /// The name in the lock file and in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Url => "url",
            SourceKind::OpenfeatureApi => "openfeature-api",
            SourceKind::Ofrep => "ofrep",
            SourceKind::Flipt => "flipt",
            SourceKind::GoFeatureFlag => "go-feature-flag",
            SourceKind::Flagship => "flagship",
            SourceKind::FlagKit => "flagkit",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format of flag definitions that this crate reads, with what reading it needs.
///
/// Recorded in the lock file's provenance by its name alone ([`Format::as_str`]): `"lock"`,
/// `"flagd"`, `"openfeature-cli"`, `"openfeature-api"`, `"ofrep"`, `"flipt"`,
/// `"go-feature-flag"`, `"flagship"` or `"flagkit"`. The account id of [`Format::Flagship`] and the namespace
/// of [`Format::Flipt`] are not recorded: read back, they are empty.
///
/// ```
/// use flags_schema::Format;
///
/// let value = serde_json::json!({ "flags": { "beta": { "flagType": "boolean", "defaultValue": false } } });
/// assert_eq!(Format::detect(&value), Some(Format::OpenfeatureCli));
/// assert_eq!(Format::OpenfeatureCli.to_string(), "openfeature-cli");
/// let flagship = Format::Flagship { account_id: "my-account".into() };
/// assert_eq!(flagship.as_str(), "flagship");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "FormatName", from = "FormatName")]
#[non_exhaustive]
pub enum Format {
    /// A lock file written by this crate ([`Manifest::to_lock_string`]).
    Lock,
    /// A flagd flag-definition file: `flags.<key>.{state, variants, defaultVariant, targeting}`,
    /// flags as a map or as an array of flags with a `key`.
    Flagd,
    /// An OpenFeature CLI flag manifest: `flags.<key>.{flagType, defaultValue, description}`.
    OpenfeatureCli,
    /// An OFREP bulk evaluation response: `flags[].{key, value, variant, reason, metadata}`
    /// or `flags[].{key, errorCode, errorDetails}`.
    Ofrep,
    /// A Flipt namespace snapshot: the server's document (`namespace.key` and `flags[].{key,
    /// type, enabled, defaultVariant, rules, rollouts}`, camelCase) or the one Flipt's client
    /// engine exports (`namespace.{key, flags, eval_rules, eval_rollouts,
    /// eval_distributions}`, snake_case, as JSON or base64), of the namespace `namespace`.
    ///
    /// With an empty `namespace` (what [`Format::detect`] gives, and what a lock file's
    /// provenance reads back as) the flags are read without their rules and rollouts, as the
    /// lock file records them; with a namespace, each flag whole becomes its targeting, in
    /// [Flipt's dialect](crate::Dialect::Flipt). See [`crate::flipt`].
    Flipt {
        /// The key of the namespace the snapshot belongs to; empty when unknown.
        namespace: String,
    },
    /// A GO Feature Flag relay proxy flag configuration: `flags.<key>.{variations,
    /// defaultRule, disable, metadata}`.
    GoFeatureFlag,
    /// Cloudflare Flagship flag definitions: `flags.<key>.{enabled, variations,
    /// default_variation, rules}`, of the account `account_id`.
    ///
    /// The account id seeds the hash of the rules' rollouts, so the rules are read only with
    /// one: with an empty `account_id` (what [`Format::detect`] gives, and what a lock file's
    /// provenance reads back as) the flags are read without their rules, as the lock file
    /// records them; with an account id, each flag's rules become its targeting, in
    /// [Flagship's dialect](crate::Dialect::Flagship). See [`crate::flagship`].
    Flagship {
        /// The id of the Cloudflare account the definitions belong to; empty when unknown.
        account_id: String,
    },
    /// The OpenFeature manifest management API's manifest (`GET /openfeature/v0/manifest`):
    /// `flags[].{key, type, defaultValue, description}`.
    OpenfeatureApi,
    /// FlagKit's SDK init answer (`GET /sdk/init`): `flags[].{key, value, enabled, flagType}`.
    /// See [`crate::flagkit`].
    FlagKit,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format of flag definitions, by name: how the lock file's provenance records a
/// [`Format`].
#[derive(Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "json-schema", schemars(rename = "Format"))]
#[serde(rename_all = "kebab-case")]
enum FormatName {
    /// A lock file written by this crate ([`Manifest::to_lock_string`]).
    Lock,
    /// A flagd flag-definition file: `flags.<key>.{state, variants, defaultVariant, targeting}`,
    /// flags as a map or as an array of flags with a `key`.
    Flagd,
    /// An OpenFeature CLI flag manifest: `flags.<key>.{flagType, defaultValue, description}`.
    OpenfeatureCli,
    /// An OFREP bulk evaluation response: `flags[].{key, value, variant, reason, metadata}`
    /// or `flags[].{key, errorCode, errorDetails}`.
    Ofrep,
    /// A Flipt namespace snapshot: `namespace.key` and `flags[].{key, type, enabled,
    /// defaultVariant, rules}`.
    Flipt,
    /// A GO Feature Flag relay proxy flag configuration: `flags.<key>.{variations,
    /// defaultRule, disable, metadata}`.
    GoFeatureFlag,
    /// Cloudflare Flagship flag definitions: `flags.<key>.{enabled, variations,
    /// default_variation, rules}`.
    Flagship,
    /// The OpenFeature manifest management API's manifest (`GET /openfeature/v0/manifest`):
    /// `flags[].{key, type, defaultValue, description}`.
    OpenfeatureApi,
    /// FlagKit's SDK init answer (`GET /sdk/init`): `flags[].{key, value, enabled, flagType}`.
    #[serde(rename = "flagkit")]
    FlagKit,
}

impl From<Format> for FormatName {
    fn from(format: Format) -> FormatName {
        match format {
            Format::Lock => FormatName::Lock,
            Format::Flagd => FormatName::Flagd,
            Format::OpenfeatureCli => FormatName::OpenfeatureCli,
            Format::Ofrep => FormatName::Ofrep,
            Format::Flipt { .. } => FormatName::Flipt,
            Format::GoFeatureFlag => FormatName::GoFeatureFlag,
            Format::Flagship { .. } => FormatName::Flagship,
            Format::OpenfeatureApi => FormatName::OpenfeatureApi,
            Format::FlagKit => FormatName::FlagKit,
        }
    }
}

impl From<FormatName> for Format {
    fn from(name: FormatName) -> Format {
        match name {
            FormatName::Lock => Format::Lock,
            FormatName::Flagd => Format::Flagd,
            FormatName::OpenfeatureCli => Format::OpenfeatureCli,
            FormatName::Ofrep => Format::Ofrep,
            FormatName::Flipt => Format::Flipt {
                namespace: String::new(),
            },
            FormatName::GoFeatureFlag => Format::GoFeatureFlag,
            FormatName::Flagship => Format::Flagship {
                account_id: String::new(),
            },
            FormatName::OpenfeatureApi => Format::OpenfeatureApi,
            FormatName::FlagKit => Format::FlagKit,
        }
    }
}

/// One flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(try_from = "FlagRepr", into = "FlagRepr")]
pub struct Flag {
    /// The type of every value the flag can take.
    pub flag_type: FlagType,
    /// The value served when no rule decides: the default variant's value. Absent when the
    /// flag defers to the default written in code (flagd `defaultVariant: null`).
    pub default: Option<Value>,
    /// The name of the default variant, when the flag has variants.
    pub default_variant: Option<String>,
    /// The values the flag can take, by variant name.
    pub variants: BTreeMap<String, Value>,
    /// The flag's variants carry attachments: besides the flag's value (a string, the variant
    /// key), a variant may serve a structured value, which a read as a structured type (a
    /// struct, a map, `serde_json::Value`) gets. Set by the Flipt importer for a variant flag
    /// with at least one attachment; `#[derive(Flags)]` then takes a field of a serde type for
    /// the flag besides its key field. Only on string flags; in the lock, `"attachments": true`,
    /// absent when `false`. Named after Flipt's attachments; a marker beside the type rather
    /// than a type of its own, so that the flag's value stays its key for every reader, and
    /// optional, so that locks written before it read as they did.
    pub attachments: bool,
    /// What the flag is for; becomes the doc comment of generated code.
    pub description: Option<String>,
    /// The flag is on its way out: generated code marks it `#[deprecated]`.
    pub deprecated: bool,
    /// Whether the flag is served; a disabled flag evaluates to the code default.
    pub state: FlagState,
    /// Flag metadata, returned with every evaluation.
    pub metadata: Metadata,
    /// The targeting rule, kept as written, and its dialect. In the lock file, the rule is the
    /// flag's `targeting` and the dialect its `dialect` (left out for flagd's).
    pub targeting: Option<Targeting>,
}

/// A [`Flag`] as the lock file writes it: the targeting rule and its dialect side by side.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FlagRepr {
    /// The type of every value the flag can take.
    #[serde(rename = "type")]
    flag_type: FlagType,
    /// The value served when no rule decides: the default variant's value. Absent when the
    /// flag defers to the default written in code (flagd `defaultVariant: null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(with = "Option<serde_json::Value>"))]
    default: Option<Value>,
    /// The name of the default variant, when the flag has variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_variant: Option<String>,
    /// The values the flag can take, by variant name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(
        feature = "json-schema",
        schemars(with = "BTreeMap<String, serde_json::Value>")
    )]
    variants: BTreeMap<String, Value>,
    /// The variants carry attachments: besides the variant key, the flag's value, a variant
    /// may serve a structured value, which a read as a structured type gets (Flipt's variant
    /// flags). Only on string flags; absent when `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    attachments: bool,
    /// What the flag is for; becomes the doc comment of generated code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// The flag is on its way out: generated code marks it `#[deprecated]`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    deprecated: bool,
    /// Whether the flag is served; a disabled flag evaluates to the code default.
    #[serde(default, skip_serializing_if = "FlagState::is_enabled")]
    state: FlagState,
    /// Flag metadata, returned with every evaluation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    metadata: Metadata,
    /// The targeting rule, kept as written, in the language `dialect` names (flagd's JSON
    /// Logic when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(with = "Option<serde_json::Value>"))]
    targeting: Option<Value>,
    /// The language of `targeting`; absent for flagd's, the default.
    #[serde(default, skip_serializing_if = "Dialect::is_flagd")]
    dialect: Dialect,
}

impl TryFrom<FlagRepr> for Flag {
    type Error = String;

    fn try_from(repr: FlagRepr) -> Result<Flag, String> {
        let targeting = match repr.targeting {
            Some(rule) => Some(Targeting::new(repr.dialect, rule)),
            None if repr.dialect.is_flagd() => None,
            None => {
                return Err(format!(
                    "field `dialect` (`{}`) names the language of `targeting`, which the flag \
                     does not have",
                    repr.dialect
                ));
            }
        };
        Ok(Flag {
            flag_type: repr.flag_type,
            default: repr.default,
            default_variant: repr.default_variant,
            variants: repr.variants,
            attachments: repr.attachments,
            description: repr.description,
            deprecated: repr.deprecated,
            state: repr.state,
            metadata: repr.metadata,
            targeting,
        })
    }
}

impl From<Flag> for FlagRepr {
    fn from(flag: Flag) -> FlagRepr {
        let (targeting, dialect) = match flag.targeting {
            Some(Targeting { dialect, rule }) => (Some(rule), dialect),
            None => (None, Dialect::Flagd),
        };
        FlagRepr {
            flag_type: flag.flag_type,
            default: flag.default,
            default_variant: flag.default_variant,
            variants: flag.variants,
            attachments: flag.attachments,
            description: flag.description,
            deprecated: flag.deprecated,
            state: flag.state,
            metadata: flag.metadata,
            targeting,
            dialect,
        }
    }
}

/// The type of a flag's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum FlagType {
    /// `true` or `false`.
    Boolean,
    /// A UTF-8 string.
    String,
    /// A whole number that fits `i64`.
    Integer,
    /// Any number.
    Float,
    /// A JSON object.
    Object,
}

impl FlagType {
    /// All types, in declaration order.
    pub const ALL: [FlagType; 5] = [
        FlagType::Boolean,
        FlagType::String,
        FlagType::Integer,
        FlagType::Float,
        FlagType::Object,
    ];

    /// The name used in the lock file and in messages: `boolean`, `string`, `integer`,
    /// `float`, `object`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FlagType::Boolean => "boolean",
            FlagType::String => "string",
            FlagType::Integer => "integer",
            FlagType::Float => "float",
            FlagType::Object => "object",
        }
    }

    /// The narrowest type of a JSON value: a number that fits `i64` is an integer, any other
    /// number a float. Arrays and `null` are not flag values.
    pub fn of(value: &Value) -> Option<FlagType> {
        match value {
            Value::Bool(_) => Some(FlagType::Boolean),
            Value::String(_) => Some(FlagType::String),
            Value::Number(n) if n.is_i64() => Some(FlagType::Integer),
            Value::Number(_) => Some(FlagType::Float),
            Value::Object(_) => Some(FlagType::Object),
            Value::Array(_) | Value::Null => None,
        }
    }

    /// Whether a value of this type can hold `value`: an integer flag takes a number that fits
    /// `i64`, a float flag any number.
    pub fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (FlagType::Boolean, Value::Bool(_)) => true,
            (FlagType::String, Value::String(_)) => true,
            (FlagType::Integer, Value::Number(n)) => n.is_i64(),
            (FlagType::Float, Value::Number(_)) => true,
            (FlagType::Object, Value::Object(_)) => true,
            _ => false,
        }
    }

    /// The type that holds values of both `self` and `other`, if any: integer and float widen
    /// to float.
    pub fn unify(self, other: FlagType) -> Option<FlagType> {
        match (self, other) {
            (a, b) if a == b => Some(a),
            (FlagType::Integer, FlagType::Float) | (FlagType::Float, FlagType::Integer) => {
                Some(FlagType::Float)
            }
            _ => None,
        }
    }
}

impl fmt::Display for FlagType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a flag is served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum FlagState {
    /// Evaluated normally.
    #[default]
    Enabled,
    /// Evaluates to the code default with reason `DISABLED`; targeting is not evaluated.
    Disabled,
}

impl FlagState {
    /// `true` for [`FlagState::Enabled`].
    pub fn is_enabled(&self) -> bool {
        matches!(self, FlagState::Enabled)
    }
}

/// A metadata value: boolean, string or number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum MetadataValue {
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    String(String),
}

impl MetadataValue {
    /// Converts a JSON value; `None` for arrays, objects, `null` and numbers beyond `f64`.
    pub fn from_json(value: &Value) -> Option<MetadataValue> {
        match value {
            Value::Bool(b) => Some(MetadataValue::Bool(*b)),
            Value::String(s) => Some(MetadataValue::String(s.clone())),
            Value::Number(n) => n
                .as_i64()
                .map(MetadataValue::Int)
                .or_else(|| n.as_f64().map(MetadataValue::Float)),
            Value::Array(_) | Value::Object(_) | Value::Null => None,
        }
    }
}

impl Manifest {
    /// An empty manifest of the current format version.
    pub fn new() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            content_hash: None,
            sources: Vec::new(),
            metadata: Metadata::new(),
            evaluators: BTreeMap::new(),
            flags: BTreeMap::new(),
        }
    }

    /// Parses and validates a lock file. `origin` names the input in error messages.
    pub fn from_lock_str(text: &str, origin: &str) -> Result<Manifest, Error> {
        // The version is checked before the structure: a lock file of another version may have
        // fields this version does not know, and "unsupported version" is the useful message.
        let value: Value = serde_json::from_str(text).map_err(|e| Error::json(origin, &e))?;
        check_lock_version(&value, origin)?;
        // Deserialised from the text, not the value, so that errors carry a line and column.
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| Error::json(origin, &e))?;
        manifest.validate(origin)?;
        Ok(manifest)
    }

    /// [`Manifest::from_lock_str`] for an already parsed document.
    pub(crate) fn from_lock_value(value: &Value, origin: &str) -> Result<Manifest, Error> {
        check_lock_version(value, origin)?;
        let manifest = Manifest::deserialize(value).map_err(|e| Error::json(origin, &e))?;
        manifest.validate(origin)?;
        Ok(manifest)
    }

    /// The lock file text: pretty JSON with sorted keys and a trailing newline.
    pub fn to_lock_string(&self) -> String {
        // Every key is sorted, struct fields included (they serialise in declaration order),
        // whether or not something in the build enables serde_json's `preserve_order`.
        let value = serde_json::to_value(self).expect("a manifest always serialises");
        let mut text =
            serde_json::to_string_pretty(&sorted(value)).expect("a value always serialises");
        text.push('\n');
        text
    }

    /// The SHA-256 of the canonical JSON of the flags, metadata and evaluators, as
    /// `sha256:<hex>`. Independent of provenance and format version.
    pub fn compute_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        #[derive(Serialize)]
        struct Content<'a> {
            flags: &'a BTreeMap<String, Flag>,
            metadata: &'a Metadata,
            evaluators: &'a BTreeMap<String, Value>,
        }
        let content = serde_json::to_value(Content {
            flags: &self.flags,
            metadata: &self.metadata,
            evaluators: &self.evaluators,
        })
        .expect("a manifest always serialises");
        // Canonical: compact, every key sorted (so the order of a source file never matters),
        // streamed into the hasher without copying the tree.
        let mut hasher = HashWriter(Sha256::new());
        write_canonical(&content, &mut hasher).expect("hashing never fails");
        let digest = hasher.0.finalize();
        let mut hex = String::with_capacity(7 + 64);
        hex.push_str("sha256:");
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }

    /// Checks the rules every manifest keeps, whatever it was imported from: non-empty keys,
    /// variants and default of the flag's type, a default variant among the variants, rules
    /// and values nested at most [`MAX_NESTING`](crate::MAX_NESTING) levels.
    pub fn validate(&self, origin: &str) -> Result<(), Error> {
        self.check_nesting(origin)?;
        for (key, flag) in &self.flags {
            flag.validate(key)
                .map_err(|problem| Error::flag(origin, key, problem))?;
        }
        for (key, value) in &self.metadata {
            if matches!(value, MetadataValue::Float(f) if !f.is_finite()) {
                return Err(Error::document(
                    origin,
                    Problem::InvalidMetadata {
                        key: key.clone(),
                        found: "a non-finite number".into(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Checks that targeting rules, evaluators and flag values nest at most
    /// [`MAX_NESTING`](crate::MAX_NESTING) arrays and objects ([`Manifest::validate`] does, and
    /// so does the runtime before it compiles a configuration, however it was read).
    ///
    /// # Errors
    ///
    /// [`Problem::TooDeep`] naming the path, in an [`Error::Flag`] for a flag's rule or value,
    /// in an [`Error::Document`] for an evaluator.
    pub fn check_nesting(&self, origin: &str) -> Result<(), Error> {
        for (name, rule) in &self.evaluators {
            crate::limits::check_nesting(rule, || format!("$evaluators.{}", shorten(name, 24)))
                .map_err(|problem| Error::document(origin, problem))?;
        }
        for (key, flag) in &self.flags {
            flag.check_nesting()
                .map_err(|problem| Error::flag(origin, key, problem))?;
        }
        Ok(())
    }

    /// The key closest to `key` by Jaro-Winkler similarity, for "did you mean" messages; `None`
    /// when nothing is close enough.
    pub fn suggest(&self, key: &str) -> Option<&str> {
        crate::error::closest(key, self.flags.keys().map(String::as_str))
    }
}

/// `value` with the keys of every object in sorted order.
/// `value` with the keys of every object in sorted order, whatever order the map keeps.
pub(crate) fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Feeds what is written into a SHA-256 digest.
struct HashWriter(sha2::Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.0, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `value` as compact JSON with the keys of every object sorted, whatever order the map
/// keeps (`serde_json`'s `preserve_order` feature may be on in a user's build).
fn write_canonical(value: &Value, out: &mut impl std::io::Write) -> std::io::Result<()> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by_key(|(key, _)| *key);
            out.write_all(b"{")?;
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, key)?;
                out.write_all(b":")?;
                write_canonical(value, out)?;
            }
            out.write_all(b"}")
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")
        }
        scalar => serde_json::to_writer(&mut *out, scalar).map_err(std::io::Error::other),
    }
}

/// Fails with [`Problem::UnsupportedFormatVersion`] when a lock document carries a whole-number
/// `formatVersion` other than [`FORMAT_VERSION`]; anything else is left to deserialisation.
fn check_lock_version(value: &Value, origin: &str) -> Result<(), Error> {
    let Some(found) = value.get("formatVersion").and_then(Value::as_u64) else {
        return Ok(());
    };
    if found == u64::from(FORMAT_VERSION) {
        return Ok(());
    }
    Err(Error::document(
        origin,
        Problem::UnsupportedFormatVersion {
            found: u32::try_from(found).unwrap_or(u32::MAX),
            supported: FORMAT_VERSION,
        },
    ))
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest::new()
    }
}

impl Flag {
    /// A flag of type `flag_type` with a default value and nothing else.
    pub fn new(flag_type: FlagType, default: Option<Value>) -> Flag {
        Flag {
            flag_type,
            default,
            default_variant: None,
            variants: BTreeMap::new(),
            attachments: false,
            description: None,
            deprecated: false,
            state: FlagState::Enabled,
            metadata: Metadata::new(),
            targeting: None,
        }
    }

    /// The variant names, sorted.
    pub fn variant_names(&self) -> impl Iterator<Item = &str> {
        self.variants.keys().map(String::as_str)
    }

    fn validate(&self, key: &str) -> Result<(), Problem> {
        if key.is_empty() {
            return Err(Problem::EmptyKey);
        }
        if self.attachments && self.flag_type != FlagType::String {
            return Err(Problem::InvalidField {
                field: "attachments".to_owned(),
                expected: "absent on a flag that is not a string flag (attachments come with \
                           variant keys)",
                found: format!(
                    "`true` on {} flag",
                    crate::error::with_article(self.flag_type)
                ),
            });
        }
        for (name, value) in &self.variants {
            if !self.flag_type.accepts(value) {
                return Err(Problem::VariantTypeMismatch {
                    variant: name.clone(),
                    expected: self.flag_type,
                    found: crate::error::describe(value),
                });
            }
        }
        if let Some(name) = &self.default_variant {
            match self.variants.get(name) {
                None => {
                    return Err(Problem::DefaultVariantNotFound {
                        variant: name.clone(),
                        available: self.variants.keys().cloned().collect(),
                    });
                }
                Some(value) if self.default.as_ref() != Some(value) => {
                    return Err(Problem::DefaultDisagrees {
                        variant: name.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        if let Some(default) = &self.default
            && !self.flag_type.accepts(default)
        {
            return Err(Problem::DefaultTypeMismatch {
                expected: self.flag_type,
                found: crate::error::describe(default),
            });
        }
        Ok(())
    }

    /// Checks that the targeting rule, the variants and the default nest at most
    /// [`MAX_NESTING`](crate::MAX_NESTING) levels.
    pub(crate) fn check_nesting(&self) -> Result<(), Problem> {
        if let Some(targeting) = &self.targeting {
            crate::limits::check_nesting(&targeting.rule, || "targeting".to_owned())?;
        }
        for (name, value) in &self.variants {
            crate::limits::check_nesting(value, || format!("variants.{}", shorten(name, 24)))?;
        }
        if let Some(default) = &self.default {
            crate::limits::check_nesting(default, || "default".to_owned())?;
        }
        Ok(())
    }
}
