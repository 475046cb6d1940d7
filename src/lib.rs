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
#![warn(missing_docs, unreachable_pub)]

// Declaring flags: the derives, and the types a flag is read as.
pub use flags_macro::{FlagVariant, Flags};
pub use flags_runtime::{
    FlagKey, FlagType, FlagValue, FlagValueRef, FlagVariant, Flags, ObjectValue, Value,
};

// Evaluating: the client, the context, what an evaluation answers.
pub use flags_runtime::{
    Client, ClientBuilder, Context, Error, ErrorCode, Evaluation, EvaluationDetails,
    EvaluationError, FlagMetadata, LoadProblem, MetadataValue, Reason, VariantName, blocking,
};

// Where flags come from: sources for the in-process engine and its options, the provider
// seam (bring your own), the in-memory and test providers, remote evaluation.
#[cfg(feature = "otel")]
pub use flags_runtime::otel;
pub use flags_runtime::{
    Budget, CompileError, EngineOptions, Format, FractionalVersion, InMemory, InMemoryFlag,
    MissingRolloutKey, TestClient, provider, source,
};
#[cfg(feature = "http")]
pub use flags_runtime::{remote, transport};

// OpenFeature's API: global hooks and context, events, transaction context, telemetry.
pub use flags_runtime::{
    Api, ClientMetadata, EvaluationOptions, EventDetails, Events, Handler, HandlerId, Hook,
    HookContext, HookData, HookHints, LoadWarning, ProviderEvent, ProviderMetadata, ProviderStatus,
    TransactionScope, WarningKind, api, telemetry, transaction_context, with_transaction_context,
    with_transaction_context_async,
};

// Events: `track()`, the pipeline's exporters and options, the crash-safe event log. Named
// `tracking` because OpenFeature's provider events (`ProviderEvent`, above) are the "events".
pub use flags_runtime::{TrackingDetails, tracking};

#[doc(hidden)]
pub mod __private {
    pub use flags_macro::flags_module;
    pub use flags_runtime::__private::*;
}

/// Generates a module from every flag in the schema: a typed key constant per flag, an enum
/// per string flag with variants, a struct per object flag, and [`All`](Flags), a struct of
/// every flag for [`Client::flags`].
///
/// ```
/// flags::flags! {
///     /// The flags of the shop.
///     #[flags(schema = "examples/flags.json")] // found as `#[derive(Flags)]` finds it otherwise
///     pub mod app_flags;
/// }
///
/// let client = flags::Client::builder()
///     .in_process(flags::source::file(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/flags.json")))
///     .build()?;
/// let ctx = flags::Context::new("user-123").with("plan", "premium");
///
/// let limit: i64 = client.value(app_flags::UPLOAD_LIMIT, &ctx); // flag `upload-limit`
/// assert_eq!(limit, 25); // its targeting rule: premium plans get the large variant
///
/// let all: app_flags::All = client.flags(&ctx); // every flag, from one configuration
/// assert!(all.new_checkout);
/// // A string flag with variants is an enum: the `match` is exhaustive.
/// let text = match all.greeting {
///     app_flags::Greeting::Casual => "Hi there",
///     app_flags::Greeting::Formal => "Good afternoon",
/// };
/// assert_eq!(text, "Hi there"); // a 50/50 `fractional` split puts `user-123` here
/// assert_eq!(all.max_retries, None); // no default in the schema: `None` defers to the code
/// # Ok::<(), flags::Error>(())
/// ```
///
/// For each flag, in key order:
///
/// | flag | generated |
/// | --- | --- |
/// | every flag | `pub const NEW_CHECKOUT: FlagKey<T>` (SCREAMING_SNAKE of the key), documented with the description, type, default and variants; `#[deprecated]` when the schema marks the flag deprecated |
/// | string flag with variants | `pub enum NewCheckout` (UpperCamel of the key), one variant per schema variant (UpperCamel of its name) reading its value; derives [`FlagVariant`], so a `match` is exhaustive |
/// | object flag | `pub struct NewCheckout` deriving `Deserialize` and `Default`, from the shape of the flag's variants: a key in every variant is a field, a key in some an `Option` field; integral numbers `i64`, other numbers `f64`; nested objects nested structs (`NewCheckoutTheme`); arrays `Vec`; `null` or mixed types `serde_json::Value` |
/// | `All` | a field per flag (snake_case of the key); `Option<T>` for a flag without default in the schema (flagd `defaultVariant: null`) |
///
/// The type of a flag is `bool`, `i64`, `f64`, `String`, or its enum or struct. Rust keywords
/// become raw identifiers (`type` → `r#type`, constant `TYPE`); names starting with a digit get
/// `flag` in front (`3d` → `FLAG_3D`). Two flags whose names collide (`new-checkout` and
/// `new_checkout`) are a compile error naming both: read them with `#[derive(Flags)]` instead.
/// The same schema always generates the same code.
#[macro_export]
macro_rules! flags {
    ($($input:tt)*) => {
        $crate::__private::flags_module! { $crate; $($input)* }
    };
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
