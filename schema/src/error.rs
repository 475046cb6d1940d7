//! Import and validation errors.

use serde_json::Value;

use crate::manifest::FlagType;

/// What went wrong reading a flag definition file: where, which flag, and what.
///
/// Messages follow the house wording: lowercase, code in backticks, the accepted form shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("could not read `{path}`: {source}")]
    Io {
        /// The path that was read.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not JSON.
    #[error("`{origin}` is not valid JSON: {message}{}", position(.line, .column))]
    Json {
        /// The file or input name.
        origin: String,
        /// serde_json's message, without position.
        message: String,
        /// 1-based line; 0 when unknown (the input was an already parsed value).
        line: usize,
        /// 1-based column; 0 when unknown.
        column: usize,
    },
    /// The input is not valid YAML or TOML (a GO Feature Flag flag file).
    #[error("`{origin}` is not valid {language}: {message}{}", position(.line, .column))]
    Syntax {
        /// The file or input name.
        origin: String,
        /// `YAML`, `TOML` (or `JSON`, for JSON read as a flag file without those features).
        language: &'static str,
        /// The reader's message, without position.
        message: String,
        /// 1-based line; 0 when unknown.
        line: usize,
        /// 1-based column; 0 when unknown.
        column: usize,
    },
    /// One flag is invalid.
    #[error("`{origin}`: flag `{flag}`: {problem}")]
    Flag {
        /// The file or input name.
        origin: String,
        /// The flag key, as written (may be empty).
        flag: String,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
    /// The document as a whole is invalid.
    #[error("`{origin}`: {problem}")]
    Document {
        /// The file or input name.
        origin: String,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
}

impl Error {
    pub(crate) fn json(origin: &str, error: &serde_json::Error) -> Error {
        let full = error.to_string();
        // serde_json appends " at line L column C"; keep the message without it.
        let message = match full.rfind(" at line ") {
            Some(at) => full[..at].to_owned(),
            None => full,
        };
        Error::Json {
            origin: origin.to_owned(),
            message,
            line: error.line(),
            column: error.column(),
        }
    }

    pub(crate) fn flag(origin: &str, flag: &str, problem: Problem) -> Error {
        Error::Flag {
            origin: origin.to_owned(),
            flag: flag.to_owned(),
            problem: Box::new(problem),
        }
    }

    pub(crate) fn document(origin: &str, problem: Problem) -> Error {
        Error::Document {
            origin: origin.to_owned(),
            problem: Box::new(problem),
        }
    }

    /// The flag the error is about, if it is about one.
    pub fn flag_key(&self) -> Option<&str> {
        match self {
            Error::Flag { flag, .. } => Some(flag),
            _ => None,
        }
    }

    /// The problem, for errors about a flag or the document.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Flag { problem, .. } | Error::Document { problem, .. } => Some(&**problem),
            _ => None,
        }
    }

    /// The message without the file or input name it starts with, for a caller whose own
    /// message names the input already (a sync names the source it fetched).
    ///
    /// ```
    /// let value = serde_json::json!({ "hello": "world" });
    /// let error = flags_schema::import(&value, "https://flags.example.com/f.json").unwrap_err();
    /// assert!(error.to_string().starts_with("`https://flags.example.com/f.json`: not a flag definition file"));
    /// assert!(error.without_origin().to_string().starts_with("not a flag definition file"));
    /// ```
    pub fn without_origin(&self) -> impl std::fmt::Display + '_ {
        WithoutOrigin(self)
    }
}

struct WithoutOrigin<'a>(&'a Error);

impl std::fmt::Display for WithoutOrigin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Error::Json {
                message,
                line,
                column,
                ..
            } => write!(f, "not valid JSON: {message}{}", position(line, column)),
            Error::Syntax {
                language,
                message,
                line,
                column,
                ..
            } => write!(
                f,
                "not valid {language}: {message}{}",
                position(line, column)
            ),
            Error::Flag { flag, problem, .. } => write!(f, "flag `{flag}`: {problem}"),
            Error::Document { problem, .. } => write!(f, "{problem}"),
            // The path read is part of the message, not a name put in front of it.
            error @ Error::Io { .. } => write!(f, "{error}"),
        }
    }
}

