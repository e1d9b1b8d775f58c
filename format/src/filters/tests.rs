//! Unit and property tests of the filter pipeline.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::messages::filter_pipeline::id;
use proptest::prelude::*;
use std::sync::Arc;

fn filter(id: u16, flags: u16, client_data: Vec<u32>) -> Filter {
    Filter {
        id,
        name: None,
        flags,
        client_data,
    }
}

/// h5py's gzip + shuffle + fletcher32 pipeline for `size`-byte elements.
fn h5py_pipeline(size: u32, level: u32) -> FilterPipeline {
    FilterPipeline {
        filters: vec![
            filter(id::SHUFFLE, 1, vec![size]),
            filter(id::DEFLATE, 1, vec![level]),
            filter(id::FLETCHER32, 0, vec![]),
        ],
    }
}

#[test]
fn round_trip_h5py_pipeline() {
    let data: Vec<u8> = (0..4000u32).flat_map(|i| (i / 3).to_le_bytes()).collect();
    let p = h5py_pipeline(4, 6);
    let (stored, mask) = encode_chunk(&p, &data, 4).unwrap();
    assert_eq!(mask, 0);
    assert!(stored.len() < data.len() / 4);
    assert_eq!(decode_chunk(&p, 0, &stored, 4, data.len()).unwrap(), data);
}

#[test]
fn masked_filters_are_skipped() {
    let data: Vec<u8> = (0..64u8).collect();
    let p = h5py_pipeline(4, 6);
    // Every filter skipped: the stored bytes are the data.
    assert_eq!(decode_chunk(&p, 0b111, &data, 4, 64).unwrap(), data);
    // Only fletcher32 applied.
    let sealed = fletcher32::append(&data);
    assert_eq!(decode_chunk(&p, 0b011, &sealed, 4, 64).unwrap(), data);
}

#[test]
fn unknown_filters() {
    // LZO (not built in): its name from the id.
    let lzo = FilterPipeline {
        filters: vec![filter(id::LZO, 1, vec![])],
    };
    let err = decode_chunk(&lzo, 0, b"xxxx", 4, 4).unwrap_err();
    assert!(matches!(err, Error::UnsupportedFilter { id: 305, .. }));
    assert_eq!(err.to_string(), "unsupported filter 305 (lzo)");
    // Skipped by the mask: fine.
    assert_eq!(decode_chunk(&lzo, 1, b"abcd", 4, 4).unwrap(), b"abcd");
    // Named filter: its stored name is used.
    let mut named = filter(id::SZ, 0, vec![]);
    named.name = Some("SZ compressor".into());
    let p = FilterPipeline {
        filters: vec![named],
    };
    assert_eq!(
        decode_chunk(&p, 0, b"", 1, 0).unwrap_err().to_string(),
        "unsupported filter 32017 (SZ compressor)"
    );
    // Encoding: the optional LZO is skipped with its mask bit set; a required one fails.
    assert_eq!(
        encode_chunk(&lzo, b"abcd", 4).unwrap(),
        (b"abcd".to_vec(), 1)
    );
    assert!(matches!(
        encode_chunk(&p, b"abcd", 4),
        Err(Error::UnsupportedFilter { id: 32017, .. })
    ));
    let sz3 = FilterPipeline {
        filters: vec![filter(id::SZ3, 0, vec![])],
    };
    assert_eq!(
        decode_chunk(&sz3, 0, b"", 1, 0).unwrap_err().to_string(),
        "unsupported filter 32024 (sz3)"
    );
}

/// A user filter: XOR every byte with client data 0; declines empty chunks.
struct Xor;

impl FilterCodec for Xor {
    fn id(&self) -> u16 {
        40_123
    }
    fn name(&self) -> &str {
        "xor"
    }
    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        let k = ctx.cd_values.first().copied().unwrap_or(0) as u8;
        Ok(input.iter().map(|b| b ^ k).collect())
    }
    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        if input.is_empty() {
            return Ok(None);
        }
        self.decode(ctx, input).map(Some)
    }
    fn set_local(&self, cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        Ok(vec![cd
            .first()
            .copied()
            .unwrap_or(local.element_size() as u32)])
    }
}

