//! The input of `flags!`: the `flags` crate's path, the module's attributes, visibility and name.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Ident, Token, Visibility};

use crate::attr::{Attrs, Place};
use crate::errors::Errors;

/// How the macro is written, for messages.
pub(super) const USAGE: &str = "flags::flags!(pub mod app_flags);";

/// A `flags!` invocation as written in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Invocation {
    /// The module's name.
    pub module: String,
    /// `#[flags(schema = "...")]` on the module, as written.
    pub schema: Option<String>,
}

/// Reads the input of a `flags!` invocation as a user writes it (`pub mod app_flags;`, with
/// attributes), for `flags check`; an error when the macro would reject it.
pub fn parse_invocation(tokens: TokenStream) -> syn::Result<Invocation> {
    let (attrs, _vis, ident) = (|input: ParseStream<'_>| parse_module(input)).parse2(tokens)?;
    let mut errors = Errors::new();
    let (_, flags_attrs) = module_attrs(&attrs, &mut errors);
    Ok(Invocation {
        module: ident.to_string(),
        schema: flags_attrs.schema.map(|s| s.value()),
    })
}

/// The parsed input.
pub(super) struct Input {
    /// The path of the `flags` crate (`$crate`).
    pub(super) krate: TokenStream,
    /// Every attribute on the module, `#[flags(...)]` included.
    pub(super) attrs: Vec<Attribute>,
    pub(super) vis: Visibility,
    pub(super) ident: Ident,
}

pub(super) fn parse(input: TokenStream) -> syn::Result<Input> {
    let mut tokens = input.into_iter();
    let mut krate = TokenStream::new();
    loop {
        match tokens.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == ';' => break,
            Some(token) => krate.extend([token]),
            None => {
                return Err(syn::Error::new(
                    Span::call_site(),
                    format!("`flags_module!` is called through `flags!`; write `{USAGE}`"),
                ));
            }
        }
    }
    if krate.is_empty() {
        krate = quote!(::flags);
    }
    let rest: TokenStream = tokens.collect();
    let (attrs, vis, ident) = (|input: ParseStream<'_>| parse_module(input)).parse2(rest)?;
    Ok(Input {
        krate,
        attrs,
        vis,
        ident,
    })
}

fn parse_module(input: ParseStream<'_>) -> syn::Result<(Vec<Attribute>, Visibility, Ident)> {
    if input.is_empty() {
        return Err(input.error(format!(
            "expected a module: `flags!` generates one from the schema; write `{USAGE}`"
        )));
    }
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    if !input.peek(Token![mod]) {
        return Err(input.error(format!(
            "expected `mod`: `flags!` generates a module from the schema; write `{USAGE}`"
        )));
    }
    input.parse::<Token![mod]>()?;
    let ident: Ident = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("expected the name of the module after `mod`, as in `{USAGE}`"),
        )
    })?;
    if input.peek(syn::token::Brace) {
        return Err(input.error(format!(
            "`flags!` writes the module's contents from the schema; remove the braces: `{USAGE}`"
        )));
    }
    if input.peek(Token![;]) {
        input.parse::<Token![;]>()?;
    }
    if !input.is_empty() {
        return Err(input.error(format!(
            "unexpected tokens after the module; `flags!` takes one module, as in `{USAGE}`"
        )));
    }
    Ok((attrs, vis, ident))
}

/// Splits the module's attributes into those kept on the module and `#[flags(...)]`, read
/// by the derives' grammar at [`Place::Module`].
pub(super) fn module_attrs(attrs: &[Attribute], errors: &mut Errors) -> (Vec<Attribute>, Attrs) {
    let kept = attrs
        .iter()
        .filter(|attr| !attr.path().is_ident("flags"))
        .cloned()
        .collect();
    (kept, Attrs::parse(attrs, Place::Module, errors))
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;
    use crate::module::test_support::*;

    fn parsed(input: &str) -> syn::Result<Input> {
        parse(input.parse().unwrap())
    }

    #[test]
    fn parses_krate_attributes_visibility_and_name() {
        let input = parsed(
            "$crate; /// Docs.\n#[flags(schema = \"f.json\")] #[allow(unused)] pub(crate) mod app_flags;",
        )
        .unwrap();
        assert_eq!(input.krate.to_string(), "$ crate");
        assert_eq!(input.ident, "app_flags");
        assert_eq!(input.vis.to_token_stream().to_string(), "pub (crate)");
        assert_eq!(input.attrs.len(), 3);
        let mut errors = Errors::new();
        let (kept, flags_attrs) = module_attrs(&input.attrs, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(
            flags_attrs.schema.map(|s| s.value()).as_deref(),
            Some("f.json")
        );
        // The doc comment and `allow` stay on the module; `#[flags]` does not.
        assert_eq!(kept.len(), 2);
        assert!(kept[0].path().is_ident("doc"));
        assert!(kept[1].path().is_ident("allow"));

        // The `;` is optional; so is the visibility.
        let input = parsed("::flags; mod app_flags").unwrap();
        assert_eq!(input.krate.to_string(), ":: flags");
        assert!(matches!(input.vis, Visibility::Inherited));
        // A multi-segment crate path.
        let input = parsed("::my::reexport::flags; mod m;").unwrap();
        assert_eq!(input.krate.to_string(), ":: my :: reexport :: flags");
    }

    #[test]
    fn input_that_is_not_a_module_is_an_error_with_the_accepted_form() {
        let cases = [
            ("$crate; pub struct AppFlags;", "expected `mod`"),
            ("$crate; pub fn f() {}", "expected `mod`"),
            ("$crate;", "expected a module"),
            (
                "$crate; pub mod app_flags { const X: u8 = 1; }",
                "remove the braces",
            ),
            (
                "$crate; mod a; mod b;",
                "unexpected tokens after the module",
            ),
            (
                "$crate; mod 3;",
                "expected the name of the module after `mod`",
            ),
            (
                "$crate pub mod app_flags",
                "`flags_module!` is called through `flags!`",
            ),
        ];
        for (input, expected) in cases {
            let error = match parsed(input) {
                Ok(_) => panic!("{input:?} parsed"),
                Err(error) => error.to_string(),
            };
            assert!(error.contains(expected), "{input:?}: {error}");
            assert!(
                error.contains(USAGE) || error.contains("write"),
                "{input:?}: {error}"
            );
            // And the macro turns it into one `compile_error!`, without panicking.
            assert_eq!(messages(&run(input)).len(), 1, "{input:?}");
        }
    }

    #[test]
    fn invocations_parse_as_the_macro_reads_them() {
        let invocation = parse_invocation(
            "#[doc = \"x\"] #[flags(schema = \"f.json\")] pub(crate) mod app_flags;"
                .parse()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(invocation.module, "app_flags");
        assert_eq!(invocation.schema.as_deref(), Some("f.json"));
        let invocation = parse_invocation("mod m".parse().unwrap()).unwrap();
        assert_eq!((invocation.module.as_str(), invocation.schema), ("m", None));
        for wrong in ["pub struct S;", "mod m { }", "", "mod a; mod b;"] {
            assert!(parse_invocation(wrong.parse().unwrap()).is_err(), "{wrong}");
        }
    }
}
