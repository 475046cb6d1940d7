//! `flags!`: a module generated from the whole schema.
//!
//! `flags::flags!(pub mod app_flags);` is a `macro_rules!` that forwards `$crate` to the hidden
//! proc macro calling [`flags_module`] with `$crate; pub mod app_flags;`. The schema is found
//! as `#[derive(Flags)]` finds it (`#[flags(schema = "...")]` on the module, relative to the
//! crate root, then `FLAGS_SCHEMA`, `$OUT_DIR`, the lock file). The module holds, flag by flag
//! in key order:
//!
//! | flag | generated |
//! | --- | --- |
//! | every flag | `pub const NEW_CHECKOUT: FlagKey<T>`, documented with the description, type, default and variants; `#[deprecated]` when the schema says so |
//! | string flag with variants | `pub enum NewCheckout { ... }`, one variant per schema variant (UpperCamel of its name) reading its value, deriving `FlagVariant` |
//! | object flag | `pub struct NewCheckout { ... }` and nested structs, from the shape of its values (see `shape`) |
//!
//! and `pub struct All`, one field per flag (snake_case of the key), deriving `Flags`, so that
//! `client.flags::<app_flags::All>(&ctx)` reads every flag from one configuration. A flag
//! without a default in the schema (flagd `defaultVariant: null`) is an `Option<T>` field and
//! key: `None` when it defers to the code. The constants are the derive's associated constants
//! (`pub const NEW_CHECKOUT: FlagKey<bool> = All::NEW_CHECKOUT;`), so both paths name one key.
//!
//! Names that cannot be identifiers get a word in front (`3d-mode` → `FLAG_3D_MODE`,
//! `flag_3d_mode`, `Flag3dMode`); keywords become raw (`type` → `r#type`, const `TYPE`). Names
//! that collide after conversion (`new-checkout` and `new_checkout`, a flag `all` with
//! variants next to the `All` struct) are compile errors naming both flags: renaming either
//! silently would make the name of a flag depend on which other flags exist.
//!
//! The output depends on nothing but the input and the schema: maps are ordered, so the same
//! schema gives byte-identical tokens.

use std::collections::BTreeMap;

use flags_schema::{Flag, FlagType};
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Token, Visibility};

use crate::Overrides;
use crate::errors::Errors;
use crate::locate::{self, Located};
use shape::{Case, Plan, RustType, StructDef};

// A child of this module, so that `lib.rs` declares `flags!` with one line.
#[path = "shape.rs"]
pub(crate) mod shape;

/// How the macro is written, for messages.
const USAGE: &str = "flags::flags!(pub mod app_flags);";

/// The keys `#[flags(...)]` takes on the module.
const MODULE_KEYS: &[&str] = &["schema"];

/// Expands `flags!`. `input` is `<path of the flags crate> ; <attributes> <vis> mod <name> [;]`.
/// Never fails: errors become `compile_error!`s at the offending tokens, next to an empty
/// module so that the module's name still resolves.
pub fn flags_module(input: TokenStream) -> TokenStream {
    let input = match parse(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::new();
    let (attrs, schema) = module_attrs(&input.attrs, &mut errors);
    let explicit = schema.as_ref().map(|s| (s.value(), s.span()));
    let located = match locate::locate(explicit, &locate::Env::from_process()) {
        Ok(located) => Some(located),
        Err(error) => {
            let span = schema.as_ref().map_or(input.ident.span(), LitStr::span);
            errors.push(syn::Error::new(span, error.to_string()));
            None
        }
    };
    let model = located
        .as_ref()
        .map(|located| Model::build(located, input.ident.span(), &mut errors));
    match (errors.is_empty(), &located, model) {
        (true, Some(located), Some(model)) => expand(&input, &attrs, located, &model, true),
        _ => {
            let mut out = errors.into_compile_errors();
            let vis = &input.vis;
            let ident = &input.ident;
            // Track the schema even on error, so that fixing it triggers a rebuild.
            let tracking = match &located {
                Some(located) => crate::expand::rebuild_tracking(located),
                None => {
                    let var = flags_schema::SCHEMA_ENV;
                    quote!(
                        const _: ::core::option::Option<&str> = ::core::option_env!(#var);
                    )
                }
            };
            out.extend(quote! {
                #(#attrs)*
                #vis mod #ident {}
                #tracking
            });
            out
        }
    }
}

/// The module `flags!(pub mod <module>)` expands to for `manifest`, as a file, for
/// `flags generate`: the same items the macro generates, with `krate` (`::flags`, or the path
/// of a re-export) where the macro has `$crate`, and `display` (the schema file as the user
/// names it) in the docs. One difference: the `include_bytes!` of the schema file that makes
/// Cargo recompile the macro's output when the schema changes is left out, since the written
/// source does not read the schema. Errors are the messages the macro would report (names
/// that collide or cannot be identifiers, a `krate` or `module` that is not a path or an
/// identifier).
///
/// Format it with `prettyplease::unparse`.
pub fn generate(
    manifest: &flags_schema::Manifest,
    module: &str,
    krate: &str,
    display: &str,
) -> Result<syn::File, Vec<String>> {
    let path: syn::Path = syn::parse_str(krate).map_err(|_| {
        vec![format!(
            "`{krate}` is not a path; write `::flags`, or the path of a re-export of it"
        )]
    })?;
    let ident: Ident = syn::parse_str(module).map_err(|_| {
        vec![format!(
            "`{module}` is not a module name; write a Rust identifier such as `app_flags`"
        )]
    })?;
    let input = Input {
        krate: path.to_token_stream(),
        attrs: Vec::new(),
        vis: syn::parse_quote!(pub),
        ident,
    };
    let located = Located {
        path: display.into(),
        display: display.to_owned(),
        route: locate::Route::LockFile,
        manifest: std::sync::Arc::new(manifest.clone()),
    };
    let mut errors = Errors::new();
    let model = Model::build(&located, Span::call_site(), &mut errors);
    if !errors.is_empty() {
        return Err(errors.into_messages());
    }
    let tokens = expand(&input, &[], &located, &model, false);
    // The derives inside report through `compile_error!`; they should find nothing in a model
    // built without errors, but a message must never end up in a file that then fails to build.
    let reported = compile_errors(&tokens);
    if !reported.is_empty() {
        return Err(reported);
    }
    syn::parse2(tokens)
        .map_err(|error| vec![format!("the generated module does not parse: {error}")])
}

/// The messages of the `compile_error!`s anywhere in `tokens`.
fn compile_errors(tokens: &TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let Some(TokenTree::Group(group)) = trees.get(i + 2) {
                    match syn::parse2::<LitStr>(group.stream()) {
                        Ok(lit) => out.push(lit.value()),
                        Err(_) => out.push(group.stream().to_string()),
                    }
                }
            }
            TokenTree::Group(group) => out.extend(compile_errors(&group.stream())),
            _ => {}
        }
    }
    out
}

