//! flagd: its flag-definition files ([`import`]) and its targeting dialect, JSON Logic with
//! flagd's operators ([`grammar`], checked by [`lint`]).
//!
//! # Files
//!
//! The format is the one flagd's daemon reads (schema `https://flagd.dev/schema/v0/flagd.json`),
//! a superset of what flagd providers read (`flags.json`): `flags` is a map from key to flag or
//! an array of flags each carrying its `key`.
//!
//! ```json
//! {
//!   "$schema": "https://flagd.dev/schema/v0/flags.json",
//!   "flags": {
//!     "new-checkout": {
//!       "state": "ENABLED",
//!       "variants": { "on": true, "off": false },
//!       "defaultVariant": "off",
//!       "targeting": { "if": [{ "$ref": "staff" }, "on"] },
//!       "metadata": { "description": "The redesigned checkout", "owner": "payments" }
//!     }
//!   },
//!   "$evaluators": { "staff": { "ends_with": [{ "var": "email" }, "@example.com"] } },
//!   "metadata": { "flagSetId": "shop", "version": "17" }
//! }
//! ```
//!
//! How a flag maps onto a [`Flag`]:
//!
//! | flagd | [`Flag`] |
//! | --- | --- |
//! | `state` (`ENABLED` / `DISABLED`, required) | [`Flag::state`] |
//! | `variants` (required, at least one) | [`Flag::variants`]; their common type is [`Flag::flag_type`]: all integral numbers make an integer flag, any other number a float flag |
//! | `defaultVariant` (a variant name, `null` or absent) | [`Flag::default_variant`], and that variant's value as [`Flag::default`]; `null` / absent leave both `None` (the code default applies) |
//! | `targeting` (JSON Logic; `{}` is none) | [`Flag::targeting`], as written, in flagd's [dialect](crate::Dialect::Flagd): flagd loads every rule, [`lint`] reports the suspicious ones |
//! | `metadata` | [`Flag::metadata`]; a string `description` also becomes [`Flag::description`], `deprecated: true` sets [`Flag::deprecated`] |
//!
//! Fields flagd does not know are ignored, as flagd ignores them. Top-level `metadata` becomes
//! [`Manifest::metadata`] and `$evaluators` [`Manifest::evaluators`].
//!
//! ```
//! let manifest = flags_schema::flagd::import(&serde_json::json!({
//!     "flags": [
//!         { "key": "limit", "state": "ENABLED", "variants": { "low": 10, "high": 100 }, "defaultVariant": "low" },
//!         { "key": "ratio", "state": "DISABLED", "variants": { "half": 0.5, "all": 1 } }
//!     ]
//! }), "flags.json").unwrap();
//! assert_eq!(manifest.flags["limit"].flag_type, flags_schema::FlagType::Integer);
//! assert_eq!(manifest.flags["limit"].default, Some(serde_json::json!(10)));
//! assert_eq!(manifest.flags["ratio"].flag_type, flags_schema::FlagType::Float);
//! assert_eq!(manifest.flags["ratio"].default, None);
//! ```

#[cfg(doc)]
use crate::manifest::{Flag, Manifest};

mod calls;
pub mod grammar;
mod lint;

pub use crate::import::flagd::import;
pub use calls::always_null;
pub use grammar::{ALIASES, OPERATORS, has_rule, is_sem_ver_version};
pub use lint::{lint, lint_targeting};
