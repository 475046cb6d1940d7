//! `#[derive(FlagVariant)]`: an enum whose variants are the values of a string flag.
//!
//! The enum names its flag (`#[flags(key = "...")]`, else the enum name in kebab-case) and is
//! checked against it both ways, at the tokens concerned: every value of the flag needs a
//! variant (unless a catch-all `#[flags(other)]` takes the rest), every variant needs a value.

use std::collections::HashMap;

use flags_schema::FlagType;
use heck::ToKebabCase;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident};

use crate::Overrides;
use crate::attr::{Attrs, Place, RenameRule};
use crate::errors::Errors;
use crate::expand::rebuild_tracking;
use crate::locate::{self, Located};

/// Expands `#[derive(FlagVariant)]`, for `flags-macro`. Never fails: errors become `compile_error!`s, with the
/// trait impls still emitted (from the variants as written) so that uses add no errors.
pub fn derive_flag_variant(input: TokenStream) -> TokenStream {
    match syn::parse2::<DeriveInput>(input) {
        Ok(input) => derive_flag_variant_with(&input, &Overrides::default()),
        Err(error) => error.to_compile_error(),
    }
}

/// A variant of the enum and the value of the flag it reads.
struct VariantValue<'a> {
    ident: &'a Ident,
    /// Reported already (a variant with fields, a second catch-all): left out of the impls.
    invalid: bool,
    /// The value it reads; `None` for the catch-all.
    value: Option<String>,
    /// Where errors about its value point: the `rename` literal, else the variant name.
    span: Span,
    /// The catch-all, `#[flags(other)]`.
    other: bool,
}

