// Both read the attachment: one of the two fields should read the key.
#[derive(Clone, Default, serde::Deserialize)]
struct Palette {
    background: String,
}

#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "theme")]
    palette: Palette,
    #[flags(key = "theme")]
    raw: serde_json::Value,
}

fn main() {}
