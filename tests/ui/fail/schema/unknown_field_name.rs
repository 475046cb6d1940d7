// No `key`: the field name in kebab-case is the key.
#[derive(flags::Flags)]
struct Checkout {
    upload_limt: i64,
}

fn main() {}
