//! The Rust types `flags!` generates for object flags, inferred from the values the flag can
//! take (its variants and its default).
//!
//! Every value is folded into one [`Shape`], key by key:
//!
//! | seen at a key | Rust type |
//! | --- | --- |
//! | booleans | `bool` |
//! | numbers, all integral (fit `i64`) | `i64` |
//! | numbers, some not integral | `f64` |
//! | strings | `String` |
//! | objects | a struct named `<Parent><Field>` (UpperCamel), built by the same rules |
//! | arrays | `Vec<T>` of the unified element type; `Vec<serde_json::Value>` when elements do not unify or every array is empty |
//! | only `null` | `serde_json::Value` |
//! | values of different kinds (a string here, a number there) | `serde_json::Value` |
//!
//! A key present in every value is a plain field; a key absent from some values, or `null` in
//! some of them (next to values of one type), is an `Option<T>` field with `#[serde(default)]`.

use std::collections::BTreeMap;
use std::fmt;

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use super::naming::{Case, is_ident, rust_name};

/// The unified type of every value seen at one place (a key of an object, the elements of an
/// array).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    kind: Kind,
    /// Some value there was `null`.
    nullable: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// No value other than `null` seen (or none at all: the elements of empty arrays).
    Unknown,
    Bool,
    Int,
    Float,
    Str,
    Array(Box<Shape>),
    Object(Obj),
    /// Values of kinds that do not unify.
    Mixed,
}

/// The keys of the objects seen at one place.
#[derive(Debug, Clone, PartialEq, Default)]
struct Obj {
    /// How many objects were seen.
    samples: usize,
    /// Each key: the unified type of its values and in how many objects it appeared.
    fields: BTreeMap<String, (Shape, usize)>,
}

impl Shape {
    /// The type of one value.
    pub(crate) fn of(value: &Value) -> Shape {
        let kind = match value {
            Value::Null => {
                return Shape {
                    kind: Kind::Unknown,
                    nullable: true,
                };
            }
            Value::Bool(_) => Kind::Bool,
            Value::Number(n) if n.is_i64() => Kind::Int,
            Value::Number(_) => Kind::Float,
            Value::String(_) => Kind::Str,
            Value::Array(items) => Kind::Array(Box::new(Shape::infer(items))),
            Value::Object(map) => Kind::Object(Obj {
                samples: 1,
                fields: map
                    .iter()
                    .map(|(k, v)| (k.clone(), (Shape::of(v), 1)))
                    .collect(),
            }),
        };
        Shape {
            kind,
            nullable: false,
        }
    }

    /// The unified type of `values`; [`Kind::Unknown`] when there are none.
    pub(crate) fn infer<'a>(values: impl IntoIterator<Item = &'a Value>) -> Shape {
        values.into_iter().fold(
            Shape {
                kind: Kind::Unknown,
                nullable: false,
            },
            |shape, value| shape.unify(Shape::of(value)),
        )
    }

    /// The type holding the values of both.
    fn unify(self, other: Shape) -> Shape {
        let kind = match (self.kind, other.kind) {
            (Kind::Unknown, kind) | (kind, Kind::Unknown) => kind,
            (Kind::Mixed, _) | (_, Kind::Mixed) => Kind::Mixed,
            (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
            (Kind::Array(a), Kind::Array(b)) => Kind::Array(Box::new(a.unify(*b))),
            (Kind::Object(mut a), Kind::Object(b)) => {
                a.samples += b.samples;
                for (key, (ty, count)) in b.fields {
                    let merged = match a.fields.remove(&key) {
                        Some((mine, mine_count)) => (mine.unify(ty), mine_count + count),
                        None => (ty, count),
                    };
                    a.fields.insert(key, merged);
                }
                Kind::Object(a)
            }
            (a, b) if a == b => a,
            _ => Kind::Mixed,
        };
        Shape {
            kind,
            nullable: self.nullable || other.nullable,
        }
    }
}

/// The canonical shape of an object flag's values (its variants and default).
pub(crate) fn flag_shape(flag: &flags_schema::Flag) -> String {
    Shape::infer(flag.variants.values().chain(flag.default.as_ref())).canonical()
}

