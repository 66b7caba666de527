//! The expansion: checks the function, then wraps it in `#[tokio::main]` / `#[tokio::test]`
//! with a body that starts the monitor and runs the original body under it.
//!
//! ```text
//! #[::loopmon::__private::tokio::main(crate = "::loopmon::__private::tokio", <tokio args>)]
//! async fn main() -> R {
//!     let __loopmon_running = ::loopmon::__private::Entry::new(<interval>)
//!         .callback(<path>) /* .max_lag(<duration>) ... */
//!         .start();
//!     let __loopmon_output = __loopmon_running.run(async move { <body> }).await;
//!     __loopmon_running.finish(); // stops the monitor; checks `max_lag` (panics at the test)
//!     __loopmon_output
//! }
//! ```

use crate::args::{self, Config, Kind, Value};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Path, Signature, Visibility};

/// Expands `#[loopmon::main]` or `#[loopmon::test]`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    // If the item does not parse, hand it back unchanged so rustc reports its own errors.
    let function: Function = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(e) => return with_error(item, e),
    };
    if let Err(e) = function.check(kind) {
        // Not something tokio can wrap either: emit it as written (with its parameters moved
        // into a closure if it is a `main` that takes some), with the error.
        return with_error(function.unwrapped(), e);
    }
    match args::parse(kind, args) {
        Ok(config) => function.wrap(kind, &config),
        Err(e) => with_error(function.wrap(kind, &Config::fallback()), e),
    }
}

fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

/// A function, parsed loosely: the body stays tokens, so errors inside it come from rustc.
struct Function {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: TokenStream,
}

