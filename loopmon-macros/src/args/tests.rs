//! Unit tests of the argument parser.
use super::*;
use quote::quote;

fn errors(kind: Kind, tokens: TokenStream) -> Vec<String> {
    match parse(kind, tokens) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn distances() {
    assert_eq!(distance("intervall", "interval"), 1);
    assert_eq!(distance("flavour", "flavor"), 1);
    assert_eq!(distance("", "abc"), 3);
    assert_eq!(distance("kitten", "sitting"), 3);
}

#[test]
fn a_full_configuration_is_accepted() {
    let config = parse(
        Kind::Test,
        quote!(
            interval = "1.5s",
            callback = a::b,
            callback = c,
            max_lag = "50ms",
            crate = "lm",
            flavor = "multi_thread",
            worker_threads = 2,
            name = "rt"
        ),
    )
    .unwrap();
    assert_eq!(config.interval, Some(Duration::from_millis(1500)));
    let methods: Vec<_> = config.calls.iter().map(|c| c.method).collect();
    assert_eq!(methods, ["callback", "callback", "max_lag"]);
    assert_eq!(config.tokio.len(), 3);
    assert_eq!(config.krate.unwrap().to_token_stream().to_string(), "lm");
}

#[test]
fn every_error_is_reported() {
    let all = errors(
        Kind::Main,
        quote!(
            intervall = "1s",
            interval = "500",
            interval = "1s",
            callback = "print",
            max_lag = "1s",
            start_paused = true
        ),
    );
    assert_eq!(
        all,
        [
            "unknown argument `intervall`: did you mean `interval`? `#[loopmon::main]` takes \
             `interval`, `callback`, `stall_threshold`, `on_stall`, `metrics`, `crate`, \
             `flavor`, `worker_threads`, `start_paused`, \
             `unhandled_panic`, `name`",
            "`interval`: `\"500\"` has no unit: write `\"500ms\"` or `\"500s\"`",
            "`interval` is given twice: remove one of them",
            "`callback` takes a path, not a literal: write `callback = print`",
            "`max_lag` is a test guard: only `#[loopmon::test]` takes it",
            "`start_paused` needs the `current_thread` flavor, not `multi_thread` (the \
             default here): add `flavor = \"current_thread\"` or remove `start_paused`",
        ]
    );
}

#[test]
fn flavor_rules_follow_tokio() {
    assert!(errors(Kind::Test, quote!(start_paused = true)).is_empty());
    assert!(errors(Kind::Main, quote!(worker_threads = 3)).is_empty());
    assert_eq!(errors(Kind::Test, quote!(worker_threads = 3)).len(), 1);
    assert_eq!(
        errors(
            Kind::Test,
            quote!(flavor = "multi_thread", unhandled_panic = "ignore")
        )
        .len(),
        1
    );
    assert_eq!(errors(Kind::Main, quote!(worker_threads = 0)).len(), 1);
}
