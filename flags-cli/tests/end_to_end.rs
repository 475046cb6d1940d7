//! End to end, as a team would work: a crate whose flags live on a flag service (here a local
//! server answering a flagd file), a one-line `build.rs`, the sources in `Cargo.toml`, and the
//! `flags` command.
//!
//! - `flags sync` creates the lock; the crate builds from it, and the build never connects;
//! - a flag added on the server cannot be used until the sync: the build fails on the new
//!   field (naming the crate's `flags.lock.json`, not the build script's copy of it),
//!   `flags check` fails and shows the flag; after `flags sync` both pass and the program
//!   reads the flag;
//! - `flags check` lists a flag no code uses, and fails with `--deny-unused`;
//! - the code `flags generate` prints compiles in the crate;
//! - a flag renamed on the server makes `flags check` fail (what CI runs);
//! - `FLAGS_SYNC=1` makes the build script itself fetch.
//!
//! The crate lives under Cargo's `CARGO_TARGET_TMPDIR` and builds into the target directory
//! the root package's scratch tests use, so dependencies compile once. Cargo runs `--offline`
//! with this workspace's lock file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flags_test_support::server::{Reply, Server};

fn flagd(flags: &[(&str, &str)]) -> String {
    let entries: Vec<String> = flags
        .iter()
        .map(|(key, body)| format!("    \"{key}\": {body}"))
        .collect();
    format!("{{\n  \"flags\": {{\n{}\n  }}\n}}\n", entries.join(",\n"))
}

const NEW_CHECKOUT: (&str, &str) = (
    "new-checkout",
    r#"{ "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "on" }"#,
);
const UPLOAD_LIMIT: (&str, &str) = (
    "upload-limit",
    r#"{ "state": "ENABLED", "variants": { "small": 10, "large": 25 }, "defaultVariant": "large" }"#,
);
const GREETING: (&str, &str) = (
    "greeting",
    r#"{ "state": "ENABLED", "variants": { "casual": "Hi there" }, "defaultVariant": "casual" }"#,
);
const LEGACY: (&str, &str) = (
    "legacy-export",
    r#"{ "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off" }"#,
);

const BUILD_RS: &str = "fn main() {\n    flags_build::sync(\"flags.lock.json\").unwrap();\n}\n";

fn main_rs(with_greeting: bool) -> String {
    let (field, print) = if with_greeting {
        ("    greeting: String,\n", " greeting={}")
    } else {
        ("", "")
    };
    let arg = if with_greeting {
        ", checkout.greeting"
    } else {
        ""
    };
    format!(
        r#"#[derive(flags::Flags)]
struct Checkout {{
    new_checkout: bool,
    upload_limit: i64,
{field}}}

fn main() {{
    // The lock is a flag file the runtime evaluates too.
    let client = flags::Client::builder()
        .in_process(flags::source::file(concat!(env!("CARGO_MANIFEST_DIR"), "/flags.lock.json")))
        .build()
        .unwrap();
    let checkout: Checkout = client.flags(&flags::Context::new("user-1"));
    println!("new_checkout={{}} upload_limit={{}}{print}", checkout.new_checkout, checkout.upload_limit{arg});
}}
"#
    )
}

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str, url: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("scratch")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_owned();
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

[package.metadata.flags]
sources = [{{ kind = "url", url = "{url}" }}]

[workspace]
"#,
            flags = workspace.display()
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        std::fs::write(dir.join("build.rs"), BUILD_RS).unwrap();
        std::fs::write(dir.join("src/main.rs"), main_rs(false)).unwrap();
        Scratch { dir }
    }

    fn cargo(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch-target");
        let mut command = Command::new(env!("CARGO"));
        command
            .args(args)
            .args(["--offline", "--quiet"])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", target)
            .env("CARGO_TERM_COLOR", "never");
        clean_env(&mut command);
        command.envs(env.iter().copied());
        command.output().expect("cargo runs")
    }

    fn flags(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_flags"));
        command.args(args).current_dir(&self.dir);
        clean_env(&mut command);
        command.output().expect("the flags command runs")
    }

    fn lock(&self) -> String {
        std::fs::read_to_string(self.dir.join("flags.lock.json")).unwrap()
    }
}