/// The Rust names `flags!` gives one flag, for tools that look for uses of the generated
/// items (`flags check` reporting flags no code reads).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlagNames {
    /// The flag key.
    pub key: String,
    /// The key constant: `NEW_CHECKOUT`.
    pub constant: String,
    /// The field of `All`: `new_checkout`, `r#type` for a keyword.
    pub field: String,
    /// The types generated for the flag: the enum of a string flag with variants, the structs
    /// of an object flag (the root first, then nested ones); empty for other flags.
    pub types: Vec<String>,
}

/// The names `flags!` gives every flag of `manifest`, in key order. A flag whose names cannot
/// be made is left out (the macro reports it and generates an empty module).
pub fn flag_names(manifest: &flags_schema::Manifest) -> Vec<FlagNames> {
    let located = Located {
        path: std::path::PathBuf::new(),
        display: String::new(),
        route: locate::Route::LockFile,
        manifest: std::sync::Arc::new(manifest.clone()),
    };
    let mut errors = Errors::new();
    let model = Model::build(&located, Span::call_site(), &mut errors);
    model
        .flags
        .iter()
        .map(|item| FlagNames {
            key: item.key.to_owned(),
            constant: item.konst.clone(),
            field: item.field.clone(),
            types: match &item.value {
                ValueType::Scalar(_) => Vec::new(),
                ValueType::Enum(def) => vec![def.name.clone()],
                ValueType::Object(plan) => {
                    plan.structs.iter().map(|def| def.name.clone()).collect()
                }
            },
        })
        .collect()
}

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
/// attributes); an error when the macro would reject it.
pub fn parse_invocation(tokens: TokenStream) -> syn::Result<Invocation> {
    let (attrs, _vis, ident) = (|input: ParseStream<'_>| parse_module(input)).parse2(tokens)?;
    let mut errors = Errors::new();
    let (_, schema) = module_attrs(&attrs, &mut errors);
    Ok(Invocation {
        module: ident.to_string(),
        schema: schema.map(|s| s.value()),
    })
}

/// The parsed input.
struct Input {
    /// The path of the `flags` crate (`$crate`).
    krate: TokenStream,
    /// Every attribute on the module, `#[flags(...)]` included.
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
}

fn parse(input: TokenStream) -> syn::Result<Input> {
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

/// Splits the module's attributes into those kept on the module and the `schema` named by
/// `#[flags(schema = "...")]`.
fn module_attrs(attrs: &[Attribute], errors: &mut Errors) -> (Vec<Attribute>, Option<LitStr>) {
    let mut kept = Vec::new();
    let mut schema: Option<LitStr> = None;
    for attr in attrs {
        if !attr.path().is_ident("flags") {
            kept.push(attr.clone());
            continue;
        }
        if !matches!(attr.meta, syn::Meta::List(_)) {
            errors.push(syn::Error::new(
                attr.meta.span(),
                "expected `#[flags(schema = \"path\")]` on a `flags!` module",
            ));
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("schema") {
                let expr: syn::Expr = meta
                    .value()
                    .map_err(|_| meta.error("expected a string: write `schema = \"flags.json\"`"))?
                    .parse()?;
                let lit = match expr {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(lit),
                        ..
                    }) => lit,
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "expected a string literal: write `schema = \"flags.json\"`",
                        ));
                    }
                };
                if schema.is_some() {
                    errors.push(meta.error("duplicate `schema`; give it once"));
                } else {
                    schema = Some(lit);
                }
            } else {
                let name = meta.path.to_token_stream().to_string().replace(' ', "");
                let accepted = MODULE_KEYS
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                errors.push(syn::Error::new(
                    meta.path.span(),
                    format!(
                        "unknown attribute `{name}` on a `flags!` module; it takes {accepted}: write `#[flags(schema = \"flags.json\")]`"
                    ),
                ));
                // Skip the value so that parsing goes on.
                if meta.input.peek(Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                } else if meta.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let _: TokenStream = content.parse()?;
                }
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    (kept, schema)
}

