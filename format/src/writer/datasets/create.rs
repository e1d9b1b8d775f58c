//! Creating a dataset's object header: dataspace, datatype, fill value, layout (with an
//! empty chunk index of the kind libhdf5 would choose) and filters.

use super::{element_count, usize_of, DatasetSpec, StorageChoice, MAX_COMPACT_BYTES};
use crate::chunk_index::{self, IndexChoice};
use crate::dataspace::{SpaceKind, UNLIMITED};
use crate::emit::Emit;
use crate::error::{Error, Result};
use crate::heap::local::LocalHeapBuilder;
use crate::io::{Addr, Sizes};
use crate::messages::attribute::AttributeMessage;
use crate::messages::external::{ExternalFiles, Segment};
use crate::messages::fill_value::{AllocTime, FillTime, FillValue};
use crate::messages::kind;
use crate::messages::layout::{ChunkIndexKind, ChunkedLayout, Layout};
use crate::object_header::MessageBytes;
use crate::store::Store;
use crate::writer::session::Session;

/// Create a dataset's object header (not yet linked) with the attributes `attrs` and return
/// its address.
pub fn create(
    session: &mut Session,
    store: &Store,
    spec: &DatasetSpec,
    attrs: Vec<AttributeMessage>,
) -> Result<Addr> {
    let (flags, mut msgs) = header_messages(session.sizes, spec)?;
    if let StorageChoice::External(segments) = &spec.storage {
        msgs.push(external_message(session, store, segments)?);
    }
    super::super::attrs::create_with_attrs(session, store, flags, msgs, attrs)
}

/// The External Data Files message of a new dataset stored in `segments`, with the local
/// heap holding their names (written now).
pub fn external_message(
    session: &mut Session,
    store: &Store,
    segments: &[Segment],
) -> Result<MessageBytes> {
    let mut heap = LocalHeapBuilder::new();
    let offsets: Vec<u64> = segments
        .iter()
        .map(|s| heap.insert(s.name.as_bytes()))
        .collect();
    let message = ExternalFiles {
        segments: segments.to_vec(),
    };
    // Checked before anything is written.
    message.encode(Addr(0), &offsets, session.sizes)?;
    let mut emit = Emit::default();
    let at = heap.write(None, &mut session.space, &mut emit)?;
    session.commit(store, &emit)?;
    Ok(MessageBytes::new(
        kind::EXTERNAL_FILES,
        message.encode(at, &offsets, session.sizes)?,
    ))
}

