// The file exists but is not a valid flag definition file: the error names the flag.
#[derive(flags::Flags)]
#[flags(schema = "../../../../tests/ui/invalid-flags.json")]
struct Checkout {
    new_checkout: bool,
}

fn main() {}
