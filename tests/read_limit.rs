//! Every read's decoded size goes through one limit (`File::set_read_limit`, default
//! `DEFAULT_READ_LIMIT` or `JANGADA_MAX_READ_BYTES`): over it, an error naming the limit
//! before anything is allocated; slices under it still read. Also: a dataspace whose
//! current size exceeds its (limited) maximum is refused as corrupt, as libhdf5 does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use jangada_hdf5::{Error, File, Selection, SliceArg, DEFAULT_READ_LIMIT};
use ndarray::{ArrayD, IxDyn};

#[test]
fn reads_over_the_limit_are_refused_and_slices_under_it_read() {
    let dir = common::scratch_root("jangada-limit");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("limit.h5");
    {
        let f = File::create_truncate(&path).unwrap();
        let data =
            ArrayD::from_shape_vec(IxDyn(&[1000]), (0..1000).map(f64::from).collect()).unwrap();
        f.root().unwrap().new_dataset("x").write(&data).unwrap();
        // A never-written dataset whose dataspace claims 2^40 elements (8 TiB).
        f.root()
            .unwrap()
            .new_dataset("huge")
            .dtype_of::<f64>()
            .shape(&[1 << 20, 1 << 20])
            .chunks(&[64, 64])
            .create()
            .unwrap();
        f.close().unwrap();
    }
    let f = File::open(&path).unwrap();
    assert_eq!(f.read_limit(), DEFAULT_READ_LIMIT);
    let huge = f.dataset("huge").unwrap();
    for err in [
        huge.read::<f64>().unwrap_err(),
        huge.read_dyn().unwrap_err(),
        huge.read_raw(Selection::all()).unwrap_err(),
    ] {
        assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
        assert!(err.to_string().contains("read limit"), "{err}");
    }
    // A slice of it reads (fill values).
    let part: ArrayD<f64> = huge
        .read_slice(Selection::new([
            SliceArg::range(0, 2),
            SliceArg::range(0, 3),
        ]))
        .unwrap();
    assert_eq!(part.shape(), &[2, 3]);

    f.set_read_limit(4000);
    let x = f.dataset("x").unwrap();
    let err = x.read::<f64>().unwrap_err().to_string();
    assert!(
        err.contains("8000 bytes exceeds the read limit of 4000"),
        "{err}"
    );
    let half: ArrayD<f64> = x
        .read_slice(Selection::new([SliceArg::range(0, 500)]))
        .unwrap();
    assert_eq!(half[[499]], 499.0);
    std::fs::remove_dir_all(&dir).unwrap();
}
