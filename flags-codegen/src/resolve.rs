//! Each field against the schema: which flag it reads, of which type, with which default.

use flags_schema::{Flag, FlagType};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, Lit};

use crate::ast::{Container, Field};
use crate::errors::Errors;
use crate::locate::Located;

/// A field matched to its flag.
pub(crate) struct Resolved<'a> {
    pub(crate) fields: Vec<ResolvedField<'a>>,
}

pub(crate) struct ResolvedField<'a> {
    pub(crate) field: &'a Field<'a>,
    pub(crate) key: String,
    pub(crate) flag: &'a Flag,
    pub(crate) default: FieldDefault<'a>,
}

/// Where a field's default comes from.
pub(crate) enum FieldDefault<'a> {
    /// The schema's default value (checked against the flag type by `flags-schema`).
    Schema(&'a serde_json::Value),
    /// A literal in `#[flags(default = ...)]`, already converted to the flag's JSON form when it
    /// is of the flag's type.
    Literal { value: LiteralValue, span: Span },
    /// Any other expression: typed by rustc as the field's type.
    Expr(&'a Expr),
    /// An `Option` field: `None`.
    None,
    /// Neither the attribute nor the schema gives one.
    Missing,
}

/// A literal default, as far as the macro can read it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LiteralValue {
    Bool(bool),
    Int(i64),
    /// An integer literal that does not fit `i64`.
    BigInt(String),
    Float(f64),
    Str(String),
    Other(String),
}

impl LiteralValue {
    fn from_expr(expr: &Expr) -> Option<LiteralValue> {
        match expr {
            Expr::Lit(lit) => Some(Self::from_lit(&lit.lit, false)),
            Expr::Unary(syn::ExprUnary {
                op: syn::UnOp::Neg(_),
                expr,
                ..
            }) => match &**expr {
                Expr::Lit(lit) => Some(Self::from_lit(&lit.lit, true)),
                _ => None,
            },
            Expr::Group(group) => Self::from_expr(&group.expr),
            Expr::Paren(paren) => Self::from_expr(&paren.expr),
            _ => None,
        }
    }

    fn from_lit(lit: &Lit, negative: bool) -> LiteralValue {
        let sign = if negative { "-" } else { "" };
        match lit {
            Lit::Bool(b) if !negative => LiteralValue::Bool(b.value),
            Lit::Int(i) => match format!("{sign}{}", i.base10_digits()).parse::<i64>() {
                Ok(v) => LiteralValue::Int(v),
                Err(_) => LiteralValue::BigInt(format!("{sign}{}", i.base10_digits())),
            },
            Lit::Float(f) => match f.base10_parse::<f64>() {
                Ok(v) => LiteralValue::Float(if negative { -v } else { v }),
                Err(_) => LiteralValue::Other(f.to_string()),
            },
            Lit::Str(s) if !negative => LiteralValue::Str(s.value()),
            other => {
                LiteralValue::Other(format!("{sign}{}", quote::ToTokens::to_token_stream(other)))
            }
        }
    }

    /// "a boolean (`true`)", for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            LiteralValue::Bool(b) => format!("a boolean (`{b}`)"),
            LiteralValue::Int(i) => format!("an integer (`{i}`)"),
            LiteralValue::BigInt(i) => format!("an integer (`{i}`)"),
            LiteralValue::Float(f) => format!("a float (`{f:?}`)"),
            LiteralValue::Str(s) => format!("a string (`{s:?}`)"),
            LiteralValue::Other(s) => format!("`{s}`"),
        }
    }

    /// Whether a flag of `flag_type` can take this literal: floats take integer literals too.
    pub(crate) fn fits(&self, flag_type: FlagType) -> bool {
        matches!(
            (self, flag_type),
            (LiteralValue::Bool(_), FlagType::Boolean)
                | (LiteralValue::Int(_), FlagType::Integer | FlagType::Float)
                | (LiteralValue::Float(_), FlagType::Float)
                | (LiteralValue::Str(_), FlagType::String)
        )
    }
}

