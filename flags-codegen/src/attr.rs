//! The syntax of `#[flags(...)]`: one closed set of keys, each accepted once.
//!
//! | where | key | value |
//! | --- | --- | --- |
//! | struct | `schema` | `"path"` to a lock or definition file, relative to the crate root |
//! | struct | `crate` | `"path"` to the `flags` crate, when it is renamed or re-exported |
//! | field | `key` | `"flag-key"`; defaults to the field name in kebab-case |
//! | field | `default` | an expression of the field's type; defaults to the schema's default |

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, LitStr, Path};

use crate::errors::Errors;

/// Keys accepted on the struct.
pub const CONTAINER_KEYS: &[&str] = &["schema", "crate"];
/// Keys accepted on a field.
pub const FIELD_KEYS: &[&str] = &["key", "default"];

/// `#[flags(...)]` on the struct.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) schema: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

/// `#[flags(...)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) key: Option<LitStr>,
    pub(crate) default: Option<Expr>,
    /// The attribute had errors: the field is not resolved, so that a misspelt `key` is one
    /// error and not also an unknown flag named after the field.
    pub(crate) invalid: bool,
}

impl ContainerAttrs {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
        let mut out = ContainerAttrs::default();
        for attr in flags_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("schema") {
                    let value: LitStr = string_value(&meta, "schema = \"flags.lock.json\"")?;
                    set_once(&mut out.schema, value, &meta, errors);
                } else if meta.path.is_ident("crate") {
                    let lit: LitStr = string_value(&meta, "crate = \"path::to::flags\"")?;
                    match lit.parse::<Path>() {
                        Ok(path) => set_once(&mut out.krate, path, &meta, errors),
                        Err(_) => errors.push(syn::Error::new(
                            lit.span(),
                            format!(
                                "`{}` is not a path; write `crate = \"path::to::flags\"`",
                                lit.value()
                            ),
                        )),
                    }
                } else {
                    errors.push(unknown_key(&meta, CONTAINER_KEYS, "on a struct"));
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(error) = result {
                errors.push(error);
            }
        }
        out
    }
}

impl FieldAttrs {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
        let before = errors.len();
        let mut out = FieldAttrs::default();
        for attr in flags_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("key") {
                    let value: LitStr = string_value(&meta, "key = \"flag-key\"")?;
                    set_once(&mut out.key, value, &meta, errors);
                } else if meta.path.is_ident("default") {
                    let value: Expr = meta.value().map_err(|_| {
                        meta.error("expected a value: write `default = ...` with a value of the field's type")
                    })?.parse()?;
                    set_once(&mut out.default, value, &meta, errors);
                } else {
                    errors.push(unknown_key(&meta, FIELD_KEYS, "on a field"));
                    skip_value(&meta)?;
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

fn flags_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("flags"))
}

fn string_value(meta: &ParseNestedMeta<'_>, form: &str) -> syn::Result<LitStr> {
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

fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>, errors: &mut Errors) {
    if slot.is_some() {
        let name = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        errors.push(meta.error(format!("duplicate `{name}`; give it once")));
    } else {
        *slot = Some(value);
    }
}

fn unknown_key(meta: &ParseNestedMeta<'_>, accepted: &[&str], place: &str) -> syn::Error {
    let name = meta
        .path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| quote::ToTokens::to_token_stream(&meta.path).to_string());
    let list = accepted
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = crate::locate::closest(&name, accepted.iter().copied())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    syn::Error::new(
        meta.path.span(),
        format!("unknown attribute `{name}` {place}; expected one of {list}{hint}"),
    )
}

/// Consumes `= value` or `(...)` after an unknown key so that parsing can go on.
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