#[test]
fn user_filters_register_and_unregister() {
    let p = FilterPipeline {
        filters: vec![
            filter(id::SHUFFLE, 1, vec![4]),
            filter(40_123, 0, vec![0x5a]),
            filter(id::DEFLATE, 1, vec![3]),
        ],
    };
    let data: Vec<u8> = (0..400u32).flat_map(|i| i.to_le_bytes()).collect();
    assert!(matches!(
        encode_chunk(&p, &data, 4),
        Err(Error::UnsupportedFilter { id: 40_123, .. })
    ));
    register(Arc::new(Xor)).unwrap();
    assert!(is_known(40_123));
    let (stored, mask) = encode_chunk(&p, &data, 4).unwrap();
    assert_eq!(mask, 0);
    assert_eq!(decode_chunk(&p, 0, &stored, 4, data.len()).unwrap(), data);
    // A required filter that declines a chunk fails the write.
    let alone = FilterPipeline {
        filters: vec![filter(40_123, 0, vec![1])],
    };
    assert!(encode_chunk(&alone, b"", 1).is_err());
    // set_local fills client data and the name.
    let f64le = crate::datatype::Datatype::float(8).unwrap();
    let ctx = LocalContext {
        datatype: &f64le,
        chunk_dims: &[10],
        fill: None,
    };
    let local = set_local(&alone, &ctx).unwrap();
    assert_eq!(local.filters[0].name.as_deref(), Some("xor"));
    // Built-in ids cannot be replaced.
    struct Fake;
    impl FilterCodec for Fake {
        fn id(&self) -> u16 {
            id::DEFLATE
        }
        fn name(&self) -> &str {
            "fake"
        }
        fn decode(&self, _: &FilterContext<'_>, i: &[u8]) -> Result<Vec<u8>> {
            Ok(i.to_vec())
        }
        fn encode(&self, _: &FilterContext<'_>, i: &[u8]) -> Result<Option<Vec<u8>>> {
            Ok(Some(i.to_vec()))
        }
    }
    assert!(register(Arc::new(Fake)).is_err());
    assert!(unregister(40_123));
    assert!(!is_known(40_123));
    assert!(!unregister(40_123));
}

#[test]
fn every_builtin_round_trips_through_the_pipeline() {
    let data: Vec<u8> = (0..3001u32)
        .flat_map(|i| ((i / 5) as f32).to_le_bytes())
        .collect();
    let pipes: Vec<Vec<Filter>> = vec![
        vec![filter(id::LZF, 1, vec![4, 261, 12_004])],
        vec![filter(id::LZ4, 1, vec![0])],
        vec![filter(id::LZ4, 1, vec![1000])],
        vec![filter(id::ZSTD, 1, vec![5])],
        vec![filter(id::BITSHUFFLE, 1, vec![0, 5, 4, 0, 0])],
        vec![filter(id::BITSHUFFLE, 1, vec![0, 5, 4, 0, 2])],
        vec![filter(id::BITSHUFFLE, 1, vec![0, 5, 4, 256, 3, 5])],
        vec![
            filter(id::SHUFFLE, 1, vec![4]),
            filter(id::ZSTD, 1, vec![1]),
            filter(id::FLETCHER32, 0, vec![]),
        ],
        vec![
            filter(id::FLETCHER32, 0, vec![]),
            filter(id::LZ4, 1, vec![0]),
            filter(id::LZF, 1, vec![]),
        ],
    ];
    for filters in pipes {
        let p = FilterPipeline { filters };
        let (stored, mask) = encode_chunk(&p, &data, 4).unwrap();
        let back = decode_chunk(&p, mask, &stored, 4, data.len()).unwrap();
        assert_eq!(back, data, "{p:?}");
        // Every truncation is an error or wrong-sized (caught as an error).
        for cut in [0, 1, stored.len() / 3, stored.len() - 1] {
            assert!(decode_chunk(&p, mask, &stored[..cut], 4, data.len()).is_err());
        }
    }
}

