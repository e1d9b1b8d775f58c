//! Groups: listing links in name or creation order, and resolving paths through hard and
//! soft links.

use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};
use crate::io::Addr;
use crate::links::{dense, symbol_table};
use crate::messages::kind;
use crate::messages::link::{Link, LinkTarget};
use crate::messages::link_info::LinkInfo;
use crate::messages::symbol_table::SymbolTableMessage;
use crate::object_header::ObjectHeader;

use super::attribute::{self, Attribute};
use super::dataset::Dataset;
use super::file::FileInner;
use super::node::Node;

/// Most soft links followed while resolving one path (libhdf5's default is 16).
const MAX_SOFT_LINK_HOPS: u32 = 16;

/// How a group stores its links.
#[derive(Clone, Debug)]
enum LinkStore {
    /// Old-style: symbol table (v1 B-tree + local heap).
    SymbolTable(SymbolTableMessage),
    /// New-style compact: Link messages in the header, already decoded.
    Compact(Vec<Link>),
    /// New-style dense: fractal heap + v2 B-trees.
    Dense(LinkInfo),
}

/// A group in an open file.
#[derive(Clone, Debug)]
pub struct Group {
    file: Arc<FileInner>,
    addr: Addr,
    path: String,
    store: LinkStore,
    order_tracked: bool,
    /// The decoded links of a read-only file, shared by the clones of this handle, so that
    /// looking members up one by one does not decode the whole group each time.
    cache: Arc<OnceLock<Arc<Vec<Link>>>>,
}

impl Group {
    pub(crate) fn open(file: Arc<FileInner>, addr: Addr, path: String) -> Result<Group> {
        match Node::open(file, addr, path.clone())? {
            Node::Group(g) => Ok(g),
            _ => Err(Error::Invalid(format!("{path} is not a group"))),
        }
    }

    pub(crate) fn from_header(
        file: Arc<FileInner>,
        header: &ObjectHeader<'_>,
        path: String,
    ) -> Result<Group> {
        let snap = file.snapshot()?;
        let img = snap.image();
        let mut order_tracked = false;
        let store = if let Some(msg) = header.find(kind::SYMBOL_TABLE) {
            LinkStore::SymbolTable(SymbolTableMessage::parse(
                &mut msg.cursor(&img, "symbol table message"),
            )?)
        } else {
            let info = match header.find(kind::LINK_INFO) {
                Some(msg) => LinkInfo::parse(&mut msg.cursor(&img, "link info message"))?,
                None => LinkInfo::default(),
            };
            order_tracked = info.max_creation_index.is_some();
            if info.fractal_heap.is_some() {
                LinkStore::Dense(info)
            } else {
                let links = header
                    .all(kind::LINK)
                    .map(|m| Link::parse(&mut m.cursor(&img, "link message")))
                    .collect::<Result<Vec<_>>>()?;
                LinkStore::Compact(links)
            }
        };
        Ok(Group {
            addr: header.addr,
            file,
            path,
            store,
            order_tracked,
            cache: Arc::new(OnceLock::new()),
        })
    }

    /// The handle of a group just created in a writable file at `addr` (no links yet),
    /// without reading its header back: handles of writable files read the links from the
    /// session or the file on every lookup, never from the handle.
    pub(crate) fn created(
        file: Arc<FileInner>,
        addr: Addr,
        path: String,
        order_tracked: bool,
    ) -> Result<Group> {
        if !file.writable() {
            return Err(Error::Invalid("the file is open read-only".into()));
        }
        Ok(Group {
            file,
            addr,
            path,
            store: LinkStore::Compact(Vec::new()),
            order_tracked,
            cache: Arc::new(OnceLock::new()),
        })
    }

    /// The path this group was reached by.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Address of the group's object header.
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// Whether link creation order is tracked (h5py's `track_order=True`).
    pub fn tracks_creation_order(&self) -> bool {
        self.order_tracked
    }

    pub(crate) fn file_inner(&self) -> &Arc<FileInner> {
        &self.file
    }

    pub(crate) fn root_group(&self) -> Result<Group> {
        self.root()
    }

    pub(crate) fn child(&self, name: &str) -> String {
        self.child_path(name)
    }

    fn stored_links(&self) -> Result<Vec<Link>> {
        if self.file.writable() {
            // The group may have changed since this handle was made: ask the session, or
            // read the header again.
            {
                let session = self.file.session()?;
                if let Some(links) = crate::writer::groups::links_in_memory(&session, self.addr) {
                    return Ok(links);
                }
            }
            let fresh = Group::open(self.file.clone(), self.addr, self.path.clone())?;
            return fresh.links_from_store();
        }
        Ok(self.cached_links()?.as_ref().clone())
    }

    /// The links of a read-only file, decoded once per handle.
    fn cached_links(&self) -> Result<Arc<Vec<Link>>> {
        if let Some(links) = self.cache.get() {
            return Ok(links.clone());
        }
        let links = Arc::new(self.links_from_store()?);
        Ok(self.cache.get_or_init(|| links).clone())
    }

    fn links_from_store(&self) -> Result<Vec<Link>> {
        let snap = self.file.snapshot()?;
        let img = snap.image();
        match &self.store {
            LinkStore::SymbolTable(msg) => symbol_table::read_links(&img, msg),
            LinkStore::Compact(links) => Ok(links.clone()),
            LinkStore::Dense(info) => dense::dense_links(&img, info),
        }
    }

