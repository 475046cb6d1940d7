//! GO Feature Flag: its relay proxy's flag configuration ([`import`]), its rule language
//! ([`query`]) and the [`lint`] of its flags.
//!
//! A GO Feature Flag flag reaches the engine as a [`Targeting`](crate::Targeting) in
//! [`Dialect::GoFeatureFlag`](crate::Dialect::GoFeatureFlag) whose rule is `{"flag": <flag>}`.

mod lint;
pub mod query;

pub use lint::lint;

pub use crate::import::gofeatureflag::{import, is_flag_file};
