//! What generated code uses. Not a public API: names and signatures may change in any release.
//!
//! The kind traits (`BooleanFlag`, ...) say which Rust types can hold which flag type. The
//! derive names the field's type in a call to one of the `*_key` functions below, spanned at
//! the field, so a field whose type cannot hold the flag's values fails to compile with one
//! error at the field, worded by `#[diagnostic::on_unimplemented]`.

pub use serde;
pub use serde_json;
pub use std::borrow::Cow;
pub use std::sync::OnceLock;

pub use crate::client::{Evaluation, Flags, SlotMemo, SlotReads};
use crate::key::FlagValue;
pub use crate::key::{FlagKey, KeySlot, SchemaDefault};
use crate::variant::FlagVariant;

/// `key`, caching its flag's index in `slot`: every key constant the derive generates goes
/// through this, with a `static` slot of its own.
pub const fn with_slot<T>(key: FlagKey<T>, slot: &'static KeySlot) -> FlagKey<T> {
    key.with_slot(slot)
}

/// The key constant generated in a crate that does not compile: the derive reported an error
/// and emits this stub so that uses of the key do not add errors of their own. A program
/// containing it never builds, so its default is never computed.
pub const fn fallback_key<T>(key: &'static str) -> FlagKey<T> {
    FlagKey::stub(key)
}

/// Types that can hold a boolean flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a boolean flag",
    label = "this field reads a boolean flag",
    note = "declare the field as `bool`, or `Option<bool>` to see when the flag defers to the code"
)]
pub trait BooleanFlag: FlagValue {
    /// The value of a schema default.
    fn from_bool(value: bool) -> Self;
}

impl BooleanFlag for bool {
    fn from_bool(value: bool) -> bool {
        value
    }
}

/// Types that can hold an integer flag; `MIN..=MAX` is checked against every value the schema
/// gives the flag, at compile time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an integer flag",
    label = "this field reads an integer flag",
    note = "declare the field as `i64` (or another integer type that fits every value of the flag)"
)]
pub trait IntegerFlag: FlagValue {
    /// The smallest value.
    const MIN: i128;
    /// The largest value.
    const MAX: i128;
    /// The value of a schema default (checked to fit at compile time).
    fn from_i64(value: i64) -> Self;
}

macro_rules! integer_flag {
    ($($t:ty),*) => {$(
        impl IntegerFlag for $t {
            const MIN: i128 = <$t>::MIN as i128;
            const MAX: i128 = <$t>::MAX as i128;
            fn from_i64(value: i64) -> $t {
                // Every value the derive passes here was checked to fit by a `const` assertion.
                <$t>::try_from(value).unwrap_or_default()
            }
        }
    )*};
}
integer_flag!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// Types that can hold a float flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a float flag",
    label = "this field reads a float flag",
    note = "declare the field as `f64` or `f32`"
)]
pub trait FloatFlag: FlagValue {
    /// The value of a schema default.
    fn from_f64(value: f64) -> Self;
}

impl FloatFlag for f64 {
    fn from_f64(value: f64) -> f64 {
        value
    }
}

impl FloatFlag for f32 {
    fn from_f64(value: f64) -> f32 {
        value as f32
    }
}

/// Types that can hold a string flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a string flag",
    label = "this field reads a string flag",
    note = "declare the field as `String` or `Arc<str>`, or as an enum deriving `FlagVariant`"
)]
pub trait StringFlag: FlagValue {
    /// For enums deriving `FlagVariant`: the values the variants read.
    const VALUES: &'static [&'static str] = &[];
    /// For enums deriving `FlagVariant` without catch-all: only `VALUES` can be read.
    const CLOSED: bool = false;
    /// For enums deriving `FlagVariant`: the flag the derive checked the variants against.
    const FLAG: &'static str = "";
    /// The value of a schema default.
    fn from_static_str(value: &'static str) -> Self;

    /// For enums deriving `FlagVariant`: the variant reading the value a key's slot holds
    /// packed into three words (compared with each variant's value packed at compile time, by
    /// [`pack_value`], word by word); `None` sends the read through serde.
    #[inline(always)]
    fn from_packed(first: u64, second: u64, third: u64) -> Option<Self> {
        let _ = (first, second, third);
        None
    }
}

