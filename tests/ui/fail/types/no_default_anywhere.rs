// `max-retries` has `defaultVariant: null`: the code must give the default.
#[derive(flags::Flags)]
struct Checkout {
    max_retries: i64,
}

fn main() {}
