//! The Flagship request and answer: URLs, option validation, GET or POST by context, and
//! how answers and statuses are read.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use serde_json::json;

use super::*;
use crate::value::Value;

fn ids(app: &str, account: &str) -> FlagshipOptions {
    FlagshipOptions {
        app_id: Some(app.into()),
        account_id: Some(account.into()),
        ..FlagshipOptions::default()
    }
}

fn config() -> FlagshipConfig {
    ids("app", "acc").validate().unwrap()
}

#[test]
fn the_url_is_built_from_percent_encoded_ids() {
    let c = ids("my app", "a/b").validate().unwrap();
    assert_eq!(
        c.evaluate_url,
        "https://api.cloudflare.com/client/v4/accounts/a%2Fb/flagship/apps/my%20app/evaluate"
    );
    let c = FlagshipOptions {
        base_url: Some("http://127.0.0.1:9000///".into()),
        ..ids("x", "y")
    }
    .validate()
    .unwrap();
    assert_eq!(
        c.evaluate_url,
        "http://127.0.0.1:9000/client/v4/accounts/y/flagship/apps/x/evaluate"
    );
    let c = FlagshipOptions {
        endpoint: Some("https://edge.example/v1/evaluate".into()),
        ..FlagshipOptions::default()
    }
    .validate()
    .unwrap();
    assert_eq!(c.evaluate_url, "https://edge.example/v1/evaluate");
}

#[test]
fn options_are_validated_with_what_to_fix() {
    let err = |o: FlagshipOptions| o.validate().unwrap_err();
    assert_eq!(
        err(FlagshipOptions::default()),
        FlagshipConfigError::MissingTarget
    );
    assert_eq!(
        err(FlagshipOptions {
            endpoint: Some("https://e.example/evaluate".into()),
            ..ids("a", "b")
        }),
        FlagshipConfigError::AppIdAndEndpoint
    );
    assert_eq!(
        err(FlagshipOptions {
            app_id: Some("a".into()),
            ..FlagshipOptions::default()
        }),
        FlagshipConfigError::MissingAccountId
    );
    assert_eq!(
        err(ids("", "b")),
        FlagshipConfigError::EmptyId { field: "app_id" }
    );
    assert_eq!(
        err(ids("a", "")),
        FlagshipConfigError::EmptyId {
            field: "account_id"
        }
    );
    for bad in [
        "edge.example/evaluate?token=SECRET",
        "https://",
        "ftp://e.example",
    ] {
        let e = err(FlagshipOptions {
            endpoint: Some(bad.into()),
            ..FlagshipOptions::default()
        });
        assert!(
            matches!(
                e,
                FlagshipConfigError::InvalidUrl {
                    field: "endpoint",
                    ..
                }
            ),
            "{bad}"
        );
        assert!(e.to_string().starts_with("`endpoint` "), "{e}");
        assert!(!e.to_string().contains("SECRET"));
    }
    let e = err(FlagshipOptions {
        base_url: Some("nope".into()),
        ..ids("a", "b")
    });
    assert!(matches!(
        e,
        FlagshipConfigError::InvalidUrl {
            field: "base_url",
            ..
        }
    ));
    let e = err(FlagshipOptions {
        timeout: Some(Duration::ZERO),
        ..ids("a", "b")
    });
    assert_eq!(e, FlagshipConfigError::ZeroTimeout);
    for deadline in [
        Duration::ZERO,
        Duration::from_secs(24 * 3600 + 1),
        Duration::MAX,
    ] {
        let e = FlagshipOptions {
            deadline: Some(deadline),
            ..ids("a", "b")
        }
        .validate()
        .unwrap_err();
        assert_eq!(e, FlagshipConfigError::InvalidDeadline { deadline });
    }
    assert_eq!(
        FlagshipConfigError::MissingTarget.to_string(),
        "set `app_id` and `account_id`, or a full `endpoint`"
    );
}

#[test]
fn retries_and_delays_are_capped() {
    let c = config();
    assert_eq!(
        (c.retries, c.retry_delay, c.timeout),
        (1, Duration::from_secs(1), DEFAULT_TIMEOUT)
    );
    let c = FlagshipOptions {
        retries: Some(999),
        retry_delay: Some(Duration::from_secs(999)),
        timeout: Some(Duration::from_millis(250)),
        ..ids("a", "b")
    }
    .validate()
    .unwrap();
    assert_eq!((c.retries, c.retry_delay), (10, Duration::from_secs(30)));
    assert_eq!(c.timeout, Duration::from_millis(250));
    let c = FlagshipOptions {
        retries: Some(0),
        ..ids("a", "b")
    }
    .validate()
    .unwrap();
    assert_eq!(c.retries, 0);
}