/// What is wrong with a flag or a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A flag key is the empty string.
    #[error("flag keys must not be empty")]
    EmptyKey,
    /// Two flags share a key (flags written as an array).
    #[error("the key is defined more than once")]
    DuplicateKey,
    /// A flag has no variants.
    #[error(
        "a flag needs at least one variant, as in `\"variants\": {{\"on\": true, \"off\": false}}`"
    )]
    NoVariants,
    /// Variant values of different types.
    #[error(
        "variants must all have one type: `{first}` is {} but `{variant}` is {found}",
        with_article(*first_type)
    )]
    MixedVariantTypes {
        /// The first variant, which fixed the type.
        first: String,
        /// Its type.
        first_type: FlagType,
        /// The variant of another type.
        variant: String,
        /// What it is.
        found: String,
    },
    /// A variant's value cannot be a flag value (an array or null).
    #[error("variant `{variant}` is {found}; a variant is a boolean, string, number or object")]
    InvalidVariantValue {
        /// The variant.
        variant: String,
        /// What it is.
        found: String,
    },
    /// A variant whose value is not of the flag's declared type.
    #[error("variant `{variant}` is {found} but the flag is {expected}")]
    VariantTypeMismatch {
        /// The variant.
        variant: String,
        /// The flag's type.
        expected: FlagType,
        /// What the variant is.
        found: String,
    },
    /// `defaultVariant` names no variant.
    #[error(
        "default variant `{variant}` is not among the variants ({})",
        list(available)
    )]
    DefaultVariantNotFound {
        /// The name given.
        variant: String,
        /// The variants there are.
        available: Vec<String>,
    },
    /// The default value differs from the default variant's value.
    #[error("the default value differs from the value of default variant `{variant}`")]
    DefaultDisagrees {
        /// The default variant.
        variant: String,
    },
    /// The default value is not of the flag's type.
    #[error("the default is {found} but the flag is {expected}")]
    DefaultTypeMismatch {
        /// The flag's type.
        expected: FlagType,
        /// What the default is.
        found: String,
    },
    /// A type name that is not one of the five.
    #[error(
        "unknown flag type `{found}`; expected one of `boolean`, `string`, `integer`, `float`, `object`"
    )]
    UnknownType {
        /// The name given.
        found: String,
    },
    /// A `state` other than `ENABLED` / `DISABLED`.
    #[error("unknown state `{found}`; expected `ENABLED` or `DISABLED`")]
    InvalidState {
        /// The state given.
        found: String,
    },
    /// A metadata value that is not a boolean, string or number.
    #[error("metadata `{key}` is {found}; metadata values are booleans, strings or numbers")]
    InvalidMetadata {
        /// The metadata key.
        key: String,
        /// What the value is.
        found: String,
    },
    /// A targeting rule that is not JSON Logic the engine knows.
    #[error("invalid targeting: {reason}")]
    InvalidTargeting {
        /// What is wrong.
        reason: String,
    },
    /// A targeting rule, an evaluator or a flag value nests arrays and objects deeper than
    /// [`MAX_NESTING`](crate::MAX_NESTING) levels.
    #[error(
        "`{path}` is nested more than {limit} levels deep; rules and values may nest at most {limit} arrays and objects"
    )]
    TooDeep {
        /// Where the value past the limit is, from the flag (`targeting.if[0]...`) or from
        /// `$evaluators`, shortened for long paths.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// A required field is absent.
    #[error("missing field `{field}`")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("field `{field}` must be {expected}, found {found}")]
    InvalidField {
        /// The field.
        field: String,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// A lock file of another format version.
    #[error(
        "lock file format version {found} is not supported (this version of flags reads version {supported}); re-run the sync (`flags sync`)"
    )]
    UnsupportedFormatVersion {
        /// The version in the file.
        found: u32,
        /// The version this crate reads.
        supported: u32,
    },
    /// The document matches none of the known formats.
    #[error("not a flag definition file: {hint}")]
    UnknownFormat {
        /// Why, and what was expected.
        hint: String,
    },
    /// Cloudflare Flagship definitions read for evaluation ([`crate::load_str`],
    /// [`crate::load_as`]) without the id of their account, which seeds the hash of their
    /// rollouts: they cannot be evaluated as Flagship evaluates them.
    #[error(
        "Flagship definitions cannot be evaluated without the account id that seeds their \
         rollouts; set `.format(flags::Format::Flagship {{ account_id: .. }})` on the source"
    )]
    AccountIdRequired,
    /// A Flipt snapshot read for one namespace ([`Format::Flipt`](crate::Format::Flipt)) whose
    /// `namespace.key` names another.
    #[error(
        "the snapshot is of namespace `{found}`, not `{expected}` as the source says; read it \
         with `Format::Flipt {{ namespace: \"{found}\" }}` or fetch namespace `{expected}`"
    )]
    NamespaceMismatch {
        /// The namespace the source reads.
        expected: String,
        /// The namespace the snapshot names, shortened.
        found: String,
    },
    /// An OFREP bulk evaluation answered the flag with an error instead of a value, so its type
    /// cannot be inferred.
    #[error(
        "the service could not evaluate the flag: `{code}`{}; give the OFREP source a context under which it evaluates",
        details.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    EvaluationFailed {
        /// The OFREP `errorCode`, such as `TARGETING_KEY_MISSING`.
        code: String,
        /// The `errorDetails` the service gave, if any.
        details: Option<String>,
    },
}

