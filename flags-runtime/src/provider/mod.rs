//! Providers: what answers evaluations for a client.

mod in_process;
pub(crate) mod memory;

pub(crate) use in_process::InProcess;
