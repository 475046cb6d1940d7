flags::flags!(pub mod app_flags);

fn main() {
    let client = flags::Client::for_tests();
    let ctx = flags::Context::new("user-1");
    // `upload-limit` is an integer flag.
    let limit: bool = client.value(app_flags::UPLOAD_LIMIT, &ctx);
    let _ = limit;
}
