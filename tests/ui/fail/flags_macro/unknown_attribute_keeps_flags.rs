// A misspelt attribute is one error: the module still holds every flag, so uses add none.
flags::flags! {
    #[flags(shema = "flags.json")]
    pub mod app_flags;
}

fn main() {
    let _: flags::FlagKey<bool> = app_flags::NEW_CHECKOUT;
    let _: Option<app_flags::All> = None;
}