fn clean_env(command: &mut Command) {
    for var in [
        "FLAGS_SCHEMA",
        "FLAGS_CHECK",
        "FLAGS_SYNC",
        "FLAGS_OFFLINE",
        "FLAGS_STRICT",
        "CARGO_MANIFEST_DIR",
        "OUT_DIR",
    ] {
        command.env_remove(var);
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    output
}

#[test]
fn a_flag_added_on_the_server_is_usable_after_flags_sync() {
    let server = Server::start(Reply::json(&flagd(&[NEW_CHECKOUT, UPLOAD_LIMIT])));
    let scratch = Scratch::new("e2e_sync", &server.url("/flags.json"));

    // No lock yet: the build says how to make one, and does not connect.
    let output = scratch.cargo(&["build"], &[]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("run `flags sync`"), "{err}");
    assert_eq!(server.connections(), 0);

    // `flags sync` creates it; the build reads it without connecting.
    ok(scratch.flags(&["sync"]));
    assert_eq!(server.count(), 1);
    let output = ok(scratch.cargo(&["run"], &[]));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "new_checkout=true upload_limit=25\n"
    );
    assert_eq!(
        server.connections(),
        1,
        "a build connected to the flag service"
    );
    ok(scratch.flags(&["check"]));

    // The server gains a flag. Code that reads it does not compile until the sync...
    server.serve(Reply::json(&flagd(&[NEW_CHECKOUT, UPLOAD_LIMIT, GREETING])));
    std::fs::write(scratch.dir.join("src/main.rs"), main_rs(true)).unwrap();
    let output = scratch.cargo(&["build"], &[]);
    assert!(!output.status.success(), "an unknown flag compiled");
    // The macros read the build script's copy in `OUT_DIR`; the message names the crate's
    // lock, never the copy in the build directory.
    let err = stderr(&output);
    assert!(
        err.contains("error: unknown flag `greeting` (named after the field) in `flags.lock.json`"),
        "{err}"
    );
    assert!(!err.contains("out/flags.lock.json"), "{err}");
    // ... and `flags check` fails, naming it, and the key the code uses that the lock lacks.
    let output = scratch.flags(&["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("+ added flag `greeting` (string)"), "{err}");
    assert!(
        err.contains(
            "1 key used in the code but absent from the lock:\n  - greeting\n      src/main.rs:"
        ),
        "{err}"
    );

    // After the sync, both pass and the program reads the new flag.
    let output = ok(scratch.flags(&["sync"]));
    assert!(
        stderr(&output).contains("+ added flag `greeting`"),
        "{}",
        stderr(&output)
    );
    ok(scratch.flags(&["check"]));
    let output = ok(scratch.cargo(&["run"], &[]));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "new_checkout=true upload_limit=25 greeting=Hi there\n"
    );

    // A flag no code uses is listed; `--deny-unused` makes it fail.
    server.serve(Reply::json(&flagd(&[
        NEW_CHECKOUT,
        UPLOAD_LIMIT,
        GREETING,
        LEGACY,
    ])));
    ok(scratch.flags(&["sync"]));
    let output = ok(scratch.flags(&["check"]));
    assert!(
        stderr(&output)
            .contains("1 flag in the lock used nowhere in the code:\n  - legacy-export\n"),
        "{}",
        stderr(&output)
    );
    let output = scratch.flags(&["check", "--deny-unused"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    // `flags generate` prints what `flags!` expands to; the crate compiles with it.
    let output = ok(scratch.flags(&["generate", "--module", "app_flags"]));
    std::fs::write(scratch.dir.join("src/generated.rs"), &output.stdout).unwrap();
    let with_generated = main_rs(true).replace(
        "fn main() {\n",
        "mod generated;\n\nfn main() {\n    let all: generated::app_flags::All = \
         flags::Client::for_tests().flags(&flags::Context::anonymous());\n    \
         println!(\"legacy_export={}\", all.legacy_export);\n",
    );
    std::fs::write(scratch.dir.join("src/main.rs"), with_generated).unwrap();
    let output = ok(scratch.cargo(&["run"], &[]));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "legacy_export=false\nnew_checkout=true upload_limit=25 greeting=Hi there\n"
    );
    std::fs::remove_file(scratch.dir.join("src/generated.rs")).unwrap();
    std::fs::write(scratch.dir.join("src/main.rs"), main_rs(true)).unwrap();

    // The service renames a flag the code uses: CI's `flags check` fails.
    let renamed = flagd(&[
        ("checkout-v2", NEW_CHECKOUT.1),
        UPLOAD_LIMIT,
        GREETING,
        LEGACY,
    ]);
    server.serve(Reply::json(&renamed));
    let output = scratch.flags(&["check"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("- removed flag `new-checkout`"), "{err}");
    assert!(err.contains("+ added flag `checkout-v2`"), "{err}");

    // `FLAGS_SYNC=1`: the build script fetches, the lock follows the server, and the build
    // fails at the renamed flag.
    let before = server.count();
    let output = scratch.cargo(&["build"], &[("FLAGS_SYNC", "1")]);
    assert!(server.count() > before, "the build script did not fetch");
    assert!(scratch.lock().contains("checkout-v2"));
    assert!(!output.status.success());
    assert!(
        stderr(&output)
            .contains("unknown flag `new-checkout` (named after the field) in `flags.lock.json`"),
        "{}",
        stderr(&output)
    );
}
