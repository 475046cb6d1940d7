//! The outcome of an evaluation: value, variant, reason, error, metadata.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use flags_schema::MetadataValue;

/// Everything known about one evaluation (OpenFeature's "evaluation details").
///
/// Typed getters never fail: when something is wrong, `value` is the caller's default,
/// `reason` is [`Reason::Error`] and `error` says what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationDetails<T> {
    /// The key of the evaluated flag.
    pub flag_key: Cow<'static, str>,
    /// The value: the flag's, or the caller's default.
    pub value: T,
    /// The name of the variant served, when the value came from one.
    pub variant: Option<VariantName>,
    /// Why this value.
    pub reason: Reason,
    /// What went wrong, when `reason` is [`Reason::Error`].
    pub error: Option<EvaluationError>,
    /// Flag metadata (flag-set metadata overlaid with the flag's); empty, never absent.
    pub flag_metadata: FlagMetadata,
}

impl<T> EvaluationDetails<T> {
    /// The error code, if the evaluation failed.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.error.as_ref().map(|e| e.code)
    }

    /// The error message, if the evaluation failed.
    pub fn error_message(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.message.as_ref())
    }

    /// `true` when the evaluation failed and `value` is the caller's default.
    pub fn is_error(&self) -> bool {
        self.error.is_some()
    }
}

/// Why an evaluation produced its value. An open set: providers may report reasons of their
/// own as [`Reason::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The flag has one value for everybody (no targeting).
    Static,
    /// No rule matched: the default variant, or the caller's default when the flag defers to it.
    Default,
    /// A targeting rule chose the variant.
    TargetingMatch,
    /// A pseudorandom split chose the variant.
    Split,
    /// The value came from a cache.
    Cached,
    /// The flag is disabled: the caller's default.
    Disabled,
    /// The reason is not known.
    Unknown,
    /// The value may be out of date (the source is unreachable).
    Stale,
    /// The evaluation failed: the caller's default.
    Error,
    /// A provider-specific reason.
    Other(String),
}

