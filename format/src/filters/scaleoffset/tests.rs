#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;
use crate::datatype::Datatype;

fn cd_for(t: &Datatype, user: [u32; 2], n: u64, fill: Option<&[u8]>) -> Vec<u32> {
    cd_values(
        &user,
        &LocalContext {
            datatype: t,
            chunk_dims: &[n],
            fill,
        },
    )
    .unwrap()
}

#[test]
fn set_local_matches_libhdf5() {
    // What h5py 3.16 / libhdf5 2.0 store (see tests/filters_nbit.rs for the live check).
    let i2 = Datatype::int(2, true);
    let mut want = vec![0u32; 20];
    want[..8].copy_from_slice(&[2, 4, 30, 0, 2, 1, 0, 1]);
    want[8] = 7;
    assert_eq!(cd_for(&i2, [2, 4], 30, Some(&7i16.to_le_bytes())), want);
    let mut f8be = Datatype::float(8).unwrap();
    if let TypeClass::Float { order, .. } = &mut f8be.class {
        *order = ByteOrder::Big;
    }
    let cd = cd_for(&f8be, [0, 2], 30, Some(&7f64.to_be_bytes()));
    assert_eq!(&cd[..10], &[0, 2, 30, 1, 8, 0, 1, 1, 0, 1_075_576_832]);
    let cd = cd_for(&Datatype::int(1, false), [2, 0], 30, None);
    assert_eq!(&cd[..9], &[2, 0, 30, 0, 1, 0, 0, 1, 0]);
    assert!(cd_values(
        &[0, 2],
        &LocalContext {
            datatype: &Datatype::float16(),
            chunk_dims: &[4],
            fill: None
        }
    )
    .is_err());
}

fn round(t: &Datatype, user: [u32; 2], fill: Option<&[u8]>, data: &[u8]) -> Vec<u8> {
    let n = (data.len() / t.size()) as u64;
    let cd = cd_for(t, user, n, fill);
    let z = encode(&cd, data).unwrap().unwrap();
    decode(&cd, &z, data.len(), 0).unwrap()
}

#[test]
fn integers_round_trip() {
    for (size, signed) in [
        (1, false),
        (1, true),
        (2, true),
        (4, false),
        (8, true),
        (8, false),
    ] {
        let t = Datatype::int(size, signed);
        let data: Vec<u8> = (0..size as usize * 50)
            .map(|i| (i * 7 % 13) as u8)
            .collect();
        assert_eq!(round(&t, [2, 0], None, &data), data, "{size} {signed}");
        let fill = vec![3u8; size as usize];
        assert_eq!(
            round(&t, [2, 0], Some(&fill), &data),
            data,
            "{size} {signed}"
        );
    }
    // The header: minbits 4, minval 0, for 0..15 with fill 7.
    let t = Datatype::int(2, true);
    let data: Vec<u8> = (0..30i16).flat_map(|v| v.to_le_bytes()).collect();
    let cd = cd_for(&t, [2, 4], 30, Some(&7i16.to_le_bytes()));
    let z = encode(&cd, &data).unwrap().unwrap();
    assert_eq!(
        z[..30]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        "0400000008000000000000000000000000000000000123456f89abcdef01"
    );
    // Constant data without a fill value... is still 1 bit (the default fill is defined).
    let data: Vec<u8> = [42i32; 10].iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(round(&Datatype::int(4, true), [2, 0], None, &data), data);
}

#[test]
fn floats_round_trip_to_d_digits() {
    let t = Datatype::float(8).unwrap();
    let vals: Vec<f64> = (0..100).map(|i| f64::from(i) * 0.37 - 11.0).collect();
    let data: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let back = round(&t, [0, 3], None, &data);
    for (v, b) in vals.iter().zip(back.chunks(8)) {
        let b = f64::from_le_bytes(b.try_into().unwrap());
        assert!((v - b).abs() < 1e-3, "{v} {b}");
    }
    let t = Datatype::float(4).unwrap();
    let data: Vec<u8> = vals
        .iter()
        .flat_map(|&v| (v as f32).to_le_bytes())
        .collect();
    let back = round(&t, [0, 2], Some(&1.5f32.to_le_bytes()), &data);
    for (v, b) in vals.iter().zip(back.chunks(4)) {
        let b = f32::from_le_bytes(b.try_into().unwrap());
        assert!((*v as f32 - b).abs() < 1e-2, "{v} {b}");
    }
}