impl Shape {
    /// A canonical text of the shape, independent of how many values were seen and of the
    /// order of keys: `{density:int,panels:[str],title:str?}`. `flags!` stamps it on the struct
    /// it generates for an object flag, and the derive compares it with the shape of the flag a
    /// field of that struct type reads, so that a generated struct used for another object flag
    /// of a different shape is a compile error.
    pub(crate) fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    fn write_canonical(&self, out: &mut String) {
        match &self.kind {
            Kind::Unknown => out.push_str("null"),
            Kind::Bool => out.push_str("bool"),
            Kind::Int => out.push_str("int"),
            Kind::Float => out.push_str("float"),
            Kind::Str => out.push_str("str"),
            Kind::Mixed => out.push_str("any"),
            Kind::Array(items) => {
                out.push('[');
                items.write_canonical(out);
                out.push(']');
            }
            Kind::Object(obj) => {
                out.push('{');
                for (i, (key, (ty, count))) in obj.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("{key:?}:"));
                    ty.write_canonical(out);
                    if *count < obj.samples {
                        out.push('?');
                    }
                }
                out.push('}');
            }
        }
        if self.nullable && !matches!(self.kind, Kind::Unknown) {
            out.push('?');
        }
    }
}

/// A Rust type in generated code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RustType {
    Bool,
    I64,
    F64,
    String,
    /// `serde_json::Value`, reached through the `flags` crate.
    Json,
    Vec(Box<RustType>),
    Option(Box<RustType>),
    /// A struct generated into the same module.
    Struct(String),
}

impl RustType {
    /// The type as generated code names it: every path absolute, so that a generated type
    /// named like a prelude type (a flag `option` gives an enum `Option`) changes nothing.
    pub(crate) fn tokens(&self, krate: &TokenStream) -> TokenStream {
        match self {
            RustType::Bool => quote!(bool),
            RustType::I64 => quote!(i64),
            RustType::F64 => quote!(f64),
            RustType::String => quote!(::std::string::String),
            RustType::Json => quote!(#krate::__private::serde_json::Value),
            RustType::Vec(inner) => {
                let inner = inner.tokens(krate);
                quote!(::std::vec::Vec<#inner>)
            }
            RustType::Option(inner) => {
                let inner = inner.tokens(krate);
                quote!(::core::option::Option<#inner>)
            }
            RustType::Struct(name) => match syn::parse_str::<syn::Ident>(name) {
                Ok(ident) => quote!(#ident),
                // Struct names are made by `rust_name`, which only returns identifiers.
                Err(error) => error.to_compile_error(),
            },
        }
    }
}

/// How messages and docs show a type: `Option<Vec<i64>>`.
impl fmt::Display for RustType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RustType::Bool => f.write_str("bool"),
            RustType::I64 => f.write_str("i64"),
            RustType::F64 => f.write_str("f64"),
            RustType::String => f.write_str("String"),
            RustType::Json => f.write_str("serde_json::Value"),
            RustType::Vec(inner) => write!(f, "Vec<{inner}>"),
            RustType::Option(inner) => write!(f, "Option<{inner}>"),
            RustType::Struct(name) => f.write_str(name),
        }
    }
}

/// A struct to generate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StructDef {
    /// Its name.
    pub(crate) name: String,
    /// Where its values sit in the flag's value, for docs: empty for the flag itself,
    /// `theme.colors` for a nested object, `items[]` for the elements of an array.
    pub(crate) path: String,
    /// Its fields, in key order.
    pub(crate) fields: Vec<FieldDef>,
}

/// A field of a generated struct.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldDef {
    /// The Rust name: `original_key`, `r#type`.
    pub(crate) ident: String,
    /// The JSON key.
    pub(crate) key: String,
    /// The field's type, `Option` included.
    pub(crate) ty: RustType,
    /// The key is absent from some of the values, or `null` in some.
    pub(crate) optional: bool,
    /// The key appeared in this many of the `of` objects seen.
    pub(crate) seen: usize,
    /// How many objects were seen.
    pub(crate) of: usize,
}

impl FieldDef {
    /// The name serde reads, when the Rust name (without `r#`) differs from the JSON key.
    pub(crate) fn rename(&self) -> Option<&str> {
        let bare = self.ident.strip_prefix("r#").unwrap_or(&self.ident);
        (bare != self.key).then_some(self.key.as_str())
    }
}

/// The types generated for one object flag.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectTypes {
    /// The type of the flag's values: [`RustType::Struct`] named after the flag, or
    /// `serde_json::Value` when the schema gives no value to learn a shape from.
    pub(crate) root: RustType,
    /// The structs, the flag's own first, then nested ones depth first in key order.
    pub(crate) structs: Vec<StructDef>,
}

