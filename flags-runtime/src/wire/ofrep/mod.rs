//! OFREP, the OpenFeature Remote Evaluation Protocol: request URLs and bodies
//! ([`request`]), answers of the single-flag endpoint ([`answer`]) and of the bulk endpoint
//! ([`bulk`]), event streams and their messages ([`events`]), the `OFREP_*` environment
//! variables ([`env`]) and the options' validation ([`options`]). No I/O: the provider sends
//! and receives.

mod answer;
mod bulk;
mod env;
mod events;
mod options;
mod request;

pub(crate) use answer::{Signal, parse_single};
pub(crate) use bulk::{Bulk, BulkAnswer, parse_bulk};
pub(crate) use env::OfrepEnv;
pub(crate) use events::{EventStream, Refetch, SseParser};
pub use options::OfrepConfigError;
pub(crate) use options::{OfrepConfig, OfrepOptions};
pub(crate) use request::{bulk_url, refetch_url, request_body, single_url};
