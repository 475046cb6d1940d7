//! The implementation of the `flags` macros (`#[derive(Flags)]`, `#[derive(FlagVariant)]`,
//! `flags!`) and of the `flags` command's code generation, as a plain library so that it can be
//! tested and shared (the proc-macro crate `flags-macro` is a thin shim over it).
//!
//! **Not a stable API.** This crate is an implementation detail of `flags-macro` and the
//! `flags` command, published only because they depend on it (as `serde_derive_internals` is
//! for serde, or prost's internal crates are for `prost-build`). Its items may change or go in
//! any release, patch releases included; the versions of the `flags` crates are pinned to each
//! other exactly (`=x.y.z`) for that reason. Use the `flags` crate and its macros instead.
//!
//! Phases, one module each: [`attr`] (the syntax of `#[flags(...)]`, on the derives' inputs
//! and on the `flags!` module) → `ast` (the typed model of a derive's input) → `resolve` (each
//! field against the schema) → `check` (rules across fields) → `expand`; `fallback` is what
//! is emitted when there are errors, `errors` collects them all so that a user sees every
//! mistake in one build. [`locate`] finds the schema. [`module`] is `flags!`: its input, its
//! name model, the shapes of object flags, its expansion.
//!
//! Who uses the public items:
//!
//! | item | used by |
//! | --- | --- |
//! | [`derive_flags`], [`derive_flag_variant`], [`module::flags_module`] | `flags-macro` |
//! | [`module::generate`], [`module::flag_names`], [`module::parse_invocation`], [`keys`] | the `flags` command (`flags generate`, `flags check`) |
//! | [`attr`], [`locate`] | this crate; public for their docs (the attribute and search tables) |
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod ast;
pub mod attr;
mod check;
mod errors;
mod expand;
mod fallback;
pub mod keys;
pub mod locate;
pub mod module;
mod resolve;
mod variant;

pub use variant::derive_flag_variant;

use proc_macro2::TokenStream;

/// What a caller inside this crate (the `flags!` expansion) fixes instead of the input's
/// attributes: the path of the `flags` crate (`$crate` from a `macro_rules!`) and the schema.
#[derive(Default)]
pub(crate) struct Overrides {
    /// The path of the `flags` crate in generated code; wins over `#[flags(crate = ...)]`.
    pub(crate) krate: Option<TokenStream>,
    /// The schema; wins over the search.
    pub(crate) located: Option<locate::Located>,
    /// Leave out the `include_bytes!`/`option_env!` that make Cargo rebuild when the schema
    /// changes: source written out by `flags generate` does not read the schema.
    pub(crate) untracked: bool,
}

/// Expands `#[derive(Flags)]`, for `flags-macro`. Never fails: errors become `compile_error!` invocations at the
/// offending tokens, together with stub items so that each mistake is reported once.
pub fn derive_flags(input: TokenStream) -> TokenStream {
    match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => derive_flags_with(&input, &Overrides::default()),
        Err(error) => error.to_compile_error(),
    }
}

/// [`derive_flags`] with what the caller fixes.
pub(crate) fn derive_flags_with(input: &syn::DeriveInput, overrides: &Overrides) -> TokenStream {
    let mut errors = errors::Errors::new();
    let Some(container) = ast::Container::from_ast(input, &mut errors) else {
        return errors.into_compile_errors();
    };
    let krate = overrides
        .krate
        .clone()
        .unwrap_or_else(|| expand::krate(&container));
    let located = match &overrides.located {
        Some(located) => Some(located.clone()),
        None => {
            let env = locate::Env::from_process();
            let explicit = container
                .attrs
                .schema
                .as_ref()
                .map(|s| (s.value(), s.span()));
            match locate::locate(explicit, &env) {
                Ok(located) => Some(located),
                Err(error) => {
                    let span = container
                        .attrs
                        .schema
                        .as_ref()
                        .map_or(container.ident.span(), |s| s.span());
                    errors.push(syn::Error::new(span, error.to_string()));
                    None
                }
            }
        }
    };
    let resolved = located
        .as_ref()
        .map(|located| resolve::resolve(&container, located, &mut errors));
    if let Some(resolved) = &resolved {
        check::check(&container, resolved, &mut errors);
    }
    match (errors.is_empty(), &resolved, &located) {
        (true, Some(resolved), Some(located)) => {
            expand::expand(&container, resolved, located, &krate, !overrides.untracked)
        }
        _ => {
            let mut out = errors.into_compile_errors();
            out.extend(fallback::fallback(&container, located.as_ref(), &krate));
            out
        }
    }
}
