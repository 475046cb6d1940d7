#[derive(Clone, flags::FlagVariant)]
enum Hero {
    Control,
    BigPicture,
    #[flags(other, rename = "rest")]
    Unknown,
}

fn main() {}
