//! The browser demo's decoder: `jangada-hdf5` compiled to `wasm32-unknown-unknown`, behind a
//! handful of plain C-ABI exports ([`exports`]) that exchange JSON with the page's small
//! hand-written glue (`web/app.js`). No `wasm-bindgen`: the exports take and return
//! pointers and lengths into the module's memory, which any browser (and any wasm runtime)
//! calls as is, so that the build needs only `rustc` (see `web/README.md`).
//!
//! The logic is in safe functions that the host's unit tests call: [`Viewer`] holds the
//! open file; [`tree`] lists it; [`preview`] reads a bounded part of one dataset.
//!
//! ## The JSON
//!
//! Every answer is an object with `"ok"`: `{"ok": false, "error": MESSAGE}` when the call
//! failed (a corrupt file, an unsupported filter, ...), else:
//!
//! - [`Viewer::open`]: `{"ok": true, "size": BYTES, "superblock": VERSION, "tree": NODE}`;
//! - [`Viewer::preview`]: `{"ok": true, "path", "kind": "scalar"|"empty"|"line"|"image"|
//!   "values", "selection": [[start, stop, step], ..], "shape": [..], "data": FLAT,
//!   "stored_bytes": N|null}` ([`preview::preview`]).
//!
//! NODE has `"kind"`, `"name"` and `"path"`, an `"error"` when part of it cannot be read,
//! and by kind:
//!
//! - `"group"`: `"attrs": {NAME: ATTR}`, `"members": [NODE, ..]` (link order); a group
//!   met again (a cycle or a second hard link) has `"same_as": PATH` instead;
//! - `"dataset"`: `"dtype": DT`, `"type"` (a human description), `"shape"`, `"maxshape"`,
//!   `"chunks"`, `"layout"`, `"chunk_index"`, `"filters": [{"id", "name", "params"}]`,
//!   `"external"`, `"attrs"`;
//! - `"datatype"`: `"dtype"`, `"type"`, `"attrs"`;
//! - `"soft"` (a dangling soft link, `"target"`), `"external"` (`"file"`, `"target"`),
//!   `"user-defined link"`, `"error"`. A node reached through a soft link has
//!   `"soft_link": TARGET`.
//!
//! DT, ATTR (`{"dtype", "shape", "data"}`, plus `"type"` and `"truncated"` here) and FLAT
//! are `jangada dump --json`'s (`jangada::cli::dump`).

pub mod exports;
pub mod preview;
pub mod tree;

use serde_json::{json, Value};

use jangada_hdf5::{File, Result};

/// Most bytes one read may decode in the browser (`File::set_read_limit`): a corrupt
/// header that claims a huge chunk is an error, not an out-of-memory trap.
pub const READ_LIMIT: u64 = 256 << 20;

/// The file the page has open.
#[derive(Debug, Default)]
pub struct Viewer {
    file: Option<File>,
}

impl Viewer {
    /// A viewer with no file open.
    pub fn new() -> Viewer {
        Viewer::default()
    }

    /// Open the file image `bytes` (closing the previous one) and answer its tree.
    pub fn open(&mut self, bytes: Vec<u8>) -> Value {
        self.file = None;
        answer(File::from_bytes(bytes).and_then(|file| {
            file.set_read_limit(READ_LIMIT);
            let tree = tree::tree(&file)?;
            let info = json!({
                "size": file.len(),
                "superblock": file.superblock().version,
                "tree": tree,
            });
            self.file = Some(file);
            Ok(info)
        }))
    }

    /// The preview of the dataset at `path` in the open file.
    pub fn preview(&self, path: &str) -> Value {
        answer(match &self.file {
            Some(file) => file.dataset(path).and_then(|ds| preview::preview(&ds)),
            None => Err(jangada_hdf5::Error::Invalid("no file is open".into())),
        })
    }

    /// Close the open file.
    pub fn close(&mut self) {
        self.file = None;
    }
}

/// `{"ok": true, ..fields}` or `{"ok": false, "error": message}`.
fn answer(result: Result<Value>) -> Value {
    match result {
        Ok(Value::Object(fields)) => {
            // "ok" first, for people reading the JSON.
            let mut map = serde_json::Map::new();
            map.insert("ok".into(), Value::Bool(true));
            map.extend(fields);
            Value::Object(map)
        }
        Ok(other) => json!({"ok": true, "value": other}),
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    }
}
