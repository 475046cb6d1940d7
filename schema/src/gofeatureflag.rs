//! GO Feature Flag: its relay proxy's flag configuration ([`import`]) and its rule language
//! ([`query`]).
//!
//! A GO Feature Flag flag reaches the engine as a [`Targeting`](crate::Targeting) in
//! [`Dialect::GoFeatureFlag`](crate::Dialect::GoFeatureFlag) whose rule is `{"flag": <flag>}`.

pub mod query;

pub use crate::import::gofeatureflag::{import, is_flag_file};
