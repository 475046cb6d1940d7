//! The syntax of `#[flags(...)]`: one closed set of keys, each accepted once, each where it
//! makes sense.
//!
//! | on | key | value | meaning |
//! | --- | --- | --- | --- |
//! | struct, enum | `crate` | `"path"` | the path of the `flags` crate, when it is renamed or re-exported |
//! | struct, enum | `schema` | `"path"` | the lock or definition file, relative to the crate root |
//! | struct, enum | `rename_all` | `"kebab-case"`, ... | how field (variant) names become keys (values); default `kebab-case` |
//! | enum | `key` | `"flag-key"` | the string flag whose values the variants are; default: the enum name in kebab-case |
//! | field | `key` | `"flag-key"` | the flag; default: the field name under `rename_all` |
//! | field | `default` | an expression | the code default; default: the schema's |
//! | field | `skip` | none | not a flag: `Default::default()` |
//! | variant | `rename` | `"value"` | the value it reads; default: the variant name under `rename_all` |
//! | variant | `other` | none | the catch-all for values no other variant reads |
//! | `flags!` module | `schema` | `"path"` | the lock or definition file, relative to the crate root |

use heck::{
    ToKebabCase, ToLowerCamelCase, ToShoutyKebabCase, ToShoutySnakeCase, ToSnakeCase,
    ToUpperCamelCase,
};
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, LitStr, Path};

use crate::errors::Errors;

/// Where an attribute is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// On a struct deriving `Flags`.
    Struct,
    /// On an enum deriving `FlagVariant`.
    Enum,
    /// On a field of a struct deriving `Flags`.
    Field,
    /// On a variant of an enum deriving `FlagVariant`.
    Variant,
    /// On the module of `flags!`.
    Module,
}

impl Place {
    /// The keys accepted here.
    pub const fn keys(self) -> &'static [&'static str] {
        match self {
            Place::Struct => &["crate", "schema", "rename_all"],
            Place::Enum => &["crate", "schema", "rename_all", "key"],
            Place::Field => &["key", "default", "skip"],
            Place::Variant => &["rename", "other"],
            Place::Module => &["schema"],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Place::Struct => "on a struct",
            Place::Enum => "on an enum",
            Place::Field => "on a field",
            Place::Variant => "on a variant",
            Place::Module => "on a `flags!` module",
        }
    }

    /// The places of the derives' attributes, where a key misplaced among them is pointed to
    /// its place.
    const DERIVES: [Place; 4] = [Place::Struct, Place::Enum, Place::Field, Place::Variant];
}

/// How names become keys or values (serde's names for the same rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameRule {
    /// `new-checkout`
    KebabCase,
    /// `new_checkout`
    SnakeCase,
    /// `newCheckout`
    CamelCase,
    /// `NewCheckout`
    PascalCase,
    /// `NEW_CHECKOUT`
    ScreamingSnakeCase,
    /// `NEW-CHECKOUT`
    ScreamingKebabCase,
    /// `newcheckout`
    LowerCase,
    /// `NEWCHECKOUT`
    UpperCase,
}

impl RenameRule {
    /// Every rule, by the name `rename_all` takes.
    pub const ALL: &'static [(&'static str, RenameRule)] = &[
        ("kebab-case", RenameRule::KebabCase),
        ("snake_case", RenameRule::SnakeCase),
        ("camelCase", RenameRule::CamelCase),
        ("PascalCase", RenameRule::PascalCase),
        ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnakeCase),
        ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebabCase),
        ("lowercase", RenameRule::LowerCase),
        ("UPPERCASE", RenameRule::UpperCase),
    ];

    /// Applies the rule to a Rust name (`upload_limit`, `BigPicture`).
    pub fn apply(self, name: &str) -> String {
        match self {
            RenameRule::KebabCase => name.to_kebab_case(),
            RenameRule::SnakeCase => name.to_snake_case(),
            RenameRule::CamelCase => name.to_lower_camel_case(),
            RenameRule::PascalCase => name.to_upper_camel_case(),
            RenameRule::ScreamingSnakeCase => name.to_shouty_snake_case(),
            RenameRule::ScreamingKebabCase => name.to_shouty_kebab_case(),
            RenameRule::LowerCase => name.to_ascii_lowercase(),
            RenameRule::UpperCase => name.to_ascii_uppercase(),
        }
    }
}

/// Everything `#[flags(...)]` can say; which parts are set depends on the [`Place`].
#[derive(Default)]
pub(crate) struct Attrs {
    pub(crate) krate: Option<Path>,
    pub(crate) schema: Option<LitStr>,
    pub(crate) rename_all: Option<RenameRule>,
    pub(crate) key: Option<LitStr>,
    pub(crate) default: Option<Expr>,
    pub(crate) skip: Option<Span>,
    pub(crate) rename: Option<LitStr>,
    pub(crate) other: Option<Span>,
    /// The attributes had errors: the item is left out of resolution, so that a misspelt
    /// attribute is one error and not also an unknown flag named after the field.
    pub(crate) invalid: bool,
}

