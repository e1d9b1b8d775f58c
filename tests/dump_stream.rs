//! `jangada dump --json` streams (its memory does not grow with the data) and does not stop
//! at an unreadable object: the whole tree is printed, unreadable objects carry an `"error"`
//! member, and the command exits with status 1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{fixture_files, json_diff, read_json, run_python, sidecar};
use jangada::cli::dump::{dump_file, dump_to, dump_to_with_slabs};
use jangada_hdf5::File;
use ndarray::ArrayD;
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-dump-stream");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Run `jangada dump --json FILE` with stdout to `stdout`; its exit code, stderr and peak RSS
/// in KiB (`wait4`'s `ru_maxrss`, this child's alone).
// The child is reaped by `wait4` (which `Child::wait` cannot replace: it gives no rusage).
#[allow(clippy::zombie_processes)]
fn run_dump(file: &Path, stdout: Stdio) -> (i32, String, u64) {
    let stderr_path = scratch(&format!(
        "{}.stderr",
        file.file_name().unwrap().to_string_lossy()
    ));
    let child = Command::new(env!("CARGO_BIN_EXE_jangada"))
        .args(["dump", "--json"])
        .arg(file)
        .stdout(stdout)
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data that wait4 fills in; `pid` is our own child, which
    // `Child` has not waited for (it is dropped without `wait`).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status),
        "dump did not exit normally: {status}"
    );
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    (libc::WEXITSTATUS(status), stderr, usage.ru_maxrss as u64)
}

/// Most resident memory a dump may take, in KiB, whatever the data size (the figure
/// measured includes this test process's own peak, see [`big_file`]: it can only be too
/// high, never too low).
const RSS_BOUND_KIB: u64 = 64 << 10;

#[test]
fn slab_boundaries_do_not_change_the_output() {
    for h5 in fixture_files() {
        if !sidecar(&h5, ".json").exists() {
            continue;
        }
        let file = File::open(&h5).unwrap();
        let mut whole = Vec::new();
        let report = dump_to(&file, &mut whole).unwrap();
        assert_eq!(report.errors, 0, "{}", h5.display());
        // The library's tree dump is the same JSON.
        let tree = serde_json::to_string(&dump_file(&h5).unwrap()).unwrap();
        assert_eq!(String::from_utf8(whole.clone()).unwrap(), tree);
        for slab in [1, 7, 100] {
            let mut sliced = Vec::new();
            dump_to_with_slabs(&file, &mut sliced, slab).unwrap();
            assert!(
                sliced == whole,
                "{}: slabs of {slab} elements change the output",
                h5.display()
            );
        }
        let ours: Value = serde_json::from_slice(&whole).unwrap();
        if let Some(d) = json_diff("", &ours, &read_json(&sidecar(&h5, ".json"))) {
            panic!("{}: {d}", h5.display());
        }
    }
}

#[test]
fn slabs_split_later_axes_when_one_row_is_too_large() {
    // 3-D, chunked with an edge, read in slabs smaller than one row of axis 0 and of axis 1.
    let path = scratch("axes.h5");
    let f = File::create_truncate(&path).unwrap();
    let data = ArrayD::from_shape_fn(vec![5, 6, 7], |i| (i[0] * 100 + i[1] * 10 + i[2]) as i32);
    f.root()
        .unwrap()
        .new_dataset("d")
        .chunks(&[2, 4, 3])
        .write(&data)
        .unwrap();
    f.close().unwrap();
    let file = File::open(&path).unwrap();
    let mut whole = Vec::new();
    dump_to(&file, &mut whole).unwrap();
    let v: Value = serde_json::from_slice(&whole).unwrap();
    let flat: Vec<i64> = v["members"]["d"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect();
    assert_eq!(flat, data.iter().map(|&x| i64::from(x)).collect::<Vec<_>>());
    for slab in 1..=50 {
        let mut sliced = Vec::new();
        dump_to_with_slabs(&file, &mut sliced, slab).unwrap();
        assert!(sliced == whole, "slabs of {slab} elements");
    }
}

#[test]
fn an_unreadable_dataset_gets_an_error_member_and_the_rest_is_dumped() {
    // h5py writes an SZ3 dataset (filter 32024, which we do not decode) between good ones.
    let path = scratch("one_bad.h5");
    run_python(
        "import sys, h5py, hdf5plugin, numpy as np\n\
         with h5py.File(sys.argv[1], 'w') as f:\n\
         \x20   f['a'] = np.arange(5)\n\
         \x20   d = f.create_dataset('bad', data=np.zeros(1000, dtype='<f4'), chunks=(100,), **hdf5plugin.SZ3(absolute=0.1))\n\
         \x20   d.attrs['unit'] = 'm'\n\
         \x20   g = f.create_group('z')\n\
         \x20   g['b'] = np.linspace(0, 1, 3)\n\
         \x20   g.attrs['n'] = 3\n",
        &[path.to_str().unwrap()],
    )
    .unwrap();
    let out_path = scratch("one_bad.json");
    let (code, stderr, _) = run_dump(&path, std::fs::File::create(&out_path).unwrap().into());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("1 object could not be read"), "{stderr}");
    let ours: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    let bad = &ours["members"]["bad"];
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .starts_with("unsupported filter 32024"),
        "{bad}"
    );
    assert_eq!(bad["data"], Value::Null);
    assert_eq!(bad["dtype"], "<f4");
    assert_eq!(bad["shape"], serde_json::json!([1000]));
    assert_eq!(bad["maxshape"], serde_json::json!([1000]));
    assert_eq!(bad["chunks"], serde_json::json!([100]));
    assert_eq!(bad["attrs"]["unit"]["data"], serde_json::json!(["m"]));
    // Everything else is what h5py reads.
    let mut theirs = common::h5py_dump(&path);
    let mut ours_good = ours.clone();
    ours_good["members"].as_object_mut().unwrap().remove("bad");
    theirs["members"].as_object_mut().unwrap().remove("bad");
    if let Some(d) = json_diff("", &ours_good, &theirs) {
        panic!("{d}");
    }
    // The error fixtures too: each prints its tree with the error, exit status 1.
    for h5 in fixture_files() {
        let spec = sidecar(&h5, ".error.json");
        if !spec.exists() {
            continue;
        }
        let want = read_json(&spec)["error_contains"]
            .as_str()
            .unwrap()
            .to_string();
        let out_path = scratch("fixture.json");
        let (code, stderr, _) = run_dump(&h5, std::fs::File::create(&out_path).unwrap().into());
        assert_eq!(code, 1, "{}: {stderr}", h5.display());
        let text = std::fs::read_to_string(&out_path).unwrap();
        let _: Value = serde_json::from_str(&text).unwrap();
        assert!(
            text.contains("\"error\":") && text.contains(&want),
            "{text}"
        );
    }
}

