//! Providers: what answers evaluations for a client.

mod diff;
mod in_process;
pub(crate) mod memory;
mod persist;
#[cfg(feature = "http")]
mod poll;
pub(crate) mod thread_cache;
mod watch;
mod worker;

pub(crate) use in_process::InProcess;
