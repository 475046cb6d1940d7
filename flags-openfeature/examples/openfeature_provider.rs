//! `flags` inside OpenFeature: an application written against the `open-feature` crate gets
//! the flags of a local file (`flags-openfeature/examples/flags.json`, flagd format),
//! evaluated in process by `flags`, with one line of set-up. No server.
//!
//! ```text
//! cargo run -p flags-openfeature --example openfeature_provider
//! ```

use flags_openfeature::FlagsProvider;
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue, OpenFeature, StructValue, Value,
};

/// The crate's `EvaluationError` is not a `std::error::Error`: as text.
fn failed(error: open_feature::EvaluationError) -> String {
    format!("{}: {}", error.code, error.message.unwrap_or_default())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flags = flags_runtime::Client::builder()
        .in_process(flags_runtime::source::file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/flags.json"
        )))
        .build()?;

    // The one line.
    OpenFeature::singleton_mut()
        .await
        .set_provider(FlagsProvider::new(flags))
        .await;

    // From here on, only the `open-feature` crate's API.
    let client = OpenFeature::singleton().await.create_client();
    let ada = EvaluationContext::default()
        .with_targeting_key("ada")
        .with_custom_field(
            "groups",
            EvaluationContextFieldValue::new_struct(vec![
                Value::from("staff"),
                Value::from("beta"),
            ]),
        )
        .with_custom_field(
            "account",
            EvaluationContextFieldValue::new_struct(Value::Struct(
                StructValue::default().with_field("plan", "premium"),
            )),
        );

    let checkout = client
        .get_bool_details("new-checkout", Some(&ada), None)
        .await
        .map_err(failed)?;
    println!(
        "new-checkout = {} (reason {:?}, variant {:?}, owner {:?})",
        checkout.value,
        checkout.reason,
        checkout.variant,
        checkout.flag_metadata.values.get("owner")
    );
    assert!(checkout.value);

    let limit = client
        .get_int_value("upload-limit", Some(&ada), None)
        .await
        .map_err(failed)?;
    println!("upload-limit = {limit}");
    assert_eq!(limit, 25);

    let rate = client
        .get_float_value("sample-rate", None, None)
        .await
        .map_err(failed)?;
    let greeting = client
        .get_string_value("greeting", None, None)
        .await
        .map_err(failed)?;
    let banner: StructValue = client
        .get_struct_value("banner", None, None)
        .await
        .map_err(failed)?;
    println!(
        "sample-rate = {rate}, greeting = {greeting:?}, banner = {:?}",
        banner.fields
    );

    // Errors come back as the crate's errors, with OpenFeature's codes.
    let missing = client
        .get_bool_value("no-such-flag", None, None)
        .await
        .unwrap_err();
    println!("no-such-flag: {} ({:?})", missing.code, missing.message);
    let mismatch = client
        .get_int_value("greeting", None, None)
        .await
        .unwrap_err();
    println!("greeting as an integer: {}", mismatch.code);
    Ok(())
}
