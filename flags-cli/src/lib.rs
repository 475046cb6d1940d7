//! `flags`: keeps a crate's flag lock file in step with its flag service. Installed with
//! `cargo install --path flags-cli` (the binary is `flags`).
//!
//! ```text
//! flags sync        fetch the definitions from the sources, update the lock file
//! flags check       fail when the lock differs from the sources; list unused and unknown flags;
//!                   lint the targeting rules
//! flags schema      print the JSON Schema of the lock file
//! flags generate    print the Rust code `flags!` generates for the lock
//! flags export      write the lock's flags as an OpenFeature CLI manifest
//! ```
//!
//! The sources are those of `[package.metadata.flags]` in the crate's `Cargo.toml` (see
//! `flags-build`'s docs). Exit status: 0 on success, 1 when `check` finds a difference (or,
//! with `--deny-warnings`, a lint warning), 2 on any error (bad arguments, bad configuration,
//! an unreachable source in strict mode).
//!
//! The sync itself (sources, fetching, the lock file) is `flags-build`'s, shared with build
//! scripts; this crate adds the command line, the usage scan ([`scan`]) and the code
//! generation ([`generate`]). Its library exists for the binary and its tests; it is not a
//! stable API.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod args;
mod commands;
mod crate_root;
mod generate;
pub mod scan;

use std::process::ExitCode;

pub use generate::generate;

/// Runs the `flags` command on the arguments of the process and prints what it reports: what
/// the binary's `main` is. Exits on bad arguments (status 2) and for `--help` and `--version`.
pub fn main() -> ExitCode {
    let matches = args::command().get_matches();
    match commands::run(&matches) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
