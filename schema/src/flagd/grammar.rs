//! flagd's targeting grammar, defined once: the operators a rule may call and their other
//! names, the arguments flagd's own operators take, the versions `sem_ver` reads, the shape of
//! `fractional` buckets, and the properties flagd adds to the context.
//!
//! Two readers share it: the [lint](super::lint) that checks rules when definitions are read,
//! and the runtime's engine that compiles and evaluates them (`flags-runtime`,
//! `engine/flagd/`). What one accepts, the other evaluates.

use serde_json::Value;

/// Declares [`Operator`], its names and its aliases from one list.
macro_rules! operators {
    (
        $( $(#[$doc:meta])* $variant:ident = $name:literal, )*
        ;
        $( $alias:literal => $target:ident, )*
    ) => {
        /// An operator of a flagd targeting rule: JSON Logic's, flagd's own and `$ref`.
        ///
        /// ```
        /// use flags_schema::flagd::grammar::Operator;
        /// assert_eq!(Operator::parse("starts_with"), Some(Operator::StartsWith));
        /// assert_eq!(Operator::parse("every"), Some(Operator::All)); // an alias
        /// assert_eq!(Operator::parse("startsWith"), None);
        /// assert_eq!(Operator::All.name(), "all");
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operator {
            $( $(#[$doc])* $variant, )*
        }

        /// The operators a flagd targeting rule may use: JSON Logic's, flagd's own
        /// (`fractional`, `sem_ver`, `starts_with`, `ends_with`) and `$ref`, as listed by
        /// flagd's `targeting.json`. JSON Logic's `?:` and `log` are not among them.
        pub const OPERATORS: &[&str] = &[ $( $name, )* ];

        /// Other names for flagd operators that flagd's JSON Logic evaluator
        /// (`json-logic-engine`) accepts too: `?:` for `if`, `not` for `!`, `every` for `all`.
        pub const ALIASES: &[&str] = &[ $( $alias, )* ];

        impl Operator {
            /// Every operator, in the order of [`OPERATORS`].
            pub const ALL: &[Operator] = &[ $( Operator::$variant, )* ];

            /// The operator's name in flagd's schema (`all`, not its alias `every`).
            pub const fn name(self) -> &'static str {
                match self {
                    $( Operator::$variant => $name, )*
                }
            }

            /// The operator a rule calls by `name` (a name of [`OPERATORS`] or an alias of
            /// [`ALIASES`]).
            pub fn parse(name: &str) -> Option<Operator> {
                match name {
                    $( $name => Some(Operator::$variant), )*
                    $( $alias => Some(Operator::$target), )*
                    _ => None,
                }
            }
        }
    };
}

operators! {
    /// `var`: a value of the context.
    Var = "var",
    /// `missing`: the keys the context lacks.
    Missing = "missing",
    /// `missing_some`: the keys the context lacks, when it has fewer than a count.
    MissingSome = "missing_some",
    /// `if` (alias `?:`).
    If = "if",
    /// `==`.
    Eq = "==",
    /// `===`.
    StrictEq = "===",
    /// `!=`.
    Ne = "!=",
    /// `!==`.
    StrictNe = "!==",
    /// `>`.
    Gt = ">",
    /// `>=`.
    Ge = ">=",
    /// `<`.
    Lt = "<",
    /// `<=`.
    Le = "<=",
    /// `!` (alias `not`).
    Not = "!",
    /// `!!`.
    NotNot = "!!",
    /// `or`.
    Or = "or",
    /// `and`.
    And = "and",
    /// `+`.
    Add = "+",
    /// `-`.
    Sub = "-",
    /// `*`.
    Mul = "*",
    /// `/`.
    Div = "/",
    /// `%`.
    Rem = "%",
    /// `max`.
    Max = "max",
    /// `min`.
    Min = "min",
    /// `merge`.
    Merge = "merge",
    /// `cat`.
    Cat = "cat",
    /// `substr`.
    Substr = "substr",
    /// `in`.
    In = "in",
    /// `map`.
    Map = "map",
    /// `filter`.
    Filter = "filter",
    /// `all` (alias `every`).
    All = "all",
    /// `none`.
    NoneOf = "none",
    /// `some`.
    SomeOf = "some",
    /// `reduce`.
    Reduce = "reduce",
    /// flagd's `fractional`: a weighted split of subjects into buckets.
    Fractional = "fractional",
    /// flagd's `sem_ver`: a comparison of semantic versions.
    SemVer = "sem_ver",
    /// flagd's `starts_with`.
    StartsWith = "starts_with",
    /// flagd's `ends_with`.
    EndsWith = "ends_with",
    /// `$ref`: the rule of an evaluator of `$evaluators`, by name (substituted when the
    /// configuration loads; evaluators cannot refer to evaluators).
    Ref = "$ref",
    ;
    "?:" => If,
    "not" => Not,
    "every" => All,
}

impl Operator {
    /// Whether this is one of flagd's own operators (`fractional`, `sem_ver`, `starts_with`,
    /// `ends_with`): they answer null on arguments they cannot use, and read flagd's
    /// properties of the evaluation context.
    pub const fn is_flagd(self) -> bool {
        matches!(
            self,
            Operator::Fractional | Operator::SemVer | Operator::StartsWith | Operator::EndsWith
        )
    }

    /// Whether this iterates over an array with a rule of its own (`map`, `filter`, `all`,
    /// `some`, `none`, `reduce`): `[array, rule]`, and `reduce` an initial value.
    pub const fn is_iteration(self) -> bool {
        matches!(
            self,
            Operator::Map
                | Operator::Filter
                | Operator::All
                | Operator::SomeOf
                | Operator::NoneOf
                | Operator::Reduce
        )
    }

    /// How many arguments flagd's own operators take, when that is fixed: 2 for
    /// `starts_with` and `ends_with`, 3 for `sem_ver`. Another count makes the call null.
    pub const fn arity(self) -> Option<usize> {
        match self {
            Operator::StartsWith | Operator::EndsWith => Some(2),
            Operator::SemVer => Some(3),
            _ => None,
        }
    }

    /// The arguments of flagd's own operators, for messages: `[string, prefix]`,
    /// `[string, suffix]`, `[version, operator, version]`,
    /// `[bucketing value, [variant, weight], ...]`.
    pub const fn signature(self) -> Option<&'static str> {
        match self {
            Operator::StartsWith => Some("[string, prefix]"),
            Operator::EndsWith => Some("[string, suffix]"),
            Operator::SemVer => Some("[version, operator, version]"),
            Operator::Fractional => Some("[bucketing value, [variant, weight], ...]"),
            _ => None,
        }
    }
}

/// The names a rule may call as operators, aliases last: every operator but `$ref` (which
/// names an evaluator). What "did you mean" suggests from.
pub fn operator_names() -> impl Iterator<Item = &'static str> {
    OPERATORS
        .iter()
        .copied()
        .filter(|name| *name != Operator::Ref.name())
        .chain(ALIASES.iter().copied())
}

/// Whether flagd evaluates `targeting` as a rule: a non-empty object, array or string (flagd
/// tests `Object.keys(targeting).length > 0`). `{}`, `[]`, `""`, numbers, booleans and null
/// are no rule: the flag serves its default variant (reason `STATIC`).
///
/// ```
/// use flags_schema::flagd::has_rule;
/// use serde_json::json;
/// assert!(has_rule(&json!({ "var": "plan" })));
/// assert!(has_rule(&json!("on")));
/// assert!(!has_rule(&json!({})));
/// assert!(!has_rule(&json!(true)));
/// ```
pub fn has_rule(targeting: &Value) -> bool {
    match targeting {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::String(text) => !text.is_empty(),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The property of the evaluation context under which flagd adds its own ([`FlagdProperty`]).
pub const FLAGD_CONTEXT: &str = "$flagd";

/// A property flagd adds to the evaluation context, under [`FLAGD_CONTEXT`]: `$flagd.flagKey`
/// and `$flagd.timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlagdProperty {
    /// `flagKey`: the key of the flag being evaluated.
    FlagKey,
    /// `timestamp`: the time of the evaluation, in whole Unix seconds.
    Timestamp,
}

impl FlagdProperty {
    /// Every property.
    pub const ALL: [FlagdProperty; 2] = [FlagdProperty::FlagKey, FlagdProperty::Timestamp];

    /// The property's name under [`FLAGD_CONTEXT`]: `flagKey`, `timestamp`.
    pub const fn name(self) -> &'static str {
        match self {
            FlagdProperty::FlagKey => "flagKey",
            FlagdProperty::Timestamp => "timestamp",
        }
    }

    /// The property named `name` (after `$flagd.`).
    pub fn parse(name: &str) -> Option<FlagdProperty> {
        FlagdProperty::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A comparison of `sem_ver [version, operator, version]`.
///
/// ```
/// use flags_schema::flagd::grammar::SemVerOp;
/// assert_eq!(SemVerOp::parse("^"), Some(SemVerOp::Caret));
/// assert_eq!(SemVerOp::parse("=="), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SemVerOp {
    /// `=`: equal precedence.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `^`: the same major version.
    Caret,
    /// `~`: the same major and minor versions.
    Tilde,
}

impl SemVerOp {
    /// Every comparison, in the order messages list them.
    pub const ALL: [SemVerOp; 8] = [
        SemVerOp::Eq,
        SemVerOp::Ne,
        SemVerOp::Lt,
        SemVerOp::Le,
        SemVerOp::Gt,
        SemVerOp::Ge,
        SemVerOp::Caret,
        SemVerOp::Tilde,
    ];

    /// How a rule writes it: `=`, `!=`, `<`, `<=`, `>`, `>=`, `^`, `~`.
    pub const fn symbol(self) -> &'static str {
        match self {
            SemVerOp::Eq => "=",
            SemVerOp::Ne => "!=",
            SemVerOp::Lt => "<",
            SemVerOp::Le => "<=",
            SemVerOp::Gt => ">",
            SemVerOp::Ge => ">=",
            SemVerOp::Caret => "^",
            SemVerOp::Tilde => "~",
        }
    }

    /// The comparison written `symbol`.
    pub fn parse(symbol: &str) -> Option<SemVerOp> {
        SemVerOp::ALL.into_iter().find(|op| op.symbol() == symbol)
    }
}

/// `Number.MAX_SAFE_INTEGER`: larger version numbers are invalid.
const MAX_SAFE: u64 = 9_007_199_254_740_991;

/// A version as flagd's `sem_ver` reads it ([`SemVer::parse`]); build metadata is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SemVer<'s> {
    /// The major version.
    pub major: u64,
    /// The minor version (0 when the text has none).
    pub minor: u64,
    /// The patch version (0 when the text has none).
    pub patch: u64,
    /// Dot-separated pre-release identifiers, without the `-`; empty for a release.
    pub pre: &'s str,
}

