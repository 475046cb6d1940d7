//! End to end, as a user would: a scratch crate that depends on `flags` by path, with a build
//! script that syncs a flagd file, is built with Cargo. A misspelt key fails with the nearest
//! real key, naming the file; the corrected struct compiles and evaluates; editing the flag
//! file makes the next build see the change (Cargo's rebuild tracking); no build writes the
//! lock (only `flags sync` or a build with `FLAGS_SYNC=1` does).
//!
//! The crates live under Cargo's `CARGO_TARGET_TMPDIR` and share one target directory, so the
//! dependencies compile once. Cargo runs `--offline` with this workspace's lock file: no network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FLAGS_JSON: &str = r#"{
  "flags": {
    "new-checkout": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "on"
    },
    "upload-limit": {
      "state": "ENABLED",
      "variants": { "small": 10, "large": 25 },
      "defaultVariant": "large"
    }
  }
}
"#;

const BUILD_RS: &str = r#"fn main() {
    flags_build::Config::new()
        .source("flags.json")
        .lock("flags.lock.json")
        .sync()
        .unwrap();
}
"#;

fn main_rs(key: &str) -> String {
    format!(
        r#"#[derive(flags::Flags)]
struct Checkout {{
    #[flags(key = "{key}")]
    enabled: bool,
    upload_limit: i64,
}}

fn main() {{
    let client = flags::Client::builder()
        .in_process(flags::source::file(concat!(env!("CARGO_MANIFEST_DIR"), "/flags.json")))
        .build()
        .unwrap();
    let checkout: Checkout = client.flags(&flags::Context::new("user-1"));
    println!("enabled={{}} upload_limit={{}}", checkout.enabled, checkout.upload_limit);
}}
"#
    )
}

/// Creates (or resets) a scratch crate named `name`.
fn scratch_crate(name: &str, key: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch");
    let dir = root.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let flags = env!("CARGO_MANIFEST_DIR");
    let manifest = format!(
        r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
flags = {{ path = "{flags}" }}

[build-dependencies]
flags-build = {{ path = "{flags}/flags-build" }}

[workspace]
"#
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(Path::new(flags).join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(dir.join("build.rs"), BUILD_RS).unwrap();
    std::fs::write(dir.join("flags.json"), FLAGS_JSON).unwrap();
    std::fs::write(dir.join("src/main.rs"), main_rs(key)).unwrap();
    dir
}

fn cargo(dir: &Path, args: &[&str]) -> Output {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch-target");
    Command::new(env!("CARGO"))
        .args(args)
        .args(["--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("FLAGS_SCHEMA")
        .env_remove("FLAGS_CHECK")
        .env_remove("FLAGS_SYNC")
        .output()
        .expect("cargo runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_misspelt_key_fails_with_the_nearest_key_and_the_fixed_struct_evaluates() {
    let dir = scratch_crate("scratch_misspelt", "new-chekout");
    let output = cargo(&dir, &["build"]);
    assert!(!output.status.success(), "a misspelt key compiled");
    let err = stderr(&output);
    // The derive read the build script's copy of `flags.json`, and names that file.
    assert!(
        err.contains("unknown flag `new-chekout` in `flags.json`; did you mean `new-checkout`?"),
        "{err}"
    );
    // Only a sync writes the lock: the build leaves it to `flags sync`.
    assert!(!dir.join("flags.lock.json").exists());

    std::fs::write(dir.join("src/main.rs"), main_rs("new-checkout")).unwrap();
    let output = cargo(&dir, &["run"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "enabled=true upload_limit=25\n"
    );
}

#[test]
fn editing_the_flag_file_makes_the_next_build_see_it() {
    let dir = scratch_crate("scratch_rebuild", "new-checkout");
    let output = cargo(&dir, &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));

    // The flag disappears from the flag service: the next build fails at the field.
    let renamed = FLAGS_JSON.replace("new-checkout", "checkout-v2");
    std::fs::write(dir.join("flags.json"), renamed).unwrap();
    let output = cargo(&dir, &["build"]);
    assert!(!output.status.success(), "a removed flag still compiled");
    let err = stderr(&output);
    assert!(err.contains("unknown flag `new-checkout`"), "{err}");

    // And it comes back: the build succeeds again.
    std::fs::write(dir.join("flags.json"), FLAGS_JSON).unwrap();
    let output = cargo(&dir, &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // No build wrote the lock.
    assert!(!dir.join("flags.lock.json").exists());
}
