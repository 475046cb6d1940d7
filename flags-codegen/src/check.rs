//! Rules across the resolved fields, one function per rule. Type mismatches between a field's
//! type and its flag are not checked here: the expansion hands them to rustc at the field.

use std::collections::HashMap;

use flags_schema::FlagType;

use crate::errors::Errors;
use crate::resolve::{Default, LiteralValue, Resolved};

pub(crate) fn check(resolved: &Resolved<'_>, errors: &mut Errors) {
    for field in &resolved.fields {
        default_literal_has_flag_type(field, errors);
        default_among_variants(field, errors);
        default_exists(field, errors);
        object_flags_unsupported(field, errors);
    }
    keys_are_unique(resolved, errors);
}

/// A literal default of another type than the flag would compile into the wrong value, or not
/// at all; say so at the literal, in the schema's terms, with the accepted form.
fn default_literal_has_flag_type(field: &crate::resolve::ResolvedField<'_>, errors: &mut Errors) {
    let Default::Literal { value, span } = &field.default else {
        return;
    };
    let flag_type = field.flag.flag_type;
    if value.fits(flag_type) {
        return;
    }
    let example = match flag_type {
        FlagType::Boolean => "`default = true` or `default = false`".to_owned(),
        FlagType::String => "a string literal, as in `default = \"text\"`".to_owned(),
        FlagType::Integer => match value {
            LiteralValue::BigInt(_) => "an integer that fits `i64`".to_owned(),
            _ => "an integer literal, as in `default = 10`".to_owned(),
        },
        FlagType::Float => "a number literal, as in `default = 0.5`".to_owned(),
        FlagType::Object => "an expression of the field's type".to_owned(),
    };
    errors.push(syn::Error::new(
        *span,
        format!(
            "the default is {}, but flag `{}` is {} {flag_type} flag; write {example}",
            value.describe(),
            field.key,
            if flag_type == FlagType::Integer {
                "an"
            } else {
                "a"
            },
        ),
    ));
}

/// A string flag with variants takes one of its variants' values; a code default outside them
/// is a value the flag service can never serve, almost always a typo.
fn default_among_variants(field: &crate::resolve::ResolvedField<'_>, errors: &mut Errors) {
    let Default::Literal {
        value: LiteralValue::Str(s),
        span,
    } = &field.default
    else {
        return;
    };
    let flag = field.flag;
    if flag.flag_type != FlagType::String || flag.variants.is_empty() {
        return;
    }
    let values: Vec<&str> = flag.variants.values().filter_map(|v| v.as_str()).collect();
    if values.contains(&s.as_str()) {
        return;
    }
    let list = values
        .iter()
        .map(|v| format!("`{v:?}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = crate::locate::closest(s, values.iter().copied())
        .map(|c| format!("; did you mean `{c:?}`?"))
        .unwrap_or_default();
    errors.push(syn::Error::new(
        *span,
        format!(
            "default `{s:?}` is not a value of flag `{}`; its variants are {list}{hint}",
            field.key
        ),
    ));
}

/// Without a default in code or in the schema, there is nothing to serve when the flag cannot
/// be evaluated; ask for one rather than invent a zero value.
fn default_exists(field: &crate::resolve::ResolvedField<'_>, errors: &mut Errors) {
    if !matches!(field.default, Default::Missing) {
        return;
    }
    errors.push(syn::Error::new(
        field.field.ident.span(),
        format!(
            "flag `{}` has no default in the schema (its default variant is null: it defers to the code); give one with `#[flags(default = ...)]`",
            field.key
        ),
    ));
}

/// Object flags need a serde type; this version of the derive reads scalar flags only.
fn object_flags_unsupported(field: &crate::resolve::ResolvedField<'_>, errors: &mut Errors) {
    if field.flag.flag_type != FlagType::Object {
        return;
    }
    errors.push(syn::Error::new(
        field.field.ty_span(),
        format!(
            "flag `{}` is an object flag, and `#[derive(Flags)]` reads boolean, integer, float and string flags in this version; remove the field",
            field.key
        ),
    ));
}

/// Two fields reading one flag are a copy-paste mistake; point at the second.
fn keys_are_unique(resolved: &Resolved<'_>, errors: &mut Errors) {
    let mut seen: HashMap<&str, &crate::ast::Field<'_>> = HashMap::new();
    for field in &resolved.fields {
        if let Some(first) = seen.get(field.key.as_str()) {
            errors.push(syn::Error::new(
                field.field.key_span(),
                format!(
                    "flag `{}` is already read by field `{}`; each flag is one field",
                    field.key,
                    first.name()
                ),
            ));
        } else {
            seen.insert(&field.key, field.field);
        }
    }
}
