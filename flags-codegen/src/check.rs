//! Rules across the resolved fields, one function per rule. Type mismatches between a field's
//! type and its flag are not checked here: the expansion hands them to rustc at the field.

use std::collections::HashMap;

use flags_schema::FlagType;

use syn::spanned::Spanned;

use crate::ast::{Container, Field};
use crate::errors::Errors;
use crate::resolve::{FieldDefault, LiteralValue, Resolved, ResolvedField, VariantPart};

pub(crate) fn check(container: &Container<'_>, resolved: &Resolved<'_>, errors: &mut Errors) {
    for field in &container.fields {
        skipped_field_has_no_flag_attributes(field, errors);
        field_owns_its_value(field, errors);
    }
    for field in &resolved.fields {
        object_field_is_not_a_scalar(field, errors);
        variant_field_is_not_a_scalar(field, errors);
        option_takes_no_default(field, errors);
        default_literal_has_flag_type(field, errors);
        default_among_variants(field, errors);
        default_exists(field, errors);
    }
    keys_are_unique(resolved, errors);
}

/// A skipped field is not a flag: a `key` or `default` on it says the opposite, and one of the
/// two is a mistake.
fn skipped_field_has_no_flag_attributes(field: &Field<'_>, errors: &mut Errors) {
    let Some(skip) = field.attrs.skip else { return };
    if field.attrs.key.is_some() || field.attrs.default.is_some() {
        errors.push(syn::Error::new(
            skip,
            "a skipped field is not a flag and takes no `key` or `default`; remove `skip` to read a flag, or the other attributes",
        ));
    }
}

/// Flag values arrive at run time, so a field cannot borrow one; the types that can hold a
/// string flag without allocating per read are the `FlagVariant` enums.
fn field_owns_its_value(field: &Field<'_>, errors: &mut Errors) {
    if field.attrs.skip.is_some() {
        return;
    }
    let ty = field.option_inner().unwrap_or(field.ty);
    if let syn::Type::Reference(reference) = ty {
        errors.push(syn::Error::new_spanned(
            reference,
            "a flag field owns its value, which arrives at run time: use `String` or `Arc<str>` for a string flag, or an enum deriving `FlagVariant`",
        ));
    }
}

/// Any serde type can hold an object flag as far as the trait system knows, a `String` too
/// (deserializing one from an object fails at run time); the scalar types are surely wrong, so
/// say so now.
fn object_field_is_not_a_scalar(field: &ResolvedField<'_>, errors: &mut Errors) {
    if field.flag.flag_type != FlagType::Object {
        return;
    }
    let ty = field.field.option_inner().unwrap_or(field.field.ty);
    let syn::Type::Path(path) = ty else { return };
    let Some(last) = path.path.segments.last() else {
        return;
    };
    const SCALARS: &[&str] = &[
        "bool", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128",
        "usize", "f32", "f64", "char", "String", "str", "Arc", "Box", "Rc", "Cow",
    ];
    let name = last.ident.to_string();
    if SCALARS.contains(&name.as_str()) {
        errors.push(syn::Error::new_spanned(
            ty,
            format!(
                "flag `{}` is an object flag, which `{}` cannot hold; declare the field as a type deriving `serde::Deserialize`, or `serde_json::Value`",
                field.key,
                quote::quote!(#ty).to_string().replace(' ', "")
            ),
        ));
    }
}

/// A flag whose variants carry attachments is read as its variant key (a string) or as an
/// attachment (structured): a scalar field is neither, and the string flag's own message would
/// not name the attachment.
fn variant_field_is_not_a_scalar(field: &ResolvedField<'_>, errors: &mut Errors) {
    let Some(VariantPart::Scalar(name)) = field.variant_part() else {
        return;
    };
    errors.push(syn::Error::new_spanned(
        field.value_type(),
        format!(
            "flag `{}` is a string flag whose variants carry attachments, which `{name}` cannot hold; declare the field as `String` or an enum deriving `FlagVariant` to read the variant key, or as a type deriving `serde::Deserialize` (or `serde_json::Value`) to read the attachment",
            field.key
        ),
    ));
}

/// An `Option` field is `None` exactly when the flag defers to the code: a code default would
/// hide that.
fn option_takes_no_default(field: &ResolvedField<'_>, errors: &mut Errors) {
    if field.field.option_inner().is_none() {
        return;
    }
    if let Some(default) = &field.field.attrs.default {
        errors.push(syn::Error::new(
            default.span(),
            "an `Option` field is `None` when the flag defers to the code default, so it takes no `default`; drop `Option` to give one",
        ));
    }
}

/// A literal default of another type than the flag would compile into the wrong value, or not
/// at all; say so at the literal, in the schema's terms, with the accepted form.
fn default_literal_has_flag_type(field: &ResolvedField<'_>, errors: &mut Errors) {
    if field.field.option_inner().is_some() {
        return; // `option_takes_no_default` reports it
    }
    let FieldDefault::Literal { value, span } = &field.default else {
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
fn default_among_variants(field: &ResolvedField<'_>, errors: &mut Errors) {
    if field.field.option_inner().is_some() {
        return; // `option_takes_no_default` reports it
    }
    let FieldDefault::Literal {
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
fn default_exists(field: &ResolvedField<'_>, errors: &mut Errors) {
    if !matches!(field.default, FieldDefault::Missing) {
        return;
    }
    if field.variant_part() == Some(VariantPart::Either) {
        // An attachment falls back on `Default`; an enum reading the key is told at compile
        // time, by the key constructor (`__private::variant_key`).
        return;
    }
    errors.push(syn::Error::new(
        field.field.ident.span(),
        format!(
            "flag `{}` has no default in the schema (its default variant is null: it defers to the code); give one with `#[flags(default = ...)]`, or declare the field as an `Option`",
            field.key
        ),
    ));
}

/// Two fields reading one flag are a copy-paste mistake; point at the second. A flag whose
/// variants carry attachments is two values, its key and its attachment: one field each. Two
/// fields whose types are both named as keys are a mistake now; for the others, the expansion
/// asserts that the compiler finds them reading different parts (`expand::parts_differ`).
fn keys_are_unique(resolved: &Resolved<'_>, errors: &mut Errors) {
    let mut seen: HashMap<&str, Vec<&ResolvedField<'_>>> = HashMap::new();
    for field in &resolved.fields {
        let readers = seen.entry(&field.key).or_default();
        match readers.as_slice() {
            [] => readers.push(field),
            [first] if field.flag.attachments => {
                if first.variant_part() == Some(VariantPart::Key)
                    && field.variant_part() == Some(VariantPart::Key)
                {
                    errors.push(syn::Error::new(
                        field.field.key_span(),
                        format!(
                            "flag `{}` is already read by field `{}` as its variant key; a second field reads its attachment, declared as a type deriving `serde::Deserialize`",
                            field.key,
                            first.field.name()
                        ),
                    ));
                }
                readers.push(field);
            }
            [first, ..] => {
                let message = if field.flag.attachments {
                    format!(
                        "flag `{}` is already read by fields `{}` and `{}`; a flag whose variants carry attachments is two fields at most, its variant key and its attachment",
                        field.key,
                        first.field.name(),
                        readers[1].field.name()
                    )
                } else {
                    format!(
                        "flag `{}` is already read by field `{}`; each flag is one field",
                        field.key,
                        first.field.name()
                    )
                };
                errors.push(syn::Error::new(field.field.key_span(), message));
            }
        }
    }
}
