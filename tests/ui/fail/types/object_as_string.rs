#[derive(flags::Flags)]
struct Checkout {
    ui_config: String,
}

fn main() {}