/// What the module holds, with every name made and checked.
struct Model<'a> {
    flags: Vec<FlagItem<'a>>,
}

struct FlagItem<'a> {
    key: &'a str,
    flag: &'a Flag,
    /// The field of `All`: `new_checkout`, `r#type`.
    field: String,
    /// The key constant: `NEW_CHECKOUT` (the derive's name for the field's constant).
    konst: String,
    value: ValueType,
}

/// The type a flag's values are read as (before the `Option` of a flag without default).
enum ValueType {
    Scalar(RustType),
    Enum(EnumDef),
    Object(Plan),
}

struct EnumDef {
    name: String,
    variants: Vec<EnumVariant>,
}

struct EnumVariant {
    ident: String,
    value: String,
    /// The schema variants serving this value (several when they share it).
    names: Vec<String>,
}

/// The names already given in one namespace, with what took them, for collision messages.
struct Names {
    /// The name in messages, `{}` standing for it: "the constant `{}`".
    what: &'static str,
    /// How to fix a collision.
    fix: &'static str,
    taken: BTreeMap<String, String>,
}

/// How to fix two flags that collide.
const RENAME_FLAG: &str = "rename one of them in the flag definitions, or read these flags with `#[derive(Flags)]`, which takes any field name";

impl Names {
    fn new(what: &'static str, fix: &'static str) -> Names {
        Names {
            what,
            fix,
            taken: BTreeMap::new(),
        }
    }

    /// Takes `name` for `owner`; an error naming both owners when it is taken.
    fn take(&mut self, name: &str, owner: String, span: Span, errors: &mut Errors) {
        if let Some(first) = self.taken.get(name) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "{first} and {owner} both become {}; {}",
                    self.what.replace("{}", name),
                    self.fix
                ),
            ));
        } else {
            self.taken.insert(name.to_owned(), owner);
        }
    }
}

impl<'a> Model<'a> {
    /// Names everything; pushes an error for each name that cannot be made or collides.
    fn build(located: &'a Located, span: Span, errors: &mut Errors) -> Model<'a> {
        let mut consts = Names::new("the constant `{}`", RENAME_FLAG);
        let mut fields = Names::new("the field `{}` of `All`", RENAME_FLAG);
        let mut types = Names::new("the type `{}`", RENAME_FLAG);
        types
            .taken
            .insert("All".to_owned(), "the struct of every flag".to_owned());
        let mut flags = Vec::with_capacity(located.manifest.flags.len());
        for (key, flag) in &located.manifest.flags {
            let Some(field) = shape::rust_name(key, Case::Snake, "flag") else {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "flag `{key}` cannot become a Rust name: it has no letter or digit, or characters Rust does not take in identifiers; rename it in the flag definitions, or read it with `#[derive(Flags)]` and `#[flags(key = \"{key}\")]`"
                    ),
                ));
                continue;
            };
            let konst = shape::const_name(&field);
            if !shape::is_ident(&konst) || !shape::is_ident(&type_name(&field)) {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "flag `{key}` cannot become a Rust name: its constant would be `{konst}`; rename it in the flag definitions, or read it with `#[derive(Flags)]` and `#[flags(key = \"{key}\")]`"
                    ),
                ));
                continue;
            }
            fields.take(&field, format!("flag `{key}`"), span, errors);
            consts.take(&konst, format!("flag `{key}`"), span, errors);
            let value = match flag.flag_type {
                FlagType::Boolean => ValueType::Scalar(RustType::Bool),
                FlagType::Integer => ValueType::Scalar(RustType::I64),
                FlagType::Float => ValueType::Scalar(RustType::F64),
                FlagType::String if flag.variants.is_empty() => ValueType::Scalar(RustType::String),
                FlagType::String => {
                    let def = enum_def(key, flag, &field, span, errors);
                    types.take(&def.name, format!("the enum of flag `{key}`"), span, errors);
                    ValueType::Enum(def)
                }
                FlagType::Object => {
                    let name = type_name(&field);
                    let values = flag.variants.values().chain(flag.default.as_ref());
                    match shape::plan(key, &name, values) {
                        Ok(plan) => {
                            for def in &plan.structs {
                                types.take(&def.name, struct_owner(key, def), span, errors);
                            }
                            ValueType::Object(plan)
                        }
                        Err(messages) => {
                            for message in messages {
                                errors.push(syn::Error::new(span, message));
                            }
                            continue;
                        }
                    }
                }
            };
            flags.push(FlagItem {
                key,
                flag,
                field,
                konst,
                value,
            });
        }
        Model { flags }
    }
}

/// The UpperCamel type name of a flag, from its field name (an identifier already, so the
/// type name is one too).
fn type_name(field: &str) -> String {
    let bare = field.strip_prefix("r#").unwrap_or(field);
    let name = heck::ToUpperCamelCase::to_upper_camel_case(bare);
    if name == "Self" {
        "FlagSelf".to_owned()
    } else {
        name
    }
}

