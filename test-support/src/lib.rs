//! Test support shared by the workspace's test suites; not published.
//!
//! [`server`]: a scripted HTTP/1.1 server on 127.0.0.1 that records what it is sent.

pub mod server;
