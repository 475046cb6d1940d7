//! What generated code uses. Not a public API: names and signatures may change in any release.
//!
//! The kind traits (`BooleanFlag`, ...) say which Rust types can hold which flag type. The
//! derive names the field's type in a call to one of the `*_key` functions below, spanned at
//! the field, so a field whose type cannot hold the flag's values fails to compile with one
//! error at the field, worded by `#[diagnostic::on_unimplemented]`.

pub use std::borrow::Cow;

use crate::key::{FlagValue, FlagValueRef};

/// Types that can hold a boolean flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a boolean flag",
    label = "this field reads a boolean flag",
    note = "declare the field as `bool`"
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

/// Types that can hold an integer flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an integer flag",
    label = "this field reads an integer flag",
    note = "declare the field as `i64`"
)]
pub trait IntegerFlag: FlagValue {
    /// The value of a schema default.
    fn from_i64(value: i64) -> Self;
}

impl IntegerFlag for i64 {
    fn from_i64(value: i64) -> i64 {
        value
    }
}

/// Types that can hold a float flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a float flag",
    label = "this field reads a float flag",
    note = "declare the field as `f64`"
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

/// Types that can hold a string flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a string flag",
    label = "this field reads a string flag",
    note = "declare the field as `String`"
)]
pub trait StringFlag: FlagValue {
    /// The value of a schema default.
    fn from_static_str(value: &'static str) -> Self;
}

impl StringFlag for String {
    fn from_static_str(value: &'static str) -> String {
        value.to_owned()
    }
}

/// Types that can hold an object flag.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an object flag",
    label = "this field reads an object flag",
    note = "object flags are not supported by `#[derive(Flags)]` in this version"
)]
pub trait ObjectFlag: FlagValue {}

// The converters below pair with the constructors that store their input: the `_ =>` arms
// are unreachable through those constructors and answer a zero value rather than panic.

fn convert_boolean<T: BooleanFlag>(value: FlagValueRef<'static>) -> T {
    T::from_bool(matches!(value, FlagValueRef::Bool(true)))
}

fn convert_integer<T: IntegerFlag>(value: FlagValueRef<'static>) -> T {
    T::from_i64(match value {
        FlagValueRef::Int(i) => i,
        _ => 0,
    })
}

fn convert_float<T: FloatFlag>(value: FlagValueRef<'static>) -> T {
    T::from_f64(match value {
        FlagValueRef::Float(f) => f,
        FlagValueRef::Int(i) => i as f64,
        _ => 0.0,
    })
}

fn convert_string<T: StringFlag>(value: FlagValueRef<'static>) -> T {
    T::from_static_str(match value {
        FlagValueRef::Str(s) => s,
        _ => "",
    })
}

/// The key of a boolean flag whose default comes from the schema.
pub const fn boolean_key<T: BooleanFlag>(key: &'static str, default: bool) -> FlagKey<T> {
    FlagKey::__from_schema(key, FlagValueRef::Bool(default), convert_boolean::<T>)
}

/// The key of an integer flag whose default comes from the schema.
pub const fn integer_key<T: IntegerFlag>(key: &'static str, default: i64) -> FlagKey<T> {
    FlagKey::__from_schema(key, FlagValueRef::Int(default), convert_integer::<T>)
}

/// The key of a float flag whose default comes from the schema.
pub const fn float_key<T: FloatFlag>(key: &'static str, default: f64) -> FlagKey<T> {
    FlagKey::__from_schema(key, FlagValueRef::Float(default), convert_float::<T>)
}

/// The key of a string flag whose default comes from the schema.
pub const fn string_key<T: StringFlag>(key: &'static str, default: &'static str) -> FlagKey<T> {
    FlagKey::__from_schema(key, FlagValueRef::Str(default), convert_string::<T>)
}

/// The key of a boolean flag with a default written in code.
pub const fn boolean_key_with<T: BooleanFlag>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

/// The key of an integer flag with a default written in code.
pub const fn integer_key_with<T: IntegerFlag>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

/// The key of a float flag with a default written in code.
pub const fn float_key_with<T: FloatFlag>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

/// The key of a string flag with a default written in code.
pub const fn string_key_with<T: StringFlag>(key: &'static str, default: fn() -> T) -> FlagKey<T> {
    FlagKey::from_fn(key, default)
}

pub use crate::client::{Evaluation, Flags};
pub use crate::key::FlagKey;
