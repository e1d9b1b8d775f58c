//! Writing attributes: create, overwrite, delete. Compact attributes are Attribute
//! messages in the object header; past libhdf5's threshold (8) or for a message too large
//! for a header (64 KiB), a version 2 header's attributes move to dense storage, held in
//! memory and rebuilt at flush.

use std::collections::BTreeMap;

use super::header::HeaderEditor;
use super::session::{DenseAttrs, Session};
use crate::emit::Emit;
use crate::error::{Error, Result};
use crate::io::{Addr, Cursor, Sizes};
use crate::links::dense;
use crate::links::dense::build::{build_dense_attributes, DenseEntry};
use crate::messages::attribute::AttributeMessage;
use crate::messages::attribute_info::AttributeInfo;
use crate::messages::kind;
use crate::object_header::MessageBytes;
use crate::store::Store;

/// libhdf5's default maximum number of compact attributes.
pub const MAX_COMPACT: usize = 8;
/// libhdf5's default minimum number of dense attributes.
pub const MIN_DENSE: usize = 6;
/// Largest message body a header can hold (the size field is 16 bits).
pub const MAX_MESSAGE: usize = 65_535;

fn ainfo(editor: &HeaderEditor, sizes: Sizes) -> Result<Option<AttributeInfo>> {
    editor
        .find(kind::ATTRIBUTE_INFO)
        .map(|m| {
            AttributeInfo::parse(&mut Cursor::new(
                &m.data,
                0,
                sizes,
                "attribute info message",
            ))
        })
        .transpose()
}

fn parse_attr(m: &MessageBytes, sizes: Sizes) -> Result<AttributeMessage> {
    AttributeMessage::parse(&mut Cursor::new(&m.data, 0, sizes, "attribute message"))
}

/// The name of an attribute message read from its fixed prefix (version, flags, three
/// sizes, the character set in version 3, then the NUL-terminated name), without parsing
/// its datatype, dataspace and value; `None` when the prefix is malformed.
fn attr_name(m: &MessageBytes) -> Option<std::borrow::Cow<'_, str>> {
    let version = *m.data.first()?;
    let name_at: usize = match version {
        1 | 2 => 8,
        3 => 9,
        _ => return None,
    };
    let size = usize::from(u16::from_le_bytes([*m.data.get(2)?, *m.data.get(3)?]));
    let bytes = m.data.get(name_at..name_at.checked_add(size)?)?;
    let end = bytes.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(bytes.get(..end)?))
}

/// Whether the attribute message `m` is named `name` (a full parse when its prefix is
/// malformed, which then fails: not a match).
fn is_named(m: &MessageBytes, name: &str, sizes: Sizes) -> bool {
    match attr_name(m) {
        Some(n) => n == name,
        None => parse_attr(m, sizes).is_ok_and(|a| a.name == name),
    }
}

/// Attributes of `obj` held in memory by the session, with creation orders.
pub fn attrs_in_memory(session: &Session, obj: Addr) -> Option<Vec<(u32, AttributeMessage)>> {
    session
        .attrs
        .get(&obj)
        .map(|d| d.attrs.values().cloned().collect())
}

fn load_dense(session: &mut Session, store: &Store, obj: Addr) -> Result<bool> {
    Ok(load_dense_or_editor(session, store, obj)?.is_none())
}

/// Load the object's dense attributes into the session (`None`), or, when its attributes
/// are compact, its header for editing (`Some`): one header parse either way.
fn load_dense_or_editor(
    session: &mut Session,
    store: &Store,
    obj: Addr,
) -> Result<Option<HeaderEditor>> {
    if session.attrs.contains_key(&obj) {
        return Ok(None);
    }
    // A dataset header held in memory goes to disk first: it is edited from the file.
    session.settle_header(store, obj)?;
    let sizes = session.sizes;
    let state = session.with_image(store, |img| {
        let editor = HeaderEditor::load(img, obj)?;
        let Some(info) = ainfo(&editor, sizes)? else {
            return Ok(Err(editor));
        };
        if info.fractal_heap.is_none() {
            return Ok(Err(editor));
        }
        let mut attrs = BTreeMap::new();
        let mut next = info.max_creation_index.map_or(0, u32::from);
        let tracked = editor.tracks_order();
        for (order, msg) in dense::dense_attributes(img, &info)? {
            // Untracked objects: libhdf5 stores 65535 as every record's creation order;
            // counting on from there would overflow the 16-bit field.
            if tracked {
                next = next.max(order.saturating_add(1));
            }
            attrs.insert(msg.name.clone(), (order, msg));
        }
        Ok(Ok(DenseAttrs {
            attrs,
            track_order: editor.tracks_order(),
            next_order: next,
        }))
    })?;
    match state {
        Ok(s) => {
            session.attrs.insert(obj, s);
            Ok(None)
        }
        Err(editor) => Ok(Some(editor)),
    }
}

