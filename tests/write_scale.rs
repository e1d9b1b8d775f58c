//! Storage grows the way libhdf5's does: a group of 100,000 members and an object of
//! 10,000 attributes go to dense storage (fractal heap + v2 B-tree name index), and both
//! our reader and h5py open them and look names up through the index.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use jangada_hdf5::{File, LinkTarget};

#[test]
fn hundred_thousand_members_and_ten_thousand_attributes() {
    let dir = common::scratch_root("jangada-scale");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.h5");
    {
        let f = File::create_truncate(&path).unwrap();
        let members = f.root().unwrap().create_group("members").unwrap();
        for i in 0..100_000 {
            members.create_group(&format!("m{i:06}")).unwrap();
        }
        let attrs = f.root().unwrap().create_group("attrs").unwrap();
        for i in 0..10_000i64 {
            attrs.set_attr(&format!("a{i:05}"), i).unwrap();
        }
        f.close().unwrap();
    }
    let f = File::open(&path).unwrap();
    let members = f.group("members").unwrap();
    for i in (0..100_000).step_by(997) {
        let link = members
            .link(&format!("m{i:06}"))
            .unwrap()
            .expect("member exists");
        assert!(matches!(link.target, LinkTarget::Hard(_)));
    }
    assert!(members.link("m100000").unwrap().is_none());
    assert_eq!(members.links().unwrap().len(), 100_000);
    let attrs = f.group("attrs").unwrap();
    for i in (0..10_000i64).step_by(97) {
        assert_eq!(
            attrs
                .attr(&format!("a{i:05}"))
                .unwrap()
                .read_scalar::<i64>()
                .unwrap(),
            i
        );
    }
    assert!(attrs.attr("a10000").is_err());
    let out = common::run_python(
        "import sys, h5py\n\
         f = h5py.File(sys.argv[1], 'r')\n\
         g = f['members']; a = f['attrs'].attrs\n\
         assert len(g) == 100000 and len(a) == 10000\n\
         for i in range(0, 100000, 997): g['m%06d' % i]\n\
         for i in range(0, 10000, 97): assert a['a%05d' % i] == i\n\
         print('ok')",
        &[path.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(out.trim(), "ok");
    common::h5dump_ok(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
