//! The filter corpus, `fixtures/filters/` (written by `fixtures/filters.py`): small files
//! compressed by real producers (PyTables, pandas HDFStore, netCDF4-python, h5py +
//! hdf5plugin) with every filter each of them offers (issue 14).
//!
//! For every file, the filter ids its datasets use decide what is asserted:
//! - none in [`PENDING`]: our dump (`dump_file`) must equal dumplib's dump with hdf5plugin
//!   loaded, computed at test time (one Python process for the whole corpus);
//! - some in [`PENDING`]: dumping the file must fail with [`Error::UnsupportedFilter`] naming
//!   one of them, every dataset using one must fail to read the same way, and every other
//!   dataset must read. A pending filter that reads now fails the test, so that its id is
//!   removed from [`PENDING`] when the filter lands (and its files are then compared with
//!   h5py's reading).
//!
//! Every filter id of the corpus must be built in or pending. Failures are collected over
//! the whole corpus and reported together, one line per file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use common::{json_diff, repo_root, run_python};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{Dataset, Error, File, Group, Node};

/// Filter ids the corpus uses that this crate does not read (yet). Delete an id when its
/// filter lands: its files are then compared with h5py's reading.
const PENDING: &[u16] = &[
    // Never supported here (their files must keep failing with the unsupported-filter error):
    305,   // LZO (PyTables)
    32017, // SZ
    32024, // SZ3
];

/// `fixtures/filters/`, as an absolute path.
fn corpus_dir() -> PathBuf {
    let dir = common::fixtures_dir().join("filters");
    dir.canonicalize().unwrap_or(dir)
}

/// Every `*.h5` of the filter corpus, sorted.
fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("fixtures/filters/ exists (fixtures/filters.py writes it)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "h5"))
        .collect();
    files.sort();
    files
}

fn name_of(h5: &Path) -> String {
    h5.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every dataset reachable from `group` (each object once), depth first.
fn datasets(group: &Group, seen: &mut HashSet<u64>, out: &mut Vec<Dataset>) {
    for link in group.links().unwrap() {
        let Ok(node) = group.open_link(&link) else {
            continue;
        };
        if !seen.insert(node.addr().get()) {
            continue;
        }
        match node {
            Node::Group(g) => datasets(&g, seen, out),
            Node::Dataset(d) => out.push(d),
            Node::Datatype(_) => {}
        }
    }
}

/// The datasets of the file at `h5`, each with the ids of the filters applied to at least
/// one of its stored chunks (libhdf5 skips an optional filter that fails on a chunk, e.g.
/// Blosc or SZIP on noise, and says so in the chunk's filter mask: such a chunk reads
/// without the filter).
fn filtered_datasets(h5: &Path) -> Vec<(Dataset, Vec<u16>)> {
    let file = File::open(h5).unwrap_or_else(|e| panic!("{}: {e}", h5.display()));
    let root = file.root().unwrap();
    let mut seen = HashSet::from([root.addr().get()]);
    let mut out = Vec::new();
    datasets(&root, &mut seen, &mut out);
    out.into_iter()
        .map(|d| {
            let chunks = if d.filters().is_empty() {
                Vec::new()
            } else {
                d.stored_chunks()
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", h5.display(), d.path()))
            };
            let ids = d
                .filters()
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    chunks
                        .iter()
                        .any(|c| *i >= 32 || c.filter_mask & (1u32 << i) == 0)
                })
                .map(|(_, f)| f.id)
                .collect();
            (d, ids)
        })
        .collect()
}

/// The pending filter id a read error names, if it is an unsupported-filter error.
fn unsupported_id(e: &Error) -> Option<u16> {
    match e {
        Error::UnsupportedFilter { id, .. } => Some(*id),
        _ => None,
    }
}

/// dumplib's dump (hdf5plugin loaded) of each of `files`, in one Python process: the dump,
/// or the error h5py gave.
fn plugin_dumps(files: &[PathBuf]) -> BTreeMap<String, Result<serde_json::Value, String>> {
    let script = "import sys, json\n\
                  sys.path.insert(0, sys.argv[1])\n\
                  import dumplib\n\
                  import hdf5plugin\n\
                  out = {}\n\
                  for p in sys.argv[2:]:\n\
                  \x20   try:\n\
                  \x20       out[p] = {'ok': json.loads(dumplib.to_json(dumplib.dump_file(p)))}\n\
                  \x20   except Exception as e:\n\
                  \x20       out[p] = {'error': repr(e)}\n\
                  sys.stdout.write(json.dumps(out))\n";
    let fixtures = repo_root().join("fixtures");
    let mut args = vec![fixtures.to_str().unwrap()];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let out = run_python(script, &args).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let r = match v.get("ok") {
                Some(d) => Ok(d.clone()),
                None => Err(v["error"].to_string()),
            };
            (k.clone(), r)
        })
        .collect()
}

