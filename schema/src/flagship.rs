//! Cloudflare Flagship: its flag definitions ([`import`]) and its rule dialect ([`grammar`],
//! checked by [`lint`]).
//!
//! A Flagship flag's rules reach the engine as a [`Targeting`](crate::Targeting) in
//! [`Dialect::Flagship`](crate::Dialect::Flagship) whose rule is
//! `{"account_id": "<account>", "rules": [<rule>, ...]}`: the rules as the definitions wrote
//! them (checked by [`lint`], never rejected), and the account whose id seeds the rollout
//! hash. A flag without rules has no targeting.

pub mod grammar;
mod lint;

pub use crate::import::flagship::import;
pub use grammar::OPERATORS;
pub use lint::{lint, lint_targeting};
