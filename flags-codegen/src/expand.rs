//! The generated code: a typed key constant per field and the `Flags` impl.

use flags_schema::FlagType;
use heck::ToShoutySnakeCase;
use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Container, Field};
use crate::locate::Located;
use crate::resolve::{Default, LiteralValue, Resolved, ResolvedField};

/// The path of the `flags` crate in generated code.
pub(crate) fn krate(container: &Container<'_>) -> TokenStream {
    match &container.attrs.krate {
        Some(path) => quote!(#path),
        None => quote!(::flags),
    }
}

/// The name of a field's key constant: `upload_limit` → `UPLOAD_LIMIT`.
pub(crate) fn const_ident(field: &Field<'_>) -> syn::Ident {
    format_ident!(
        "{}",
        field.name().to_shouty_snake_case(),
        span = field.ident.span()
    )
}

pub(crate) fn expand(
    container: &Container<'_>,
    resolved: &Resolved<'_>,
    located: &Located,
) -> TokenStream {
    let krate = krate(container);
    let ident = container.ident;
    let consts = resolved
        .fields
        .iter()
        .map(|field| key_const(field, &krate, located));
    let inits = resolved.fields.iter().map(|field| {
        let name = field.field.ident;
        let key = const_ident(field.field);
        quote!(#name: __evaluation.value(&Self::#key))
    });
    let tracking = rebuild_tracking(located);
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#consts)*
        }

        #[automatically_derived]
        impl #krate::__private::Flags for #ident {
            fn evaluate(__evaluation: &#krate::__private::Evaluation<'_>) -> Self {
                Self { #(#inits,)* }
            }
        }

        #tracking
    }
}

/// `include_bytes!` of the schema file and `option_env!` of the variable, so that Cargo
/// recompiles the crate exactly when either changes.
pub(crate) fn rebuild_tracking(located: &Located) -> TokenStream {
    let path = located.path.to_string_lossy();
    let var = flags_schema::SCHEMA_ENV;
    quote! {
        const _: () = {
            const _: &[u8] = ::core::include_bytes!(#path);
            const _: ::core::option::Option<&str> = ::core::option_env!(#var);
        };
    }
}

fn key_const(field: &ResolvedField<'_>, krate: &TokenStream, located: &Located) -> TokenStream {
    let f = field.field;
    let vis = f.vis;
    let ty = f.ty;
    let name = const_ident(f);
    let key = &field.key;
    let flag_type = field.flag.flag_type;
    let ctor = constructor(flag_type, field);
    // Spanned at the field's type: when the type cannot hold the flag, rustc's error (worded by
    // the kind trait's `on_unimplemented`) lands on the field.
    let value = match &field.default {
        Default::Schema(value) => schema_literal(flag_type, value)
            .map(|lit| quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty>(#key, #lit))),
        Default::Literal { value, span } => user_literal(flag_type, value, *span)
            .map(|lit| quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty>(#key, #lit))),
        Default::Expr(expr) => {
            let ctor = format_ident!("{}_with", ctor);
            Some(quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty>(#key, || #expr)))
        }
        Default::Missing => None,
    }
    // `check` reported every case that has no value; this is never reached in a build that
    // succeeds.
    .unwrap_or_else(|| quote!(#krate::__private::FlagKey::__fallback(#key)));
    let docs = docs(field, located);
    quote! {
        #(#[doc = #docs])*
        #vis const #name: #krate::__private::FlagKey<#ty> = #value;
    }
}

fn constructor(flag_type: FlagType, field: &ResolvedField<'_>) -> syn::Ident {
    let name = match flag_type {
        FlagType::Boolean => "boolean_key",
        FlagType::Integer => "integer_key",
        FlagType::Float => "float_key",
        FlagType::String => "string_key",
        FlagType::Object => "object_key",
    };
    syn::Ident::new(name, field.field.ident.span())
}

fn schema_literal(flag_type: FlagType, value: &serde_json::Value) -> Option<TokenStream> {
    Some(match (flag_type, value) {
        (FlagType::Boolean, serde_json::Value::Bool(b)) => quote!(#b),
        (FlagType::Integer, serde_json::Value::Number(n)) => {
            let lit = Literal::i64_unsuffixed(n.as_i64()?);
            quote!(#lit)
        }
        (FlagType::Float, serde_json::Value::Number(n)) => {
            let lit = Literal::f64_unsuffixed(n.as_f64().filter(|f| f.is_finite())?);
            quote!(#lit)
        }
        (FlagType::String, serde_json::Value::String(s)) => quote!(#s),
        _ => return None,
    })
}

fn user_literal(flag_type: FlagType, value: &LiteralValue, span: Span) -> Option<TokenStream> {
    let mut lit = match (flag_type, value) {
        (FlagType::Boolean, LiteralValue::Bool(b)) => {
            return Some(if *b {
                quote_spanned!(span=> true)
            } else {
                quote_spanned!(span=> false)
            });
        }
        (FlagType::Integer, LiteralValue::Int(i)) => Literal::i64_unsuffixed(*i),
        (FlagType::Float, LiteralValue::Int(i)) => Literal::f64_unsuffixed(*i as f64),
        (FlagType::Float, LiteralValue::Float(f)) if f.is_finite() => Literal::f64_unsuffixed(*f),
        (FlagType::String, LiteralValue::Str(s)) => Literal::string(s),
        _ => return None,
    };
    lit.set_span(span);
    Some(quote!(#lit))
}

fn docs(field: &ResolvedField<'_>, located: &Located) -> Vec<String> {
    let mut docs = field.field.docs.clone();
    if docs.is_empty()
        && let Some(description) = &field.flag.description
    {
        docs.extend(description.lines().map(|l| format!(" {l}")));
    }
    if !docs.is_empty() {
        docs.push(String::new());
    }
    let default = match &field.default {
        Default::Schema(value) => format!("default `{value}` from the schema"),
        Default::Literal { .. } | Default::Expr(_) => "default written in code".to_owned(),
        Default::Missing => "no default".to_owned(),
    };
    docs.push(format!(
        " Flag `{}` ({}, {default}), checked against `{}`.",
        field.key, field.flag.flag_type, located.display
    ));
    docs
}
