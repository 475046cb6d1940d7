#[derive(flags::Flags)]
struct Checkout {
    #[flags(default = "Hi ther")]
    greeting: String,
}

fn main() {}
