#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;
use crate::datatype::{ByteOrder, CompoundMember, Datatype, TypeClass};

fn local<'a>(t: &'a Datatype, dims: &'a [u64]) -> LocalContext<'a> {
    LocalContext {
        datatype: t,
        chunk_dims: dims,
        fill: None,
    }
}

fn i12() -> Datatype {
    Datatype::int_bits(4, true, ByteOrder::Little, 12, 3).unwrap()
}

#[test]
fn set_local_matches_libhdf5() {
    let cd = Nbit.set_local(&[], &local(&i12(), &[10])).unwrap();
    assert_eq!(cd, vec![8, 0, 10, 1, 4, 0, 12, 3]);
    let full = Datatype::int(4, true);
    assert_eq!(
        Nbit.set_local(&[], &local(&full, &[5, 2])).unwrap(),
        vec![8, 1, 10, 1, 4, 0, 32, 0]
    );
    let s = Datatype::fixed_string(
        3,
        crate::datatype::StringPadding::NullPad,
        crate::datatype::CharacterSet::Ascii,
    );
    assert_eq!(
        Nbit.set_local(&[], &local(&s, &[4])).unwrap(),
        vec![3, 1, 4]
    );
    let c = Datatype {
        size: 16,
        class: TypeClass::Compound {
            members: vec![
                CompoundMember {
                    name: "a".into(),
                    offset: 0,
                    datatype: i12(),
                },
                CompoundMember {
                    name: "s".into(),
                    offset: 4,
                    datatype: s.clone(),
                },
                CompoundMember {
                    name: "v".into(),
                    offset: 8,
                    datatype: Datatype::vlen_utf8(),
                },
            ],
        },
    };
    assert_eq!(
        Nbit.set_local(&[], &local(&c, &[2])).unwrap(),
        vec![18, 0, 2, 3, 16, 3, 0, 1, 4, 0, 12, 3, 4, 4, 3, 8, 4, 8]
    );
}

#[test]
fn round_trips() {
    // 12 bits at offset 3, LE and BE.
    for order in [ByteOrder::Little, ByteOrder::Big] {
        let t = Datatype::int_bits(4, true, order, 12, 3).unwrap();
        let cd = Nbit.set_local(&[], &local(&t, &[100])).unwrap();
        let data: Vec<u8> = (0..400u32).map(|i| (i * 37 % 251) as u8).collect();
        let z = encode(&cd, &data).unwrap();
        assert_eq!(z.len(), 100 * 12 / 8 + 1);
        let back = decode(&cd, &z, 400, 0).unwrap();
        for (e, b) in data.chunks(4).zip(back.chunks(4)) {
            let (v, w) = if order == ByteOrder::Little {
                (
                    u32::from_le_bytes(e.try_into().unwrap()),
                    u32::from_le_bytes(b.try_into().unwrap()),
                )
            } else {
                (
                    u32::from_be_bytes(e.try_into().unwrap()),
                    u32::from_be_bytes(b.try_into().unwrap()),
                )
            };
            assert_eq!(w, v & (0xfff << 3));
        }
    }
    // Full precision: nothing done.
    let cd = [8, 1, 2, 1, 4, 0, 32, 0];
    assert_eq!(
        encode(&cd, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap(),
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
    // Wide (16-byte) values go bit by bit.
    let cd = [8, 0, 3, 1, 16, 1, 80, 5];
    let data: Vec<u8> = (0..48u8).collect();
    let back = decode(&cd, &encode(&cd, &data).unwrap(), 48, 0).unwrap();
    let z = encode(&cd, &back).unwrap();
    assert_eq!(decode(&cd, &z, 48, 0).unwrap(), back);
}

#[test]
fn corrupt_and_hostile_are_errors() {
    let cd = Nbit.set_local(&[], &local(&i12(), &[100])).unwrap();
    let data = vec![0x5au8; 400];
    let z = encode(&cd, &data).unwrap();
    for cut in 0..z.len() - 1 {
        assert!(decode(&cd, &z[..cut], 400, 0).is_err(), "cut {cut}");
    }
    // More elements than the chunk holds.
    assert!(decode(&cd, &z, 399, 0).is_err());
    let hostile: &[&[u32]] = &[
        &[],
        &[1],
        &[3, 0, 4],
        &[5, 0, 4, 1, 4],
        &[8, 0, 4, 1, 4, 0, 40, 0],
        &[8, 0, 4, 1, 4, 2, 12, 0],
        &[8, 0, 4, 1, 0, 0, 0, 0],
        &[8, 0, 4, 9, 4, 0, 12, 0],
        &[9, 0, 4, 1, 4, 0, 12, 0],
        &[8, 0, u32::MAX, 1, u32::MAX, 0, 12, 0],
        // Arrays of zero-sized or undescribed bases, compounds overflowing themselves.
        &[7, 0, 1, 2, 4, 2, 0],
        &[6, 0, 1, 2, 4, 7],
        &[9, 0, 1, 3, 4, 2, 0, 1, 8],
        &[11, 0, 1, 3, 4, 1, 3, 1, 4, 0, 8],
        &[12, 0, 1, 3, 4, 1, 0, 1, 4, 0, 40, 0],
    ];
    for cd in hostile {
        assert!(decode(cd, &[0xff; 64], 64, 0).is_err(), "{cd:?}");
    }
    // Arrays nested past the depth limit.
    let mut deep = vec![0, 0, 1, 2];
    for _ in 0..100 {
        deep.extend([4, 2]);
    }
    deep.extend([4, 1, 4, 0, 8, 0]);
    deep[0] = deep.len() as u32;
    assert!(decode(&deep, &[0; 8], 4, 0).is_err());
    // Random parameter lists never panic.
    let mut x = 0x1234_5678_9abc_def0u64;
    for _ in 0..20_000 {
        let mut cd = vec![0u32; 3 + (x % 14) as usize];
        for v in cd.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = (x % 6) as u32;
        }
        cd[0] = cd.len() as u32;
        cd[1] = 0;
        let _ = decode(&cd, &[0xa5; 16], 64, 0);
    }
}
