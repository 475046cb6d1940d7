// Every mistake of a struct is reported in one build.
#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-chekout")]
    enabled: bool,
    upload_limt: i64,
    #[flags(key = "greting")]
    greeting: String,
}

fn main() {}
