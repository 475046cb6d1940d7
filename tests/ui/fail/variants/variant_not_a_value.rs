#[derive(Clone, flags::FlagVariant)]
enum Hero {
    Control,
    BigPicture,
    BigPictur,
}

fn main() {}
