//! For the fuzz target `fast_paths` (`fuzz/`, built with `--cfg fuzzing` only): the
//! differential check of `fast_tests.rs` over one rule and one context from the fuzzer, so that
//! inputs nobody generated meet the specialised forms too.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::Rule;
use crate::context::Context;
use crate::engine::rule::Pick;
use crate::engine::{EngineOptions, FractionalVersion};

/// The specialised form of `targeting`, made for `flag_key` under each `fractional` version,
/// picks what the interpreter chooses for `ctx`; a disagreement panics (the fuzzer's crash).
/// Whether the form answered under any version (else the interpreter did).
pub(crate) fn check_specialised(targeting: &Json, flag_key: &str, ctx: &Context) -> bool {
    let variants: BTreeMap<String, Json> = [
        "blue", "green", "red", "on", "off", "true", "1", "2.5", "null",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), Json::from(name)))
    .collect();
    let names: Vec<&String> = variants.keys().collect();
    let mut answered = false;
    for version in [
        FractionalVersion::V1,
        FractionalVersion::V2,
        FractionalVersion::V3,
    ] {
        let options = EngineOptions::default().with_fractional(version);
        let Ok(mut rule) = Rule::compile(targeting, &BTreeMap::new(), &options) else {
            return false;
        };
        rule.specialise(flag_key, &variants, &options);
        let expected = rule.choose(flag_key, ctx, &options, str::to_owned);
        match rule.pick(flag_key, ctx, &options) {
            Pick::Variant(i, _) => {
                assert_eq!(
                    expected,
                    Ok(Some(names[i as usize].clone())),
                    "{targeting} for {flag_key:?} in {ctx:?}, {version:?}"
                );
                answered = true;
            }
            Pick::Default => {
                assert_eq!(
                    expected,
                    Ok(None),
                    "{targeting} for {flag_key:?} in {ctx:?}, {version:?}"
                );
                answered = true;
            }
            Pick::General => {}
            other => panic!("a flagd rule picked {other:?}"),
        }
    }
    answered
}
