//! Evaluates a struct of flags for two users from the local flag file beside this example
//! (`examples/flags.json`, flagd format): no server.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use flags::{Client, Context, FlagVariant, Flags};

/// The values of the string flag `greeting`: the compiler checks that every value of the flag
/// has a variant and every variant a value.
#[derive(Debug, Clone, Copy, PartialEq, FlagVariant)]
#[flags(schema = "examples/flags.json", key = "greeting")]
enum Greeting {
    #[flags(rename = "Good afternoon")]
    Formal,
    #[flags(rename = "Hi there")]
    Casual,
}

/// The flags of the checkout page. Every key and type is checked against
/// `examples/flags.json` at compile time.
#[derive(Flags)]
#[flags(schema = "examples/flags.json")]
struct Checkout {
    /// The new checkout flow.
    #[flags(key = "new-checkout")]
    enabled: bool,
    /// Largest upload, in MiB.
    #[flags(default = 10)]
    upload_limit: i64,
    /// Share of requests traced.
    sample_rate: f64,
    /// What the page says first.
    greeting: Greeting,
    /// Disabled in the flag file: always the code default.
    #[flags(default = false)]
    dark_mode: bool,
    /// Defers to the code (`defaultVariant: null`): `None`.
    max_retries: Option<u8>,
}

fn main() -> Result<(), flags::Error> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/flags.json");
    let client = Client::builder()
        .in_process(flags::source::file(path))
        .build()?;

    for ctx in [
        Context::new("user-123").with("plan", "premium"),
        Context::new("user-456").with("plan", "free"),
    ] {
        let checkout: Checkout = client.flags(&ctx);
        println!("{}:", ctx.targeting_key().unwrap_or("anonymous"));
        println!("  new checkout  {}", checkout.enabled);
        println!("  upload limit  {} MiB", checkout.upload_limit);
        println!("  sample rate   {}", checkout.sample_rate);
        let greeting = match checkout.greeting {
            Greeting::Formal => "Good afternoon.",
            Greeting::Casual => "Hi there!",
        };
        println!("  greeting      {greeting}");
        println!("  dark mode     {}", checkout.dark_mode);
        println!("  max retries   {:?}", checkout.max_retries);
    }

    // One flag, with the reason for its value: a static flag, a disabled one, a targeting
    // rule (`plan` is premium), a rule that does not match (the default variant).
    let ctx = Context::new("user-123");
    let premium = Context::new("user-123").with("plan", "premium");
    for details in [
        client.details(Checkout::ENABLED, &ctx),
        client.details(Checkout::DARK_MODE, &ctx),
    ] {
        println!(
            "{} = {} (variant {:?}, reason {})",
            details.flag_key, details.value, details.variant, details.reason
        );
    }
    for details in [
        client.details(Checkout::UPLOAD_LIMIT, &premium),
        client.details(Checkout::UPLOAD_LIMIT, &ctx),
    ] {
        println!(
            "{} = {} (variant {:?}, reason {})",
            details.flag_key, details.value, details.variant, details.reason
        );
    }
    let retries = client.details(Checkout::MAX_RETRIES, &ctx);
    println!(
        "{} = {:?} (variant {:?}, reason {})",
        retries.flag_key, retries.value, retries.variant, retries.reason
    );
    Ok(())
}
