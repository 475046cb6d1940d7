// `page-size` can be 300, which `u8` cannot hold.
#[derive(flags::Flags)]
struct Checkout {
    page_size: u8,
}

fn main() {}