impl<'s> SemVer<'s> {
    /// Reads `text` as flagd's `sem_ver` does: npm `semver`'s strict
    /// `MAJOR.MINOR.PATCH[-pre][+build]` (after one leading `v` or `V`, surrounding white
    /// space ignored, numbers without leading zeros and at most 2^53 - 1), or a partial `1` /
    /// `1.2` padded with zeros (npm `semver`'s `coerce`, which reads at most 16 digits per
    /// number: a longer minor is ignored, a longer major skipped for the minor).
    ///
    /// ```
    /// use flags_schema::flagd::grammar::SemVer;
    /// let version = SemVer::parse("v2.1.0-beta.1+build.5").unwrap();
    /// assert_eq!((version.major, version.minor, version.patch, version.pre), (2, 1, 0, "beta.1"));
    /// assert_eq!(SemVer::parse("1.2").unwrap().patch, 0);
    /// assert!(SemVer::parse("01.2.3").is_none());
    /// ```
    pub fn parse(text: &'s str) -> Option<SemVer<'s>> {
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        if text.len() > 256 {
            return None;
        }
        let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        strict(trimmed).or_else(|| partial(text))
    }
}

/// Whether flagd's `sem_ver` reads `text` as a version ([`SemVer::parse`]).
///
/// ```
/// use flags_schema::flagd::is_sem_ver_version;
/// for ok in ["1.2.3", "v1.2.3", "V2", "1.2", " 1.0.0 ", "2.0.0-beta.1+build.5"] {
///     assert!(is_sem_ver_version(ok), "{ok}");
/// }
/// for bad in ["", "v", "1.2.3.4", "01.2.3", "1.2.3-", "not-a-version", "1.2.x"] {
///     assert!(!is_sem_ver_version(bad), "{bad}");
/// }
/// ```
pub fn is_sem_ver_version(text: &str) -> bool {
    SemVer::parse(text).is_some()
}

/// A canonical version number: `0` or digits without a leading zero, at most `MAX_SAFE`.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse::<u64>().ok().filter(|n| *n <= MAX_SAFE)
}

