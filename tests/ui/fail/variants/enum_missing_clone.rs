#[derive(flags::FlagVariant)]
enum Hero {
    Control,
    BigPicture,
}

#[derive(flags::Flags)]
struct Page {
    hero: Hero,
}

fn main() {}