/// [`derive_flag_variant`] with what the caller fixes.
pub(crate) fn derive_flag_variant_with(input: &DeriveInput, overrides: &Overrides) -> TokenStream {
    let mut errors = Errors::new();
    let attrs = Attrs::parse(&input.attrs, Place::Enum, &mut errors);
    let krate = overrides
        .krate
        .clone()
        .unwrap_or_else(|| match &attrs.krate {
            Some(path) => quote!(#path),
            None => quote!(::flags),
        });
    let ident = &input.ident;
    let Data::Enum(data) = &input.data else {
        errors.push(syn::Error::new(
            ident.span(),
            "`#[derive(FlagVariant)]` is for enums whose variants are the values of a string flag",
        ));
        return errors.into_compile_errors();
    };
    if !input.generics.params.is_empty() {
        errors.push(syn::Error::new(
            input.generics.span(),
            "`#[derive(FlagVariant)]` does not support generic enums",
        ));
        return errors.into_compile_errors();
    }
    let rule = attrs.rename_all.unwrap_or(RenameRule::KebabCase);
    let mut variants = Vec::new();
    for variant in &data.variants {
        let vattrs = Attrs::parse(&variant.attrs, Place::Variant, &mut errors);
        let invalid = !matches!(variant.fields, Fields::Unit);
        if invalid {
            errors.push(syn::Error::new_spanned(
                &variant.fields,
                "a `FlagVariant` variant reads one value of the flag and carries no data; remove the fields",
            ));
        }
        if let (Some(other), Some(rename)) = (vattrs.other, &vattrs.rename) {
            let _ = other;
            errors.push(syn::Error::new(
                rename.span(),
                "the catch-all `#[flags(other)]` reads every value no other variant reads, so it takes no `rename`",
            ));
        }
        let name = variant.ident.to_string();
        let value = match (&vattrs.rename, vattrs.other) {
            (_, Some(_)) => None,
            (Some(rename), None) => Some(rename.value()),
            (None, None) => Some(rule.apply(name.strip_prefix("r#").unwrap_or(&name))),
        };
        variants.push(VariantValue {
            ident: &variant.ident,
            invalid,
            value,
            span: vattrs
                .rename
                .as_ref()
                .map_or(variant.ident.span(), |r| r.span()),
            other: vattrs.other.is_some(),
        });
    }
    check_distinct(ident, &mut variants, &mut errors);

    let located = match &overrides.located {
        Some(located) => Some(located.clone()),
        None => {
            let explicit = attrs.schema.as_ref().map(|s| (s.value(), s.span()));
            match locate::locate(explicit, &locate::Env::from_process()) {
                Ok(located) => Some(located),
                Err(error) => {
                    let span = attrs.schema.as_ref().map_or(ident.span(), |s| s.span());
                    errors.push(syn::Error::new(span, error.to_string()));
                    None
                }
            }
        }
    };
    let key = enum_key(ident, &attrs);
    if let Some(located) = &located {
        check_against_flag(ident, &attrs, &key, &variants, located, &mut errors);
    }
    let mut out = errors.into_compile_errors();
    out.extend(expand_impls(ident, &variants, &key, &krate));
    if let Some(located) = &located
        && !overrides.untracked
    {
        out.extend(rebuild_tracking(located));
    }
    out
}

/// The string flag an enum reads: `#[flags(key = "...")]`, else the enum name in kebab-case.
pub(crate) fn enum_key(ident: &Ident, attrs: &Attrs) -> String {
    attrs
        .key
        .as_ref()
        .map_or_else(|| ident.to_string().to_kebab_case(), |k| k.value())
}

/// One catch-all at most, and no two variants reading one value.
fn check_distinct(ident: &Ident, variants: &mut [VariantValue<'_>], errors: &mut Errors) {
    let mut first_other: Option<&Ident> = None;
    for variant in variants.iter_mut().filter(|v| v.other) {
        match first_other {
            None => first_other = Some(variant.ident),
            Some(first) => {
                errors.push(syn::Error::new(
                    variant.ident.span(),
                    format!(
                        "`{ident}` has a catch-all already (`{first}`); keep one `#[flags(other)]`"
                    ),
                ));
                variant.invalid = true;
            }
        }
    }
    let mut seen: HashMap<&str, &Ident> = HashMap::new();
    for variant in variants {
        let Some(value) = &variant.value else {
            continue;
        };
        if let Some(first) = seen.get(value.as_str()) {
            errors.push(syn::Error::new(
                variant.span,
                format!("variant `{}` reads {value:?}, which `{first}` reads already; give one of them another value with `#[flags(rename = \"...\")]`", variant.ident),
            ));
        } else {
            seen.insert(value, variant.ident);
        }
    }
}

fn check_against_flag(
    ident: &Ident,
    attrs: &Attrs,
    key: &str,
    variants: &[VariantValue<'_>],
    located: &Located,
    errors: &mut Errors,
) {
    let key_span = attrs.key.as_ref().map_or(ident.span(), |k| k.span());
    let file = &located.display;
    let Some(flag) = located.manifest.flags.get(key) else {
        let named = if attrs.key.is_some() {
            String::new()
        } else {
            " (the enum name in kebab-case)".to_owned()
        };
        let hint = match located.manifest.suggest(key) {
            Some(s) => format!("; did you mean `{s}`? name the flag with `#[flags(key = \"{s}\")]`"),
            None => "; name the string flag whose values the variants are with `#[flags(key = \"...\")]`".to_owned(),
        };
        errors.push(syn::Error::new(
            key_span,
            format!("unknown flag `{key}`{named} in `{file}`{hint}"),
        ));
        return;
    };
    if flag.flag_type != FlagType::String {
        errors.push(syn::Error::new(
            key_span,
            format!(
                "flag `{key}` is a {} flag; `FlagVariant` is for the values of a string flag",
                flag.flag_type
            ),
        ));
        return;
    }
    let values: Vec<&str> = flag.variants.values().filter_map(|v| v.as_str()).collect();
    let has_other = variants.iter().any(|v| v.other);
    // Every value of the flag needs a variant, or the catch-all.
    if !has_other {
        for value in &values {
            if variants.iter().any(|v| v.value.as_deref() == Some(*value)) {
                continue;
            }
            let suggestion = heck::ToUpperCamelCase::to_upper_camel_case(*value);
            errors.push(syn::Error::new(
                ident.span(),
                format!(
                    "flag `{key}` can be {value:?}, which no variant of `{ident}` reads; add a variant for it (`{suggestion}`, or any name with `#[flags(rename = {value:?})]`) or a catch-all `#[flags(other)]`"
                ),
            ));
        }
    }
    // Every variant needs a value of the flag.
    for variant in variants {
        let Some(value) = &variant.value else {
            continue;
        };
        if values.contains(&value.as_str()) {
            continue;
        }
        let list = values
            .iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let hint = locate::closest(value, values.iter().copied())
            .map(|c| format!("; did you mean {c:?}? write `#[flags(rename = {c:?})]`"))
            .unwrap_or_default();
        errors.push(syn::Error::new(
            variant.span,
            format!(
                "variant `{}` reads {value:?}, which is not a value of flag `{key}` (its values are {list}){hint}",
                variant.ident
            ),
        ));
    }
}

fn expand_impls(
    ident: &Ident,
    variants: &[VariantValue<'_>],
    key: &str,
    krate: &TokenStream,
) -> TokenStream {
    let named: Vec<(&Ident, &str)> = variants
        .iter()
        .filter(|v| !v.invalid)
        .filter_map(|v| Some((v.ident, v.value.as_deref()?)))
        .collect();
    let other = variants
        .iter()
        .find(|v| v.other && !v.invalid)
        .map(|v| v.ident);
    let values = named.iter().map(|(_, value)| *value);
    let from_arms = named
        .iter()
        .map(|(v, value)| quote!(#value => ::core::option::Option::Some(Self::#v)));
    let packed_checks = named.iter().map(|(v, value)| {
        quote! {
            {
                const PACKED: [u64; 3] = #krate::__private::pack_value(#value);
                if first == PACKED[0] && second == PACKED[1] && third == PACKED[2] {
                    return ::core::option::Option::Some(Self::#v);
                }
            }
        }
    });
    let as_arms = named
        .iter()
        .map(|(v, value)| quote!(Self::#v => ::core::option::Option::Some(#value)));
    let unknown = match other {
        Some(other) => quote!(::core::option::Option::Some(Self::#other)),
        None => quote!(::core::option::Option::None),
    };
    // The catch-all, and variants left out after an error, read no value.
    let other_arm = quote! {
        #[allow(unreachable_patterns)]
        _ => ::core::option::Option::None,
    };
    let closed = other.is_none();
    // For a schema default that no variant reads (ruled out at compile time), the first variant;
    // an enum without variants has nothing to return, and no value can name one.
    let first_variant = match variants.iter().find(|v| !v.invalid) {
        Some(first) => {
            let first = first.ident;
            quote!(Self::#first)
        }
        None => quote!(::core::unreachable!(
            "an enum without variants has no values"
        )),
    };
    quote! {
        // Read by the derive for a field of a flag whose variants carry attachments: an enum
        // of the variant keys reads the key (any other type, the attachment).
        #[automatically_derived]
        impl #ident {
            #[doc(hidden)]
            pub const __FLAGS_READS: #krate::__private::ReadsKey = #krate::__private::ReadsKey;
        }

        #[automatically_derived]
        impl #krate::FlagVariant for #ident {
            const VALUES: &'static [&'static str] = &[#(#values),*];

            fn from_value(value: &str) -> ::core::option::Option<Self> {
                match value {
                    #(#from_arms,)*
                    _ => #unknown,
                }
            }

            fn as_value(&self) -> ::core::option::Option<&'static str> {
                match self {
                    #(#as_arms,)*
                    #other_arm
                }
            }
        }

        #[automatically_derived]
        impl<'de> #krate::__private::serde::Deserialize<'de> for #ident {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: #krate::__private::serde::Deserializer<'de>,
            {
                #krate::__private::deserialize_variant(deserializer)
            }
        }

        #[automatically_derived]
        impl #krate::__private::StringFlag for #ident {
            const VALUES: &'static [&'static str] = <Self as #krate::FlagVariant>::VALUES;
            const CLOSED: bool = #closed;
            const FLAG: &'static str = #key;

            fn from_static_str(value: &'static str) -> Self {
                match <Self as #krate::FlagVariant>::from_value(value) {
                    ::core::option::Option::Some(variant) => variant,
                    ::core::option::Option::None => #first_variant,
                }
            }

            #[inline]
            fn from_packed(first: u64, second: u64, third: u64) -> ::core::option::Option<Self> {
                #(#packed_checks)*
                ::core::option::Option::None
            }
        }
    }
}
