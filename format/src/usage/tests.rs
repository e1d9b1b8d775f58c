#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;
use crate::io::FileImage;
use crate::superblock::{find_signature, Superblock};

fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Walk a whole file image.
fn walk(bytes: &[u8]) -> Result<(Usage, u64)> {
    let base = find_signature(bytes).unwrap();
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
