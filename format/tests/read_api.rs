//! The short forms of reading: static dimensionality (`read_1d`, `read_2d`, `read_dim`),
//! flat vectors, reads into a caller's buffer or array view (no allocation), and selections
//! written as tuples or with ndarray's `s![..]` — each equal to the general `read_slice`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use jangada_hdf5::ndarray::{s, Array2, Array3, ArrayD, Ix3, IxDyn};
use jangada_hdf5::{File, Selection, SliceArg};

fn file() -> File {
    let f = File::create_in_memory().unwrap();
    let root = f.root().unwrap();
    let grid = ArrayD::from_shape_fn(IxDyn(&[20, 30]), |i| (i[0] * 30 + i[1]) as f64);
    root.new_dataset("grid")
        .chunks(&[7, 9])
        .deflate(1)
        .write(&grid)
        .unwrap();
    let line = ArrayD::from_shape_fn(IxDyn(&[50]), |i| i[0] as i32 - 10);
    root.new_dataset("line").write(&line).unwrap();
    let cube = ArrayD::from_shape_fn(IxDyn(&[3, 4, 5]), |i| {
        (i[0] * 100 + i[1] * 10 + i[2]) as u16
    });
    root.new_dataset("cube").write(&cube).unwrap();
    File::from_bytes(f.to_bytes().unwrap()).unwrap()
}

#[test]
fn static_dimensions_and_flat_vectors() {
    let f = file();
    let line = f.dataset("line").unwrap();
    let a = line.read_1d::<i32>().unwrap();
    assert_eq!(a.len(), 50);
    assert_eq!(a[0], -10);
    let grid: Array2<f64> = f.dataset("grid").unwrap().read_2d().unwrap();
    assert_eq!(grid.dim(), (20, 30));
    assert_eq!(grid[[19, 29]], 599.0);
    let cube: Array3<u16> = f.dataset("cube").unwrap().read_dim::<u16, Ix3>().unwrap();
    assert_eq!(cube[[2, 3, 4]], 234);
    assert_eq!(
        f.dataset("cube").unwrap().read_vec::<u16>().unwrap(),
        cube.iter().copied().collect::<Vec<_>>()
    );
    // The wrong dimensionality names the dataset and both counts.
    let err = line.read_2d::<i32>().unwrap_err().to_string();
    assert!(
        err.contains("/line") && err.contains("1 dimensions") && err.contains("2"),
        "{err}"
    );
}

#[test]
fn selections_as_tuples_and_ndarray_slices_agree() {
    let f = file();
    let grid = f.dataset("grid").unwrap();
    let general = grid
        .read_slice::<f64>(&Selection::new([
            SliceArg::stepped(2, 17, 3),
            SliceArg::Slice {
                start: Some(-10),
                stop: None,
                step: 1,
            },
        ]))
        .unwrap();
    let with_s = grid.read_slice::<f64>(s![2..17;3, -10..]).unwrap();
    assert_eq!(with_s, general);
    let tuple = grid.read_slice::<f64>((4, 5..9)).unwrap();
    assert_eq!(tuple, grid.read_slice::<f64>(s![4, 5..9]).unwrap());
    assert_eq!(tuple.shape(), &[4]);
    // What a hyperslab cannot express is an error, not a silently different read.
    let err = grid
        .read_slice::<f64>(s![..;-1, ..])
        .unwrap_err()
        .to_string();
    assert!(err.contains("negative steps"), "{err}");
    let err = grid.read_slice::<f64>(s![.., jangada_hdf5::ndarray::NewAxis, ..]);
    assert!(err.unwrap_err().to_string().contains("new axis"));
}

#[test]
fn reads_into_a_reused_buffer() {
    let f = file();
    let grid = f.dataset("grid").unwrap();
    let all = grid.read_2d::<f64>().unwrap();
    let mut buf = vec![0.0f64; 3 * 30];
    for row in 0..18 {
        let shape = grid
            .read_slice_into(s![row..row + 3, ..], &mut buf)
            .unwrap();
        assert_eq!(shape, vec![3, 30]);
        let expect: Vec<f64> = all.slice(s![row..row + 3, ..]).iter().copied().collect();
        assert_eq!(buf, expect, "rows {row}..{}", row + 3);
    }
    // Converted on the way (stored f64, read as f32).
    let mut small = [0f32; 4];
    grid.read_slice_into((1, 0..4), &mut small).unwrap();
    assert_eq!(small, [30.0, 31.0, 32.0, 33.0]);
    // A buffer of the wrong size is refused and left alone.
    let mut wrong = vec![7.0f64; 10];
    let err = grid.read_slice_into(s![0..3, ..], &mut wrong).unwrap_err();
    assert!(err.to_string().contains("90 elements"), "{err}");
    assert!(wrong.iter().all(|&v| v == 7.0));
}

#[test]
fn reads_into_array_views() {
    let f = file();
    let grid = f.dataset("grid").unwrap();
    let all = grid.read_2d::<f64>().unwrap();
    // A contiguous view: straight into its memory.
    let mut out = Array2::<f64>::zeros((5, 30));
    grid.read_slice_into_view(s![10..15, ..], out.view_mut())
        .unwrap();
    assert_eq!(out, all.slice(s![10..15, ..]));
    // A strided view (every other column of a wider array).
    let mut wide = Array2::<f64>::zeros((5, 20));
    grid.read_slice_into_view(s![0..5, 0..10], wide.slice_mut(s![.., ..;2]))
        .unwrap();
    assert_eq!(wide.slice(s![.., ..;2]), all.slice(s![0..5, 0..10]));
    assert!(wide.slice(s![.., 1..;2]).iter().all(|&v| v == 0.0));
    // A view of another shape is refused.
    let mut other = Array2::<f64>::zeros((4, 30));
    assert!(grid
        .read_slice_into_view(s![10..15, ..], other.view_mut())
        .is_err());
}