impl StringFlag for String {
    fn from_static_str(value: &'static str) -> String {
        value.to_owned()
    }
}

impl StringFlag for std::sync::Arc<str> {
    fn from_static_str(value: &'static str) -> std::sync::Arc<str> {
        std::sync::Arc::from(value)
    }
}

impl StringFlag for Box<str> {
    fn from_static_str(value: &'static str) -> Box<str> {
        Box::from(value)
    }
}

/// Types that can hold an object flag: any type serde can deserialize.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an object flag",
    label = "this field reads an object flag",
    note = "declare the field as a type deriving `serde::Deserialize` and `Clone`, or as `serde_json::Value`"
)]
pub trait ObjectFlag: FlagValue {}

impl<T: FlagValue> ObjectFlag for T {}

/// The shape of an object type, for the types `flags!` generates: they carry an inherent
/// `__FLAGS_SHAPE` constant, which takes precedence over this trait's in `<T>::__FLAGS_SHAPE`;
/// every other type gets the empty shape, which is not checked.
pub trait UnknownShape {
    /// No shape.
    const __FLAGS_SHAPE: &'static str = "";
}

impl<T: ?Sized> UnknownShape for T {}

/// Whether a type of shape `declared` (empty: unknown) reads an object flag of shape `flag`.
pub const fn shape_matches(declared: &str, flag: &str) -> bool {
    declared.is_empty() || str_eq(declared, flag)
}

/// Object types whose default is decoded from the schema.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no default to fall back on",
    label = "this object field takes its default from the schema",
    note = "derive or implement `Default` for it (used when the schema's default does not fit the type), or give a default with `#[flags(default = ...)]`"
)]
pub trait ObjectDefault: ObjectFlag + Default {}

impl<T: ObjectFlag + Default> ObjectDefault for T {}

// The converters below pair with the constructors that store their input: the `_ =>` arms
// are unreachable through those constructors and answer a zero value rather than panic.

fn convert_boolean<T: BooleanFlag>(value: SchemaDefault) -> T {
    T::from_bool(matches!(value, SchemaDefault::Bool(true)))
}

fn convert_integer<T: IntegerFlag>(value: SchemaDefault) -> T {
    T::from_i64(match value {
        SchemaDefault::Int(i) => i,
        _ => 0,
    })
}

fn convert_float<T: FloatFlag>(value: SchemaDefault) -> T {
    T::from_f64(match value {
        SchemaDefault::Float(f) => f,
        SchemaDefault::Int(i) => i as f64,
        _ => 0.0,
    })
}

fn convert_string<T: StringFlag>(value: SchemaDefault) -> T {
    T::from_static_str(match value {
        SchemaDefault::Str(s) => s,
        _ => "",
    })
}

fn none<T>() -> Option<T> {
    None
}

/// What the schema says about the values of an integer flag: each value with the message to
/// give when the field's type cannot hold it.
pub type IntegerChecks = &'static [(i128, &'static str)];

/// What the schema says about the values of a string flag with variants, for enum fields.
#[derive(Debug, Clone, Copy)]
pub struct VariantChecks {
    /// The flag.
    pub flag: &'static str,
    /// Each value, with the message to give when no variant of the enum reads it.
    pub values: &'static [(&'static str, &'static str)],
    /// The message to give when a variant reads a value the flag does not have.
    pub unknown: &'static str,
}

impl VariantChecks {
    /// No variants: nothing to check.
    pub const NONE: VariantChecks = VariantChecks {
        flag: "",
        values: &[],
        unknown: "",
    };
}

/// Panics, at compile time, when `T` cannot hold one of the values. Called while the key
/// constant is evaluated (the derive forces that with a `const _` item), so the message is a
/// compile error at the field.
const fn check_integer<T: IntegerFlag>(checks: IntegerChecks) {
    let mut i = 0;
    while i < checks.len() {
        let (value, message) = checks[i];
        if value < T::MIN || value > T::MAX {
            panic!("{}", message);
        }
        i += 1;
    }
}

/// Panics, at compile time, when the enum `T` misses a value of the flag, or has one it lacks.
const fn check_variants<T: StringFlag>(checks: VariantChecks) {
    check_values(T::VALUES, T::CLOSED, T::FLAG, checks);
}

