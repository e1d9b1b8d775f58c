//! Untrusted input: every fixture, truncated at many points and with random bytes flipped,
//! must give `Err` or a value, never a panic, a hang, or an allocation beyond a small
//! multiple of the file's size.
//!
//! A counting global allocator (`guard.rs`) measures the peak of live heap bytes while each mutated file
//! is walked; the walk reads only datasets whose in-memory size is bounded by the file size
//! (a careful caller's check; reading a huge, never-written dataset filled with its fill
//! value is a legitimate large allocation, not an attack).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod guard;

use std::time::Duration;

use jangada_hdf5::{File, Group, Node};
use proptest::prelude::*;

fn read_attrs(attrs: jangada_hdf5::Result<Vec<jangada_hdf5::Attribute>>) {
    for a in attrs.unwrap_or_default() {
        let _ = a.read_dyn();
    }
}

/// Walk everything reachable, reading attributes and (bounded) datasets; errors are fine.
fn walk(group: &Group, budget: u64, depth: u32) {
    if depth > 40 {
        return;
    }
    read_attrs(group.attrs());
    let Ok(links) = group.links() else { return };
    for link in links.iter().take(2000) {
        match group.get(&link.name) {
            Ok(Node::Group(g)) if g.addr() != group.addr() => walk(&g, budget, depth + 1),
            Ok(Node::Dataset(d)) => {
                read_attrs(d.attrs());
                let bytes = d.size().saturating_mul(u64::from(d.dtype().size));
                if bytes <= budget {
                    let _ = d.read_dyn();
                }
            }
            _ => {}
        }
    }
}

/// Open and walk `bytes` on a worker thread; fail on a panic, a hang (20 s), or an
/// allocation peak above [`guard::limit`].
fn survive(bytes: Vec<u8>, what: String) {
    let len = bytes.len();
    guard::survive(
        &what,
        guard::limit(len),
        Duration::from_secs(20),
        move || {
            if let Ok(file) = File::from_bytes(bytes) {
                if let Ok(root) = file.root() {
                    walk(&root, 8 * len as u64 + (1 << 20), 0);
                }
            }
        },
    );
}

fn corpus() -> &'static [(String, Vec<u8>)] {
    static CORPUS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = common::fixture_files()
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    // Small files first; the largest add little and cost the most.
    files.sort_by_key(|f| f.1.len());
    let keep = std::env::var("JANGADA_CORRUPTION_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    files.truncate(keep);
    files
}

#[test]
fn truncated_fixtures_are_rejected_cleanly() {
    for (name, bytes) in corpus().iter() {
        let len = bytes.len();
        let mut points: Vec<usize> = (0..24).map(|i| len * i / 24).collect();
        points.extend([len.saturating_sub(1), len.saturating_sub(4), 8, 40, 100]);
        for cut in points {
            let cut = cut.min(len);
            survive(
                bytes[..cut].to_vec(),
                format!("{name} truncated to {cut} bytes"),
            );
        }
    }
}

proptest! {
    // JANGADA_CORRUPTION_CASES raises the count for long local runs.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("JANGADA_CORRUPTION_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300),
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn flipped_bytes_never_panic_hang_or_overallocate(
        pick in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..16),
        overwrite in any::<bool>(),
    ) {
        let files = corpus();
        prop_assume!(!files.is_empty());
        let (name, bytes) = &files[pick.index(files.len())];
        let mut bytes = bytes.clone();
        let len = bytes.len();
        // XOR a mask in, or overwrite with 0x00 / 0xff (undefined addresses, huge sizes).
        for (at, mask) in &flips {
            let b = &mut bytes[at.index(len)];
            *b = match (overwrite, mask % 2) {
                (false, _) => *b ^ mask,
                (true, 0) => 0x00,
                (true, _) => 0xff,
            };
        }
        survive(bytes, format!("{name} with flips (overwrite: {overwrite}) {:?}", flips.iter().map(|(i, m)| (i.index(len), *m)).collect::<Vec<_>>()));
    }
}
