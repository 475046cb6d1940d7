//! `flags check` lints the targeting rules: what flagd loads but evaluates otherwise than it
//! reads is a warning naming the flag, and `--deny-warnings` makes it fail. Runs the `flags`
//! command on a crate in a temporary directory, with a local file source (no network, no
//! build).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A crate whose flags come from `flags.json`.
struct Crate {
    dir: PathBuf,
}

impl Crate {
    fn new(name: &str, flags: &str) -> Crate {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("lint")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
                 [package.metadata.flags]\nsources = [{{ kind = \"file\", path = \"flags.json\" }}]\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(dir.join("flags.json"), flags).unwrap();
        Crate { dir }
    }

    fn flags(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_flags"));
        command.args(args).current_dir(&self.dir);
        for var in [
            "FLAGS_CHECK",
            "FLAGS_SYNC",
            "FLAGS_OFFLINE",
            "FLAGS_STRICT",
            "CARGO_MANIFEST_DIR",
        ] {
            command.env_remove(var);
        }
        command.output().expect("the flags command runs")
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const SUSPICIOUS: &str = r#"{
  "flags": {
    "beta": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "off",
      "targeting": { "if": [{ "sem_ver": [{ "var": "version" }, "==", "2.0.0"] }, "on", "off"] }
    },
    "rollout": {
      "state": "ENABLED",
      "variants": { "on": true, "off": false },
      "defaultVariant": "off",
      "targeting": { "if": [{ "$ref": "staf" }, "on", { "fractional": [["on", 50], ["off", -50]] }] }
    },
    "plain": { "state": "ENABLED", "variants": { "on": true }, "defaultVariant": "on" }
  },
  "$evaluators": { "staff": { "ends_with": [{ "var": "email" }, "@example.com"] } }
}"#;

#[test]
fn check_prints_the_lint_and_fails_on_it_when_asked() {
    let krate = Crate::new("lint_warns", SUSPICIOUS);
    // The rules load (flagd loads them): the lock is created.
    let output = krate.flags(&["sync"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = krate.flags(&["check", "--no-scan"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(
        warnings,
        [
            "warning: flag `beta`: unknown `sem_ver` operator `==`; expected one of `=`, `!=`, \
             `<`, `<=`, `>`, `>=`, `^`, `~`: it is always null",
            "warning: flag `rollout`: `$ref` names evaluator `staf`, which `$evaluators` does \
             not define (did you mean `staff`?): flagd cannot evaluate the rule",
            "warning: flag `rollout`: the weight of variant `off` is negative (`-50`): it \
             counts as 0",
        ],
        "{err}"
    );

    let output = krate.flags(&["check", "--no-scan", "--deny-warnings"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("warning: flag `beta`"));
}

#[test]
fn a_clean_configuration_passes_with_deny_warnings() {
    let clean = SUSPICIOUS
        .replace(r#""==""#, r#""=""#)
        .replace(r#""staf""#, r#""staff""#)
        .replace("-50", "50");
    let krate = Crate::new("lint_clean", &clean);
    assert!(krate.flags(&["sync"]).status.success());
    let output = krate.flags(&["check", "--no-scan", "--deny-warnings"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
}
