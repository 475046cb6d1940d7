//! For the fuzz target `fast_paths` (`fuzz/`, built with `--cfg fuzzing` only): the
//! differential checks of `fast_tests.rs` over one query, one flag and one context from the
//! fuzzer, so that inputs nobody generated meet the specialised forms too.

use std::sync::Arc;

use flags_schema::gofeatureflag::query::{Query, parse};
use serde_json::{Value as Json, json};

use super::fast::Clause;
use super::query::{self, Scope};
use crate::context::Context;
use crate::engine::{Clock, EngineOptions};
use crate::flag_value::Decoders;

/// A query of one comparison answers from its clause as the query does (with and without an
/// enrichment), and a flag of the simple shape decides as the general path does, for `ctx`; a
/// disagreement panics (the fuzzer's crash). Whether either specialised form answered.
pub(crate) fn check_specialised(query_text: &str, flag: &Json, ctx: &Context) -> bool {
    let mut answered = false;
    if let Query::Expr(expr) = parse(query_text)
        && let Some(clause) = Clause::new(&expr)
    {
        let enrichment = Context::anonymous().with("name", "ADA");
        let enriched = ctx.merged(&enrichment);
        for (ctx, enrichment) in [(ctx, None), (&enriched, Some(&enrichment))] {
            if let Some(answer) = clause.test(ctx) {
                let general = query::matches(&expr, Scope { ctx, enrichment });
                assert_eq!(answer, general, "{query_text} in {ctx:?}");
                answered = true;
            }
        }
    }
    let key: Arc<str> = Arc::from("flag");
    let decoders = Arc::new(Decoders::default());
    if let Ok(compiled) = super::compile(
        &key,
        &json!({ "flag": flag }),
        &EngineOptions::default(),
        &decoders,
    ) && compiled.simple
    {
        let fast = compiled.decide(&key, ctx, Clock::System);
        let general = compiled.decide_general(&key, ctx, Clock::System);
        assert_eq!(
            format!("{fast:?}"),
            format!("{general:?}"),
            "{flag} in {ctx:?}"
        );
        answered = true;
    }
    answered
}
