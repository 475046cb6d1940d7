flags::flags! {
    pub struct AppFlags;
}

fn main() {}
