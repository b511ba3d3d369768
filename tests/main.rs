//! The integration tests, one binary: each module was a test crate of its own, `common` holds
//! what they share. Run one module with `cargo test --test main MODULE::`.
//!
//! Cargo.toml sets `autotests = false`: a new file in tests/ is built only once it is declared
//! here as a module.

mod common;

mod accuracy;
mod batch;
mod cli;
mod dns_and_network;
mod fragmentation;
mod generated;
mod hostile;
mod hostile_clients;
mod lab_active;
mod lab_exim;
mod lab_probe;
mod lab_selftest;
mod mock;
mod mock_peers;
mod policy;
mod proxy;
mod report;
mod scenarios;
mod snapshots;
