//! The attribute's arguments: each key collected with its span, then [`Args::build`] checks
//! the combinations (tokio's rules, loopmon's spans and messages).
//!
//! Every error of one attribute is gathered (`syn::Error::combine`) and reported together.
//!
//! # Adding a key
//!
//! 1. Add a row to [`KEYS`] (name, example value, which macros take it).
//! 2. Add a match arm in [`Args::set`] that parses the value and pushes a [`Call`]: the name
//!    of the `loopmon_core::entry::Entry` method the generated code calls, and its argument.
//! 3. Add that method to `Entry`. `expand.rs` needs no change.

use crate::duration::{self, Range};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::time::Duration;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Lit, Meta, MetaNameValue, Path, Token};

/// Which macro the arguments belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The macro's name as the user writes it.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "`#[loopmon::main]`",
            Kind::Test => "`#[loopmon::test]`",
        }
    }

    fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// Every key: its name, an example value, and whether `#[loopmon::main]` takes it.
const KEYS: &[(&str, &str, bool)] = &[
    ("interval", "\"500ms\"", true),
    ("callback", "my_callback", true),
    ("max_lag", "\"50ms\"", false),
    ("stall_threshold", "\"100ms\"", true),
    ("on_stall", "my_stall_callback", true),
    ("metrics", "true", true),
    ("crate", "\"my_loopmon\"", true),
    ("flavor", "\"multi_thread\"", true),
    ("worker_threads", "4", true),
    ("start_paused", "true", true),
    ("unhandled_panic", "\"shutdown_runtime\"", true),
    ("name", "\"my-runtime\"", true),
];

/// A call on `Entry` in the generated code: `.method(argument)`.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: &'static str,
    pub(crate) argument: Value,
    pub(crate) span: Span,
}

/// An argument of a [`Call`].
#[derive(Debug)]
pub(crate) enum Value {
    /// A constant `Duration`.
    Duration(Duration),
    /// The user's tokens, with their spans (a callback's path).
    Tokens(TokenStream),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
    Local,
}

/// The checked configuration the expansion is made from.
pub(crate) struct Config {
    /// `crate = "..."`: loopmon's path; `::loopmon` by default.
    pub(crate) krate: Option<Path>,
    /// `interval`; loopmon-core's `DEFAULT_INTERVAL` when `None`.
    pub(crate) interval: Option<Duration>,
    /// `callback`, `max_lag`, in the order written.
    pub(crate) calls: Vec<Call>,
    /// tokio's arguments, passed through unchanged.
    pub(crate) tokio: Vec<TokenStream>,
}

impl Config {
    /// The configuration used when the arguments are wrong: tokio's defaults, no callback.
    pub(crate) fn fallback() -> Config {
        Config {
            krate: None,
            interval: None,
            calls: Vec::new(),
            tokio: Vec::new(),
        }
    }
}

/// The arguments as written, before their combinations are checked.
struct Args {
    kind: Kind,
    seen: Vec<String>,
    errors: Option<syn::Error>,
    config: Config,
    flavor: Option<Flavor>,
    worker_threads: Option<Span>,
    start_paused: Option<Span>,
    unhandled_panic: Option<Span>,
}

/// Parses and checks the attribute's arguments.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> Result<Config, syn::Error> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    let mut args = Args {
        kind,
        seen: Vec::new(),
        errors: None,
        config: Config::fallback(),
        flavor: None,
        worker_threads: None,
        start_paused: None,
        unhandled_panic: None,
    };
    for meta in metas {
        args.meta(meta);
    }
    args.build()
}

