flags::flags! {
    #[flags(shema = "flags.json")]
    pub mod app_flags;
}

fn main() {}
