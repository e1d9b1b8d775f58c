//! `set_attrs` (several attributes in one header edit) and attributes given at creation
//! (`GroupBuilder::attrs`, `DatasetBuilder::attrs`: written with the new header) give the
//! same attributes as one `set_attr` each: compact, overwriting, past the compact limit
//! (dense), with tracked creation order, and on datasets; h5py reads them alike.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use jangada_hdf5::{AttrData, File, IntoAttr};
use ndarray::{ArrayD, IxDyn};

fn attr<T: IntoAttr>(name: &str, v: T) -> (String, AttrData) {
    (name.to_string(), v.into_attr().unwrap())
}

fn path(name: &str) -> std::path::PathBuf {
    let d = common::scratch_root("set-attrs");
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

/// The attributes of the `i`-th test batch of `n`: ints, strings and floats in turn, and a
/// name given twice (the later value wins) when `dup`.
fn batch(n: usize, dup: bool) -> Vec<(String, AttrData)> {
    let mut out: Vec<(String, AttrData)> = (0..n)
        .map(|i| {
            let name = format!("v{i}");
            match i % 3 {
                0 => attr(&name, i as i64),
                1 => attr(&name, format!("s{i}").as_str()),
                _ => attr(&name, i as f64 * 0.5),
            }
        })
        .collect();
    if dup {
        out.push(attr("v0", "again"));
    }
    out
}

/// h5py's listing of every attribute of the objects under `/` (iteration order: creation
/// order where tracked, else name order), one line per object.
fn h5py_listing(p: &std::path::Path) -> String {
    common::run_python(
        r#"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    def show(name, obj):
        print(name, [(k, str(v)) for k, v in obj.attrs.items()])
    f.visititems(show)
"#,
        &[p.to_str().unwrap()],
    )
}

#[test]
fn attributes_given_at_creation_equal_set_attr_each() {
    if common::skip_unless(
        common::Needs::HostTools,
        "attributes_given_at_creation_equal_set_attr_each",
    ) {
        return;
    }
    let cases = [
        (0usize, false, false),
        (3, false, false),
        (8, false, false),
        (8, true, false),
        (9, false, false),
        (12, false, true),
        (5, true, true),
        (12, true, false),
    ];
    for (n, track, dup) in cases {
        let p = path(&format!("created{n}{track}{dup}.h5"));
        let q = path(&format!("each{n}{track}{dup}.h5"));
        let data = ArrayD::from_shape_vec(IxDyn(&[4]), vec![1i32, 2, 3, 4]).unwrap();
        {
            let f = File::create(&p).unwrap();
            let root = f.root().unwrap();
            let g = root
                .new_group("g")
                .track_order(track)
                .attrs(batch(n, dup))
                .create()
                .unwrap();
            assert_eq!(g.path(), "/g");
            assert_eq!(g.tracks_creation_order(), track);
            // The handle works as any other: links and attributes added later.
            g.new_dataset("d")
                .maxshape(&[None])
                .track_order(track)
                .attrs(batch(n, dup))
                .write(&data)
                .unwrap();
            g.set_attr("later", 1u8).unwrap();
            drop((g, root));
            f.close().unwrap();
        }
        {
            let f = File::create(&q).unwrap();
            let root = f.root().unwrap();
            let g = root.create_group_with("g", track).unwrap();
            let d = g
                .new_dataset("d")
                .maxshape(&[None])
                .track_order(track)
                .write(&data)
                .unwrap();
            for (k, v) in batch(n, dup) {
                g.set_attr(&k, v.clone()).unwrap();
                d.set_attr(&k, v).unwrap();
            }
            g.set_attr("later", 1u8).unwrap();
            drop((d, g, root));
            f.close().unwrap();
        }
        let (a, b) = (File::open(&p).unwrap(), File::open(&q).unwrap());
        for obj in ["g", "g/d"] {
            let (x, y) = (a.get(obj).unwrap(), b.get(obj).unwrap());
            let (lx, ly) = (listing(x.attrs().unwrap()), listing(y.attrs().unwrap()));
            assert_eq!(lx, ly, "{obj} {n} {track} {dup}");
        }
        let g = a.group("g").unwrap();
        assert_eq!(g.attrs().unwrap().len(), n + 1, "{n} {track} {dup}");
        if dup {
            assert_eq!(g.attr("v0").unwrap().read_string().unwrap(), "again");
        }
        assert_eq!(a.dataset("g/d").unwrap().read::<i32>().unwrap(), data);
        assert_eq!(h5py_listing(&p), h5py_listing(&q), "{n} {track} {dup}");
    }
}

#[test]
fn a_refused_creation_with_attributes_changes_nothing() {
    let p = path("refused.h5");
    let f = File::create(&p).unwrap();
    let root = f.root().unwrap();
    root.set_attr("keep", "me").unwrap();
    f.flush().unwrap();
    let before = std::fs::read(&p).unwrap();
    let bad_name = vec![attr("", 1i64)];
    let mut short = 1i64.into_attr().unwrap();
    short.payload = jangada_hdf5::Payload::Bytes(vec![1, 2, 3]);
    let wrong_len = vec![attr("s", "text"), ("n".to_string(), short)];
    for attrs in [bad_name, wrong_len] {
        let e = root.new_group("g").attrs(attrs.clone()).create();
        assert!(e.is_err());
        let e = root.new_group("a/b/c").attrs(attrs.clone()).create();
        assert!(e.is_err());
        let data = ArrayD::from_shape_vec(IxDyn(&[2]), vec![1.0f64, 2.0]).unwrap();
        let e = root.new_dataset("x/d").attrs(attrs).write(&data);
        assert!(e.is_err());
        f.flush().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), before);
        assert!(root.member_names().unwrap().is_empty());
    }
}
