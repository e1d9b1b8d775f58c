//! Files created in memory (`File::create_in_memory`, what the browser demo offers for
//! download): the same bytes as the same file created on disk, and h5py and h5dump read them.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::{h5dump_ok, h5py_dump, json_diff, scratch_dir};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{File, Storage};
use ndarray::{ArrayD, IxDyn};

/// Groups, attributes, a compressed chunked dataset that grows, a contiguous one, strings.
fn fill(f: &File) {
    let root = f.root().unwrap();
    root.set_attr("title", "made in memory").unwrap();
    let g = root.create_group("run/1").unwrap();
    g.set_attr("gain", 2.5f64).unwrap();
    let grid = ArrayD::from_shape_fn(IxDyn(&[40, 30]), |i| (i[0] * 30 + i[1]) as f32 * 0.5);
    g.new_dataset("grid")
        .chunks(&[16, 16])
        .deflate(4)
        .write(&grid)
        .unwrap();
    let line = ArrayD::from_shape_fn(IxDyn(&[1000]), |i| i[0] as i64 - 500);
    root.new_dataset("line")
        .storage(Storage::Contiguous)
        .write(&line)
        .unwrap();
    let series = root
        .new_dataset("series")
        .chunks(&[64])
        .maxshape(&[None])
        .write(&ArrayD::from_shape_fn(IxDyn(&[100]), |i| i[0] as u16))
        .unwrap();
    series
        .append(&ArrayD::from_shape_fn(IxDyn(&[50]), |i| 1000 + i[0] as u16))
        .unwrap();
    root.new_dataset("names")
        .write_strings(&[3], &["a".to_string(), "bé".into(), "".into()])
        .unwrap();
}

#[test]
fn a_file_made_in_memory_is_the_file_made_on_disk() {
    let memory = File::create_in_memory().unwrap();
    fill(&memory);
    let bytes = memory.to_bytes().unwrap();
    // Taking the bytes flushes; the handle stays usable and a second take is the same.
    assert_eq!(memory.to_bytes().unwrap(), bytes);
    drop(memory);

    let dir = scratch_dir("in_memory");
    let disk_path = dir.join("disk.h5");
    let disk = File::create_truncate(&disk_path).unwrap();
    fill(&disk);
    disk.close().unwrap();
    assert_eq!(
        std::fs::read(&disk_path).unwrap(),
        bytes,
        "the in-memory file differs from the same file written to disk"
    );

    // Read back from memory, and by h5py and h5dump from a copy on disk.
    let back = File::from_bytes(bytes.clone()).unwrap();
    assert_eq!(
        back.dataset("series").unwrap().read::<u16>().unwrap().len(),
        150
    );
    let copy = dir.join("from_memory.h5");
    std::fs::write(&copy, &bytes).unwrap();
    let ours = dump_file(&copy).unwrap();
    let theirs = h5py_dump(&copy);
    assert_eq!(json_diff("", &ours, &theirs), None, "h5py reads otherwise");
    assert_eq!(
        theirs["members"]["run"]["members"]["1"]["members"]["grid"]["data"][32],
        serde_json::json!(16.0)
    );
    h5dump_ok(&copy).unwrap();
}

#[test]
fn a_read_only_file_in_memory_refuses_writes() {
    let memory = File::create_in_memory().unwrap();
    fill(&memory);
    let ro = File::from_bytes(memory.to_bytes().unwrap()).unwrap();
    let root = ro.root().unwrap();
    assert!(root.set_attr("x", 1i32).is_err());
    assert!(root.create_group("g").is_err());
    assert_eq!(ro.to_bytes().unwrap(), memory.to_bytes().unwrap());
}