fn struct_owner(key: &str, def: &StructDef) -> String {
    if def.path.is_empty() {
        format!("the struct of object flag `{key}`")
    } else {
        format!("the struct of `{}` in object flag `{key}`", def.path)
    }
}

/// The enum of a string flag: one Rust variant per value, named after the first schema
/// variant (in name order) serving it.
fn enum_def(key: &str, flag: &Flag, field: &str, span: Span, errors: &mut Errors) -> EnumDef {
    let name = type_name(field);
    let mut variants: Vec<EnumVariant> = Vec::new();
    let mut idents = Names::new(
        "the enum variant `{}`",
        "rename one of them in the flag definitions",
    );
    for (variant, value) in &flag.variants {
        // `flags-schema` checked every value of a string flag is a string.
        let Some(value) = value.as_str() else {
            continue;
        };
        if let Some(existing) = variants.iter_mut().find(|v| v.value == value) {
            existing.names.push(variant.clone());
            continue;
        }
        let Some(ident) = shape::rust_name(variant, Case::UpperCamel, "variant") else {
            errors.push(syn::Error::new(
                span,
                format!(
                    "variant `{variant}` of flag `{key}` cannot become a Rust enum variant; rename it in the flag definitions to start with a letter"
                ),
            ));
            continue;
        };
        idents.take(
            &ident,
            format!("variant `{variant}` of flag `{key}`"),
            span,
            errors,
        );
        variants.push(EnumVariant {
            ident,
            value: value.to_owned(),
            names: vec![variant.clone()],
        });
    }
    EnumDef { name, variants }
}

