#[derive(flags::Flags)]
#[flags(schema = "no/such/flags.json")]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
}

fn main() {}
