//! The `flags` command; see the crate docs of `flags_cli`.

fn main() -> std::process::ExitCode {
    flags_cli::main()
}
