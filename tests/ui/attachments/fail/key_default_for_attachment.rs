// `"dark"` is a variant key; the attachment field takes a value of its own type.
#[derive(Clone, Default, serde::Deserialize)]
struct Palette {
    background: String,
}

#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "theme", default = "dark")]
    palette: Palette,
}

fn main() {}
