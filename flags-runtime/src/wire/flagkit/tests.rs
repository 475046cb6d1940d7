use std::time::Duration;

use serde_json::json;

use super::pii::{self, Pii};
use super::sign::{self, BootstrapProblem};
use super::stream::{self, StreamErrorCode, StreamMessage};
use super::*;
use crate::key::FlagKey;
use crate::value::Value;

fn state(value: J) -> FlagState {
    FlagState::parse(&value).unwrap()
}

#[test]
fn flag_states_are_read_with_their_types_and_defaults() {
    let s = state(
        json!({"key": "dark", "value": true, "enabled": true, "version": 3,
        "flagType": "boolean", "lastModified": "2026-01-01T00:00:00Z"}),
    );
    assert_eq!(s.key, "dark");
    assert_eq!(s.flag_type, FlagType::Boolean);
    assert_eq!(s.version, Some(3));
    assert!(!s.deleted);
    // No flagType, or one FlagKit does not know: the value decides.
    assert_eq!(
        state(json!({"key": "n", "value": 2.5})).flag_type,
        FlagType::Number
    );
    assert_eq!(
        state(json!({"key": "o", "value": {"a": 1}, "flagType": "weird"})).flag_type,
        FlagType::Json
    );
    let bare = state(json!({"key": "b"}));
    assert!(bare.enabled, "enabled by default");
    assert_eq!(bare.value, J::Null);
    assert!(state(json!({"key": "d", "deleted": true})).deleted);
    assert!(state(json!({"key": "d", "deletedAt": "2026-01-01T00:00:00Z"})).deleted);
    assert!(FlagState::parse(&json!({"value": 1})).is_err());
    assert!(FlagState::parse(&json!({"key": ""})).is_err());
    assert!(FlagState::parse(&json!({"key": "k", "enabled": "yes"})).is_err());
    assert!(FlagState::parse(&json!([1])).is_err());
}

#[test]
fn flag_types_map_to_value_types() {
    assert_eq!(FlagType::parse("boolean"), Some(FlagType::Boolean));
    assert_eq!(FlagType::parse("string"), Some(FlagType::String));
    assert_eq!(FlagType::parse("number"), Some(FlagType::Number));
    assert_eq!(FlagType::parse("json"), Some(FlagType::Json));
    assert_eq!(FlagType::parse("Boolean"), None);
    assert!(FlagType::Json.fits(&json!([1])));
    assert!(FlagType::Json.fits(&J::Null));
    assert!(!FlagType::Json.fits(&json!("x")));
    assert!(FlagType::Number.fits(&json!(1)));
    assert!(!FlagType::Boolean.fits(&json!("true")));
}

#[test]
fn resolutions_serve_values_disable_and_refuse_mistyped_values() {
    let on = state(json!({"key": "k", "value": 7, "flagType": "number", "version": 2}))
        .resolution(&Reason::Static);
    let d = on.to_details(&FlagKey::new("k", 0_i64));
    assert_eq!((d.value, d.reason, d.error), (7, Reason::Static, None));
    assert_eq!(d.flag_metadata.get("version"), Some(&MetadataValue::Int(2)));
    assert_eq!(
        d.flag_metadata.get("flagType"),
        Some(&MetadataValue::String("number".into()))
    );
    // A read of the wrong type.
    let d = on.to_details(&FlagKey::new("k", false));
    assert_eq!(d.error.unwrap().code, ErrorCode::TypeMismatch);
    // Disabled: the caller's default, reason DISABLED, no error.
    let off =
        state(json!({"key": "k", "value": true, "enabled": false})).resolution(&Reason::Static);
    let d = off.to_details(&FlagKey::new("k", false));
    assert_eq!(
        (d.value, d.reason, d.error),
        (false, Reason::Disabled, None)
    );
    // Declared boolean, served a string: the state is broken.
    let broken = state(json!({"key": "k", "value": "yes", "flagType": "boolean"}))
        .resolution(&Reason::Static);
    let d = broken.to_details(&FlagKey::new("k", true));
    assert!(d.value);
    assert_eq!(d.error.unwrap().code, ErrorCode::ParseError);
}

