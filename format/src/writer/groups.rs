//! Writing groups: creating them, adding and removing links. Compact groups get Link
//! messages in their header; past libhdf5's threshold (8 links) the links move to dense
//! storage, held in memory and rebuilt at flush; old-style (symbol table) groups written by
//! other tools are held in memory and rebuilt at flush too.

use std::collections::BTreeMap;

use super::header::HeaderEditor;
use super::session::{group_messages, GroupLinks, Session};
use crate::emit::Emit;
use crate::error::{Error, Result};
use crate::io::Addr;
use crate::links::dense;
use crate::links::dense::build::{build_dense_links, DenseEntry};
use crate::links::symbol_table::SymbolTableEntry;
use crate::messages::attribute::AttributeMessage;
use crate::messages::group_info::GroupInfo;
use crate::messages::kind;
use crate::messages::link::{Link, LinkTarget};
use crate::messages::link_info::LinkInfo;
use crate::messages::symbol_table::SymbolTableMessage;
use crate::object_header::MessageBytes;
use crate::store::Store;

/// libhdf5's default maximum number of links in compact storage.
pub const MAX_COMPACT: usize = 8;
/// libhdf5's default minimum number of links in dense storage.
pub const MIN_DENSE: usize = 6;

/// Check an attribute name: non-empty (HDF5 allows any other characters).
pub fn check_attr_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::Invalid("attribute names cannot be empty".into()));
    }
    Ok(())
}

/// Check a link name as HDF5 requires: non-empty, no `/`, not `.`.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name.contains('/') {
        return Err(Error::Invalid(format!(
            "{name:?} cannot be a link name (empty, \".\" or containing \"/\")"
        )));
    }
    Ok(())
}

fn link_info(editor: &HeaderEditor, sizes: crate::io::Sizes, at: u64) -> Result<LinkInfo> {
    match editor.find(kind::LINK_INFO) {
        Some(m) => LinkInfo::parse(&mut crate::io::Cursor::new(
            &m.data,
            at,
            sizes,
            "link info message",
        )),
        None => Ok(LinkInfo::default()),
    }
}

fn compact_links(editor: &HeaderEditor, sizes: crate::io::Sizes) -> Result<Vec<Link>> {
    editor
        .messages
        .iter()
        .filter(|m| m.kind == kind::LINK)
        .map(|m| {
            Link::parse(&mut crate::io::Cursor::new(
                &m.data,
                0,
                sizes,
                "link message",
            ))
        })
        .collect()
}

/// Make sure the links of the group at `addr` are held in memory if they live in dense or
/// symbol-table storage (`None`); when they are compact, the group's header for editing
/// (`Some`): one header decode either way.
fn load_or_editor(
    session: &mut Session,
    store: &Store,
    addr: Addr,
) -> Result<Option<HeaderEditor>> {
    if session.groups.contains_key(&addr) {
        return Ok(None);
    }
    // A header held in memory (a dataset's new shape) goes to disk first: it is edited
    // from the file.
    session.settle_header(store, addr)?;
    let sizes = session.sizes;
    let loaded = session.with_image(store, |img| {
        let editor = HeaderEditor::load(img, addr)?;
        if let Some(m) = editor.find(kind::SYMBOL_TABLE) {
            let msg = SymbolTableMessage::parse(&mut crate::io::Cursor::new(
                &m.data,
                0,
                sizes,
                "symbol table message",
            ))?;
            let mut entries = BTreeMap::new();
            for (name, entry, soft) in super::symtab::read_entries(img, &msg)? {
                entries.insert(name, (entry, soft));
            }
            return Ok(Ok(GroupLinks::SymbolTable { entries }));
        }
        let info = link_info(&editor, sizes, img.absolute(addr))?;
        if info.fractal_heap.is_none() {
            return Ok(Err(editor));
        }
        let mut links = BTreeMap::new();
        let mut next_order = info.max_creation_index.unwrap_or(0);
        for link in dense::dense_links(img, &info)? {
            if let Some(o) = link.creation_order {
                // Saturating: an order that cannot grow fails when a link is added.
                next_order = next_order.max(o.saturating_add(1));
            }
            links.insert(link.name.clone(), link);
        }
        Ok(Ok(GroupLinks::Dense {
            links,
            track_order: info.max_creation_index.is_some(),
            next_order,
        }))
    })?;
    match loaded {
        Ok(state) => {
            session.groups.insert(addr, state);
            Ok(None)
        }
        Err(editor) => Ok(Some(editor)),
    }
}

/// A symbol table entry as a link.
fn entry_link(name: &str, entry: &SymbolTableEntry, soft: &Option<String>) -> Link {
    Link {
        name: name.to_string(),
        charset: crate::datatype::CharacterSet::Ascii,
        creation_order: None,
        target: match (soft, entry.object_header) {
            (Some(t), _) => LinkTarget::Soft(t.clone()),
            (None, Some(a)) => LinkTarget::Hard(a),
            (None, None) => LinkTarget::UserDefined(0),
        },
    }
}

