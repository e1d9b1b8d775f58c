//! `jangada check`: every fixture passes, files we write pass, damaged files (flipped
//! bytes, truncations) that the reader rejects are reported as problems, and structures
//! claiming the same bytes are reported as overlapping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use jangada::cli::check::{check_file, render, Report};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{Error, File, Group, Node};

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-check");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn fixture(name: &str) -> PathBuf {
    common::fixtures_dir().join(name)
}

#[test]
fn every_fixture_passes() {
    let mut checked = 0;
    for path in common::fixture_files() {
        let report = check_file(&path).unwrap();
        assert!(report.is_ok(), "{}:\n{}", path.display(), render(&report));
        assert!(report.objects >= 1, "{}", path.display());
        let error = common::sidecar(&path, ".error.json");
        if error.exists() {
            // Unsupported filters and link cycles are not damage: warnings naming the object.
            let expected = common::read_json(&error);
            let at = expected["path"].as_str().unwrap();
            assert!(
                report.warnings.iter().any(|w| w.path == at),
                "{}: no warning at {at}:\n{}",
                path.display(),
                render(&report)
            );
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} fixtures");
}

#[test]
fn unsupported_filter_is_a_warning_not_a_problem() {
    if common::skip_unless(
        common::Needs::HostTools,
        "unsupported_filter_is_a_warning_not_a_problem",
    ) {
        return;
    }
    // SZ3 (filter 32024, hdf5plugin's): a filter this crate does not decode.
    let dir = common::scratch_root("jangada-check-sz3");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sz3.h5");
    common::run_python(
        "import sys, h5py, hdf5plugin, numpy as np\n\
         with h5py.File(sys.argv[1], 'w') as f:\n\
         \x20   f.create_dataset('sz3', data=np.zeros(1000, '<f4'), chunks=(100,),\n\
         \x20                    **hdf5plugin.SZ3(absolute=0.1))\n",
        &[path.to_str().unwrap()],
    )
    .unwrap();
    let report = check_file(&path).unwrap();
    assert!(report.is_ok());
    let w = report.warnings.iter().find(|w| w.path == "/sz3").unwrap();
    assert!(
        w.message.contains("unsupported filter 32024"),
        "{}",
        w.message
    );
    let text = render(&report);
    assert!(
        text.contains("warning: /sz3: unsupported filter 32024"),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("structure extents checked)"),
        "{text}"
    );
    assert!(text.contains("OK: 0 problems, 1 warning"), "{text}");
}

#[test]
fn files_we_write_pass() {
    let path = scratch("written.h5");
    {
        let f = File::create_truncate(&path).unwrap();
        let root = f.root().unwrap();
        let g = root.create_group("g").unwrap();
        g.set_attr("n", 3i64).unwrap();
        let a = ndarray::ArrayD::from_shape_fn(vec![300, 400], |ix| (ix[0] * 400 + ix[1]) as f64);
        g.write_dataset("big", &a).unwrap();
        let c = ndarray::ArrayD::from_shape_fn(vec![1000], |ix| ix[0] as i32);
        g.new_dataset("chunked")
            .chunks(&[64])
            .maxshape(&[None])
            .deflate(4)
            .write(&c)
            .unwrap();
        root.link_soft("soft", "/g/big").unwrap();
        root.link_soft("dangling", "/nowhere").unwrap();
        f.close().unwrap();
    }
    let report = check_file(&path).unwrap();
    assert!(report.is_ok(), "{}", render(&report));
    assert!(report.warnings.is_empty(), "{}", render(&report));
    assert_eq!(report.objects, 4, "{}", render(&report));
    assert!(report.extents > 5);
}

/// Datasets of `path` whose in-memory size is small (so that dumping a damaged file whose
/// shape was changed cannot allocate much); `None` if something is too large.
fn bounded(file: &File) -> bool {
    fn walk(g: &Group, seen: &mut Vec<u64>) -> bool {
        let Ok(links) = g.links() else { return true };
        for l in links {
            let Ok(node) = g.get(&l.name) else { continue };
            let addr = node.addr().get();
            if seen.contains(&addr) {
                continue;
            }
            seen.push(addr);
            match node {
                Node::Group(sub) => {
                    if !walk(&sub, seen) {
                        return false;
                    }
                }
                Node::Dataset(d) => {
                    let n = d.shape().iter().fold(1u64, |a, b| a.saturating_mul(*b));
                    if n.saturating_mul(u64::from(d.dtype().size).max(1)) > 1 << 24 {
                        return false;
                    }
                }
                Node::Datatype(_) => {}
            }
        }
        true
    }
    let Ok(root) = file.root() else { return true };
    walk(&root, &mut Vec::new())
}

/// Whether an error from the dump is damage (rather than an unsupported feature or a
/// link cycle).
fn is_damage(e: &Error) -> bool {
    !matches!(
        e,
        Error::Unsupported(_) | Error::UnsupportedFilter { .. } | Error::Invalid(_)
    )
}

/// For a damaged copy of a file: if our reader (the dump) rejects it, the check reports it.
fn assert_reported(bytes: &[u8], what: &str, out: &Path) -> bool {
    std::fs::write(out, bytes).unwrap();
    if let Ok(f) = File::open(out) {
        if !bounded(&f) {
            return false;
        }
    }
    let dumped = dump_file(out);
    let report: Report = check_file(out).unwrap();
    match dumped {
        Ok(_) => false,
        Err(e) => {
            if is_damage(&e) {
                assert!(
                    !report.is_ok(),
                    "{what}: the dump fails ({e}) but the check passes:\n{}",
                    render(&report)
                );
            } else {
                assert!(
                    !report.is_ok() || !report.warnings.is_empty(),
                    "{what}: the dump fails ({e}) but the check says nothing:\n{}",
                    render(&report)
                );
            }
            true
        }
    }
}

#[test]
fn damaged_files_that_the_reader_rejects_are_reported() {
    let out = scratch("mutant.h5");
    let mut rejected = 0;
    let mut tried = 0;
    for name in [
        "libver_latest.h5",
        "libver_earliest.h5",
        "layout_chunked_single.h5",
        "attrs_track_order.h5",
        "groups_nested_20_latest.h5",
        "links_latest.h5",
        "dataspaces_earliest.h5",
    ] {
        let original = std::fs::read(fixture(name)).unwrap();
        let len = original.len();
        // Flipped bytes at many offsets (all bits, and the lowest bit).
        let step = (len / 97).max(1);
        for at in (0..len).step_by(step).chain([8, 9, 13, 44, 48, 52]) {
            if at >= len {
                continue;
            }
            for mask in [0xffu8, 0x01] {
                let mut m = original.clone();
                m[at] ^= mask;
                tried += 1;
                if assert_reported(&m, &format!("{name}: byte {at} ^ {mask:#04x}"), &out) {
                    rejected += 1;
                }
            }
        }
        // Truncations.
        for cut in (0..len).step_by((len / 13).max(1)) {
            tried += 1;
            if assert_reported(&original[..cut], &format!("{name}: cut at {cut}"), &out) {
                rejected += 1;
            }
        }
    }
    eprintln!("{rejected} of {tried} damaged files rejected by the reader, all reported");
    // The test means something only if many mutants were rejected.
    assert!(rejected > tried / 4, "{rejected} of {tried} rejected");
}

#[test]
fn checksum_damage_names_the_structure_and_offset() {
    let original = std::fs::read(fixture("libver_latest.h5")).unwrap();
    // The first object header (signature OHDR) after the superblock: flip a byte in it.
    let at = original.windows(4).position(|w| w == b"OHDR").unwrap();
    let mut m = original.clone();
    m[at + 6] ^= 0x5a;
    let out = scratch("ohdr.h5");
    std::fs::write(&out, &m).unwrap();
    let report = check_file(&out).unwrap();
    assert!(!report.is_ok());
    let p = report
        .problems
        .iter()
        .find(|p| p.offset == Some(at as u64))
        .unwrap_or_else(|| panic!("no problem at {at}:\n{}", render(&report)));
    assert!(p.message.contains("object header"), "{}", p.message);
    assert!(
        p.message.contains(&format!("byte offset {at}")),
        "{}",
        p.message
    );
}

#[test]
fn garbage_and_empty_files_are_problems_and_missing_files_errors() {
    let out = scratch("garbage.h5");
    std::fs::write(&out, b"this is not an HDF5 file at all").unwrap();
    let report = check_file(&out).unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.problems[0].path, "/");
    assert_eq!(report.problems[0].offset, Some(0));
    std::fs::write(&out, b"").unwrap();
    assert!(!check_file(&out).unwrap().is_ok());
    assert!(matches!(
        check_file(scratch("does-not-exist.h5")),
        Err(Error::Io(_))
    ));
}

