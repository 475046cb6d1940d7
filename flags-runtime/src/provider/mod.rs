//! Providers: what answers evaluations for a client.
//!
//! A [`Client`](crate::Client) evaluates through one [`Provider`]. The runtime brings its own
//! (in process from a [`source`](crate::source), remote over OFREP or Flagship, in memory, test
//! values); any other implements the trait and is handed to
//! [`ClientBuilder::provider`](crate::ClientBuilder::provider). The client adds what every
//! provider shares: typed reads with the caller's default, hooks, merged contexts, events.
//!
//! A provider answers synchronously from what it holds ([`Provider::read`]): reads never wait.
//! One that must ask a service for each evaluation also answers [`Provider::fetch`], which the
//! async reads ([`Client::details_async`](crate::Client::details_async)) and
//! [`flags::blocking`](crate::blocking) await.
//!
//! Providers compose: [`multi`] asks several in order (OpenFeature's multi-provider), and a
//! [`Client`](crate::Client) is itself a provider, so that one built from a source or a remote
//! service can be a member.
//!
//! ```
//! use flags_runtime::provider::{Configuration, Provider, Resolution, View};
//! use flags_runtime::{Client, Context, Events, FlagKey, ProviderStatus, Reason};
//!
//! /// Every flag is on for users whose key starts with `staff-`.
//! struct Staff {
//!     events: Events,
//! }
//!
//! impl Configuration for Staff {
//!     fn resolve(&self, _flag: &str, ctx: &Context) -> Resolution {
//!         let staff = ctx.targeting_key().is_some_and(|k| k.starts_with("staff-"));
//!         Resolution::value(serde_json::json!(staff), Reason::TargetingMatch)
//!     }
//! }
//!
//! impl Provider for Staff {
//!     fn events(&self) -> &Events {
//!         &self.events
//!     }
//!     fn read(&self, read: &mut dyn FnMut(View<'_>)) {
//!         read(View::of(self))
//!     }
//! }
//!
//! let client = Client::builder()
//!     .provider(Staff { events: Events::new("staff", ProviderStatus::Ready) })
//!     .build()?;
//! let beta = FlagKey::<bool>::new("beta", false);
//! assert!(client.value(&beta, &Context::new("staff-ada")));
//! assert!(!client.value(&beta, &Context::new("user-1")));
//! # Ok::<(), flags_runtime::Error>(())
//! ```

mod diff;
mod in_process;
pub(crate) mod memory;
mod multi;
mod persist;
#[cfg(feature = "http")]
mod poll;
mod query;
pub(crate) mod resolution;
mod seam;
mod shared;
#[cfg(feature = "http")]
mod stream;
pub(crate) mod test_values;
pub(crate) mod thread_cache;
mod view;
mod watch;
mod worker;

pub(crate) use in_process::InProcess;
pub use multi::{Multi, MultiBuilder, Strategy, multi};
pub use query::{Fetched, Query};
pub use resolution::Resolution;
pub use seam::{BoxFuture, Provider};
#[cfg(feature = "http")]
pub(crate) use view::Kind as ViewKind;
pub use view::{Configuration, View};
