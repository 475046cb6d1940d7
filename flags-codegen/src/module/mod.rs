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
//! On errors the module is still generated, with every flag that has no error of its own (the
//! first of two colliding flags in key order keeps the name), so that a mistake is one
//! compile error and not also an unknown item at every use of the other flags. The module's
//! `#[flags(...)]` is read by the derives' grammar ([`crate::attr`]).
//!
//! The output depends on nothing but the input and the schema: maps are ordered, so the same
//! schema gives byte-identical tokens.

mod expand;
mod generate;
mod input;
mod model;
mod naming;
pub(crate) mod shape;
#[cfg(test)]
mod test_support;

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use crate::errors::Errors;
use crate::locate;
use expand::expand_module;
use input::{module_attrs, parse};
use model::Model;

pub use generate::{FlagNames, flag_names, generate};
pub use input::{Invocation, parse_invocation};

/// Expands `flags!`, for `flags-macro`. `input` is `<path of the flags crate> ; <attributes> <vis> mod <name> [;]`.
/// Never fails: errors become `compile_error!`s at the offending tokens, next to the module
/// with every flag that has no error of its own (an empty module when there is no schema to
/// read), so that each mistake is one error and not also an unknown item at every use.
pub fn flags_module(input: TokenStream) -> TokenStream {
    flags_module_in(input, &locate::Env::from_process())
}

/// [`flags_module`] in `env`.
fn flags_module_in(input: TokenStream, env: &locate::Env) -> TokenStream {
    let input = match parse(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::new();
    let (kept, attrs) = module_attrs(&input.attrs, &mut errors);
    let explicit = attrs.schema.as_ref().map(|s| (s.value(), s.span()));
    let located = match locate::locate(explicit, env) {
        Ok(located) => Some(located),
        // A `#[flags(...)]` with an error and no `schema`: the search that replaced a
        // misspelt `schema` failing is not a second mistake.
        Err(_) if attrs.invalid && attrs.schema.is_none() => None,
        Err(error) => {
            let span = attrs
                .schema
                .as_ref()
                .map_or(input.ident.span(), LitStr::span);
            errors.push(syn::Error::new(span, error.to_string()));
            None
        }
    };
    let model = located
        .as_ref()
        .map(|located| Model::build(located, input.ident.span(), &mut errors));
    let mut out = errors.into_compile_errors();
    match (&located, &model) {
        (Some(located), Some(model)) => {
            out.extend(expand_module(&input, &kept, located, model, true))
        }
        _ => {
            let vis = &input.vis;
            let ident = &input.ident;
            // Track the variable even on error, so that setting it triggers a rebuild.
            let var = flags_schema::SCHEMA_ENV;
            out.extend(quote! {
                #(#kept)*
                #vis mod #ident {}
                const _: ::core::option::Option<&str> = ::core::option_env!(#var);
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use crate::locate;

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
                "unknown attribute `shema` on a `flags!` module; expected one of `schema`; did you mean `schema`?",
                "unknown attribute `crate` on a `flags!` module; expected one of `schema`",
                "expected `#[flags(...)]` with one of `schema`",
                "expected a string literal: write `schema = \"flags.lock.json\"`",
            ]
        );
        // The module is still there with every flag of the schema the first `schema` names,
        // so that uses of its items add no errors.
        assert!(output.contains("mod m {"), "{output}");
        assert!(output.contains("pub const NEW_CHECKOUT :"), "{output}");
        assert!(output.contains("pub struct All {"), "{output}");
    }

    #[test]
    fn a_wrong_attribute_without_schema_is_one_error() {
        let run_in = |input: &str, env: &locate::Env| {
            super::flags_module_in(input.parse().unwrap(), env).to_string()
        };
        // No schema anywhere: the misspelt `schema` is the error, not the failed search.
        let output = run_in(
            "$crate; #[flags(shema = \"f.json\")] mod m;",
            &locate::Env::default(),
        );
        assert_eq!(
            messages(&output),
            [
                "unknown attribute `shema` on a `flags!` module; expected one of `schema`; did you mean `schema`?"
            ]
        );
        assert!(output.contains("mod m { }"), "{output}");
        // Found by the search: the module has its flags.
        let env = locate::Env {
            schema_var: Some(FIXTURE.into()),
            ..locate::Env::default()
        };
        let output = run_in("$crate; #[flags(shema = \"f.json\")] mod m;", &env);
        assert_eq!(messages(&output).len(), 1, "{output}");
        assert!(output.contains("pub const NEW_CHECKOUT :"), "{output}");
        // A `schema` that names no file is a mistake of its own.
        let output = run_in(
            "$crate; #[flags(schema = \"no/such.json\", crate = \"x\")] mod m;",
            &locate::Env::default(),
        );
        assert_eq!(messages(&output).len(), 2, "{output}");
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
}