/// The creation order an attribute of a tracking object gets must be below 65535: the
/// Attribute Info message records the next one in 16 bits (libhdf5 refuses the same).
fn check_order(order: u32, obj: Addr) -> Result<()> {
    if order >= u32::from(u16::MAX) {
        return Err(order_error(order, obj));
    }
    Ok(())
}

fn order_error(order: u32, obj: Addr) -> Error {
    Error::LimitExceeded(format!(
        "attribute creation order {order} of the object at {obj}: at most 65535 attributes \
         are created on an object that tracks their order"
    ))
}

/// Create or overwrite the attribute `msg.name` of the object at `obj`.
pub fn set_attr(
    session: &mut Session,
    store: &Store,
    obj: Addr,
    msg: AttributeMessage,
) -> Result<()> {
    session.dirty = true;
    super::groups::check_attr_name(&msg.name)?;
    let sizes = session.sizes;
    let encoded = msg.encode(sizes)?;
    let Some(mut editor) = load_dense_or_editor(session, store, obj)? else {
        session.dirty_attrs.insert(obj);
        if let Some(d) = session.attrs.get_mut(&obj) {
            let order = d.next_order;
            if d.track_order {
                check_order(order, obj)?;
            }
            d.next_order = order.saturating_add(1);
            d.attrs.insert(msg.name.clone(), (order, msg));
        }
        return Ok(());
    };
    // The other attributes: counted always, parsed only when they move to dense storage.
    let others = editor
        .messages
        .iter()
        .filter(|m| m.kind == kind::ATTRIBUTE && !is_named(m, &msg.name, sizes))
        .count();
    let tracked = editor.tracks_order();
    let mut info = ainfo(&editor, sizes)?;
    let next = info
        .as_ref()
        .and_then(|i| i.max_creation_index)
        .unwrap_or(0);
    if tracked {
        check_order(u32::from(next), obj)?;
    }
    let too_big = encoded.len() > MAX_MESSAGE;
    let mut emit = Emit::default();
    if editor.version == 2 && (others + 1 > MAX_COMPACT || too_big) {
        let mut existing: Vec<(Option<u16>, AttributeMessage)> = Vec::new();
        for m in editor.messages.iter().filter(|m| m.kind == kind::ATTRIBUTE) {
            let a = parse_attr(m, sizes)?;
            if a.name != msg.name {
                existing.push((m.creation_order, a));
            }
        }
        // Dense from now on, in memory: the header keeps its compact attributes until the
        // flush writes the dense storage and switches the header to it in one write (a
        // crash in between leaves the old attributes, never none).
        let mut attrs = BTreeMap::new();
        for (i, (order, a)) in existing.into_iter().enumerate() {
            let order = order.map_or(i as u32, u32::from);
            attrs.insert(a.name.clone(), (order, a));
        }
        let order = u32::from(next);
        attrs.insert(msg.name.clone(), (order, msg));
        session.dirty_attrs.insert(obj);
        session.attrs.insert(
            obj,
            DenseAttrs {
                attrs,
                track_order: tracked,
                next_order: order + 1,
            },
        );
    } else {
        if too_big {
            return Err(Error::Unsupported(format!(
                "attribute {:?} needs {} bytes, more than a version 1 object header message can hold",
                msg.name,
                encoded.len()
            )));
        }
        editor.remove_where(|m| m.kind == kind::ATTRIBUTE && is_named(m, &msg.name, sizes));
        let mut m = MessageBytes::new(kind::ATTRIBUTE, encoded);
        if tracked {
            m.creation_order = Some(next);
            let mut i = info.take().unwrap_or_default();
            // `check_order` above: `next` < 65535.
            i.max_creation_index = Some(next.saturating_add(1));
            editor.set(MessageBytes::new(kind::ATTRIBUTE_INFO, i.encode(sizes)?));
        } else if editor.version == 2 && info.is_none() {
            // libhdf5 counts the attributes of a version 2 header from its Attribute Info
            // message (H5Oget_info, h5py's `len(attrs)`): without one it reports none.
            editor.set(MessageBytes::new(
                kind::ATTRIBUTE_INFO,
                AttributeInfo::default().encode(sizes)?,
            ));
        }
        editor.messages.push(m);
        editor.save(&mut session.space, &mut emit)?;
    }
    session.commit(store, &emit)
}

