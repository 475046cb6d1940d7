// With `rename_all = "snake_case"` the field reads `new_checkout`, which the schema lacks.
#[derive(flags::Flags)]
#[flags(rename_all = "snake_case")]
struct Checkout {
    new_checkout: bool,
}

fn main() {}