/// [`check_variants`] for a type whose values are `values` (all the values a string can be,
/// unless `closed`), derived against `flag`.
const fn check_values(values: &[&str], closed: bool, flag: &str, checks: VariantChecks) {
    if checks.values.is_empty() || str_eq(flag, checks.flag) {
        // Plain strings read anything; an enum derived against this very flag was checked by
        // its own derive, at its variants.
        return;
    }
    let mut i = 0;
    while i < checks.values.len() {
        let (value, message) = checks.values[i];
        if closed && !contains(values, value) {
            panic!("{}", message);
        }
        i += 1;
    }
    let mut i = 0;
    while i < values.len() {
        let mut known = false;
        let mut j = 0;
        while j < checks.values.len() {
            if str_eq(checks.values[j].0, values[i]) {
                known = true;
            }
            j += 1;
        }
        if !known {
            panic!("{}", checks.unknown);
        }
        i += 1;
    }
}

/// The key of a boolean flag whose default comes from the schema or a literal.
pub const fn boolean_key<T: BooleanFlag>(key: &'static str, default: bool) -> FlagKey<T> {
    FlagKey::from_schema(key, SchemaDefault::Bool(default), convert_boolean::<T>)
}

/// The key of an integer flag whose default comes from the schema or a literal.
pub const fn integer_key<T: IntegerFlag>(
    key: &'static str,
    default: i64,
    checks: IntegerChecks,
) -> FlagKey<T> {
    check_integer::<T>(checks);
    FlagKey::from_schema(key, SchemaDefault::Int(default), convert_integer::<T>)
}

/// The key of a float flag whose default comes from the schema or a literal.
pub const fn float_key<T: FloatFlag>(key: &'static str, default: f64) -> FlagKey<T> {
    FlagKey::from_schema(key, SchemaDefault::Float(default), convert_float::<T>)
}

pub use crate::details::pack_value;

/// The key of a string flag whose default comes from the schema or a literal.
pub const fn string_key<T: StringFlag>(
    key: &'static str,
    default: &'static str,
    checks: VariantChecks,
) -> FlagKey<T> {
    check_variants::<T>(checks);
    FlagKey::from_schema(key, SchemaDefault::Str(default), convert_string::<T>)
        .reading_packed(T::from_packed)
}

/// The key of an object flag whose default is the schema's, decoded once by the caller's
/// `OnceLock` (see the derive's expansion).
pub const fn object_key<T: ObjectDefault>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

/// The key of a boolean flag with a default written in code.
pub const fn boolean_key_with<T: BooleanFlag>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

/// The key of an integer flag with a default written in code.
pub const fn integer_key_with<T: IntegerFlag>(
    key: &'static str,
    default: fn() -> T,
    checks: IntegerChecks,
) -> FlagKey<T> {
    check_integer::<T>(checks);
    FlagKey::from_fn(key, default)
}

/// The key of a float flag with a default written in code.
pub const fn float_key_with<T: FloatFlag>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

/// The key of a string flag with a default written in code.
pub const fn string_key_with<T: StringFlag>(
    key: &'static str,
    default: fn() -> T,
    checks: VariantChecks,
) -> FlagKey<T> {
    check_variants::<T>(checks);
    FlagKey::from_fn(key, default).reading_packed(T::from_packed)
}

/// The key of an object flag with a default written in code.
pub const fn object_key_with<T: ObjectFlag>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

/// The key of an `Option<bool>` field: `None` when the flag defers to the code default.
pub const fn boolean_key_optional<T: BooleanFlag>(key: &'static str) -> FlagKey<Option<T>> {
    FlagKey::from_fn(key, none::<T>)
}

/// The key of an `Option` integer field.
pub const fn integer_key_optional<T: IntegerFlag>(
    key: &'static str,
    checks: IntegerChecks,
) -> FlagKey<Option<T>> {
    check_integer::<T>(checks);
    FlagKey::from_fn(key, none::<T>)
}

/// The key of an `Option` float field.
pub const fn float_key_optional<T: FloatFlag>(key: &'static str) -> FlagKey<Option<T>> {
    FlagKey::from_fn(key, none::<T>)
}

