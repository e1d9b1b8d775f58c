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
//!
//! Rarer types (also in `fixtures/README.md`): bitfields are the unsigned DT of their size
//! (`"<u2"`, as h5py reads them); integers with reduced precision or a bit offset are
//! their full-size DT with the values libhdf5's conversion gives; the time class is
//! `{"time":"<i4"}` (int32 seconds) or `{"time":"<f8"}` (float64 seconds), read as PyTables
//! reads its `Time32Col`/`Time64Col`; fixed-length strings drop their padding as h5py does
//! (trailing spaces of space-padded ones too); dataset region references are
//! `{"ref":"region"}`, each element `{"object":ADDR,"selection":"all"|"none"}`,
//! `{"object":ADDR,"points":[[i,..],..]}` or `{"object":ADDR,"blocks":[[[start..],[end..]],..]}`
//! (ends inclusive, in `H5Sget_select_hyper_blocklist`'s order), or null.
//!
//! ## Unreadable objects (an extension of the contract)
//!
//! The command ([`dump_to`]) does not stop at the first object it cannot read: it prints the
//! whole tree, and a node or attribute that cannot be read gets an `"error"` member (the
//! message), written LAST in its object, after every member it could fill:
//!
//! - a dataset keeps `kind`, `dtype`, `shape`, `maxshape`, `chunks` and `attrs` (header
//!   facts); its `"data"` is `null` when nothing could be read, or — when reading failed
//!   part-way (a damaged chunk after good ones: the output is streamed and cannot be taken
//!   back) — the elements before the failure, an incomplete prefix. Either way a node with
//!   `"error"` has no trustworthy `"data"`: readers must check `"error"` first;
//! - an attribute keeps `dtype` and `shape`, with `"data": null`;
//! - a group whose attributes or links cannot be listed keeps what could be read (`attrs`
//!   and `members` may be `{}`); a group that links back to one of its ancestors (a cycle)
//!   is `{"kind":"group","error":".. cycle"}`; a link whose target cannot be opened is
//!   `{"error": ".."}` alone.
//!
//! Several problems on one object are joined with `"; "`. The command then exits with
//! status 1 (after printing everything). [`dump_file`] and [`dump`] (the library functions
//! the tests use) keep failing on the first problem instead.
//!
//! ## Streaming
//!
//! [`dump_to`] writes the JSON as it goes and reads each dataset in slabs (a range of
//! axis 0, or of a later axis when one row is too large: at most [`SLAB_ELEMENTS`]
//! elements and [`SLAB_BYTES`] stored bytes ([`SLAB_BYTES_UNFILTERED`] for unfiltered
//! data), chunk-aligned whenever a slab spans whole chunks), so its memory does not grow
//! with the dataset: a never-written 1 GiB chunked dataset (fill values) dumps in a few
//! MiB. Keys come out in the same order as
//! [`dump`]'s (`serde_json`'s `preserve_order`: insertion order, names as the file lists
//! them), so the bytes equal `serde_json::to_string(&dump(file)?)`.

use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Map, Value};

use jangada_hdf5::dataspace::selection::Selection as SpaceSelection;
use jangada_hdf5::{
    decode_number, numpy_str, Attribute, ByteOrder, Dataset, Datatype, Element, Error, File, Group,
    LinkTarget, NamedDatatype, Node, ReferenceKind, RegionRef, Result, Selection, SliceArg,
    TypeClass,
};

/// Most elements decoded at once when dumping a dataset (one slab): decoded elements take
/// 32 bytes each, so a slab holds about 8 MiB of them.
pub const SLAB_ELEMENTS: u64 = 1 << 18;
/// Most stored bytes read at once when dumping a filtered dataset (one slab): its chunks
/// are read with positional reads into a buffer and decoded, a few MiB at a time.
pub const SLAB_BYTES: u64 = 4 << 20;
/// Most stored bytes read at once when dumping an unfiltered dataset (one slab). The
/// format crate copies large reads of unfiltered data with short rows out of its memory
/// map of the file, which leaves the pages read resident (they count in the process's
/// RSS: dumping a 64 MiB dataset of 8 KiB rows peaked at 160 MiB); reads of at most
/// 64 KiB (its `WINDOW_MAX`) use positional reads, which map nothing.
pub const SLAB_BYTES_UNFILTERED: u64 = 64 << 10;

/// Dump the whole file at `path` as the JSON tree; the first object that cannot be read
/// is an error.
pub fn dump_file(path: impl AsRef<Path>) -> Result<Value> {
    dump(&File::open(path)?)
}

