//! What the tests of `flags!` share: running the macro and reading its errors.

use std::path::PathBuf;

use proc_macro2::{TokenStream, TokenTree};
use syn::LitStr;

pub(crate) use super::flags_module;

pub(crate) const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/app_flags.json"
);

pub(crate) fn run(input: &str) -> String {
    flags_module(input.parse().unwrap()).to_string()
}

pub(crate) fn with_schema(path: &str) -> String {
    run(&format!(
        "::flags; #[flags(schema = {path:?})] pub mod app_flags;"
    ))
}

/// The messages of the `compile_error!`s in `output`.
pub(crate) fn messages(output: &str) -> Vec<String> {
    let stream: TokenStream = output.parse().unwrap();
    let mut out = Vec::new();
    let mut tokens = stream.into_iter().peekable();
    while let Some(token) = tokens.next() {
        if let TokenTree::Ident(ident) = &token
            && ident == "compile_error"
        {
            // `compile_error` `!` `{ "message" }`
            tokens.next();
            if let Some(TokenTree::Group(group)) = tokens.next() {
                let lit: LitStr = syn::parse2(group.stream()).unwrap();
                out.push(lit.value());
            }
        }
    }
    out
}

/// Writes `json` to a file of its own; returns its path.
pub(crate) fn schema_file(name: &str, json: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flags-codegen-module-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, json).unwrap();
    path
}

pub(crate) fn flag(variants: &str, default: &str) -> String {
    format!(r#"{{"state": "ENABLED", "variants": {variants}, "defaultVariant": {default}}}"#)
}
