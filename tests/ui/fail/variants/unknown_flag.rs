// The enum name in kebab-case, `heroes`, is no flag.
#[derive(Clone, flags::FlagVariant)]
enum Heroes {
    Control,
    BigPicture,
}

fn main() {}
