// `hero` can be "big-picture", which no variant reads.
#[derive(Clone, flags::FlagVariant)]
enum Hero {
    Control,
}

fn main() {}