/// The links of a group as the session holds them, if it holds them.
pub fn links_in_memory(session: &Session, addr: Addr) -> Option<Vec<Link>> {
    match session.groups.get(&addr)? {
        GroupLinks::Dense { links, .. } => Some(links.values().cloned().collect()),
        GroupLinks::SymbolTable { entries } => Some(
            entries
                .iter()
                .map(|(name, (entry, soft))| entry_link(name, entry, soft))
                .collect(),
        ),
    }
}

/// The link `name` of a group whose links the session holds: `None` when the session
/// does not hold that group's links, `Some(None)` when it has no such link.
pub fn link_in_memory(session: &Session, addr: Addr, name: &str) -> Option<Option<Link>> {
    match session.groups.get(&addr)? {
        GroupLinks::Dense { links, .. } => Some(links.get(name).cloned()),
        GroupLinks::SymbolTable { entries } => Some(
            entries
                .get(name)
                .map(|(entry, soft)| entry_link(name, entry, soft)),
        ),
    }
}

/// Add `link` to the group at `parent`.
pub fn add_link(session: &mut Session, store: &Store, parent: Addr, mut link: Link) -> Result<()> {
    session.dirty = true;
    check_name(&link.name)?;
    let Some(mut editor) = load_or_editor(session, store, parent)? else {
        session.dirty_groups.insert(parent);
        return match session.groups.get_mut(&parent) {
            Some(GroupLinks::Dense {
                links,
                track_order,
                next_order,
            }) => {
                if links.contains_key(&link.name) {
                    return Err(Error::Invalid(format!(
                        "a link named {:?} already exists",
                        link.name
                    )));
                }
                let after = next_link_order(*next_order)?;
                link.creation_order = track_order.then_some(*next_order);
                *next_order = after;
                links.insert(link.name.clone(), link);
                Ok(())
            }
            Some(GroupLinks::SymbolTable { entries }) => {
                if entries.contains_key(&link.name) {
                    return Err(Error::Invalid(format!(
                        "a link named {:?} already exists",
                        link.name
                    )));
                }
                let (entry, soft) = match &link.target {
                    LinkTarget::Hard(a) => (super::symtab::hard_entry(*a), None),
                    LinkTarget::Soft(t) => (super::symtab::hard_entry(Addr(0)), Some(t.clone())),
                    _ => {
                        return Err(Error::Unsupported(
                            "external links in an old-style (symbol table) group".into(),
                        ))
                    }
                };
                entries.insert(link.name.clone(), (entry, soft));
                Ok(())
            }
            None => Err(Error::Invalid("group state vanished".into())),
        };
    };
    let sizes = session.sizes;
    let mut info = link_info(&editor, sizes, 0)?;
    let existing = compact_links(&editor, sizes)?;
    if existing.iter().any(|l| l.name == link.name) {
        return Err(Error::Invalid(format!(
            "a link named {:?} already exists",
            link.name
        )));
    }
    let track_order = info.max_creation_index.is_some();
    let next = info.max_creation_index.unwrap_or(0);
    let after = next_link_order(next)?;
    link.creation_order = track_order.then_some(next);
    let max_compact = match editor.find(kind::GROUP_INFO) {
        Some(m) => GroupInfo::parse(&mut crate::io::Cursor::new(
            &m.data,
            0,
            sizes,
            "group info message",
        ))?
        .link_phase_change
        .map_or(MAX_COMPACT, |(max, _)| usize::from(max)),
        None => MAX_COMPACT,
    };
    let mut emit = Emit::default();
    if existing.len() < max_compact {
        editor
            .messages
            .push(MessageBytes::new(kind::LINK, link.encode(sizes)?));
        if track_order {
            info.max_creation_index = Some(after);
            editor.set(MessageBytes::new(kind::LINK_INFO, info.encode(sizes)?));
        }
        editor.save(&mut session.space, &mut emit)?;
    } else {
        // Past the compact threshold: the links move to dense storage, written at flush;
        // the header keeps its compact links until then (switched in one write).
        let mut links: BTreeMap<String, Link> =
            existing.into_iter().map(|l| (l.name.clone(), l)).collect();
        links.insert(link.name.clone(), link);
        session.dirty_groups.insert(parent);
        session.groups.insert(
            parent,
            GroupLinks::Dense {
                links,
                track_order,
                next_order: after,
            },
        );
    }
    session.commit(store, &emit)
}

/// Remove the link `name` from the group at `parent`; an error when there is none.
pub fn remove_link(session: &mut Session, store: &Store, parent: Addr, name: &str) -> Result<()> {
    session.dirty = true;
    let missing = || Error::NotFound(format!("no link named {name:?}"));
    let Some(mut editor) = load_or_editor(session, store, parent)? else {
        session.dirty_groups.insert(parent);
        let removed = match session.groups.get_mut(&parent) {
            Some(GroupLinks::Dense { links, .. }) => links.remove(name).is_some(),
            Some(GroupLinks::SymbolTable { entries }) => entries.remove(name).is_some(),
            None => false,
        };
        return if removed { Ok(()) } else { Err(missing()) };
    };
    let sizes = session.sizes;
    let before = editor.messages.len();
    editor.remove_where(|m| {
        m.kind == kind::LINK
            && Link::parse(&mut crate::io::Cursor::new(
                &m.data,
                0,
                sizes,
                "link message",
            ))
            .is_ok_and(|l| l.name == name)
    });
    if editor.messages.len() == before {
        return Err(missing());
    }
    let mut emit = Emit::default();
    editor.save(&mut session.space, &mut emit)?;
    session.commit(store, &emit)
}

