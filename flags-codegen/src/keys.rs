//! The flag keys a `#[derive(Flags)]` struct or a `#[derive(FlagVariant)]` enum names,
//! computed by the code the derives use, for tools that read sources without compiling them
//! (`flags check` listing the flags no code reads).
//!
//! Unlike the derives, these never report errors: an attribute the derive would reject leaves
//! its field out (the derive leaves it out of resolution too), and an input that is not a
//! struct with named fields names no flag.

use proc_macro2::Span;
use syn::DeriveInput;

use crate::ast::Container;
use crate::attr::{Attrs, Place};
use crate::errors::Errors;

/// A field of a `#[derive(Flags)]` struct and the flag it reads.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FieldKey {
    /// The field name, without `r#`.
    pub field: String,
    /// The flag key: `#[flags(key = "...")]`, else the field name under `rename_all`.
    pub key: String,
    /// The field name's span, or the `key = "..."` literal's when there is one.
    pub span: Span,
}

/// The flags a `#[derive(Flags)]` struct reads, field by field in declaration order; skipped
/// fields (`#[flags(skip)]`) and fields with invalid attributes are left out.
pub fn struct_keys(input: &DeriveInput) -> Vec<FieldKey> {
    let mut errors = Errors::new();
    let Some(container) = Container::from_ast(input, &mut errors) else {
        return Vec::new();
    };
    container
        .flag_fields()
        .map(|field| FieldKey {
            field: field.name(),
            key: container.key_of(field).0,
            span: field.key_span(),
        })
        .collect()
}

/// The string flag a `#[derive(FlagVariant)]` enum reads (`#[flags(key = "...")]`, else the
/// enum name in kebab-case), with the span of the literal or of the enum name.
pub fn variant_key(input: &DeriveInput) -> (String, Span) {
    let mut errors = Errors::new();
    let attrs = Attrs::parse(&input.attrs, Place::Enum, &mut errors);
    let span = attrs.key.as_ref().map_or(input.ident.span(), |k| k.span());
    (crate::variant::enum_key(&input.ident, &attrs), span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(input: &str) -> Vec<(String, String)> {
        struct_keys(&syn::parse_str(input).unwrap())
            .into_iter()
            .map(|k| (k.field, k.key))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn fields_become_keys_as_the_derive_names_them() {
        assert_eq!(
            keys(
                "struct S { new_checkout: bool, #[flags(key = \"x.y\")] other: i64, #[flags(skip)] cache: u8, r#type: String }"
            ),
            pairs(&[
                ("new_checkout", "new-checkout"),
                ("other", "x.y"),
                ("type", "type")
            ])
        );
        assert_eq!(
            keys(
                "#[flags(rename_all = \"camelCase\")] struct S { new_checkout: bool, #[flags(key = \"k\")] b: bool }"
            ),
            pairs(&[("new_checkout", "newCheckout"), ("b", "k")])
        );
        // A misspelt attribute leaves the field out, as the derive does; so does `skip` with a
        // value (an error too).
        assert_eq!(
            keys("struct S { #[flags(kee = \"x\")] a: bool, #[flags(skip = 1)] b: bool, c: bool }"),
            pairs(&[("c", "c")])
        );
        // Not a struct with named fields: no flag.
        assert!(keys("struct S(bool);").is_empty());
        assert!(keys("enum E { A }").is_empty());
    }

    #[test]
    fn enums_name_their_flag() {
        let key = |input: &str| variant_key(&syn::parse_str(input).unwrap()).0;
        assert_eq!(key("enum CheckoutFlow { A }"), "checkout-flow");
        assert_eq!(
            key("#[flags(key = \"hero\", rename_all = \"snake_case\")] enum H { A }"),
            "hero"
        );
        // `rename_all` is for the values, not the key.
        assert_eq!(
            key("#[flags(rename_all = \"snake_case\")] enum BigHero { A }"),
            "big-hero"
        );
    }
}