impl Reason {
    /// The OpenFeature name: `STATIC`, `DEFAULT`, `TARGETING_MATCH`, ...
    pub fn as_str(&self) -> &str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Cached => "CACHED",
            Reason::Disabled => "DISABLED",
            Reason::Unknown => "UNKNOWN",
            Reason::Stale => "STALE",
            Reason::Error => "ERROR",
            Reason::Other(other) => other,
        }
    }

    /// Parses an OpenFeature name; anything else becomes [`Reason::Other`].
    pub fn parse(name: &str) -> Reason {
        match name {
            "STATIC" => Reason::Static,
            "DEFAULT" => Reason::Default,
            "TARGETING_MATCH" => Reason::TargetingMatch,
            "SPLIT" => Reason::Split,
            "CACHED" => Reason::Cached,
            "DISABLED" => Reason::Disabled,
            "UNKNOWN" => Reason::Unknown,
            "STALE" => Reason::Stale,
            "ERROR" => Reason::Error,
            other => Reason::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an evaluation failed (OpenFeature's closed set of error codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The provider has not loaded a configuration yet.
    ProviderNotReady,
    /// No flag has this key.
    FlagNotFound,
    /// The flag's definition or rule could not be parsed.
    ParseError,
    /// The flag's value is not of the requested type.
    TypeMismatch,
    /// A rule needs a targeting key and the context has none.
    TargetingKeyMissing,
    /// The context is not usable.
    InvalidContext,
    /// The provider failed for good (bad credentials, say).
    ProviderFatal,
    /// Anything else.
    General,
}

impl ErrorCode {
    /// The OpenFeature name: `FLAG_NOT_FOUND`, `TYPE_MISMATCH`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::ProviderFatal => "PROVIDER_FATAL",
            ErrorCode::General => "GENERAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error code and a message saying what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationError {
    /// The code.
    pub code: ErrorCode,
    /// What happened, for people.
    pub message: Cow<'static, str>,
}

impl EvaluationError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> EvaluationError {
        EvaluationError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for EvaluationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for EvaluationError {}

/// Flag metadata: string keys to booleans, strings or numbers. Cheap to clone (shared).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlagMetadata(Option<Arc<BTreeMap<String, MetadataValue>>>);

impl FlagMetadata {
    /// No metadata.
    pub const fn empty() -> FlagMetadata {
        FlagMetadata(None)
    }

    /// Metadata from a map; an empty map is stored as nothing.
    pub fn new(map: BTreeMap<String, MetadataValue>) -> FlagMetadata {
        if map.is_empty() {
            FlagMetadata(None)
        } else {
            FlagMetadata(Some(Arc::new(map)))
        }
    }

    /// One entry.
    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.0.as_ref()?.get(key)
    }

    /// The entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetadataValue)> {
        self.0
            .iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |m| m.len())
    }

    /// `true` when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The name of a variant, as [`EvaluationDetails::variant`] carries it: a string, read through
/// `Deref<Target = str>`.
///
/// Names of up to 22 bytes (nearly all of them: `on`, `off`, `treatment-b`) are held inline,
/// so that returning details copies them without touching a reference count shared between
/// threads; a longer name is shared.
///
/// ```
/// use flags_runtime::VariantName;
/// let name = VariantName::from("on");
/// assert_eq!(name, "on");
/// assert_eq!(name.len(), 2);
/// assert_eq!(format!("{name}"), "on");
/// ```
#[derive(Clone)]
pub struct VariantName(NameRepr);

#[derive(Clone)]
enum NameRepr {
    /// The first `len` bytes of `bytes` are the name, valid UTF-8.
    Inline {
        len: u8,
        bytes: [u8; VariantName::INLINE],
    },
    Shared(Arc<str>),
}

impl VariantName {
    /// The longest name held inline.
    pub(crate) const INLINE: usize = 22;

    /// The name.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Copied from a `str` whole (`From`), so always valid: the fallback never runs.
            NameRepr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            NameRepr::Shared(name) => name,
        }
    }

    /// A name packed into three words by [`pack_value`] (a key slot's copy).
    #[inline(always)]
    pub(crate) fn from_packed(words: [u64; 3]) -> VariantName {
        let packed = unpack(words);
        let mut bytes = [0; VariantName::INLINE];
        bytes.copy_from_slice(&packed[1..1 + VariantName::INLINE]);
        VariantName(NameRepr::Inline {
            len: packed[0].min(VariantName::INLINE as u8),
            bytes,
        })
    }

    /// A name copied inline when it is short, else a new shared string.
    fn inline(name: &str) -> Option<VariantName> {
        let len = name.len();
        if len > VariantName::INLINE {
            return None;
        }
        let mut bytes = [0; VariantName::INLINE];
        bytes[..len].copy_from_slice(name.as_bytes());
        Some(VariantName(NameRepr::Inline {
            len: len as u8,
            bytes,
        }))
    }
}

impl From<&str> for VariantName {
    fn from(name: &str) -> VariantName {
        VariantName::inline(name).unwrap_or_else(|| VariantName(NameRepr::Shared(name.into())))
    }
}

impl From<String> for VariantName {
    fn from(name: String) -> VariantName {
        VariantName::inline(&name).unwrap_or_else(|| VariantName(NameRepr::Shared(name.into())))
    }
}

impl From<Arc<str>> for VariantName {
    fn from(name: Arc<str>) -> VariantName {
        VariantName::inline(&name).unwrap_or(VariantName(NameRepr::Shared(name)))
    }
}

impl From<&Arc<str>> for VariantName {
    /// Copies a short name, shares a long one.
    #[inline]
    fn from(name: &Arc<str>) -> VariantName {
        VariantName::inline(name).unwrap_or_else(|| VariantName(NameRepr::Shared(name.clone())))
    }
}

impl From<VariantName> for String {
    fn from(name: VariantName) -> String {
        name.as_str().to_owned()
    }
}

impl From<VariantName> for Arc<str> {
    fn from(name: VariantName) -> Arc<str> {
        match name.0 {
            NameRepr::Shared(name) => name,
            inline @ NameRepr::Inline { .. } => VariantName(inline).as_str().into(),
        }
    }
}

