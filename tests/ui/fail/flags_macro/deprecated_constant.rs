#![deny(deprecated)]

flags::flags!(pub mod app_flags);

fn main() {
    // `old-banner` is marked deprecated in the schema.
    let _ = app_flags::OLD_BANNER;
}