/// Dump an open file as the JSON tree; the first object that cannot be read is an error.
pub fn dump(file: &File) -> Result<Value> {
    let mut bytes = Vec::new();
    let mut dumper = Dumper {
        out: &mut bytes,
        strict: true,
        errors: 0,
        slab: SLAB_ELEMENTS,
    };
    match dumper.file(file) {
        Ok(()) => {}
        Err(Stop::Read(e)) => return Err(e),
        Err(Stop::Io(e)) => return Err(Error::Io(e)),
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Invalid(format!("the dump is not valid JSON: {e}")))
}

/// What [`dump_to`] met.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DumpReport {
    /// Nodes and attributes written with an `"error"` member.
    pub errors: usize,
}

/// Write the dump of `file` to `out` as it goes (the `dump --json` command; see the
/// [module docs](self) for the `"error"` members of unreadable objects). `Err` only when
/// the root group cannot be opened (nothing is written then) or `out` fails.
pub fn dump_to(file: &File, out: &mut impl Write) -> io::Result<DumpReport> {
    dump_to_with_slabs(file, out, SLAB_ELEMENTS)
}

/// [`dump_to`] with slabs of at most `slab_elements` elements (for tests of the slab
/// boundaries; the output is the same for any size).
#[doc(hidden)]
pub fn dump_to_with_slabs(
    file: &File,
    out: &mut impl Write,
    slab_elements: u64,
) -> io::Result<DumpReport> {
    let mut dumper = Dumper {
        out,
        strict: false,
        errors: 0,
        slab: slab_elements.max(1),
    };
    match dumper.file(file) {
        Ok(()) => Ok(DumpReport {
            errors: dumper.errors,
        }),
        Err(Stop::Io(e)) => Err(e),
        Err(Stop::Read(e)) => Err(io::Error::other(e)),
    }
}

/// Why a dump stops.
enum Stop {
    /// The output failed.
    Io(io::Error),
    /// Something could not be read (strict mode, or the root group).
    Read(Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Io(e)
    }
}

type Step<T = ()> = std::result::Result<T, Stop>;

/// Write one serializable value as compact JSON (a macro: the `Serialize` bound would
/// need the `serde` crate itself).
macro_rules! put {
    ($dumper:expr, $value:expr) => {
        serde_json::to_writer(&mut *$dumper.out, $value).map_err(|e| Stop::Io(io::Error::other(e)))
    };
}

/// The streaming writer: `strict` stops at the first problem, else each problem becomes an
/// `"error"` member.
struct Dumper<'w, W: Write> {
    out: &'w mut W,
    strict: bool,
    errors: usize,
    /// Most elements of one slab.
    slab: u64,
}

