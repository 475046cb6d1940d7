#[derive(Clone, Default, serde::Deserialize)]
struct Palette {
    background: String,
}

#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "theme")]
    palette: Palette,
    #[flags(key = "theme")]
    theme: String,
    #[flags(key = "theme")]
    theme_again: String,
}

fn main() {}