#[test]
fn zip_bomb_is_bounded() {
    let zeros = vec![0u8; 1 << 20];
    let bomb = deflate::encode(&zeros, 9).unwrap();
    assert!(bomb.len() < 2000);
    let p = FilterPipeline {
        filters: vec![filter(id::DEFLATE, 0, vec![9])],
    };
    let err = decode_chunk(&p, 0, &bomb, 1, 1000).unwrap_err();
    assert!(
        err.to_string().contains("more than the 1000 bytes"),
        "{err}"
    );
    // Exactly the right size decodes.
    assert_eq!(
        decode_chunk(&p, 0, &bomb, 1, 1 << 20).unwrap().len(),
        1 << 20
    );
    // A stream shorter than expected is corrupt too.
    assert!(decode_chunk(&p, 0, &bomb, 1, (1 << 20) + 1).is_err());
}

#[test]
fn corrupt_streams_are_errors() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8).collect();
    let z = deflate::encode(&data, 6).unwrap();
    let p = FilterPipeline {
        filters: vec![filter(id::DEFLATE, 0, vec![6])],
    };
    for cut in [0, 1, 2, z.len() / 2, z.len() - 1] {
        assert!(
            decode_chunk(&p, 0, &z[..cut], 1, 1000).is_err(),
            "cut {cut}"
        );
    }
    let mut bad = z.clone();
    bad[0] ^= 0xff;
    assert!(decode_chunk(&p, 0, &bad, 1, 1000).is_err());
    // Bad Adler-32 trailer.
    let mut bad = z.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert!(decode_chunk(&p, 0, &bad, 1, 1000).is_err());
    // Trailing bytes after the stream are ignored.
    let mut extra = z;
    extra.extend_from_slice(b"junk");
    assert_eq!(decode_chunk(&p, 0, &extra, 1, 1000).unwrap(), data);
    // Fletcher-32 mismatch is a checksum error naming the offset.
    let f = FilterPipeline {
        filters: vec![filter(id::FLETCHER32, 0, vec![])],
    };
    let mut sealed = fletcher32::append(&data);
    sealed[3] ^= 1;
    assert!(matches!(
        decode_chunk_at(&f, 0, &sealed, 1, 1000, 4242),
        Err(Error::Checksum { offset: 4242, .. })
    ));
}

#[test]
fn fletcher_before_deflate_allows_larger_inflate() {
    let data: Vec<u8> = (0..300u32).map(|i| (i % 5) as u8).collect();
    let p = FilterPipeline {
        filters: vec![
            filter(id::FLETCHER32, 0, vec![]),
            filter(id::DEFLATE, 0, vec![1]),
        ],
    };
    let (stored, mask) = encode_chunk(&p, &data, 1).unwrap();
    assert_eq!(mask, 0);
    assert_eq!(decode_chunk(&p, 0, &stored, 1, 300).unwrap(), data);
}

fn pipeline_strategy() -> impl Strategy<Value = (Vec<bool>, u32, u32)> {
    (prop::collection::vec(any::<bool>(), 3), 0u32..=9, 1u32..=16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn encode_decode_round_trip(
        data in prop::collection::vec(any::<u8>(), 0..3000),
        (use_filter, level, size) in pipeline_strategy(),
        repeat in 1usize..8,
    ) {
        // Repeating each byte makes the data compressible some of the time.
        let data: Vec<u8> = data.iter().flat_map(|&b| std::iter::repeat_n(b, repeat)).collect();
        let mut filters = Vec::new();
        if use_filter[0] { filters.push(filter(id::SHUFFLE, 1, vec![size])); }
        if use_filter[1] { filters.push(filter(id::DEFLATE, 1, vec![level])); }
        if use_filter[2] { filters.push(filter(id::FLETCHER32, 0, vec![])); }
        let p = FilterPipeline { filters };
        let (stored, mask) = encode_chunk(&p, &data, size as usize).unwrap();
        prop_assert_eq!(mask, 0);
        let back = decode_chunk(&p, mask, &stored, size as usize, data.len()).unwrap();
        prop_assert_eq!(back, data);
    }

    #[test]
    fn shuffle_round_trip(data in prop::collection::vec(any::<u8>(), 0..500), size in 0usize..20) {
        prop_assert_eq!(shuffle::unshuffle(&shuffle::shuffle(&data, size), size), data);
    }

    #[test]
    fn decoding_garbage_never_panics(
        data in prop::collection::vec(any::<u8>(), 0..200),
        mask in 0u32..8,
        expected in 0usize..400,
    ) {
        let p = h5py_pipeline(4, 6);
        let _ = decode_chunk(&p, mask, &data, 4, expected);
    }
}
