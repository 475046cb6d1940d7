//! The code generator behind the `flags` macros, as a plain library so that it can be tested
//! and reused (the macros are thin shims over it; `flags-build` shares its schema search).
//!
//! Phases, one module each: [`attr`] (the syntax of `#[flags(...)]`) → `ast` (the typed
//! model of the input) → `resolve` (each field against the schema) → `check` (rules across
//! fields) → `expand`; `fallback` is what is emitted when there are errors, `errors` collects
//! them all so that a user sees every mistake in one build.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ast;
pub mod attr;
mod check;
mod errors;
mod expand;
mod fallback;
pub mod locate;
mod resolve;

use proc_macro2::TokenStream;

/// Expands `#[derive(Flags)]`. Never fails: errors become `compile_error!` invocations at the
/// offending tokens, together with stub items so that each mistake is reported once.
pub fn derive_flags(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = errors::Errors::new();
    let Some(container) = ast::Container::from_ast(&input, &mut errors) else {
        return errors.into_compile_errors();
    };
    let env = locate::Env::from_process();
    let located = match locate::locate(
        container
            .attrs
            .schema
            .as_ref()
            .map(|s| (s.value(), s.span())),
        &env,
    ) {
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
    };
    let resolved = located
        .as_ref()
        .map(|located| resolve::resolve(&container, located, &mut errors));
    if let Some(resolved) = &resolved {
        check::check(resolved, &mut errors);
    }
    match (errors.is_empty(), &resolved, &located) {
        (true, Some(resolved), Some(located)) => expand::expand(&container, resolved, located),
        _ => {
            let mut out = errors.into_compile_errors();
            out.extend(fallback::fallback(&container, located.as_ref()));
            out
        }
    }
}
