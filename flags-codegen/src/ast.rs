//! The typed model of a `#[derive(Flags)]` or `#[derive(FlagVariant)]` input.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use crate::attr::{Attrs, Place, RenameRule};
use crate::errors::Errors;

/// The struct.
pub(crate) struct Container<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) attrs: Attrs,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One named field.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) vis: &'a Visibility,
    pub(crate) attrs: Attrs,
    /// The field's `///` doc lines.
    pub(crate) docs: Vec<String>,
}

impl<'a> Container<'a> {
    /// Reads the input; `None` (with an error pushed) when it is not a struct with named fields.
    pub(crate) fn from_ast(input: &'a DeriveInput, errors: &mut Errors) -> Option<Container<'a>> {
        let attrs = Attrs::parse(&input.attrs, Place::Struct, errors);
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => &named.named,
                Fields::Unnamed(_) | Fields::Unit => {
                    errors.push(syn::Error::new(
                        input.ident.span(),
                        "`#[derive(Flags)]` needs a struct with named fields, one per flag",
                    ));
                    return None;
                }
            },
            Data::Enum(e) => {
                errors.push(syn::Error::new(
                    e.enum_token.span,
                    "`#[derive(Flags)]` is for structs of flags; for the values of a string flag, derive `FlagVariant`",
                ));
                return None;
            }
            Data::Union(u) => {
                errors.push(syn::Error::new(
                    u.union_token.span,
                    "`#[derive(Flags)]` is for structs, not unions",
                ));
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            errors.push(syn::Error::new(
                input.generics.span(),
                "`#[derive(Flags)]` does not support generic structs; every field is a concrete flag type",
            ));
            return None;
        }
        let fields = fields
            .iter()
            .filter_map(|field| {
                // Named fields always have an ident.
                let ident = field.ident.as_ref()?;
                Some(Field {
                    ident,
                    ty: &field.ty,
                    vis: &field.vis,
                    attrs: Attrs::parse(&field.attrs, Place::Field, errors),
                    docs: doc_lines(&field.attrs),
                })
            })
            .collect();
        Some(Container {
            ident: &input.ident,
            attrs,
            fields,
        })
    }
}

impl<'a> Container<'a> {
    /// The fields that name a flag: neither skipped nor with invalid attributes (those are
    /// left out of resolution, so that a misspelt attribute is one error).
    pub(crate) fn flag_fields(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields
            .iter()
            .filter(|f| !f.attrs.invalid && f.attrs.skip.is_none())
    }

    /// The flag key of `field`: `#[flags(key = "...")]`, else the field name under
    /// `rename_all` (kebab-case by default); and whether it came from the attribute.
    pub(crate) fn key_of(&self, field: &Field<'_>) -> (String, bool) {
        match &field.attrs.key {
            Some(lit) => (lit.value(), true),
            None => {
                let rule = self.attrs.rename_all.unwrap_or(RenameRule::KebabCase);
                (rule.apply(&field.name()), false)
            }
        }
    }
}

impl Field<'_> {
    /// The field name without `r#`.
    pub(crate) fn name(&self) -> String {
        let name = self.ident.to_string();
        name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
    }

    /// The span of the field's type.
    pub(crate) fn ty_span(&self) -> Span {
        self.ty.span()
    }

    /// Where errors about the flag key point: the `key = "..."` literal, else the field name.
    pub(crate) fn key_span(&self) -> Span {
        self.attrs
            .key
            .as_ref()
            .map_or(self.ident.span(), |k| k.span())
    }

    /// `T` when the field is `Option<T>` (written as `Option`, `std::option::Option` or
    /// `core::option::Option`).
    pub(crate) fn option_inner(&self) -> Option<&Type> {
        option_inner(self.ty)
    }
}

pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let is_option = matches!(
        segments
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["Option"] | ["std" | "core", "option", "Option"]
    );
    if !is_option {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}

/// The `///` lines of an item.
pub(crate) fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
