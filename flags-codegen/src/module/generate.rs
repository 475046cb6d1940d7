//! `flags!` for tools: the module as a file (`flags generate`) and the names it gives each flag
//! (`flags check`).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Ident, LitStr};

use super::expand::expand_module;
use super::input::Input;
use super::model::{Model, ValueType};
use crate::errors::Errors;
use crate::locate::{self, Located};

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
    let tokens = expand_module(&input, &[], &located, &model, false);
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

/// The names `flags!` gives every flag of `manifest`, in key order. A flag the macro leaves
/// out is left out here too: one whose names cannot be made, or collide with those of a flag
/// before it in key order (the macro reports it and generates the others).
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
                ValueType::Object(object) => {
                    object.structs.iter().map(|def| def.name.clone()).collect()
                }
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;
    use crate::module::test_support::*;

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
}
