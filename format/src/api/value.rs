//! Dynamic reads: any datatype decoded into [`Element`]s, including variable-length strings
//! and sequences (from the global heap), compounds, arrays, enums, opaque data and
//! object references.

use crate::dataspace::{Dataspace, SpaceKind};
use crate::datatype::{ByteOrder, Datatype, ReferenceKind, StringPadding, TypeClass};
use crate::error::{Error, Result};
use crate::heap::global::{GlobalHeapId, GlobalHeapReader};
use crate::io::{Cursor, FileImage, Sizes};

use super::convert::{float, numeric_plan, Plan};

/// Reads the global heap objects that variable-length elements point to.
#[derive(Debug)]
pub struct VlenReader<'a> {
    heap: GlobalHeapReader<'a>,
    sizes: Sizes,
    /// Bytes of heap objects handed out so far.
    read: u64,
    /// Most bytes handed out: elements may all name ONE heap object, so without a cap a
    /// small file could decode to gigabytes.
    limit: u64,
}

impl<'a> VlenReader<'a> {
    /// A reader over a file image; it hands out at most 16 x the image's size + 8 MiB of
    /// variable-length data in all (each element's data is normally an object of its own).
    pub fn new(img: FileImage<'a>) -> Self {
        VlenReader {
            heap: GlobalHeapReader::new(img),
            sizes: img.sizes(),
            read: 0,
            limit: img.len().saturating_mul(16).saturating_add(8 << 20),
        }
    }

    /// [`VlenReader::new`] looking collections up in `shared` (see
    /// [`GlobalHeapReader::with_cache`]): `img` must be the unchanging image it describes.
    pub fn with_cache(
        img: FileImage<'a>,
        shared: &'a crate::heap::global::CollectionCache,
    ) -> Self {
        VlenReader {
            heap: GlobalHeapReader::with_cache(img, shared),
            ..Self::new(img)
        }
    }
}

/// Most nested levels of variable-length data decoded (guards against hostile files).
const MAX_NESTING: u32 = 32;

/// One decoded element.
#[derive(Clone, Debug, PartialEq)]
pub enum Element {
    /// A signed integer (also enum values with a signed base).
    Int(i64),
    /// An unsigned integer (also enum values with an unsigned base, bit fields, times).
    UInt(u64),
    /// A float of any width, widened exactly to f64.
    Float(f64),
    /// An h5py boolean.
    Bool(bool),
    /// A complex number.
    Complex(f64, f64),
    /// A variable-length string.
    Str(String),
    /// A fixed-length string's bytes, padding removed.
    Bytes(Vec<u8>),
    /// A compound: (member name, value) in stored order.
    Compound(Vec<(String, Element)>),
    /// An array-type element: its base elements in row-major order.
    Array(Vec<Element>),
    /// A variable-length sequence.
    Sequence(Vec<Element>),
    /// Opaque bytes.
    Opaque(Vec<u8>),
    /// An object reference: the referenced object header's address (`None`: null).
    Reference(Option<u64>),
    /// A dataset region reference (`H5R_DATASET_REGION1`): the referenced dataset's
    /// object header address and the selection in it (`None`: a null reference).
    RegionReference(Option<RegionRef>),
}

/// The target of a dataset region reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionRef {
    /// Address of the referenced dataset's object header (relative to the base address,
    /// like object references).
    pub object: u64,
    /// The selected region.
    pub selection: crate::dataspace::selection::Selection,
}

/// A dynamically decoded array.
#[derive(Clone, Debug, PartialEq)]
pub struct DynArray {
    /// The stored datatype.
    pub dtype: Datatype,
    /// The shape; `None` for a null dataspace (no data at all).
    pub shape: Option<Vec<u64>>,
    /// Elements in row-major order.
    pub elements: Vec<Element>,
}

impl DynArray {
    /// Every element as a string (variable-length strings; fixed strings decoded as UTF-8).
    pub fn into_strings(self) -> Result<Vec<String>> {
        self.elements
            .into_iter()
            .map(|e| match e {
                Element::Str(s) => Ok(s),
                Element::Bytes(b) => String::from_utf8(b)
                    .map_err(|_| Error::Type("fixed-length string is not valid UTF-8".into())),
                other => Err(Error::Type(format!("{other:?} is not a string"))),
            })
            .collect()
    }
}

