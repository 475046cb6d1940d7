// A variant may have no attachment: the field falls back on `Default`, or on a default given.
#[derive(Clone, serde::Deserialize)]
struct Palette {
    background: String,
}

#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "theme")]
    palette: Palette,
}

fn main() {}