/// The structs of an object flag named `name` (UpperCamel, already an identifier), from
/// the values it can take. Errors (two keys converting to one field name) are messages that
/// the caller places; every error of the flag is returned, not only the first.
pub(crate) fn object_types<'a>(
    flag: &str,
    name: &str,
    values: impl IntoIterator<Item = &'a Value>,
) -> Result<ObjectTypes, Vec<String>> {
    let shape = Shape::infer(values);
    let mut builder = StructBuilder {
        flag,
        structs: Vec::new(),
        errors: Vec::new(),
    };
    let root = match shape.kind {
        Kind::Object(obj) => {
            builder.object(name, String::new(), obj);
            RustType::Struct(name.to_owned())
        }
        _ => RustType::Json,
    };
    if builder.errors.is_empty() {
        Ok(ObjectTypes {
            root,
            structs: builder.structs,
        })
    } else {
        Err(builder.errors)
    }
}

struct StructBuilder<'a> {
    flag: &'a str,
    structs: Vec<StructDef>,
    errors: Vec<String>,
}

impl StructBuilder<'_> {
    /// Adds the struct `name` for `obj`, then those of its nested objects.
    fn object(&mut self, name: &str, path: String, obj: Obj) {
        let index = self.structs.len();
        self.structs.push(StructDef {
            name: name.to_owned(),
            path: path.clone(),
            fields: Vec::new(),
        });
        let mut fields = Vec::with_capacity(obj.fields.len());
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        for (key, (ty, seen)) in obj.fields {
            let Some(ident) = rust_name(&key, Case::Snake, "field") else {
                self.errors.push(format!(
                    "key `{key}` of object flag `{}` cannot become a Rust field name; rename it in the flag definitions to start with a letter",
                    self.flag
                ));
                continue;
            };
            if let Some(first) = taken.get(&ident) {
                self.errors.push(format!(
                    "keys `{first}` and `{key}` of object flag `{}` both become field `{ident}` of `{name}`; rename one of them in the flag definitions",
                    self.flag
                ));
                continue;
            }
            taken.insert(ident.clone(), key.clone());
            let bare = ident.strip_prefix("r#").unwrap_or(&ident);
            let nested = format!("{name}{}", bare.to_upper_camel_case());
            if !is_ident(&nested) {
                self.errors.push(format!(
                    "key `{key}` of object flag `{}` cannot name the Rust struct of its values (`{nested}`); rename it in the flag definitions",
                    self.flag
                ));
                continue;
            }
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            let inner = self.ty(&nested, child, ty.kind);
            // `Value` holds `null` itself; other types need an `Option` for it.
            let optional = seen < obj.samples || (ty.nullable && inner != RustType::Json);
            let ty = if optional {
                RustType::Option(Box::new(inner))
            } else {
                inner
            };
            fields.push(FieldDef {
                ident,
                key,
                ty,
                optional,
                seen,
                of: obj.samples,
            });
        }
        self.structs[index].fields = fields;
    }

    /// The Rust type of values of `kind` at `path`; nested objects are named `name`.
    fn ty(&mut self, name: &str, path: String, kind: Kind) -> RustType {
        match kind {
            Kind::Unknown | Kind::Mixed => RustType::Json,
            Kind::Bool => RustType::Bool,
            Kind::Int => RustType::I64,
            Kind::Float => RustType::F64,
            Kind::Str => RustType::String,
            Kind::Array(element) => {
                let Shape { kind, nullable } = *element;
                let inner = self.ty(name, format!("{path}[]"), kind);
                let inner = if nullable && inner != RustType::Json {
                    RustType::Option(Box::new(inner))
                } else {
                    inner
                };
                RustType::Vec(Box::new(inner))
            }
            Kind::Object(obj) => {
                self.object(name, path, obj);
                RustType::Struct(name.to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn types_of(values: &[Value]) -> ObjectTypes {
        object_types("ui-config", "UiConfig", values).unwrap()
    }

    /// `name: Type` of every field of struct `name`, with `?` for optional fields and the
    /// serde name when it differs.
    fn fields(types: &ObjectTypes, name: &str) -> Vec<String> {
        let def = types
            .structs
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no struct {name} in {types:#?}"));
        def.fields
            .iter()
            .map(|f| {
                let rename = f.rename().map(|r| format!(" as {r:?}")).unwrap_or_default();
                format!("{}: {}{rename}", f.ident, f.ty)
            })
            .collect()
    }

    fn names(types: &ObjectTypes) -> Vec<&str> {
        types.structs.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn one_value_gives_one_field_per_key() {
        let types = types_of(&[json!({"density": 2, "title": "Hi", "dark": true, "ratio": 0.5})]);
        assert_eq!(types.root, RustType::Struct("UiConfig".into()));
        assert_eq!(names(&types), ["UiConfig"]);
        assert_eq!(
            fields(&types, "UiConfig"),
            ["dark: bool", "density: i64", "ratio: f64", "title: String"]
        );
    }

    #[test]
    fn keys_absent_from_some_variants_are_options() {
        let types = types_of(&[
            json!({"density": 2, "title": "Compact"}),
            json!({"density": 1, "banner": "Hello"}),
            json!({"density": 1}),
        ]);
        assert_eq!(
            fields(&types, "UiConfig"),
            [
                "banner: Option<String>",
                "density: i64",
                "title: Option<String>"
            ]
        );
        let def = &types.structs[0];
        let banner = &def.fields[0];
        assert!(banner.optional);
        assert_eq!((banner.seen, banner.of), (1, 3));
        assert!(!def.fields[1].optional);
    }

    #[test]
    fn integers_and_floats_unify_to_f64() {
        let types = types_of(&[
            json!({"a": 1, "b": 1, "c": 1.5}),
            json!({"a": 2, "b": 2.5, "c": 3}),
        ]);
        assert_eq!(fields(&types, "UiConfig"), ["a: i64", "b: f64", "c: f64"]);
        // Beyond `i64`: a float.
        let types = types_of(&[json!({"big": u64::MAX})]);
        assert_eq!(fields(&types, "UiConfig"), ["big: f64"]);
    }

    #[test]
    fn nested_objects_become_nested_structs() {
        let types = types_of(&[
            json!({"theme": {"primary": "#fff", "colors": {"bg": "black"}}}),
            json!({"theme": {"primary": "#000", "accent": "red", "colors": {"bg": "white", "fg": 1}}}),
        ]);
        assert_eq!(
            names(&types),
            ["UiConfig", "UiConfigTheme", "UiConfigThemeColors"]
        );
        assert_eq!(fields(&types, "UiConfig"), ["theme: UiConfigTheme"]);
        assert_eq!(
            fields(&types, "UiConfigTheme"),
            [
                "accent: Option<String>",
                "colors: UiConfigThemeColors",
                "primary: String"
            ]
        );
        assert_eq!(
            fields(&types, "UiConfigThemeColors"),
            ["bg: String", "fg: Option<i64>"]
        );
        assert_eq!(types.structs[2].path, "theme.colors");
        // A nested object absent from some values is an optional struct.
        let types = types_of(&[json!({"theme": {"x": 1}}), json!({})]);
        assert_eq!(fields(&types, "UiConfig"), ["theme: Option<UiConfigTheme>"]);
    }

    #[test]
    fn arrays_unify_their_elements() {
        let types = types_of(&[
            json!({"ints": [1, 2], "nums": [1], "strs": ["a"], "mixed": [1, "a"], "empty": [], "nested": [[1], [2.5]]}),
            json!({"ints": [], "nums": [0.5], "strs": ["b", "c"], "mixed": [], "empty": [], "nested": []}),
        ]);
        assert_eq!(
            fields(&types, "UiConfig"),
            [
                "empty: Vec<serde_json::Value>",
                "ints: Vec<i64>",
                "mixed: Vec<serde_json::Value>",
                "nested: Vec<Vec<f64>>",
                "nums: Vec<f64>",
                "strs: Vec<String>",
            ]
        );
        // Arrays of objects: one struct for the elements, named after the field.
        let types = types_of(&[json!({"items": [{"id": 1, "label": "a"}, {"id": 2}]})]);
        assert_eq!(fields(&types, "UiConfig"), ["items: Vec<UiConfigItems>"]);
        assert_eq!(
            fields(&types, "UiConfigItems"),
            ["id: i64", "label: Option<String>"]
        );
        assert_eq!(types.structs[1].path, "items[]");
        // Elements that are sometimes null.
        let types = types_of(&[json!({"xs": [1, null]})]);
        assert_eq!(fields(&types, "UiConfig"), ["xs: Vec<Option<i64>>"]);
        // An array here, a string there.
        let types = types_of(&[json!({"x": [1]}), json!({"x": "one"})]);
        assert_eq!(fields(&types, "UiConfig"), ["x: serde_json::Value"]);
    }

    #[test]
    fn null_and_mixed_kinds() {
        let types = types_of(&[
            json!({"only_null": null, "nullable": 1, "mixed": 1, "obj_or_int": {"a": 1}, "sometimes_null": null}),
            json!({"only_null": null, "nullable": null, "mixed": "one", "obj_or_int": 2}),
        ]);
        assert_eq!(
            fields(&types, "UiConfig"),
            [
                "mixed: serde_json::Value",
                "nullable: Option<i64>",
                "obj_or_int: serde_json::Value",
                "only_null: serde_json::Value",
                "sometimes_null: Option<serde_json::Value>",
            ]
        );
        // No struct for the object that unified with an integer.
        assert_eq!(names(&types), ["UiConfig"]);
    }

    #[test]
    fn key_renames() {
        let types = types_of(&[json!({
            "maxItems": 1, "HTTPTimeout": 2, "dash-key": 3, "plain": 4, "3d": true, "with space": 5
        })]);
        assert_eq!(
            fields(&types, "UiConfig"),
            [
                "field_3d: bool as \"3d\"",
                "http_timeout: i64 as \"HTTPTimeout\"",
                "dash_key: i64 as \"dash-key\"",
                "max_items: i64 as \"maxItems\"",
                "plain: i64",
                "with_space: i64 as \"with space\"",
            ]
        );
    }

    #[test]
    fn keyword_field_names_are_raw() {
        let types = types_of(&[
            json!({"type": "a", "match": 1, "self": true, "crate": 1, "union": 0, "gen": 1}),
        ]);
        assert_eq!(
            fields(&types, "UiConfig"),
            [
                "crate_: i64 as \"crate\"",
                "r#gen: i64",
                "r#match: i64",
                "self_: bool as \"self\"",
                "r#type: String",
                "union: i64",
            ]
        );
    }

    #[test]
    fn colliding_keys_are_errors_naming_both() {
        let errors = object_types(
            "ui-config",
            "UiConfig",
            &[json!({"fooBar": 1, "foo_bar": 2, "nested": {"a-b": 1, "a_b": 2}})],
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "keys `fooBar` and `foo_bar` of object flag `ui-config` both become field `foo_bar` of `UiConfig`; rename one of them in the flag definitions",
                "keys `a-b` and `a_b` of object flag `ui-config` both become field `a_b` of `UiConfigNested`; rename one of them in the flag definitions",
            ]
        );
        let errors = object_types("f", "F", &[json!({"---": 1})]).unwrap_err();
        assert_eq!(
            errors,
            [
                "key `---` of object flag `f` cannot become a Rust field name; rename it in the flag definitions to start with a letter"
            ]
        );
    }

    #[test]
    fn no_values_or_no_object_gives_json() {
        let types = object_types("f", "F", &[]).unwrap();
        assert_eq!(types.root, RustType::Json);
        assert!(types.structs.is_empty());
    }

    #[test]
    fn deterministic_whatever_the_order_of_values() {
        let a = json!({"b": 1, "a": {"y": 1, "x": [1]}});
        let b = json!({"a": {"x": [2.5], "z": "s"}, "c": null});
        let one = object_types("f", "F", [&a, &b]).unwrap();
        let two = object_types("f", "F", [&b, &a]).unwrap();
        assert_eq!(one, two);
        assert_eq!(one, object_types("f", "F", [&a, &b]).unwrap());
        assert_eq!(
            fields(&one, "F"),
            ["a: FA", "b: Option<i64>", "c: Option<serde_json::Value>"]
        );
        assert_eq!(
            fields(&one, "FA"),
            ["x: Vec<f64>", "y: Option<i64>", "z: Option<String>"]
        );
    }

    #[test]
    fn types_render_with_absolute_paths() {
        let krate = quote!(::flags);
        let ty = RustType::Option(Box::new(RustType::Vec(Box::new(RustType::Json))));
        assert_eq!(
            ty.tokens(&krate).to_string(),
            ":: core :: option :: Option < :: std :: vec :: Vec < :: flags :: __private :: serde_json :: Value > >"
        );
        assert_eq!(
            RustType::String.tokens(&krate).to_string(),
            ":: std :: string :: String"
        );
        assert_eq!(
            RustType::Struct("UiConfig".into())
                .tokens(&krate)
                .to_string(),
            "UiConfig"
        );
    }
}
