//! The Rust side of the differential test against Flagship's port of its data plane
//! (`conformance/flagship/run.sh`): evaluates cases that carry the oracle's expectations
//! through the public API and reports every disagreement.
//!
//! ```text
//! cargo run -p flags-runtime --example flagship_conformance -- EXPECTED.json [SHOW]
//! ```
//!
//! `EXPECTED.json` is `oracle.py`'s output: cases `{name, account, flag, context, type,
//! default}` with `expected` (or `expectedOneOf` for cases that draw random buckets: any of
//! them agrees). All cases' flags are served by one client (see
//! `tests/flagship_support/mod.rs`). Prints "N cases, M disagreements" and the first `SHOW`
//! (default 30) disagreements in full; exits 1 on any.

#[path = "../tests/flagship_support/mod.rs"]
mod flagship_support;

use flagship_support::{agrees, client, flag, flag_key, read};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: flagship_conformance EXPECTED.json [SHOW]");
        std::process::exit(2);
    };
    let show: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let doc: Value = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| {
            eprintln!("cannot read `{path}` as JSON");
            std::process::exit(2);
        });
    let cases = doc["cases"].as_array().cloned().unwrap_or_default();
    let mut flags = Vec::with_capacity(cases.len());
    let mut unloadable = 0;
    for (i, case) in cases.iter().enumerate() {
        match flag(case["account"].as_str().unwrap_or_default(), &case["flag"]) {
            Ok(flag) => flags.push((flag_key(i), flag)),
            Err(_) => unloadable += 1,
        }
    }
    let client = client(flags).unwrap_or_else(|e| {
        eprintln!("the cases do not load: {e}");
        std::process::exit(2);
    });
    let (mut disagreements, mut random) = (Vec::new(), 0);
    for (i, case) in cases.iter().enumerate() {
        let expected: Vec<&Value> = match &case["expectedOneOf"] {
            Value::Array(all) => {
                random += 1;
                all.iter().collect()
            }
            _ => vec![&case["expected"]],
        };
        let key = flag_key(i);
        // Evaluation never panics; if it did, the case says so instead of ending the run.
        let ours =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&client, &key, case)))
                .unwrap_or_else(|_| serde_json::json!({ "reason": "PANIC" }));
        if !expected.iter().any(|e| agrees(e, &ours)) {
            disagreements.push(format!(
                "{}\n  flag:     {}\n  context:  {}\n  type:     {}\n  expected: {}\n  ours:     {ours}",
                case["name"],
                case["flag"],
                case["context"],
                case["type"],
                serde_json::to_string(&expected).unwrap_or_default()
            ));
        }
    }
    for d in disagreements.iter().take(show) {
        println!("{d}");
    }
    println!(
        "{} cases ({random} drawing random buckets, compared by the set of answers; {unloadable} \
         that the importer rejects, not evaluated), {} disagreements",
        cases.len(),
        disagreements.len()
    );
    if !disagreements.is_empty() {
        std::process::exit(1);
    }
}
