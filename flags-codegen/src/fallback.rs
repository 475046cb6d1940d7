//! What is emitted when the derive reported errors: the key constants and the `Flags` impl
//! the user's code refers to, as stubs, so that each mistake is one diagnostic and not a
//! cascade at every use site. A crate containing them never compiles (the errors are emitted
//! alongside), so the stubs never run.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Container;
use crate::expand::{const_ident, rebuild_tracking};
use crate::locate::Located;

pub(crate) fn fallback(
    container: &Container<'_>,
    located: Option<&Located>,
    krate: &TokenStream,
) -> TokenStream {
    let ident = container.ident;
    let consts = container.fields.iter().filter(|f| f.attrs.skip.is_none()).map(|field| {
        let vis = field.vis;
        let ty = field.ty;
        let name = const_ident(field);
        let key = field.attrs.key.as_ref().map_or_else(|| field.name(), |k| k.value());
        quote! {
            #[doc = " Flag key (the derive reported an error)."]
            #vis const #name: #krate::__private::FlagKey<#ty> = #krate::__private::fallback_key(#key);
        }
    });
    // Track the schema even on error, so that fixing it triggers a rebuild.
    let tracking = match located {
        Some(located) => rebuild_tracking(located),
        None => {
            let var = flags_schema::SCHEMA_ENV;
            quote!(
                const _: ::core::option::Option<&str> = ::core::option_env!(#var);
            )
        }
    };
    quote! {
        impl #ident {
            #(#consts)*
        }

        #[automatically_derived]
        impl #krate::__private::Flags for #ident {
            fn evaluate(_: &#krate::__private::Evaluation<'_>) -> Self {
                ::core::unreachable!()
            }
        }

        #tracking
    }
}
