#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use jangada_hdf5::*;
use ndarray::{ArrayD, IxDyn};
fn main() -> Result<()> {
    let path = std::env::args().nth(1).unwrap_or("/tmp/lead/w.h5".into());
    let _ = std::fs::remove_file(&path);
    let f = File::create(&path)?;
    let root = f.root()?;
    root.set_attr("n", 5i64)?;
    root.set_attr("x", 2.5f64)?;
    root.set_attr("b", true)?;
    root.set_attr("c", num_complex::Complex::new(1.0f64, -2.0))?;
    root.set_attr("s", "héllo")?;
    let g = root.create_group("g/h")?;
    g.set_attr("t", "inner")?;
    let a = ArrayD::from_shape_vec(IxDyn(&[3, 4]), (0..12).map(|v| v as f64).collect()).unwrap();
    root.write_dataset("data", &a)?;
    let ds = root
        .new_dataset("grow")
        .maxshape(&[None])
        .deflate(4)
        .shuffle()
        .write(&ArrayD::from_shape_vec(IxDyn(&[5]), vec![1i32, 2, 3, 4, 5]).unwrap())?;
    ds.append(&ArrayD::from_shape_vec(IxDyn(&[3]), vec![6i32, 7, 8]).unwrap())?;
    let lst = root.create_group_with("list", true)?;
    for i in 0..12 {
        lst.set_attr(&i.to_string(), i as i64)?;
    }
    let many = root.create_group("many")?;
    for i in 0..20 {
        many.create_group(&format!("m{i}"))?;
    }
    f.close()?;
    Ok(())
}
