//! Attribute macros for loopmon: `#[loopmon::main]` and `#[loopmon::test]`.
//!
//! Use them through the `loopmon` crate, which documents them in full; this crate is an
//! implementation detail and its generated code only calls into `loopmon::__private`.

mod args;
mod duration;
mod expand;

use args::Kind;
use proc_macro::TokenStream;

/// Runs an `async fn main` on a tokio runtime with loopmon's monitor watching it: see
/// `loopmon::main`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a tokio runtime with loopmon's monitor watching it: see
/// `loopmon::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Test, args.into(), item.into()).into()
}
