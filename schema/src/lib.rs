//! The flag manifest of [`flags`](https://docs.rs/flags): what the macros check flag keys and
//! types against at compile time, and what the lock file (`flags.lock.json`) holds.
//!
//! A [`Manifest`] is a map from flag key to [`Flag`]: its [`FlagType`], its default value, its
//! variants, description, state, metadata, and (for in-process evaluation) its [`Targeting`]
//! rule, tagged with the [`Dialect`] it is written in (flagd's JSON Logic, whose grammar is
//! [`flagd::grammar`]; Flipt's rules and rollouts, [`flipt::grammar`]; Cloudflare Flagship's
//! rules, [`flagship::grammar`]). It is produced by one of the importers:
//!
//! | input | function |
//! | --- | --- |
//! | any of the below, detected from its shape | [`import`] / [`import_str`] / [`read`] |
//! | the same, for evaluation: a flagd file read as flagd reads it, with [`Warning`]s | [`load_str`] |
//! | a document in a format given, for evaluation (Flagship definitions with their account) | [`load_as`] |
//! | a lock file written by `flags-build` | [`Manifest::from_lock_str`] |
//! | a flagd flag-definition file (flags as map or array) | [`flagd::import`] |
//! | an OpenFeature CLI manifest (`flagType`, `defaultValue`) | [`openfeature_cli::import`] |
//! | the OpenFeature manifest management API's manifest (`GET /openfeature/v0/manifest`) | [`openfeature_api::import`] |
//! | an OFREP bulk evaluation response (types inferred from the values) | [`ofrep::import`] |
//! | a Flipt namespace snapshot | [`flipt::import`] |
//! | a GO Feature Flag relay proxy flag configuration | [`gofeatureflag::import`] |
//! | Cloudflare Flagship flag definitions | [`flagship::import`] |
//! | FlagKit's SDK init answer (each flag's `flagType` and value) | [`flagkit::import`] |
//!
//! Every importer validates what it reads: an empty key, variants of mixed types, a default
//! variant that is not among the variants, an unknown type, each is an [`Error`] naming the flag
//! and the problem. Targeting rules are not errors (flagd and Flagship load every rule):
//! [`flagd::lint`] and [`flagship::lint`] report the ones that do not do what they seem to.
//!
//! ```
//! let manifest = flags_schema::import_str(r#"{
//!     "flags": {
//!         "new-checkout": {
//!             "state": "ENABLED",
//!             "variants": { "on": true, "off": false },
//!             "defaultVariant": "off"
//!         }
//!     }
//! }"#, "flags.json").unwrap();
//! let flag = &manifest.flags["new-checkout"];
//! assert_eq!(flag.flag_type, flags_schema::FlagType::Boolean);
//! assert_eq!(flag.default, Some(serde_json::json!(false)));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod error;
mod findings;
pub mod flagd;
pub mod flagship;
pub mod flipt;
pub mod gofeatureflag;
mod import;
mod limits;
mod manifest;
mod targeting;

pub use error::{Error, Problem, Warning, WarningKind, closest};
pub use import::{
    Format, Loaded, flagkit, import, import_as, import_str, load_as, load_str, ofrep,
    openfeature_api, openfeature_cli, parse_str, read,
};
pub use limits::{MAX_NESTING, SUGGEST_MAX_NAME, closest_within};
pub use manifest::{
    FORMAT_VERSION, Flag, FlagState, FlagType, Manifest, Metadata, MetadataValue, Provenance,
    SourceKind,
};
pub use targeting::{Dialect, Targeting};

/// The file name of the lock file that `flags-build` keeps in the crate root and that the
/// macros look for when nothing else names a schema.
pub const LOCK_FILE: &str = "flags.lock.json";

/// The file name under `OUT_DIR` that `flags_build::sync` writes and the macros read.
pub const OUT_DIR_FILE: &str = "flags.lock.json";

/// The file beside [`OUT_DIR_FILE`] that holds the name of the definitions it copies, as the
/// crate names them (the lock, `flags.lock.json`, or the definition file the build script
/// read): compile errors name that file, not the copy in the build directory.
pub const OUT_DIR_NAME_FILE: &str = "flags.lock.name";

/// The environment variable that names a schema file for the macros (a lock file or any
/// importable definition file). It takes precedence over `OUT_DIR` and the committed lock file.
pub const SCHEMA_ENV: &str = "FLAGS_SCHEMA";

/// The JSON Schema of the lock file ([`Manifest`]), as pretty JSON with sorted keys and a
/// trailing newline: what `schema/manifest.schema.json` holds and `flags schema` prints.
#[cfg(feature = "json-schema")]
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Manifest);
    let schema = serde_json::to_value(&schema).expect("a schema serialises");
    // Keys sorted explicitly, so the text is the same whether or not another crate in the
    // build enables serde_json's `preserve_order`.
    let mut text =
        serde_json::to_string_pretty(&manifest::sorted(schema)).expect("a value serialises");
    text.push('\n');
    text
}

/// The lint of every flag's targeting rule, each by its dialect's grammar
/// ([`flagd::lint`], [`flagship::lint`], [`flipt::lint`], [`gofeatureflag::lint`]): what loads
/// but does not do what it seems to.
///
/// ```
/// let manifest = flags_schema::import_str(
///     r#"{"flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": false},
///        "defaultVariant": "off", "targeting": {"if": [{"starts_with": [{"var": "email"}]}, "on"]}}}}"#,
///     "flags.json",
/// )?;
/// assert_eq!(flags_schema::lint(&manifest).len(), 1);
/// # Ok::<(), flags_schema::Error>(())
/// ```
pub fn lint(manifest: &Manifest) -> Vec<Warning> {
    let mut warnings = flagd::lint(manifest);
    warnings.extend(flagship::lint(manifest));
    warnings.extend(flipt::lint(manifest));
    warnings.extend(gofeatureflag::lint(manifest));
    warnings
}
