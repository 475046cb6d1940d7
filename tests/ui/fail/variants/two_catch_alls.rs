#[derive(Clone, flags::FlagVariant)]
enum Hero {
    Control,
    #[flags(other)]
    Unknown,
    #[flags(other)]
    Other,
}

fn main() {}
