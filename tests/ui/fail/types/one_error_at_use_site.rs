// A mistake in the struct is one error; uses of the struct and its keys add none.
#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-chekout")]
    enabled: bool,
}

fn main() {
    let client = flags::Client::builder().build().unwrap();
    let ctx = flags::Context::anonymous();
    let checkout: Checkout = client.flags(&ctx);
    let _: bool = checkout.enabled;
    let _: bool = client.value(Checkout::ENABLED, &ctx);
}
