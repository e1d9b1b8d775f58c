//! Chunk indexes and filters against files written by libhdf5 (HDF5 2.0.0 via h5py 3.16.0).
//!
//! `tests/data/chunks/gen_chunks.py` made every `*.h5` there together with a `*.json` that
//! records, for each dataset, the Data Layout message fields and every stored chunk: its
//! offset, stored bytes and filter mask as libhdf5 reads them (`H5Dread_chunk`), its address
//! (`H5Dchunk_iter`; absent where libhdf5 reports wrong offsets, for extensible arrays whose
//! unlimited dimension is not the first) and its expected unfiltered bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use jangada_hdf5::chunk_index::{read_index, Chunk, IndexParams};
use jangada_hdf5::dataspace::UNLIMITED;
use jangada_hdf5::filters::decode_chunk_at;
use jangada_hdf5::io::{Addr, FileImage, Sizes};
use jangada_hdf5::messages::filter_pipeline::{Filter, FilterPipeline};
use jangada_hdf5::messages::layout::{ChunkIndexKind, ChunkedLayout};
use jangada_hdf5::Error;
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/chunks")
}

fn load(name: &str) -> (Vec<u8>, Value) {
    let dir = data_dir();
    let bytes = std::fs::read(dir.join(format!("{name}.h5"))).unwrap();
    let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    (bytes, serde_json::from_str(&json).unwrap())
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap_or(UNLIMITED))
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// One stored chunk as libhdf5 sees it.
struct Expected {
    offset: Vec<u64>,
    addr: Option<u64>,
    size: u64,
    mask: u32,
    unfiltered: Vec<u8>,
    stored: Vec<u8>,
}

/// Everything a test needs about one dataset.
struct Dataset {
    dims: Vec<u64>,
    max_dims: Vec<u64>,
    chunk_dims: Vec<u64>,
    element_size: u64,
    pipeline: FilterPipeline,
    layout: ChunkedLayout,
    /// Stored chunks, sorted by offset.
    expected: Vec<Expected>,
}

impl Dataset {
    fn from_json(v: &Value) -> Self {
        let l = &v["layout"];
        let addr = l["addr"].as_u64().map(Addr);
        let byte = |k: &str| l[k].as_u64().unwrap() as u8;
        let index = match l["index_type"].as_u64().unwrap() {
            1 => ChunkIndexKind::SingleChunk {
                addr,
                filtered: l.get("filtered_size").map(|s| {
                    (
                        s.as_u64().unwrap(),
                        l["filtered_mask"].as_u64().unwrap() as u32,
                    )
                }),
            },
            2 => ChunkIndexKind::Implicit { addr },
            3 => ChunkIndexKind::FixedArray {
                page_bits: byte("page_bits"),
                addr,
            },
            4 => ChunkIndexKind::ExtensibleArray {
                max_bits: byte("max_bits"),
                index_elements: byte("index_elements"),
                min_pointers: byte("min_pointers"),
                min_elements: byte("min_elements"),
                page_bits: byte("page_bits"),
                addr,
            },
            t => panic!("index type {t} not covered"),
        };
        let mut chunk_dims = u64s(&l["dims"]);
        let element_size = chunk_dims.pop().unwrap();
        assert_eq!(element_size, v["element_size"].as_u64().unwrap());
        let filters = v["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| Filter {
                id: f["id"].as_u64().unwrap() as u16,
                name: Some(f["name"].as_str().unwrap().to_string()),
                flags: f["flags"].as_u64().unwrap() as u16,
                client_data: f["client_data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u32)
                    .collect(),
            })
            .collect();
        let mut expected: Vec<_> = v["stored"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Expected {
                offset: u64s(&c[0]),
                addr: c[1].as_u64(),
                size: c[2].as_u64().unwrap(),
                mask: c[3].as_u64().unwrap() as u32,
                unfiltered: hex(c[4].as_str().unwrap()),
                stored: hex(c[5].as_str().unwrap()),
            })
            .collect();
        expected.sort_by(|a, b| a.offset.cmp(&b.offset));
        Dataset {
            dims: u64s(&v["shape"]),
            max_dims: u64s(&v["maxshape"]),
            chunk_dims: chunk_dims.clone(),
            element_size,
            pipeline: FilterPipeline { filters },
            layout: ChunkedLayout {
                version: l["version"].as_u64().unwrap() as u8,
                flags: byte("flags"),
                chunk_dims,
                element_size,
                index,
            },
            expected,
        }
    }

