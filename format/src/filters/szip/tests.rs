#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

/// A deterministic pseudo-random sequence.
fn noise(n: usize, seed: u64) -> Vec<u32> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u32
        })
        .collect()
}

/// Samples of `bits` bits mixing every block kind: zero runs (long, short, across
/// segments), smooth ramps, tiny values (second extension), noise (no compression).
fn mixed(n: usize, bits: u32, signed: bool) -> Vec<u32> {
    let max = if bits == 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    };
    let r = noise(n, u64::from(bits) * 7 + 3);
    (0..n)
        .map(|i| {
            let v: u32 = match (i / 300) % 5 {
                0 => 0,
                1 => (i as u32 / 3) & max,
                2 => r[i] & 3,
                3 => r[i],
                _ => {
                    if signed {
                        // Small negative values near the wrap.
                        (r[i] & 1).wrapping_sub(1)
                    } else {
                        max - (r[i] & 1)
                    }
                }
            };
            v & max
        })
        .collect()
}

fn to_bytes(p: &AecParams, samples: &[u32]) -> Vec<u8> {
    let n = p.bytes_per_sample;
    let mut out = Vec::new();
    for &s in samples {
        let v = if p.signed && p.preprocess {
            // The decoder writes sign-extended values.
            let k = p.bits_per_sample;
            (((u64::from(s) << (64 - k)) as i64 >> (64 - k)) as i32) as u32
        } else {
            s
        };
        for i in 0..n {
            let shift = if p.msb { 8 * (n - 1 - i) } else { 8 * i };
            out.push((v >> shift) as u8);
        }
    }
    out
}

#[test]
fn aec_round_trips_every_option() {
    for bits in [1u32, 2, 3, 5, 8, 9, 12, 16, 17, 24, 25, 31, 32] {
        for block_size in [2usize, 8, 16, 32, 64] {
            for rsi in [1usize, 3, 70, 130] {
                for (preprocess, signed) in [(false, false), (true, false), (true, true)] {
                    let bytes = match bits {
                        1..=8 => 1,
                        9..=16 => 2,
                        17..=24 if rsi == 3 => 3,
                        _ => 4,
                    };
                    let p = AecParams {
                        bits_per_sample: bits,
                        bytes_per_sample: bytes,
                        block_size,
                        rsi,
                        preprocess,
                        signed,
                        msb: rsi % 2 == 1,
                        pad_rsi: rsi == 70,
                    };
                    let n = block_size * rsi * 3;
                    let samples = mixed(n, bits, signed);
                    let z = aec_encode(&p, &samples, "t").unwrap();
                    let want = to_bytes(&p, &samples);
                    let got = aec_decode(&p, &z, want.len(), n, "t", 0).unwrap();
                    assert_eq!(got, want, "{p:?}");
                    // Shorter outputs stop early.
                    let part = want.len() / 3 / bytes * bytes;
                    let got = aec_decode(&p, &z, part, n, "t", 0).unwrap();
                    assert_eq!(got, want[..part], "{p:?}");
                }
            }
        }
    }
}

#[test]
fn zero_runs_compress_and_use_ros() {
    let p = AecParams {
        bits_per_sample: 16,
        bytes_per_sample: 2,
        block_size: 8,
        rsi: 200,
        preprocess: true,
        signed: false,
        msb: false,
        pad_rsi: false,
    };
    // A constant: one reference sample, then zero blocks to the segment ends.
    let samples = vec![1234u32; 8 * 200];
    let z = aec_encode(&p, &samples, "t").unwrap();
    assert!(z.len() < 12, "{}", z.len());
    assert_eq!(
        aec_decode(&p, &z, 3200, 1600, "t", 0).unwrap(),
        to_bytes(&p, &samples)
    );
    // Runs of every length, ending anywhere.
    for run in 1..70 {
        let mut s = vec![0u32; 8 * 200];
        for (i, v) in s.iter_mut().enumerate() {
            if (i / 8) % (run + 1) == run {
                *v = (i % 5) as u32 + 1;
            }
        }
        let p = AecParams {
            preprocess: false,
            ..p
        };
        let z = aec_encode(&p, &s, "t").unwrap();
        assert_eq!(
            aec_decode(&p, &z, 3200, 1600, "t", 0).unwrap(),
            to_bytes(&p, &s)
        );
    }
}

