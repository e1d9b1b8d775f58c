//! A watchdog for untrusted-input tests: runs a closure on a worker thread under a counting
//! global allocator and fails on a panic, a hang, or an allocation peak above a limit.
//!
//! Include with `mod guard;` in a test crate: it installs the crate's global allocator.
#![allow(dead_code, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

struct Counting;

// Only the watched worker thread counts: other tests of the same binary run in parallel.
// Signed: memory allocated elsewhere may be freed by the worker.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

fn watched() -> bool {
    WATCHED.try_with(Cell::get).unwrap_or(false)
}

fn grew(n: usize) {
    if watched() {
        let n = n as isize;
        let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

fn shrank(n: usize) {
    if watched() {
        LIVE.fetch_sub(n as isize, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            shrank(layout.size() - new_size);
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
/// counters are shared; only the worker thread counts). On WebAssembly (no threads) `f`
/// runs on the calling thread: the allocation limit holds, the time limit is the runner's.
pub fn survive(what: &str, limit: usize, timeout: Duration, f: impl FnOnce() + Send + 'static) {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if cfg!(target_family = "wasm") {
        let peak = watch(f);
        assert!(
            peak <= limit,
            "{what}: allocated {peak} bytes (limit {limit})"
        );
        return;
    }
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(watch(f));
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

/// `f()` on this thread, counting its allocations: their peak in bytes.
fn watch(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    WATCHED.with(|w| w.set(true));
    f();
    WATCHED.with(|w| w.set(false));
    PEAK.load(Ordering::Relaxed).saturating_sub(base).max(0) as usize
}
