//! Collects every error of one expansion, so that a user sees all their mistakes at once.

use proc_macro2::TokenStream;

/// Errors found so far; turned into `compile_error!`s at the end.
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    pub(crate) fn new() -> Errors {
        Errors { errors: Vec::new() }
    }

    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The messages, in the order found.
    pub(crate) fn into_messages(self) -> Vec<String> {
        self.errors.iter().map(ToString::to_string).collect()
    }

    /// One `compile_error!` per error, each at its own span.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        let mut combined: Option<syn::Error> = None;
        for error in self.errors {
            match &mut combined {
                Some(all) => all.combine(error),
                None => combined = Some(error),
            }
        }
        combined.map(|e| e.to_compile_error()).unwrap_or_default()
    }
}