#[test]
fn keep_drops_padding_samples() {
    let p = AecParams {
        bits_per_sample: 8,
        bytes_per_sample: 1,
        block_size: 8,
        rsi: 2,
        preprocess: true,
        signed: false,
        msb: false,
        pad_rsi: false,
    };
    // Lines of 12 pixels padded to 16.
    let mut samples = Vec::new();
    let mut want = Vec::new();
    for line in 0..5u32 {
        let px: Vec<u32> = (0..12).map(|i| line * 20 + i).collect();
        want.extend(px.iter().map(|&v| v as u8));
        samples.extend(&px);
        samples.extend([px[11]; 4]);
    }
    let z = aec_encode(&p, &samples, "t").unwrap();
    assert_eq!(aec_decode(&p, &z, 60, 12, "t", 0).unwrap(), want);
}

fn cd(mask: u32, ppb: u32, bpp: u32, pps: u32) -> Vec<u32> {
    vec![mask | OPTION_K13 | OPTION_RAW, ppb, bpp, pps]
}

#[test]
fn filter_round_trips_types_and_scanlines() {
    let values = mixed(3000, 32, false);
    for (bpp, elem) in [(8u32, 1usize), (16, 2), (12, 2), (20, 4), (32, 4), (64, 8)] {
        for order in [OPTION_LSB, OPTION_MSB] {
            for method in [OPTION_NN, OPTION_EC] {
                for ppb in [2u32, 4, 8, 10, 16, 32] {
                    for pps in [1u32, 7, 16, 100, 1024] {
                        for n in [1usize, 5, 99, 1000] {
                            let bytes: Vec<u8> = values[..n]
                                .iter()
                                .flat_map(|&v| {
                                    let v = if bpp < 32 { v & ((1 << bpp) - 1) } else { v };
                                    let mut b = [0u8; 8];
                                    b[..4].copy_from_slice(&v.to_le_bytes());
                                    b[4..].copy_from_slice(&(v / 3).to_le_bytes());
                                    let mut e = b[..elem].to_vec();
                                    if order == OPTION_MSB {
                                        e.reverse();
                                    }
                                    e
                                })
                                .collect();
                            let cd = cd(method | order, ppb, bpp, pps);
                            match encode(&cd, &bytes).unwrap() {
                                Some(z) => {
                                    let back = decode(&cd, &z, bytes.len(), 0).unwrap();
                                    assert_eq!(back, bytes, "{cd:?} n {n}");
                                    assert_eq!(
                                        u32::from_le_bytes(z[..4].try_into().unwrap()) as usize,
                                        bytes.len()
                                    );
                                }
                                None => assert!(n < 200 || pps < 2 * ppb, "{cd:?} n {n} declined"),
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn decodes_a_chunk_libaec_wrote() {
    // h5py 3.16 (libhdf5 2.0.0 + libaec): np.arange(100, dtype='<i4') % 200 in chunks of
    // 100, szip ('nn', 8): cd [169, 8, 32, 100]; the first 16 bytes of the chunk.
    let cd = [169u32, 8, 32, 100];
    let want: Vec<u8> = (0..100i32).flat_map(|v| v.to_le_bytes()).collect();
    let z = encode(&cd, &want).unwrap().unwrap();
    assert_eq!(
        z[..16],
        [
            0x90, 0x01, 0x00, 0x00, 0x20, 0x09, 0x24, 0x92, 0x49, 0x24, 0x92, 0x49, 0x24, 0x92,
            0x49, 0x24
        ]
    );
    assert_eq!(decode(&cd, &z, 400, 0).unwrap(), want);
}

#[test]
fn set_local_follows_libhdf5() {
    use crate::datatype::Datatype;
    let le_i4 = Datatype::int(4, true);
    let nn = SzipCoding::Nn.options_mask();
    assert_eq!(
        set_local(&[nn, 8], &le_i4, &[100]).unwrap(),
        [169, 8, 32, 100]
    );
    assert_eq!(
        set_local(
            &[SzipCoding::Ec.options_mask(), 16],
            &Datatype::int(1, false),
            &[7, 9]
        )
        .unwrap(),
        [141, 16, 8, 63]
    );
    // Scanline shorter than a block: the chunk's points, up to 128 blocks.
    assert_eq!(set_local(&[nn, 8], &le_i4, &[10, 3]).unwrap()[3], 30);
    assert_eq!(set_local(&[nn, 8], &le_i4, &[2000, 4]).unwrap()[3], 1024);
    assert_eq!(set_local(&[nn, 8], &le_i4, &[5000]).unwrap()[3], 1024);
    assert_eq!(set_local(&[nn, 32], &le_i4, &[3000]).unwrap()[3], 3000);
    assert_eq!(set_local(&[nn, 2], &le_i4, &[3000]).unwrap()[3], 256);
    assert_eq!(
        set_local(&[nn, 8], &Datatype::float(8).unwrap(), &[10]).unwrap()[2],
        64
    );
    for bad in [
        set_local(&[nn, 8], &le_i4, &[2, 3]),
        set_local(&[nn, 7], &le_i4, &[100]),
        set_local(&[nn, 34], &le_i4, &[100]),
        set_local(&[nn], &le_i4, &[100]),
        set_local(&[nn, 8], &Datatype::vlen_utf8(), &[100]),
    ] {
        assert!(matches!(bad, Err(Error::Invalid(_))), "{bad:?}");
    }
}

#[test]
fn corrupt_and_truncated_streams_are_errors() {
    let cd = cd(OPTION_NN | OPTION_LSB, 16, 16, 300);
    let data: Vec<u8> = mixed(3000, 16, false)
        .iter()
        .flat_map(|&v| (v as u16).to_le_bytes())
        .collect();
    let z = encode(&cd, &data).unwrap().unwrap();
    assert_eq!(decode(&cd, &z, data.len(), 0).unwrap(), data);
    // Cut anywhere: an error, never a short output.
    for cut in 0..z.len() {
        assert!(decode(&cd, &z[..cut], data.len(), 0).is_err(), "cut {cut}");
    }
    // A size over the limit.
    let e = decode(&cd, &z, data.len() - 1, 7).unwrap_err().to_string();
    assert!(e.contains("more than") && e.contains("offset 7"), "{e}");
    // Flipped bytes: an error or the right length, never a panic.
    for i in 4..z.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut bad = z.clone();
            bad[i] ^= x;
            if let Ok(v) = decode(&cd, &bad, data.len(), 0) {
                assert_eq!(v.len(), data.len());
            }
        }
    }
    // Random streams under random parameters.
    for (seed, junk) in (0..300u64).map(|s| (s, noise(40, s))) {
        let bytes: Vec<u8> = junk.iter().flat_map(|v| v.to_le_bytes()).collect();
        let params = [
            (
                bytes[0] as u32,
                2 + 2 * (seed as u32 % 32),
                seed as u32 % 70,
                seed as u32 % 50,
            ),
            (OPTION_NN, 8, 8, 1),
            (0, 64, 32, 4096),
        ];
        for (mask, ppb, bpp, pps) in params {
            let cd = [mask, ppb, bpp, pps];
            if let Ok(v) = decode(&cd, &bytes, 5000, 0) {
                assert!(v.len() <= 5000);
            }
        }
    }
    // Bad client data.
    for cd in [
        vec![],
        vec![169, 8, 32],
        vec![169, 0, 8, 8],
        vec![169, 8, 40, 8],
        vec![169, 8, 8, 0],
        vec![169, 7, 8, 8],
    ] {
        let e = decode(&cd, &[16, 0, 0, 0, 0], 16, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("szip filter"), "{e}");
    }
}

#[test]
fn incompressible_chunks_are_declined() {
    let bytes: Vec<u8> = noise(1000, 5)
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert!(encode(&cd(OPTION_NN | OPTION_LSB, 8, 32, 100), &bytes)
        .unwrap()
        .is_none());
    assert_eq!(
        encode(&cd(OPTION_NN, 8, 8, 8), &[]).unwrap().unwrap(),
        [0, 0, 0, 0]
    );
}

/// Throughput on 16 MiB of smooth 16-bit and 32-bit float data (run with `--release
/// --ignored --nocapture`).
#[test]
#[ignore]
fn speed() {
    let n = 8 << 20;
    let u2: Vec<u8> = (0..n)
        .flat_map(|i| ((((i as f64) / 50.0).sin() * 3000.0 + 30000.0) as u16).to_le_bytes())
        .collect();
    let f4: Vec<u8> = (0..n / 2)
        .flat_map(|i| (((i as f32) / 50.0).sin() * 3000.0).to_le_bytes())
        .collect();
    for (name, data, cd) in [
        ("u2 nn16", &u2, cd(OPTION_NN | OPTION_LSB, 16, 16, 4096)),
        ("f4 nn16", &f4, cd(OPTION_NN | OPTION_LSB, 16, 32, 4096)),
    ] {
        let t = std::time::Instant::now();
        let z = encode(&cd, data).unwrap().unwrap();
        let enc = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let back = decode(&cd, &z, data.len(), 0).unwrap();
        let dec = t.elapsed().as_secs_f64();
        assert_eq!(&back, data);
        let mb = data.len() as f64 / 1e6;
        println!(
            "{name}: ratio {:.2}, encode {:.0} MB/s, decode {:.0} MB/s",
            data.len() as f64 / z.len() as f64,
            mb / enc,
            mb / dec
        );
    }
}
