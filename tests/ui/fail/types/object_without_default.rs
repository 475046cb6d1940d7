// The schema's default object is decoded into the type; `Default` is the fallback when it
// does not fit, so the type needs it (or a code default).
#[derive(Clone, serde::Deserialize)]
struct UiConfig {
    density: i64,
}

#[derive(flags::Flags)]
struct Checkout {
    ui_config: UiConfig,
}

fn main() {}
