//! Shared helpers for the integration tests. Each test crate includes this with `mod common;`
//! and uses only part of it, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod lab;
