#[derive(flags::Flags)]
struct Checkout {
    max_retries: Option<bool>,
}

fn main() {}