#[test]
fn the_headers_factory_runs_per_request_and_wins_over_the_token() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let c = FlagshipOptions {
        auth_token: Some("SECRET-TOKEN".into()),
        headers_factory: Some(Arc::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            vec![
                ("authorization".to_owned(), format!("Bearer rotated-{n}")),
                ("X-Extra".to_owned(), "1".to_owned()),
            ]
        })),
        ..ids("a", "b")
    }
    .validate()
    .unwrap();
    assert_eq!(
        c.request_headers(),
        [
            ("authorization".to_owned(), "Bearer rotated-0".to_owned()),
            ("X-Extra".to_owned(), "1".to_owned()),
        ]
    );
    assert_eq!(c.request_headers()[0].1, "Bearer rotated-1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let only_token = FlagshipOptions {
        auth_token: Some("t".into()),
        ..ids("a", "b")
    }
    .validate()
    .unwrap();
    assert_eq!(
        only_token.request_headers(),
        [("Authorization".to_owned(), "Bearer t".to_owned())]
    );
    assert!(config().request_headers().is_empty());
    let printed = format!("{c:?}");
    assert!(!printed.contains("SECRET"), "{printed}");
}

fn get_url(ctx: &Context) -> String {
    match evaluate_request(&config(), "my flag", ctx).unwrap() {
        FlagshipRequest::Get { url } => url,
        other => panic!("expected a GET, got {other:?}"),
    }
}

fn post_body(ctx: &Context) -> J {
    match evaluate_request(&config(), "my-flag", ctx).unwrap() {
        FlagshipRequest::Post { url, body } => {
            assert_eq!(url, config().evaluate_url);
            serde_json::from_slice(&body).unwrap()
        }
        other => panic!("expected a POST, got {other:?}"),
    }
}

#[test]
fn flat_contexts_go_in_the_query() {
    let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_707_307_200_500);
    let ctx = Context::new("user 1")
        .with("admin", true)
        .with("beta", false)
        .with("seats", 12)
        .with("ratio", 0.5)
        .with("whole", 3.0)
        .with("big", 1e21)
        .with("email", "a+b@example.com")
        .with("since", t)
        .with("zero", "")
        .with("n0", 0);
    let url = get_url(&ctx);
    let base = &config().evaluate_url;
    assert_eq!(
        url.strip_prefix(base.as_str()).unwrap(),
        "?flagKey=my%20flag&targetingKey=user%201&admin=true&beta=false&big=1e%2B21\
         &email=a%2Bb%40example.com&n0=0&ratio=0.5&seats=12\
         &since=2024-02-07T12%3A00%3A00.500Z&whole=3&zero="
    );
    assert_eq!(
        get_url(&Context::anonymous())
            .strip_prefix(base.as_str())
            .unwrap(),
        "?flagKey=my%20flag"
    );
}

#[test]
fn a_targeting_key_attribute_is_sent_when_there_is_no_targeting_key() {
    let url = get_url(&Context::anonymous().with("targetingKey", "t").with("a", 1));
    assert!(
        url.ends_with("?flagKey=my%20flag&targetingKey=t&a=1"),
        "{url}"
    );
    let url = get_url(&Context::new("real").with("targetingKey", "attr"));
    assert!(
        url.ends_with("?flagKey=my%20flag&targetingKey=real"),
        "{url}"
    );
}

#[test]
fn long_flat_contexts_are_posted() {
    let ctx = Context::new("u").with("blob", "x".repeat(MAX_GET_URL));
    assert_eq!(
        post_body(&ctx)["context"]["blob"].as_str().map(str::len),
        Some(MAX_GET_URL)
    );
    let fits = Context::new("u").with("blob", "x".repeat(MAX_GET_URL / 2));
    assert!(get_url(&fits).len() <= MAX_GET_URL);
}

#[test]
fn an_endpoint_with_a_query_keeps_it() {
    let c = FlagshipOptions {
        endpoint: Some("https://e.example/evaluate?env=prod".into()),
        ..FlagshipOptions::default()
    }
    .validate()
    .unwrap();
    let FlagshipRequest::Get { url } = evaluate_request(&c, "f", &Context::new("u")).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        url,
        "https://e.example/evaluate?env=prod&flagKey=f&targetingKey=u"
    );
}

#[test]
fn nested_or_null_values_go_in_a_post_body() {
    let nested = Context::new("u").with(
        "org",
        Value::Map(BTreeMap::from([(
            "since".to_owned(),
            Value::DateTime(SystemTime::UNIX_EPOCH),
        )])),
    );
    assert_eq!(
        post_body(&nested),
        json!({"flagKey": "my-flag", "context": {"targetingKey": "u", "org": {"since": "1970-01-01T00:00:00Z"}}})
    );
    let list = Context::anonymous().with("tags", vec!["a", "b"]);
    assert_eq!(
        post_body(&list),
        json!({"flagKey": "my-flag", "context": {"tags": ["a", "b"]}})
    );
    let null = Context::anonymous()
        .with("gone", Value::Null)
        .with("n", 1.5);
    assert_eq!(
        post_body(&null),
        json!({"flagKey": "my-flag", "context": {"gone": null, "n": 1.5}})
    );
}

