//! Every fuzz target (`sleeper_pg::fuzzing`, run by cargo-fuzz from `fuzz/`) over its checked-in
//! corpus (`fuzz/corpus/<target>/`) and a few thousand inputs mutated from it with a fixed seed: a
//! short, stable-Rust run of each target in every `make test`, so that none rots without nightly.
//! The C options target runs with the `capi` unit tests (`capi::fuzz_corpus`, core/tests/c).

use std::path::PathBuf;

use sleeper_pg::fuzzing::{self, Target};

/// Mutations per target: about a second each in debug.
const MUTATIONS: usize = 20_000;
const SEED: u64 = 0x5eed_f022;

fn run(name: &str) {
    let target: Target = fuzzing::targets()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
        .1;
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(name);
    let inputs = fuzzing::run_seeded(name, target, &corpus, MUTATIONS, SEED);
    assert!(inputs > MUTATIONS);
}

#[test]
fn transaction_json() {
    run("transaction_json");
}

#[test]
fn transaction_log_line() {
    run("transaction_log_line");
}

#[test]
fn connection_url() {
    run("connection_url");
}

#[test]
fn region_json() {
    run("region_json");
}

#[test]
fn key_values() {
    run("key_values");
}

#[test]
fn export() {
    run("export");
}

/// Every target of the crate has a test above (the C options target is tested with `capi`).
#[test]
fn every_target_is_tested() {
    let source = include_str!("fuzz_corpus.rs");
    for (name, _) in fuzzing::targets() {
        assert!(
            name == "capi_options" || source.contains(&format!("fn {name}()")),
            "fuzz target {name} has no test here"
        );
    }
}
