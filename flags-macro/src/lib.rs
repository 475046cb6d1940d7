//! Procedural macros of [`flags`](https://docs.rs/flags). A thin shim: the work is done by
//! `flags-codegen`. Use them through the `flags` crate: `#[derive(flags::Flags)]`.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Derives typed flag keys and `Flags` for a struct of flags; see the `flags` crate.
#[proc_macro_derive(Flags, attributes(flags))]
pub fn derive_flags(input: TokenStream) -> TokenStream {
    flags_codegen::derive_flags(input.into()).into()
}

/// Derives `FlagVariant` for an enum whose variants are the values of a string flag; see the
/// `flags` crate.
#[proc_macro_derive(FlagVariant, attributes(flags))]
pub fn derive_flag_variant(input: TokenStream) -> TokenStream {
    flags_codegen::derive_flag_variant(input.into()).into()
}

/// The proc macro behind `flags::flags!`, which passes it `$crate;` before the module; not
/// for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn flags_module(input: TokenStream) -> TokenStream {
    flags_codegen::module::flags_module(input.into()).into()
}