    fn params(&self) -> IndexParams<'_> {
        IndexParams {
            dims: &self.dims,
            max_dims: &self.max_dims,
            chunk_dims: &self.chunk_dims,
            element_size: self.element_size,
            filtered: !self.pipeline.filters.is_empty(),
            layout_version: self.layout.version,
        }
    }

    fn chunks(&self, img: &FileImage<'_>) -> jangada_hdf5::Result<Vec<Chunk>> {
        let mut c = read_index(img, &self.layout, &self.params())?;
        c.sort_by(|a, b| a.offset.cmp(&b.offset));
        Ok(c)
    }

    fn chunk_bytes(&self) -> usize {
        self.params().chunk_bytes().unwrap() as usize
    }
}

/// Check every dataset of a file: index contents against libhdf5's, and decoded chunk
/// bytes against the dataset values. Returns (datasets, chunks) checked.
fn check_file(name: &str, expect_index: &[(&str, u8)]) -> (usize, usize) {
    let (bytes, json) = load(name);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let mut total = 0;
    let obj = json.as_object().unwrap();
    for (dset, index_type) in expect_index {
        let v = obj
            .get(*dset)
            .unwrap_or_else(|| panic!("{name}: no {dset}"));
        assert_eq!(
            v["layout"]["index_type"].as_u64().unwrap(),
            u64::from(*index_type),
            "{name}/{dset}: index type"
        );
    }
    for (dset, v) in obj {
        let d = Dataset::from_json(v);
        let got = d
            .chunks(&img)
            .unwrap_or_else(|e| panic!("{name}/{dset}: {e}"));
        assert_eq!(got.len(), d.expected.len(), "{name}/{dset}: chunk count");
        for (c, e) in got.iter().zip(&d.expected) {
            let offset = &e.offset;
            assert_eq!(&c.offset, offset, "{name}/{dset}");
            if let Some(addr) = e.addr {
                assert_eq!(c.addr.get(), addr, "{name}/{dset} {offset:?}");
            }
            assert_eq!(c.size, e.size, "{name}/{dset} {offset:?}");
            assert_eq!(c.filter_mask, e.mask, "{name}/{dset} {offset:?}");
            let stored = img.slice(c.addr, c.size, "chunk").unwrap();
            assert_eq!(
                stored,
                &e.stored[..],
                "{name}/{dset} {offset:?}: stored bytes"
            );
            let decoded = decode_chunk_at(
                &d.pipeline,
                c.filter_mask,
                stored,
                d.element_size as usize,
                d.chunk_bytes(),
                c.addr.get(),
            );
            // LZF (32000) included: h5py's own filter, decoded since issue 14.
            {
                assert_eq!(
                    decoded.unwrap(),
                    e.unfiltered,
                    "{name}/{dset} {offset:?}: data"
                );
            }
        }
        total += got.len();
    }
    (obj.len(), total)
}

const MISC: [(&str, u8); 7] = [
    ("single", 1),
    ("single_f", 1),
    ("implicit", 2),
    ("fa_small", 3),
    ("fa_resizable", 3),
    ("ea_narrow", 4),
    ("lzf", 3),
];

#[test]
fn misc_v110() {
    assert_eq!(
        check_file("misc_v110", &MISC),
        (7, 1 + 1 + 6 + 6 + 6 + 14 + 2)
    );
}

#[test]
fn misc_latest() {
    let (bytes, json) = load("misc_latest");
    // Layout version 5 for the filtered datasets under libver latest.
    assert_eq!(json["single_f"]["layout"]["version"], 5);
    assert_eq!(json["single"]["layout"]["version"], 4);
    drop(bytes);
    assert_eq!(check_file("misc_latest", &MISC).0, 7);
}

#[test]
fn fixed_array_paged() {
    // 36 x 31 = 1116 elements > 1024: a paged data block; rows 20..30 never written.
    let (n, chunks) = check_file("fa_v110", &[("fa_paged", 3)]);
    assert_eq!((n, chunks), (1, 1116 - 5 * 31));
}

