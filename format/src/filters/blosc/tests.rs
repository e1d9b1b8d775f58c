#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::codecs::Codec;
use super::frame::{self, Header, Shuffle, HEADER};
use super::*;

const CODECS: [Codec; 5] = [
    Codec::BloscLz,
    Codec::Lz4,
    Codec::Lz4Hc,
    Codec::Zlib,
    Codec::Zstd,
];
const SHUFFLES: [Shuffle; 3] = [Shuffle::None, Shuffle::Byte, Shuffle::Bit];

fn smooth(n: usize, typesize: usize) -> Vec<u8> {
    (0..n / typesize + 1)
        .flat_map(|i| {
            // Each value repeated 16 times: compressible whatever the shuffle.
            let v = (((i / 16) as f64 / 30.0).sin() * 1e4) as i64 as u64;
            v.to_le_bytes().into_iter().cycle().take(typesize)
        })
        .take(n)
        .collect()
}

#[test]
fn round_trips_every_option() {
    for codec in CODECS {
        for shuffle in SHUFFLES {
            for clevel in [1u8, 5, 9] {
                for (n, ts) in [
                    (1000usize, 1usize),
                    (1000, 4),
                    (4099, 8),
                    (70_001, 2),
                    (300_000, 4),
                    (5000, 3),
                    (2048, 24),
                ] {
                    let data = smooth(n, ts);
                    let z = frame::compress(&data, ts, clevel, shuffle, codec)
                        .unwrap()
                        .unwrap_or_else(|| panic!("{codec:?} {shuffle:?} {clevel} {n} {ts}"));
                    assert!(z.len() <= n);
                    let h = Header::parse(&z, 0).unwrap();
                    assert_eq!((h.version, h.codec_version), (2, 1));
                    assert_eq!(h.cbytes as usize, z.len());
                    assert_eq!(
                        frame::decompress(&z, n, 0).unwrap(),
                        data,
                        "{codec:?} {shuffle:?} {clevel} {n} {ts}"
                    );
                }
            }
        }
    }
}

#[test]
fn declined_chunks() {
    let data = smooth(4096, 4);
    assert!(frame::compress(&data, 4, 0, Shuffle::Byte, Codec::Lz4)
        .unwrap()
        .is_none());
    assert!(
        frame::compress(&data[..127], 1, 5, Shuffle::Byte, Codec::Lz4)
            .unwrap()
            .is_none()
    );
    let mut x = 7u64;
    let noise: Vec<u8> = (0..10_000)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect();
    for codec in CODECS {
        assert!(frame::compress(&noise, 1, 9, Shuffle::None, codec)
            .unwrap()
            .is_none());
    }
    assert!(frame::compress(&data, 4, 10, Shuffle::Byte, Codec::Lz4).is_err());
}

/// A raw (memcpyed) frame as c-blosc writes it for small buffers or level 0.
#[test]
fn memcpyed_frames() {
    let data: Vec<u8> = (0..100u8).collect();
    let h = Header {
        version: 2,
        codec_version: 1,
        flags: frame::MEMCPYED | frame::DOSHUFFLE | 0x20,
        typesize: 4,
        nbytes: 100,
        blocksize: 100,
        cbytes: 116,
    };
    let mut z = h.encode().to_vec();
    z.extend_from_slice(&data);
    assert_eq!(frame::decompress(&z, 100, 0).unwrap(), data);
    assert!(frame::decompress(&z[..115], 100, 0).is_err());
    let mut bad = z.clone();
    bad[12] = 117;
    bad.push(0);
    assert!(frame::decompress(&bad, 100, 0).is_err());
}

/// Bitshuffle in version 2 frames: a block whose element count is not a multiple of 8 is
/// left unshuffled, as c-blosc 1.x does.
#[test]
fn bitshuffle_rule() {
    // 1001 elements of 4 bytes in one block: not a multiple of 8, so stored as is.
    let data = smooth(4004, 4);
    let z = frame::compress(&data, 4, 5, Shuffle::Bit, Codec::Lz4)
        .unwrap()
        .unwrap();
    let h = Header::parse(&z, 0).unwrap();
    assert_eq!(h.blocksize, 4004);
    let z2 = frame::compress(&data, 4, 5, Shuffle::None, Codec::Lz4)
        .unwrap()
        .unwrap();
    assert_eq!(z[HEADER..], z2[HEADER..]);
}

fn sample() -> (Vec<u8>, Vec<u8>) {
    let data = smooth(70_000, 4);
    let z = frame::compress(&data, 4, 5, Shuffle::Byte, Codec::BloscLz)
        .unwrap()
        .unwrap();
    (data, z)
}

