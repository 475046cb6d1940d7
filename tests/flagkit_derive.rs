//! `#[derive(Flags)]` over FlagKit's init answer (`examples/flagkit.json`, the schema the
//! `flagkit` sync source records): the keys and types are checked at compile time, and the
//! struct reads FlagKit's values end to end from a scripted FlagKit service on 127.0.0.1.
#![cfg(feature = "http")]

use std::time::Duration;

use flags::{Client, Context, Flags};
use flags_test_support::fault::Reply;
use flags_test_support::flagkit::{FlagKitService, INIT, UPDATES, flag, init_body, updates_body};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
struct Copy {
    title: String,
    steps: i64,
}

#[derive(Flags)]
#[flags(schema = "examples/flagkit.json")]
struct Storefront {
    #[flags(key = "new-checkout")]
    checkout: bool,
    #[flags(key = "theme-color")]
    theme: String,
    upload_limit: i64,
    sample_rate: f64,
    #[flags(key = "checkout-copy")]
    copy: Copy,
    #[flags(key = "legacy-cart")]
    legacy: bool,
}

#[test]
fn a_struct_derived_over_flagkit_reads_its_values() {
    let service = FlagKitService::start();
    let (init, gate) = Reply::json(&init_body(
        &[
            flag("new-checkout", false),
            flag("theme-color", "#000000"),
            flag("upload-limit", 250),
            flag("sample-rate", 0.5),
            flag("checkout-copy", json!({"title": "Buy", "steps": 2})),
        ],
        30.0,
        "2026-12-05T03:00:00Z",
    ))
    .gated();
    service.route("GET", INIT, init);
    service.route("GET", UPDATES, Reply::json(&updates_body(&[], &[], "t")));
    let client = Client::builder()
        .remote(flags::remote::flagkit("sdk_derive_test_key").base_url(service.base_url()))
        .build()
        .unwrap();
    // Before FlagKit answers: the defaults compiled in from the schema.
    let before: Storefront = client.flags(&Context::anonymous());
    assert!(before.checkout);
    assert_eq!(before.upload_limit, 100);
    assert_eq!(before.sample_rate, 0.25);
    gate.open();
    client.wait_ready(Duration::from_secs(10)).unwrap();
    let front: Storefront = client.flags(&Context::anonymous());
    assert!(!front.checkout);
    assert_eq!(front.theme, "#000000");
    assert_eq!(front.upload_limit, 250);
    assert_eq!(front.sample_rate, 0.5);
    assert_eq!(
        front.copy,
        Copy {
            title: "Buy".into(),
            steps: 2
        }
    );
    // Deleted from FlagKit since the schema was synced: the compiled default.
    assert!(!front.legacy);
    assert_eq!(Storefront::UPLOAD_LIMIT.key(), "upload-limit");
}
