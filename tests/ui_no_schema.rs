//! The derive's message when no schema can be found: every place it looked, and how to create
//! one. A test binary of its own, because it needs `FLAGS_SCHEMA` unset.

#[test]
fn ui_no_schema() {
    // SAFETY: this is the only test in this binary, and it changes the environment before
    // trybuild starts any thread or subprocess.
    unsafe { std::env::remove_var("FLAGS_SCHEMA") };
    trybuild::TestCases::new().compile_fail("tests/ui/no_schema/*.rs");
}