impl std::ops::Deref for VariantName {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for VariantName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for VariantName {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for VariantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for VariantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for VariantName {
    fn eq(&self, other: &VariantName) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for VariantName {}

impl PartialEq<str> for VariantName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for VariantName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for VariantName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<VariantName> for str {
    fn eq(&self, other: &VariantName) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<VariantName> for &str {
    fn eq(&self, other: &VariantName) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for VariantName {
    fn partial_cmp(&self, other: &VariantName) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for VariantName {
    fn cmp(&self, other: &VariantName) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for VariantName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// A string of up to [`VariantName::INLINE`] bytes packed into three words, as a key's slot
/// holds a static string value or a variant's name: its length in the first byte, then its
/// bytes, zeros after. What `FlagVariant`'s derive compares a slot's words with. A longer
/// string packs to words no slot holds.
#[doc(hidden)] // generated code names it through `__private`
pub const fn pack_value(value: &str) -> [u64; 3] {
    let bytes = value.as_bytes();
    if bytes.len() > VariantName::INLINE {
        return [u64::MAX; 3];
    }
    let mut words = [bytes.len() as u64, 0, 0];
    let mut i = 0;
    while i < bytes.len() {
        let at = i + 1;
        words[at / 8] |= (bytes[i] as u64) << (8 * (at % 8));
        i += 1;
    }
    words
}

/// Three words packed by [`pack_value`], as bytes: the length first.
#[inline(always)]
pub(crate) fn unpack(words: [u64; 3]) -> [u8; 24] {
    let mut bytes = [0u8; 24];
    bytes[..8].copy_from_slice(&words[0].to_le_bytes());
    bytes[8..16].copy_from_slice(&words[1].to_le_bytes());
    bytes[16..].copy_from_slice(&words[2].to_le_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::{VariantName, pack_value, unpack};

    /// Names around the inline limit, in ASCII and in several bytes per character: each reads
    /// back as itself, compares, hashes and orders as its string, whether held inline or shared.
    #[test]
    fn variant_names_read_back_as_their_strings() {
        let names = [
            "",
            "on",
            "treatment-b",
            "exactly-twenty-two-ch",
            "exactly-twenty-two-chr",
            "twenty-three-characters",
            "é",
            "ééééééééééé",
            "éééééééééééx",
            "日本語のバリアント名",
            "🚀🚀🚀🚀🚀",
            "🚀🚀🚀🚀🚀🚀",
        ];
        let mut seen = HashSet::new();
        for name in names {
            let from_str = VariantName::from(name);
            let from_string = VariantName::from(name.to_owned());
            let from_arc = VariantName::from(Arc::<str>::from(name));
            let from_ref = VariantName::from(&Arc::<str>::from(name));
            for variant in [&from_str, &from_string, &from_arc, &from_ref] {
                assert_eq!(variant.as_str(), name);
                assert_eq!(&**variant, name);
                assert_eq!(*variant, name);
                assert_eq!(variant.to_string(), name);
                assert_eq!(format!("{variant:?}"), format!("{name:?}"));
                assert_eq!(String::from(variant.clone()), name);
                assert_eq!(&*Arc::<str>::from(variant.clone()), name);
            }
            assert_eq!(from_str, from_arc);
            assert!(
                seen.insert(from_str.clone()),
                "{name}: a name hashes as its own"
            );
            assert!(seen.contains(name), "{name}: found by its string");
            // Packed as a key's slot holds it, when it fits.
            let words = pack_value(name);
            if name.len() <= VariantName::INLINE {
                assert_eq!(VariantName::from_packed(words), name);
                assert_eq!(usize::from(unpack(words)[0]), name.len());
            } else {
                assert_eq!(words, [u64::MAX; 3], "{name}: too long to pack");
            }
        }
        let mut sorted: Vec<VariantName> = names.iter().map(|n| VariantName::from(*n)).collect();
        sorted.sort();
        let mut expected = names.to_vec();
        expected.sort();
        assert_eq!(sorted, expected);
    }

    /// Copying an inline name touches no shared count: 24 bytes, and an `Option` of it too.
    #[test]
    fn a_variant_name_is_three_words() {
        assert_eq!(std::mem::size_of::<VariantName>(), 24);
        assert_eq!(std::mem::size_of::<Option<VariantName>>(), 24);
    }
}
