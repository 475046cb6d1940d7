const LIMIT: &str = "ten";

#[derive(flags::Flags)]
struct Checkout {
    #[flags(default = LIMIT)]
    upload_limit: i64,
}

fn main() {}