/// Something in a definition file that loads, but is probably not what was meant: a targeting
/// rule with a malformed operator call (which flagd evaluates to null), an unknown operator, a
/// `$ref` to no evaluator (the flag answers `PARSE_ERROR`), or, when a flagd file is read as
/// flagd reads it ([`crate::load_str`]), a flag whose variants or metadata flagd tolerates.
///
/// Displayed as `flag `key`: message` (or the message alone when no flag is concerned).
///
/// ```
/// let warnings = flags_schema::flagd::lint(&flags_schema::import_str(r#"{
///     "flags": { "beta": {
///         "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
///         "targeting": { "if": [{ "sem_ver": [{ "var": "version" }, "==", "2.0.0"] }, "on"] }
///     } }
/// }"#, "flags.json").unwrap());
/// assert_eq!(warnings.len(), 1);
/// assert_eq!(warnings[0].flag.as_deref(), Some("beta"));
/// assert_eq!(warnings[0].kind, flags_schema::WarningKind::AlwaysNull);
/// assert!(warnings[0].to_string().starts_with("flag `beta`: unknown `sem_ver` operator `==`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// The flag concerned; `None` for the document (an evaluator no flag uses, flag-set
    /// metadata).
    pub flag: Option<String>,
    /// What the problem does.
    pub kind: WarningKind,
    /// What is wrong, and what it does: lowercase, code in backticks, values shortened.
    pub message: String,
}

/// What a [`Warning`]'s problem does when the flag is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// An operator call that evaluates to null whatever the context (flagd's custom operators
    /// on arguments they cannot use): the enclosing `if` takes its else branch, or the flag
    /// serves its default variant.
    AlwaysNull,
    /// The rule cannot be evaluated (an unknown operator, a `$ref` to no evaluator): the flag
    /// answers `PARSE_ERROR`; the other flags are unaffected.
    ParseError,
    /// It evaluates, but differently from what it seems to say (a negative weight counts as 0,
    /// a literal bucketing value puts everyone in one bucket, metadata that is dropped, ...).
    Suspicious,
}

impl Warning {
    /// A warning about `flag` (or the document), of `kind`, saying `message`.
    pub fn new(flag: Option<&str>, kind: WarningKind, message: impl Into<String>) -> Warning {
        Warning {
            flag: flag.map(str::to_owned),
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.flag {
            Some(flag) => write!(f, "flag `{flag}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// " at line L, column C", or nothing when the position is unknown (line 0).
fn position(line: &usize, column: &usize) -> String {
    if *line == 0 {
        String::new()
    } else {
        format!(" at line {line}, column {column}")
    }
}

/// "a boolean", "an integer", ...
pub(crate) fn with_article(flag_type: FlagType) -> String {
    match flag_type {
        FlagType::Integer | FlagType::Object => format!("an {flag_type}"),
        _ => format!("a {flag_type}"),
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "there are none".to_owned();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short description of a JSON value for messages: "a boolean", "the string `\"x\"`", ...
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("a boolean (`{b}`)"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("an integer (`{n}`)"),
        Value::Number(n) => format!("a float (`{n}`)"),
        Value::String(s) => format!("a string (`{s:?}`)"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// [`describe`], with strings and the written form of numbers cut to a few dozen characters,
/// for messages that must stay short.
pub(crate) fn describe_short(value: &Value) -> String {
    match value {
        Value::String(s) => format!("a string (`{:?}`)", shorten(s)),
        Value::Number(n) => {
            let text = n.to_string();
            let kind = if n.is_i64() || n.is_u64() {
                "an integer"
            } else {
                "a float"
            };
            format!("{kind} (`{}`)", shorten(&text))
        }
        other => describe(other),
    }
}

/// At most 40 characters of `text`, with `…` when it was cut.
pub(crate) fn shorten(text: &str) -> String {
    crate::limits::shorten(text, 40)
}

/// The candidate most similar to `key` (Jaro-Winkler ≥ 0.8 after lowercasing and dropping
/// `-`, `_` and `.`, or a few edits), for "did you mean" messages; `None` when nothing is close
/// enough.
///
/// The cost is bounded by the number of candidates: a name longer than
/// [`SUGGEST_MAX_NAME`](crate::SUGGEST_MAX_NAME) characters gets no suggestion and longer
/// candidates are skipped, so each comparison costs at most a fixed amount. A caller suggesting
/// many names against candidates it does not control uses
/// [`closest_within`](crate::closest_within), which also caps the total.
///
/// ```
/// let keys = ["new-checkout", "dark-mode"];
/// assert_eq!(flags_schema::closest("new-chekout", keys.into_iter()), Some("new-checkout"));
/// assert_eq!(flags_schema::closest("newCheckout", keys.into_iter()), Some("new-checkout"));
/// assert_eq!(flags_schema::closest("unrelated", keys.into_iter()), None);
/// ```
pub fn closest<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut unbounded = u64::MAX;
    crate::limits::closest_within(key, candidates, &mut unbounded)
}
