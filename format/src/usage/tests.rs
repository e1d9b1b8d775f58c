#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
use super::*;
use crate::io::FileImage;
use crate::superblock::{find_signature, Superblock};

fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Walk a whole file image.
fn walk(bytes: &[u8]) -> Result<(Usage, u64)> {
    let base = find_signature(bytes)
        .ok_or_else(|| crate::Error::corrupt("superblock", 0, "no signature"))?;
    let sb = Superblock::read(bytes)?;
    let img = FileImage::new(bytes, base, sb.sizes);
    let usage = used_extents(&img, &sb)?;
    Ok((usage, img.len()))
}

/// Fixtures whose walk is legitimately incomplete, and why.
const INCOMPLETE: &[(&str, &str)] = &[];

#[test]
fn every_fixture_is_accounted_for() {
    let mut names: Vec<_> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "h5"))
        .collect();
    names.sort();
    assert!(names.len() > 30);
    let mut failures = Vec::new();
    for path in &names {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let (usage, len) = match walk(&bytes) {
            Ok(u) => u,
            Err(e) => {
                failures.push(format!("{name}: error {e}"));
                continue;
            }
        };
        let expected_incomplete = INCOMPLETE.iter().any(|(n, _)| *n == name);
        if usage.complete == expected_incomplete {
            failures.push(format!(
                "{name}: complete={} reason={:?}",
                usage.complete, usage.reason
            ));
        }
        let overlaps = usage.overlaps();
        if !overlaps.is_empty() {
            failures.push(format!(
                "{name}: overlaps {:?}",
                &overlaps[..overlaps.len().min(3)]
            ));
        }
        let oob = usage.out_of_bounds(len);
        if !oob.is_empty() {
            failures.push(format!(
                "{name}: out of bounds {:?}",
                &oob[..oob.len().min(3)]
            ));
        }
        let gaps = usage.gaps(len);
        let total: u64 = gaps.iter().map(|g| g.1).sum();
        let mut biggest = gaps.clone();
        biggest.sort_by_key(|g| std::cmp::Reverse(g.1));
        biggest.truncate(4);
        println!(
            "{name}: {} bytes, {} extents, {} gap bytes in {} gaps, biggest {:?}{}",
            len,
            usage.extents.len(),
            total,
            gaps.len(),
            biggest,
            usage
                .reason
                .as_deref()
                .map(|r| format!(" [incomplete: {r}]"))
                .unwrap_or_default()
        );
        if total > (len / 10).max(4096) && usage.complete {
            failures.push(format!("{name}: {total} gap bytes of {len}: {biggest:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore]
fn debug_dump() {
    let name = std::env::var("FIXTURE").unwrap();
    let path = if name.ends_with(".h5") {
        std::path::PathBuf::from(&name)
    } else {
        fixtures_dir().join(format!("{name}.h5"))
    };
    let bytes = std::fs::read(path).unwrap();
    let (usage, len) = walk(&bytes).unwrap();
    let mut ex = usage.extents.clone();
    ex.sort_by_key(|e| e.addr);
    for e in ex {
        println!("{:>8} {:>8} {:>8} {}", e.addr.0, e.len, e.end(), e.what);
    }
    println!("gaps {:?} len {len}", usage.gaps(len));
}

#[test]
fn walk_cost_on_the_biggest_fixtures() {
    for name in [
        "jangada_containers",
        "groups_symbol_table_1000",
        "groups_dense_1000",
        "layout_chunked_btree1",
    ] {
        let bytes = std::fs::read(fixtures_dir().join(format!("{name}.h5"))).unwrap();
        let t = std::time::Instant::now();
        let (usage, _) = walk(&bytes).unwrap();
        println!(
            "{name}: {} bytes, {} extents, walk {:.2} ms",
            bytes.len(),
            usage.extents.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
        assert!(usage.complete);
    }
}

/// Corrupting any byte gives an error or a result, never a panic or a hang; a flipped byte
/// in a checksummed structure the walk reads gives `Error::Checksum` or another error.
#[test]
fn corrupted_bytes_are_handled() {
    for name in [
        "attrs_track_order",
        "layout_chunked_earray",
        "groups_track_order",
    ] {
        let bytes = std::fs::read(fixtures_dir().join(format!("{name}.h5"))).unwrap();
        let step = (bytes.len() / 1500).max(1);
        for at in (0..bytes.len()).step_by(step) {
            let mut b = bytes.clone();
            b[at] ^= 0x5a;
            let _ = walk(&b);
        }
    }
}

#[test]
fn flipped_checksum_bytes_are_reported() {
    let bytes = std::fs::read(fixtures_dir().join("groups_dense_1000.h5")).unwrap();
    let (usage, _) = walk(&bytes).unwrap();
    // Every fractal heap and v2 B-tree block ends in a checksum the walk verifies.
    let mut checked = 0;
    for e in usage
        .extents
        .iter()
        .filter(|e| matches!(e.what, "v2 B-tree" | "object header"))
        .take(40)
    {
        let mut b = bytes.clone();
        let last = (e.addr.0 + e.len - 1) as usize;
        b[last] ^= 0xff;
        match walk(&b) {
            Err(crate::Error::Checksum { .. }) => checked += 1,
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => {}
        }
    }
    assert!(checked >= 10, "{checked}");
}

#[test]
fn gaps_and_overlaps_of_synthetic_extents() {
    let e = |a: u64, l: u64| Extent {
        addr: Addr(a),
        len: l,
        what: "x",
    };
    let u = Usage {
        extents: vec![e(10, 5), e(0, 8), e(12, 2), e(30, 10), e(50, 0)],
        complete: true,
        reason: None,
    };
    assert_eq!(
        u.gaps(45),
        vec![(Addr(8), 2), (Addr(15), 15), (Addr(40), 5)]
    );
    assert_eq!(u.gaps(35), vec![(Addr(8), 2), (Addr(15), 15)]);
    assert_eq!(u.overlaps(), vec![(e(10, 5), e(12, 2))]);
    assert_eq!(u.out_of_bounds(35), vec![e(30, 10), e(50, 0)]);
    assert_eq!(u.used_bytes(), 25);
}

/// External storage: the local heap of file names is accounted for; the raw data is in
/// other files.
#[test]
fn external_storage_is_accounted_for() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/usage");
    let bytes = std::fs::read(dir.join("external.h5")).unwrap();
    let (usage, len) = walk(&bytes).unwrap();
    assert!(usage.complete, "{:?}", usage.reason);
    assert!(usage.overlaps().is_empty());
    assert!(usage.out_of_bounds(len).is_empty());
    // The heap's header and data segment.
    let heaps = usage
        .extents
        .iter()
        .filter(|e| e.what == "local heap")
        .count();
    assert!(heaps >= 2, "{:?}", usage.extents);
}

/// Files made by `format/tests/data/usage/make.py`: features whose space the walk cannot
/// account for make it incomplete, with a reason naming the feature.
#[test]
fn unaccountable_features_make_the_walk_incomplete() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/usage");
    let bytes = std::fs::read(dir.join("fs_page.h5")).unwrap();
    let (usage, len) = walk(&bytes).unwrap();
    assert!(!usage.complete);
    assert_eq!(usage.reason.as_deref(), Some("superblock extension"));
    // What was found is still consistent.
    assert!(usage.overlaps().is_empty());
    assert!(usage.out_of_bounds(len).is_empty());
    // A virtual dataset's mapping list is a global heap collection: accounted for.
    let bytes = std::fs::read(dir.join("virtual.h5")).unwrap();
    let (usage, len) = walk(&bytes).unwrap();
    assert!(usage.complete, "{:?}", usage.reason);
    assert!(usage.overlaps().is_empty());
    assert!(usage.out_of_bounds(len).is_empty());
    assert!(usage
        .extents
        .iter()
        .any(|e| e.what == "global heap collection"));
}
