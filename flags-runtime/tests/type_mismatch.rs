//! A value that cannot be read as the requested type answers the code default with
//! `TYPE_MISMATCH` and a message that quotes at most a short prefix of the value, whatever its
//! size and whichever provider read it (in process, in memory, OFREP per flag and in bulk).

use flags_runtime::{
    Client, Context, ErrorCode, EvaluationDetails, FlagKey, InMemory, InMemoryFlag, Reason, source,
};
use serde_json::{Value, json};

/// Of a message: never longer than this, whatever the value (the key and the type are ours).
const LONGEST: usize = 700;

/// A string of `n` characters that is not a number, with a recognisable start.
fn huge(n: usize) -> String {
    let mut s = String::with_capacity(n);
    s.push_str("START-");
    while s.len() < n {
        s.push_str("abcdefghij");
    }
    s
}

const MIB: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    max: i64,
}

fn assert_short_mismatch<T: std::fmt::Debug>(details: &EvaluationDetails<T>, contains: &[&str]) {
    assert_eq!(details.reason, Reason::Error);
    let error = details.error.as_ref().expect("an error");
    assert_eq!(error.code, ErrorCode::TypeMismatch, "{error:?}");
    let message = &error.message;
    assert!(
        message.chars().count() <= LONGEST,
        "a message of {} characters: {}…",
        message.len(),
        message.chars().take(300).collect::<String>()
    );
    for part in contains {
        assert!(message.contains(part), "{part:?} in {message}");
    }
}

fn in_process(flags: Value) -> Client {
    Client::builder()
        .in_process(source::json(json!({ "flags": flags }).to_string()))
        .build()
        .unwrap()
}

fn flag(value: Value) -> Value {
    json!({ "state": "ENABLED", "variants": { "v": value }, "defaultVariant": "v" })
}

#[test]
fn in_process_a_huge_string_read_as_a_number() {
    let client = in_process(json!({ "big": flag(json!(huge(4 * MIB))) }));
    let details = client.details(FlagKey::<i64>::new("big", 7), &Context::anonymous());
    assert_eq!(details.value, 7);
    assert_short_mismatch(
        &details,
        &[
            "flag `big` cannot be read as `i64`",
            "\"START-abcd",
            "…\"",
            "expected i64",
        ],
    );
    // As a bool too.
    let details = client.details(FlagKey::<bool>::new("big", true), &Context::anonymous());
    assert!(details.value);
    assert_short_mismatch(&details, &["\"START-abcd", "expected a boolean"]);
}

#[test]
fn in_process_a_huge_object_read_as_a_struct() {
    let default = Limits { max: 1 };
    let key = FlagKey::<Limits>::new("limits", default.clone());
    // A field of the wrong type holding megabytes.
    let client = in_process(json!({ "limits": flag(json!({ "max": huge(4 * MIB) })) }));
    let details = client.details(&key, &Context::anonymous());
    assert_eq!(details.value, default);
    assert_short_mismatch(&details, &["at `max`", "\"START-abcd", "expected i64"]);
    // An unknown field whose name holds megabytes (the path and the message name it).
    let client =
        in_process(json!({ "limits": flag(json!({ "max": 3, huge(MIB): { huge(MIB): 1 } })) }));
    let details = client.details(&key, &Context::anonymous());
    assert_short_mismatch(&details, &["unknown field `START-abcd"]);
}

#[test]
fn in_process_a_rule_that_names_a_huge_variant() {
    // Not a type mismatch, but the same kind of message: a variant name taken from the context.
    let client = in_process(json!({ "pick": {
        "state": "ENABLED", "variants": { "a": 1 }, "defaultVariant": "a",
        "targeting": { "var": "choice" } } }));
    let ctx = Context::new("u").with("choice", huge(4 * MIB));
    let details = client.details(FlagKey::<i64>::new("pick", 0), &ctx);
    let error = details.error.expect("an error");
    assert_eq!(error.code, ErrorCode::General);
    let message = error.message;
    assert!(message.len() <= LONGEST, "{} bytes", message.len());
    assert!(message.contains("chose `START-abcd"), "{message}");
}

#[test]
fn in_memory_a_huge_value_read_as_another_type() {
    let client = InMemory::new([
        (
            "big",
            InMemoryFlag::new([("v", huge(4 * MIB))]).default_variant("v"),
        ),
        (
            "limits",
            InMemoryFlag::new([("v", json!({ "max": huge(4 * MIB) }))]).default_variant("v"),
        ),
    ])
    .client();
    let details = client.details(FlagKey::<i64>::new("big", 7), &Context::anonymous());
    assert_eq!(details.value, 7);
    assert_short_mismatch(
        &details,
        &["flag `big` cannot be read as `i64`", "\"START-abcd"],
    );
    let details = client.details(
        FlagKey::<Limits>::new("limits", Limits { max: 1 }),
        &Context::anonymous(),
    );
    assert_short_mismatch(&details, &["\"START-abcd", "expected i64"]);
}

#[cfg(feature = "http")]
mod remote {
    use std::time::Duration;

    use flags_runtime::remote;
    use flags_test_support::fault::{FaultServer, Reply};

    use super::*;

    fn evaluation(key: &str, value: Value) -> String {
        json!({ "key": key, "value": value, "reason": "STATIC", "variant": "v" }).to_string()
    }

    #[test]
    fn ofrep_per_flag_a_huge_value_read_as_another_type() {
        let server = FaultServer::start();
        server
            .route(
                "POST",
                "/ofrep/v1/evaluate/flags/big",
                Reply::json(&evaluation("big", json!(huge(4 * MIB)))),
            )
            .route(
                "POST",
                "/ofrep/v1/evaluate/flags/limits",
                Reply::json(&evaluation("limits", json!({ "max": huge(4 * MIB) }))),
            );
        let client = Client::builder()
            .remote(remote::ofrep(server.url("")))
            .build()
            .unwrap();
        let blocking = client.blocking();
        let ctx = Context::new("u");
        let details = blocking.details(FlagKey::<i64>::new("big", 7), &ctx);
        assert_eq!(details.value, 7);
        assert_short_mismatch(
            &details,
            &["flag `big` cannot be read as `i64`", "\"START-abcd"],
        );
        let details = blocking.details(FlagKey::<Limits>::new("limits", Limits { max: 1 }), &ctx);
        assert_short_mismatch(&details, &["at `max`", "\"START-abcd", "expected i64"]);
    }

    #[test]
    fn ofrep_bulk_a_huge_value_read_as_another_type() {
        let server = FaultServer::start();
        server.route(
            "POST",
            "/ofrep/v1/evaluate/flags",
            Reply::json(
                &json!({ "flags": [
                    { "key": "big", "value": huge(2 * MIB), "reason": "STATIC" },
                    { "key": "limits", "value": { "max": huge(2 * MIB) }, "reason": "STATIC" }
                ] })
                .to_string(),
            ),
        );
        let ctx = Context::new("device-1");
        let client = Client::builder()
            .remote(remote::ofrep(server.url("")).bulk(ctx.clone(), None))
            .build()
            .unwrap();
        client.wait_ready(Duration::from_secs(10)).unwrap();
        let details = client.details(FlagKey::<i64>::new("big", 7), &ctx);
        assert_eq!(details.value, 7);
        assert_short_mismatch(
            &details,
            &["flag `big` cannot be read as `i64`", "\"START-abcd"],
        );
        let details = client.details(FlagKey::<Limits>::new("limits", Limits { max: 1 }), &ctx);
        assert_short_mismatch(&details, &["\"START-abcd", "expected i64"]);
    }
}