/// The header flags and messages of a new dataset of `spec` (everything about the spec is
/// checked here, before anything is written).
pub fn header_messages(sizes: Sizes, spec: &DatasetSpec) -> Result<(u8, Vec<MessageBytes>)> {
    let elem = u64::from(spec.datatype.size);
    if elem == 0 {
        return Err(Error::Invalid("datatype of size 0".into()));
    }
    let count = match spec.dataspace.kind {
        SpaceKind::Simple => element_count(&spec.dataspace.dims)?,
        SpaceKind::Scalar => 1,
        SpaceKind::Null => 0,
    };
    let bytes = count
        .checked_mul(elem)
        .ok_or_else(|| Error::LimitExceeded("dataset size".into()))?;
    let resizable = spec
        .dataspace
        .max_dims
        .as_ref()
        .is_some_and(|m| m != &spec.dataspace.dims);
    let (layout, alloc) = match &spec.storage {
        StorageChoice::Compact => {
            if resizable {
                return Err(Error::Invalid(
                    "only chunked datasets can have a maximum shape larger than their shape".into(),
                ));
            }
            let n = usize_of(bytes)?;
            if n > MAX_COMPACT_BYTES {
                return Err(Error::Invalid(format!(
                    "{n} bytes are too many for compact storage (at most {MAX_COMPACT_BYTES})"
                )));
            }
            let mut data = Vec::with_capacity(n);
            for _ in 0..count {
                data.extend_from_slice(spec.fill.as_deref().unwrap_or(&vec![0; elem as usize]));
            }
            (Layout::Compact { data }, AllocTime::Early)
        }
        StorageChoice::Contiguous => {
            if resizable {
                return Err(Error::Invalid(
                    "only chunked datasets can have a maximum shape larger than their shape".into(),
                ));
            }
            (
                Layout::Contiguous {
                    addr: None,
                    size: bytes,
                },
                AllocTime::Late,
            )
        }
        StorageChoice::External(segments) => {
            if resizable {
                return Err(Error::Invalid(
                    "datasets in external files cannot have a maximum shape larger than their \
                     shape"
                        .into(),
                ));
            }
            check_segments(segments, bytes)?;
            (
                Layout::Contiguous {
                    addr: None,
                    size: bytes,
                },
                AllocTime::Late,
            )
        }
        // No storage; the allocation time is h5py's (`create_virtual_dataset` asks for
        // incremental; libhdf5's own default would be late), readers ignore it.
        StorageChoice::Virtual(heap) => {
            if spec.dataspace.kind != SpaceKind::Simple {
                return Err(Error::Invalid(
                    "a virtual dataset needs a simple dataspace (not scalar or null)".into(),
                ));
            }
            (Layout::Virtual { heap: *heap }, AllocTime::Incremental)
        }
        StorageChoice::Chunked(chunk_dims) => {
            if spec.dataspace.kind != SpaceKind::Simple {
                return Err(Error::Invalid(
                    "scalar and null datasets cannot be chunked".into(),
                ));
            }
            if chunk_dims.len() != spec.dataspace.dims.len() || chunk_dims.contains(&0) {
                return Err(Error::Invalid(format!(
                    "chunk shape {chunk_dims:?} does not fit a dataset of rank {}",
                    spec.dataspace.dims.len()
                )));
            }
            let max = spec.dataspace.max_dims_or_dims();
            for (c, m) in chunk_dims.iter().zip(max) {
                if *m != UNLIMITED && c > m && *m > 0 {
                    return Err(Error::Invalid(format!(
                        "chunk shape {chunk_dims:?} is larger than the maximum shape {max:?}"
                    )));
                }
            }
            let chunk_bytes = element_count(chunk_dims)?.checked_mul(elem);
            if chunk_bytes.is_none_or(|b| b >= 1 << 32) {
                return Err(Error::Invalid("chunks must be smaller than 4 GiB".into()));
            }
            let choice = chunk_index::choose_index(&spec.dataspace.dims, max, chunk_dims, 4);
            let index = empty_index(choice);
            (
                Layout::Chunked(ChunkedLayout {
                    version: 4,
                    flags: 0,
                    chunk_dims: chunk_dims.clone(),
                    element_size: elem,
                    index,
                }),
                AllocTime::Incremental,
            )
        }
    };
    if !spec.filters.filters.is_empty() && !matches!(spec.storage, StorageChoice::Chunked(_)) {
        return Err(Error::Invalid("filters need chunked storage".into()));
    }
    // What libhdf5's `set_local` callbacks add (shuffle records the element size, LZF the
    // chunk size, ...).
    let pipeline = match &spec.storage {
        StorageChoice::Chunked(chunk_dims) => crate::filters::set_local(
            &spec.filters,
            &crate::filters::LocalContext {
                datatype: &spec.datatype,
                chunk_dims,
                fill: spec.fill.as_deref(),
            },
        )?,
        _ => spec.filters.clone(),
    };
    let fill = FillValue {
        alloc_time: alloc,
        fill_time: FillTime::IfSet,
        value: spec.fill.clone(),
    };
    if let Some(f) = &spec.fill {
        if f.len() != spec.datatype.size() {
            return Err(Error::Invalid(format!(
                "fill value of {} bytes for a {}-byte datatype",
                f.len(),
                elem
            )));
        }
    }
    let mut msgs = vec![
        MessageBytes::new(kind::DATASPACE, spec.dataspace.encode(sizes)?),
        MessageBytes::new(kind::DATATYPE, spec.datatype.encode()?),
        MessageBytes::new(kind::FILL_VALUE, fill.encode()?),
        MessageBytes::new(kind::LAYOUT, layout.encode(sizes)?),
    ];
    if !spec.filters.filters.is_empty() {
        msgs.push(MessageBytes::new(kind::FILTER_PIPELINE, pipeline.encode()?));
    }
    // Every version 2 header gets an Attribute Info message, as libhdf5 writes (libhdf5
    // counts a v2 header's attributes from it).
    let ainfo = crate::messages::attribute_info::AttributeInfo {
        max_creation_index: spec.track_order.then_some(0),
        ..Default::default()
    };
    msgs.push(MessageBytes::new(
        kind::ATTRIBUTE_INFO,
        ainfo.encode(sizes)?,
    ));
    let flags = if spec.track_order { 0x0c } else { 0 };
    for m in &mut msgs {
        // Datatype, dataspace, fill value and layout never change size in ways that matter
        // to readers; libhdf5 marks the datatype and fill value constant.
        if m.kind == kind::DATATYPE || m.kind == kind::FILL_VALUE {
            m.flags = 0x01;
        }
    }
    Ok((flags, msgs))
}

/// External segments as libhdf5's `H5Pset_external` accepts them: non-empty names without
/// NULs, only the last one unlimited, and room for the dataset's `bytes`.
fn check_segments(segments: &[Segment], bytes: u64) -> Result<()> {
    if segments.is_empty() {
        return Err(Error::Invalid(
            "external storage needs at least one segment".into(),
        ));
    }
    let last = segments.len() - 1;
    for (k, s) in segments.iter().enumerate() {
        if s.name.is_empty() || s.name.contains('\0') {
            return Err(Error::Invalid(format!(
                "external segment {k}: the file name {:?} must be non-empty and without NUL",
                s.name
            )));
        }
        if s.size.is_none() && k != last {
            return Err(Error::Invalid(format!(
                "external segment {k}: only the last segment may be unlimited"
            )));
        }
    }
    let capacity = ExternalFiles {
        segments: segments.to_vec(),
    }
    .capacity();
    if capacity < bytes {
        return Err(Error::Invalid(format!(
            "external segments hold {capacity} bytes, the dataset needs {bytes}"
        )));
    }
    Ok(())
}

fn empty_index(choice: IndexChoice) -> ChunkIndexKind {
    use crate::chunk_index::extensible_array::EaParams;
    match choice {
        IndexChoice::BtreeV1 => ChunkIndexKind::BtreeV1 { addr: None },
        IndexChoice::Single => ChunkIndexKind::SingleChunk {
            addr: None,
            filtered: None,
        },
        IndexChoice::FixedArray => ChunkIndexKind::FixedArray {
            page_bits: chunk_index::FIXED_ARRAY_PAGE_BITS,
            addr: None,
        },
        IndexChoice::ExtensibleArray => {
            let ea = EaParams::default();
            ChunkIndexKind::ExtensibleArray {
                max_bits: ea.max_nelmts_bits,
                index_elements: ea.index_block_elements,
                min_pointers: ea.super_block_min_data_ptrs,
                min_elements: ea.data_block_min_elements,
                page_bits: ea.page_bits,
                addr: None,
            }
        }
        IndexChoice::BtreeV2 => ChunkIndexKind::BtreeV2 {
            node_size: chunk_index::BTREE_V2_NODE_SIZE,
            split_percent: chunk_index::BTREE_V2_SPLIT_PERCENT,
            merge_percent: chunk_index::BTREE_V2_MERGE_PERCENT,
            addr: None,
        },
    }
}
