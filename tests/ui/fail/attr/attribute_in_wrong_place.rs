// `rename` names the value of an enum variant; a field names its flag with `key`.
#[derive(flags::Flags)]
struct Checkout {
    #[flags(rename = "new-checkout")]
    enabled: bool,
}

fn main() {}
