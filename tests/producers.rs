//! The producer corpus, `fixtures/producers/` (written by `fixtures/producers.py`): small files
//! written by real producers (netCDF4-python, h5netcdf, xarray, PyTables, pandas, hdf5storage,
//! h5py's low-level API, Debian's hdf5-tools and libhdf5 1.10.8, an older h5py), each with what
//! h5py read from it.
//!
//! For every `NAME.h5` there:
//! - `NAME.json`: our dump (`jangada dump --json`) must equal it, and `jangada check` must
//!   report no problem;
//! - `NAME.error.json`: dumping the file must fail with an error containing `error_contains`
//!   (and so must reading the dataset at `path`, when it opens).
//!
//! Failures are collected over the whole corpus and reported together (one line per file,
//! with the first difference or the error), so that one run shows every file we read wrong.
//! External raw files and virtual-dataset sources are named relative to the `.h5` file; the
//! tests run from an unrelated working directory so that nothing resolves against it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Once;

use common::{json_diff, read_json, sidecar};
use jangada::cli::check::{check_file, render};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{File, Node};

/// `fixtures/producers/`, as an absolute path.
fn producers_dir() -> PathBuf {
    let dir = common::fixtures_dir().join("producers");
    dir.canonicalize().unwrap_or(dir)
}

/// Every `*.h5` of the producer corpus, sorted.
fn producer_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(producers_dir())
        .expect("fixtures/producers/ exists (fixtures/producers.py writes it)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "h5"))
        .collect();
    files.sort();
    files
}

/// Run the tests from a working directory unrelated to the corpus: relative external file
/// names and VDS source names must resolve against the `.h5` file's folder, not the cwd.
fn away_from_corpus() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = common::scratch_root("jangada-producers");
        std::fs::create_dir_all(&dir).unwrap();
        std::env::set_current_dir(&dir).unwrap();
    });
}

fn name_of(h5: &Path) -> String {
    h5.file_name().unwrap().to_string_lossy().into_owned()
}

/// Long messages (a whole check report) cut to their first lines.
fn short(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 6 {
        return lines.join(" | ");
    }
    format!("{} | ... ({} lines)", lines[..6].join(" | "), lines.len())
}

#[test]
fn corpus_is_present_and_complete() {
    let files = producer_files();
    assert!(
        files.len() >= 50,
        "only {} producer files in {}",
        files.len(),
        producers_dir().display()
    );
    let mut missing = Vec::new();
    for h5 in &files {
        let json = sidecar(h5, ".json").exists();
        let error = sidecar(h5, ".error.json").exists();
        if json == error {
            missing.push(format!(
                "{}: needs exactly one of NAME.json / NAME.error.json (json: {json}, error: {error})",
                name_of(h5)
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_producer_file_dumps_as_h5py_reads_it() {
    away_from_corpus();
    let mut failures = Vec::new();
    let mut compared = 0;
    for h5 in producer_files() {
        let expected = sidecar(&h5, ".json");
        if !expected.exists() {
            continue;
        }
        compared += 1;
        let theirs = read_json(&expected);
        let outcome = common::guarded(|| {
            let ours = dump_file(&h5).map_err(|e| format!("error: {e}"))?;
            match json_diff("", &ours, &theirs) {
                None => Ok(()),
                Some(d) => Err(format!("differs: {d}")),
            }
        });
        if let Err(e) = outcome {
            failures.push(format!("{}: {}", name_of(&h5), short(&e)));
        }
    }
    assert!(
        compared > 0,
        "no NAME.json in {}",
        producers_dir().display()
    );
    assert!(
        failures.is_empty(),
        "{} of {compared} producer files are not read as h5py reads them:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn producer_files_that_must_fail_give_the_expected_error() {
    away_from_corpus();
    let mut failures = Vec::new();
    let mut checked = 0;
    for h5 in producer_files() {
        let spec = sidecar(&h5, ".error.json");
        if !spec.exists() {
            continue;
        }
        checked += 1;
        let spec = read_json(&spec);
        let path = spec["path"].as_str().unwrap().to_string();
        let want = spec["error_contains"].as_str().unwrap().to_string();
        let outcome = common::guarded(|| {
            match dump_file(&h5) {
                Ok(_) => {
                    return Err(format!(
                        "the dump succeeded; expected an error with {want:?}"
                    ))
                }
                Err(e) if !e.to_string().contains(&want) => {
                    return Err(format!("dump error {:?} lacks {want:?}", e.to_string()))
                }
                Err(_) => {}
            }
            // Reading the object directly must fail the same way.
            if let Ok(Node::Dataset(d)) = File::open(&h5).and_then(|f| f.get(&path)) {
                match d.read_dyn() {
                    Ok(_) => return Err(format!("reading {path} succeeded; expected {want:?}")),
                    Err(e) if !e.to_string().contains(&want) => {
                        return Err(format!(
                            "reading {path}: {:?} lacks {want:?}",
                            e.to_string()
                        ))
                    }
                    Err(_) => {}
                }
            }
            Ok(())
        });
        if let Err(e) = outcome {
            failures.push(format!("{}: {}", name_of(&h5), short(&e)));
        }
    }
    assert!(
        checked > 0,
        "no NAME.error.json in {}",
        producers_dir().display()
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} must-fail producer files:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn check_reports_no_problem_in_readable_producer_files() {
    away_from_corpus();
    let mut failures = Vec::new();
    let mut checked = 0;
    for h5 in producer_files() {
        if !sidecar(&h5, ".json").exists() {
            continue;
        }
        checked += 1;
        let outcome = common::guarded(|| {
            let report = check_file(&h5).map_err(|e| format!("check error: {e}"))?;
            if report.is_ok() {
                Ok(())
            } else {
                Err(format!("check FAILED: {}", render(&report)))
            }
        });
        if let Err(e) = outcome {
            failures.push(format!("{}: {}", name_of(&h5), short(&e)));
        }
    }
    assert!(checked > 0);
    assert!(
        failures.is_empty(),
        "{} of {checked} producer files fail `jangada check`:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
