//! Test support shared by the workspace's test suites; not published.
//!
//! [`alloc`]: a global allocator counting the bytes live in the process (soak tests).
//! [`server`]: a scripted HTTP/1.1 server on 127.0.0.1 that records what it is sent.
//! [`fake_crate`]: a crate in a temporary directory, and the `flags` command run in it.
//! [`fault`]: a concurrent, fault-injecting HTTP/1.1 server (hyper), optionally over TLS with
//! certificates generated on the fly, for the transport and the remote providers.
//! [`flagkit`]: a scripted FlagKit service on that server, and the checks its service makes
//! (request signatures, no key in a URL).

pub mod alloc;
pub mod fake_crate;
pub mod fault;
pub mod flagkit;
pub mod server;
