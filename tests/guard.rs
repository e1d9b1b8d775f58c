//! A watchdog for untrusted-input tests: runs a closure on a worker thread under a counting
//! global allocator and fails on a panic, a hang, or an allocation peak above a limit.
//!
//! Include with `mod guard;` in a test crate: it installs the crate's global allocator.
#![allow(dead_code, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

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
            let grow = new_size - layout.size();
            let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
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

/// The allocation limit for an input of `len` bytes: 64 x the input + 16 MiB.
pub fn limit(len: usize) -> usize {
    len.saturating_mul(64).saturating_add(16 << 20)
}

/// Run `f` on a worker thread; panic (naming `what`) if it panics, runs longer than
/// `timeout`, or its allocation peak exceeds `limit` bytes. One call at a time (the
/// counters are process-wide).
pub fn survive(what: &str, limit: usize, timeout: Duration, f: impl FnOnce() + Send + 'static) {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        f();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        let _ = tx.send(peak);
    });
    match rx.recv_timeout(timeout) {
        Ok(peak) => assert!(
            peak <= limit,
            "{what}: allocated {peak} bytes (limit {limit})"
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the reader panicked"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: the reader hung for {timeout:?}"),
    }
    assert!(handle.join().is_ok(), "{what}: the reader panicked");
}
