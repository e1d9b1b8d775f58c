//! The walk over objects: superblock, object headers, groups (old-style symbol tables and
//! new-style dense links) and attributes (compact and dense).

use std::collections::HashSet;

use super::{Extent, Usage};
use crate::btree::{v1 as bt1, v2 as bt2};
use crate::error::{Error, Result};
use crate::heap::fractal::FractalHeap;
use crate::heap::global::GlobalHeapReader;
use crate::heap::local;
use crate::io::{Addr, FileImage};
use crate::links::dense;
use crate::messages::attribute::{AttributeMessage, MaybeShared};
use crate::messages::attribute_info::AttributeInfo;
use crate::messages::kind;
use crate::messages::link::{Link, LinkTarget};
use crate::messages::link_info::LinkInfo;
use crate::messages::shared::SharedRef;
use crate::messages::symbol_table::SymbolTableMessage;
use crate::object_header::{ObjectHeader, RawMessage};
use crate::superblock::{self, Superblock};

/// Most objects one walk visits before calling the file hostile.
const MAX_OBJECTS: usize = 50_000_000;

/// State of one walk.
pub(super) struct Walker<'i, 'a> {
    pub(super) img: &'i FileImage<'a>,
    pub(super) sb: &'i Superblock,
    pub(super) extents: Vec<Extent>,
    reason: Option<String>,
    visited: HashSet<Addr>,
    pending: Vec<Addr>,
    pub(super) collections: HashSet<Addr>,
    pub(super) gheap: GlobalHeapReader<'a>,
}

impl<'i, 'a> Walker<'i, 'a> {
    pub(super) fn new(img: &'i FileImage<'a>, sb: &'i Superblock) -> Self {
        Walker {
            img,
            sb,
            extents: Vec::new(),
            reason: None,
            visited: HashSet::new(),
            pending: Vec::new(),
            collections: HashSet::new(),
            gheap: GlobalHeapReader::new(*img),
        }
    }

    /// Record an extent.
    pub(super) fn push(&mut self, addr: Addr, len: u64, what: &'static str) {
        self.extents.push(Extent { addr, len, what });
    }

    /// Record extents of one kind.
    pub(super) fn push_all(
        &mut self,
        list: impl IntoIterator<Item = (Addr, u64)>,
        what: &'static str,
    ) {
        for (addr, len) in list {
            self.push(addr, len, what);
        }
    }

    /// Mark the walk incomplete (the first reason is kept).
    pub(super) fn incomplete(&mut self, reason: impl Into<String>) {
        if self.reason.is_none() {
            self.reason = Some(reason.into());
        }
    }

