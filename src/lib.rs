//! Typed feature flags.
//!
//! Flags are declared as fields of a Rust struct; the compiler checks every key and type
//! against the flag definitions synced from your flag service into a committed lock file; a
//! small runtime evaluates them in nanoseconds from a local configuration snapshot.
//!
//! ```
//! #[derive(flags::Flags)]
//! #[flags(schema = "examples/flags.json")] // or a build script / a committed flags.lock.json
//! struct Checkout {
//!     /// The new checkout flow.
//!     #[flags(key = "new-checkout")]
//!     enabled: bool,
//!     #[flags(default = 10)]
//!     upload_limit: i64,
//!     sample_rate: f64, // no default given: the schema's default is compiled in
//! }
//!
//! let client = flags::Client::builder()
//!     .in_process(flags::source::file(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/flags.json")))
//!     .build()?;
//! let ctx = flags::Context::new("user-123").with("plan", "premium");
//!
//! let checkout: Checkout = client.flags(&ctx); // every field from one configuration
//! assert!(checkout.enabled);
//! assert_eq!(client.value(Checkout::UPLOAD_LIMIT, &ctx), 25);
//!
//! let details = client.details(Checkout::ENABLED, &ctx);
//! assert_eq!(details.variant.as_deref(), Some("on"));
//! assert_eq!(details.reason, flags::Reason::Static);
//! # Ok::<(), flags::Error>(())
//! ```
//!
//! A misspelt key does not compile:
//!
//! ```compile_fail
//! #[derive(flags::Flags)]
//! #[flags(schema = "examples/flags.json")]
//! struct Checkout {
//!     #[flags(key = "new-chekout")] // error: unknown flag `new-chekout`; did you mean `new-checkout`?
//!     enabled: bool,
//! }
//! ```
//!
//! Nor does a field of the wrong type:
//!
//! ```compile_fail
//! #[derive(flags::Flags)]
//! #[flags(schema = "examples/flags.json")]
//! struct Checkout {
//!     #[flags(key = "new-checkout")]
//!     enabled: i64, // error: `i64` cannot hold a boolean flag
//! }
//! ```
//!
//! # Finding the schema
//!
//! The derive reads files only (no network), first hit wins:
//!
//! | # | where |
//! | --- | --- |
//! | 1 | `#[flags(schema = "path")]`, relative to the crate root |
//! | 2 | the environment variable `FLAGS_SCHEMA` |
//! | 3 | `$OUT_DIR/flags.lock.json`, written by `flags_build::sync` in `build.rs` |
//! | 4 | `flags.lock.json` in the crate root, then in its ancestors up to the workspace root |
//!
//! Each may name a lock file or a flag definition file (flagd, OpenFeature CLI manifest).
//! Cargo recompiles when the file or the variable changes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use flags_macro::{FlagVariant, Flags};
pub use flags_runtime::{
    Client, ClientBuilder, Context, Error, ErrorCode, Evaluation, EvaluationDetails,
    EvaluationError, FlagKey, FlagMetadata, FlagType, FlagValue, FlagValueRef, FlagVariant, Flags,
    MetadataValue, ObjectValue, Reason, TestClient, Value, source,
};

#[doc(hidden)]
pub mod __private {
    pub use flags_runtime::__private::*;
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
