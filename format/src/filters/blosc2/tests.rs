#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::datatype::Datatype;

/// A frame hdf5plugin 7.1 wrote (`Blosc2(cname="lz4", clevel=5, filters=SHUFFLE)`, 100
/// `<i4` 0..99): split streams, the first byte plane raw, zero runs for the others, a
/// memcpyed offsets chunk and the trailer.
const LZ4_I4: [&str; 7] = [
    "9ea862326672616d6500d200000061cf0000000000000144a412005103d30000000000000190d30000000000000098d2",
    "00000004d200000190d200000190d10000d10001c2d8060000000000010100000000000000000093cd0007de0000dc00",
    "000501250490010000900100009800000000000000000101000000000000000000240000006400000000010203040506",
    "0708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233343536",
    "3738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263000000",
    "000000000000000000050107080800000008000000280000000000000000010000000000000000000000000000000000",
    "00940193cd0006de0000dc0000ce00000023d80000000000000000000000000000000000",
];

fn hex(s: &str) -> Vec<u8> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\\')
        .collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ctx(cd: &[u32], limit: usize, element_size: usize) -> FilterContext<'_> {
    FilterContext {
        cd_values: cd,
        element_size,
        limit,
        offset: 4096,
    }
}

fn data(n: usize, kind: u32) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|i| match kind {
            0 => (i / 7) as u8,
            1 => ((i as f64 / 30.0).sin() * 100.0) as i8 as u8,
            _ => {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }
        })
        .collect()
}

const CODECS: [Blosc2Codec; 4] = [
    Blosc2Codec::Lz4,
    Blosc2Codec::Lz4Hc,
    Blosc2Codec::Zlib,
    Blosc2Codec::Zstd,
];
const FILTERS: [Blosc2Filter; 4] = [
    Blosc2Filter::NoFilter,
    Blosc2Filter::Shuffle,
    Blosc2Filter::BitShuffle,
    Blosc2Filter::Delta,
];