#[test]
fn fixed_array_paged_filtered() {
    // Plus one chunk written directly with filter mask 0b111.
    for name in ["fa_filtered_v110", "fa_filtered_latest"] {
        assert_eq!(check_file(name, &[("fa_paged", 3)]), (1, 1116 - 5 * 31 + 1));
    }
    let (_, json) = load("fa_filtered_latest");
    assert_eq!(json["fa_paged"]["layout"]["version"], 5);
}

#[test]
fn extensible_array_super_blocks() {
    // 2250 (filtered: 1350) chunks each, 100 never written; unlimited axis first and last.
    let want = [("ea_first", 4), ("ea_last", 4)];
    assert_eq!(check_file("ea_v110", &want), (2, 2 * 2150));
    assert_eq!(check_file("ea_filtered_v110", &want), (2, 2 * 1250));
    assert_eq!(check_file("ea_filtered_latest", &want), (2, 2 * 1250));
}

#[test]
fn extensible_array_paged_data_blocks() {
    let want = [("u/ea_sparse", 4), ("f/ea_sparse", 4)];
    for name in ["ea_sparse_v110", "ea_sparse_latest"] {
        assert_eq!(check_file(name, &want), (2, 14));
    }
}

/// Flip one byte at a time over a structure, expecting an error (usually a checksum error)
/// and never a panic.
fn flip_each_byte(name: &str, dset: &str, from: u64, len: u64) -> usize {
    let (mut bytes, json) = load(name);
    let d = Dataset::from_json(&json[dset]);
    let mut checksum_errors = 0;
    for pos in from..from + len {
        bytes[pos as usize] ^= 0x5a;
        let img = FileImage::new(&bytes, 0, Sizes::default());
        match d.chunks(&img) {
            Err(Error::Checksum { .. }) => checksum_errors += 1,
            Err(_) => {}
            Ok(c) => assert_ne!(c.len(), usize::MAX),
        }
        bytes[pos as usize] ^= 0x5a;
    }
    checksum_errors
}

#[test]
fn corruption_is_detected() {
    // Fixed array header (FAHD, 8 + 8 + 8 + 4 bytes): every flipped byte is caught.
    let (_, json) = load("fa_v110");
    let fahd = json["fa_paged"]["layout"]["addr"].as_u64().unwrap();
    assert_eq!(flip_each_byte("fa_v110", "fa_paged", fahd, 28), 28);
    // Extensible array header (EAHD).
    let (_, json) = load("ea_v110");
    let eahd = json["ea_last"]["layout"]["addr"].as_u64().unwrap();
    let len = 12 + 6 * 8 + 8 + 4;
    assert_eq!(
        flip_each_byte("ea_v110", "ea_last", eahd, len),
        len as usize
    );
}

#[test]
fn truncated_files_fail_cleanly() {
    for (name, dset) in [
        ("fa_v110", "fa_paged"),
        ("ea_v110", "ea_first"),
        ("ea_sparse_v110", "f/ea_sparse"),
        ("misc_v110", "implicit"),
    ] {
        let (bytes, json) = load(name);
        let d = Dataset::from_json(&json[dset]);
        let step = (bytes.len() / 97).max(1);
        let mut failures = 0;
        for cut in (0..bytes.len()).step_by(step) {
            let img = FileImage::new(&bytes[..cut], 0, Sizes::default());
            if d.chunks(&img).is_err() {
                failures += 1;
            }
        }
        assert!(failures > 0, "{name}");
    }
}

#[test]
fn every_data_block_checksum_is_verified() {
    // Corrupt the page of the sparse extensible array holding chunk 131100: its checksum
    // fails even though the data block and super block are intact.
    let (mut bytes, json) = load("ea_sparse_v110");
    let d = Dataset::from_json(&json["u/ea_sparse"]);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let chunks = d.chunks(&img).unwrap();
    assert_eq!(chunks.len(), 7);
    // Find the index element pointing at that chunk and flip a byte of it.
    let target = chunks
        .iter()
        .find(|c| c.offset == [131100])
        .unwrap()
        .addr
        .get();
    let needle = target.to_le_bytes();
    let pos = bytes
        .windows(8)
        .position(|w| w == needle)
        .expect("element in the file");
    bytes[pos] ^= 1;
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(matches!(
        d.chunks(&img),
        Err(Error::Checksum {
            structure: "extensible array data block page",
            ..
        })
    ));
}
