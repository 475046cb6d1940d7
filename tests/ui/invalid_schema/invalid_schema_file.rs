// `FLAGS_SCHEMA` names a file that exists but is not a valid flag definition file: the error
// names the file and the flag.
#[derive(flags::Flags)]
struct Checkout {
    new_checkout: bool,
}

fn main() {}
