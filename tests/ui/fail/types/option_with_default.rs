#[derive(flags::Flags)]
struct Checkout {
    #[flags(default = 3)]
    max_retries: Option<i64>,
}

fn main() {}
