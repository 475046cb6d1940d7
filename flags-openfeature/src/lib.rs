//! OpenFeature interop for [`flags`](https://docs.rs/flags), both ways, on the
//! [`open-feature`](https://docs.rs/open-feature) crate (0.3):
//!
//! - [`FlagsProvider`]: a `flags` client (our engines, sources and remote providers) as an
//!   OpenFeature provider, set up in one line:
//!   `OpenFeature::singleton_mut().await.set_provider(FlagsProvider::new(client)).await`;
//! - [`OpenFeatureProvider`]: any OpenFeature provider behind a `flags` client, so that typed
//!   keys and `#[derive(Flags)]` read from providers written for the `open-feature` crate.
//!
//! The core crates of `flags` never depend on the `open-feature` crate: this one does.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod adapter;
mod convert;
mod feature_provider;

pub use adapter::OpenFeatureProvider;
pub use feature_provider::FlagsProvider;
pub use open_feature;
