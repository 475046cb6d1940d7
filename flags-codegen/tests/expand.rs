//! Expansion snapshots: what the derives generate, pretty-printed. Review a changed snapshot
//! like code (`cargo insta review`, or `INSTA_UPDATE=always` and read the diff); never accept
//! one unread.

use proc_macro2::TokenStream;
use quote::quote;

/// Pretty-printed expansion, with the machine's paths replaced so the snapshot is portable.
fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(file) => file,
        Err(error) => panic!("the expansion does not parse: {error}\n{tokens}"),
    };
    let text = prettyplease::unparse(&file);
    text.replace(env!("CARGO_MANIFEST_DIR"), "$CARGO_MANIFEST_DIR")
}

#[test]
fn derive_flags_scalars_options_enums_objects() {
    let input = quote! {
        #[flags(schema = "tests/fixtures/flags.json")]
        pub struct Checkout {
            /// Whether the new checkout is on.
            #[flags(key = "new-checkout")]
            pub enabled: bool,
            pub page_size: u8,
            #[flags(default = 0.5)]
            pub sample_rate: f64,
            pub hero: Hero,
            pub max_retries: Option<u32>,
            pub ui_config: UiConfig,
            #[flags(skip)]
            pub note: String,
        }
    };
    insta::assert_snapshot!(pretty(flags_codegen::derive_flags(input)));
}

#[test]
fn derive_flags_over_a_flag_with_attachments() {
    // `theme` is marked `attachments` in the lock: a `String` reads its key as any string flag;
    // any other type asks the compiler which part it reads (`<T>::__FLAGS_READS`), and the two
    // fields are asserted to read different parts.
    let input = quote! {
        #[flags(schema = "../tests/fixtures/flipt.lock.json")]
        struct Checkout {
            #[flags(key = "theme")]
            palette: Palette,
            #[flags(key = "theme")]
            theme_key: String,
        }
    };
    insta::assert_snapshot!(pretty(flags_codegen::derive_flags(input)));
}

#[test]
fn derive_flags_with_a_renamed_crate() {
    let input = quote! {
        #[flags(schema = "tests/fixtures/flags.json", crate = "my_flags")]
        struct Checkout {
            #[flags(key = "new-checkout")]
            enabled: bool,
        }
    };
    insta::assert_snapshot!(pretty(flags_codegen::derive_flags(input)));
}

#[test]
fn derive_flags_error_emits_stubs() {
    // One misspelt key: one `compile_error!`, and stub items so that uses add no errors.
    let input = quote! {
        #[flags(schema = "tests/fixtures/flags.json")]
        struct Checkout {
            #[flags(key = "new-chekout")]
            enabled: bool,
            page_size: u8,
        }
    };
    let text = pretty(flags_codegen::derive_flags(input));
    assert_eq!(text.matches("compile_error!").count(), 1, "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn derive_flag_variant() {
    let input = quote! {
        #[flags(schema = "tests/fixtures/flags.json")]
        enum Hero {
            Control,
            #[flags(rename = "big-picture")]
            Large,
            #[flags(other)]
            Unknown,
        }
    };
    insta::assert_snapshot!(pretty(flags_codegen::derive_flag_variant(input)));
}

#[test]
fn expansion_is_deterministic() {
    let input = quote! {
        #[flags(schema = "tests/fixtures/flags.json")]
        struct Checkout {
            #[flags(key = "new-checkout")]
            enabled: bool,
            hero: Hero,
            ui_config: UiConfig,
        }
    };
    let first = flags_codegen::derive_flags(input.clone()).to_string();
    let second = flags_codegen::derive_flags(input).to_string();
    assert_eq!(first, second);
}

#[test]
fn flags_module() {
    let input = quote! {
        ::flags;
        #[flags(schema = "tests/fixtures/flags.json")]
        /// Every flag of the checkout.
        pub mod app_flags
    };
    insta::assert_snapshot!(pretty(flags_codegen::module::flags_module(input)));
}
