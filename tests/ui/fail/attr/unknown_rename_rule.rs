#[derive(flags::Flags)]
#[flags(rename_all = "kebabcase")]
struct Checkout {
    new_checkout: bool,
}

fn main() {}