    /// All links, in name order (byte-wise, as HDF5 and h5py iterate).
    pub fn links(&self) -> Result<Vec<Link>> {
        let mut links = self.stored_links()?;
        links.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(links)
    }

    /// All links in creation order; an error when the group does not track it.
    pub fn links_in_creation_order(&self) -> Result<Vec<Link>> {
        if !self.order_tracked {
            return Err(Error::Invalid(format!(
                "group {} does not track link creation order",
                self.path
            )));
        }
        let mut links = self.stored_links()?;
        links.sort_by_key(|l| l.creation_order);
        Ok(links)
    }

    /// Member names in name order.
    pub fn member_names(&self) -> Result<Vec<String>> {
        Ok(self.links()?.into_iter().map(|l| l.name).collect())
    }

    /// The link called `name` in this group, if any. Dense groups are searched through
    /// their name index (one B-tree path), so lookups stay fast in huge groups.
    pub fn link(&self, name: &str) -> Result<Option<Link>> {
        if self.file.writable() {
            {
                let session = self.file.session()?;
                if let Some(found) =
                    crate::writer::groups::link_in_memory(&session, self.addr, name)
                {
                    return Ok(found);
                }
            }
            let fresh = Group::open(self.file.clone(), self.addr, self.path.clone())?;
            return fresh.link_from_store(name);
        }
        self.link_from_store(name)
    }

    fn link_from_store(&self, name: &str) -> Result<Option<Link>> {
        match &self.store {
            LinkStore::Dense(info) => {
                let snap = self.file.snapshot()?;
                dense::find_link(&snap.image(), info, name)
            }
            // One decode per handle, then a search: listing a big group member by member
            // stays linear in decoding work.
            _ => Ok(self
                .cached_links()?
                .iter()
                .find(|l| l.name == name)
                .cloned()),
        }
    }

    fn child_path(&self, name: &str) -> String {
        if self.path.ends_with('/') {
            format!("{}{name}", self.path)
        } else {
            format!("{}/{name}", self.path)
        }
    }

    fn root(&self) -> Result<Group> {
        let root = self.file.superblock_root()?;
        Group::open(self.file.clone(), root, "/".to_string())
    }

    /// The object at `path`, absolute or relative to this group, following hard and soft
    /// links. External links are not followed.
    pub fn get(&self, path: &str) -> Result<Node> {
        let mut hops = 0;
        self.resolve(path, &mut hops)
    }

    fn resolve(&self, path: &str, hops: &mut u32) -> Result<Node> {
        let (mut current, rest) = match path.strip_prefix('/') {
            Some(rest) => (self.root()?, rest),
            None => (self.clone(), path),
        };
        let parts: Vec<&str> = rest
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let Some((last, dirs)) = parts.split_last() else {
            return Ok(Node::Group(current));
        };
        for part in dirs {
            current = match current.step(part, hops)? {
                Node::Group(g) => g,
                other => {
                    return Err(Error::NotFound(format!(
                        "{path}: {} is not a group",
                        other.path()
                    )))
                }
            };
        }
        current.step(last, hops)
    }

    fn step(&self, name: &str, hops: &mut u32) -> Result<Node> {
        let link = self
            .link(name)?
            .ok_or_else(|| Error::NotFound(self.child_path(name)))?;
        self.follow(link, hops)
    }

    /// The object `link` (one of this group's links, as [`Group::links`] gives them) points
    /// at, without looking the link up again by name: walking a group's members this way
    /// costs one decode of its links in all.
    pub fn open_link(&self, link: &Link) -> Result<Node> {
        self.follow(link.clone(), &mut 0)
    }

    fn follow(&self, link: Link, hops: &mut u32) -> Result<Node> {
        let name = link.name.as_str();
        match link.target {
            LinkTarget::Hard(addr) => Node::open(self.file.clone(), addr, self.child_path(name)),
            LinkTarget::Soft(target) => {
                *hops += 1;
                if *hops > MAX_SOFT_LINK_HOPS {
                    return Err(Error::Invalid(format!(
                        "too many soft links while resolving {} (cycle?)",
                        self.child_path(name)
                    )));
                }
                self.resolve(&target, hops)
            }
            LinkTarget::External { file, path } => Err(Error::Unsupported(format!(
                "{} is an external link to {file}:{path}, which is not followed",
                self.child_path(name)
            ))),
            LinkTarget::UserDefined(t) => Err(Error::Unsupported(format!(
                "{} is a user-defined link of type {t}",
                self.child_path(name)
            ))),
        }
    }

    /// The group at `path`.
    pub fn group(&self, path: &str) -> Result<Group> {
        match self.get(path)? {
            Node::Group(g) => Ok(g),
            other => Err(Error::Invalid(format!("{} is not a group", other.path()))),
        }
    }

    /// The dataset at `path`.
    pub fn dataset(&self, path: &str) -> Result<Dataset> {
        match self.get(path)? {
            Node::Dataset(d) => Ok(d),
            other => Err(Error::Invalid(format!("{} is not a dataset", other.path()))),
        }
    }

    /// The group's attributes, in name order.
    pub fn attrs(&self) -> Result<Vec<Attribute>> {
        attribute::read_all(&self.file, self.addr)
    }

    /// The group's attributes in creation order (when tracked).
    pub fn attrs_in_creation_order(&self) -> Result<Vec<Attribute>> {
        attribute::read_all_in_creation_order(&self.file, self.addr)
    }

    /// The attribute called `name`.
    pub fn attr(&self, name: &str) -> Result<Attribute> {
        attribute::find(&self.file, self.addr, name, &self.path)
    }
}
