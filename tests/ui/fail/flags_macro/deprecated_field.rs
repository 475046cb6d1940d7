#![deny(deprecated)]

flags::flags!(pub mod app_flags);

fn banner(all: &app_flags::All) -> bool {
    all.old_banner
}

fn main() {
    let _ = banner;
}
