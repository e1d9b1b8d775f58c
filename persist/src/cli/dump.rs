//! `jangada dump --json FILE`: the raw HDF5 tree as JSON, in this exact schema (a contract
//! other people's scripts rely on):
//!
//! - group: `{"kind":"group","attrs":{NAME: ATTR},"members":{NAME: NODE}}`
//! - dataset: `{"kind":"dataset","dtype":DT,"shape":[..],"maxshape":[int|null,..],
//!   "chunks":[..]|null,"attrs":{..},"data":FLAT}`
//! - ATTR: `{"dtype":DT,"shape":[..],"data":FLAT}` (scalar: shape `[]`, one-element data)
//! - DT: numpy's `dtype.str` for numbers, bools, complex and fixed bytes; `"str"` for
//!   variable-length strings; `{"compound":[[name,DT],..]}`; `{"enum":[DT_base,{name:value}]}`
//!   for non-bool enums; `{"array":[DT,[dims]]}` for array types.
//! - FLAT: row-major flat list; complex as `[re,im]`; non-finite floats as `"nan"`, `"inf"`,
//!   `"-inf"`; compound elements as `{field: value}`.
//!
//! Links are followed (a member reached twice is dumped twice, a cycle is an error);
//! dangling and external links are omitted. Decisions where the schema is silent (shared
//! with `fixtures/README.md`): keys are in byte-wise name order; variable-length sequences
//! are `{"vlen":DT}` with each element a list; opaque types are `{"opaque":N}` with each
//! element a lowercase hex string; object references are `{"ref":"object"}` with the
//! referenced object header's address (or null); a null dataspace has `"shape":null`,
//! `"maxshape":null` and `"data":null`; committed datatypes are
//! `{"kind":"datatype","dtype":DT,"attrs":{..}}`.

use std::path::Path;

use serde_json::{json, Map, Value};

use jangada_hdf5::dataspace::selection::Selection;
use jangada_hdf5::{
    decode_number, numpy_str, Attribute, Dataset, Datatype, DynArray, Element, Error, File, Group,
    LinkTarget, Node, ReferenceKind, RegionRef, Result, TypeClass,
};

/// Dump the whole file at `path` as the JSON tree.
pub fn dump_file(path: impl AsRef<Path>) -> Result<Value> {
    dump(&File::open(path)?)
}

/// Dump an open file as the JSON tree.
pub fn dump(file: &File) -> Result<Value> {
    let root = file.root()?;
    let mut stack = Vec::new();
    group_json(&root, &mut stack)
}

/// The JSON of a datatype (DT).
pub fn dtype_json(dtype: &Datatype) -> Value {
    if let TypeClass::Opaque { .. } = dtype.class {
        return json!({ "opaque": dtype.size });
    }
    if let Some(s) = numpy_str(dtype) {
        return Value::String(s);
    }
    match &dtype.class {
        TypeClass::VarLenString { .. } => Value::String("str".into()),
        TypeClass::Compound { members } => json!({
            "compound": members
                .iter()
                .map(|m| json!([m.name, dtype_json(&m.datatype)]))
                .collect::<Vec<_>>()
        }),
        TypeClass::Enum { base, members } => {
            let mut map = Map::new();
            for m in members {
                let v = match decode_number(base, &m.value).ok() {
                    Some(Element::Int(i)) => json!(i),
                    Some(Element::UInt(u)) => json!(u),
                    _ => Value::Null,
                };
                map.insert(m.name.clone(), v);
            }
            json!({ "enum": [dtype_json(base), Value::Object(map)] })
        }
        TypeClass::Array { dims, base } => json!({ "array": [dtype_json(base), dims] }),
        TypeClass::VarLenSequence { base } => json!({ "vlen": dtype_json(base) }),
        TypeClass::Reference {
            kind: ReferenceKind::Object,
        } => json!({ "ref": "object" }),
        TypeClass::Reference {
            kind: ReferenceKind::DatasetRegion,
        } => json!({ "ref": "region" }),
        other => json!({ "unsupported": format!("{other:?}") }),
    }
}

