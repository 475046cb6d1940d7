//! The generated code: a typed key constant per field, the `Flags` impl, and the `const`
//! assertions that hand the checks the macro cannot make itself (integer ranges, enum
//! coverage) to the compiler, at the field.

use flags_schema::FlagType;
use heck::ToShoutySnakeCase;
use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use crate::ast::{Container, Field};
use crate::locate::Located;
use crate::resolve::{FieldDefault, LiteralValue, Resolved, ResolvedField, VariantPart};

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
    krate: &TokenStream,
    tracked: bool,
) -> TokenStream {
    let ident = container.ident;
    let consts = resolved
        .fields
        .iter()
        .map(|field| key_const(field, krate, located));
    // Each field read by `read` (tokens naming `KEY`) through a `static` copy of its key
    // constant: `&Self::KEY` would copy the constant onto the stack and drop it, for every
    // field of every read.
    let field_inits = |read: TokenStream| {
        container
            .fields
            .iter()
            .map(|field| {
                let name = field.ident;
                if field.attrs.skip.is_some() {
                    quote_spanned!(field.ty_span()=> #name: ::core::default::Default::default())
                } else {
                    let key = const_ident(field);
                    let ty = field.ty;
                    quote! {
                        #name: {
                            static KEY: #krate::__private::FlagKey<#ty> = #ident::#key;
                            #read
                        }
                    }
                }
            })
            .collect::<Vec<_>>()
    };
    let inits = field_inits(quote!(__evaluation.value(&KEY)));
    let slot_inits = field_inits(quote!(__slots.value(&KEY)?));
    // A copy of the struct a thread read last, field by field (the struct need not be `Clone`;
    // every flag type is, and a skipped field is its default again).
    let copies = container.fields.iter().map(|field| {
        let name = field.ident;
        if field.attrs.skip.is_some() {
            quote_spanned!(field.ty_span()=> #name: ::core::default::Default::default())
        } else {
            quote_spanned!(field.ty_span()=> #name: ::core::clone::Clone::clone(&__last.#name))
        }
    });
    // Evaluated here, at module level, so that the checks in the key constructors run during
    // `cargo check` too (an associated const is otherwise evaluated only when code using it is
    // generated). `forget`, because a const cannot run a destructor.
    let deprecations = resolved
        .fields
        .iter()
        .filter(|field| field.flag.deprecated)
        .map(|field| deprecation_warning(field, located));
    let shapes = resolved
        .fields
        .iter()
        .filter(|field| field.flag.flag_type == FlagType::Object)
        .map(|field| shape_check(field, krate));
    let evaluated = resolved
        .fields
        .iter()
        .filter(|field| has_checks(field))
        .map(|field| {
            let name = const_ident(field.field);
            quote_spanned!(field.field.ty_span()=> const _: () = ::core::mem::forget(#ident::#name);)
        });
    let pairs = resolved.fields.iter().enumerate().flat_map(|(i, first)| {
        resolved.fields[i + 1..]
            .iter()
            .filter(move |second| first.flag.attachments && second.key == first.key)
            .map(move |second| parts_differ(first, second, krate))
    });
    let tracking = tracked.then(|| rebuild_tracking(located));
    // A key's slot never holds an object: a struct with an object field reads the snapshot.
    let slotted = resolved
        .fields
        .iter()
        .all(|field| field.flag.flag_type != FlagType::Object);
    let slot_methods = slotted.then(|| {
        quote! {
            #[allow(deprecated)]
            #[inline]
            fn from_slots(__slots: &#krate::__private::SlotReads) -> ::core::option::Option<Self> {
                ::core::option::Option::Some(Self { #(#slot_inits,)* })
            }

            #[allow(deprecated)]
            #[inline]
            fn read_slots(
                __slots: &#krate::__private::SlotReads,
                __otherwise: impl ::core::ops::FnOnce() -> Self,
            ) -> Self {
                ::std::thread_local! {
                    static MEMO: #krate::__private::SlotMemo<#ident> =
                        const { #krate::__private::SlotMemo::new() };
                }
                __slots.memoized(
                    &MEMO,
                    <Self as #krate::__private::Flags>::from_slots,
                    |__last| Self { #(#copies,)* },
                    __otherwise,
                )
            }
        }
    });
    quote! {
        impl #ident {
            #(#consts)*
        }

        #[automatically_derived]
        impl #krate::__private::Flags for #ident {
            #[allow(deprecated)]
            fn evaluate(__evaluation: &#krate::__private::Evaluation<'_>) -> Self {
                Self { #(#inits,)* }
            }

            #slot_methods
        }

        #(#evaluated)*
        #(#pairs)*
        #(#shapes)*
        #(#deprecations)*

        #tracking
    }
}

/// `include_bytes!` of the schema file and `option_env!` of the variable, so that Cargo
/// recompiles the crate exactly when either changes. For the build script's copy, the file
/// naming what it copies too, since messages and docs quote that name.
pub(crate) fn rebuild_tracking(located: &Located) -> TokenStream {
    let path = located.path.to_string_lossy();
    let var = flags_schema::SCHEMA_ENV;
    let name_file = (located.route == crate::locate::Route::OutDir)
        .then(|| located.path.with_file_name(flags_schema::OUT_DIR_NAME_FILE))
        .filter(|file| file.is_file())
        .map(|file| {
            let file = file.to_string_lossy().into_owned();
            quote!(
                const _: &[u8] = ::core::include_bytes!(#file);
            )
        });
    quote! {
        const _: () = {
            const _: &[u8] = ::core::include_bytes!(#path);
            #name_file
            const _: ::core::option::Option<&str> = ::core::option_env!(#var);
        };
    }
}

fn kind_prefix(flag_type: FlagType) -> &'static str {
    match flag_type {
        FlagType::Boolean => "boolean",
        FlagType::Integer => "integer",
        FlagType::Float => "float",
        FlagType::String => "string",
        FlagType::Object => "object",
    }
}

/// `tokens` with every span set to `span`, so that an expression built from them (a call of
/// `#krate::__private::...`) is reported at `span` as a whole.
///
/// `$crate` (from the `flags!` macro) keeps its span: that span is what makes it name the
/// `flags` crate.
pub(crate) fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    let names_dollar_crate = tokens
        .clone()
        .into_iter()
        .any(|tree| matches!(&tree, proc_macro2::TokenTree::Ident(ident) if ident == "$crate"));
    if names_dollar_crate {
        return tokens.clone();
    }
    tokens
        .clone()
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                respanned.set_span(span);
                tree = proc_macro2::TokenTree::Group(respanned);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

fn key_const(field: &ResolvedField<'_>, krate: &TokenStream, located: &Located) -> TokenStream {
    let f = field.field;
    // Errors from evaluating the constant (a value that does not fit) point at the call, which
    // starts with the crate path: put it at the field's type too.
    let krate = &respan(krate, f.ty.span());
    let vis = f.vis;
    let ty = f.ty;
    let name = const_ident(f);
    let key = &field.key;
    let flag_type = field.flag.flag_type;
    let kind = kind_prefix(flag_type);
    let span = f.ident.span();
    // Every constructor names the field's type (or, for `Option<T>`, `T`) in its turbofish,
    // spanned at the type: when the type cannot hold the flag, rustc's error (worded by the kind
    // trait's `on_unimplemented`) lands on the field.
    let checks = checks(field, krate);
    let variant = (field.variant_part() == Some(VariantPart::Either))
        .then(|| variant_ctor(field, krate, &checks));
    let value = match (&field.default, f.option_inner()) {
        _ if variant.is_some() => variant.flatten(),
        (FieldDefault::None, Some(inner)) => {
            let ctor = format_ident!("{kind}_key_optional", span = span);
            Some(quote_spanned!(inner.span()=> #krate::__private::#ctor::<#inner>(#key #checks)))
        }
        (FieldDefault::Expr(expr), _) => {
            let ctor = format_ident!("{kind}_key_with", span = span);
            Some(quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty>(#key, || #expr #checks)))
        }
        (FieldDefault::Schema(json), _) if flag_type == FlagType::Object => {
            let ctor = format_ident!("object_key", span = span);
            let text = json.to_string();
            Some(quote_spanned! {ty.span()=>
                #krate::__private::#ctor::<#ty>(#key, || {
                    static DEFAULT: #krate::__private::OnceLock<#ty> = #krate::__private::OnceLock::new();
                    ::core::clone::Clone::clone(DEFAULT.get_or_init(|| {
                        #krate::__private::decode_default::<#ty>(#key, #text)
                    }))
                })
            })
        }
        (FieldDefault::Schema(json), _) => schema_literal(flag_type, json).map(|lit| {
            let ctor = format_ident!("{kind}_key", span = span);
            quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty>(#key, #lit #checks))
        }),
        (
            FieldDefault::Literal {
                value,
                span: lit_span,
            },
            _,
        ) => user_literal(flag_type, value, *lit_span).map(|lit| {
            let ctor = format_ident!("{kind}_key", span = span);
            quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty>(#key, #lit #checks))
        }),
        // `check` reported every other case; a build that succeeds never reaches this.
        _ => None,
    }
    // Each constant caches its flag's index in a static of its own (see `KeySlot`).
    .map(|ctor| {
        quote! {
            #krate::__private::with_slot(#ctor, {
                static SLOT: #krate::__private::KeySlot = #krate::__private::KeySlot::new();
                &SLOT
            })
        }
    })
    .unwrap_or_else(|| quote!(#krate::__private::fallback_key(#key)));
    let docs = docs(field, located);
    let deprecated = field.flag.deprecated.then(|| {
        let note = deprecation_note(&field.key, field.flag, &located.display);
        quote!(#[deprecated = #note])
    });
    // A default written in code is wrapped in a closure, `|| make()` for a call: clippy would
    // tell the user to write the function itself, which they did not write.
    let allow = matches!(field.default, FieldDefault::Expr(_))
        .then(|| quote!(#[allow(clippy::redundant_closure)]));
    quote! {
        #(#[doc = #docs])*
        #deprecated
        #allow
        #vis const #name: #krate::__private::FlagKey<#ty> = #value;
    }
}

/// The key constructor of a field of a flag whose variants carry attachments, of a type that
/// is not named as a key (`resolve::VariantPart::Either`): the compiler tells which part it
/// reads, with `<T>::__FLAGS_READS` (see `__private::ReadsAttachmentUnlessKey`); `None` where
/// `check` reported an error.
fn variant_ctor(
    field: &ResolvedField<'_>,
    krate: &TokenStream,
    checks: &TokenStream,
) -> Option<TokenStream> {
    let f = field.field;
    let ty = field.value_type();
    let key = &field.key;
    let span = f.ident.span();
    let ty_text = quote!(#ty).to_string().replace(' ', "");
    let part = quote_spanned!(ty.span()=> <#ty>::__FLAGS_READS);
    let ctor = match (&field.default, f.option_inner()) {
        (FieldDefault::None, Some(_)) => {
            let ctor = format_ident!("variant_key_optional", span = span);
            quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty, _>(#key, #part #checks))
        }
        (FieldDefault::Expr(expr), _) => {
            let ctor = format_ident!("variant_key_with", span = span);
            quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty, _>(#key, #part, || #expr #checks))
        }
        (FieldDefault::Schema(json), _) => {
            let default = json.as_str()?;
            let ctor = format_ident!("variant_key", span = span);
            quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty, _>(#key, #part, ::core::option::Option::Some(#default) #checks, ""))
        }
        (FieldDefault::Missing, _) => {
            let missing = format!(
                "flag `{key}` has no default in the schema (no default variant: it defers to the code), and `{ty_text}` reads its variant key; give one with `#[flags(default = ...)]`, or declare the field as an `Option`"
            );
            let ctor = format_ident!("variant_key", span = span);
            quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty, _>(#key, #part, ::core::option::Option::None #checks, #missing))
        }
        (
            FieldDefault::Literal {
                value: LiteralValue::Str(default),
                ..
            },
            _,
        ) => {
            let not_a_key = format!(
                "the default {default:?} is a variant key of flag `{key}`, but `{ty_text}` reads the variant's attachment; give a value of `{ty_text}` (`#[flags(default = ...)]` takes any expression), or leave it out to fall back on `Default`"
            );
            let ctor = format_ident!("variant_key_literal", span = span);
            quote_spanned!(ty.span()=> #krate::__private::#ctor::<#ty, _>(#key, #part, #default #checks, #not_a_key))
        }
        // `check` reported every other case.
        _ => return None,
    };
    Some(in_scope_of_reads(ctor, krate, ty.span()))
}

/// `expr` in a block that brings the trait giving every type its `__FLAGS_READS` into scope.
fn in_scope_of_reads(expr: TokenStream, krate: &TokenStream, span: Span) -> TokenStream {
    quote_spanned! {span=>
        {
            #[allow(unused_imports)]
            use #krate::__private::ReadsAttachmentUnlessKey as _;
            #expr
        }
    }
}

/// For two fields reading one flag whose variants carry attachments: an assertion, evaluated
/// at compile time, that one reads the key and the other the attachment.
fn parts_differ(
    first: &ResolvedField<'_>,
    second: &ResolvedField<'_>,
    krate: &TokenStream,
) -> TokenStream {
    let krate = &respan(krate, second.value_type().span());
    let reads_key = |field: &ResolvedField<'_>| -> TokenStream {
        let ty = field.value_type();
        match field.variant_part() {
            Some(VariantPart::Either) => in_scope_of_reads(
                quote_spanned!(ty.span()=> #krate::__private::reads_key::<#ty, _>(<#ty>::__FLAGS_READS)),
                krate,
                ty.span(),
            ),
            _ => quote!(true),
        }
    };
    let (a, b) = (reads_key(first), reads_key(second));
    let message = format!(
        "fields `{}` and `{}` read the same part of flag `{}`, whose variants carry attachments: one field reads the variant key (`String` or an enum deriving `FlagVariant`), the other the attachment (a type deriving `serde::Deserialize`)",
        first.field.name(),
        second.field.name(),
        first.key
    );
    let ty = second.value_type();
    quote_spanned! {ty.span()=>
        const _: () = ::core::assert!(#a != #b, #message);
    }
}

/// The note of a deprecated flag: the schema says so, and the description says why. Shared
/// by the derive and `flags!`.
pub(crate) fn deprecation_note(key: &str, flag: &flags_schema::Flag, display: &str) -> String {
    let why = flag
        .description
        .as_deref()
        .and_then(|d| d.lines().next())
        .map(|line| format!(": {line}"))
        .unwrap_or_default();
    format!("flag `{key}` is deprecated in `{display}`{why}")
}

/// A deprecation warning at the field that reads a deprecated flag (uses of its key constant
/// warn on their own: the constant is `#[deprecated]`).
fn deprecation_warning(field: &ResolvedField<'_>, located: &Located) -> TokenStream {
    let note = deprecation_note(&field.key, field.flag, &located.display);
    quote_spanned! {field.field.key_span()=>
        const _: () = {
            #[deprecated = #note]
            const fn deprecated_flag() {}
            deprecated_flag()
        };
    }
}

/// For a struct `flags!` generated for an object flag: the flag this field reads has the shape
/// the struct was generated from. Other types have no known shape and pass.
fn shape_check(field: &ResolvedField<'_>, krate: &TokenStream) -> TokenStream {
    let ty: &Type = field.field.option_inner().unwrap_or(field.field.ty);
    let canonical = crate::module::shape::flag_shape(field.flag);
    let ty_text = quote!(#ty).to_string().replace(' ', "");
    let message = format!(
        "`{ty_text}` was generated by `flags!` for an object flag whose values have another shape than those of flag `{}`; declare the field with the struct generated for `{}`, or a type of your own",
        field.key, field.key
    );
    let krate = respan(krate, ty.span());
    quote_spanned! {ty.span()=>
        const _: () = {
            #[allow(unused_imports)]
            use #krate::__private::UnknownShape as _;
            ::core::assert!(
                #krate::__private::shape_matches(<#ty>::__FLAGS_SHAPE, #canonical),
                #message
            );
        };
    }
}

/// Whether the key constructor of this field checks anything: only then is its constant
/// forced at compile time (each forced constant costs `cargo check` time).
fn has_checks(field: &ResolvedField<'_>) -> bool {
    if field.variant_part() == Some(VariantPart::Either) {
        // Its constructor checks which part it reads against its default.
        return true;
    }
    let ty: &Type = field.field.option_inner().unwrap_or(field.field.ty);
    let holds_all = holds_every_value(&quote!(#ty).to_string().replace(' ', ""));
    match field.flag.flag_type {
        FlagType::Integer => !holds_all,
        FlagType::String => !holds_all && !field.flag.variants.is_empty(),
        _ => false,
    }
}

/// `i64` holds every integer value, these every string value: no checks to make.
fn holds_every_value(ty_text: &str) -> bool {
    matches!(
        ty_text,
        "i64" | "String" | "Arc<str>" | "std::sync::Arc<str>" | "Box<str>"
    )
}

/// The checks the key constructor makes while the constant is evaluated, as `, checks` (empty
/// for kinds without any): an integer type must hold every value the schema gives the flag (and
/// the default); an enum must read every value of a string flag and no other. Each failure is a
/// compile error at the field with the message given here.
fn checks(field: &ResolvedField<'_>, krate: &TokenStream) -> TokenStream {
    let f = field.field;
    let ty: &Type = f.option_inner().unwrap_or(f.ty);
    let key = &field.key;
    let ty_text = quote!(#ty).to_string().replace(' ', "");
    // The types that hold every value of their kind need no checks: most fields, and the
    // expansion stays small on large schemas.
    let holds_all = holds_every_value(&ty_text);
    match field.flag.flag_type {
        FlagType::Integer if holds_all => quote!(, &[]),
        FlagType::String if holds_all => quote!(, #krate::__private::VariantChecks::NONE),
        FlagType::Integer => {
            let mut values: Vec<(String, i64)> = field
                .flag
                .variants
                .iter()
                .filter_map(|(name, v)| Some((format!("variant `{name}`"), v.as_i64()?)))
                .collect();
            match &field.default {
                FieldDefault::Schema(v) => {
                    if let Some(i) = v.as_i64() {
                        values.push(("the schema's default".to_owned(), i));
                    }
                }
                FieldDefault::Literal {
                    value: LiteralValue::Int(i),
                    ..
                } => values.push(("the default".to_owned(), *i)),
                _ => {}
            }
            let mut seen = std::collections::HashSet::new();
            values.retain(|(_, value)| seen.insert(*value));
            let entries = values.iter().map(|(what, value)| {
                let lit = Literal::i128_unsuffixed(i128::from(*value));
                let message = format!(
                    "{what} of flag `{key}` is {value}, which does not fit `{ty_text}`; declare the field as a wider integer type (`i64` holds every value)"
                );
                quote!((#lit, #message))
            });
            quote!(, &[#(#entries),*])
        }
        FlagType::String if !field.flag.variants.is_empty() => {
            let mut values: Vec<&str> = field
                .flag
                .variants
                .values()
                .filter_map(|v| v.as_str())
                .collect();
            let mut seen = std::collections::HashSet::new();
            values.retain(|value| seen.insert(*value));
            let entries = values.iter().map(|value| {
                let message = format!(
                    "flag `{key}` can be {value:?}, which no variant of `{ty_text}` reads; add a variant for it (`#[flags(rename = {value:?})]`) or a catch-all `#[flags(other)]`"
                );
                quote!((#value, #message))
            });
            let list = values
                .iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            let unknown = format!(
                "a variant of `{ty_text}` reads a value flag `{key}` does not have; its values are {list}"
            );
            quote! {
                , #krate::__private::VariantChecks {
                    flag: #key,
                    values: &[#(#entries),*],
                    unknown: #unknown,
                }
            }
        }
        FlagType::String => quote!(, #krate::__private::VariantChecks::NONE),
        _ => TokenStream::new(),
    }
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
        FieldDefault::Schema(value) => format!("default `{value}` from the schema"),
        FieldDefault::Literal { .. } | FieldDefault::Expr(_) => {
            "default written in code".to_owned()
        }
        FieldDefault::None => "`None` when it defers to the code".to_owned(),
        FieldDefault::Missing => "no default".to_owned(),
    };
    let kind = match field.variant_part() {
        None => format!("{}, {default}", field.flag.flag_type),
        Some(VariantPart::Either) => match &field.default {
            FieldDefault::Schema(_) | FieldDefault::Missing => format!(
                "string with attachments: a `FlagVariant` enum reads the variant key, {default}; any other type the attachment, `Default::default()` when the variant has none"
            ),
            _ => format!(
                "string with attachments: a `FlagVariant` enum reads the variant key, any other type the attachment; {default}"
            ),
        },
        Some(_) => format!("string with attachments, read as the variant key, {default}"),
    };
    docs.push(format!(
        " Flag `{}` ({kind}), checked against `{}`.",
        field.key, located.display
    ));
    docs
}
