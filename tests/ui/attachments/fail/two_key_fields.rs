#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "theme")]
    theme: String,
    #[flags(key = "theme")]
    theme_again: String,
}

fn main() {}
