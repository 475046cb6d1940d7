#[derive(Clone, flags::FlagVariant)]
enum Hero {
    Control,
    BigPicture,
    #[flags(rename = "big-picture")]
    Large,
}

fn main() {}
