//! Replays the fuzzers' findings: every input in `fuzz/regressions/<target>/` (each one
//! crashed, hung or over-allocated once) and the seed corpus (the fixtures) go through all
//! three fuzz target bodies (`jangada::fuzzing::{walk, read, load}`), which must return
//! without a panic, a hang (20 s) or an allocation peak above 64 x the input + 16 MiB.
//! The `filters` target (`jangada::fuzzing::filters`) replays the real chunks of
//! `fuzz/corpus-seeds/filters/` and its findings in `fuzz/regressions/filters/`, each under
//! the same watchdog with the allocation limit `jangada::fuzzing::filter_budget` (the
//! chunk, grown by the filters, twice over, plus the input and 4 MiB for BZip2's blocks).
//! See fuzz/README.md for running the fuzzers themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod guard;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jangada::fuzzing::TARGETS;

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fuzz")
        .join("regressions")
}

/// Every file under `fuzz/regressions/*/`, sorted.
fn regression_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (target, _) in TARGETS {
        let dir = regressions_dir().join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    files
}

fn replay(name: &str, bytes: Vec<u8>) {
    let bytes = Arc::new(bytes);
    for (target, body) in TARGETS {
        let input = bytes.clone();
        guard::survive(
            &format!("{target}({name})"),
            guard::limit(bytes.len()),
            Duration::from_secs(20),
            move || body(&input),
        );
    }
}

#[test]
fn saved_fuzz_findings_are_handled() {
    let files = regression_files();
    for path in &files {
        let name = path
            .strip_prefix(regressions_dir())
            .unwrap_or(path)
            .display()
            .to_string();
        replay(&name, std::fs::read(path).unwrap());
    }
    eprintln!("{} regression inputs replayed", files.len());
}

#[test]
fn seed_corpus_is_handled() {
    // The fuzzers' seeds (fuzz/seed.sh): fixtures up to 1 MB.
    let mut n = 0;
    for path in common::fixture_files() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() < 1_000_000 {
            replay(&path.file_name().unwrap().to_string_lossy(), bytes);
            n += 1;
        }
    }
    assert!(n > 20, "only {n} seed files");
}

#[test]
#[should_panic(expected = "allocated")]
fn the_watchdog_sees_over_allocation() {
    guard::survive("64 MiB", guard::limit(0), Duration::from_secs(20), || {
        let v = vec![1u8; 64 << 20];
        assert_eq!(v.len(), 64 << 20);
    });
}

/// `fuzz/corpus-seeds/filters/`: real chunks (see `fuzz/filter_seeds.py`).
fn filter_seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fuzz")
        .join("corpus-seeds")
        .join("filters")
}

/// Every file of `fuzz/corpus-seeds/filters/` and `fuzz/regressions/filters/`, and of the
/// folder `JANGADA_FUZZ_FILTERS` names (e.g. the fuzzer's grown `fuzz/corpus/filters/`, to
/// check it under the allocation guard), sorted.
fn filter_inputs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let extra = std::env::var_os("JANGADA_FUZZ_FILTERS").map(PathBuf::from);
    for dir in [filter_seeds_dir(), regressions_dir().join("filters")]
        .into_iter()
        .chain(extra)
    {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    files
}

#[test]
fn filter_seeds_and_findings_are_handled() {
    let files = filter_inputs();
    let mut decoded = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = Arc::new(std::fs::read(path).unwrap());
        let input = bytes.clone();
        guard::survive(
            &format!("filters({name})"),
            jangada::fuzzing::filter_budget(&bytes),
            Duration::from_secs(20),
            move || jangada::fuzzing::filters(&input),
        );
        // A seed of built-in filters only (named FILE-ID-ID-HASH) is a real chunk: it
        // decodes.
        let ids: Vec<&str> = name.split('-').collect();
        let builtin = ids.len() > 2
            && ids[1..ids.len() - 1].iter().all(|id| {
                id.parse::<u16>()
                    .is_ok_and(|id| jangada_hdf5::filters::builtin(id).is_some())
            });
        if builtin && path.starts_with(filter_seeds_dir()) {
            match jangada::fuzzing::filter_decode(&bytes) {
                Some(Ok(_)) => decoded += 1,
                other => panic!(
                    "seed {name} does not decode: {:?}",
                    other.map(|r| r.map(|v| v.len()))
                ),
            }
        }
    }
    eprintln!(
        "{} filter inputs replayed, {decoded} real chunks decoded",
        files.len()
    );
    assert!(
        decoded >= 50,
        "only {decoded} seeds of built-in filters decode"
    );
}
