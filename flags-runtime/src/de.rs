//! A serde `Deserializer` over one scalar flag value, so that any `Deserialize` type can be
//! read from a flag without going through JSON and, for scalars, without allocating.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{Deserializer, Visitor};
use serde::forward_to_deserialize_any;

use crate::key::FlagValueRef;

/// Why a scalar could not be read: serde's message, quoting at most a prefix of the value
/// (a string flag may hold megabytes), built without copying the rest.
#[derive(Debug)]
pub(crate) struct Error(pub(crate) String);

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error(crate::message::bounded(message))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub(crate) struct Scalar<'a>(pub(crate) FlagValueRef<'a>);

impl<'de> Deserializer<'de> for Scalar<'de> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            FlagValueRef::Bool(b) => visitor.visit_bool(b),
            FlagValueRef::Int(i) => visitor.visit_i64(i),
            FlagValueRef::Float(f) => visitor.visit_f64(f),
            FlagValueRef::Str(s) => visitor.visit_borrowed_str(s),
            // Objects are decoded through their cache, never through this deserializer; should
            // one arrive here, it is read from its JSON.
            FlagValueRef::Object(o) => serde::Deserializer::deserialize_any(o.json(), visitor)
                .map_err(serde::de::Error::custom),
        }
    }

    /// A present value is `Some`: `None` means the flag deferred to the code default.
    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A string names a unit variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            FlagValueRef::Str(s) => BorrowedStrDeserializer::<'de, Error>::new(s)
                .deserialize_enum(name, variants, visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}
