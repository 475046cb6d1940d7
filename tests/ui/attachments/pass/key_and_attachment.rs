// `theme` is a Flipt variant flag whose variants carry attachments (`"attachments": true`):
// a field reads its variant key, another its attachment.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
struct Palette {
    background: String,
}

#[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
#[flags(key = "theme")]
enum Theme {
    Light,
    Dark,
    Plain,
}

#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "theme")]
    palette: Palette,
    #[flags(key = "theme")]
    theme_key: String,
}

#[derive(flags::Flags)]
struct Typed {
    #[flags(key = "theme", default = Palette { background: "#fff".into() })]
    palette: Palette,
    theme: Theme,
}

// `promo` has no default variant: its attachment falls back on `Default`.
#[derive(Clone, Default, serde::Deserialize)]
struct Offer {
    discount: u32,
}

#[derive(flags::Flags)]
struct Promoted {
    #[flags(key = "promo")]
    offer: Offer,
    #[flags(key = "promo")]
    promo: Option<String>,
}

#[derive(flags::Flags)]
struct Loose {
    #[flags(key = "theme")]
    palette: Option<serde_json::Value>,
    #[flags(key = "theme")]
    theme: Option<Theme>,
}

// `flags!` reads the key: an enum of the variant keys (the lock records no attachment's shape).
flags::flags! {
    pub mod checkout;
}

fn main() {
    let _: flags::FlagKey<checkout::Theme> = checkout::THEME;
    assert_eq!(checkout::THEME.default_value(), checkout::Theme::Light);
    let _: flags::FlagKey<Palette> = Checkout::PALETTE;
    assert_eq!(Checkout::PALETTE.default_value(), Palette::default());
    assert_eq!(Checkout::THEME_KEY.default_value(), "light");
    assert_eq!(Typed::PALETTE.default_value().background, "#fff");
    assert_eq!(Typed::THEME.default_value(), Theme::Light);
    assert_eq!(Loose::PALETTE.default_value(), None);
    assert_eq!(Promoted::OFFER.default_value().discount, 0);
    assert_eq!(Promoted::PROMO.default_value(), None);
    assert_eq!(Loose::THEME.default_value(), None);
}