    /// Turn "unsupported" errors into an incomplete walk; other errors pass.
    pub(super) fn soft<T>(&mut self, r: Result<T>) -> Result<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(Error::Unsupported(m)) => {
                self.incomplete(m);
                Ok(None)
            }
            Err(Error::UnsupportedFilter { id, name }) => {
                self.incomplete(format!("filter {id} ({name})"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Queue the object header at `addr` (once).
    pub(super) fn queue(&mut self, addr: Addr) {
        if self.visited.insert(addr) {
            self.pending.push(addr);
        }
    }

    pub(super) fn run(mut self) -> Result<Usage> {
        let sb = self.sb;
        let sb_len = superblock::encoded_len(sb.version, sb.sizes) as u64;
        self.push(Addr(0), sb_len, "superblock");
        if sb.driver_info.is_some() {
            self.incomplete("superblock driver information block");
        }
        if sb.free_space.is_some() {
            self.incomplete("superblock free-space address");
        }
        if let Some(ext) = sb.extension {
            self.incomplete("superblock extension");
            self.queue(ext);
        }
        if let Some(table) = self.img.sohm() {
            for (a, len, what) in crate::sohm::extents(self.img, table)? {
                self.push(a, len, what);
            }
        }
        self.queue(sb.root);
        while let Some(addr) = self.pending.pop() {
            if self.visited.len() > MAX_OBJECTS {
                return Err(Error::LimitExceeded("objects in one file".into()));
            }
            self.object(addr)?;
        }
        Ok(Usage {
            extents: self.extents,
            complete: self.reason.is_none(),
            reason: self.reason,
        })
    }

    /// Walk the object whose header is at `addr`.
    fn object(&mut self, addr: Addr) -> Result<()> {
        let img = self.img;
        let header = ObjectHeader::parse(img, addr)?;
        let chunk0 = if header.version == 1 {
            16u64.saturating_add(header.chunk0_len)
        } else {
            let flags = header.flags;
            let times = if flags & 0x20 != 0 { 16 } else { 0 };
            let phase = if flags & 0x10 != 0 { 4 } else { 0 };
            let prefix = 6 + times + phase + (1u64 << (flags & 0x03));
            prefix.saturating_add(header.chunk0_len).saturating_add(4)
        };
        self.push(addr, chunk0, "object header");
        self.push_all(
            header.continuations.iter().copied(),
            "object header continuation",
        );
        for msg in &header.messages {
            if msg.is_shared() {
                self.shared(msg)?;
                continue;
            }
            self.message(msg)?;
        }
        if header.find(kind::LAYOUT).is_some() {
            self.dataset(&header)?;
        }
        Ok(())
    }

    /// A message stored as a reference to a shared copy.
    fn shared(&mut self, msg: &RawMessage<'_>) -> Result<()> {
        match SharedRef::parse(&mut msg.cursor(self.img, "shared message"))? {
            SharedRef::ObjectHeader(a) => self.queue(a),
            // The SOHM heaps and indexes are accounted for with the table.
            SharedRef::SohmHeap(_) => {}
        }
        Ok(())
    }

    fn message(&mut self, msg: &RawMessage<'_>) -> Result<()> {
        let img = self.img;
        match msg.kind {
            // No file addresses (dataset messages are handled together in `dataset`).
            kind::NIL
            | kind::DATASPACE
            | kind::DATATYPE
            | kind::FILL_VALUE_OLD
            | kind::FILL_VALUE
            | kind::LAYOUT
            | kind::BOGUS
            | kind::GROUP_INFO
            | kind::FILTER_PIPELINE
            | kind::COMMENT
            | kind::MTIME_OLD
            | kind::MTIME
            | kind::BTREE_K
            | kind::REF_COUNT => {}
            kind::LINK => {
                let link = Link::parse(&mut msg.cursor(img, "link message"))?;
                if let LinkTarget::Hard(a) = link.target {
                    self.queue(a);
                }
            }
            kind::LINK_INFO => self.dense_links(msg)?,
            kind::ATTRIBUTE => {
                let attr = AttributeMessage::parse(&mut msg.cursor(img, "attribute message"))?;
                self.attribute(attr)?;
            }
            kind::ATTRIBUTE_INFO => self.dense_attributes(msg)?,
            kind::SYMBOL_TABLE => self.symbol_table(msg)?,
            kind::EXTERNAL_FILES => {
                let heap = crate::messages::external::heap_address(
                    &mut msg.cursor(img, "external data files message"),
                )?;
                self.push_all(local::extents(img, heap)?, "local heap");
            }
            // Accounted for at the start of the walk (through the image).
            kind::SHARED_TABLE => {}
            kind::DRIVER_INFO => self.incomplete("driver info message"),
            kind::FILE_SPACE_INFO => self.incomplete("file space info (free-space managers)"),
            k => self.incomplete(format!(
                "unknown message type {k:#06x} at byte offset {}",
                msg.offset
            )),
        }
        Ok(())
    }

    /// The extents of a fractal heap and of the v2 B-trees indexing it.
    fn dense_storage(&mut self, heap: Addr, indexes: [Option<Addr>; 2]) -> Result<()> {
        let img = self.img;
        let parsed = self.soft(FractalHeap::parse(img, heap))?;
        if let Some(h) = parsed {
            if let Some(list) = self.soft(h.block_extents())? {
                self.push_all(list, "fractal heap");
            }
        }
        for tree in indexes.into_iter().flatten() {
            let list = bt2::node_extents(img, tree)?;
            self.push_all(list, "v2 B-tree");
        }
        Ok(())
    }

    fn dense_links(&mut self, msg: &RawMessage<'_>) -> Result<()> {
        let img = self.img;
        let info = LinkInfo::parse(&mut msg.cursor(img, "link info message"))?;
        let Some(heap) = info.fractal_heap else {
            return Ok(());
        };
        self.dense_storage(heap, [info.name_index, info.order_index])?;
        let links = self
            .soft(dense::dense_links(img, &info))?
            .unwrap_or_default();
        for link in links {
            if let LinkTarget::Hard(a) = link.target {
                self.queue(a);
            }
        }
        Ok(())
    }

    fn dense_attributes(&mut self, msg: &RawMessage<'_>) -> Result<()> {
        let img = self.img;
        let info = AttributeInfo::parse(&mut msg.cursor(img, "attribute info message"))?;
        let Some(heap) = info.fractal_heap else {
            return Ok(());
        };
        self.dense_storage(heap, [info.name_index, info.order_index])?;
        let objects = self
            .soft(dense::attribute_objects(img, &info))?
            .unwrap_or_default();
        for obj in objects {
            if obj.flags & 0x02 != 0 {
                self.incomplete("dense attribute in the shared object header message heap");
                continue;
            }
            let attr = AttributeMessage::parse(&mut obj.cursor(img, "dense attribute message"))?;
            self.attribute(attr)?;
        }
        Ok(())
    }

    /// An attribute: its committed datatype, and the global heap collections and objects
    /// its data refers to.
    fn attribute(&mut self, attr: AttributeMessage) -> Result<()> {
        let datatype = match attr.datatype {
            MaybeShared::Inline(t) => t,
            MaybeShared::Shared(r) => match self.resolve_shared_datatype(&r)? {
                Some(t) => t,
                None => return Ok(()),
            },
        };
        if !super::data::needs_scan(&datatype) {
            return Ok(());
        }
        let MaybeShared::Inline(space) = &attr.dataspace else {
            self.incomplete("attribute with a shared (SOHM) dataspace");
            return Ok(());
        };
        let len = space
            .element_count()
            .and_then(|n| n.checked_mul(u64::from(datatype.size)))
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(usize::MAX);
        let data = attr.data.get(..len).unwrap_or(&attr.data);
        self.scan(&datatype, data, 0)
    }

    /// An old-style group: its B-tree nodes, symbol table nodes, local heap and members.
    fn symbol_table(&mut self, msg: &RawMessage<'_>) -> Result<()> {
        let img = self.img;
        let sizes = img.sizes();
        let st = SymbolTableMessage::parse(&mut msg.cursor(img, "symbol table message"))?;
        let key = usize::from(sizes.length);
        let (nodes, snods) = bt1::tree_nodes(img, st.btree, 0, key)?;
        let node_len = bt1::node_size(self.sb.group_internal_k, key, sizes.offset) as u64;
        self.push_all(nodes.into_iter().map(|a| (a, node_len)), "v1 B-tree node");
        let entry = u64::from(sizes.length) + u64::from(sizes.offset) + 24;
        let snod_len = 8 + 2 * u64::from(self.sb.group_leaf_k) * entry;
        self.push_all(
            snods.into_iter().map(|a| (a, snod_len)),
            "symbol table node",
        );
        self.push_all(local::extents(img, st.heap)?, "local heap");
        for e in bt1::group_entries(img, st.btree)? {
            if let Some(a) = e.object_header {
                self.queue(a);
            }
        }
        Ok(())
    }
}
