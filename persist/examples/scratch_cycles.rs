#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use jangada_hdf5::*;
use ndarray::{ArrayD, IxDyn};
fn main() -> Result<()> {
    let path = "/tmp/lead/cycles.h5";
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1000);
    let _ = std::fs::remove_file(path);
    let chunk =
        ArrayD::from_shape_vec(IxDyn(&[1000]), (0..1000).map(|v| v as f64).collect()).unwrap();
    {
        let f = File::create(path)?;
        f.root()?.new_dataset("d").maxshape(&[None]).write(&chunk)?;
        f.close()?;
    }
    let t = std::time::Instant::now();
    for _ in 1..n {
        let f = File::open_rw(path)?;
        f.dataset("d")?.append(&chunk)?;
        f.close()?;
    }
    let size = std::fs::metadata(path)?.len();
    println!(
        "{n} cycles: {:?}, size {size} ({:.3} x data)",
        t.elapsed(),
        size as f64 / (n as f64 * 8000.0)
    );
    let f = File::open(path)?;
    let d: ArrayD<f64> = f.dataset("d")?.read()?;
    assert_eq!(d.len(), n * 1000);
    assert!(d.iter().enumerate().all(|(i, v)| *v == (i % 1000) as f64));
    Ok(())
}