/// The key of an `Option` string field.
pub const fn string_key_optional<T: StringFlag>(
    key: &'static str,
    checks: VariantChecks,
) -> FlagKey<Option<T>> {
    check_variants::<T>(checks);
    FlagKey::from_fn(key, none::<T>)
}

/// The key of an `Option` object field.
pub const fn object_key_optional<T: ObjectFlag>(key: &'static str) -> FlagKey<Option<T>> {
    FlagKey::from_fn(key, none::<T>)
}

// A string flag whose variants carry attachments (`Flag::attachments`: Flipt's variant flags)
// is read by a field of its key (`String`, a `FlagVariant` enum) or of its attachment (a serde
// type). The derive sorts out `String`, `Arc<str>`, `Box<str>` and the scalars by their names;
// for any other type it asks the type with `<T>::__FLAGS_READS`: the `FlagVariant` derive
// gives its enums an inherent constant of type `ReadsKey`, which takes precedence over the
// trait constant every type has, of type `ReadsAttachment`. The constructors below take that
// value, and the trait `VariantField` (its two blanket impls do not overlap: one per part)
// turns it into the bounds and the default of the part read.

/// The part of a variant a `FlagVariant` enum reads: its key.
#[derive(Debug, Clone, Copy)]
pub struct ReadsKey;

/// The part of a variant any other type reads: its attachment.
#[derive(Debug, Clone, Copy)]
pub struct ReadsAttachment;

/// Gives every type the constant `__FLAGS_READS`: the attachment. Enums deriving `FlagVariant`
/// have an inherent one, the key, which `<T>::__FLAGS_READS` finds first.
pub trait ReadsAttachmentUnlessKey {
    /// The attachment.
    const __FLAGS_READS: ReadsAttachment = ReadsAttachment;
}

impl<T: ?Sized> ReadsAttachmentUnlessKey for T {}

/// Types that can read a part `P` of the variants of a flag with attachments: the key for
/// string types (`P` = [`ReadsKey`]), the attachment for any serde type ([`ReadsAttachment`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot read a variant of a flag with attachments",
    label = "this field reads a variant's key or its attachment",
    note = "declare the field as `String` or an enum deriving `FlagVariant` for the key, or as a type deriving `serde::Deserialize` for the attachment"
)]
pub trait VariantField<P>: FlagValue {
    /// Whether the type reads the key.
    const READS_KEY: bool;
    /// For the key: [`StringFlag::VALUES`].
    const VALUES: &'static [&'static str];
    /// For the key: [`StringFlag::CLOSED`].
    const CLOSED: bool;
    /// For the key: [`StringFlag::FLAG`].
    const FLAG: &'static str;
    /// For the key: the value of a variant key written as the default; `None` for the
    /// attachment.
    const FROM_KEY: Option<fn(SchemaDefault) -> Self>;
}

impl<T: StringFlag> VariantField<ReadsKey> for T {
    const READS_KEY: bool = true;
    const VALUES: &'static [&'static str] = T::VALUES;
    const CLOSED: bool = T::CLOSED;
    const FLAG: &'static str = T::FLAG;
    const FROM_KEY: Option<fn(SchemaDefault) -> T> = Some(convert_string::<T>);
}

impl<T: ObjectFlag> VariantField<ReadsAttachment> for T {
    const READS_KEY: bool = false;
    const VALUES: &'static [&'static str] = &[];
    const CLOSED: bool = false;
    const FLAG: &'static str = "";
    const FROM_KEY: Option<fn(SchemaDefault) -> T> = None;
}

/// Types reading a part `P` of the variants of a flag with attachments that have a default
/// without one written in code: the key, the schema's default variant; the attachment,
/// `Default::default()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no default to fall back on",
    label = "this field reads the attachment of a variant, which a variant may not have",
    note = "derive or implement `Default` for it, give a default with `#[flags(default = ...)]`, or declare the field as an `Option`"
)]
pub trait VariantDefault<P>: VariantField<P> {
    /// The default, from the schema's default variant key.
    const DEFAULT: fn(SchemaDefault) -> Self;
}

