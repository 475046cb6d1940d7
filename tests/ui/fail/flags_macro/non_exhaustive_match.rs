flags::flags!(pub mod app_flags);

use app_flags::HeroV2;

// `hero-v2` has three variants; the `match` forgets `C` (value "carousel").
fn label(hero: HeroV2) -> &'static str {
    match hero {
        HeroV2::A => "control",
        HeroV2::B => "big picture",
    }
}

fn main() {
    let _ = label;
}