impl Attrs {
    /// Parses every `#[flags(...)]` among `attrs`, pushing an error for each mistake.
    pub(crate) fn parse(attrs: &[Attribute], place: Place, errors: &mut Errors) -> Attrs {
        let before = errors.len();
        let mut out = Attrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("flags")) {
            if let syn::Meta::Path(path) = &attr.meta {
                errors.push(syn::Error::new(
                    path.span(),
                    format!(
                        "expected `#[flags(...)]` with one of {}",
                        list(place.keys())
                    ),
                ));
                continue;
            }
            let result = attr.parse_nested_meta(|meta| {
                let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_else(|| {
                    quote::ToTokens::to_token_stream(&meta.path).to_string().replace(' ', "")
                });
                if !place.keys().contains(&name.as_str()) {
                    errors.push(unknown_key(&meta, &name, place));
                    return skip_value(&meta);
                }
                match name.as_str() {
                    "crate" => {
                        let lit = string(&meta, "crate = \"path::to::flags\"")?;
                        match lit.parse::<Path>() {
                            Ok(path) => once(&mut out.krate, path, &meta, &name, errors),
                            Err(_) => errors.push(syn::Error::new(
                                lit.span(),
                                format!(
                                    "`{}` is not a path; write `crate = \"path::to::flags\"`",
                                    lit.value()
                                ),
                            )),
                        }
                    }
                    "schema" => {
                        let lit = string(&meta, "schema = \"flags.lock.json\"")?;
                        once(&mut out.schema, lit, &meta, &name, errors);
                    }
                    "rename_all" => {
                        let lit = string(&meta, "rename_all = \"kebab-case\"")?;
                        match RenameRule::ALL.iter().find(|(n, _)| *n == lit.value()) {
                            Some((_, rule)) => once(&mut out.rename_all, *rule, &meta, &name, errors),
                            None => errors.push(unknown_rule(&lit)),
                        }
                    }
                    "key" => {
                        let lit = string(&meta, "key = \"flag-key\"")?;
                        once(&mut out.key, lit, &meta, &name, errors);
                    }
                    "rename" => {
                        let lit = string(&meta, "rename = \"value\"")?;
                        once(&mut out.rename, lit, &meta, &name, errors);
                    }
                    "default" => {
                        let value = meta.value().map_err(|_| {
                            meta.error("expected a value: write `default = ...` with a value of the field's type")
                        })?;
                        let expr: Expr = value.parse()?;
                        once(&mut out.default, expr, &meta, &name, errors);
                    }
                    "skip" | "other" => {
                        if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
                            skip_value(&meta)?;
                            errors.push(meta.error(format!("`{name}` takes no value: write `#[flags({name})]`")));
                        } else {
                            let slot = if name == "skip" { &mut out.skip } else { &mut out.other };
                            once(slot, meta.path.span(), &meta, &name, errors);
                        }
                    }
                    _ => unreachable!("every key of `Place::keys` is handled above"),
                }
                Ok(())
            });
            if let Err(error) = result {
                errors.push(error);
            }
        }
        out.invalid = errors.len() > before;
        out
    }
}

fn list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn string(meta: &ParseNestedMeta<'_>, form: &str) -> syn::Result<LitStr> {
    let value = meta
        .value()
        .map_err(|_| meta.error(format!("expected a string: write `{form}`")))?;
    let expr: Expr = value.parse()?;
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s),
        other => Err(syn::Error::new(
            other.span(),
            format!("expected a string literal: write `{form}`"),
        )),
    }
}

fn once<T>(
    slot: &mut Option<T>,
    value: T,
    meta: &ParseNestedMeta<'_>,
    name: &str,
    errors: &mut Errors,
) {
    if slot.is_some() {
        errors.push(meta.error(format!("duplicate `{name}`; give it once")));
    } else {
        *slot = Some(value);
    }
}

fn unknown_key(meta: &ParseNestedMeta<'_>, name: &str, place: Place) -> syn::Error {
    let accepted = place.keys();
    // A key of the derives is no hint on a `flags!` module, which takes its crate path from
    // `flags!` and its names from the schema.
    let elsewhere = Place::DERIVES
        .into_iter()
        .filter(|p| Place::DERIVES.contains(&place) && *p != place && p.keys().contains(&name))
        .map(Place::name)
        .collect::<Vec<_>>();
    let hint = if !elsewhere.is_empty() {
        format!("; `{name}` is accepted {}", elsewhere.join(" and "))
    } else {
        crate::locate::closest(name, accepted.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default()
    };
    syn::Error::new(
        meta.path.span(),
        format!(
            "unknown attribute `{name}` {}; expected one of {}{hint}",
            place.name(),
            list(accepted)
        ),
    )
}

fn unknown_rule(lit: &LitStr) -> syn::Error {
    let names: Vec<&str> = RenameRule::ALL.iter().map(|(n, _)| *n).collect();
    let hint = crate::locate::closest(&lit.value(), names.iter().copied())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    syn::Error::new(
        lit.span(),
        format!(
            "unknown `rename_all` rule `{}`; expected one of {}{hint}",
            lit.value(),
            list(&names)
        ),
    )
}

/// Consumes `= value` or `(...)` after a key so that parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: proc_macro2::TokenStream = content.parse()?;
    }
    Ok(())
}
