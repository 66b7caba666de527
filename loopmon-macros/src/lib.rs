//! Attribute macros for loopmon (see the `loopmon` crate).