/// A short human description of a datatype, for errors and listings.
pub fn describe(dtype: &Datatype) -> String {
    if let Some(s) = numpy_str(dtype) {
        return s;
    }
    match &dtype.class {
        TypeClass::VarLenString { .. } => "variable-length string".into(),
        TypeClass::VarLenSequence { base } => format!("vlen<{}>", describe(base)),
        TypeClass::Compound { members } => format!(
            "compound{{{}}}",
            members
                .iter()
                .map(|m| format!("{}: {}", m.name, describe(&m.datatype)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeClass::Enum { base, members } => {
            format!("enum<{}>({} members)", describe(base), members.len())
        }
        TypeClass::Array { dims, base } => format!("array{dims:?}<{}>", describe(base)),
        TypeClass::Reference { kind } => format!("reference({kind:?})"),
        TypeClass::Time { .. } => format!("time{}", dtype.size * 8),
        TypeClass::Bitfield { .. } => format!("bitfield{}", dtype.size * 8),
        _ => format!("{:?}", dtype.class),
    }
}

/// numpy's `dtype.str` for numbers, h5py booleans, complex, fixed strings and opaque data
/// (`"<i8"`, `"|b1"`, `"<c16"`, `"|S5"`, `"|V4"`); `None` for other types.
pub fn numpy_str(dtype: &Datatype) -> Option<String> {
    let order = |o: &ByteOrder, size: u32| {
        if size == 1 {
            '|'
        } else if *o == ByteOrder::Big {
            '>'
        } else {
            '<'
        }
    };
    if dtype.is_h5py_bool() {
        return Some("|b1".into());
    }
    if let Some(part) = dtype.h5py_complex_part() {
        if let TypeClass::Float { order: o, .. } = &part.class {
            return Some(format!("{}c{}", order(o, 2), dtype.size));
        }
    }
    match &dtype.class {
        TypeClass::Integer {
            order: o, signed, ..
        } => Some(format!(
            "{}{}{}",
            order(o, dtype.size),
            if *signed { 'i' } else { 'u' },
            dtype.size
        )),
        // h5py reads bitfields as unsigned integers of their size.
        TypeClass::Bitfield { order: o, .. } => {
            Some(format!("{}u{}", order(o, dtype.size), dtype.size))
        }
        TypeClass::Float {
            order: o,
            exponent_size,
            mantissa_size,
            exponent_bias,
            ..
        } => h5py_float_size(dtype.size, *exponent_size, *mantissa_size, *exponent_bias)
            .map(|n| format!("{}f{n}", order(o, n))),
        TypeClass::String { .. } => Some(format!("|S{}", dtype.size)),
        TypeClass::Opaque { .. } => Some(format!("|V{}", dtype.size)),
        _ => None,
    }
}

/// The numpy float h5py reads a float type of `size` bytes into (h5py's
/// `TypeFloatID.py_dtype`): the first of float16, float32, float64 and the x86-64 long double
/// (`f16`) at least `size` bytes wide whose mantissa and exponent range hold the type's;
/// `None` when none does (h5py refuses the type).
fn h5py_float_size(size: u32, exponent_size: u8, mantissa_size: u8, bias: u32) -> Option<u32> {
    // (bytes, mantissa bits, numpy's `finfo.maxexp`, `finfo.minexp`)
    const NUMPY_FLOATS: [(u32, u8, i128, i128); 4] = [
        (2, 10, 16, -14),
        (4, 23, 128, -126),
        (8, 52, 1024, -1022),
        (16, 63, 16384, -16382),
    ];
    let max_exponent = 1i128
        .checked_shl(u32::from(exponent_size))
        .filter(|_| exponent_size < 120)?
        - i128::from(bias)
        - 1;
    let min_exponent = 1 - i128::from(bias);
    NUMPY_FLOATS
        .iter()
        .find(|&&(n, mant, maxexp, minexp)| {
            n >= size && mantissa_size <= mant && max_exponent <= maxexp && min_exponent >= minexp
        })
        .map(|&(n, ..)| n)
}

/// Decode a whole array held in memory (an attribute's value).
pub(crate) fn decode_array(
    dtype: &Datatype,
    space: &Dataspace,
    raw: &[u8],
    heap: &mut VlenReader<'_>,
) -> Result<DynArray> {
    if space.kind == SpaceKind::Null {
        return Ok(DynArray {
            dtype: dtype.clone(),
            shape: None,
            elements: Vec::new(),
        });
    }
    Ok(DynArray {
        dtype: dtype.clone(),
        shape: Some(space.dims.clone()),
        elements: decode_elements(dtype, raw, heap)?,
    })
}

/// Decode consecutive elements of `dtype`.
pub(crate) fn decode_elements(
    dtype: &Datatype,
    raw: &[u8],
    heap: &mut VlenReader<'_>,
) -> Result<Vec<Element>> {
    let size = dtype.size();
    if size == 0 {
        return Err(Error::Type("zero-sized datatype".into()));
    }
    raw.chunks_exact(size)
        .map(|e| decode_element(dtype, e, heap))
        .collect()
}

/// Decode one integer or float element (no variable-length data involved), such as an
/// enum member's value.
pub fn decode_number(dtype: &Datatype, bytes: &[u8]) -> Result<Element> {
    let bytes = element_bytes(dtype, bytes)?;
    match numeric_plan(dtype)? {
        Plan::Int { size, signed, big } => {
            let v = if big {
                bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
            } else {
                crate::io::le_uint(bytes)
            };
            if signed {
                let shift = 64 - 8 * size as u32;
                Ok(Element::Int(((v << shift) as i64) >> shift))
            } else {
                Ok(Element::UInt(v))
            }
        }
        Plan::Packed {
            signed,
            big,
            offset,
            precision,
            ..
        } => {
            let raw = if big {
                bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
            } else {
                crate::io::le_uint(bytes)
            };
            let (bits, value) = super::convert::unpack(raw, offset, precision, signed);
            Ok(if signed {
                Element::Int(value)
            } else {
                Element::UInt(bits)
            })
        }
        Plan::Float { size, big } => Ok(Element::Float(float(bytes, size, big))),
        Plan::SoftFloat { big, layout, .. } => Ok(Element::Float(layout.decode(bytes, big))),
        Plan::Timeval { big } => {
            let raw = if big {
                bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
            } else {
                crate::io::le_uint(bytes)
            };
            Ok(Element::Float(super::convert::timeval(raw)))
        }
        Plan::Bool => Ok(Element::Bool(bytes.first().is_some_and(|&b| b != 0))),
        Plan::Complex { .. } => Err(Error::Type("complex is not a plain number".into())),
    }
}

/// Decode one element of `dtype` from `bytes` (at least `dtype.size` bytes).
pub fn decode_element(
    dtype: &Datatype,
    bytes: &[u8],
    heap: &mut VlenReader<'_>,
) -> Result<Element> {
    decode(dtype, bytes, heap, 0)
}

fn element_bytes<'b>(dtype: &Datatype, bytes: &'b [u8]) -> Result<&'b [u8]> {
    bytes.get(..dtype.size()).ok_or_else(|| {
        Error::Type(format!(
            "element needs {} bytes, {} given",
            dtype.size,
            bytes.len()
        ))
    })
}

fn decode(
    dtype: &Datatype,
    bytes: &[u8],
    heap: &mut VlenReader<'_>,
    depth: u32,
) -> Result<Element> {
    if depth > MAX_NESTING {
        return Err(Error::LimitExceeded(
            "datatype nesting deeper than 32 levels".into(),
        ));
    }
    let bytes = element_bytes(dtype, bytes)?;
    if dtype.is_h5py_bool() {
        return Ok(Element::Bool(bytes.first().is_some_and(|&b| b != 0)));
    }
    if let Some(part) = dtype.h5py_complex_part() {
        if let TypeClass::Float { order, .. } = &part.class {
            let (re, im) = bytes.split_at(part.size().min(bytes.len()));
            let big = *order == ByteOrder::Big;
            return Ok(Element::Complex(
                float(re, part.size(), big),
                float(im, part.size(), big),
            ));
        }
    }
    match &dtype.class {
        TypeClass::Integer { .. }
        | TypeClass::Float { .. }
        | TypeClass::Enum { .. }
        | TypeClass::Time { .. }
        | TypeClass::Bitfield { .. } => decode_number(dtype, bytes),
        TypeClass::String { padding, .. } => Ok(Element::Bytes(unpad(bytes, *padding).to_vec())),
        TypeClass::Opaque { .. } => Ok(Element::Opaque(bytes.to_vec())),
        TypeClass::Compound { members } => {
            let mut out = Vec::with_capacity(members.len());
            for m in members {
                let start = m.offset as usize;
                let field = bytes.get(start..).ok_or_else(|| {
                    Error::Type(format!(
                        "compound member {} lies outside its element",
                        m.name
                    ))
                })?;
                out.push((m.name.clone(), decode(&m.datatype, field, heap, depth + 1)?));
            }
            Ok(Element::Compound(out))
        }
        TypeClass::Array { base, .. } => Ok(Element::Array(
            bytes
                .chunks_exact(base.size().max(1))
                .map(|e| decode(base, e, heap, depth + 1))
                .collect::<Result<_>>()?,
        )),
        TypeClass::Complex { .. } => Err(Error::Unsupported(format!(
            "complex type with non-float parts: {}",
            describe(dtype)
        ))),
        TypeClass::Reference { kind } => match kind {
            ReferenceKind::Object => {
                let v = crate::io::le_uint(bytes);
                let undefined = crate::io::is_undefined(v, bytes.len()) || v == 0;
                Ok(Element::Reference(if undefined { None } else { Some(v) }))
            }
            ReferenceKind::DatasetRegion => region_reference(bytes, heap),
            ReferenceKind::Other(k) => Err(Error::Unsupported(format!(
                "revised reference type {} (HDF5 1.12+ references are not decoded)",
                revised_reference_name(*k)
            ))),
        },
        TypeClass::VarLenString { padding, .. } => {
            let data = vlen_bytes(bytes, 1, heap)?;
            let data = unpad(data, *padding);
            Ok(Element::Str(String::from_utf8_lossy(data).into_owned()))
        }
        TypeClass::VarLenSequence { base } => {
            let data = vlen_bytes(bytes, base.size(), heap)?;
            Ok(Element::Sequence(
                data.chunks_exact(base.size().max(1))
                    .map(|e| decode(base, e, heap, depth + 1))
                    .collect::<Result<_>>()?,
            ))
        }
    }
}

/// libhdf5's name of a revised (HDF5 1.12+) reference type.
pub fn revised_reference_name(kind: u8) -> String {
    match kind {
        2 => "H5R_OBJECT2".into(),
        3 => "H5R_DATASET_REGION2".into(),
        4 => "H5R_ATTR".into(),
        k => format!("{k}"),
    }
}

/// Decode an old-style dataset region reference: a global heap ID (collection address,
/// object index) whose object holds the dataset's object header address ("size of
/// offsets" bytes) and then the serialized selection (spec Appendix D, "Reference
/// Encoding (Backward Compatibility)"). An all-zero reference is null.
fn region_reference(bytes: &[u8], heap: &mut VlenReader<'_>) -> Result<Element> {
    if bytes.iter().all(|&b| b == 0) {
        return Ok(Element::RegionReference(None));
    }
    let mut c = Cursor::new(bytes, 0, heap.sizes, "dataset region reference");
    let id = GlobalHeapId::parse(&mut c)?;
    if id.is_null() {
        return Ok(Element::RegionReference(None));
    }
    let object = heap.heap.get(id)?;
    let origin = id.collection.map_or(0, |a| a.0);
    let mut c = Cursor::new(
        object,
        origin,
        heap.sizes,
        "dataset region reference heap object",
    );
    let addr = c.addr_required("dataset region reference object address")?;
    let selection = crate::dataspace::selection::Selection::parse(&mut c)?;
    Ok(Element::RegionReference(Some(RegionRef {
        object: addr.0,
        selection,
    })))
}

/// Remove padding from a string's bytes.
fn unpad(bytes: &[u8], padding: StringPadding) -> &[u8] {
    match padding {
        StringPadding::NullTerminate => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            bytes.get(..end).unwrap_or_default()
        }
        StringPadding::NullPad => {
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            bytes.get(..end).unwrap_or_default()
        }
        // As h5py reads them: libhdf5's conversion to a null-padded string drops the
        // trailing spaces, then numpy drops trailing NULs.
        StringPadding::SpacePad => {
            let spaces = bytes.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
            let trimmed = bytes.get(..spaces).unwrap_or_default();
            unpad(trimmed, StringPadding::NullPad)
        }
    }
}

/// The bytes of a variable-length element: a 4-byte count, then a global heap ID.
fn vlen_bytes<'a>(bytes: &[u8], elem: usize, heap: &mut VlenReader<'a>) -> Result<&'a [u8]> {
    let mut c = Cursor::new(bytes, 0, heap.sizes, "variable-length element");
    let count = c.u32()?;
    let id = GlobalHeapId::parse(&mut c)?;
    if count == 0 {
        return Ok(&[]);
    }
    let object = heap.heap.get(id)?;
    let need = (count as usize).checked_mul(elem.max(1));
    match need.and_then(|n| object.get(..n)) {
        Some(d) => {
            heap.read = heap.read.saturating_add(d.len() as u64);
            if heap.read > heap.limit {
                return Err(Error::LimitExceeded(format!(
                    "variable-length data: more than {} bytes (16 x the file + 8 MiB) for \
                     one read; heap objects named by many elements?",
                    heap.limit
                )));
            }
            Ok(d)
        }
        None => Err(Error::corrupt(
            "global heap object",
            id.collection.map_or(0, |a| a.0),
            format!(
                "variable-length element of {count} items needs more than the object's {} bytes",
                object.len()
            ),
        )),
    }
}
