flags::flags! {
    pub mod app_flags {
        pub const EXTRA: u8 = 1;
    }
}

fn main() {}
