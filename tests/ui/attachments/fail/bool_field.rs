// A flag whose variants carry attachments is read as its key or its attachment, not a `bool`.
#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "theme")]
    dark: bool,
}

fn main() {}
