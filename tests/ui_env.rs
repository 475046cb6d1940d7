//! The derive's messages that depend on the environment it runs in, each group of cases in the
//! environment it needs: no schema anywhere, `FLAGS_SCHEMA` naming an invalid file, and the
//! build script's copy in `OUT_DIR`. A test binary of its own, since it changes the
//! environment; the groups run one after the other.
//!
//! No message depends on where the target directory is (trybuild builds the cases in a crate
//! under it): files inside the crate root are named relative to it.

use std::path::Path;

#[test]
fn ui_env() {
    // SAFETY (every `set_var`/`remove_var` below): this is the only test in this binary, and
    // trybuild runs each group to completion (when the `TestCases` is dropped, at the end of
    // its statement) before the next change; no other thread reads the environment.

    // No schema anywhere: every place looked at, and how to create one.
    unsafe {
        std::env::remove_var("FLAGS_SCHEMA");
        std::env::remove_var("OUT_DIR");
    }
    trybuild::TestCases::new().compile_fail("tests/ui/no_schema/*.rs");

    // `FLAGS_SCHEMA` names a file that is not valid definitions.
    let invalid = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/invalid-flags.json");
    unsafe { std::env::set_var("FLAGS_SCHEMA", invalid) };
    trybuild::TestCases::new().compile_fail("tests/ui/invalid_schema/*.rs");

    // A build script synced `tests/ui/flags.json` into `OUT_DIR`: messages name that file.
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-out-dir");
    let _ = std::fs::remove_dir_all(&out_dir);
    flags_build::Config::new()
        .crate_root(env!("CARGO_MANIFEST_DIR"))
        .cargo_metadata(false)
        .lock("tests/ui/flags.json")
        .out_dir(&out_dir)
        .check(false)
        .refresh(false)
        .sync_to(&mut Vec::new())
        .expect("the out dir is written");
    unsafe {
        std::env::remove_var("FLAGS_SCHEMA");
        std::env::set_var("OUT_DIR", &out_dir);
    }
    trybuild::TestCases::new().compile_fail("tests/ui/out_dir/*.rs");
}