#[test]
fn corrupt_headers_are_errors() {
    let (data, z) = sample();
    let n = data.len();
    assert_eq!(frame::decompress(&z, n, 0).unwrap(), data);
    let with = |f: &dyn Fn(&mut Header)| {
        let mut h = Header::parse(&z, 0).unwrap();
        f(&mut h);
        let mut b = z.clone();
        b[..HEADER].copy_from_slice(&h.encode());
        frame::decompress(&b, n, 77).map_err(|e| e.to_string())
    };
    assert!(with(&|_| ()).is_ok());
    let e = with(&|h| h.nbytes += 1).unwrap_err();
    assert!(e.contains("more than the 70000"), "{e}");
    assert!(with(&|h| h.nbytes = -5).unwrap_err().contains("negative"));
    assert!(with(&|h| h.version = 3)
        .unwrap_err()
        .contains("unsupported"));
    assert!(with(&|h| h.codec_version = 2)
        .unwrap_err()
        .contains("unsupported"));
    assert!(with(&|h| h.flags |= 0x08).unwrap_err().contains("reserved"));
    assert!(with(&|h| h.flags |= 0x05).is_err());
    assert!(with(&|h| h.flags = (h.flags & 0x1f) | (5 << 5))
        .unwrap_err()
        .contains("codec"));
    // The stream is not snappy data.
    assert!(with(&|h| h.flags = (h.flags & 0x1f) | (2 << 5)).is_err());
    assert!(with(&|h| h.typesize = 0).is_err());
    assert!(with(&|h| h.blocksize = 0).is_err());
    assert!(with(&|h| h.blocksize = h.nbytes + 1).is_err());
    assert!(with(&|h| h.blocksize = -1).is_err());
    assert!(with(&|h| h.cbytes += 1).unwrap_err().contains("truncated"));
    assert!(with(&|h| h.cbytes = 15).is_err());
    assert!(with(&|h| h.cbytes = 20).is_err());
    // Errors name the chunk's offset.
    assert!(with(&|h| h.typesize = 0).unwrap_err().contains("offset 77"));
}

#[test]
fn bad_offsets_and_truncation_are_errors() {
    let (data, z) = sample();
    let n = data.len();
    let e = frame::decompress(&z[..z.len() - 1], n, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated"), "{e}");
    for cut in 0..z.len() {
        let mut b = z[..cut].to_vec();
        if b.len() >= HEADER {
            b[12..16].copy_from_slice(&(cut as i32).to_le_bytes());
        }
        assert!(frame::decompress(&b, n, 0).is_err(), "cut {cut}");
    }
    // Block starts pointing anywhere.
    for v in [
        -1i32,
        0,
        3,
        16,
        z.len() as i32 - 3,
        z.len() as i32,
        i32::MAX,
    ] {
        let mut b = z.clone();
        b[16..20].copy_from_slice(&v.to_le_bytes());
        assert!(frame::decompress(&b, n, 0).is_err(), "start {v}");
    }
    // Flipped bytes: an error or the right size, never a panic.
    for i in (0..z.len()).step_by(7) {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = z.clone();
            b[i] ^= flip;
            if let Ok(v) = frame::decompress(&b, n, 0) {
                assert_eq!(v.len(), n);
            }
        }
    }
}

#[test]
fn filter_client_data() {
    use crate::datatype::Datatype;
    let cd = cd_values(BloscCodec::Zstd, 7, BloscShuffle::Bit);
    assert_eq!(cd, [0, 0, 0, 0, 7, 2, 5]);
    let f8 = Datatype::float(8).unwrap();
    let local = LocalContext {
        datatype: &f8,
        chunk_dims: &[10, 20],
        fill: None,
    };
    assert_eq!(
        Blosc.set_local(&cd, &local).unwrap(),
        [2, 2, 8, 1600, 7, 2, 5]
    );
    assert_eq!(Blosc.set_local(&[], &local).unwrap(), [2, 2, 8, 1600]);
    assert!(Blosc.set_local(&[0, 0, 0, 0, 12], &local).is_err());
    assert!(Blosc.set_local(&[0, 0, 0, 0, 5, 1, 9], &local).is_err());
    // Through the filter trait, defaults from absent slots.
    let data = smooth(8000, 8);
    let ctx = FilterContext {
        cd_values: &[2, 2, 8, 8000],
        element_size: 8,
        limit: data.len(),
        offset: 0,
    };
    let z = Blosc.encode(&ctx, &data).unwrap().unwrap();
    assert_eq!(z[2] >> 5, 0);
    assert_eq!(z[2] & 1, 1);
    assert_eq!(Blosc.decode(&ctx, &z).unwrap(), data);
}

/// Throughput, for the record: `cargo test -p jangada-hdf5 --lib blosc::tests::speed --
/// --ignored --nocapture`.
#[test]
#[ignore]
fn speed() {
    let data: Vec<u8> = (0..1 << 20)
        .flat_map(|i| ((i as f64 / 500.0).sin() * 1e3).to_le_bytes())
        .collect();
    let mb = data.len() as f64 / 1e6;
    for codec in CODECS {
        for shuffle in [Shuffle::Byte, Shuffle::Bit] {
            let t = std::time::Instant::now();
            let mut frames = Vec::new();
            for chunk in data.chunks(1 << 20) {
                frames.push(
                    frame::compress(chunk, 8, 5, shuffle, codec)
                        .unwrap()
                        .unwrap(),
                );
            }
            let c = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            for f in &frames {
                frame::decompress(f, 1 << 20, 0).unwrap();
            }
            let d = t.elapsed().as_secs_f64();
            let size: usize = frames.iter().map(Vec::len).sum();
            println!(
                "{codec:?} {shuffle:?}: ratio {:.1}, encode {:.0} MB/s, decode {:.0} MB/s",
                data.len() as f64 / size as f64,
                mb / c,
                mb / d
            );
        }
    }
}
