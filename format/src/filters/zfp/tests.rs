#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::header::{self, Params};
use super::*;
use crate::datatype::Datatype;

/// A small deterministic generator.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// `n` values of `ty` as little-endian bytes: smooth or random.
fn values(ty: ScalarType, n: usize, random: bool) -> Vec<u8> {
    let mut r = rng(n as u64 * 31 + 7);
    let mut out = Vec::new();
    for i in 0..n {
        let s = (i as f64 / 5.0).sin() * 1000.0 + i as f64;
        let v = r();
        match ty {
            ScalarType::Int32 => {
                let x = if random { v as i32 } else { s as i32 };
                out.extend_from_slice(&x.to_le_bytes());
            }
            ScalarType::Int64 => {
                let x = if random { v as i64 } else { s as i64 };
                out.extend_from_slice(&x.to_le_bytes());
            }
            ScalarType::Float => {
                let x = if random {
                    f32::from_bits(v as u32)
                } else {
                    s as f32
                };
                out.extend_from_slice(&x.to_le_bytes());
            }
            ScalarType::Double => {
                let x = if random { f64::from_bits(v) } else { s };
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    out
}

const TYPES: [ScalarType; 4] = [
    ScalarType::Int32,
    ScalarType::Int64,
    ScalarType::Float,
    ScalarType::Double,
];

const SHAPES: [&[usize]; 6] = [&[1], &[13], &[7, 5], &[4, 4], &[5, 6, 3], &[3, 2, 5, 6]];

fn cd_for(field: &Field, params: &Params) -> Vec<u32> {
    let mut w = BitWriter::with_capacity(24);
    header::write(&mut w, field, params).unwrap();
    let bytes = w.finish();
    let mut cd = vec![VERSION_WORD];
    cd.extend(bytes.chunks(4).map(|c| {
        let mut b = [0u8; 4];
        b[..c.len()].copy_from_slice(c);
        u32::from_le_bytes(b)
    }));
    cd
}

fn ctx(cd: &[u32], size: usize, limit: usize) -> FilterContext<'_> {
    FilterContext {
        cd_values: cd,
        element_size: size,
        limit,
        offset: 4096,
    }
}

/// Compress with the filter and decompress again.
fn round_trip(field: &Field, params: &Params, input: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let cd = cd_for(field, params);
    let size = field.ty.size();
    let z = Zfp
        .encode(&ctx(&cd, size, input.len()), input)
        .unwrap()
        .unwrap();
    let back = Zfp.decode(&ctx(&cd, size, input.len()), &z).unwrap();
    (z, back)
}

#[test]
fn reversible_round_trips_exactly() {
    let rev = Params::from_mode(2176).unwrap();
    assert!(rev.reversible());
    for ty in TYPES {
        for dims in SHAPES {
            for random in [false, true] {
                let field = Field {
                    ty,
                    dims: dims.to_vec(),
                };
                let input = values(ty, field.values().unwrap(), random);
                let (_, back) = round_trip(&field, &rev, &input);
                assert!(back == input, "{ty:?} {dims:?} random {random}");
            }
        }
    }
    // Special floats too: signed zeros, subnormals, infinities, NaN bits.
    let specials = [
        0.0,
        -0.0,
        5e-324,
        -1e-310,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.5,
    ];
    let input: Vec<u8> = specials
        .iter()
        .flat_map(|v: &f64| v.to_le_bytes())
        .collect();
    let field = Field {
        ty: ScalarType::Double,
        dims: vec![8],
    };
    assert_eq!(round_trip(&field, &rev, &input).1, input);
}

#[test]
fn fixed_rate_blocks_have_fixed_size() {
    for ty in TYPES {
        for dims in SHAPES {
            let field = Field {
                ty,
                dims: dims.to_vec(),
            };
            let n = field.values().unwrap();
            let maxbits = 5 << (2 * dims.len());
            let p = Params {
                minbits: maxbits,
                maxbits,
                ..Params::DEFAULT
            };
            let blocks: usize = dims.iter().map(|d| d.div_ceil(4)).product();
            let (z, back) = round_trip(&field, &p, &values(ty, n, true));
            assert_eq!(
                z.len(),
                (blocks * maxbits as usize).div_ceil(8),
                "{ty:?} {dims:?}"
            );
            assert_eq!(back.len(), n * ty.size());
        }
    }
}

#[test]
fn fixed_accuracy_keeps_its_tolerance() {
    let p = Params {
        minexp: -10,
        ..Params::DEFAULT
    };
    for dims in SHAPES {
        let field = Field {
            ty: ScalarType::Double,
            dims: dims.to_vec(),
        };
        let input = values(ScalarType::Double, field.values().unwrap(), false);
        let (_, back) = round_trip(&field, &p, &input);
        for (a, b) in input.chunks(8).zip(back.chunks(8)) {
            let a = f64::from_le_bytes(a.try_into().unwrap());
            let b = f64::from_le_bytes(b.try_into().unwrap());
            assert!((a - b).abs() <= 2f64.powi(-10), "{dims:?}: {a} vs {b}");
        }
    }
}

#[test]
fn modes_round_trip_through_their_header_value() {
    let cases = [
        (Params::DEFAULT, false),
        (Params::from_mode(0).unwrap(), true),
        (Params::from_mode(2047).unwrap(), true),
        (Params::from_mode(2048 + 20).unwrap(), true),
        (Params::from_mode(2176).unwrap(), true),
        (Params::from_mode(2177 + 1064).unwrap(), true),
        (Params::new(64, 700, 30, -20).unwrap(), false),
        (Params::new(4000, 4000, 64, -1074).unwrap(), false),
    ];
    for (p, short) in cases {
        let mode = p.mode();
        assert_eq!(mode <= 4094, short, "{p:?} -> {mode:#x}");
        assert_eq!(Params::from_mode(mode), Some(p), "{mode:#x}");
    }
    assert_eq!(Params::from_mode(2176 + 1 + 1074 - 3).unwrap().minexp, -3);
}

fn local<'a>(dt: &'a Datatype, chunks: &'a [u64]) -> LocalContext<'a> {
    LocalContext {
        datatype: dt,
        chunk_dims: chunks,
        fill: None,
    }
}

#[test]
fn set_local_writes_the_header_h5z_zfp_writes() {
    // hdf5plugin's Zfp(rate=8) on an f8 dataset with chunks (5, 10), and what H5Z-ZFP 1.1.1
    // (zfp 1.0.1) stored.
    let f8 = Datatype::float(8).unwrap();
    let cd = ZfpMode::Rate(8.0).cd_values();
    let out = Zfp.set_local(&cd, &local(&f8, &[5, 10])).unwrap();
    assert_eq!(out, [0x1010_5111, 0x0570_667a, 0x4000_0097, 0x07f0_0000]);
    // Reversible f4, chunks (100,).
    let f4 = Datatype::float(4).unwrap();
    let out = Zfp
        .set_local(&ZfpMode::Reversible.cd_values(), &local(&f4, &[100]))
        .unwrap();
    assert_eq!(out, [0x1010_5111, 0x0570_667a, 0x632, 0x8800_0000]);
    // Expert i8 with chunk dims of size 1 dropped: chunks (1, 50, 1).
    let i8 = Datatype::int(8, true);
    let expert = ZfpMode::Expert {
        minbits: 1,
        maxbits: 16657,
        maxprec: 64,
        minexp: -1074,
    };
    let out = Zfp
        .set_local(&expert.cd_values(), &local(&i8, &[1, 50, 1]))
        .unwrap();
    assert_eq!(
        out,
        [
            0x1010_5111,
            0x0570_667a,
            0x311,
            0xfff0_0000,
            0xe088_0000,
            0x0007_87af
        ]
    );
    let parsed = parse_cd_values(&out, 0).unwrap();
    assert_eq!(parsed.field.dims, [50]);
    assert_eq!(parsed.field.ty, ScalarType::Int64);
    // Client data that already hold a header keep its mode, with this dataset's field.
    assert_eq!(Zfp.set_local(&out, &local(&i8, &[1, 50, 1])).unwrap(), out);
    let again = Zfp.set_local(&out, &local(&f8, &[6, 7])).unwrap();
    let parsed = parse_cd_values(&again, 0).unwrap();
    assert_eq!(parsed.field.dims, [7, 6]);
    assert_eq!(parsed.field.ty, ScalarType::Double);
    assert_eq!(parsed.params, Params::new(1, 16657, 64, -1074).unwrap());
}

#[test]
fn set_local_rejects_what_h5z_zfp_rejects() {
    let f8 = Datatype::float(8).unwrap();
    let err = |cd: &[u32], dt: &Datatype, chunks: &[u64]| {
        Zfp.set_local(cd, &local(dt, chunks))
            .unwrap_err()
            .to_string()
    };
    let rate = ZfpMode::Rate(4.0).cd_values();
    assert!(err(&rate, &Datatype::int(2, true), &[10]).contains("4- or 8-byte"));
    let mut be = Datatype::float(8).unwrap();
    if let crate::datatype::TypeClass::Float { order, .. } = &mut be.class {
        *order = crate::datatype::ByteOrder::Big;
    }
    assert!(err(&rate, &be, &[10]).contains("little-endian"));
    assert!(err(&rate, &f8, &[2, 2, 2, 2, 2]).contains("1 to 4 dimensions"));
    assert!(err(&rate, &f8, &[1, 1]).contains("1 to 4 dimensions"));
    assert!(err(&rate, &f8, &[70000, 7, 7]).contains("too large"));
    assert!(err(&[9, 0, 0, 0, 0, 0], &f8, &[10]).contains("invalid mode 9"));
    assert!(err(&[4, 0, 10, 5, 64, 0], &f8, &[10]).contains("expert mode"));
    assert!(err(&[4, 0, 1, 5, 65, 0], &f8, &[10]).contains("expert mode"));
}

#[test]
fn hostile_headers_are_errors_without_big_allocations() {
    // A 4-D field of 4096^4 doubles claimed by a tiny chunk.
    let huge = Field {
        ty: ScalarType::Double,
        dims: vec![4096; 4],
    };
    let cd = cd_for(&huge, &Params::DEFAULT);
    let e = Zfp.decode(&ctx(&cd, 8, 800), &[0; 16]).unwrap_err();
    assert!(e.to_string().contains("more than the 800 bytes"), "{e}");
    // A field of the wrong element size.
    let small = Field {
        ty: ScalarType::Float,
        dims: vec![10],
    };
    let cd = cd_for(&small, &Params::DEFAULT);
    assert!(Zfp.decode(&ctx(&cd, 8, 80), &[0; 16]).is_err());
    // Bad magic, another codec, too few or too many values.
    let mut bad = cd.clone();
    bad[1] ^= 1;
    assert!(matches!(
        Zfp.decode(&ctx(&bad, 4, 40), &[0; 16]),
        Err(Error::Unsupported(_))
    ));
    let mut codec4 = cd.clone();
    codec4[1] = (codec4[1] & 0x00ff_ffff) | (4 << 24);
    assert!(Zfp.decode(&ctx(&codec4, 4, 40), &[0; 16]).is_err());
    let mut newer = cd.clone();
    newer[0] = 0x2000_6111;
    assert!(matches!(
        Zfp.decode(&ctx(&newer, 4, 40), &[0; 16]),
        Err(Error::Unsupported(_))
    ));
    assert!(Zfp.decode(&ctx(&cd[..1], 4, 40), &[0; 16]).is_err());
    assert!(Zfp.decode(&ctx(&[], 4, 40), &[0; 16]).is_err());
    let mut long = cd.clone();
    long.resize(7, 0);
    assert!(Zfp.decode(&ctx(&long, 4, 40), &[0; 16]).is_err());
    // A long-form mode with maxprec 128 (zfp accepts 1..=64).
    let mut w = BitWriter::with_capacity(24);
    w.bits(u64::from(u32::from_le_bytes(*b"zfp\x05")), 32);
    w.bits(((10 - 1) << 4) | 2, 52);
    w.bits(0xfff | (127 << 42), 64);
    let bytes = w.finish();
    let mut cd = vec![VERSION_WORD];
    cd.extend(bytes.chunks(4).map(|c| {
        let mut b = [0u8; 4];
        b[..c.len()].copy_from_slice(c);
        u32::from_le_bytes(b)
    }));
    let e = Zfp.decode(&ctx(&cd, 4, 40), &[0; 16]).unwrap_err();
    assert!(e.to_string().contains("invalid mode"), "{e}");
    // Huge minbits over a tiny stream: truncated, not a long skip into nothing.
    let p = Params::new(30000, 30000, 64, -1074).unwrap();
    let cd = cd_for(&small, &p);
    let e = Zfp.decode(&ctx(&cd, 4, 40), &[0xff; 8]).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn truncated_and_corrupt_streams_are_errors_not_panics() {
    for ty in TYPES {
        for dims in [&[13][..], &[7, 5], &[5, 6, 3], &[3, 2, 5, 6]] {
            for params in [
                Params::DEFAULT,
                Params::from_mode(2176).unwrap(),
                Params::from_mode(2048 + 12).unwrap(),
            ] {
                let field = Field {
                    ty,
                    dims: dims.to_vec(),
                };
                let input = values(ty, field.values().unwrap(), true);
                let cd = cd_for(&field, &params);
                let c = ctx(&cd, ty.size(), input.len());
                let z = Zfp.encode(&c, &input).unwrap().unwrap();
                for cut in 0..z.len() {
                    let e = Zfp.decode(&c, &z[..cut]).unwrap_err().to_string();
                    assert!(e.contains("zfp filter at byte offset 4096"), "{e}");
                }
                let mut r = rng(z.len() as u64);
                for _ in 0..50 {
                    let mut bad = z.clone();
                    let i = (r() as usize) % bad.len();
                    bad[i] ^= (r() as u8) | 1;
                    if let Ok(v) = Zfp.decode(&c, &bad) {
                        assert_eq!(v.len(), input.len());
                    }
                }
            }
        }
    }
}

#[test]
fn encode_rejects_a_chunk_of_the_wrong_size() {
    let field = Field {
        ty: ScalarType::Int32,
        dims: vec![10],
    };
    let cd = cd_for(&field, &Params::DEFAULT);
    assert!(Zfp.encode(&ctx(&cd, 4, 36), &[0; 36]).is_err());
    assert!(Zfp.encode(&ctx(&cd, 8, 40), &[0; 40]).is_err());
}

/// Throughput on 2^20 smooth doubles in a 3-D chunk (`--ignored --nocapture`).
#[test]
#[ignore]
fn speed() {
    let field = Field {
        ty: ScalarType::Double,
        dims: vec![128, 128, 64],
    };
    let input = values(ScalarType::Double, field.values().unwrap(), false);
    for (name, p) in [
        ("rate 16", Params::from_mode(64 * 16 - 1).unwrap()),
        ("accuracy 2^-10", Params::from_mode(2177 + 1064).unwrap()),
        ("reversible", Params::from_mode(2176).unwrap()),
    ] {
        let cd = cd_for(&field, &p);
        let c = ctx(&cd, 8, input.len());
        let t = std::time::Instant::now();
        let z = Zfp.encode(&c, &input).unwrap().unwrap();
        let enc = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let back = Zfp.decode(&c, &z).unwrap();
        let dec = t.elapsed().as_secs_f64();
        assert_eq!(back.len(), input.len());
        let mb = input.len() as f64 / 1e6;
        println!(
            "{name}: ratio {:.2}, encode {:.0} MB/s, decode {:.0} MB/s",
            input.len() as f64 / z.len() as f64,
            mb / enc,
            mb / dec
        );
    }
}