impl<W: Write> Dumper<'_, W> {
    /// A read problem: the message to write (counted), or the stop in strict mode.
    fn fail(&mut self, e: Error) -> Step<String> {
        if self.strict {
            return Err(Stop::Read(e));
        }
        self.errors += 1;
        Ok(e.to_string())
    }

    fn raw(&mut self, s: &str) -> Step {
        Ok(self.out.write_all(s.as_bytes())?)
    }

    /// `,"error":"a; b"` when there were problems.
    fn errors_member(&mut self, problems: &[String]) -> Step {
        if problems.is_empty() {
            return Ok(());
        }
        self.raw(",\"error\":")?;
        put!(self, &problems.join("; "))
    }

    fn file(&mut self, file: &File) -> Step {
        let root = file.root().map_err(Stop::Read)?;
        self.group(&root, &mut Vec::new())
    }

    fn group(&mut self, group: &Group, stack: &mut Vec<u64>) -> Step {
        let addr = group.addr().get();
        if stack.contains(&addr) {
            let msg = self.fail(Error::Invalid(format!(
                "{} links back to one of its own ancestors: the tree has a cycle",
                group.path()
            )))?;
            self.raw("{\"kind\":\"group\"")?;
            self.errors_member(&[msg])?;
            return self.raw("}");
        }
        stack.push(addr);
        let mut problems = Vec::new();
        self.raw("{\"kind\":\"group\",\"attrs\":")?;
        self.attrs_or(group.attrs(), &mut problems)?;
        self.raw(",\"members\":{")?;
        let links = match group.links() {
            Ok(links) => links,
            Err(e) => {
                problems.push(self.fail(e)?);
                Vec::new()
            }
        };
        let mut first = true;
        for link in links {
            let node = match &link.target {
                LinkTarget::Hard(_) => group.get(&link.name),
                LinkTarget::Soft(_) => match group.get(&link.name) {
                    // Dangling soft links are omitted.
                    Err(Error::NotFound(_)) => continue,
                    other => other,
                },
                LinkTarget::External { .. } | LinkTarget::UserDefined(_) => continue,
            };
            if !first {
                self.raw(",")?;
            }
            first = false;
            put!(self, &link.name)?;
            self.raw(":")?;
            match node {
                Ok(node) => self.node(&node, stack)?,
                Err(e) => {
                    let msg = self.fail(e)?;
                    self.raw("{\"error\":")?;
                    put!(self, &msg)?;
                    self.raw("}")?;
                }
            }
        }
        stack.pop();
        self.raw("}")?;
        self.errors_member(&problems)?;
        self.raw("}")
    }

    /// The attributes object, or `{}` and a problem when they cannot be listed.
    fn attrs_or(&mut self, attrs: Result<Vec<Attribute>>, problems: &mut Vec<String>) -> Step {
        match attrs {
            Ok(list) => self.attrs(&list),
            Err(e) => {
                problems.push(self.fail(e)?);
                self.raw("{}")
            }
        }
    }

    fn node(&mut self, node: &Node, stack: &mut Vec<u64>) -> Step {
        match node {
            Node::Group(g) => self.group(g, stack),
            Node::Dataset(d) => self.dataset(d),
            Node::Datatype(t) => self.datatype(t),
        }
    }

    fn datatype(&mut self, t: &NamedDatatype) -> Step {
        let mut problems = Vec::new();
        self.raw("{\"kind\":\"datatype\",\"dtype\":")?;
        put!(self, &dtype_json(t.datatype()))?;
        self.raw(",\"attrs\":")?;
        self.attrs_or(t.attrs(), &mut problems)?;
        self.errors_member(&problems)?;
        self.raw("}")
    }

    fn attrs(&mut self, attrs: &[Attribute]) -> Step {
        self.raw("{")?;
        for (i, attr) in attrs.iter().enumerate() {
            if i > 0 {
                self.raw(",")?;
            }
            put!(self, attr.name())?;
            self.raw(":{\"dtype\":")?;
            put!(self, &dtype_json(attr.dtype()))?;
            self.raw(",\"shape\":")?;
            match attr.read_dyn() {
                Ok(value) => {
                    put!(self, &value.shape)?;
                    self.raw(",\"data\":")?;
                    if value.shape.is_some() {
                        self.raw("[")?;
                        self.elements(&value.elements, &mut 0)?;
                        self.raw("]")?;
                    } else {
                        self.raw("null")?;
                    }
                }
                Err(e) => {
                    let msg = self.fail(e)?;
                    let shape = (!attr.is_empty_value()).then(|| attr.shape());
                    put!(self, &shape)?;
                    self.raw(",\"data\":null")?;
                    self.errors_member(&[msg])?;
                }
            }
            self.raw("}")?;
        }
        self.raw("}")
    }

    /// Elements of a flat list, each after a comma unless it is the list's first
    /// (`written` counts the elements of the list so far).
    fn elements(&mut self, elements: &[Element], written: &mut u64) -> Step {
        for e in elements {
            if *written > 0 {
                self.raw(",")?;
            }
            *written += 1;
            self.element(e)?;
        }
        Ok(())
    }

    /// One element, exactly as [`element_json`] gives it (numbers without a `Value`).
    fn element(&mut self, e: &Element) -> Step {
        match e {
            Element::Int(i) => put!(self, i),
            Element::UInt(u) => put!(self, u),
            Element::Float(f) if f.is_finite() => put!(self, f),
            Element::Bool(b) => put!(self, b),
            Element::Str(s) => put!(self, s),
            other => put!(self, &element_json(other)),
        }
    }

    fn dataset(&mut self, ds: &Dataset) -> Step {
        let mut problems = Vec::new();
        let null = ds.is_null();
        self.raw("{\"kind\":\"dataset\",\"dtype\":")?;
        put!(self, &dtype_json(ds.dtype()))?;
        self.raw(",\"shape\":")?;
        put!(self, &(!null).then(|| ds.shape()))?;
        self.raw(",\"maxshape\":")?;
        put!(self, &(!null).then(|| ds.maxshape()))?;
        self.raw(",\"chunks\":")?;
        put!(self, &ds.chunks())?;
        self.raw(",\"attrs\":")?;
        self.attrs_or(ds.attrs(), &mut problems)?;
        self.raw(",\"data\":")?;
        if null {
            self.raw("null")?;
        } else if let Some(msg) = self.data(ds)? {
            problems.push(msg);
        }
        self.errors_member(&problems)?;
        self.raw("}")
    }

    /// The data, slab by slab; `Some(message)` when reading failed (the data then is
    /// `null`, or the incomplete list of the elements read before the failure).
    fn data(&mut self, ds: &Dataset) -> Step<Option<String>> {
        let dims = ds.shape().to_vec();
        if let Some(&d) = dims.iter().find(|&&d| i64::try_from(d).is_err()) {
            let msg = self.fail(Error::LimitExceeded(format!(
                "{}: axis length {d}",
                ds.path()
            )))?;
            self.raw("null")?;
            return Ok(Some(msg));
        }
        let elem = (ds.dtype().size() as u64).max(1);
        let budget = if ds.filters().is_empty() {
            SLAB_BYTES_UNFILTERED
        } else {
            SLAB_BYTES
        };
        let max = self.slab.min(budget / elem).max(1);
        let mut written = 0u64;
        let mut started = false;
        let mut failure = None;
        for_each_slab(
            &dims,
            ds.chunks(),
            max,
            &mut Vec::new(),
            &mut |sel| match ds.read_dyn_slice(sel) {
                Ok(slab) => {
                    if !started {
                        self.raw("[")?;
                        started = true;
                    }
                    self.elements(&slab.elements, &mut written)?;
                    Ok(true)
                }
                Err(e) => {
                    failure = Some(self.fail(e)?);
                    Ok(false)
                }
            },
        )?;
        self.raw(if started { "]" } else { "null" })?;
        Ok(failure)
    }
}