#[test]
fn a_flag_key_attribute_never_replaces_the_flag_key() {
    let ctx = Context::new("u").with("flagKey", "other");
    assert_eq!(
        post_body(&ctx),
        json!({"flagKey": "my-flag", "context": {"targetingKey": "u", "flagKey": "other"}})
    );
}

#[test]
fn invalid_contexts_fail_before_any_request() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let e = evaluate_request(&config(), "f", &Context::new("u").with("x", bad)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidContext);
    }
    let nested = Context::anonymous().with("l", Value::List(vec![Value::Float(f64::NAN)]));
    assert!(evaluate_request(&config(), "f", &nested).is_err());
}

#[test]
fn requests_do_not_print_the_context() {
    let r = evaluate_request(&config(), "f", &Context::new("alice@example.com")).unwrap();
    let printed = format!("{r:?}");
    assert!(
        printed.starts_with("GET https://api.cloudflare.com/"),
        "{printed}"
    );
    assert!(!printed.contains("alice"), "{printed}");
}

#[test]
fn a_success_is_read() {
    let r = parse_evaluate(
        "f",
        200,
        None,
        br#"{"flagKey":"f","value":{"a":1},"variant":"v1","reason":"SPLIT","extra":true}"#,
    );
    assert_eq!(r.value, Some(json!({"a": 1})));
    assert_eq!(r.variant.as_deref(), Some("v1"));
    assert_eq!(r.reason, Reason::Split);
    assert_eq!(r.error, None);
    let r = parse_evaluate(
        "f",
        200,
        None,
        br#"{"flagKey":"f","value":false,"variant":""}"#,
    );
    assert_eq!((r.reason, r.variant), (Reason::Default, None));
    for (name, reason) in [
        ("STATIC", Reason::Static),
        ("TARGETING_MATCH", Reason::TargetingMatch),
        ("DEFAULT", Reason::Default),
        ("DISABLED", Reason::Disabled),
        ("SPLIT", Reason::Split),
        ("ROLLED_OUT", Reason::Other("ROLLED_OUT".into())),
    ] {
        let body = format!(r#"{{"flagKey":"f","value":1,"reason":"{name}"}}"#);
        assert_eq!(
            parse_evaluate("f", 200, None, body.as_bytes()).reason,
            reason
        );
    }
    let r = parse_evaluate("f", 200, None, br#"{"flagKey":"f","value":null}"#);
    assert_eq!(r.value, Some(J::Null));
}

#[test]
fn disabled_answers_serve_the_callers_default() {
    let r = parse_evaluate(
        "f",
        200,
        None,
        br#"{"flagKey":"f","value":true,"variant":"on","reason":"DISABLED"}"#,
    );
    let d = r.to_details(&crate::FlagKey::new("f", false));
    assert_eq!(
        (d.value, d.reason, d.error),
        (false, Reason::Disabled, None)
    );
}

#[test]
fn bad_bodies_are_parse_errors() {
    for body in [
        "",
        "nope",
        "[]",
        r#"{"value":1}"#,
        r#"{"flagKey":"f"}"#,
        r#"{"flagKey":1,"value":1}"#,
    ] {
        let r = parse_evaluate("f", 200, None, body.as_bytes());
        assert_eq!(r.error.unwrap().code, ErrorCode::ParseError, "{body}");
    }
}

#[test]
fn statuses_map_to_error_codes() {
    let e = parse_evaluate("f", 404, None, br#"{"errorDetails":"no flag f"}"#)
        .error
        .unwrap();
    assert_eq!(
        (e.code, e.message.as_ref()),
        (ErrorCode::FlagNotFound, "no flag f")
    );
    let e = parse_evaluate("f", 404, None, b"Not Found").error.unwrap();
    assert_eq!(
        (e.code, e.message.as_ref()),
        (ErrorCode::FlagNotFound, "Not Found")
    );
    let e = parse_evaluate("f", 404, None, b"").error.unwrap();
    assert_eq!(e.message, "flag `f` not found");
    let e = parse_evaluate("f", 400, None, br#"{"errorDetails":"bad context"}"#)
        .error
        .unwrap();
    assert_eq!(
        (e.code, e.message.as_ref()),
        (ErrorCode::General, "HTTP 400 Bad Request: bad context")
    );
    let e = parse_evaluate("f", 503, None, b"").error.unwrap();
    assert_eq!(
        (e.code, e.message.as_ref()),
        (ErrorCode::General, "HTTP 503 Service Unavailable")
    );
    let e = parse_evaluate("f", 204, None, b"").error.unwrap();
    assert_eq!(e.message, "HTTP 204 No Content");
    assert!(!retryable_status(400) && !retryable_status(404) && !retryable_status(401));
    assert!(!retryable_status(403) && !retryable_status(200));
    assert!(retryable_status(500) && retryable_status(503) && retryable_status(429));
    assert!(retryable_status(408));
}