/// Create or overwrite several attributes of the object at `obj`, in order: one header edit
/// when they all stay compact in a version 2 header (the common case of a new object);
/// otherwise one [`set_attr`] each.
pub fn set_attrs(
    session: &mut Session,
    store: &Store,
    obj: Addr,
    msgs: Vec<AttributeMessage>,
) -> Result<()> {
    if msgs.len() <= 1 || session.attrs.contains_key(&obj) {
        return msgs
            .into_iter()
            .try_for_each(|m| set_attr(session, store, obj, m));
    }
    session.dirty = true;
    let sizes = session.sizes;
    let encoded = encode_together(&msgs, sizes)?;
    let Some(mut editor) = load_dense_or_editor(session, store, obj)? else {
        return msgs
            .into_iter()
            .try_for_each(|m| set_attr(session, store, obj, m));
    };
    let others = editor
        .messages
        .iter()
        .filter(|m| {
            m.kind == kind::ATTRIBUTE
                && !attr_name(m).is_some_and(|n| msgs.iter().any(|a| a.name == *n))
        })
        .count();
    let Some(encoded) =
        encoded.filter(|_| editor.version == 2 && others + msgs.len() <= MAX_COMPACT)
    else {
        return msgs
            .into_iter()
            .try_for_each(|m| set_attr(session, store, obj, m));
    };
    editor.remove_where(|m| {
        m.kind == kind::ATTRIBUTE && msgs.iter().any(|a| is_named(m, &a.name, sizes))
    });
    push_compact(&mut editor, encoded, sizes)?;
    let mut emit = Emit::default();
    editor.save(&mut session.space, &mut emit)?;
    session.commit(store, &emit)
}

/// The encoded messages of `msgs` when they can be compact attributes of one header
/// together (distinct names, each message small enough for a header); `None` when they
/// cannot. Every name is checked first: an invalid one is an error before anything else.
fn encode_together(msgs: &[AttributeMessage], sizes: Sizes) -> Result<Option<Vec<Vec<u8>>>> {
    for m in msgs {
        super::groups::check_attr_name(&m.name)?;
    }
    let mut names = std::collections::BTreeSet::new();
    if !msgs.iter().all(|m| names.insert(m.name.as_str())) {
        return Ok(None);
    }
    let encoded = msgs
        .iter()
        .map(|m| m.encode(sizes))
        .collect::<Result<Vec<_>>>()?;
    Ok(encoded
        .iter()
        .all(|e| e.len() <= MAX_MESSAGE)
        .then_some(encoded))
}

/// Add encoded attribute messages (of names the header does not hold) to a version 2
/// header's compact attributes: with creation orders when the header tracks them, and the
/// Attribute Info message libhdf5 counts them from.
fn push_compact(editor: &mut HeaderEditor, encoded: Vec<Vec<u8>>, sizes: Sizes) -> Result<()> {
    let tracked = editor.tracks_order();
    let info = ainfo(editor, sizes)?;
    let mut next = info
        .as_ref()
        .and_then(|i| i.max_creation_index)
        .unwrap_or(0);
    for bytes in encoded {
        let mut m = MessageBytes::new(kind::ATTRIBUTE, bytes);
        if tracked {
            check_order(u32::from(next), editor.addr)?;
            m.creation_order = Some(next);
            next += 1;
        }
        editor.messages.push(m);
    }
    if tracked {
        let mut i = info.unwrap_or_default();
        i.max_creation_index = Some(next);
        editor.set(MessageBytes::new(kind::ATTRIBUTE_INFO, i.encode(sizes)?));
    } else if info.is_none() {
        editor.set(MessageBytes::new(
            kind::ATTRIBUTE_INFO,
            AttributeInfo::default().encode(sizes)?,
        ));
    }
    Ok(())
}

/// Create a new (unlinked) version 2 object header holding `messages` and the attributes
/// `attrs`, in order; returns its address. Attributes that can all be compact (at most
/// [`MAX_COMPACT`], distinct names, each message small enough) are written with the header
/// in one go; otherwise the header is written first and they are set as [`set_attrs`]
/// sets them (dense storage, overwrites).
pub fn create_with_attrs(
    session: &mut Session,
    store: &Store,
    flags: u8,
    messages: Vec<MessageBytes>,
    attrs: Vec<AttributeMessage>,
) -> Result<Addr> {
    session.dirty = true;
    let sizes = session.sizes;
    let encoded = encode_together(&attrs, sizes)?.filter(|_| attrs.len() <= MAX_COMPACT);
    let compact = encoded.is_some();
    let mut editor = HeaderEditor::new(flags, messages, sizes);
    if let Some(encoded) = encoded {
        push_compact(&mut editor, encoded, sizes)?;
    }
    let mut emit = Emit::default();
    editor.place(&mut session.space, &mut emit)?;
    session.commit(store, &emit)?;
    if !compact {
        set_attrs(session, store, editor.addr, attrs)?;
    }
    Ok(editor.addr)
}