/// Call `f` with the selections of consecutive slabs covering a dataset of shape `dims`
/// in row-major order (so that their elements, one slab after the other, are the flat
/// list), each of at most `max` elements, until `f` gives `false` (then `false`).
///
/// `prefix` holds the one-position ranges of the axes before the current one. When the
/// rest of the dataset fits, it is one slab; else when one position of the current axis
/// fits, slabs are ranges of whole positions — a multiple of the chunk length along that
/// axis when at least one chunk fits, so that each chunk is decoded once; else each
/// position is split along the next axis. `f` is called at least once (a dataset without
/// elements is one empty slab).
fn for_each_slab(
    dims: &[u64],
    chunks: Option<&[u64]>,
    max: u64,
    prefix: &mut Vec<SliceArg>,
    f: &mut dyn FnMut(&Selection) -> Step<bool>,
) -> Step<bool> {
    let k = prefix.len();
    let Some(&len) = dims.get(k) else {
        return f(&Selection(prefix.clone()));
    };
    let rest = dims
        .get(k + 1..)
        .unwrap_or_default()
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let block = rest.and_then(|r| r.checked_mul(len));
    if block.is_some_and(|b| b <= max) {
        return f(&Selection(prefix.clone()));
    }
    // Slabs advance by at most `max` elements from 0: a bound of 2^63 or more would take
    // 2^63 / max calls of `f` to reach, so these casts do not wrap in practice.
    let range = |start: u64, stop: u64| SliceArg::range(start as i64, stop as i64);
    match rest {
        Some(rest) if rest <= max => {
            let mut step = max / rest.max(1);
            if let Some(c) = chunks.and_then(|c| c.get(k)).copied() {
                if c > 0 && step >= c {
                    step = step / c * c;
                }
            }
            let mut start = 0;
            while start < len {
                let stop = start.saturating_add(step).min(len);
                prefix.push(range(start, stop));
                let go = f(&Selection(prefix.clone()));
                prefix.pop();
                if !go? {
                    return Ok(false);
                }
                start = stop;
            }
            Ok(true)
        }
        _ => {
            for i in 0..len {
                prefix.push(range(i, i + 1));
                let go = for_each_slab(dims, chunks, max, prefix, f);
                prefix.pop();
                if !go? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
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
        // The time class, read as PyTables reads it (4 bytes: int32, 8 bytes: float64 seconds).
        TypeClass::Time { order, .. } => {
            let o = if *order == ByteOrder::Big { '>' } else { '<' };
            match dtype.size {
                4 => json!({ "time": format!("{o}i4") }),
                8 => json!({ "time": format!("{o}f8") }),
                n => json!({ "unsupported": format!("time class of {n} bytes") }),
            }
        }
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
        SpaceSelection::All => json!({ "object": r.object, "selection": "all" }),
        SpaceSelection::None => json!({ "object": r.object, "selection": "none" }),
        SpaceSelection::Points { rank, coords } => json!({
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
