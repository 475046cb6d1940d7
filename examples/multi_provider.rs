//! OpenFeature's multi-provider: the flags of the local file beside this example
//! (`examples/flags.json`) evaluated in process first, and a remote OFREP service as the
//! fallback for the flags the file does not have. The "service" is a scripted server on
//! loopback that answers every evaluation the same way: no network.
//!
//! ```text
//! cargo run --features http --example multi_provider
//! ```

use flags::provider::{Strategy, multi};
use flags::{Client, Context, FlagKey, source};
use flags_test_support::server::{Reply, Server};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let service = Server::start(Reply::json(
        r#"{"key": "search-v2", "value": true, "reason": "TARGETING_MATCH", "variant": "on"}"#,
    ));

    let local = Client::builder()
        .in_process(source::file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/flags.json"
        )))
        .build()?;
    let remote = Client::builder()
        .remote(flags::remote::ofrep(service.url("")))
        .build()?;
    let client = Client::builder()
        .provider(
            multi(Strategy::FirstMatch)
                .provider(local)
                .provider(remote)
                .build(),
        )
        .build()?;

    let ada = Context::new("ada").with("plan", "premium");
    // In the file: answered in process, the service is not asked.
    let limit = client
        .details_async(&FlagKey::<i64>::new("upload-limit", 5), &ada)
        .await;
    println!(
        "upload-limit = {} ({}, from the file)",
        limit.value, limit.reason
    );
    assert_eq!(limit.value, 25);
    assert!(service.exchanges().is_empty());

    // Not in the file: the service answers.
    let search = client
        .details_async(&FlagKey::new("search-v2", false), &ada)
        .await;
    println!(
        "search-v2 = {} ({}, variant {:?}, from the service)",
        search.value, search.reason, search.variant
    );
    assert!(search.value);
    assert_eq!(service.exchanges().len(), 1);

    // A sync read never waits for the network: the remote member says to read async.
    let sync = client.details(FlagKey::new("search-v2", false), &ada);
    println!(
        "search-v2 read sync = {} ({:?})",
        sync.value,
        sync.error_code()
    );
    println!("status: {}", client.status());
    Ok(())
}
