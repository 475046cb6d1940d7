//! The importers never panic, whatever JSON they are given: every input is either a manifest
//! or an error.

use serde_json::{Map, Value, json};

/// A small deterministic generator (xorshift), so the test needs no dependency and every run
/// sees the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Keys and strings that mean something to one of the formats, so that generated documents
/// get past the first checks.
const WORDS: &[&str] = &[
    "flags",
    "state",
    "variants",
    "defaultVariant",
    "targeting",
    "metadata",
    "$evaluators",
    "key",
    "flagType",
    "defaultValue",
    "description",
    "formatVersion",
    "source",
    "type",
    "default",
    "ENABLED",
    "DISABLED",
    "boolean",
    "integer",
    "float",
    "object",
    "string",
    "JSON",
    "on",
    "off",
    "if",
    "var",
    "$ref",
    "fractional",
    "sem_ver",
    "starts_with",
    "ends_with",
    "in",
    "==",
    "cat",
    "$flagd.flagKey",
    "$flagd.nope",
    "1.2.3",
    "2.0.0.0",
    "^",
    "*",
    "",
    "deprecated",
    "e",
];

fn value(rng: &mut Rng, depth: usize) -> Value {
    let leaf = depth == 0 || rng.below(3) == 0;
    match rng.below(if leaf { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.below(5) as i64 - 1),
        3 => [
            json!(0.5),
            json!(25.5),
            json!(-3.0),
            json!(1e300),
            json!(2_147_483_648_u64),
            json!(u64::MAX),
        ][rng.below(6)]
        .clone(),
        4 | 5 => Value::from(WORDS[rng.below(WORDS.len())]),
        6 => (0..rng.below(4)).map(|_| value(rng, depth - 1)).collect(),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(5) {
                map.insert(
                    WORDS[rng.below(WORDS.len())].to_owned(),
                    value(rng, depth - 1),
                );
            }
            Value::Object(map)
        }
    }
}

#[test]
fn importers_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut imported = 0;
    for _ in 0..5_000 {
        let document = value(&mut rng, 6);
        let documents = [
            document.clone(),
            json!({ "flags": document.clone() }),
            json!({ "flags": { "f": document.clone() } }),
            json!({ "flags": { "f": { "state": "ENABLED", "variants": { "a": true }, "targeting": document.clone() } } }),
            json!({ "formatVersion": 2, "flags": { "f": document.clone() } }),
            json!({ "flags": { "f": { "enabled": true, "default_variation": "a", "variations": { "a": true }, "rules": document.clone() } } }),
            json!({ "namespace": { "key": "ns" }, "flags": [document.clone(), { "key": "f", "rules": document.clone(), "defaultVariant": document.clone() }] }),
            json!({ "namespace": { "key": "ns", "flags": { "f": document.clone() }, "eval_rules": { "f": document.clone() }, "eval_rollouts": { "f": document.clone() }, "eval_distributions": document.clone() } }),
        ];
        for document in &documents {
            imported += usize::from(flags_schema::import(document, "fuzz").is_ok());
            let _ = flags_schema::flagd::import(document, "fuzz");
            let _ = flags_schema::openfeature_cli::import(document, "fuzz");
            let _ = flags_schema::import_str(&document.to_string(), "fuzz");
            // The runtime's reading, and the lint of whatever it loads.
            if let Ok(loaded) = flags_schema::load_str(&document.to_string(), "fuzz") {
                let _ = flags_schema::flagd::lint(&loaded.manifest);
            }
            // Flagship definitions read with their account, strictly and for evaluation.
            let flagship = flags_schema::Format::Flagship {
                account_id: "acc".into(),
            };
            let _ = flags_schema::import_as(flagship.clone(), document, "fuzz");
            let _ = flags_schema::load_as(flagship, &document.to_string(), "fuzz");
            // Flipt snapshots read for a namespace, and exported as Flipt's engine would.
            let flipt = flags_schema::Format::Flipt {
                namespace: "ns".into(),
            };
            let _ = flags_schema::import_as(flipt.clone(), document, "fuzz");
            let _ = flags_schema::load_as(flipt, &document.to_string(), "fuzz");
            let _ = flags_schema::flipt::engine_snapshot(document, "ns");
        }
    }
    // The generator reaches valid documents too, not only the first error of each format.
    assert!(imported > 100, "only {imported} documents imported");
}
