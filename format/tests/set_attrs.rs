//! `set_attrs` (several attributes in one header edit) gives the same attributes as one
//! `set_attr` each: compact, overwriting, past the compact limit (dense), with tracked
//! creation order, and on datasets.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use jangada_hdf5::{AttrData, File, IntoAttr};
use ndarray::{ArrayD, IxDyn};

fn attr<T: IntoAttr>(name: &str, v: T) -> (String, AttrData) {
    (name.to_string(), v.into_attr().unwrap())
}

fn path(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("set-attrs-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// (name, value as text) of every attribute, in the order the reader gives.
fn listing(attrs: Vec<jangada_hdf5::Attribute>) -> Vec<(String, String)> {
    attrs
        .into_iter()
        .map(|a| {
            (
                a.name().to_string(),
                format!("{:?}", a.read_dyn().unwrap().elements),
            )
        })
        .collect()
}

#[test]
fn same_attributes_as_one_set_attr_each() {
    for (n, track) in [
        (3usize, false),
        (8, false),
        (12, false),
        (5, true),
        (12, true),
    ] {
        let p = path(&format!("a{n}{track}.h5"));
        let f = File::create(&p).unwrap();
        let root = f.root().unwrap();
        let one = root.create_group_with("one", track).unwrap();
        let many = root.create_group_with("many", track).unwrap();
        // One attribute exists already and is overwritten by the batch.
        one.set_attr("v0", 99i64).unwrap();
        many.set_attr("v0", 99i64).unwrap();
        let mut batch = Vec::new();
        for i in 0..n {
            let name = format!("v{i}");
            match i % 3 {
                0 => {
                    one.set_attr(&name, i as i64).unwrap();
                    batch.push(attr(&name, i as i64));
                }
                1 => {
                    one.set_attr(&name, format!("s{i}").as_str()).unwrap();
                    batch.push(attr(&name, format!("s{i}").as_str()));
                }
                _ => {
                    one.set_attr(&name, i as f64 * 0.5).unwrap();
                    batch.push(attr(&name, i as f64 * 0.5));
                }
            }
        }
        many.set_attrs(batch).unwrap();
        drop((one, many, root));
        f.close().unwrap();
        let f = File::open(&p).unwrap();
        let a = listing(f.group("one").unwrap().attrs().unwrap());
        let b = listing(f.group("many").unwrap().attrs().unwrap());
        assert_eq!(a.len(), n.max(1), "{n} {track}");
        assert_eq!(a, b, "{n} {track}");
        assert!(
            b.iter().any(|(k, v)| k == "v0" && v.contains("Int(0)")),
            "{b:?}"
        );
    }
}

#[test]
fn on_a_dataset_with_strings_and_duplicates() {
    let p = path("ds.h5");
    let f = File::create(&p).unwrap();
    let data = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0f64, 2.0, 3.0]).unwrap();
    let ds = f.root().unwrap().write_dataset("d", &data).unwrap();
    // A name given twice: the last value wins, as with set_attr in order.
    ds.set_attrs(vec![
        attr("kind", "numpy.ndarray"),
        attr("unit", "m"),
        attr("kind", "other"),
    ])
    .unwrap();
    drop(ds);
    f.close().unwrap();
    let f = File::open(&p).unwrap();
    let ds = f.dataset("d").unwrap();
    assert_eq!(ds.attr("kind").unwrap().read_string().unwrap(), "other");
    assert_eq!(ds.attr("unit").unwrap().read_string().unwrap(), "m");
    assert_eq!(ds.attrs().unwrap().len(), 2);
    assert_eq!(ds.read::<f64>().unwrap(), data);
}