#[test]
fn corrupt_and_hostile_are_errors() {
    let t = Datatype::int(4, true);
    let data: Vec<u8> = (0..400u32).map(|i| (i % 97) as u8).collect();
    let cd = cd_for(&t, [2, 0], 100, None);
    let z = encode(&cd, &data).unwrap().unwrap();
    for cut in 0..z.len() - 1 {
        assert!(decode(&cd, &z[..cut], 400, 0).is_err(), "cut {cut}");
    }
    assert!(decode(&cd, &z, 399, 0).is_err());
    // minbits beyond the type.
    let mut bad = z.clone();
    bad[0] = 33;
    assert!(decode(&cd, &bad, 400, 0).is_err());
    // E-scale, wrong counts, classes, sizes, orders.
    let mut e = cd_for(&Datatype::float(4).unwrap(), [1, 8], 100, None);
    assert!(decode(&e, &z, 400, 0)
        .unwrap_err()
        .to_string()
        .contains("E-scale"));
    e[0] = 0;
    e[4] = 2;
    assert!(decode(&e, &z, 400, 0).is_err());
    for (i, v) in [(3, 2), (4, 3), (5, 2), (6, 2), (1, 40), (0, 0)] {
        let mut h = cd.clone();
        h[i] = v;
        assert!(decode(&h, &z, 400, 0).is_err(), "cd[{i}] = {v}");
    }
    assert!(decode(&cd[..19], &z, 400, 0).is_err());
    // Random streams never panic.
    let mut x = 0x0bad_5eed_u64;
    for _ in 0..5000 {
        let mut s = vec![0u8; (x % 64) as usize];
        for b in s.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let _ = decode(&cd, &s, 400, 0);
    }
}

/// Throughput on 16 MiB chunks (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn speed() {
    let n = 4 << 20;
    let report = |what: &str, bytes: usize, t: std::time::Duration| {
        println!("{what}: {:.0} MB/s", bytes as f64 / t.as_secs_f64() / 1e6);
    };
    let ints: Vec<u8> = (0..n as u32)
        .flat_map(|i| ((i / 3) % 5000).to_le_bytes())
        .collect();
    let t = Datatype::int(4, false);
    let cd = cd_for(&t, [2, 0], n as u64, None);
    let s = std::time::Instant::now();
    let z = encode(&cd, &ints).unwrap().unwrap();
    report("scaleoffset int encode", ints.len(), s.elapsed());
    let s = std::time::Instant::now();
    decode(&cd, &z, ints.len(), 0).unwrap();
    report("scaleoffset int decode", ints.len(), s.elapsed());
    let floats: Vec<u8> = (0..n)
        .flat_map(|i| ((i as f32 * 0.001).sin() * 100.0).to_le_bytes())
        .collect();
    let cd = cd_for(&Datatype::float(4).unwrap(), [0, 3], n as u64, None);
    let s = std::time::Instant::now();
    let z = encode(&cd, &floats).unwrap().unwrap();
    report("scaleoffset f4 D=3 encode", floats.len(), s.elapsed());
    let s = std::time::Instant::now();
    decode(&cd, &z, floats.len(), 0).unwrap();
    report("scaleoffset f4 D=3 decode", floats.len(), s.elapsed());
    let t = Datatype::int_bits(4, true, ByteOrder::Little, 12, 3).unwrap();
    let cd = crate::filters::nbit::cd_values(&t, &[n as u64]).unwrap();
    let s = std::time::Instant::now();
    let z = crate::filters::nbit::encode(&cd, &ints).unwrap();
    report("nbit 12-bit encode", ints.len(), s.elapsed());
    let s = std::time::Instant::now();
    crate::filters::nbit::decode(&cd, &z, ints.len(), 0).unwrap();
    report("nbit 12-bit decode", ints.len(), s.elapsed());
}
