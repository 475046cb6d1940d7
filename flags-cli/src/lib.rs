//! `flags`: keeps a crate's flag lock file in step with its flag service.
//!
//! ```text
//! flags sync        fetch the definitions from the sources, update the lock file
//! flags check       fail when the lock differs from the sources; list unused and unknown flags;
//!                   lint the targeting rules
//! flags schema      print the JSON Schema of the lock file
//! flags generate    print the Rust code `flags!` generates for the lock
//! flags export      write the lock's flags as an OpenFeature CLI manifest
//! ```
//!
//! The sources are those of `[package.metadata.flags]` in the crate's `Cargo.toml` (see
//! `flags-build`'s docs). Exit status: 0 on success, 1 when `check` finds a difference (or,
//! with `--deny-warnings`, a lint warning), 2 on any error (bad arguments, bad configuration,
//! an unreachable source in strict mode).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use flags_build::{Config, Error};

fn cli() -> Command {
    let manifest_path = Arg::new("manifest-path")
        .long("manifest-path")
        .value_name("PATH")
        .global(true)
        .help("The crate's Cargo.toml [default: the nearest one above the current directory]");
    let offline = Arg::new("offline")
        .long("offline")
        .action(ArgAction::SetTrue)
        .help("Never use the network: remote sources are not fetched (also FLAGS_OFFLINE=1)");
    let strict = Arg::new("strict")
        .long("strict")
        .action(ArgAction::SetTrue)
        .help("A source that cannot be reached is an error, even when a lock exists (also FLAGS_STRICT=1)");
    let lock = Arg::new("lock")
        .long("lock")
        .value_name("PATH")
        .help("The lock file, relative to the crate root [default: `lock` of [package.metadata.flags], else flags.lock.json]");
    Command::new("flags")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Typed feature flags: keep the flag lock file in step with the flag service")
        .long_about(
            "Typed feature flags: keep the flag lock file (flags.lock.json) in step with the flag \
             service.\n\nThe sources are configured in [package.metadata.flags] of the crate's \
             Cargo.toml; credentials are read from the environment variables they name.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(manifest_path)
        .subcommand(
            Command::new("sync")
                .about("Fetch the definitions from the sources and update the lock file")
                .long_about(
                    "Fetch the definitions from every source and merge them into the lock file. \
                     The lock is rewritten only when the definitions or the sources changed; \
                     what changed is printed.",
                )
                .arg(offline.clone())
                .arg(strict.clone())
                .arg(lock.clone()),
        )
        .subcommand(
            Command::new("check")
                .about("Fail when the lock file differs from the sources; list unused and unknown flags")
                .long_about(
                    "Fetch the definitions from every source and compare them with the lock file, \
                     never writing it: exit with status 1 and print the difference (flags added, \
                     removed, type, default or variants changed) when they differ. Then scan the \
                     crate's sources for the flags its #[derive(Flags)], #[derive(FlagVariant)], \
                     flags! modules and FlagKey::new calls use: flags of the lock used nowhere are \
                     listed, and keys used in code that the lock lacks fail the check. The \
                     targeting rules are linted: what flagd loads but evaluates differently from \
                     what it seems to say (a malformed sem_ver, fractional, starts_with or \
                     ends_with call, which gives null; an unknown operator or a $ref to no \
                     evaluator, which makes the flag answer PARSE_ERROR) is a warning.",
                )
                .arg(offline)
                .arg(strict)
                .arg(lock.clone())
                .arg(
                    Arg::new("deny-unused")
                        .long("deny-unused")
                        .action(ArgAction::SetTrue)
                        .help("Fail when the lock has flags that no code uses"),
                )
                .arg(
                    Arg::new("no-scan")
                        .long("no-scan")
                        .action(ArgAction::SetTrue)
                        .help("Do not scan the crate's sources for unused and unknown flags"),
                )
                .arg(
                    Arg::new("deny-warnings")
                        .long("deny-warnings")
                        .action(ArgAction::SetTrue)
                        .help("Fail when the lint of the targeting rules warns"),
                ),
        )
        .subcommand(Command::new("schema").about("Print the JSON Schema of the lock file"))
        .subcommand(
            Command::new("generate")
                .about("Print the Rust code `flags!` generates for the lock file")
                .long_about(
                    "Print the Rust code that `flags::flags!(pub mod <MODULE>)` expands to for the \
                     lock file: a typed key constant per flag, an enum per string flag with \
                     variants, a struct per object flag, and `All`.",
                )
                .arg(lock.clone())
                .arg(
                    Arg::new("module")
                        .long("module")
                        .value_name("NAME")
                        .default_value("flags")
                        .help("The name of the generated module"),
                )
                .arg(
                    Arg::new("crate-path")
                        .long("crate-path")
                        .value_name("PATH")
                        .default_value("::flags")
                        .help("The path of the `flags` crate in the generated code"),
                ),
        )
        .subcommand(
            Command::new("export")
                .about("Write the lock's flags in another format")
                .arg(lock)
                .arg(
                    Arg::new("format")
                        .long("format")
                        .value_name("FORMAT")
                        .required(true)
                        .value_parser(["openfeature"])
                        .help("`openfeature`: an OpenFeature CLI flag manifest"),
                )
                .arg(
                    Arg::new("output")
                        .long("output")
                        .short('o')
                        .value_name("FILE")
                        .help("Write to FILE instead of standard output"),
                ),
        )
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    match run(&matches) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(matches: &ArgMatches) -> Result<ExitCode, String> {
    let (name, sub) = matches.subcommand().expect("a subcommand is required");
    if name == "schema" {
        print(&flags_schema::json_schema())?;
        return Ok(ExitCode::SUCCESS);
    }
    let root = crate_root(matches.get_one::<String>("manifest-path"))?;
    let mut config = Config::new().crate_root(&root);
    if let Some(lock) = sub.get_one::<String>("lock") {
        config = config.lock(lock);
    }
    match name {
        "sync" => sync(config, sub),
        "check" => check(config, sub, &root),
        "generate" => {
            let manifest = read_lock(config)?;
            let module = sub.get_one::<String>("module").expect("defaulted");
            let krate = sub.get_one::<String>("crate-path").expect("defaulted");
            let code = flags_build::generate(&manifest, module, krate)?;
            print(&code)?;
            Ok(ExitCode::SUCCESS)
        }
        "export" => {
            let manifest = read_lock(config)?;
            let document = flags_schema::openfeature_cli::export(&manifest);
            let mut text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
            text.push('\n');
            match sub.get_one::<String>("output") {
                Some(path) => std::fs::write(path, text)
                    .map_err(|e| format!("could not write `{path}`: {e}"))?,
                None => print(&text)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn switches(mut config: Config, sub: &ArgMatches) -> Config {
    if sub.get_flag("offline") {
        config = config.offline(true);
    }
    if sub.get_flag("strict") {
        config = config.strict(true);
    }
    config
}

fn sync(config: Config, sub: &ArgMatches) -> Result<ExitCode, String> {
    let synced = switches(config, sub)
        .refresh(true)
        .check(false)
        .sync_lock()
        .map_err(|e| e.to_string())?;
    for warning in &synced.warnings {
        eprintln!("warning: {warning}");
    }
    let count = synced.manifest.flags.len();
    if synced.lock_created {
        eprintln!("created the lock file: {count} flags; commit it");
    } else if synced.lock_written {
        eprint!("{}", synced.diff);
        eprintln!("updated the lock file: {count} flags; commit it");
    } else if synced.fetched || synced.warnings.is_empty() {
        eprintln!("the lock file is up to date: {count} flags");
    }
    Ok(ExitCode::SUCCESS)
}

fn check(config: Config, sub: &ArgMatches, root: &Path) -> Result<ExitCode, String> {
    let mut failed = false;
    let manifest = match switches(config.clone(), sub).check(true).sync_lock() {
        Ok(synced) => {
            for warning in &synced.warnings {
                eprintln!("warning: {warning}");
            }
            eprintln!(
                "the lock file matches its sources: {} flags",
                synced.manifest.flags.len()
            );
            synced.manifest
        }
        Err(Error::Drift { lock, diff }) => {
            eprintln!("`{lock}` is out of date with its sources:");
            eprint!("{diff}");
            eprintln!("run `flags sync` to update it, then commit it");
            failed = true;
            // The stale report runs against the lock as committed.
            read_lock(config)?
        }
        Err(error) => return Err(error.to_string()),
    };
    if lint(&manifest) && sub.get_flag("deny-warnings") {
        failed = true;
    }
    if !sub.get_flag("no-scan") {
        let usage = flags_build::scan::scan(root, &manifest).map_err(|e| e.to_string())?;
        let report = flags_build::scan::report(&manifest, &usage);
        eprint!("{report}");
        if !report.unknown.is_empty() || (sub.get_flag("deny-unused") && !report.unused.is_empty())
        {
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints the lint of the targeting rules (one `warning:` line each); `true` when it warned.
fn lint(manifest: &flags_schema::Manifest) -> bool {
    let warnings = flags_schema::flagd::lint(manifest);
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    !warnings.is_empty()
}

/// The lock as committed: no source is read, nothing is written.
fn read_lock(config: Config) -> Result<flags_schema::Manifest, String> {
    config.read_lock().map_err(|e| e.to_string())
}

fn print(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("could not write to standard output: {e}"))
}

/// The directory of `--manifest-path`, or of the nearest `Cargo.toml` with a `[package]` above
/// the current directory.
fn crate_root(manifest_path: Option<&String>) -> Result<PathBuf, String> {
    if let Some(path) = manifest_path {
        let path = Path::new(path);
        if !path.is_file() {
            return Err(format!("`{}` does not exist", path.display()));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        return Ok(if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.to_owned()
        });
    }
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    for dir in cwd.ancestors() {
        let candidate = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&candidate)
            && text.lines().any(|line| line.trim() == "[package]")
        {
            return Ok(dir.to_owned());
        }
    }
    Err(format!(
        "no `Cargo.toml` with a `[package]` in `{}` or above it; run in a crate or give `--manifest-path`",
        cwd.display()
    ))
}