/// Create an empty new-style group with the attributes `attrs` and return its header
/// address (not yet linked).
pub fn create_group(
    session: &mut Session,
    store: &Store,
    track_order: bool,
    attrs: Vec<AttributeMessage>,
) -> Result<Addr> {
    let flags = if track_order { 0x0c } else { 0 };
    let messages = group_messages(session.sizes, track_order)?;
    super::attrs::create_with_attrs(session, store, flags, messages, attrs)
}

/// Write a group's in-memory links (at flush).
pub fn write_links(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    state: &GroupLinks,
    emit: &mut Emit,
) -> Result<()> {
    let sizes = session.sizes;
    let mut editor = session.editor_for_write(store, addr)?;
    // The dense storage being replaced, freed once the new one is in place.
    let old_storage = match (state, editor.find(kind::LINK_INFO)) {
        (GroupLinks::Dense { .. }, Some(m)) => {
            let old = LinkInfo::parse(&mut crate::io::Cursor::new(
                &m.data,
                0,
                sizes,
                "link info message",
            ))?;
            match old.fractal_heap {
                Some(heap) => session
                    .with_image(store, |img| {
                        crate::usage::dense_storage_extents(
                            img,
                            heap,
                            [old.name_index, old.order_index],
                        )
                    })
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    match state {
        GroupLinks::Dense {
            links,
            track_order,
            next_order,
        } => {
            let mut info;
            if links.len() < MIN_DENSE {
                // Few enough to go back to compact storage.
                editor.remove_where(|m| m.kind == kind::LINK);
                let mut ordered: Vec<&Link> = links.values().collect();
                ordered.sort_by_key(|l| l.creation_order);
                for l in ordered {
                    editor
                        .messages
                        .push(MessageBytes::new(kind::LINK, l.encode(sizes)?));
                }
                info = LinkInfo {
                    max_creation_index: track_order.then_some(*next_order),
                    ..LinkInfo::default()
                };
            } else {
                editor.remove_where(|m| m.kind == kind::LINK);
                let entries = links
                    .values()
                    .map(|l| {
                        Ok(DenseEntry {
                            name: l.name.clone(),
                            creation_order: l.creation_order.unwrap_or(0),
                            message: l.encode(sizes)?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                info = build_dense_links(&entries, *track_order, &mut session.space, emit)?;
                info.max_creation_index = track_order.then_some(*next_order);
            }
            editor.set(MessageBytes::new(kind::LINK_INFO, info.encode(sizes)?));
            editor.save(&mut session.space, emit)?;
            for (a, len) in old_storage {
                // A failure here would only mean the blocks stay allocated.
                let _ = session.space.release(a, len);
            }
            Ok(())
        }
        GroupLinks::SymbolTable { entries } => {
            let m = editor
                .find(kind::SYMBOL_TABLE)
                .ok_or_else(|| Error::Invalid("symbol table message vanished".into()))?;
            let old = SymbolTableMessage::parse(&mut crate::io::Cursor::new(
                &m.data,
                0,
                sizes,
                "symbol table message",
            ))?;
            let list: Vec<(
                String,
                crate::links::symbol_table::SymbolTableEntry,
                Option<String>,
            )> = entries
                .iter()
                .map(|(n, (e, s))| (n.clone(), e.clone(), s.clone()))
                .collect();
            let k = session.group_k;
            let space = &mut session.space;
            let snap = store.snapshot()?;
            let img = crate::io::FileImage::new(snap.bytes(), session.base, session.sizes);
            super::symtab::rebuild_group(&img, &list, k, old, space, emit)?;
            Ok(())
        }
    }
}
/// The creation order after `order`: libhdf5 keeps link creation orders in a signed
/// 64-bit integer, so the largest is 2^63 - 1.
fn next_link_order(order: u64) -> Result<u64> {
    order
        .checked_add(1)
        .filter(|&n| i64::try_from(n).is_ok())
        .ok_or_else(|| {
            Error::LimitExceeded(format!(
                "link creation order {order}: the group cannot count past 2^63 - 1"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_creation_orders_stop_at_the_signed_64_bit_limit() {
        assert_eq!(next_link_order(0).ok(), Some(1));
        assert_eq!(next_link_order((1 << 63) - 2).ok(), Some((1 << 63) - 1));
        for order in [(1 << 63) - 1, u64::MAX] {
            let e = next_link_order(order).err().map(|e| e.to_string());
            let e = e.unwrap_or_default();
            assert!(e.contains("cannot count past 2^63 - 1"), "{e}");
        }
    }
}
