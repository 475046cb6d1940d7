//! The command line of `flags`: its subcommands, options and help texts.

use clap::{Arg, ArgAction, Command};

/// The `flags` command and its subcommands.
pub(crate) fn command() -> Command {
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
