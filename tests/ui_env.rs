//! The derive's messages that depend on the environment it runs in, each group of cases in the
//! environment it needs: no schema anywhere, `FLAGS_SCHEMA` naming an invalid file, and naming
//! a lock with a flag whose variants carry attachments (Flipt's). A test binary of its own,
//! since it changes the environment; the groups run one after the other.
//!
//! No message depends on where the target directory is (trybuild builds the cases in a crate
//! under it): files inside the crate root are named relative to it. The message of a schema
//! read from a build script's copy in `OUT_DIR` is checked by a real build script, in
//! `flags-cli/tests/end_to_end.rs` (setting `OUT_DIR` here would leak into the build scripts
//! of dependencies, which then rebuild).

#[test]
fn ui_env() {
    // SAFETY (both changes below): this is the only test in this binary, and trybuild runs
    // each group to completion (when the `TestCases` is dropped, at the end of its statement)
    // before the next change; no other thread reads the environment.

    // No schema anywhere: every place looked at, and how to create one.
    unsafe { std::env::remove_var("FLAGS_SCHEMA") };
    trybuild::TestCases::new().compile_fail("tests/ui/no_schema/*.rs");

    // `FLAGS_SCHEMA` names a file that is not valid definitions.
    let invalid = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/invalid-flags.json");
    unsafe { std::env::set_var("FLAGS_SCHEMA", invalid) };
    trybuild::TestCases::new().compile_fail("tests/ui/invalid_schema/*.rs");

    // A lock with a Flipt variant flag whose variants carry attachments (`theme`).
    let flipt = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/flipt.lock.json"
    );
    unsafe { std::env::set_var("FLAGS_SCHEMA", flipt) };
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/attachments/pass/*.rs");
    cases.compile_fail("tests/ui/attachments/fail/*.rs");
}