impl Parse for Function {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = syn::braced!(content in input);
        // Inner attributes cannot stay inside the async block: lift them, as tokio does.
        for mut attr in content.call(Attribute::parse_inner)? {
            attr.style = syn::AttrStyle::Outer;
            attrs.push(attr);
        }
        let stmts: TokenStream = content.parse()?;
        let mut body = TokenStream::new();
        brace.surround(&mut body, |tokens| tokens.extend(stmts));
        Ok(Function {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl Function {
    /// The function's own errors: not async, `main` with parameters, a second entry attribute.
    fn check(&self, kind: Kind) -> Result<(), syn::Error> {
        let mut errors: Vec<syn::Error> = Vec::new();
        let attribute = kind.attribute();
        for attr in &self.attrs {
            if let Some(other) = competing(kind, attr.path()) {
                errors.push(syn::Error::new_spanned(
                    attr,
                    format!(
                        "{attribute} cannot be combined with `#[{other}]`: it already runs the \
                         function on a tokio runtime; remove `#[{other}]`"
                    ),
                ));
            }
        }
        // A competing attribute that expanded first has already removed `async`: one error is
        // enough.
        if self.sig.asyncness.is_none() && errors.is_empty() {
            let hint = match kind {
                Kind::Main => "; if `#[tokio::main]` is also on it, remove that one",
                Kind::Test => "",
            };
            errors.push(syn::Error::new_spanned(
                self.sig.fn_token,
                format!(
                    "the `async` keyword is missing from the function declaration: write \
                     `async fn {}`{hint}",
                    self.sig.ident
                ),
            ));
        }
        if kind == Kind::Main && self.sig.ident == "main" && !self.sig.inputs.is_empty() {
            errors.push(syn::Error::new_spanned(
                &self.sig.inputs,
                "`main` cannot take parameters: remove them and read arguments with \
                 `std::env::args()`",
            ));
        }
        let mut errors = errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(errors);
                Err(first)
            }
        }
    }

    /// The function under tokio's attribute, with the monitor started in its body.
    fn wrap(self, kind: Kind, config: &Config) -> TokenStream {
        let krate = match &config.krate {
            Some(path) => path.to_token_stream(),
            None => quote!(::loopmon),
        };
        let private = quote!(#krate::__private);
        let tokio_path = syn::LitStr::new(
            &format!("{krate}::__private::tokio").replace(' ', ""),
            Span::call_site(),
        );
        let tokio_macro = format_ident!(
            "{}",
            match kind {
                Kind::Main => "main",
                Kind::Test => "test",
            }
        );
        let tokio_args = &config.tokio;
        let attribute = quote! {
            #[#private::tokio::#tokio_macro(crate = #tokio_path #(, #tokio_args)*)]
        };
        let interval = match config.interval {
            Some(d) => duration(&private, d),
            None => quote!(#private::DEFAULT_INTERVAL),
        };
        let calls = config.calls.iter().map(|call| {
            let method = syn::Ident::new(call.method, call.span);
            let argument = match &call.argument {
                Value::Duration(d) => duration(&private, *d),
                Value::Tokens(tokens) => tokens.clone(),
            };
            quote_spanned!(call.span=> .#method(#argument))
        });
        // Invisible to the user's code (mixed-site hygiene), whatever it names its variables.
        let running = syn::Ident::new("__loopmon_running", Span::mixed_site());
        let output = syn::Ident::new("__loopmon_output", Span::mixed_site());
        let body = &self.body;
        let new_body = quote! {
            {
                #[allow(clippy::all, clippy::pedantic)]
                let #running = #private::Entry::new(#interval) #(#calls)* .start();
                let #output = #running.run(async move #body).await;
                #running.finish();
                #output
            }
        };
        self.into_tokens(attribute, Some(new_body))
    }

    /// The function as written, for when it cannot be wrapped. A `main` with parameters
    /// becomes `fn main() { let _ = |params| async move { body }; }`, so that rustc reports
    /// nothing more about it while the body is still checked.
    fn unwrapped(mut self) -> TokenStream {
        if self.sig.ident != "main" || self.sig.inputs.is_empty() {
            return self.into_tokens(TokenStream::new(), None);
        }
        let params: Vec<TokenStream> = std::mem::take(&mut self.sig.inputs)
            .into_iter()
            .map(|param| match param {
                syn::FnArg::Typed(typed) => typed.to_token_stream(),
                syn::FnArg::Receiver(receiver) => receiver.self_token.to_token_stream(),
            })
            .collect();
        self.sig.asyncness = None;
        self.sig.output = syn::ReturnType::Default;
        let body = &self.body;
        let body = quote!({ let _ = |#(#params),*| async move #body; });
        self.into_tokens(TokenStream::new(), Some(body))
    }

    fn into_tokens(self, attribute: TokenStream, body: Option<TokenStream>) -> TokenStream {
        let Function {
            attrs,
            vis,
            sig,
            body: original,
        } = self;
        let body = body.unwrap_or(original);
        quote! {
            #attribute
            #(#attrs)*
            #vis #sig #body
        }
    }
}

/// A constant `Duration` expression.
fn duration(private: &TokenStream, d: std::time::Duration) -> TokenStream {
    let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
    quote!(#private::Duration::new(#secs, #nanos))
}

/// The attribute `path` names, if it is another entry attribute this one cannot be combined
/// with: any `test` attribute for `#[loopmon::test]` (`#[test]`, `#[tokio::test]`, and the
/// `#[::core::prelude::v1::test]` that `#[tokio::test]` leaves behind), any `x::main` for
/// `#[loopmon::main]`.
fn competing(kind: Kind, path: &Path) -> Option<String> {
    let last = path.segments.last()?.ident.to_string();
    let segments = path.segments.len();
    let first = path.segments.first()?.ident.to_string();
    match kind {
        // What `#[tokio::test]` leaves when it expanded first; a user writes `#[test]`.
        Kind::Test if last == "test" && path.leading_colon.is_some() && first == "core" => {
            Some("tokio::test".to_string())
        }
        Kind::Test if last == "test" => Some(if first == "core" || first == "std" {
            "test".to_string()
        } else {
            path.to_token_stream().to_string().replace(' ', "")
        }),
        Kind::Main if last == "main" && segments > 1 => {
            Some(path.to_token_stream().to_string().replace(' ', ""))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        expand(kind, args, item).to_string()
    }

    #[test]
    fn the_default_path_is_absolute() {
        let out = expanded(
            Kind::Main,
            quote!(),
            quote!(
                async fn main() {}
            ),
        );
        assert!(out.contains(":: loopmon :: __private :: tokio :: main (crate = \"::loopmon::__private::tokio\")"), "{out}");
        assert!(
            out.contains(":: loopmon :: __private :: DEFAULT_INTERVAL"),
            "{out}"
        );
    }

    #[test]
    fn a_renamed_crate_is_used_everywhere() {
        let out = expanded(
            Kind::Test,
            quote!(crate = "lm", interval = "2s", max_lag = "5ms"),
            quote!(
                async fn t() {}
            ),
        );
        assert!(!out.contains("loopmon ::"), "{out}");
        assert!(
            out.contains("lm :: __private :: tokio :: test (crate = \"lm::__private::tokio\")"),
            "{out}"
        );
        assert!(
            out.contains("lm :: __private :: Duration :: new (2u64 , 0u32)"),
            "{out}"
        );
        assert!(
            out.contains(". max_lag (lm :: __private :: Duration :: new (0u64 , 5000000u32))"),
            "{out}"
        );
    }

    #[test]
    fn bad_arguments_still_emit_the_function() {
        let out = expanded(
            Kind::Main,
            quote!(interval = "soon"),
            quote!(
                async fn main() {
                    x()
                }
            ),
        );
        assert!(out.contains("async fn main ()"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
    }

    #[test]
    fn competing_attributes_are_recognised() {
        let path = |s: &str| syn::parse_str::<Path>(s).unwrap();
        assert_eq!(
            competing(Kind::Test, &path("test")).as_deref(),
            Some("test")
        );
        assert_eq!(
            competing(Kind::Test, &path("tokio::test")).as_deref(),
            Some("tokio::test")
        );
        assert_eq!(
            competing(Kind::Test, &path("::core::prelude::v1::test")).as_deref(),
            Some("tokio::test")
        );
        assert_eq!(
            competing(Kind::Test, &path("std::prelude::v1::test")).as_deref(),
            Some("test")
        );
        assert_eq!(
            competing(Kind::Main, &path("tokio::main")).as_deref(),
            Some("tokio::main")
        );
        assert_eq!(competing(Kind::Main, &path("inline")), None);
        assert_eq!(competing(Kind::Test, &path("should_panic")), None);
    }
}
