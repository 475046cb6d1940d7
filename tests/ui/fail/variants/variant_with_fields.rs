#[derive(Clone, flags::FlagVariant)]
enum Hero {
    Control,
    BigPicture(String),
}

fn main() {}
