// `Hero` was checked against `hero`; `hero-v2` also has "carousel".
#[derive(Debug, Clone, flags::FlagVariant)]
enum Hero {
    Control,
    BigPicture,
}

#[derive(flags::Flags)]
struct Page {
    #[flags(key = "hero-v2")]
    hero: Hero,
}

fn main() {}
