//! The name model of `flags!`: every item the module holds, with its Rust names made and
//! checked against each other.

use std::collections::BTreeMap;

use flags_schema::{Flag, FlagType};
use proc_macro2::Span;

use super::naming::{self, Case};
use super::shape::{self, ObjectTypes, RustType, StructDef};
use crate::errors::Errors;
use crate::locate::Located;

/// What the module holds, with every name made and checked.
pub(super) struct Model<'a> {
    pub(super) flags: Vec<FlagItem<'a>>,
}

pub(super) struct FlagItem<'a> {
    pub(super) key: &'a str,
    pub(super) flag: &'a Flag,
    /// The field of `All`: `new_checkout`, `r#type`.
    pub(super) field: String,
    /// The key constant: `NEW_CHECKOUT` (the derive's name for the field's constant).
    pub(super) konst: String,
    pub(super) value: ValueType,
}

/// The type a flag's values are read as (before the `Option` of a flag without default).
pub(super) enum ValueType {
    Scalar(RustType),
    Enum(EnumDef),
    Object(ObjectTypes),
}

pub(super) struct EnumDef {
    pub(super) name: String,
    pub(super) variants: Vec<EnumVariant>,
}

pub(super) struct EnumVariant {
    pub(super) ident: String,
    pub(super) value: String,
    /// The schema variants serving this value (several when they share it).
    pub(super) names: Vec<String>,
}

/// The names already given in one namespace, with what took them, for collision messages.
struct Namespace {
    /// The name in messages, `{}` standing for it: "the constant `{}`".
    what: &'static str,
    /// How to fix a collision.
    fix: &'static str,
    taken: BTreeMap<String, String>,
}

/// How to fix two flags that collide.
pub(super) const RENAME_FLAG: &str = "rename one of them in the flag definitions, or read these flags with `#[derive(Flags)]`, which takes any field name";

impl Namespace {
    fn new(what: &'static str, fix: &'static str) -> Namespace {
        Namespace {
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
    /// Namespace everything; pushes an error for each name that cannot be made or collides. A flag
    /// with an error is left out, the others are kept: the macro still generates them, so that
    /// a wrong flag is one error and not also an unknown item at every use of the others. Of
    /// two flags that collide, the first in key order keeps the name.
    pub(super) fn build(located: &'a Located, span: Span, errors: &mut Errors) -> Model<'a> {
        let mut consts = Namespace::new("the constant `{}`", RENAME_FLAG);
        let mut fields = Namespace::new("the field `{}` of `All`", RENAME_FLAG);
        let mut types = Namespace::new("the type `{}`", RENAME_FLAG);
        types
            .taken
            .insert("All".to_owned(), "the struct of every flag".to_owned());
        let mut flags = Vec::with_capacity(located.manifest.flags.len());
        for (key, flag) in &located.manifest.flags {
            let before = errors.len();
            let Some(field) = naming::rust_name(key, Case::Snake, "flag") else {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "flag `{key}` cannot become a Rust name: it has no letter or digit, or characters Rust does not take in identifiers; rename it in the flag definitions, or read it with `#[derive(Flags)]` and `#[flags(key = \"{key}\")]`"
                    ),
                ));
                continue;
            };
            let konst = naming::const_name(&field);
            if !naming::is_ident(&konst) || !naming::is_ident(&type_name(&field)) {
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
                    match shape::object_types(key, &name, values) {
                        Ok(object) => {
                            for def in &object.structs {
                                types.take(&def.name, struct_owner(key, def), span, errors);
                            }
                            ValueType::Object(object)
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
            if errors.len() > before {
                continue;
            }
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
    let mut idents = Namespace::new(
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
        let Some(ident) = naming::rust_name(variant, Case::UpperCamel, "variant") else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::test_support::*;

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
        // The flags without errors are generated, the first of two colliding ones included;
        // the others are left out, so that no name is declared twice.
        for item in [
            "pub const NEW_CHECKOUT : :: flags :: __private :: FlagKey < bool > = All :: NEW_CHECKOUT ;",
            "pub const UI : :: flags :: __private :: FlagKey < Ui > = All :: UI ;",
            "pub struct Ui {",
            "pub struct UiTheme {",
            "pub new_checkout : bool ,",
            "pub ui : Ui ,",
        ] {
            assert_eq!(output.matches(item).count(), 1, "{item:?} in {output}");
        }
        for left_out in ["pub const ALL :", "pub enum Hero", "UI_THEME", "pub hero :"] {
            assert!(!output.contains(left_out), "{left_out:?} in {output}");
        }
    }

    #[test]
    fn names_that_cannot_be_identifiers_are_errors() {
        let boolean = flag(r#"{"a": true, "b": false}"#, "\"a\"");
        let json = format!(
            r#"{{"flags": {{"---": {boolean}, "ok": {}, "obj": {}, "fine": {boolean}}}}}"#,
            flag(r#"{"1": "one", "---": "none"}"#, "\"1\""),
            flag(r#"{"a": {"fooBar": 1, "foo_bar": 2}}"#, "\"a\""),
        );
        let path = schema_file("not-identifiers", &json);
        let output = with_schema(path.to_str().unwrap());
        let errors = messages(&output);
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
        // The flag without errors is generated; the others are left out.
        assert!(output.contains("pub const FINE :"), "{output}");
        assert!(output.contains("pub fine : bool ,"), "{output}");
        assert!(!output.contains("pub const OK :"), "{output}");
        assert!(!output.contains("pub const OBJ :"), "{output}");
    }
}
