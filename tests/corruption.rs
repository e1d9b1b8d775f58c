//! Untrusted input: every fixture, truncated at many points and with random bytes flipped,
//! must give `Err` or a value, never a panic, a hang, or an allocation beyond a small
//! multiple of the file's size.
//!
//! A counting global allocator measures the peak of live heap bytes while each mutated file
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

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use jangada_hdf5::{File, Group, Node};
use proptest::prelude::*;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

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

/// Open and walk `bytes` on a worker thread; fail on a panic, a hang, or an allocation
/// peak above `limit` bytes.
fn survive(bytes: Vec<u8>, what: String) {
    // One walk at a time: the allocation counters are process-wide.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let len = bytes.len() as u64;
    let limit = 64 * len + (16 << 20);
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        if let Ok(file) = File::from_bytes(bytes) {
            if let Ok(root) = file.root() {
                walk(&root, 8 * len + (1 << 20), 0);
            }
        }
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        let _ = tx.send(peak);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(peak) => assert!(
            peak as u64 <= limit,
            "{what}: allocated {peak} bytes (limit {limit})"
        ),
        Err(_) => {
            if handle.is_finished() {
                panic!("{what}: the reader panicked");
            }
            panic!("{what}: the reader hung for 20 s");
        }
    }
    assert!(handle.join().is_ok(), "{what}: the reader panicked");
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
