//! The runtime of [`flags`](https://docs.rs/flags): the [`Client`], the evaluation
//! [`Context`], typed [`FlagKey`]s and [`EvaluationDetails`].
//!
//! Most users depend on the `flags` crate, which re-exports everything here together with the
//! macros. The in-process provider compiles flag definitions once into an immutable snapshot
//! and evaluates against it without locks.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod api;
pub mod blocking;
mod client;
mod context;
mod crc32;
mod de;
mod details;
mod engine;
mod error;
mod events;
mod flag_value;
#[cfg(all(fuzzing, feature = "http"))]
#[doc(hidden)]
pub mod fuzzing;
mod hooks;
mod key;
mod message;
#[cfg(feature = "otel")]
pub mod otel;
pub mod provider;
#[cfg(feature = "http")]
pub mod remote;
pub mod source;
pub mod telemetry;
mod testing;
pub mod tracking;
#[cfg(feature = "http")]
pub mod transport;
mod value;
mod variant;
#[cfg(feature = "http")]
mod wire;

pub use api::{
    Api, TransactionScope, api, transaction_context, with_transaction_context,
    with_transaction_context_async,
};
pub use client::{Client, ClientBuilder, Evaluation, Flags};
pub use context::Context;
pub use details::{
    ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, MetadataValue, Reason, VariantName,
};
pub use engine::{
    Budget, Clock, CompileError, EngineOptions, FractionalVersion, MissingRolloutKey,
};
pub use error::{Error, LoadProblem};
pub use events::{
    EventDetails, Events, Handler, HandlerId, LoadWarning, ProviderEvent, ProviderStatus,
    WarningKind,
};
pub use flag_value::{FlagValue, FlagValueRef, ObjectValue};
pub use hooks::{
    ClientMetadata, EvaluationOptions, Hook, HookContext, HookData, HookHints, ProviderMetadata,
};
pub use key::{FlagKey, FlagType};
pub use provider::memory::{InMemory, InMemoryFlag};
pub use source::Format;
pub use testing::TestClient;
pub use tracking::TrackingDetails;
pub use value::Value;
pub use variant::FlagVariant;

#[doc(hidden)]
pub mod __private;
