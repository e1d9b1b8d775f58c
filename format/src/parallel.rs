//! Running independent pieces of work (decoding or encoding filtered chunks) on several
//! threads, for reads and writes large enough to profit.
//!
//! The number of threads is the machine's available parallelism, at most [`MAX_THREADS`];
//! the environment variable `JANGADA_THREADS` overrides it (`1` makes everything
//! single-threaded). No thread pool is kept: scoped threads are started per batch, which
//! costs tens of microseconds against the milliseconds a batch of chunks takes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The most threads used when `JANGADA_THREADS` does not say otherwise.
pub const MAX_THREADS: usize = 8;

/// Bytes of filtered chunks (decoded size) below which work stays on the calling thread.
/// (1 byte in this crate's unit tests, so that their multi-chunk reads take the threaded
/// path; the integration tests see the real value.)
#[cfg(not(test))]
pub const PARALLEL_MIN_BYTES: u64 = 4 << 20;
#[cfg(test)]
pub const PARALLEL_MIN_BYTES: u64 = 1;

/// Decoded bytes held at once by one batch of chunks (at least one chunk a thread).
pub const BATCH_BYTES: usize = 64 << 20;

/// The number of threads to use for chunk work.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        let configured = std::env::var("JANGADA_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok());
        match configured {
            Some(n) => n.max(1),
            None => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_THREADS),
        }
    })
}

/// The threads to use for `count` pieces of work totalling `bytes`: 1 when the work is too
/// small to profit.
pub fn threads_for(count: usize, bytes: u64) -> usize {
    if count < 2 || bytes < PARALLEL_MIN_BYTES {
        1
    } else {
        threads().min(count)
    }
}

/// How many pieces of `piece_bytes` each to handle in one batch on `threads` threads.
pub fn batch_len(threads: usize, piece_bytes: usize) -> usize {
    (BATCH_BYTES / piece_bytes.max(1)).clamp(threads.max(1), 1024)
}

/// `f(0), f(1), ..., f(n - 1)` computed on up to `threads` threads (the calling one
/// included), in index order. The threads share the work through a counter, so a thread
/// that cannot be started leaves its share to the others; a slot is `None` only when the
/// thread computing it panicked (the work functions report errors as values).
pub fn map_indexed<T, F>(n: usize, threads: usize, f: F) -> Vec<Option<T>>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    if threads <= 1 || n <= 1 {
        return (0..n).map(|i| Some(f(i))).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return done;
            }
            done.push((i, f(i)));
        }
    };
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads.min(n))
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        let mut all = work();
        for h in helpers {
            if let Ok(mut done) = h.join() {
                all.append(&mut done);
            }
        }
        for (i, v) in all {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(v);
            }
        }
    });
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_indexed_keeps_order_on_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            for n in [0, 1, 2, 7, 100] {
                let v = map_indexed(n, threads, |i| i * i);
                assert_eq!(v, (0..n).map(|i| Some(i * i)).collect::<Vec<_>>());
            }
        }
        assert_eq!(threads_for(1, u64::MAX), 1);
        assert!(threads_for(100, 1 << 30) >= 1);
        assert_eq!(batch_len(4, 1 << 30), 4);
        assert_eq!(batch_len(2, 1 << 20), 64);
    }
}
