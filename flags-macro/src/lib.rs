//! Procedural macros of [`flags`](https://docs.rs/flags). A thin shim: the work is done by
//! `flags-codegen`. Use them through the `flags` crate: `#[derive(flags::Flags)]`.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

use proc_macro::TokenStream;

/// Derives typed flag keys and `Flags` for a struct whose fields are flags.
///
/// For each field it generates an associated constant named after the field in
/// SCREAMING_SNAKE_CASE (`upload_limit` → `Checkout::UPLOAD_LIMIT: FlagKey<i64>`), and it
/// implements `Flags`, so that `client.flags::<Checkout>(&ctx)` reads every field from one
/// configuration. Every key, type and default is checked against the schema at compile time
/// (see "Finding the schema" in the `flags` crate docs).
///
/// ```
/// #[derive(flags::Flags)]
/// struct Checkout {
///     #[flags(key = "new-checkout")]
///     enabled: bool,
///     #[flags(default = 10)]
///     upload_limit: i64,
///     max_retries: Option<u32>, // `None` when the flag defers to the code default
///     #[flags(skip)]
///     cache: Vec<u8>,           // not a flag: `Default::default()`
/// }
/// # fn main() {}
/// ```
///
/// # Field types
///
/// | flag type | field types |
/// | --- | --- |
/// | boolean | `bool` |
/// | integer | `i64`; `i32`, `u32`, `u64`, `usize`, ... when every value of the flag fits (checked) |
/// | float | `f64`, `f32` |
/// | string | `String`, `Arc<str>`, `Box<str>`; an enum deriving `FlagVariant` (checked both ways) |
/// | object | any type deriving `serde::Deserialize` and `Clone` (and `Default`, unless the field has a `default`); `serde_json::Value` |
/// | string with attachments (`"attachments": true` in the lock: a Flipt variant flag whose variants carry attachments) | for the variant key, as a string flag; for the attachment, as an object flag (`Default`, or the field's `default`, when the variant served has none) |
/// | any | `Option<T>` of the above: `None` when the flag defers to the code default |
///
/// A flag with attachments may be read by two fields, one for its key and one for its
/// attachment (checked: a third field, or two fields reading the same part, do not compile):
///
/// ```
/// #[derive(Clone, Default, serde::Deserialize)]
/// struct Palette {
///     background: String,
/// }
///
/// #[derive(flags::Flags)]
/// #[flags(schema = "../examples/flipt.json")] // a Flipt namespace snapshot
/// struct Shop {
///     #[flags(key = "theme")]
///     palette: Palette,   // a type deriving `serde::Deserialize`: the attachment
///     #[flags(key = "theme")]
///     theme: String,      // or an enum deriving `FlagVariant`: the variant key
/// }
/// # fn main() {}
/// ```
///
/// # Attributes
///
/// One closed set, each key accepted once, each where it makes sense; anything else is an
/// error that names the accepted form.
///
/// | on | attribute | meaning |
/// | --- | --- | --- |
/// | struct | `#[flags(crate = "path")]` | the path of the `flags` crate, when renamed or re-exported |
/// | struct | `#[flags(schema = "path")]` | the lock or definition file, relative to the crate root |
/// | struct | `#[flags(rename_all = "...")]` | how field names become keys: `kebab-case` (default), `snake_case`, `camelCase`, `PascalCase`, `SCREAMING_SNAKE_CASE`, `SCREAMING-KEBAB-CASE`, `lowercase`, `UPPERCASE` |
/// | field | `#[flags(key = "flag-key")]` | the flag; default: the field name under `rename_all` |
/// | field | `#[flags(default = expr)]` | the default in code; a literal is checked against the flag type; default: the schema's |
/// | field | `#[flags(skip)]` | the field is not a flag and is `Default::default()` |
/// | enum | `#[flags(key = "flag-key")]`, `crate`, `schema`, `rename_all` | for `#[derive(FlagVariant)]`: the flag; default: the enum name in kebab-case |
/// | variant | `#[flags(rename = "value")]` | the value a `FlagVariant` variant reads; default: its name under `rename_all` |
/// | variant | `#[flags(other)]` | the catch-all variant, for values no other variant reads |
#[proc_macro_derive(Flags, attributes(flags))]
pub fn derive_flags(input: TokenStream) -> TokenStream {
    flags_codegen::derive_flags(input.into()).into()
}

/// Derives `FlagVariant` for an enum whose variants are the values of a string flag.
///
/// The enum names its flag with `#[flags(key = "...")]` (default: the enum name in kebab-case)
/// and is checked against it at compile time: every value of the flag needs a variant, unless
/// a catch-all `#[flags(other)]` variant takes the rest, and every variant needs a value. A
/// variant reads its name in kebab-case (or under `rename_all`), or `#[flags(rename = "...")]`.
/// It also implements `serde::Deserialize` from those strings. See [`Flags`](derive@Flags) for
/// the attribute table.
///
/// ```
/// #[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
/// #[flags(key = "greeting")]
/// enum Greeting {
///     #[flags(rename = "Good afternoon")]
///     Formal,
///     #[flags(other)]
///     Other, // "Hi there", and values added later
/// }
/// use flags::FlagVariant as _;
/// assert_eq!(Greeting::from_value("Good afternoon"), Some(Greeting::Formal));
/// assert_eq!(Greeting::from_value("Hi there"), Some(Greeting::Other));
/// ```
#[proc_macro_derive(FlagVariant, attributes(flags))]
pub fn derive_flag_variant(input: TokenStream) -> TokenStream {
    flags_codegen::derive_flag_variant(input.into()).into()
}

/// The proc macro behind `flags::flags!`, which passes it `$crate;` before the module; not
/// for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn flags_module(input: TokenStream) -> TokenStream {
    flags_codegen::module::flags_module(input.into()).into()
}
