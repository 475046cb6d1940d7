//! Compile-time checks of `#[derive(Flags)]`: each `.stderr` beside a case under `ui/fail/` is
//! the spec of its message. Re-bless after a compiler upgrade with `TRYBUILD=overwrite` and
//! review the diff.
//!
//! trybuild compiles the cases in a crate of its own, so the schema is named through
//! `FLAGS_SCHEMA` as an absolute path.

#[test]
fn ui() {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/flags.json");
    // SAFETY: this is the only test in this binary, and it sets the variable before trybuild
    // starts any thread or subprocess.
    unsafe { std::env::set_var("FLAGS_SCHEMA", schema) };
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*/*.rs");
}