#[test]
fn round_trips_every_option() {
    for codec in CODECS {
        for filter in FILTERS {
            for clevel in [0u8, 1, 5, 9] {
                for (n, ts, block) in [
                    (4000, 4, 0),
                    (4000, 8, 1000),
                    (999, 3, 96),
                    (1, 1, 0),
                    (70_000, 2, 4096),
                    (24, 12, 5),
                ] {
                    for kind in 0..3 {
                        let d = data(n, kind);
                        let mut cd = cd_values(codec, clevel, filter);
                        cd[1] = block;
                        cd[2] = ts;
                        let c = ctx(&cd, n, ts as usize);
                        let z = Blosc2.encode(&c, &d).unwrap().unwrap();
                        let back = Blosc2.decode(&c, &z).unwrap();
                        assert_eq!(
                            back, d,
                            "{codec:?} {filter:?} {clevel} n {n} ts {ts} kind {kind}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn compresses_and_writes_special_zeros() {
    let d = data(40_000, 0);
    let cd = cd_values(Blosc2Codec::Lz4, 5, Blosc2Filter::Shuffle);
    let z = Blosc2.encode(&ctx(&cd, d.len(), 4), &d).unwrap().unwrap();
    assert!(z.len() < d.len() / 4, "{}", z.len());
    let zeros = vec![0u8; 40_000];
    let z = Blosc2
        .encode(&ctx(&cd, 40_000, 4), &zeros)
        .unwrap()
        .unwrap();
    // Header, offsets chunk and trailer only: the offset is special (zeros).
    assert_eq!(z.len(), 97 + 40 + 35);
    assert_eq!(z[97 + 32 + 7], 0x81);
    assert_eq!(Blosc2.decode(&ctx(&cd, 40_000, 4), &z).unwrap(), zeros);
}

#[test]
fn reads_a_frame_hdf5plugin_wrote() {
    let z = hex(&LZ4_I4.concat());
    assert_eq!(z.len(), 324);
    let cd = [1, 0, 4, 400, 5, 1, 1];
    let out = Blosc2.decode(&ctx(&cd, 400, 4), &z).unwrap();
    let want: Vec<u8> = (0..100i32).flat_map(|i| i.to_le_bytes()).collect();
    assert_eq!(out, want);
    // Our frame for the same data: the same header but for its size fields, the same
    // offsets chunk and trailer.
    let ours = Blosc2.encode(&ctx(&cd, 400, 4), &want).unwrap().unwrap();
    assert_eq!(ours[..16], z[..16]);
    assert_eq!(ours[24..38], z[24..38]);
    assert_eq!(ours[47..97], z[47..97]);
    let n = ours.len();
    assert_eq!(ours[n - 75..], z[324 - 75..]);
    assert_eq!(Blosc2.decode(&ctx(&cd, 400, 4), &ours).unwrap(), want);
}

#[test]
fn truncated_and_corrupt_frames_are_errors() {
    let d = data(5000, 1);
    for codec in CODECS {
        for filter in FILTERS {
            let cd = cd_values(codec, 5, filter);
            let c = ctx(&cd, d.len(), 4);
            let z = Blosc2.encode(&c, &d).unwrap().unwrap();
            for cut in 0..z.len() - 35 {
                assert!(Blosc2.decode(&c, &z[..cut]).is_err(), "{codec:?} cut {cut}");
            }
            for i in 0..z.len() {
                for x in [0x01u8, 0x80, 0xff] {
                    let mut bad = z.clone();
                    bad[i] ^= x;
                    if let Ok(v) = Blosc2.decode(&c, &bad) {
                        assert!(v.len() <= d.len());
                    }
                }
            }
            // Too small a limit.
            let small = ctx(&cd, d.len() - 1, 4);
            assert!(Blosc2.decode(&small, &z).is_err());
        }
    }
}

/// A frame around a hand-made chunk.
fn frame_of(chunk: &[u8], nbytes: usize, typesize: usize) -> Vec<u8> {
    let info = frame::FrameInfo {
        nbytes,
        typesize,
        blocksize: nbytes,
        compcode: 1,
        clevel: 5,
        filters: [0; 6],
    };
    frame::write(&info, Some(chunk))
}

fn chunk_header(flags: u8, ts: u8, nbytes: i32, blocksize: i32, cbytes: i32) -> Vec<u8> {
    let mut h = vec![5, 1, flags, ts];
    for v in [nbytes, blocksize, cbytes] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&[0; 16]);
    h
}

#[test]
fn hostile_chunk_headers_are_errors() {
    let c = ctx(&[], 1000, 4);
    let base = chunk_header(0x05 | 0x10 | 0x20, 4, 16, 16, 32 + 4 + 4);
    let mut good = base.clone();
    good.extend_from_slice(&36i32.to_le_bytes());
    good.extend_from_slice(&0i32.to_le_bytes());
    assert_eq!(
        Blosc2.decode(&c, &frame_of(&good, 16, 4)).unwrap(),
        vec![0; 16]
    );
    type Edit = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("version 9", Box::new(|h| h[0] = 9)),
        ("typesize 0", Box::new(|h| h[3] = 0)),
        (
            "blocksize 0",
            Box::new(|h| h[8..12].copy_from_slice(&0i32.to_le_bytes())),
        ),
        (
            "blocksize > nbytes",
            Box::new(|h| h[8..12].copy_from_slice(&17i32.to_le_bytes())),
        ),
        (
            "negative nbytes",
            Box::new(|h| h[4..8].copy_from_slice(&(-1i32).to_le_bytes())),
        ),
        (
            "cbytes past",
            Box::new(|h| h[12..16].copy_from_slice(&4000i32.to_le_bytes())),
        ),
        (
            "cbytes small",
            Box::new(|h| h[12..16].copy_from_slice(&20i32.to_le_bytes())),
        ),
        (
            "nbytes > limit",
            Box::new(|h| {
                h[4..8].copy_from_slice(&2000i32.to_le_bytes());
            }),
        ),
        (
            "bstart 0",
            Box::new(|h| h[32..36].copy_from_slice(&0i32.to_le_bytes())),
        ),
        (
            "bstart past",
            Box::new(|h| h[32..36].copy_from_slice(&400i32.to_le_bytes())),
        ),
        ("dictionary", Box::new(|h| h[31] = 0x01)),
        ("lazy", Box::new(|h| h[31] = 0x08)),
        ("special 7", Box::new(|h| h[31] = 0x70)),
        ("flags2", Box::new(|h| h[30] = 0x01)),
        ("user filter", Box::new(|h| h[20] = 160)),
        (
            "user codec",
            Box::new(|h| {
                h[2] = 0x05 | 0x10 | 0xc0;
                h[36..40].copy_from_slice(&3i32.to_le_bytes());
            }),
        ),
        (
            "snappy",
            Box::new(|h| {
                h[2] = 0x05 | 0x10 | 0x40;
                h[36..40].copy_from_slice(&3i32.to_le_bytes());
            }),
        ),
        (
            "bad token",
            Box::new(|h| {
                h[36..40].copy_from_slice(&(-3i32).to_le_bytes());
            }),
        ),
        (
            "run > 255",
            Box::new(|h| {
                h[36..40].copy_from_slice(&(-300i32).to_le_bytes());
            }),
        ),
        (
            "stream past",
            Box::new(|h| h[36..40].copy_from_slice(&9i32.to_le_bytes())),
        ),
        (
            "shuffle undone after delta",
            Box::new(|h| {
                h[20] = 1;
                h[21] = 3;
            }),
        ),
    ];
    for (name, f) in cases {
        let mut h = good.clone();
        f(&mut h);
        let r = Blosc2.decode(&c, &frame_of(&h, 16, 4));
        assert!(r.is_err(), "{name}: {r:?}");
    }
    // A BloscLZ stream of 3 bytes cannot hold the block: corrupt.
    let mut h = good.clone();
    h[2] = 0x05 | 0x10;
    h[36..40].copy_from_slice(&3i32.to_le_bytes());
    h.extend_from_slice(&[1, 2, 3]);
    h[12..16].copy_from_slice(&43i32.to_le_bytes());
    let e = Blosc2
        .decode(&c, &frame_of(&h, 16, 4))
        .unwrap_err()
        .to_string();
    assert!(e.contains("blosc2"), "{e}");
}

#[test]
fn special_chunks_and_runs() {
    let c = ctx(&[], 1000, 4);
    // Zeros, NaNs, a repeated value, uninitialised (read as zeros).
    let zeros = chunk_header(0x05, 4, 16, 16, 32);
    let mut z = zeros.clone();
    z[31] = 0x10;
    assert_eq!(
        Blosc2.decode(&c, &frame_of(&z, 16, 4)).unwrap(),
        vec![0; 16]
    );
    z[31] = 0x20;
    let nans = Blosc2.decode(&c, &frame_of(&z, 16, 4)).unwrap();
    assert!(nans
        .chunks(4)
        .all(|b| f32::from_le_bytes(b.try_into().unwrap()).is_nan()));
    z[31] = 0x40;
    assert_eq!(
        Blosc2.decode(&c, &frame_of(&z, 16, 4)).unwrap(),
        vec![0; 16]
    );
    let mut v = chunk_header(0x05, 4, 16, 8, 36);
    v[31] = 0x30;
    v.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(
        Blosc2.decode(&c, &frame_of(&v, 16, 4)).unwrap(),
        [1, 2, 3, 4].repeat(4)
    );
    // A repeated value that is missing.
    v.truncate(34);
    v[12..16].copy_from_slice(&34i32.to_le_bytes());
    assert!(Blosc2.decode(&c, &frame_of(&v, 16, 4)).is_err());
    // Split streams: 4 streams of 4 bytes: a zero run, a run of 7, raw, raw.
    let mut s = chunk_header(0x05 | 0x20, 4, 16, 16, 0);
    s.extend_from_slice(&36i32.to_le_bytes());
    s.extend_from_slice(&0i32.to_le_bytes());
    s.extend_from_slice(&(-7i32).to_le_bytes());
    s.push(1);
    s.extend_from_slice(&4i32.to_le_bytes());
    s.extend_from_slice(&[1, 2, 3, 4]);
    s.extend_from_slice(&4i32.to_le_bytes());
    s.extend_from_slice(&[5, 6, 7, 8]);
    let n = s.len() as i32;
    s[12..16].copy_from_slice(&n.to_le_bytes());
    assert_eq!(
        Blosc2.decode(&c, &frame_of(&s, 16, 4)).unwrap(),
        [0, 0, 0, 0, 7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8]
    );
    // Special offsets in the frame: zeros, NaNs.
    let info = frame::FrameInfo {
        nbytes: 16,
        typesize: 8,
        blocksize: 16,
        compcode: 1,
        clevel: 5,
        filters: [0; 6],
    };
    let mut f = frame::write(&info, None);
    assert_eq!(Blosc2.decode(&c, &f).unwrap(), vec![0; 16]);
    f[97 + 32 + 7] = 0x82;
    let nans = Blosc2.decode(&c, &f).unwrap();
    assert!(nans
        .chunks(8)
        .all(|b| f64::from_le_bytes(b.try_into().unwrap()).is_nan()));
    f[97 + 32 + 7] = 0x88;
    assert!(Blosc2.decode(&c, &f).is_err());
}

#[test]
fn b2nd_blocks_scatter_into_the_chunk() {
    // A 3x5 chunk of u16 in 2x2 blocks: a 4x6 padded chunk of 6 blocks.
    let g = b2nd::Geometry {
        shape: vec![3, 5],
        blockshape: vec![2, 2],
    };
    assert_eq!(g.items(), Some((15, 24)));
    let mut out = vec![0u8; 30];
    for j in 0..6 {
        let (br, bc) = (j / 3 * 2, j % 3 * 2);
        let block: Vec<u8> = (0..4)
            .flat_map(|k| {
                let (r, c) = (br + k / 2, bc + k % 2);
                ((r * 10 + c) as u16).to_le_bytes()
            })
            .collect();
        g.scatter(j, &block, 2, &mut out);
    }
    let want: Vec<u8> = (0..3)
        .flat_map(|r| (0..5).map(move |c| (r * 10 + c) as u16))
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(out, want);
}

#[test]
fn b2nd_metalayer_parses() {
    // As hdf5plugin wrote it for a (4, 5, 6) chunk of 4-byte items.
    let meta = hex(
        "970003 93d30000000000000004d30000000000000005d30000000000000006\
         93d200000004d200000005d200000006 93d200000004d200000005d200000006\
         00db000000037c5634",
    );
    let g = b2nd::parse(&meta, 0).unwrap();
    assert_eq!(g.shape, vec![4, 5, 6]);
    assert_eq!(g.blockshape, vec![4, 5, 6]);
    for cut in 0..meta.len() - 9 {
        assert!(b2nd::parse(&meta[..cut], 0).is_err(), "cut {cut}");
    }
    let mut bad = meta.clone();
    bad[2] = 9; // rank 9
    assert!(b2nd::parse(&bad, 0).is_err());
}

#[test]
fn set_local_records_sizes_and_shape() {
    let dt = Datatype::int(4, true);
    let cd = cd_values(Blosc2Codec::Zstd, 7, Blosc2Filter::BitShuffle);
    let local = LocalContext {
        datatype: &dt,
        chunk_dims: &[10, 20],
        fill: None,
    };
    assert_eq!(
        Blosc2.set_local(&cd, &local).unwrap(),
        vec![1, 0, 4, 800, 7, 2, 5, 2, 10, 20]
    );
    let local = LocalContext {
        datatype: &dt,
        chunk_dims: &[100],
        fill: None,
    };
    assert_eq!(Blosc2.set_local(&[], &local).unwrap(), vec![1, 0, 4, 400]);
}

/// Throughput (run with `--ignored --nocapture`; the test profile's opt-level).
#[test]
#[ignore = "a measurement, not a check"]
fn throughput() {
    let n = 16 << 20;
    let d: Vec<u8> = (0..n / 8)
        .flat_map(|i| ((i as f64 / 100.0).sin() * 1e4).to_le_bytes())
        .collect();
    for codec in CODECS {
        for filter in [Blosc2Filter::Shuffle, Blosc2Filter::BitShuffle] {
            let cd = cd_values(codec, 5, filter);
            let c = ctx(&cd, n, 8);
            let t = std::time::Instant::now();
            let z = Blosc2.encode(&c, &d).unwrap().unwrap();
            let enc = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            let back = Blosc2.decode(&c, &z).unwrap();
            let dec = t.elapsed().as_secs_f64();
            assert_eq!(back.len(), n);
            let mb = n as f64 / 1e6;
            println!(
                "{codec:?} {filter:?}: ratio {:.1}, encode {:.0} MB/s, decode {:.0} MB/s",
                n as f64 / z.len() as f64,
                mb / enc,
                mb / dec
            );
        }
    }
}
