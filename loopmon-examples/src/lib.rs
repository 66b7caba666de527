//! loopmon's examples that need heavy dependencies, in a package of their own so that the
//! facade's examples build none of them. Nothing here is published.
//!
//! ```text
//! cargo run -p loopmon-examples --example prometheus         # an HTTP service scraped by Prometheus
//! cargo run -p loopmon-examples --example prometheus_gauge   # the original's Gauge example
//! cargo test -p loopmon-examples                             # a real scrape over loopback
//! ```

#![forbid(unsafe_code)]
