//! What each subcommand of `flags` does, on top of `flags-build`'s sync.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::ArgMatches;
use flags_build::{Config, Error};

use crate::crate_root::crate_root;

/// Runs the subcommand of `matches`: the exit status, or the message of an error (status 2).
pub(crate) fn run(matches: &ArgMatches) -> Result<ExitCode, String> {
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
            let code = crate::generate(&manifest, module, krate)?;
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
        let usage = crate::scan::scan(root, &manifest).map_err(|e| e.to_string())?;
        let report = crate::scan::report(&manifest, &usage);
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
    let mut warnings = flags_schema::flagd::lint(manifest);
    warnings.extend(flags_schema::flipt::lint(manifest));
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
