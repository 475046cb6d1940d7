//! The Rust names `flags!` gives flags, fields and variants.
//!
//! [`rust_name`] turns a flag key, a variant name or a JSON key into an identifier: heck's
//! conversion to the case asked for; a name that starts with a digit gets a word in front
//! (`3d-mode` → `FLAG_3D_MODE`, `flag_3d_mode`, `Flag3dMode`); a Rust keyword becomes a raw
//! identifier (`type` → `r#type`), or gets a trailing `_` where Rust forbids raw identifiers
//! (`self` → `self_`); `Self` as a type or variant name gets the word in front. Names that
//! still are not identifiers (nothing alphanumeric, characters Rust does not accept) are
//! `None`, and callers report them. Two names that convert to the same identifier are a
//! compile error naming both, never renamed silently: a suffix would depend on which other
//! keys exist, and a key added to the schema would then rename code that compiled before.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// The case of a generated name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// Fields: `new_checkout`.
    Snake,
    /// Types and enum variants: `NewCheckout`.
    UpperCamel,
}

impl Case {
    fn convert(self, name: &str) -> String {
        match self {
            Case::Snake => name.to_snake_case(),
            Case::UpperCamel => name.to_upper_camel_case(),
        }
    }
}

/// Keywords Rust reserves (2024 edition), which a plain identifier cannot be.
const KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers either.
const NOT_RAW: &[&str] = &["Self", "crate", "self", "super"];

/// The identifier for `name` in `case`, as a string (`r#type` for keywords); `prefix` (a
/// lowercase word) goes in front of names that start with a digit, and of `Self`. `None` when
/// no identifier can be made; see the module docs for the rules.
pub(crate) fn rust_name(name: &str, case: Case, prefix: &str) -> Option<String> {
    let mut converted = case.convert(name);
    if converted.is_empty() {
        return None;
    }
    if converted.starts_with(|c: char| c.is_ascii_digit())
        || (case == Case::UpperCamel && converted == "Self")
    {
        converted = case.convert(&format!("{prefix} {name}"));
    }
    if KEYWORDS.contains(&converted.as_str()) {
        converted = if NOT_RAW.contains(&converted.as_str()) {
            format!("{converted}_")
        } else {
            format!("r#{converted}")
        };
    }
    // Rejects what the lexer does not take (characters outside XID) and keywords left over.
    syn::parse_str::<syn::Ident>(&converted).ok()?;
    Some(converted)
}

/// The constant of a field made by [`rust_name`]: `NEW_CHECKOUT` for `new_checkout`, `TYPE`
/// for `r#type`; the name `#[derive(Flags)]` gives the field's key constant. Never a keyword:
/// Rust's are lowercase or `Self`.
pub(crate) fn const_name(field: &str) -> String {
    field
        .strip_prefix("r#")
        .unwrap_or(field)
        .to_shouty_snake_case()
}

/// An identifier from a name made by [`rust_name`].
/// Names are checked with [`is_ident`] where they are made; should one slip through, it gives
/// a name that fails to resolve rather than a panic in the compiler.
pub(crate) fn ident(name: &str, span: proc_macro2::Span) -> syn::Ident {
    match syn::parse_str::<syn::Ident>(name) {
        Ok(mut ident) => {
            ident.set_span(span);
            ident
        }
        Err(_) => syn::Ident::new("__flags_invalid_name", span),
    }
}

/// Whether `name` is an identifier (`r#type` included, bare keywords not).
pub(crate) fn is_ident(name: &str) -> bool {
    syn::parse_str::<syn::Ident>(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_each_case() {
        let cases = [
            (
                "new-checkout",
                "new_checkout",
                "NewCheckout",
                "NEW_CHECKOUT",
            ),
            ("newCheckout", "new_checkout", "NewCheckout", "NEW_CHECKOUT"),
            ("type", "r#type", "Type", "TYPE"),
            ("self", "self_", "FlagSelf", "SELF"),
            ("3d-mode", "flag_3d_mode", "Flag3dMode", "FLAG_3D_MODE"),
            ("a.b/c", "a_b_c", "ABC", "A_B_C"),
            ("union", "union", "Union", "UNION"),
        ];
        for (name, snake, camel, shouty) in cases {
            assert_eq!(
                rust_name(name, Case::Snake, "flag").as_deref(),
                Some(snake),
                "{name}"
            );
            assert_eq!(
                rust_name(name, Case::UpperCamel, "flag").as_deref(),
                Some(camel),
                "{name}"
            );
            assert_eq!(const_name(snake), shouty, "{name}");
        }
        assert_eq!(rust_name("---", Case::Snake, "flag"), None);
        assert_eq!(rust_name("", Case::UpperCamel, "flag"), None);
        assert_eq!(
            rust_name("1", Case::UpperCamel, "variant").as_deref(),
            Some("Variant1")
        );
        // Made identifiers turn into tokens without panicking, raw ones included.
        for name in ["r#type", "self_", "Flag3dMode"] {
            let _ = ident(name, proc_macro2::Span::call_site());
        }
    }
}
