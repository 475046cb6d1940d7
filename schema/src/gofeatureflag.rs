//! GO Feature Flag: its relay proxy's flag configuration ([`import`]), its rule language
//! ([`query`]) and the [`lint`] of its flags.
//!
//! A GO Feature Flag flag reaches the engine as a [`Targeting`](crate::Targeting) in
//! [`Dialect::GoFeatureFlag`](crate::Dialect::GoFeatureFlag) whose rule is `{"flag": <flag>}`.
//!
//! # The relay's configuration
//!
//! What the [relay proxy](https://gofeatureflag.org/docs/relay-proxy) answers to
//! `POST /v1/flag/configuration` (the request body `{"flags": []}` asks for every flag): each
//! flag with its `variations`, its targeting rules and its default rule.
//!
//! ```json
//! {
//!   "flags": {
//!     "new-checkout": {
//!       "variations": { "enabled": true, "disabled": false },
//!       "targeting": [{ "query": "email ew \"@example.com\"", "variation": "enabled" }],
//!       "defaultRule": { "variation": "disabled" },
//!       "metadata": { "description": "The redesigned checkout", "issue": 42 }
//!     },
//!     "page-size": {
//!       "variations": { "small": 10, "large": 50 },
//!       "defaultRule": { "percentage": { "small": 90, "large": 10 } }
//!     }
//!   },
//!   "evaluationContextEnrichment": { "env": "production" }
//! }
//! ```
//!
//! How a flag maps onto a [`Flag`](crate::Flag):
//!
//! | GO Feature Flag | [`Flag`](crate::Flag) |
//! | --- | --- |
//! | `variations` (required, at least one) | [`Flag::variants`](crate::Flag::variants); their common type is [`Flag::flag_type`](crate::Flag::flag_type): all integral numbers make an integer flag, integers and floats a float flag, other mixes are an error |
//! | `defaultRule.variation` | [`Flag::default_variant`](crate::Flag::default_variant), and that variation's value as [`Flag::default`](crate::Flag::default). A default rule that splits by `percentage` or `progressiveRollout`, or no default rule, leaves both `None` (the code default applies) |
//! | `disable: true` | [`Flag::state`](crate::Flag::state) disabled |
//! | `metadata` | its booleans, strings and numbers in [`Flag::metadata`](crate::Flag::metadata) (other values are left out); a string `description` also becomes [`Flag::description`](crate::Flag::description) |
//!
//! The `targeting` rules (GO Feature Flag's own query language), `scheduledRollout`,
//! `experimentation` and `evaluationContextEnrichment` are not translated: the lock records
//! what the code is typed against, and the service evaluates the rules.
//!
//! GO Feature Flag's own flag files hold the same flag objects at the top level, without
//! `flags` (`{"new-checkout": {"variations": ...}}`), in JSON, YAML (feature `yaml`) or TOML
//! (feature `toml`): [`crate::import_str`], [`crate::load_str`] and [`crate::load_as`] read
//! them as the relay's configuration with those flags. A document is a flag file when it has
//! no `flags`, or when its `flags` is itself a flag (its `variations` is an object of values,
//! not a flag with `variations` of its own); [`is_flag_file`] says when detection takes it for
//! one.
//!
//! Read for evaluation ([`crate::load_str`], [`crate::load_as`]), each flag is read whole as its
//! [`Flag::targeting`](crate::Flag::targeting) in [GO Feature Flag's dialect](crate::Dialect::GoFeatureFlag): the rule
//! is `{"flag": <the flag object>}`, with `"evaluationContextEnrichment": {...}` beside it when
//! the relay sent a non-empty one (the engine merges it into the evaluation context, as GO
//! Feature Flag's engine is handed it with every flag). The flag's state stays enabled there:
//! `disable` is the rule's to evaluate (a scheduled step can enable a disabled flag). The read
//! is as lenient as GO Feature Flag's engine: only a flag that is not an object, or whose own
//! fields have the wrong JSON type (`variations` that is not an object, `disable` that is not
//! a boolean, ...: what GO Feature Flag fails to unmarshal), is listed in
//! [`Loaded::broken`](crate::Loaded::broken) and answers `PARSE_ERROR`; anything else
//! (no variations, a default rule naming none, variations of mixed types) is the engine's to
//! answer as GO Feature Flag does.
//!
//! ```
//! let manifest = flags_schema::gofeatureflag::import(&serde_json::json!({
//!     "flags": {
//!         "ratio": {
//!             "variations": { "low": 1, "high": 2.5 },
//!             "defaultRule": { "variation": "low" },
//!             "disable": true
//!         }
//!     }
//! }), "http://relay:1031/v1/flag/configuration").unwrap();
//! let ratio = &manifest.flags["ratio"];
//! assert_eq!(ratio.flag_type, flags_schema::FlagType::Float);
//! assert_eq!(ratio.default, Some(serde_json::json!(1)));
//! assert_eq!(ratio.state, flags_schema::FlagState::Disabled);
//! ```
mod lint;
pub mod query;

pub use lint::lint;

pub use crate::import::gofeatureflag::{import, is_flag_file};