/// What a field of a flag whose variants carry attachments reads, as far as its type's name
/// tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VariantPart {
    /// `String`, `Arc<str>`, `Box<str>`: the variant key.
    Key,
    /// A scalar (`bool`, a number, `char`), named: neither the key nor an attachment.
    Scalar(String),
    /// Any other type: an enum deriving `FlagVariant` reads the key, anything else the
    /// attachment; the compiler tells (see `__private::ReadsAttachmentUnlessKey`).
    Either,
}

impl ResolvedField<'_> {
    /// The field's type, or `T` for `Option<T>`.
    pub(crate) fn value_type(&self) -> &syn::Type {
        self.field.option_inner().unwrap_or(self.field.ty)
    }

    /// What the field reads when its flag's variants carry attachments; `None` for any other
    /// flag.
    pub(crate) fn variant_part(&self) -> Option<VariantPart> {
        self.flag
            .attachments
            .then(|| variant_part(self.value_type()))
    }
}

/// [`VariantPart`] of a type, by its last path segment.
pub(crate) fn variant_part(ty: &syn::Type) -> VariantPart {
    let syn::Type::Path(path) = ty else {
        return VariantPart::Either;
    };
    let Some(last) = path.path.segments.last() else {
        return VariantPart::Either;
    };
    let name = last.ident.to_string();
    let of_str = match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => matches!(
            args.args.iter().collect::<Vec<_>>().as_slice(),
            [syn::GenericArgument::Type(syn::Type::Path(inner))] if inner.path.is_ident("str")
        ),
        _ => false,
    };
    const SCALARS: &[&str] = &[
        "bool", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128",
        "usize", "f32", "f64", "char",
    ];
    match name.as_str() {
        "String" if last.arguments.is_none() => VariantPart::Key,
        "Arc" | "Box" if of_str => VariantPart::Key,
        scalar if SCALARS.contains(&scalar) => VariantPart::Scalar(scalar.to_owned()),
        _ => VariantPart::Either,
    }
}

/// Resolves every field; fields whose key is unknown are reported and left out.
pub(crate) fn resolve<'a>(
    container: &'a Container<'a>,
    located: &'a Located,
    errors: &mut Errors,
) -> Resolved<'a> {
    let mut fields = Vec::with_capacity(container.fields.len());
    for field in container.flag_fields() {
        let (key, from_attr) = container.key_of(field);
        let Some(flag) = located.manifest.flags.get(&key) else {
            errors.push(unknown_flag(field, &key, from_attr, located));
            continue;
        };
        let default = match &field.attrs.default {
            Some(expr) => match LiteralValue::from_expr(expr) {
                Some(value) => FieldDefault::Literal {
                    value,
                    span: expr.span(),
                },
                None => FieldDefault::Expr(expr),
            },
            // `None` is an `Option` field's default: the flag deferred to the code.
            None if field.option_inner().is_some() => FieldDefault::None,
            None => match &flag.default {
                Some(value) => FieldDefault::Schema(value),
                None => FieldDefault::Missing,
            },
        };
        fields.push(ResolvedField {
            field,
            key,
            flag,
            default,
        });
    }
    Resolved { fields }
}

fn unknown_flag(field: &Field<'_>, key: &str, from_attr: bool, located: &Located) -> syn::Error {
    let file = &located.display;
    let what = if from_attr {
        format!("unknown flag `{key}` in `{file}`")
    } else {
        format!("unknown flag `{key}` (named after the field) in `{file}`")
    };
    let message = match located.manifest.suggest(key) {
        Some(suggestion) if from_attr => format!("{what}; did you mean `{suggestion}`?"),
        Some(suggestion) => {
            format!(
                "{what}; did you mean `{suggestion}`? name it with `#[flags(key = \"{suggestion}\")]`"
            )
        }
        None => format!(
            "{what}; it has no flag of that name or close to it: add the flag to the flag service and sync, or name an existing one with `#[flags(key = \"...\")]`"
        ),
    };
    syn::Error::new(field.key_span(), message)
}
