//! Writes the sample file dissected in `format/docs/format-notes.md`:
//! `cargo run -q --example format_notes_sample -- /tmp/x.h5`, then `xxd /tmp/x.h5`.
//!
//! Every structure the notes show byte by byte is in it: the superblock, a compact group
//! with and without creation order, a header that overflows into a continuation block, a
//! vlen UTF-8 string attribute (and its global heap collection), contiguous datasets of
//! int64 / float64 / h5py bool / complex / vlen strings, chunked datasets indexed by a
//! single chunk, a fixed array and an extensible array (with a filter pipeline and a fill
//! value), and a group with dense link storage.

use jangada_hdf5::{File, Result, Selection};
use ndarray::{Array1, ArrayD};
use num_complex::Complex;

fn arr<T>(v: Vec<T>) -> ArrayD<T> {
    Array1::from(v).into_dyn()
}

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/format_notes_sample.h5".into());
    let file = File::create_truncate(&path)?;
    let root = file.root()?;
    root.set_attr("title", "héllo")?;

    // Compact groups: plain, and with creation order tracked and indexed.
    let g = root.create_group("g")?;
    g.create_group("a")?;
    g.link_soft("s", "/g/a")?;
    for i in 0..6 {
        // Enough attributes to overflow chunk 0 into a continuation block.
        g.set_attr(&format!("attr{i}"), i as i64)?;
    }
    let t = root.create_group_with("t", true)?;
    t.create_group("x")?;
    t.create_group("y")?;

    // Contiguous datasets of h5py's usual types.
    root.write_dataset("i64", &arr(vec![1i64, 2, 3]))?;
    root.write_dataset("f64", &arr(vec![0.5f64]))?;
    root.write_dataset("bool", &arr(vec![true, false]))?;
    root.write_dataset("cplx", &arr(vec![Complex::new(1.0f64, -2.0)]))?;
    root.new_dataset("str")
        .write_strings(&[2], &["ab".into(), "ü".into()])?;

    // Chunked: single chunk, fixed array (filtered, fill value), extensible array.
    root.new_dataset("single")
        .chunks(&[4])
        .write(&arr(vec![1i32, 2, 3, 4]))?;
    root.new_dataset("fixed")
        .dtype_of::<i32>()
        .shape(&[8])
        .chunks(&[4])
        .shuffle()
        .deflate(4)
        .fill_value(-1i32)?
        .create()?
        .write_slice(Selection::all(), &arr(vec![7i32; 8]))?;
    let ea = root
        .new_dataset("ext")
        .dtype_of::<f64>()
        .shape(&[0])
        .maxshape(&[None])
        .chunks(&[2])
        .create()?;
    ea.append(&arr(vec![1.0f64, 2.0, 3.0]))?;

    // Dense link storage: more than 8 links.
    let d = root.create_group("dense")?;
    for i in 0..9 {
        d.create_group(&format!("m{i}"))?;
    }
    file.close()
}
