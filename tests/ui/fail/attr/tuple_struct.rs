#[derive(flags::Flags)]
struct Checkout(bool);

fn main() {}
