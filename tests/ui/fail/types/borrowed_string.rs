#[derive(flags::Flags)]
struct Checkout {
    greeting: &'static str,
}

fn main() {}