fn is_pre_identifier(id: &str) -> bool {
    if !is_build_identifier(id) {
        return false;
    }
    // Numeric identifiers have no leading zero.
    !id.bytes().all(|b| b.is_ascii_digit()) || id == "0" || !id.starts_with('0')
}

fn is_build_identifier(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A strict `MAJOR.MINOR.PATCH[-pre][+build]`, with an optional `v`.
fn strict(text: &str) -> Option<SemVer<'_>> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let (text, build) = match text.split_once('+') {
        Some((text, build)) => (text, Some(build)),
        None => (text, None),
    };
    if let Some(build) = build
        && !build.split('.').all(is_build_identifier)
    {
        return None;
    }
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, pre),
        None => (text, ""),
    };
    if (!pre.is_empty() || text.len() != core.len()) && !pre.split('.').all(is_pre_identifier) {
        return None;
    }
    let mut parts = core.split('.');
    let version = SemVer {
        major: number(parts.next()?)?,
        minor: number(parts.next()?)?,
        patch: number(parts.next()?)?,
        pre,
    };
    parts.next().is_none().then_some(version)
}

/// `1` or `1.2`, read as `1.0.0` / `1.2.0` (npm semver's `coerce`, which takes numbers of at
/// most 16 digits: a longer minor is ignored, a longer major skipped for the minor).
fn partial(text: &str) -> Option<SemVer<'static>> {
    let (major, minor) = match text.split_once('.') {
        Some((major, minor)) => (major, Some(minor)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !minor.is_none_or(digits) {
        return None;
    }
    let short = |s: &&str| s.len() <= 16;
    let (major, minor) = if short(&major) {
        (major, minor.filter(short))
    } else {
        (minor.filter(short)?, None)
    };
    Some(SemVer {
        major: number(major)?,
        minor: match minor {
            Some(minor) => number(minor)?,
            None => 0,
        },
        patch: 0,
        pre: "",
    })
}

/// The largest total of `fractional` weights (flagd's `Math.MaxInt32`): past it, the call is
/// null.
pub const MAX_TOTAL_WEIGHT: f64 = 2_147_483_647.0;

/// The weight of a `fractional` bucket written without one (`[variant]`).
pub const DEFAULT_WEIGHT: f64 = 1.0;

/// A `fractional` bucket's parts: `[variant]` or `[variant, weight]`; `None` for any other
/// length, which makes the call null.
pub fn bucket<T>(parts: &[T]) -> Option<(&T, Option<&T>)> {
    match parts {
        [variant] => Some((variant, None)),
        [variant, weight] => Some((variant, Some(weight))),
        _ => None,
    }
}

/// What a `fractional` weight counts for: a whole number, a negative one as 0; `None` for a
/// fraction or a number that is not finite, which makes the call null.
#[inline]
pub fn bucket_weight(weight: f64) -> Option<f64> {
    (weight.is_finite() && weight.fract() == 0.0).then(|| weight.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_names_and_aliases() {
        assert_eq!(OPERATORS.len(), Operator::ALL.len());
        for (op, name) in Operator::ALL.iter().zip(OPERATORS) {
            assert_eq!(op.name(), *name);
            assert_eq!(Operator::parse(name), Some(*op));
        }
        assert_eq!(Operator::parse("?:"), Some(Operator::If));
        assert_eq!(Operator::parse("not"), Some(Operator::Not));
        assert_eq!(Operator::parse("every"), Some(Operator::All));
        for name in ["log", "startsWith", "", "IF"] {
            assert_eq!(Operator::parse(name), None, "{name}");
        }
        let names: Vec<&str> = operator_names().collect();
        assert!(!names.contains(&"$ref") && names.contains(&"every"));
        assert_eq!(names.len(), OPERATORS.len() - 1 + ALIASES.len());
        let flagd: Vec<&str> = Operator::ALL
            .iter()
            .filter(|op| op.is_flagd())
            .map(|op| op.name())
            .collect();
        assert_eq!(flagd, ["fractional", "sem_ver", "starts_with", "ends_with"]);
        for op in Operator::ALL {
            assert_eq!(op.is_flagd(), op.signature().is_some(), "{op:?}");
        }
    }

    #[test]
    fn sem_ver_comparisons_and_properties() {
        for op in SemVerOp::ALL {
            assert_eq!(SemVerOp::parse(op.symbol()), Some(op));
        }
        for symbol in ["==", "<>", "", "=~", "*"] {
            assert_eq!(SemVerOp::parse(symbol), None);
        }
        for property in FlagdProperty::ALL {
            assert_eq!(FlagdProperty::parse(property.name()), Some(property));
        }
        assert_eq!(FlagdProperty::parse("key"), None);
    }

    #[test]
    fn versions() {
        for ok in [
            "1.2.3",
            "v1.2.3",
            "V1.2.3",
            "vv1.2.3",
            "Vv1.2.3",
            "1",
            "1.2",
            " 1.2.3 ",
            "1.0.0-0",
            "1.0.0-x-y.1",
        ] {
            assert!(is_sem_ver_version(ok), "{ok}");
        }
        for bad in [
            "",
            "v",
            "vV1.2.3",
            "1.2.3.4",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1e3",
            "1.2.x",
            "9007199254740992.0.0",
        ] {
            assert!(!is_sem_ver_version(bad), "{bad}");
        }
    }

    #[test]
    fn buckets() {
        assert_eq!(bucket(&["a"]), Some((&"a", None)));
        assert_eq!(bucket(&["a", "1"]), Some((&"a", Some(&"1"))));
        assert_eq!(bucket::<&str>(&[]), None);
        assert_eq!(bucket(&["a", "1", "2"]), None);
        assert_eq!(bucket_weight(25.0), Some(25.0));
        assert_eq!(bucket_weight(-25.0), Some(0.0));
        assert_eq!(bucket_weight(0.5), None);
        assert_eq!(bucket_weight(f64::INFINITY), None);
        assert_eq!(bucket_weight(f64::NAN), None);
    }
}