#[test]
fn the_init_answer_is_read_whole() {
    let body = json!({
        "flags": [{"key": "a", "value": true, "flagType": "boolean"}, {"nokey": 1}],
        "environment": "production", "environmentId": "env-1", "projectId": "p",
        "organizationId": "o", "serverTime": "2026-12-05T03:00:00+00:00",
        "pollingIntervalSeconds": 5, "streamingUrl": "https://s.example/stream",
        "metadata": {"sdkVersionMin": "2.0.0", "sdkVersionRecommended": "2.1.0",
            "sdkVersionLatest": "2.2.0", "deprecationWarning": "upgrade"}
    })
    .to_string();
    let init = parse_init(body.as_bytes()).unwrap();
    assert_eq!(init.flags.len(), 1);
    assert_eq!(init.skipped, ["a flag state has no `key`"]);
    assert_eq!(init.environment_id.as_deref(), Some("env-1"));
    assert_eq!(
        init.server_time.as_deref(),
        Some("2026-12-05T03:00:00+00:00")
    );
    assert_eq!(init.polling_interval, Duration::from_secs(5));
    assert_eq!(
        init.streaming_url.as_deref(),
        Some("https://s.example/stream")
    );
    assert_eq!(init.sdk.min.as_deref(), Some("2.0.0"));
    assert_eq!(init.sdk.recommended.as_deref(), Some("2.1.0"));
    assert_eq!(init.sdk.latest.as_deref(), Some("2.2.0"));
    assert_eq!(init.sdk.deprecation_warning.as_deref(), Some("upgrade"));
    let bare = parse_init(br#"{"flags": []}"#).unwrap();
    assert_eq!(bare.polling_interval, DEFAULT_POLLING_INTERVAL);
    assert_eq!(bare.sdk, SdkAdvice::default());
    for bad in [&b"nope"[..], b"[]", br#"{"flags": {}}"#, b""] {
        let error = parse_init(bad).unwrap_err();
        assert_eq!(error.code, ErrorCode::ParseError);
        assert_eq!(error.kind.number(), 1999);
    }
}

#[test]
fn updates_carry_changes_and_deletions_in_both_forms() {
    let body = json!({
        "flags": [
            {"key": "a", "value": 1},
            {"key": "gone", "value": null, "deleted": true}
        ],
        "deleted": ["old", 3, ""],
        "deletedFlags": ["older"],
        "checkedAt": "2026-12-05T03:00:05Z",
        "since": "2026-12-05T03:00:00Z"
    })
    .to_string();
    let updates = parse_updates(body.as_bytes()).unwrap();
    assert_eq!(updates.changed.len(), 1);
    assert_eq!(updates.changed[0].key, "a");
    assert_eq!(updates.deleted, ["old", "older", "gone"]);
    assert_eq!(updates.checked_at.as_deref(), Some("2026-12-05T03:00:05Z"));
}

#[test]
fn since_is_percent_encoded() {
    assert_eq!(
        updates_url("http://h/api/v1/", "2026-12-05T03:00:00.123+00:00"),
        "http://h/api/v1/sdk/updates?since=2026-12-05T03%3A00%3A00.123%2B00%3A00"
    );
    assert_eq!(
        url("http://h/api/v1", "/sdk/init"),
        "http://h/api/v1/sdk/init"
    );
}

#[test]
fn statuses_map_to_openfeature_codes_and_keep_flagkit_numbers() {
    let cases = [
        (400, ErrorCode::InvalidContext, 1203),
        (401, ErrorCode::ProviderFatal, 1100),
        (403, ErrorCode::ProviderFatal, 1103),
        (404, ErrorCode::FlagNotFound, 1200),
        (429, ErrorCode::General, 1104),
        (500, ErrorCode::General, 1306),
        (503, ErrorCode::General, 1306),
        (418, ErrorCode::General, 1999),
    ];
    for (status, code, number) in cases {
        let error = status_error(status, None, b"", None);
        assert_eq!(
            (error.code, error.kind.number()),
            (code, number),
            "{status}"
        );
        let r = error.resolution();
        assert_eq!(
            r.metadata.get("flagkitErrorCode"),
            Some(&MetadataValue::Int(number))
        );
    }
    let error = status_error(
        400,
        Some("application/json"),
        br#"{"message": "bad context for sdk_abcdef123", "requestId": "req-9"}"#,
        Some("req-header"),
    );
    assert_eq!(error.request_id.as_deref(), Some("req-9"));
    assert!(error.message.contains("bad context"), "{}", error.message);
    assert!(!error.message.contains("abcdef123"), "{}", error.message);
    let error = status_error(500, None, br#"{"error": "boom"}"#, Some("req-h"));
    assert!(error.message.ends_with("boom"));
    assert_eq!(error.request_id.as_deref(), Some("req-h"));
    let html = status_error(502, Some("text/html"), b"<html>secret page</html>", None);
    assert!(!html.message.contains("secret"), "{}", html.message);
    // A long body is cut short.
    let long = format!(r#"{{"message": "{}"}}"#, "x".repeat(5000));
    assert!(status_error(500, None, long.as_bytes(), None).message.len() < 400);
}

#[test]
fn transport_failures_map_to_network_codes() {
    let timeout = transport_error(&TransportError::Timeout);
    assert_eq!(timeout.kind.number(), 1301);
    let refused = transport_error(&TransportError::Connect {
        message: "refused".into(),
    });
    assert_eq!(refused.kind.number(), 1303);
    let other = transport_error(&TransportError::Network {
        message: "reset".into(),
    });
    assert_eq!(other.kind.number(), 1300);
    let status = transport_error(&TransportError::Status {
        status: 404,
        retry_after: None,
        content_type: None,
        body: bytes::Bytes::new(),
        headers: flags_http::Headers::new(),
    });
    assert_eq!(
        (status.code, status.kind.number()),
        (ErrorCode::FlagNotFound, 1200)
    );
}

#[test]
fn evaluations_map_reasons_and_read_the_bulk_answer() {
    let r = parse_evaluate(
        "k",
        br#"{"flagKey":"k","value":"blue","enabled":true,"reason":"RULE_MATCH","version":4}"#,
    );
    let d = r.to_details(&FlagKey::new("k", String::new()));
    assert_eq!(
        (d.value.as_str(), d.reason),
        ("blue", Reason::TargetingMatch)
    );
    let r = parse_evaluate(
        "k",
        br#"{"flagKey":"k","value":true,"enabled":false,"reason":"FLAG_DISABLED"}"#,
    );
    assert_eq!(r.reason, Reason::Disabled);
    let r = parse_evaluate(
        "k",
        br#"{"flagKey":"k","value":null,"reason":"FLAG_NOT_FOUND"}"#,
    );
    assert_eq!(r.error.unwrap().code, ErrorCode::FlagNotFound);
    let r = parse_evaluate("k", b"{oops");
    assert_eq!(r.error.unwrap().code, ErrorCode::ParseError);
    let all = parse_evaluate_all(
        br#"{"flags":{"a":{"value":1,"reason":"FALLTHROUGH"},"b":7},"evaluatedAt":"t"}"#,
    )
    .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].1.reason, Reason::Default);
    assert_eq!(all[1].1.error.as_ref().unwrap().code, ErrorCode::ParseError);
    assert!(parse_evaluate_all(br#"{"flags":[]}"#).is_err());
}

#[test]
fn canonical_json_sorts_keys_and_escapes_like_python() {
    let value = json!({"b": [1, 2.5, "é😀"], "a": {"z": null, "y": true}, "é": "\n\u{7f}"});
    assert_eq!(
        sign::canonical(&value),
        r#"{"a":{"y":true,"z":null},"b":[1,2.5,"\u00e9\ud83d\ude00"],"\u00e9":"\n\u007f"}"#
    );
}

#[test]
fn hmac_matches_the_rfc_4231_vector() {
    // RFC 4231, test case 2.
    assert_eq!(
        sign::hmac_hex("Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let headers = sign::request_headers("sdk_abcdefgh123", 1_700_000_000_000, b"{}");
    assert_eq!(
        headers[0].1,
        sign::hmac_hex("sdk_abcdefgh123", b"1700000000000.{}")
    );
    assert_eq!(headers[1], ("X-Timestamp", "1700000000000".to_owned()));
    assert_eq!(headers[2], ("X-Key-Id", "sdk_abcd".to_owned()));
    assert_eq!(sign::key_id("sdk_é"), "sdk_é");
}

#[test]
fn bootstraps_are_verified_before_use() {
    let key = "sdk_secret_key";
    let doc =
        sign::parse_bootstrap(r#"{"flags": {"a": true, "b": "x"}, "timestamp": 1000000}"#).unwrap();
    let signature = sign::bootstrap_signature(key, &doc.flags, doc.timestamp_ms);
    let max = Some(Duration::from_secs(60));
    assert_eq!(
        sign::verify_bootstrap(key, &doc, &signature, max, 1_030_000),
        Ok(())
    );
    assert_eq!(
        sign::verify_bootstrap("sdk_other", &doc, &signature, max, 1_030_000),
        Err(BootstrapProblem::BadSignature)
    );
    assert_eq!(
        sign::verify_bootstrap(key, &doc, "zz", max, 1_030_000),
        Err(BootstrapProblem::BadSignature)
    );
    assert!(matches!(
        sign::verify_bootstrap(key, &doc, &signature, max, 1_000_000 + 61_000),
        Err(BootstrapProblem::TooOld { .. })
    ));
    assert_eq!(
        sign::verify_bootstrap(key, &doc, &signature, max, 1_000_000 - 120_000),
        Err(BootstrapProblem::FromTheFuture)
    );
    // A tampered flag.
    let mut tampered = doc.clone();
    tampered.flags.insert("a".into(), json!(false));
    assert_eq!(
        sign::verify_bootstrap(key, &tampered, &signature, max, 1_030_000),
        Err(BootstrapProblem::BadSignature)
    );
    // A bare map has no timestamp: fine without a maximum age, refused with one.
    let bare = sign::parse_bootstrap(r#"{"a": true}"#).unwrap();
    let signature = sign::bootstrap_signature(key, &bare.flags, None);
    assert_eq!(
        sign::verify_bootstrap(key, &bare, &signature, None, 0),
        Ok(())
    );
    assert_eq!(
        sign::verify_bootstrap(key, &bare, &signature, max, 0),
        Err(BootstrapProblem::NoTimestamp)
    );
    assert!(sign::parse_bootstrap("[1]").is_err());
    assert!(sign::parse_bootstrap(r#"{"flags": {}, "timestamp": "x"}"#).is_err());
}

#[test]
fn messages_are_sanitised() {
    let dirty = "refused sdk_live_1234 at https://user:pw@api.example/v1/x?token=abc (srv_x-y) \
                 for bob@example.com; token=zzz&x";
    let clean = sign::sanitize(dirty);
    for secret in ["live_1234", "user:pw", "token=abc", "x-y", "bob@", "zzz"] {
        assert!(!clean.contains(secret), "{secret} in {clean}");
    }
    assert!(clean.contains("sdk_[REDACTED]"), "{clean}");
    assert!(clean.contains("https://api.example/v1/x"), "{clean}");
    assert!(clean.contains("[EMAIL]"), "{clean}");
    assert_eq!(
        sign::sanitize("my_sdk_thing is fine"),
        "my_sdk_thing is fine"
    );
}

#[test]
fn sanitising_never_panics_on_any_text() {
    let pieces = [
        "é",
        "😀",
        "://",
        "@",
        ".",
        "sdk_",
        "srv_x",
        "token=",
        "&",
        "`",
        "a",
        " ",
        "%",
        "-",
        "+",
        "\u{300}",
        "ß@ü.de",
        "http://ü:p@h/é?token=ä",
    ];
    // Every sequence of up to three pieces, and each with multi-byte characters around.
    for a in pieces {
        for b in pieces {
            for c in pieces {
                let text = format!("{a}{b}{c}");
                let clean = sign::sanitize(&text);
                assert!(!clean.contains("token=ä"), "{text} -> {clean}");
                let _ = sign::sanitize(&format!("é{text}😀"));
            }
        }
    }
    assert_eq!(sign::sanitize("é://x"), "é://x");
}

#[test]
fn pii_is_found_by_value_and_by_name() {
    for (text, kind) in [
        ("bob@example.com", Pii::Email),
        ("+44 20 7946 0958", Pii::Phone),
        ("(555) 123-4567", Pii::Phone),
        ("4111 1111 1111 1111", Pii::Card),
        ("4111111111111111", Pii::Card),
        ("123-45-6789", Pii::NationalId),
    ] {
        assert_eq!(pii::by_value(text), Some(kind), "{text}");
    }
    for text in [
        "premium",
        "user-123",
        "2026-12-05",
        "4111111111111112",
        "12345",
        "a@b",
    ] {
        assert_eq!(pii::by_value(text), None, "{text}");
    }
    let ctx = crate::Context::new("u")
        .with("plan", "premium")
        .with("contact", "bob@example.com");
    assert_eq!(
        pii::find(ctx.attributes(), &[]),
        Some(("contact".to_owned(), Pii::Email))
    );
    assert_eq!(pii::find(ctx.attributes(), &["contact".to_owned()]), None);
    // By name, nested.
    let mut map = std::collections::BTreeMap::new();
    map.insert("Phone_Number".to_owned(), Value::from("n/a"));
    let ctx = crate::Context::new("u").with("profile", Value::Map(map));
    assert_eq!(
        pii::find(ctx.attributes(), &[]),
        Some(("profile.Phone_Number".to_owned(), Pii::Phone))
    );
    assert_eq!(
        pii::find(ctx.attributes(), &["profile.Phone_Number".to_owned()]),
        None
    );
}

#[test]
fn stream_tokens_and_messages_are_read() {
    let token = stream::parse_token(br#"{"token":"t-1","expiresIn":600}"#).unwrap();
    assert_eq!(token.token, "t-1");
    assert_eq!(token.expires_in, Duration::from_secs(600));
    assert!(stream::parse_token(br#"{"token":"","expiresIn":600}"#).is_err());
    assert!(stream::parse_token(br#"{"token":"t","expiresIn":0}"#).is_err());
    assert_eq!(
        stream::stream_url("http://h/api/v1", "a+b/c"),
        "http://h/api/v1/sdk/stream?token=a%2Bb%2Fc"
    );
    assert!(matches!(
        stream::parse_message("flag_updated", r#"{"key":"a","value":1}"#),
        StreamMessage::Updated(s) if s.key == "a"
    ));
    assert_eq!(
        stream::parse_message("flag_deleted", r#"{"key":"a"}"#),
        StreamMessage::Deleted("a".into())
    );
    assert!(matches!(
        stream::parse_message("flags_reset", r#"[{"key":"a","value":1},{"key":"b"}]"#),
        StreamMessage::Reset(states) if states.len() == 2
    ));
    assert_eq!(
        stream::parse_message("heartbeat", ""),
        StreamMessage::Heartbeat
    );
    for (code, expected) in [
        ("TOKEN_INVALID", StreamErrorCode::Token),
        ("TOKEN_EXPIRED", StreamErrorCode::Token),
        ("SUBSCRIPTION_SUSPENDED", StreamErrorCode::Suspended),
        ("STREAMING_UNAVAILABLE", StreamErrorCode::Unavailable),
        ("CONNECTION_LIMIT", StreamErrorCode::ConnectionLimit),
        ("NEW", StreamErrorCode::Other("NEW".into())),
    ] {
        let data = json!({"code": code, "message": "m"}).to_string();
        assert!(
            matches!(stream::parse_message("error", &data), StreamMessage::Error { code, .. } if code == expected),
            "{code}"
        );
    }
    assert!(matches!(
        stream::parse_message("flag_updated", "{oops"),
        StreamMessage::Ignored(_)
    ));
    assert!(matches!(
        stream::parse_message("other", "{}"),
        StreamMessage::Ignored(_)
    ));
}

#[test]
fn answers_cut_or_retyped_anywhere_are_errors_not_panics() {
    let init = json!({
        "flags": [{"key": "a", "value": {"x": [1, 2.5, "é"]}, "enabled": true, "version": 2,
            "flagType": "json", "lastModified": "2026-12-01T00:00:00Z", "deleted": false}],
        "environmentId": "e", "serverTime": "2026-12-05T03:00:00Z",
        "pollingIntervalSeconds": 1e308, "metadata": {"sdkVersionMin": "1.0.0"},
        "deleted": ["b"], "checkedAt": "t", "token": "t", "expiresIn": -1
    })
    .to_string();
    let bodies = (0..=init.len())
        .filter(|cut| init.is_char_boundary(*cut))
        .map(|cut| init[..cut].to_owned());
    for body in bodies {
        let _ = parse_init(body.as_bytes());
        let _ = parse_updates(body.as_bytes());
        let _ = parse_evaluate("a", body.as_bytes());
        let _ = parse_evaluate_all(body.as_bytes());
        let _ = stream::parse_token(body.as_bytes());
        for event in [
            "flag_updated",
            "flag_deleted",
            "flags_reset",
            "error",
            "heartbeat",
        ] {
            let _ = stream::parse_message(event, &body);
        }
        let _ = status_error(500, Some("application/json"), body.as_bytes(), None);
    }
    // Every field of the whole answer replaced by values of every other type.
    let others = [
        J::Null,
        json!(true),
        json!(-1),
        json!(1e300),
        json!("x"),
        json!([]),
        json!({}),
    ];
    let J::Object(fields) = serde_json::from_str::<J>(&init).unwrap() else {
        unreachable!()
    };
    for name in fields.keys() {
        for other in &others {
            let mut changed = fields.clone();
            changed.insert(name.clone(), other.clone());
            let body = J::Object(changed).to_string();
            let _ = parse_init(body.as_bytes());
            let _ = parse_updates(body.as_bytes());
            let _ = stream::parse_token(body.as_bytes());
        }
    }
    for other in &others {
        let state = json!({"key": "a", "value": other, "enabled": other, "version": other,
            "flagType": other, "lastModified": other, "deleted": other});
        if let Ok(state) = FlagState::parse(&state) {
            let _ = state
                .resolution(&Reason::Static)
                .to_details(&FlagKey::new("a", 0_i64));
        }
    }
    // A huge polling interval is capped, not overflowed.
    assert!(parse_init(init.as_bytes()).unwrap().polling_interval <= Duration::from_secs(86_400));
}
