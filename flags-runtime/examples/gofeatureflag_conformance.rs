//! The Rust side of the differential test against GO Feature Flag's own engine
//! (`conformance/gofeatureflag/run.sh`): evaluates cases that carry the engine's answers
//! through the public API and reports every disagreement.
//!
//! ```text
//! cargo run -p flags-runtime --example gofeatureflag_conformance -- EXPECTED.json [SHOW]
//! ```
//!
//! `EXPECTED.json` is `oracle.py`'s output: cases `{name, flagKey, flag, context, type,
//! default, enrichment?}` with the engine's answer in `expected`. All cases' flags are served by one client
//! (see `tests/gofeatureflag_support/mod.rs`). Cases where the engine traps are counted, not
//! compared. Prints "N cases, M disagreements" and the first `SHOW` (default 30) disagreements
//! in full; exits 1 on any.

#[path = "../tests/gofeatureflag_support/mod.rs"]
mod gofeatureflag_support;

use gofeatureflag_support::{agrees, client, expected_outcome, flag, read};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: gofeatureflag_conformance EXPECTED.json [SHOW]");
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
    let flags = cases.iter().map(|case| {
        (
            case["flagKey"].as_str().unwrap_or_default().to_owned(),
            flag(&case["flag"], &case["enrichment"]),
        )
    });
    let client = client(flags).unwrap_or_else(|e| {
        eprintln!("the cases do not load: {e}");
        std::process::exit(2);
    });
    let (mut disagreements, mut traps) = (Vec::new(), 0);
    for case in &cases {
        let expected = expected_outcome(case);
        if expected["trap"] == Value::Bool(true) {
            traps += 1;
            continue;
        }
        // Evaluation never panics; if it did, the case says so instead of ending the run.
        let ours = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&client, case)))
            .unwrap_or_else(|_| serde_json::json!({ "reason": "PANIC" }));
        if !agrees(&expected, &ours) {
            disagreements.push(format!(
                "{}\n  flag:     {}\n  context:  {}\n  enriched: {}\n  type:     {}\n  engine:   {}\n  expected: {expected}\n  ours:     {ours}",
                case["name"], case["flag"], case["context"], case["enrichment"], case["type"], case["expected"]
            ));
        }
    }
    for d in disagreements.iter().take(show) {
        println!("{d}");
    }
    println!(
        "{} cases ({traps} where the engine traps, not compared), {} disagreements",
        cases.len(),
        disagreements.len()
    );
    if !disagreements.is_empty() {
        std::process::exit(1);
    }
}