impl<T: StringFlag> VariantDefault<ReadsKey> for T {
    const DEFAULT: fn(SchemaDefault) -> T = convert_string::<T>;
}

impl<T: ObjectFlag + Default> VariantDefault<ReadsAttachment> for T {
    const DEFAULT: fn(SchemaDefault) -> T = default_of::<T>;
}

fn default_of<T: Default>(_: SchemaDefault) -> T {
    T::default()
}

/// Whether `T` reads the key of a variant (`part` is `<T>::__FLAGS_READS`): the derive asserts
/// that two fields reading one flag read different parts.
pub const fn reads_key<T: VariantField<P>, P: Copy>(part: P) -> bool {
    let _ = part;
    T::READS_KEY
}

/// The key of a field of a flag with attachments (`part` is `<T>::__FLAGS_READS`), without a
/// default in code: the key's default is the schema's default variant (`missing` is the
/// message when there is none), the attachment's `Default::default()`.
pub const fn variant_key<T: VariantDefault<P>, P: Copy>(
    key: &'static str,
    part: P,
    default: Option<&'static str>,
    checks: VariantChecks,
    missing: &'static str,
) -> FlagKey<T> {
    let _ = part;
    check_values(T::VALUES, T::CLOSED, T::FLAG, checks);
    let default = match default {
        Some(default) => default,
        None if T::READS_KEY => panic!("{}", missing),
        None => "",
    };
    FlagKey::from_schema(key, SchemaDefault::Str(default), T::DEFAULT)
}

/// The key of a field of a flag with attachments whose default is a variant key written in
/// code; `not_a_key` is the message when the field reads the attachment.
pub const fn variant_key_literal<T: VariantField<P>, P: Copy>(
    key: &'static str,
    part: P,
    default: &'static str,
    checks: VariantChecks,
    not_a_key: &'static str,
) -> FlagKey<T> {
    let _ = part;
    check_values(T::VALUES, T::CLOSED, T::FLAG, checks);
    match T::FROM_KEY {
        Some(convert) => FlagKey::from_schema(key, SchemaDefault::Str(default), convert),
        None => panic!("{}", not_a_key),
    }
}

/// The key of a field of a flag with attachments with a default written in code.
pub const fn variant_key_with<T: VariantField<P>, P: Copy>(
    key: &'static str,
    part: P,
    default: fn() -> T,
    checks: VariantChecks,
) -> FlagKey<T> {
    let _ = part;
    check_values(T::VALUES, T::CLOSED, T::FLAG, checks);
    FlagKey::from_fn(key, default)
}

/// The key of an `Option` field of a flag with attachments: `None` when the flag defers to the
/// code default, or, for the attachment, when the variant served has none.
pub const fn variant_key_optional<T: VariantField<P>, P: Copy>(
    key: &'static str,
    part: P,
    checks: VariantChecks,
) -> FlagKey<Option<T>> {
    let _ = part;
    check_values(T::VALUES, T::CLOSED, T::FLAG, checks);
    FlagKey::from_fn(key, none::<T>)
}

/// Decodes a schema default; a default that does not fit the type gives `T::default()` and a
/// warning, once (the caller caches the result).
pub fn decode_default<T: ObjectDefault>(key: &str, json: &str) -> T {
    match serde_json::from_str::<T>(json) {
        Ok(value) => value,
        Err(error) => {
            tracing::warn!(
                target: "flags",
                "the schema default of flag `{key}` does not fit `{}`: {error}; using `Default::default()`",
                std::any::type_name::<T>()
            );
            T::default()
        }
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn contains(values: &[&str], value: &str) -> bool {
    let mut i = 0;
    while i < values.len() {
        if str_eq(values[i], value) {
            return true;
        }
        i += 1;
    }
    false
}

/// Deserializes an enum deriving `FlagVariant` from a string.
pub fn deserialize_variant<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FlagVariant,
{
    struct Visit<T>(std::marker::PhantomData<T>);
    impl<T: FlagVariant> serde::de::Visitor<'_> for Visit<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "one of {:?}", T::VALUES)
        }
        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
            T::from_value(value).ok_or_else(|| E::unknown_variant(value, T::VALUES))
        }
    }
    deserializer.deserialize_str(Visit(std::marker::PhantomData))
}
