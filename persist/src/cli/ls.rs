//! `jangada ls FILE [PATH]`: a recursive listing like `h5ls -r`: each object's path, kind,
//! and for datasets shape (with maximum shape), datatype, layout, chunk shape and filters.

use std::fmt::Write as _;
use std::path::Path;

use jangada_hdf5::{describe, Dataset, File, Group, LinkTarget, Node, Result};

/// The listing as text, one object per line.
pub fn list(path: impl AsRef<Path>, start: Option<&str>) -> Result<String> {
    let file = File::open(path)?;
    let node = file.get(start.unwrap_or("/"))?;
    let mut out = String::new();
    line(&mut out, &node);
    if let Node::Group(g) = &node {
        walk(&mut out, g, 0)?;
    }
    Ok(out)
}

fn dataset_summary(d: &Dataset) -> String {
    let mut s = String::from("Dataset ");
    if d.is_null() {
        s.push_str("{NULL}");
    } else if d.shape().is_empty() {
        s.push_str("{SCALAR}");
    } else {
        let dims: Vec<String> = d
            .shape()
            .iter()
            .zip(d.maxshape())
            .map(|(cur, max)| match max {
                Some(m) if m == *cur => cur.to_string(),
                Some(m) => format!("{cur}/{m}"),
                None => format!("{cur}/Inf"),
            })
            .collect();
        let _ = write!(s, "{{{}}}", dims.join(", "));
    }
    let _ = write!(s, " {} {}", describe(d.dtype()), d.layout().name());
    if let Some(c) = d.chunks() {
        let c: Vec<String> = c.iter().map(u64::to_string).collect();
        let _ = write!(s, "({})", c.join(","));
    }
    if let Some(index) = d.chunk_index() {
        let _ = write!(s, " index={index}");
    }
    if !d.filters().is_empty() {
        let f: Vec<String> = d
            .filters()
            .iter()
            .map(|f| match (f.id, f.client_data.first()) {
                (1, Some(level)) => format!("{}({level})", f.display_name()),
                _ => f.display_name(),
            })
            .collect();
        let _ = write!(s, " filters={}", f.join(","));
    }
    s
}

fn line(out: &mut String, node: &Node) {
    let desc = match node {
        Node::Group(_) => "Group".to_string(),
        Node::Dataset(d) => dataset_summary(d),
        Node::Datatype(t) => format!("Type {}", describe(t.datatype())),
    };
    let _ = writeln!(out, "{:<32} {desc}", node.path());
}

fn walk(out: &mut String, group: &Group, depth: usize) -> Result<()> {
    if depth > 256 {
        return Ok(());
    }
    for link in group.links()? {
        let path = if group.path().ends_with('/') {
            format!("{}{}", group.path(), link.name)
        } else {
            format!("{}/{}", group.path(), link.name)
        };
        match &link.target {
            LinkTarget::Hard(_) => {
                let node = group.get(&link.name)?;
                line(out, &node);
                if let Node::Group(g) = &node {
                    walk(out, g, depth + 1)?;
                }
            }
            LinkTarget::Soft(target) => {
                let _ = writeln!(out, "{path:<32} Soft Link {{{target}}}");
            }
            LinkTarget::External { file, path: p } => {
                let _ = writeln!(out, "{path:<32} External Link {{{file}/{p}}}");
            }
            LinkTarget::UserDefined(t) => {
                let _ = writeln!(out, "{path:<32} User-defined Link (type {t})");
            }
        }
    }
    Ok(())
}
