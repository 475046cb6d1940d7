#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-checkout", key = "upload-limit")]
    enabled: bool,
}

fn main() {}
