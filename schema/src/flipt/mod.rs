//! Flipt: its namespace snapshots ([`import`]) and its rule dialect, the flags of a snapshot
//! with their rules and rollouts ([`grammar`], checked by [`lint`]).
//!
//! A flag written in Flipt's dialect ([`Dialect::Flipt`](crate::Dialect::Flipt)) has the
//! targeting rule `{"namespace": "<namespace>", "flag": <the flag as the snapshot holds it>}`:
//! [`grammar::Flag::parse`] reads the flag, the runtime's engine evaluates it as Flipt's own
//! engine does.
//!
//! How a snapshot's flags map onto a manifest (their types, defaults and variants) is said
//! at [`import`].

pub mod grammar;
mod lint;

pub use crate::import::flipt::*;
pub use lint::{MAX_SEGMENTS, lint, rule_flag};
