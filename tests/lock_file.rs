//! The workspace's own `flags.lock.json` (found by the doc examples through the ancestor walk)
//! is the lock of `examples/flags.json`, and stays so: the check `flags_build` runs in CI.

#[test]
fn the_committed_lock_is_up_to_date() {
    // Relative paths resolve against `CARGO_MANIFEST_DIR`, which Cargo sets for tests too; the
    // provenance records them as written, so the lock is the same on every machine.
    let out = std::env::temp_dir().join(format!("flags-lock-check-{}", std::process::id()));
    let result = flags_build::Config::new()
        .source("examples/flags.json")
        .lock("flags.lock.json")
        .out_dir(&out)
        .check(std::env::var_os("FLAGS_BLESS").is_none())
        .sync_to(&mut Vec::new());
    let _ = std::fs::remove_dir_all(&out);
    if let Err(error) = result {
        panic!(
            "{error}\nregenerate with `FLAGS_BLESS=1 cargo test --test lock_file` and commit it"
        );
    }
}
