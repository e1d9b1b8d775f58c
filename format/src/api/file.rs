//! Opening a file: memory-map it, find the superblock, hand out the root group.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Result;
use crate::io::FileImage;
use crate::superblock::Superblock;

use super::group::Group;
use super::node::Node;

/// The bytes of an open file.
#[derive(Debug)]
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// State shared by every handle of one open file.
#[derive(Debug)]
pub(crate) struct FileInner {
    bytes: Bytes,
    superblock: Superblock,
    path: Option<PathBuf>,
}

impl FileInner {
    /// The file image all structures are decoded from.
    pub(crate) fn image(&self) -> FileImage<'_> {
        let bytes: &[u8] = match &self.bytes {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        };
        FileImage::new(bytes, self.superblock.base, self.superblock.sizes)
    }

    /// Address of the root group's object header.
    pub(crate) fn superblock_root(&self) -> crate::io::Addr {
        self.superblock.root
    }
}

/// An HDF5 file opened for reading.
#[derive(Clone, Debug)]
pub struct File {
    inner: Arc<FileInner>,
}

impl File {
    /// Open an existing file read-only. The file is memory-mapped; it must not be truncated
    /// by another process while open.
    pub fn open(path: impl AsRef<Path>) -> Result<File> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        let bytes = if len == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: the map is read-only and private to this handle. Like every reader
            // that maps files, we rely on no other process truncating the file while open.
            Bytes::Mapped(unsafe { memmap2::Mmap::map(&file)? })
        };
        Self::from_parts(bytes, Some(path.to_path_buf()))
    }

    /// Read a file image held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<File> {
        Self::from_parts(Bytes::Owned(bytes), None)
    }

    fn from_parts(bytes: Bytes, path: Option<PathBuf>) -> Result<File> {
        let all: &[u8] = match &bytes {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        };
        let superblock = Superblock::read(all)?;
        Ok(File {
            inner: Arc::new(FileInner {
                bytes,
                superblock,
                path,
            }),
        })
    }

    /// The decoded superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.inner.superblock
    }

    /// The path the file was opened from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The root group `/`.
    pub fn root(&self) -> Result<Group> {
        Group::open(
            self.inner.clone(),
            self.inner.superblock.root,
            "/".to_string(),
        )
    }

    /// The object at `path` (absolute or relative to the root).
    pub fn get(&self, path: &str) -> Result<Node> {
        self.root()?.get(path)
    }

    /// The group at `path`.
    pub fn group(&self, path: &str) -> Result<Group> {
        self.root()?.group(path)
    }

    /// The dataset at `path`.
    pub fn dataset(&self, path: &str) -> Result<super::Dataset> {
        self.root()?.dataset(path)
    }

    /// Size of the file image in bytes.
    pub fn len(&self) -> u64 {
        self.inner.image().bytes().len() as u64
    }

    /// Whether the file image is empty (never true for an opened file).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
