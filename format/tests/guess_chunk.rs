//! `guess_chunk` against h5py 3.16 itself: `data/guess_chunk.json` holds h5py's chunk for 500
//! shapes (rank 1-4, dims 0..10^7 on a log scale, type sizes 1-16, plus edge cases), made by
//! `data/guess_chunk.py` (`.venv/bin/python format/tests/data/guess_chunk.py`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use jangada_hdf5::writer::chunking::{guess_chunk, CHUNK_BASE, CHUNK_MAX, CHUNK_MIN};
use serde_json::Value;

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("u64"))
        .collect()
}

#[test]
fn matches_h5py_on_500_shapes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/guess_chunk.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(doc["h5py"], "3.16.0");
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 500);
    let mut failures = Vec::new();
    for case in cases {
        let shape = u64s(&case["shape"]);
        let type_size = case["type_size"].as_u64().unwrap();
        let expected = u64s(&case["chunk"]);
        let ours = guess_chunk(&shape, type_size);
        if ours != expected {
            failures.push(format!(
                "{shape:?} x {type_size}: ours {ours:?}, h5py {expected:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn chunks_respect_the_limits() {
    // Every guessed chunk is below CHUNK_MAX bytes (or one element), and never larger than
    // the adjusted shape.
    for (shape, ts) in [
        (vec![10_000_000u64, 3], 8u64),
        (vec![0, 0, 0], 16),
        (vec![7], 1),
        (vec![123_456, 789], 4),
    ] {
        let chunk = guess_chunk(&shape, ts);
        let bytes: u64 = chunk.iter().product::<u64>() * ts;
        assert!(bytes < CHUNK_MAX, "{shape:?}: {chunk:?}");
        for (c, d) in chunk.iter().zip(&shape) {
            assert!(*c >= 1 && *c <= if *d == 0 { 1024 } else { *d });
        }
    }
    const { assert!(CHUNK_MIN < CHUNK_BASE && CHUNK_BASE < CHUNK_MAX) };
}

#[test]
fn scalar_shape_gives_empty_chunk() {
    // h5py raises ValueError("Chunks not allowed for scalar datasets."); we return [].
    assert!(guess_chunk(&[], 4).is_empty());
}