#[test]
fn a_failure_part_way_leaves_a_prefix_and_an_error() {
    // A deflated dataset whose last chunk is damaged: the chunks before it are printed,
    // then the error.
    let path = scratch("late_damage.h5");
    let f = File::create_truncate(&path).unwrap();
    let data = ArrayD::from_shape_fn(vec![40], |i| i[0] as i64);
    f.root()
        .unwrap()
        .new_dataset("d")
        .chunks(&[10])
        .deflate(4)
        .write(&data)
        .unwrap();
    f.close().unwrap();
    let chunks = File::open(&path)
        .unwrap()
        .dataset("d")
        .unwrap()
        .stored_chunks()
        .unwrap();
    let last = chunks.iter().max_by_key(|c| c.offset.clone()).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = last.addr.get() as usize;
    for b in &mut bytes[at..at + last.size as usize] {
        *b = 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let file = File::open(&path).unwrap();
    let mut out = Vec::new();
    // Slabs of one chunk: three good ones, then the damaged one.
    let report = dump_to_with_slabs(&file, &mut out, 10).unwrap();
    assert_eq!(report.errors, 1);
    let v: Value = serde_json::from_slice(&out).unwrap();
    let d = &v["members"]["d"];
    assert!(d["error"].as_str().is_some_and(|e| !e.is_empty()), "{d}");
    assert_eq!(d["data"], serde_json::json!((0..30).collect::<Vec<i64>>()));
    // The library function fails instead.
    assert!(dump_file(&path).is_err());
}

/// A file with a 64 MiB float64 dataset (contiguous, 8 KiB rows, written) and a chunked
/// one of `fill_mib` MiB never written (fill values only), made by h5py in another process:
/// the peak RSS `wait4` reports for a child includes its parent's at the time of the
/// spawn (the kernel keeps the larger across `exec`), so this process must stay small.
fn big_file(name: &str, fill_mib: u64) -> PathBuf {
    let path = scratch(name);
    run_python(
        "import sys, h5py, numpy as np\n\
         with h5py.File(sys.argv[1], 'w') as f:\n\
         \x20   f['written'] = np.arange(8 << 20, dtype='<f8').reshape(8192, 1024)\n\
         \x20   f.create_dataset('fill', shape=((int(sys.argv[2]) << 20) // 8,), dtype='<f8',\n\
         \x20                    chunks=(1 << 17,), fillvalue=2.5)\n",
        &[path.to_str().unwrap(), &fill_mib.to_string()],
    )
    .unwrap();
    path
}

#[test]
fn dump_memory_does_not_grow_with_the_data() {
    let path = big_file("big.h5", 256);
    let (code, stderr, kib) = run_dump(&path, Stdio::null());
    assert_eq!(code, 0, "{stderr}");
    eprintln!("dump --json of 64 MiB written + 256 MiB fill: peak RSS {kib} KiB");
    if std::env::var_os("JANGADA_MMAP").is_some_and(|v| v == "0") {
        // Without maps (the path of WASI), files are read whole into memory at open.
        eprintln!("JANGADA_MMAP=0: the file is held in memory, the bound does not apply");
        return;
    }
    assert!(kib < RSS_BOUND_KIB, "peak RSS {kib} KiB");
    std::fs::remove_file(&path).unwrap();
}

/// About 20 s in a test build (5.5 MiB peak RSS): run with `--ignored`. The README quotes
/// the release figure.
#[test]
#[ignore]
fn dump_memory_of_a_1_gib_dataset() {
    let path = big_file("big_1g.h5", 1024);
    let start = std::time::Instant::now();
    let (code, stderr, kib) = run_dump(&path, Stdio::null());
    assert_eq!(code, 0, "{stderr}");
    eprintln!(
        "dump --json of 64 MiB written + 1 GiB fill: peak RSS {kib} KiB in {:.1?}",
        start.elapsed()
    );
    assert!(kib < RSS_BOUND_KIB, "peak RSS {kib} KiB");
    std::fs::remove_file(&path).unwrap();
}
