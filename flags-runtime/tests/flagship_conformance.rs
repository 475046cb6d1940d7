//! Our conformance file for Cloudflare Flagship's rules (`conformance/flagship/cases.json`,
//! expectations from Flagship's port of its data plane, reviewed): every case through the
//! public API, as one configuration of all the cases' flags; and the MurmurHash3 vectors, as
//! rollouts that split exactly at the vector's bucket.

mod flagship_support;

use flagship_support::{agrees, client, flag, flag_key, read};
use serde_json::{Value, json};

fn cases() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../conformance/flagship/cases.json"
    );
    let text = std::fs::read_to_string(path).expect("conformance/flagship/cases.json is readable");
    serde_json::from_str(&text).expect("cases.json is JSON")
}

#[test]
fn every_case_answers_as_flagship() {
    let doc = cases();
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let flags = cases.iter().enumerate().map(|(i, case)| {
        let account = case["account"].as_str().expect("account");
        let flag =
            flag(account, &case["flag"]).unwrap_or_else(|e| panic!("case `{}`: {e}", case["name"]));
        (flag_key(i), flag)
    });
    let client = client(flags).expect("the cases load");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let expected: Vec<&Value> = match (&case["expected"], &case["expectedOneOf"]) {
            (Value::Object(_), _) => vec![&case["expected"]],
            (_, Value::Array(all)) => all.iter().collect(),
            _ => panic!("case `{}` has no expectation", case["name"]),
        };
        // A random case is read several times: every answer is one Flagship can give.
        let reads = if expected.len() > 1 { 20 } else { 1 };
        for _ in 0..reads {
            let ours = read(&client, &flag_key(i), case);
            if !expected.iter().any(|e| agrees(e, &ours)) {
                failures.push(format!(
                    "{}: expected {}, got {ours}",
                    case["name"],
                    serde_json::to_string(&expected).unwrap_or_default()
                ));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Each vector's hash, seen through the engine: with seed `s` as the rollout's seed, the
/// bucket of the input is `(h % 100) + (h / 100) / 42949673`; a rollout at exactly that
/// percentage leaves the input out, one a hair above takes it in. The seed of a flag is
/// `murmur3(account + ":" + key, 0) % 100`, so the vectors with seed 0 are checked as the
/// seed of a flag too.
#[test]
fn murmur_vectors_decide_rollouts() {
    let doc = cases();
    let vectors = doc["murmur"].as_array().expect("murmur vectors");
    assert_eq!(vectors.len(), 7);
    for vector in vectors {
        let input = vector["input"]
            .as_str()
            .expect("input")
            .repeat(vector["repeat"].as_u64().unwrap_or(1) as usize);
        let seed = vector["seed"].as_u64().expect("seed") as u32;
        let hash = vector["hash"].as_u64().expect("hash") as u32;
        let bucket = f64::from(hash % 100) + f64::from(hash / 100) / 42_949_673.0;
        // A flag whose seed is `seed`: an account and key found by search.
        let (account, key) = seeded(seed);
        for (percentage, reason) in [(bucket, "DEFAULT"), (next_up(bucket), "SPLIT")] {
            let definition = json!({
                "key": key, "enabled": true, "default_variation": "off",
                "variations": { "on": true, "off": false },
                "rules": [{ "conditions": [], "serve_variation": "on",
                            "rollout": { "percentage": percentage, "attribute": "k" } }]
            });
            let client = client([("f".to_owned(), flag(&account, &definition).expect("flag"))])
                .expect("loads");
            let case = json!({ "type": "boolean", "default": false, "context": { "k": input } });
            let ours = read(&client, "f", &case);
            assert_eq!(ours["reason"], json!(reason), "{vector} at {percentage}");
        }
    }
}

/// An account and flag key whose rollout seed is `seed`.
fn seeded(seed: u32) -> (String, String) {
    // murmur3("aaaabbbbccccdddd1111222233334444:rollout_test", 0) = 3744267545, % 100 = 45.
    if seed == 45 {
        return (
            "aaaabbbbccccdddd1111222233334444".into(),
            "rollout_test".into(),
        );
    }
    for i in 0.. {
        let key = format!("k{i}");
        if murmur3_seed0(format!("acct:{key}").as_bytes()) % 100 == seed {
            return ("acct".into(), key);
        }
    }
    unreachable!()
}

/// The reference MurmurHash3 x86 32-bit, seed 0, byte by byte (to find keys for a seed).
fn murmur3_seed0(data: &[u8]) -> u32 {
    let (c1, c2) = (0xcc9e_2d51u32, 0x1b87_3593u32);
    let mut h = 0u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        h ^= k.wrapping_mul(c1).rotate_left(15).wrapping_mul(c2);
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let mut k = 0u32;
    for (i, byte) in chunks.remainder().iter().enumerate() {
        k |= u32::from(*byte) << (8 * i);
    }
    if !chunks.remainder().is_empty() {
        h ^= k.wrapping_mul(c1).rotate_left(15).wrapping_mul(c2);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

fn next_up(x: f64) -> f64 {
    f64::from_bits(x.to_bits() + 1)
}
