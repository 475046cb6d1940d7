// The schema is the build script's copy in `OUT_DIR`: the message names the file it copies, as
// the build script named it, not the copy in the build directory.
#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-chekout")]
    enabled: bool,
}

fn main() {}