/// Two contiguous datasets of the same size, written by h5py without checksums
/// (libver earliest); the second one's data address is patched to the first one's.
#[test]
fn overlapping_structures_are_reported() {
    if common::skip_unless(
        common::Needs::HostTools,
        "overlapping_structures_are_reported",
    ) {
        return;
    }
    let path = scratch("overlap.h5");
    common::run_python(
        "import sys, h5py, numpy as np\n\
         with h5py.File(sys.argv[1], 'w', libver='earliest') as f:\n\
         \x20   f.create_dataset('a', data=np.full(64, 0x1111111111111111, dtype='<u8'))\n\
         \x20   f.create_dataset('b', data=np.full(64, 0x2222222222222222, dtype='<u8'))\n",
        &[path.to_str().unwrap()],
    )
    .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let find = |bytes: &[u8], pat: &[u8]| bytes.windows(pat.len()).position(|w| w == pat).unwrap();
    let a = find(&bytes, &[0x11; 16]) as u64;
    let b = find(&bytes, &[0x22; 16]) as u64;
    // The layout message of `b` stores its address (8 bytes) followed by its size (8 bytes).
    let mut field = b.to_le_bytes().to_vec();
    field.extend_from_slice(&512u64.to_le_bytes());
    let at = find(&bytes, &field);
    bytes[at..at + 8].copy_from_slice(&a.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    // The reader does not notice: `b` now reads `a`'s values.
    let f = File::open(&path).unwrap();
    let values = f.dataset("b").unwrap().read::<u64>().unwrap();
    assert!(values.iter().all(|v| *v == 0x1111111111111111));
    drop(f);
    // The check does.
    let report = check_file(&path).unwrap();
    assert!(!report.is_ok());
    let p = report
        .problems
        .iter()
        .find(|p| p.message.contains("overlaps"))
        .unwrap_or_else(|| panic!("no overlap:\n{}", render(&report)));
    assert_eq!(p.offset, Some(a));
    assert!(
        p.message.contains(&format!("byte offset {a}")),
        "{}",
        p.message
    );
}

#[test]
fn the_command_prints_problems_and_exits_with_1_0_or_2() {
    if common::skip_unless(
        common::Needs::HostTools,
        "the_command_prints_problems_and_exits_with_1_0_or_2",
    ) {
        return;
    }
    let exe = env!("CARGO_BIN_EXE_jangada");
    let ok = std::process::Command::new(exe)
        .arg("check")
        .arg(fixture("libver_latest.h5"))
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("OK: 0 problems"));

    let original = std::fs::read(fixture("libver_latest.h5")).unwrap();
    let at = original.windows(4).position(|w| w == b"OHDR").unwrap();
    let mut m = original.clone();
    m[at + 6] ^= 0x5a;
    let out = scratch("cli-bad.h5");
    std::fs::write(&out, &m).unwrap();
    let bad = std::process::Command::new(exe)
        .arg("check")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(text.contains(&format!("byte offset {at}")), "{text}");
    assert!(
        text.lines().last().unwrap().starts_with("FAILED: "),
        "{text}"
    );

    let missing = std::process::Command::new(exe)
        .arg("check")
        .arg(scratch("missing.h5"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let usage = std::process::Command::new(exe)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
