flags::flags! {
    #[flags(schema = "no/such/flags.json")]
    pub mod app_flags;
}

fn main() {}
