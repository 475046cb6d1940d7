#[derive(flags::Flags)]
struct Checkout<T> {
    new_checkout: bool,
    marker: std::marker::PhantomData<T>,
}

fn main() {}
