#[derive(flags::Flags)]
enum Checkout {
    On,
    Off,
}

fn main() {}
