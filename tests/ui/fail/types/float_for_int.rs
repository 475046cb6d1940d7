#[derive(flags::Flags)]
struct Checkout {
    #[flags(default = 2.5)]
    upload_limit: i64,
}

fn main() {}
