// `old-banner` is marked deprecated in the schema: reading it warns, at the field and at
// every use of its key.
#![deny(deprecated)]

#[derive(flags::Flags)]
struct Checkout {
    old_banner: bool,
}

fn main() {
    let _ = Checkout::OLD_BANNER;
}
