#[derive(flags::Flags)]
struct Checkout {
    sample_rate: i64,
}

fn main() {}
