//! How an evaluation fails: what the reference evaluator throws.

/// An evaluation failure (the reference evaluator throws): the flag answers ERROR, GENERAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Thrown(pub(crate) &'static str);

pub(crate) const NOT_A_NUMBER: Thrown = Thrown("an operand is not a number");

pub(crate) const INVALID_ARGUMENTS: Thrown = Thrown("invalid arguments");

pub(crate) const NOT_ITERABLE: Thrown = Thrown("the operand is not an array");