/// The module for a schema already located and named without errors. `tracked`: with the
/// `include_bytes!`/`option_env!` that make Cargo rebuild when the schema changes.
fn expand(
    input: &Input,
    attrs: &[Attribute],
    located: &Located,
    model: &Model<'_>,
    tracked: bool,
) -> TokenStream {
    let krate = &input.krate;
    let vis = &input.vis;
    let ident = &input.ident;
    // Generated names carry the call site's span, not the module name's: `#[derive(Flags)]`
    // re-spans `$crate` to the fields' types, and `$crate` resolves through its span, so a
    // type spanned in the user's code would turn it into the user's `crate`.
    let span = Span::call_site();
    let display = &located.display;

    let mut body = TokenStream::new();
    let mut all_fields = TokenStream::new();
    let mut derive_fields = TokenStream::new();
    let mut needs_serde = false;
    for item in &model.flags {
        let docs = flag_docs(item, display);
        let deprecated = item.flag.deprecated.then(|| {
            let note = crate::expand::deprecation_note(item.key, item.flag, display);
            quote!(#[deprecated = #note])
        });
        let mut types = TokenStream::new();
        let value_ty = match &item.value {
            ValueType::Scalar(ty) => ty.tokens(krate),
            ValueType::Enum(def) => {
                let name = shape::ident(&def.name, span);
                types.extend(enum_tokens(item.key, def, located, krate, span, tracked));
                quote!(#name)
            }
            ValueType::Object(plan) => {
                for def in &plan.structs {
                    needs_serde = true;
                    types.extend(struct_tokens(item.key, def, krate, span));
                }
                if let RustType::Struct(root) = &plan.root {
                    // The shape the struct was generated from: the derive compares it with the
                    // flag of any field declared with this type.
                    let root = shape::ident(root, span);
                    let canonical = shape::flag_shape(item.flag);
                    types.extend(quote! {
                        impl #root {
                            #[doc(hidden)]
                            pub const __FLAGS_SHAPE: &'static str = #canonical;
                        }
                    });
                }
                plan.root.tokens(krate)
            }
        };
        let ty = if item.flag.default.is_none() {
            quote!(::core::option::Option<#value_ty>)
        } else {
            value_ty
        };
        let konst = shape::ident(&item.konst, span);
        let field = shape::ident(&item.field, span);
        let key = item.key;
        body.extend(quote! {
            #(#[doc = #docs])*
            #deprecated
            #[allow(deprecated)] // names `All`'s constant, deprecated too
            pub const #konst: #krate::__private::FlagKey<#ty> = All::#konst;

            #types
        });
        all_fields.extend(quote! {
            #(#[doc = #docs])*
            #deprecated
            pub #field: #ty,
        });
        // Without docs: the derive documents its constant from the description itself.
        derive_fields.extend(quote! {
            #[flags(key = #key)]
            pub #field: #ty,
        });
    }

    let all_doc = format!(
        " Every flag of `{display}`, read from one configuration with `client.flags::<All>(&ctx)`."
    );
    let derive_input = quote! {
        pub struct All { #derive_fields }
    };
    let derived = match syn::parse2::<syn::DeriveInput>(derive_input) {
        Ok(derive_input) => crate::derive_flags_with(
            &derive_input,
            &Overrides {
                krate: Some(krate.clone()),
                located: Some(located.clone()),
                untracked: !tracked,
            },
        ),
        Err(error) => error.to_compile_error(),
    };
    let module_doc = if attrs.iter().any(|a| a.path().is_ident("doc")) {
        None
    } else {
        let doc = format!(
            " Every flag of `{display}`: typed keys, value types, and [`All`] to read them all at once. Generated by `flags::flags!`."
        );
        Some(quote!(#[doc = #doc]))
    };
    let serde = needs_serde.then(|| quote!(use #krate::__private::serde;));
    quote! {
        #(#attrs)*
        #module_doc
        #vis mod #ident {
            #serde

            #body

            #[doc = #all_doc]
            #[derive(Debug, Clone, PartialEq)]
            pub struct All {
                #all_fields
            }

            // The derive reads every field, deprecated ones included.
            #[allow(deprecated)]
            const _: () = {
                #derived
            };
        }
    }
}

/// The doc lines of a flag's constant and `All` field: the description, then a line with the
/// key, type, default and variants.
fn flag_docs(item: &FlagItem<'_>, display: &str) -> Vec<String> {
    let flag = item.flag;
    let mut docs: Vec<String> = flag
        .description
        .iter()
        .flat_map(|d| d.lines())
        .map(|line| format!(" {line}"))
        .collect();
    if !docs.is_empty() {
        docs.push(String::new());
    }
    let ty = match &item.value {
        ValueType::Scalar(ty) => format!("`{ty}`"),
        ValueType::Enum(def) => format!("[`{}`]", def.name),
        ValueType::Object(plan) => match &plan.root {
            RustType::Struct(name) => format!("[`{name}`]"),
            other => format!("`{other}`"),
        },
    };
    let default = match (&flag.default, &flag.default_variant) {
        (Some(value), Some(variant)) => format!("default `{}` (variant `{variant}`)", short(value)),
        (Some(value), None) => format!("default `{}`", short(value)),
        (None, _) => "no default: `None` when the flag defers to the code".to_owned(),
    };
    let mut line = format!(
        " Flag `{}`: {} flag read as {ty}, {default}",
        item.key, flag.flag_type
    );
    if !flag.variants.is_empty() {
        let variants = flag
            .variants
            .iter()
            .map(|(name, value)| match flag.flag_type {
                FlagType::Object => format!("`{name}`"),
                _ => format!("`{name}` = `{}`", short(value)),
            })
            .collect::<Vec<_>>()
            .join(", ");
        line.push_str(&format!("; variants {variants}"));
    }
    line.push('.');
    docs.push(line);
    if flag.deprecated {
        docs.push(String::new());
        docs.push(format!(" Deprecated in `{display}`."));
    }
    docs
}

/// A value for docs: JSON, cut at 60 characters.
fn short(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The enum of a string flag and its `FlagVariant` impl, by the derive, from a synthetic
/// `#[flags(key = "...")] enum Name { #[flags(rename = "value")] Variant, ... }`.
fn enum_tokens(
    key: &str,
    def: &EnumDef,
    located: &Located,
    krate: &TokenStream,
    span: Span,
    tracked: bool,
) -> TokenStream {
    let name = shape::ident(&def.name, span);
    let doc = format!(" The values of string flag `{key}`: a `match` over them is exhaustive.");
    let variants: Vec<TokenStream> = def
        .variants
        .iter()
        .map(|variant| {
            let ident = shape::ident(&variant.ident, span);
            let names = variant
                .names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let doc = format!(" {:?} (variant {names}).", variant.value);
            quote!(#[doc = #doc] #ident)
        })
        .collect();
    let renamed = def.variants.iter().map(|variant| {
        let ident = shape::ident(&variant.ident, span);
        let value = &variant.value;
        quote!(#[flags(rename = #value)] #ident)
    });
    let synthetic = quote! {
        #[flags(key = #key)]
        pub enum #name { #(#renamed,)* }
    };
    let derived = match syn::parse2::<syn::DeriveInput>(synthetic) {
        Ok(input) => crate::variant::derive_flag_variant_with(
            &input,
            &Overrides {
                krate: Some(krate.clone()),
                located: Some(located.clone()),
                untracked: !tracked,
            },
        ),
        Err(error) => error.to_compile_error(),
    };
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variants,)*
        }

        #derived
    }
}

/// A struct of an object flag, deserialized through the `flags` crate's serde.
fn struct_tokens(key: &str, def: &StructDef, krate: &TokenStream, span: Span) -> TokenStream {
    let name = shape::ident(&def.name, span);
    let doc = if def.path.is_empty() {
        format!(" The value of object flag `{key}`.")
    } else {
        format!(" `{}` in the value of object flag `{key}`.", def.path)
    };
    let fields = def.fields.iter().map(|field| {
        let ident = shape::ident(&field.ident, span);
        let ty = field.ty.tokens(krate);
        let presence = if field.seen == field.of {
            if field.optional {
                "in every value, `null` in some"
            } else {
                "in every value"
            }
        } else {
            "absent from some values"
        };
        let doc = format!(" `{}` ({presence}).", field.key);
        let rename = field.rename().map(|r| quote!(#[serde(rename = #r)]));
        let default = field.optional.then(|| quote!(#[serde(default)]));
        quote! {
            #[doc = #doc]
            #rename
            #default
            pub #ident: #ty,
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
        #[serde(crate = "serde")]
        pub struct #name {
            #(#fields)*
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/app_flags.json"
    );

    fn run(input: &str) -> String {
        flags_module(input.parse().unwrap()).to_string()
    }

    fn with_schema(path: &str) -> String {
        run(&format!(
            "::flags; #[flags(schema = {path:?})] pub mod app_flags;"
        ))
    }

    /// The messages of the `compile_error!`s in `output`.
    fn messages(output: &str) -> Vec<String> {
        let stream: TokenStream = output.parse().unwrap();
        let mut out = Vec::new();
        let mut tokens = stream.into_iter().peekable();
        while let Some(token) = tokens.next() {
            if let TokenTree::Ident(ident) = &token
                && ident == "compile_error"
            {
                // `compile_error` `!` `{ "message" }`
                tokens.next();
                if let Some(TokenTree::Group(group)) = tokens.next() {
                    let lit: LitStr = syn::parse2(group.stream()).unwrap();
                    out.push(lit.value());
                }
            }
        }
        out
    }

    /// Writes `json` to a file of its own; returns its path.
    fn schema_file(name: &str, json: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("flags-codegen-module-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, json).unwrap();
        path
    }

    fn flag(variants: &str, default: &str) -> String {
        format!(r#"{{"state": "ENABLED", "variants": {variants}, "defaultVariant": {default}}}"#)
    }

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
        let (kept, schema) = module_attrs(&input.attrs, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(schema.map(|s| s.value()).as_deref(), Some("f.json"));
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
    fn module_attribute_errors_are_all_reported() {
        let output = run(&format!(
            "$crate; #[flags(schema = {FIXTURE:?}, schema = \"b.json\", shema = \"c\")] #[flags(crate = \"x\")] #[flags] #[flags(schema = 3)] mod m;"
        ));
        let errors = messages(&output);
        assert_eq!(
            errors,
            [
                "duplicate `schema`; give it once",
                "unknown attribute `shema` on a `flags!` module; it takes `schema`: write `#[flags(schema = \"flags.json\")]`",
                "unknown attribute `crate` on a `flags!` module; it takes `schema`: write `#[flags(schema = \"flags.json\")]`",
                "expected `#[flags(schema = \"path\")]` on a `flags!` module",
                "expected a string literal: write `schema = \"flags.json\"`",
            ]
        );
        // The module is still there, empty, so that its name resolves.
        assert!(output.contains("mod m { }"), "{output}");
    }

    #[test]
    fn a_missing_schema_is_an_error_saying_where_it_looked() {
        let output = with_schema("no/such/flags.json");
        let errors = messages(&output);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(
                "schema file `no/such/flags.json` named by `#[flags(schema = ...)]` does not exist"
            ),
            "{errors:?}"
        );
        assert!(output.contains("pub mod app_flags { }"), "{output}");
        // An invalid one names the problem.
        let path = schema_file(
            "invalid",
            r#"{"flags": {"mixed": {"state": "ENABLED", "variants": {"a": 1, "b": "x"}, "defaultVariant": "a"}}}"#,
        );
        let errors = messages(&with_schema(path.to_str().unwrap()));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("invalid flag schema: "), "{errors:?}");
        assert!(errors[0].contains("`mixed`"), "{errors:?}");
    }

    #[test]
    fn the_same_schema_gives_the_same_tokens() {
        let first = with_schema(FIXTURE);
        assert!(messages(&first).is_empty(), "{:?}", messages(&first));
        for _ in 0..3 {
            assert_eq!(with_schema(FIXTURE), first);
        }
    }

    #[test]
    fn generates_every_item_in_key_order() {
        let output = with_schema(FIXTURE);
        let items = [
            "pub const FLAG_3D_MODE : :: flags :: __private :: FlagKey < bool > = All :: FLAG_3D_MODE ;",
            "pub const HERO : :: flags :: __private :: FlagKey < Hero > = All :: HERO ;",
            "pub enum Hero {",
            "pub const MAX_RETRIES : :: flags :: __private :: FlagKey < :: core :: option :: Option < i64 > > = All :: MAX_RETRIES ;",
            "pub const NEW_CHECKOUT :",
            "pub const OLD_BANNER :",
            "pub const PROMO : :: flags :: __private :: FlagKey < :: core :: option :: Option < Promo > >",
            "pub struct Promo {",
            "pub const SAMPLE_RATE : :: flags :: __private :: FlagKey < f64 >",
            "pub const TYPE : :: flags :: __private :: FlagKey < Type >",
            "pub enum Type {",
            "pub const UI_CONFIG : :: flags :: __private :: FlagKey < UiConfig >",
            "pub struct UiConfig {",
            "pub struct UiConfigTheme {",
            "pub const UPLOAD_LIMIT :",
            "pub struct All {",
        ];
        let mut at = 0;
        for item in items {
            let found = output[at..]
                .find(item)
                .unwrap_or_else(|| panic!("{item:?} not after byte {at} in {output}"));
            at += found + item.len();
        }
        // Fields of `All`: snake_case, raw for keywords, `Option` without a schema default.
        for field in [
            "pub flag_3d_mode : bool ,",
            "pub r#type : Type ,",
            "pub max_retries : :: core :: option :: Option < i64 > ,",
            "pub promo : :: core :: option :: Option < Promo > ,",
            "pub ui_config : UiConfig ,",
        ] {
            assert!(output.contains(field), "{field:?} in {output}");
        }
        // One enum variant per value, named after the first schema variant serving it.
        assert!(
            output.contains("pub enum Hero { # [doc = \" \\\"big-picture\\\" (variant `big-picture`).\"] BigPicture , # [doc = \" \\\"carousel\\\" (variant `carousel`).\"] Carousel , # [doc = \" \\\"control\\\" (variant `control`, `legacy`).\"] Control , }"),
            "{output}"
        );
        // Structs through the `flags` crate's serde, renamed keys, optional fields.
        assert!(
            output.contains("use :: flags :: __private :: serde ;"),
            "{output}"
        );
        assert!(output.contains("# [serde (crate = \"serde\")]"), "{output}");
        assert!(
            output.contains("# [serde (rename = \"maxItems\")] # [serde (default)] pub max_items : :: core :: option :: Option < i64 > ,"),
            "{output}"
        );
        // Deprecated: the module's constant and `All`'s field, and from the derive `All`'s
        // constant and the warning at the field; the derive's reads are allowed.
        assert_eq!(output.matches("# [deprecated =").count(), 4, "{output}");
        assert!(
            output.contains("# [allow (deprecated)] const _ : () = {"),
            "{output}"
        );
        // The description and the line with type, default and variants.
        assert!(
            output.contains("# [doc = \" The new checkout flow.\"]"),
            "{output}"
        );
        assert!(
            output.contains("Flag `upload-limit`: integer flag read as `i64`, default `25` (variant `large`); variants `large` = `25`, `small` = `10`."),
            "{output}"
        );
    }

    #[test]
    fn no_serde_import_without_object_flags() {
        let path = schema_file(
            "scalars",
            &format!(
                r#"{{"flags": {{"on": {}}}}}"#,
                flag(r#"{"a": true, "b": false}"#, "\"a\"")
            ),
        );
        let output = with_schema(path.to_str().unwrap());
        assert!(messages(&output).is_empty(), "{output}");
        assert!(!output.contains("serde"), "{output}");
    }

    #[test]
    fn colliding_names_are_errors_naming_both_flags() {
        let boolean = flag(r#"{"a": true, "b": false}"#, "\"a\"");
        let strings = flag(r#"{"x": "x", "y": "y"}"#, "\"x\"");
        let object = |json: &str| flag(&format!(r#"{{"a": {json}}}"#), "\"a\"");
        let json = format!(
            r#"{{"flags": {{
                "new-checkout": {boolean}, "new_checkout": {boolean},
                "all": {strings},
                "ui": {}, "ui-theme": {},
                "hero": {}
            }}}}"#,
            object(r#"{"theme": {"dark": true}}"#),
            object(r#"{"x": 1}"#),
            flag(
                r#"{"big-picture": "a", "big_picture": "b"}"#,
                "\"big-picture\""
            ),
        );
        let path = schema_file("collisions", &json);
        let output = with_schema(path.to_str().unwrap());
        assert_eq!(
            messages(&output),
            [
                format!("the struct of every flag and the enum of flag `all` both become the type `All`; {RENAME_FLAG}"),
                "variant `big-picture` of flag `hero` and variant `big_picture` of flag `hero` both become the enum variant `BigPicture`; rename one of them in the flag definitions".to_owned(),
                format!("flag `new-checkout` and flag `new_checkout` both become the field `new_checkout` of `All`; {RENAME_FLAG}"),
                format!("flag `new-checkout` and flag `new_checkout` both become the constant `NEW_CHECKOUT`; {RENAME_FLAG}"),
                format!("the struct of `theme` in object flag `ui` and the struct of object flag `ui-theme` both become the type `UiTheme`; {RENAME_FLAG}"),
            ]
        );
    }

    #[test]
    fn names_that_cannot_be_identifiers_are_errors() {
        let boolean = flag(r#"{"a": true, "b": false}"#, "\"a\"");
        let json = format!(
            r#"{{"flags": {{"---": {boolean}, "ok": {}, "obj": {}}}}}"#,
            flag(r#"{"1": "one", "---": "none"}"#, "\"1\""),
            flag(r#"{"a": {"fooBar": 1, "foo_bar": 2}}"#, "\"a\""),
        );
        let path = schema_file("not-identifiers", &json);
        let errors = messages(&with_schema(path.to_str().unwrap()));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors[0].starts_with("flag `---` cannot become a Rust name"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("keys `fooBar` and `foo_bar` of object flag `obj`"),
            "{errors:?}"
        );
        assert!(
            errors[2].starts_with("variant `---` of flag `ok` cannot become a Rust enum variant"),
            "{errors:?}"
        );
    }

    /// Three flags: a boolean, a string with variants, an object.
    const THREE: &str = r#"{"flags": {
        "new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
        "hero": {"state": "ENABLED", "variants": {"control": "control", "big-picture": "big-picture"}, "defaultVariant": "control"},
        "ui-config": {"state": "ENABLED", "variants": {"a": {"density": 2, "theme": {"dark": true}}}, "defaultVariant": "a"}
    }}"#;

    #[test]
    fn generate_writes_what_the_macro_expands_to_without_tracking() {
        let path = schema_file("three", THREE);
        let path = path.to_str().unwrap();
        let manifest = flags_schema::import_str(THREE, path).unwrap();
        let file = generate(&manifest, "app_flags", "::flags", path).unwrap();
        let generated = file.to_token_stream().to_string();

        // The macro's output for the same schema, less the rebuild tracking.
        let expanded = with_schema(path);
        let tracking = crate::expand::rebuild_tracking(&locate::Located {
            path: path.into(),
            display: path.to_owned(),
            route: locate::Route::Attribute,
            manifest: std::sync::Arc::new(manifest.clone()),
        })
        .to_string();
        // `All`'s derive and `Hero`'s tracked the schema.
        assert_eq!(expanded.matches(&tracking).count(), 2, "{expanded}");
        let untracked = expanded.replace(&tracking, "");
        let reparsed: syn::File = syn::parse_str(&untracked).unwrap();
        assert_eq!(generated, reparsed.to_token_stream().to_string());
        assert!(!generated.contains("include_bytes"), "{generated}");

        // The items, formatted, parse again.
        let source = prettyplease::unparse(&file);
        let file: syn::File = syn::parse_file(&source).unwrap();
        let syn::Item::Mod(module) = &file.items[0] else {
            panic!("{source}")
        };
        assert_eq!(module.ident, "app_flags");
        let items = &module.content.as_ref().unwrap().1;
        let named = |kind: &str, name: &str| {
            items.iter().any(|item| match item {
                syn::Item::Const(c) => kind == "const" && c.ident == name,
                syn::Item::Enum(e) => kind == "enum" && e.ident == name,
                syn::Item::Struct(s) => kind == "struct" && s.ident == name,
                _ => false,
            })
        };
        for (kind, name) in [
            ("const", "NEW_CHECKOUT"),
            ("const", "HERO"),
            ("const", "UI_CONFIG"),
            ("enum", "Hero"),
            ("struct", "UiConfig"),
            ("struct", "UiConfigTheme"),
            ("struct", "All"),
        ] {
            assert!(named(kind, name), "{kind} {name} in {source}");
        }
        assert!(!named("enum", "NewCheckout"), "{source}");
        assert!(source.contains("pub new_checkout: bool,"), "{source}");
        assert!(
            source.contains("impl ::flags::__private::Flags for All"),
            "{source}"
        );
        assert!(
            source.contains(&format!("Every flag of `{path}`")),
            "{source}"
        );
    }

    #[test]
    fn generate_takes_another_crate_path_and_reports_errors() {
        let errors = |result: Result<syn::File, Vec<String>>| match result {
            Ok(_) => panic!("generated"),
            Err(errors) => errors,
        };
        let manifest = flags_schema::import_str(THREE, "three.json").unwrap();
        let file = generate(&manifest, "f", "my_app::reexport::flags", "three.json").unwrap();
        let text = file.to_token_stream().to_string();
        assert!(
            text.contains("my_app :: reexport :: flags :: __private :: FlagKey < bool >"),
            "{text}"
        );
        // Every path to the crate is the one given.
        assert_eq!(
            text.matches(":: flags ::").count(),
            text.matches("my_app :: reexport :: flags ::").count(),
            "{text}"
        );

        assert_eq!(
            errors(generate(&manifest, "f", "not a path", "x")),
            ["`not a path` is not a path; write `::flags`, or the path of a re-export of it"]
        );
        assert_eq!(
            errors(generate(&manifest, "3f", "::flags", "x")),
            ["`3f` is not a module name; write a Rust identifier such as `app_flags`"]
        );
        let boolean = flag(r#"{"a": true, "b": false}"#, "\"a\"");
        let colliding = flags_schema::import_str(
            &format!(r#"{{"flags": {{"a-b": {boolean}, "a_b": {boolean}}}}}"#),
            "c.json",
        )
        .unwrap();
        let errors = errors(generate(&colliding, "f", "::flags", "c.json"));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("flag `a-b` and flag `a_b` both become the field `a_b`"),
            "{errors:?}"
        );
    }

    #[test]
    fn flag_names_are_the_generated_names() {
        let manifest =
            flags_schema::import_str(&std::fs::read_to_string(FIXTURE).unwrap(), "app_flags.json")
                .unwrap();
        let names = flag_names(&manifest);
        let get = |key: &str| names.iter().find(|n| n.key == key).unwrap();
        assert_eq!(names.len(), manifest.flags.len());
        let n = get("new-checkout");
        assert_eq!(
            (n.constant.as_str(), n.field.as_str()),
            ("NEW_CHECKOUT", "new_checkout")
        );
        assert!(n.types.is_empty());
        let n = get("type");
        assert_eq!((n.constant.as_str(), n.field.as_str()), ("TYPE", "r#type"));
        assert_eq!(n.types, ["Type"]);
        assert_eq!(get("3d-mode").constant, "FLAG_3D_MODE");
        assert_eq!(get("ui-config").types, ["UiConfig", "UiConfigTheme"]);
        // Each name is the generated one.
        let output = with_schema(FIXTURE);
        for n in &names {
            assert!(
                output.contains(&format!("pub const {} :", n.constant)),
                "{n:?}"
            );
            assert!(output.contains(&format!("pub {} :", n.field)), "{n:?}");
            for ty in &n.types {
                assert!(output.contains(&format!(" {ty} {{")), "{n:?}");
            }
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