/// A file with pending filters: the dump and each dataset with a pending filter fail with
/// the unsupported-filter error naming one; the other datasets read.
fn check_pending(
    h5: &Path,
    sets: &[(Dataset, Vec<u16>)],
    pending: &BTreeSet<u16>,
) -> Result<(), String> {
    match dump_file(h5) {
        Ok(_) => {
            return Err(format!(
                "dumps, although it uses pending filter(s) {pending:?}: remove the filters \
                 that read now from PENDING"
            ))
        }
        Err(e) if unsupported_id(&e).is_some_and(|id| pending.contains(&id)) => {}
        Err(e) => {
            return Err(format!(
                "dump fails with another error than an unsupported pending filter: {e}"
            ))
        }
    }
    for (d, ids) in sets {
        let mine: Vec<u16> = ids
            .iter()
            .copied()
            .filter(|i| PENDING.contains(i))
            .collect();
        match (d.read_dyn(), mine.is_empty()) {
            (Ok(_), true) => {}
            (Err(e), true) => return Err(format!("{} (filters {ids:?}): {e}", d.path())),
            (Ok(_), false) => {
                return Err(format!(
                    "{} reads, although it uses pending filter(s) {mine:?}: remove the filter \
                     from PENDING",
                    d.path()
                ))
            }
            (Err(e), false) => match unsupported_id(&e) {
                Some(id) if mine.contains(&id) => {
                    let text = e.to_string();
                    if !text.contains(&id.to_string()) {
                        return Err(format!(
                            "{}: the error does not name filter {id}: {text}",
                            d.path()
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "{} (pending {mine:?}): not the unsupported-filter error: {e}",
                        d.path()
                    ))
                }
            },
        }
    }
    Ok(())
}

#[test]
fn pending_filters_are_not_built_in() {
    // When a filter lands, delete its id from PENDING (its files are then compared with h5py).
    let landed: Vec<u16> = PENDING
        .iter()
        .copied()
        .filter(|&id| jangada_hdf5::filters::builtin(id).is_some())
        .collect();
    assert!(
        landed.is_empty(),
        "built in now, delete from PENDING: {landed:?}"
    );
}

#[test]
fn every_corpus_file_reads_as_h5py_reads_it_or_names_its_pending_filter() {
    let files = corpus_files();
    assert!(
        files.len() >= 30,
        "only {} files in {}",
        files.len(),
        corpus_dir().display()
    );
    let mut failures = Vec::new();
    let mut compare = Vec::new();
    let mut all_ids = BTreeSet::new();
    let mut pending_files = 0;
    for h5 in &files {
        let outcome = common::guarded(|| {
            let sets = filtered_datasets(h5);
            let ids: BTreeSet<u16> = sets.iter().flat_map(|(_, i)| i.iter().copied()).collect();
            all_ids.extend(ids.iter().copied());
            let unknown: Vec<u16> = ids
                .iter()
                .copied()
                .filter(|&i| jangada_hdf5::filters::builtin(i).is_none() && !PENDING.contains(&i))
                .collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "filter(s) {unknown:?} are neither built in nor PENDING"
                ));
            }
            let pending: BTreeSet<u16> = ids
                .iter()
                .copied()
                .filter(|i| PENDING.contains(i))
                .collect();
            if pending.is_empty() {
                compare.push(h5.clone());
                return Ok(());
            }
            pending_files += 1;
            check_pending(h5, &sets, &pending)
        });
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", name_of(h5)));
        }
    }
    // The corpus covers the built-in filters and every pending one.
    for id in jangada_hdf5::filters::registry::builtin_ids()
        .iter()
        .chain(PENDING)
    {
        if !all_ids.contains(id) {
            failures.push(format!("no corpus file uses filter {id}"));
        }
    }
    let theirs = plugin_dumps(&compare);
    for h5 in &compare {
        let outcome = common::guarded(|| {
            let expected = theirs
                .get(h5.to_str().unwrap())
                .ok_or("not dumped by h5py")?
                .as_ref()
                .map_err(|e| format!("h5py + hdf5plugin cannot read it: {e}"))?;
            let ours = dump_file(h5).map_err(|e| format!("error: {e}"))?;
            match json_diff("", &ours, expected) {
                None => Ok(()),
                Some(d) => Err(format!("differs: {d}")),
            }
        });
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", name_of(h5)));
        }
    }
    eprintln!(
        "{} files compared with h5py, {pending_files} with pending filters; ids {all_ids:?}",
        compare.len()
    );
    assert!(compare.len() >= 5, "only {} files compared", compare.len());
    assert!(
        failures.is_empty(),
        "{} problem(s) in the filter corpus:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
