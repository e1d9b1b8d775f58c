//! File locking like libhdf5's (shared for `r`, exclusive for `r+`/`w`/`a`), checked against
//! a second process holding the file (h5py, i.e. libhdf5, which uses the same `flock` locks)
//! and against our own binary; and many threads reading one open file at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use jangada_hdf5::store::{LockPolicy, LOCKING_ENV};
use jangada_hdf5::{Error, File, Mode, Selection, SliceArg};

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-locking");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// Locking is on in this process (the tests are meaningless when the environment turns it
/// off; they then pass vacuously, saying so).
fn locking_on() -> bool {
    let on = LockPolicy::from_env() != LockPolicy::Off;
    if !on {
        eprintln!("{LOCKING_ENV} disables locking in this environment: skipped");
    }
    on
}

/// A small file with one dataset `/x` = 0..n as f64.
fn make(path: &Path, n: usize) {
    let f = File::create_truncate(path).unwrap();
    let data = ndarray::ArrayD::from_shape_fn(vec![n], |ix| ix[0] as f64);
    f.root().unwrap().write_dataset("x", &data).unwrap();
    f.close().unwrap();
}

/// h5py holding `path` open in `mode` until dropped.
struct Holder(Child);

impl Holder {
    fn new(path: &Path, mode: &str) -> Holder {
        let mut child = Command::new(common::venv_python())
            .arg("-c")
            .arg(
                "import sys, h5py\n\
                 f = h5py.File(sys.argv[1], sys.argv[2])\n\
                 print('ready', flush=True)\n\
                 sys.stdin.read()\n\
                 f.close()\n",
            )
            .arg(path)
            .arg(mode)
            .env_remove(LOCKING_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line.trim() != "ready" {
            let out = child.wait_with_output().unwrap();
            panic!(
                "h5py could not open {} in mode {mode}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Holder(child)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.0.stdin.take() {
            let _ = stdin.write_all(b"");
        }
        let _ = self.0.wait();
    }
}

/// Whether h5py (another process) can open `path` in `mode`.
fn h5py_opens(path: &Path, mode: &str) -> Result<String, String> {
    let out = Command::new(common::venv_python())
        .arg("-c")
        .arg("import sys, h5py\nwith h5py.File(sys.argv[1], sys.argv[2]) as f:\n    print(list(f))\n")
        .arg(path)
        .arg(mode)
        .env_remove(LOCKING_ENV)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn assert_locked(r: Result<File, Error>) {
    match r {
        Err(e @ Error::Locked) => {
            let text = e.to_string();
            assert!(text.contains("file is locked by another process"), "{text}");
            assert!(text.contains("HDF5_USE_FILE_LOCKING=FALSE"), "{text}");
        }
        Err(e) => panic!("expected a lock conflict, got {e}"),
        Ok(_) => panic!("expected a lock conflict, the open succeeded"),
    }
}

#[test]
fn env_values_are_read_like_libhdf5() {
    assert_eq!(LockPolicy::from_env_value(Some("FALSE")), LockPolicy::Off);
    assert_eq!(LockPolicy::from_env_value(Some("0")), LockPolicy::Off);
    assert_eq!(LockPolicy::from_env_value(Some("TRUE")), LockPolicy::Strict);
    assert_eq!(LockPolicy::from_env_value(Some("1")), LockPolicy::Strict);
    assert_eq!(
        LockPolicy::from_env_value(Some("BEST_EFFORT")),
        LockPolicy::BestEffort
    );
    // libhdf5 compares exactly: other spellings leave the default (locking on).
    assert_eq!(
        LockPolicy::from_env_value(Some("false")),
        LockPolicy::BestEffort
    );
    assert_eq!(LockPolicy::from_env_value(None), LockPolicy::BestEffort);
}

#[test]
fn h5py_writer_excludes_our_readers_and_writers() {
    if common::skip_unless(
        common::Needs::HostTools,
        "h5py_writer_excludes_our_readers_and_writers",
    ) {
        return;
    }
    if !locking_on() {
        return;
    }
    let path = scratch("h5py-writer.h5");
    make(&path, 10);
    let before = std::fs::read(&path).unwrap();
    {
        let _h = Holder::new(&path, "a");
        assert_locked(File::open_rw(&path));
        assert_locked(File::open(&path));
        assert_locked(File::open_with(&path, Mode::Append));
        // `w` must not empty the file another process has open.
        assert_locked(File::create_truncate(&path));
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
    }
    // h5py closed it: we can open it again, and nothing we tried changed it.
    let f = File::open_rw(&path).unwrap();
    assert_eq!(f.dataset("x").unwrap().read::<f64>().unwrap()[[3]], 3.0);
    drop(f);
    let _ = before;
}

#[test]
fn our_writer_excludes_h5py() {
    if common::skip_unless(common::Needs::HostTools, "our_writer_excludes_h5py") {
        return;
    }
    if !locking_on() {
        return;
    }
    let path = scratch("our-writer.h5");
    make(&path, 10);
    let f = File::open_rw(&path).unwrap();
    let err = h5py_opens(&path, "r").unwrap_err();
    assert!(err.to_lowercase().contains("lock"), "{err}");
    let err = h5py_opens(&path, "r+").unwrap_err();
    assert!(err.to_lowercase().contains("lock"), "{err}");
    // Every handle shares the lock; it goes with the last one.
    let g = f.clone();
    drop(f);
    assert!(h5py_opens(&path, "r").is_err());
    drop(g);
    assert_eq!(h5py_opens(&path, "r").unwrap().trim(), "['x']");
}

#[test]
fn readers_share_and_exclude_writers() {
    if common::skip_unless(
        common::Needs::HostTools,
        "readers_share_and_exclude_writers",
    ) {
        return;
    }
    if !locking_on() {
        return;
    }
    let path = scratch("readers.h5");
    make(&path, 10);
    // h5py reads, we read too; we cannot write.
    {
        let _h = Holder::new(&path, "r");
        let f = File::open(&path).unwrap();
        assert_eq!(f.dataset("x").unwrap().read::<f64>().unwrap()[[9]], 9.0);
        // (While we read too, the conflict is first with ourselves.)
        assert_held_here(File::open_rw(&path), "reading");
        drop(f);
        assert_locked(File::open_rw(&path));
    }
    // We read, h5py reads too; h5py cannot write.
    let f = File::open(&path).unwrap();
    assert_eq!(h5py_opens(&path, "r").unwrap().trim(), "['x']");
    let err = h5py_opens(&path, "r+").unwrap_err();
    assert!(err.to_lowercase().contains("lock"), "{err}");
    drop(f);
    assert_eq!(h5py_opens(&path, "r+").unwrap().trim(), "['x']");
}

/// A conflict with this process's own handles is a misuse, said so.
fn assert_held_here(r: Result<File, Error>, how: &str) {
    match r {
        Err(Error::Invalid(text)) => {
            assert!(
                text.contains(&format!("already open for {how} in this process")),
                "{text}"
            );
            assert!(text.contains("close every handle"), "{text}");
        }
        Err(e) => panic!("expected an in-process conflict, got {e}"),
        Ok(_) => panic!("expected an in-process conflict, the open succeeded"),
    }
}

#[test]
fn within_one_process_a_writer_excludes_a_second_open_until_closed() {
    if !locking_on() {
        return;
    }
    let path = scratch("same-process.h5");
    make(&path, 10);
    let w = File::open_rw(&path).unwrap();
    let ds = w.dataset("x").unwrap();
    assert_held_here(File::open(&path), "writing");
    assert_held_here(File::open_rw(&path), "writing");
    // A dataset handle keeps the file open after the file handle is closed.
    w.close().unwrap();
    assert_held_here(File::open(&path), "writing");
    drop(ds);
    let r1 = File::open(&path).unwrap();
    let r2 = File::open(&path).unwrap();
    assert_held_here(File::open_rw(&path), "reading");
    assert_held_here(File::create_truncate(&path), "reading");
    assert_eq!(r2.dataset("x").unwrap().read::<f64>().unwrap().len(), 10);
    drop((r1, r2));
    File::open_rw(&path).unwrap();
}

#[test]
fn the_environment_variable_disables_locking_like_libhdf5() {
    if common::skip_unless(
        common::Needs::HostTools,
        "the_environment_variable_disables_locking_like_libhdf5",
    ) {
        return;
    }
    let path = scratch("env.h5");
    make(&path, 10);
    let exe = env!("CARGO_BIN_EXE_jangada");
    let _h = Holder::new(&path, "a");
    let run = |value: Option<&str>| {
        let mut cmd = Command::new(exe);
        cmd.arg("ls").arg(&path);
        match value {
            Some(v) => cmd.env(LOCKING_ENV, v),
            None => cmd.env_remove(LOCKING_ENV),
        };
        cmd.output().unwrap()
    };
    let locked = run(None);
    assert!(!locked.status.success());
    let err = String::from_utf8_lossy(&locked.stderr);
    assert!(err.contains("file is locked by another process"), "{err}");
    assert!(!run(Some("TRUE")).status.success());
    for off in ["FALSE", "0"] {
        let free = run(Some(off));
        assert!(
            free.status.success(),
            "{off}: {}",
            String::from_utf8_lossy(&free.stderr)
        );
        assert!(String::from_utf8_lossy(&free.stdout).contains("x"));
    }
}

#[test]
fn many_threads_reading_one_open_file_get_correct_values() {
    if common::skip_unless(
        common::Needs::Threads,
        "many_threads_reading_one_open_file_get_correct_values",
    ) {
        return;
    }
    let path = scratch("threads.h5");
    let n = 100_000usize;
    {
        let f = File::create_truncate(&path).unwrap();
        let data = ndarray::ArrayD::from_shape_fn(vec![n], |ix| (ix[0] as f64) * 0.5);
        let root = f.root().unwrap();
        root.write_dataset("contiguous", &data).unwrap();
        root.new_dataset("chunked")
            .chunks(&[1000])
            .deflate(1)
            .write(&data)
            .unwrap();
        f.close().unwrap();
    }
    let f = File::open(&path).unwrap();
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let f = f.clone();
            s.spawn(move || {
                let mut rng = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                for i in 0..40 {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let start = (rng % (n as u64 - 1)) as i64;
                    let len = 1 + (rng >> 20) % 5000;
                    let stop = (start + len as i64).min(n as i64);
                    let name = if i % 2 == 0 { "contiguous" } else { "chunked" };
                    // A fresh handle sometimes, the shared one otherwise.
                    let ds = f.dataset(name).unwrap();
                    let sel = Selection::new([SliceArg::range(start, stop)]);
                    let got = ds.read_slice::<f64>(&sel).unwrap();
                    assert_eq!(got.len() as i64, stop - start);
                    for (k, v) in got.iter().enumerate() {
                        assert_eq!(*v, (start as f64 + k as f64) * 0.5, "thread {t} {name}");
                    }
                }
            });
        }
    });
}