/// A float as JSON: a number when finite, else `"nan"`, `"inf"` or `"-inf"`.
pub fn float_json(f: f64) -> Value {
    if f.is_nan() {
        Value::String("nan".into())
    } else if f.is_infinite() {
        Value::String(if f > 0.0 { "inf" } else { "-inf" }.into())
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// One element of FLAT data.
pub fn element_json(e: &Element) -> Value {
    match e {
        Element::Int(i) => json!(i),
        Element::UInt(u) => json!(u),
        Element::Float(f) => float_json(*f),
        Element::Bool(b) => json!(b),
        Element::Complex(re, im) => json!([float_json(*re), float_json(*im)]),
        Element::Str(s) => json!(s),
        Element::Bytes(b) => json!(String::from_utf8_lossy(b)),
        Element::Compound(fields) => {
            let mut map = Map::new();
            for (name, v) in fields {
                map.insert(name.clone(), element_json(v));
            }
            Value::Object(map)
        }
        Element::Array(items) | Element::Sequence(items) => {
            Value::Array(items.iter().map(element_json).collect())
        }
        Element::Opaque(bytes) => Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect()),
        Element::Reference(addr) => addr.map_or(Value::Null, |a| json!(a)),
        Element::RegionReference(r) => r.as_ref().map_or(Value::Null, region_json),
    }
}

/// Most hyperslab blocks listed for one region reference.
const REGION_BLOCKS_MAX: usize = 1 << 20;

/// A dataset region reference: `{"object": ADDR, "selection": "all"|"none"}`,
/// `{"object": ADDR, "points": [[i, ..], ..]}` or `{"object": ADDR, "blocks": [[[start..],
/// [end..]], ..]}` (ends inclusive, in `H5Sget_select_hyper_blocklist`'s order).
fn region_json(r: &RegionRef) -> Value {
    match &r.selection {
        Selection::All => json!({ "object": r.object, "selection": "all" }),
        Selection::None => json!({ "object": r.object, "selection": "none" }),
        Selection::Points { rank, coords } => json!({
            "object": r.object,
            "points": coords.chunks((*rank).max(1)).collect::<Vec<_>>(),
        }),
        sel => match sel.block_list(REGION_BLOCKS_MAX) {
            Ok(blocks) => json!({
                "object": r.object,
                "blocks": blocks
                    .unwrap_or_default()
                    .iter()
                    .map(|b| json!([b.start, b.end]))
                    .collect::<Vec<_>>(),
            }),
            // Never a made-up region: the reason instead of the blocks.
            Err(e) => json!({ "object": r.object, "error": e.to_string() }),
        },
    }
}

fn shape_json(a: &DynArray) -> Value {
    a.shape.as_ref().map_or(Value::Null, |s| json!(s))
}

fn data_json(a: &DynArray) -> Value {
    if a.shape.is_none() {
        return Value::Null;
    }
    Value::Array(a.elements.iter().map(element_json).collect())
}

fn attrs_json(attrs: &[Attribute]) -> Result<Value> {
    let mut map = Map::new();
    for attr in attrs {
        let value = attr.read_dyn()?;
        map.insert(
            attr.name().to_string(),
            json!({ "dtype": dtype_json(attr.dtype()), "shape": shape_json(&value), "data": data_json(&value) }),
        );
    }
    Ok(Value::Object(map))
}

fn dataset_json(ds: &Dataset) -> Result<Value> {
    let value = ds.read_dyn()?;
    let maxshape = if ds.is_null() {
        Value::Null
    } else {
        json!(ds.maxshape())
    };
    Ok(json!({
        "kind": "dataset",
        "dtype": dtype_json(ds.dtype()),
        "shape": shape_json(&value),
        "maxshape": maxshape,
        "chunks": ds.chunks().map_or(Value::Null, |c| json!(c)),
        "attrs": attrs_json(&ds.attrs()?)?,
        "data": data_json(&value),
    }))
}

fn node_json(node: &Node, stack: &mut Vec<u64>) -> Result<Value> {
    match node {
        Node::Group(g) => group_json(g, stack),
        Node::Dataset(d) => dataset_json(d),
        Node::Datatype(t) => Ok(json!({
            "kind": "datatype",
            "dtype": dtype_json(t.datatype()),
            "attrs": attrs_json(&t.attrs()?)?,
        })),
    }
}

fn group_json(group: &Group, stack: &mut Vec<u64>) -> Result<Value> {
    let addr = group.addr().get();
    if stack.contains(&addr) {
        return Err(Error::Invalid(format!(
            "{} links back to one of its own ancestors: the tree has a cycle",
            group.path()
        )));
    }
    stack.push(addr);
    let mut members = Map::new();
    for link in group.links()? {
        let node = match &link.target {
            LinkTarget::Hard(_) => group.get(&link.name)?,
            LinkTarget::Soft(_) => match group.get(&link.name) {
                Ok(node) => node,
                // Dangling soft links are omitted.
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            },
            LinkTarget::External { .. } | LinkTarget::UserDefined(_) => continue,
        };
        members.insert(link.name.clone(), node_json(&node, stack)?);
    }
    stack.pop();
    Ok(json!({
        "kind": "group",
        "attrs": attrs_json(&group.attrs()?)?,
        "members": Value::Object(members),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_always_print_with_a_fraction_or_exponent() {
        let text = |f: f64| serde_json::to_string(&float_json(f)).unwrap_or_default();
        assert_eq!(text(1.0), "1.0");
        assert_eq!(text(-0.0), "-0.0");
        assert_eq!(text(0.1), "0.1");
        assert_eq!(text(1e300), "1e+300");
        assert_eq!(text(f64::NAN), "\"nan\"");
        assert_eq!(text(f64::NEG_INFINITY), "\"-inf\"");
        assert_eq!(text(f64::from(f32::MAX)), "3.4028234663852886e+38");
    }
}