/// Delete the attribute `name` of the object at `obj`.
pub fn delete_attr(session: &mut Session, store: &Store, obj: Addr, name: &str) -> Result<()> {
    session.dirty = true;
    let missing = || Error::NotFound(format!("no attribute named {name:?}"));
    if load_dense(session, store, obj)? {
        return match session
            .attrs
            .get_mut(&obj)
            .and_then(|d| d.attrs.remove(name))
        {
            Some(_) => Ok(()),
            None => Err(missing()),
        };
    }
    let sizes = session.sizes;
    let mut editor = session.editor_for_write(store, obj)?;
    let before = editor.messages.len();
    editor.remove_where(|m| m.kind == kind::ATTRIBUTE && is_named(m, name, sizes));
    if editor.messages.len() == before {
        return Err(missing());
    }
    let mut emit = Emit::default();
    editor.save(&mut session.space, &mut emit)?;
    session.commit(store, &emit)
}

/// Write an object's in-memory dense attributes (at flush).
pub fn write_dense(
    session: &mut Session,
    store: &Store,
    obj: Addr,
    dense: &DenseAttrs,
    emit: &mut Emit,
) -> Result<()> {
    let sizes = session.sizes;
    let mut editor = session.editor_for_write(store, obj)?;
    let mut encoded = Vec::with_capacity(dense.attrs.len());
    for (order, msg) in dense.attrs.values() {
        encoded.push((*order, msg.name.clone(), msg.encode(sizes)?));
    }
    let mut info = ainfo(&editor, sizes)?.unwrap_or_default();
    // The dense storage being replaced, freed once the new one is in place.
    let old_storage = match info.fractal_heap {
        Some(heap) => session
            .with_image(store, |img| {
                crate::usage::dense_storage_extents(img, heap, [info.name_index, info.order_index])
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let fits_compact =
        encoded.len() < MIN_DENSE && encoded.iter().all(|e| e.2.len() <= MAX_MESSAGE);
    editor.remove_where(|m| m.kind == kind::ATTRIBUTE);
    if fits_compact {
        encoded.sort_by_key(|e| e.0);
        for (order, _, bytes) in encoded {
            let mut m = MessageBytes::new(kind::ATTRIBUTE, bytes);
            if dense.track_order {
                m.creation_order = Some(u16::try_from(order).map_err(|_| order_error(order, obj))?);
            }
            editor.messages.push(m);
        }
        info = AttributeInfo {
            max_creation_index: info.max_creation_index,
            ..AttributeInfo::default()
        };
    } else {
        let entries: Vec<DenseEntry> = encoded
            .into_iter()
            .map(|(order, name, message)| DenseEntry {
                name,
                // Orders matter only when tracked; untracked ones stay within 16 bits.
                creation_order: if dense.track_order {
                    u64::from(order)
                } else {
                    u64::from(order.min(u32::from(u16::MAX)))
                },
                message,
            })
            .collect();
        let keep = info.max_creation_index;
        info = build_dense_attributes(&entries, dense.track_order, &mut session.space, emit)?;
        info.max_creation_index = keep.or(dense.track_order.then_some(0));
    }
    if dense.track_order {
        let next =
            u16::try_from(dense.next_order).map_err(|_| order_error(dense.next_order, obj))?;
        info.max_creation_index = Some(next);
    }
    editor.set(MessageBytes::new(kind::ATTRIBUTE_INFO, info.encode(sizes)?));
    editor.save(&mut session.space, emit)?;
    for (a, len) in old_storage {
        // A failure here would only mean the blocks stay allocated.
        let _ = session.space.release(a, len);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_attribute_orders_stop_at_65535() {
        assert!(check_order(0, Addr(8)).is_ok());
        assert!(check_order(65534, Addr(8)).is_ok());
        let e = check_order(65535, Addr(8)).err().map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(
            e.contains("attribute creation order 65535 of the object at 0x8"),
            "{e}"
        );
    }
}