impl Args {
    fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        let error = syn::Error::new(span, message);
        match &mut self.errors {
            Some(errors) => errors.combine(error),
            None => self.errors = Some(error),
        }
    }

    fn meta(&mut self, meta: Meta) {
        match meta {
            Meta::NameValue(nv) => self.name_value(nv),
            Meta::Path(path) => {
                let key = path_name(&path);
                let message = match KEYS.iter().find(|k| k.0 == key) {
                    Some((key, example, _)) => {
                        format!("`{key}` needs a value: write `{key} = {example}`")
                    }
                    None if ["multi_thread", "current_thread", "local"].contains(&key.as_str()) => {
                        format!("set the flavor with `flavor = \"{key}\"`")
                    }
                    None => self.unknown(&key),
                };
                self.error(path.span(), message);
            }
            Meta::List(list) => {
                let key = path_name(&list.path);
                let message = match KEYS.iter().find(|k| k.0 == key) {
                    Some((key, example, _)) => {
                        format!("expected `{key} = {example}`, not `{key}(...)`")
                    }
                    None => self.unknown(&key),
                };
                self.error(list.span(), message);
            }
        }
    }

    /// The message for an unknown key: the nearest valid one, and the list.
    fn unknown(&self, key: &str) -> String {
        let valid: Vec<&str> = KEYS
            .iter()
            .filter(|k| k.2 || self.kind == Kind::Test)
            .map(|k| k.0)
            .collect();
        let list = valid
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let nearest = valid
            .iter()
            .map(|k| (distance(key, k), *k))
            .filter(|(d, k)| *d <= 2.max(k.len() / 3))
            .min();
        let hint = match nearest {
            Some((_, k)) => format!(": did you mean `{k}`?"),
            None => String::new(),
        };
        format!(
            "unknown argument `{key}`{hint} {} takes {list}",
            self.kind.attribute()
        )
    }

    fn name_value(&mut self, nv: MetaNameValue) {
        let key = path_name(&nv.path);
        let Some(&(name, _, in_main)) = KEYS.iter().find(|k| k.0 == key) else {
            let message = self.unknown(&key);
            return self.error(nv.path.span(), message);
        };
        if !in_main && self.kind == Kind::Main {
            return self.error(
                nv.path.span(),
                format!("`{name}` is a test guard: only `#[loopmon::test]` takes it"),
            );
        }
        if name != "callback" {
            if self.seen.iter().any(|s| s == name) {
                return self.error(
                    nv.span(),
                    format!("`{name}` is given twice: remove one of them"),
                );
            }
            self.seen.push(name.to_string());
        }
        self.set(name, &nv.value);
    }

    /// Parses the value of a known key.
    fn set(&mut self, key: &'static str, value: &Expr) {
        let span = value.span();
        match key {
            "interval" => {
                if let Some(d) = self.duration(key, value, duration::INTERVAL) {
                    self.config.interval = Some(d);
                }
            }
            "max_lag" => {
                if let Some(d) = self.duration(key, value, duration::MAX_LAG) {
                    self.call("max_lag", Value::Duration(d), span);
                }
            }
            "stall_threshold" => {
                // The same range as `interval`: tokio's 1 ms resolution to one day.
                if let Some(d) = self.duration(key, value, duration::INTERVAL) {
                    self.call("stall_threshold", Value::Duration(d), span);
                }
            }
            "metrics" => match value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Bool(b), ..
                }) => self.call("metrics", Value::Tokens(b.to_token_stream()), span),
                _ => self.error(
                    span,
                    "`metrics` takes `true` or `false`: write `metrics = true`",
                ),
            },
            "callback" | "on_stall" => match value {
                Expr::Path(path) if path.attrs.is_empty() => {
                    self.call(key, Value::Tokens(path.to_token_stream()), span);
                }
                Expr::Lit(lit) => {
                    let hint = match &lit.lit {
                        Lit::Str(s) if s.parse::<Path>().is_ok() => {
                            format!(": write `{key} = {}`", s.value())
                        }
                        _ => format!(", such as `{key} = my_callback`"),
                    };
                    self.error(span, format!("`{key}` takes a path, not a literal{hint}"));
                }
                _ => self.error(
                    span,
                    format!(
                        "`{key}` takes a path to a function or a constant: move this \
                         expression into a `fn` and write `{key} = its_name`"
                    ),
                ),
            },
            "crate" => match string(value) {
                Some(s) => match s.parse::<Path>() {
                    Ok(path) => self.config.krate = Some(path),
                    Err(_) => self.error(
                        span,
                        format!(
                            "`crate` takes loopmon's path; `{}` is not a path",
                            s.value()
                        ),
                    ),
                },
                None => self.error(
                    span,
                    "`crate` takes a path in a string: write `crate = \"my_loopmon\"`",
                ),
            },
            "flavor" => {
                match string(value).map(|s| s.value()) {
                    Some(s) => {
                        let flavor = match s.as_str() {
                            "current_thread" => Some(Flavor::CurrentThread),
                            "multi_thread" => Some(Flavor::MultiThread),
                            "local" => Some(Flavor::Local),
                            _ => None,
                        };
                        match flavor {
                            Some(flavor) => {
                                self.flavor = Some(flavor);
                                self.pass_through(key, value);
                            }
                            None => {
                                let hint = match s.as_str() {
                                "single_thread" | "basic_scheduler" | "current" => {
                                    ": write `flavor = \"current_thread\"`".to_string()
                                }
                                "threaded_scheduler" | "multi_threaded" | "multi" => {
                                    ": write `flavor = \"multi_thread\"`".to_string()
                                }
                                _ => "; the flavors are `current_thread`, `multi_thread` and `local`".to_string(),
                            };
                                self.error(span, format!("unknown runtime flavor `{s}`{hint}"));
                            }
                        }
                    }
                    None => self.error(
                        span,
                        "`flavor` takes a string: write `flavor = \"multi_thread\"`",
                    ),
                }
            }
            "worker_threads" => match value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Int(n), ..
                }) => match n.base10_parse::<usize>() {
                    Ok(0) => self.error(span, "`worker_threads` must be at least 1"),
                    Ok(_) => {
                        self.worker_threads = Some(span);
                        self.pass_through(key, value);
                    }
                    Err(e) => self.error(span, format!("`worker_threads`: {e}")),
                },
                _ => self.error(
                    span,
                    "`worker_threads` takes an integer: write `worker_threads = 4`",
                ),
            },
            "start_paused" => match value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Bool(_), ..
                }) => {
                    self.start_paused = Some(span);
                    self.pass_through(key, value);
                }
                _ => self.error(
                    span,
                    "`start_paused` takes a bool: write `start_paused = true`",
                ),
            },
            "unhandled_panic" => match string(value).map(|s| s.value()) {
                Some(s) if s == "ignore" || s == "shutdown_runtime" => {
                    self.unhandled_panic = Some(span);
                    self.pass_through(key, value);
                }
                _ => self.error(
                    span,
                    "`unhandled_panic` takes `\"ignore\"` or `\"shutdown_runtime\"`",
                ),
            },
            "name" => match string(value) {
                Some(_) => self.pass_through(key, value),
                None => self.error(span, "`name` takes a string: write `name = \"my-runtime\"`"),
            },
            _ => self.error(span, format!("`{key}` is not supported yet")),
        }
    }

    fn call(&mut self, method: &'static str, argument: Value, span: Span) {
        self.config.calls.push(Call {
            method,
            argument,
            span,
        });
    }

    fn pass_through(&mut self, key: &str, value: &Expr) {
        let key = syn::Ident::new(key, Span::call_site());
        self.config.tokio.push(quote::quote!(#key = #value));
    }

    /// Parses a duration value; records the error and returns `None` if it is not one.
    fn duration(&mut self, key: &str, value: &Expr, range: Range) -> Option<Duration> {
        let span = value.span();
        let message = match value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => match duration::parse(key, &s.value(), range) {
                Ok(d) => return Some(d),
                Err(message) => message,
            },
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(n), ..
            }) => format!(
                "`{key}` takes a string with a unit: write `{key} = \"{}ms\"`",
                n.base10_digits()
            ),
            Expr::Lit(syn::ExprLit {
                lit: Lit::Float(n), ..
            }) => format!(
                "`{key}` takes a string with a unit: write `{key} = \"{}s\"`",
                n.base10_digits()
            ),
            _ => format!(
                "`{key}` takes a string such as `\"500ms\"`, `\"1.5s\"` or `\"1m 30s\"`: \
                 write `{key} = \"500ms\"`"
            ),
        };
        self.error(span, message);
        None
    }

    /// Checks the combinations, with tokio's rules.
    fn build(mut self) -> Result<Config, syn::Error> {
        let flavor = self.flavor.unwrap_or(self.kind.default_flavor());
        let default = if self.flavor.is_none() {
            " (the default here)"
        } else {
            ""
        };
        if let (Flavor::CurrentThread | Flavor::Local, Some(span)) = (flavor, self.worker_threads) {
            let name = flavor_name(flavor);
            self.error(
                span,
                format!(
                    "`worker_threads` needs the `multi_thread` flavor, not `{name}`{default}: \
                     add `flavor = \"multi_thread\"` or remove `worker_threads`"
                ),
            );
        }
        for (key, span) in [
            ("start_paused", self.start_paused),
            ("unhandled_panic", self.unhandled_panic),
        ] {
            if let (Flavor::MultiThread, Some(span)) = (flavor, span) {
                self.error(
                    span,
                    format!(
                        "`{key}` needs the `current_thread` flavor, not `multi_thread`{default}: \
                         add `flavor = \"current_thread\"` or remove `{key}`"
                    ),
                );
            }
        }
        match self.errors {
            Some(errors) => Err(errors),
            None => Ok(self.config),
        }
    }
}

fn flavor_name(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::CurrentThread => "current_thread",
        Flavor::MultiThread => "multi_thread",
        Flavor::Local => "local",
    }
}

/// A path written as a key, as text (`crate` included).
fn path_name(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// The string literal `value` is, if it is one.
fn string(value: &Expr) -> Option<&syn::LitStr> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s),
        _ => None,
    }
}

/// The edit distance between two keys (Levenshtein), for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
