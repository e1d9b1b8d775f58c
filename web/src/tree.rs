//! The tree of a file as JSON, without dataset data: what the page lists when a file is
//! opened. Datatypes, attributes and values use `jangada dump --json`'s schema
//! ([`dtype_json`], [`element_json`]); the rest is described in the [crate docs](crate).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use jangada::cli::dump::{dtype_json, element_json};
use jangada_hdf5::{describe, Attribute, Dataset, File, Group, LinkTarget, Node, Result};

/// Most elements of one attribute listed (the rest is counted in `"truncated"`).
pub const ATTR_VALUES_MAX: usize = 256;
/// Most objects listed for one file (the rest is counted in the root's `"truncated"`).
pub const NODES_MAX: usize = 20_000;
/// Deepest group nesting listed (deeper groups get an `"error"`): the walk recurses, and
/// the browser's wasm stack is small.
pub const DEPTH_MAX: usize = 256;

/// The tree of `file` as JSON: the root group's node.
pub fn tree(file: &File) -> Result<Value> {
    let root = file.root()?;
    let mut walk = Walk {
        seen: HashMap::new(),
        nodes: 0,
        skipped: 0,
    };
    let mut node = walk.group(&root, "/", 0);
    if walk.skipped > 0 {
        if let Value::Object(map) = &mut node {
            map.insert("truncated".into(), json!(walk.skipped));
        }
    }
    Ok(node)
}

/// The state of one walk over a file.
struct Walk {
    /// Path of the first visit of each group, by object header address: a group reached
    /// again (a cycle, or a second hard link) is not listed twice.
    seen: HashMap<u64, String>,
    /// Objects listed so far.
    nodes: usize,
    /// Objects not listed ([`NODES_MAX`]).
    skipped: usize,
}

impl Walk {
    fn group(&mut self, group: &Group, name: &str, depth: usize) -> Value {
        let mut node = base("group", name, group.path());
        let mut problems = Vec::new();
        node.insert("attrs".into(), attrs_or(group.attrs(), &mut problems));
        if depth >= DEPTH_MAX {
            let e = format!("groups nested deeper than {DEPTH_MAX} levels are not listed");
            return finish(node, &[e]);
        }
        self.seen
            .insert(group.addr().get(), group.path().to_string());
        let mut members = Vec::new();
        match group.links() {
            Ok(links) => {
                for link in links {
                    if self.nodes >= NODES_MAX {
                        self.skipped += 1;
                        continue;
                    }
                    self.nodes += 1;
                    members.push(self.link(group, &link.name, &link.target, depth));
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
        node.insert("members".into(), Value::Array(members));
        finish(node, &problems)
    }

    fn link(&mut self, group: &Group, name: &str, target: &LinkTarget, depth: usize) -> Value {
        let path = join(group.path(), name);
        match target {
            LinkTarget::Hard(_) | LinkTarget::Soft(_) => {}
            LinkTarget::External { file, path: p } => {
                let mut node = base("external", name, &path);
                node.insert("file".into(), json!(file));
                node.insert("target".into(), json!(p));
                return Value::Object(node);
            }
            LinkTarget::UserDefined(t) => {
                let mut node = base("user-defined link", name, &path);
                node.insert("link_type".into(), json!(t));
                return Value::Object(node);
            }
        }
        let node = match group.get(name) {
            Ok(node) => node,
            Err(e) => {
                let mut node = base("error", name, &path);
                if let LinkTarget::Soft(t) = target {
                    node.insert("kind".into(), json!("soft"));
                    node.insert("target".into(), json!(t));
                }
                return finish(node, &[e.to_string()]);
            }
        };
        let mut value = match &node {
            Node::Group(g) => match self.seen.get(&g.addr().get()) {
                Some(first) => {
                    let mut n = base("group", name, &path);
                    n.insert("same_as".into(), json!(first));
                    Value::Object(n)
                }
                None => self.group(g, name, depth + 1),
            },
            Node::Dataset(d) => dataset(d, name),
            Node::Datatype(t) => {
                let mut n = base("datatype", name, t.path());
                let mut problems = Vec::new();
                n.insert("dtype".into(), dtype_json(t.datatype()));
                n.insert("type".into(), json!(describe(t.datatype())));
                n.insert("attrs".into(), attrs_or(t.attrs(), &mut problems));
                finish(n, &problems)
            }
        };
        if let (LinkTarget::Soft(t), Value::Object(map)) = (target, &mut value) {
            map.insert("soft_link".into(), json!(t));
        }
        value
    }
}

/// A dataset's node: its header facts and attributes (no data).
fn dataset(ds: &Dataset, name: &str) -> Value {
    let mut node = base("dataset", name, ds.path());
    let null = ds.is_null();
    node.insert("dtype".into(), dtype_json(ds.dtype()));
    node.insert("type".into(), json!(describe(ds.dtype())));
    node.insert("shape".into(), json!((!null).then(|| ds.shape())));
    node.insert("maxshape".into(), json!((!null).then(|| ds.maxshape())));
    node.insert("chunks".into(), json!(ds.chunks()));
    node.insert("layout".into(), json!(ds.layout().name()));
    node.insert("chunk_index".into(), json!(ds.chunk_index()));
    let filters: Vec<Value> = ds
        .filters()
        .iter()
        .map(|f| json!({"id": f.id, "name": f.display_name(), "params": f.client_data}))
        .collect();
    node.insert("filters".into(), Value::Array(filters));
    node.insert("external".into(), json!(ds.external().is_some()));
    let mut problems = Vec::new();
    node.insert("attrs".into(), attrs_or(ds.attrs(), &mut problems));
    finish(node, &problems)
}

/// `{"kind", "name", "path"}`.
fn base(kind: &str, name: &str, path: &str) -> Map<String, Value> {
    let mut node = Map::new();
    node.insert("kind".into(), json!(kind));
    node.insert("name".into(), json!(name));
    node.insert("path".into(), json!(path));
    node
}

/// The node, with an `"error"` member when there were problems.
fn finish(mut node: Map<String, Value>, problems: &[String]) -> Value {
    if !problems.is_empty() {
        node.insert("error".into(), json!(problems.join("; ")));
    }
    Value::Object(node)
}

fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// The attributes as `{NAME: ATTR}`, or `{}` and a problem when they cannot be listed.
fn attrs_or(attrs: Result<Vec<Attribute>>, problems: &mut Vec<String>) -> Value {
    match attrs {
        Ok(list) => Value::Object(
            list.iter()
                .map(|a| (a.name().to_string(), attr(a)))
                .collect(),
        ),
        Err(e) => {
            problems.push(e.to_string());
            json!({})
        }
    }
}

/// One attribute as `jangada dump --json` writes it, `{"dtype", "shape", "data"}`, with at
/// most [`ATTR_VALUES_MAX`] elements (`"truncated"`: how many more there are), or with an
/// `"error"` and `"data": null` when it cannot be read.
fn attr(a: &Attribute) -> Value {
    let mut node = Map::new();
    node.insert("dtype".into(), dtype_json(a.dtype()));
    node.insert("type".into(), json!(describe(a.dtype())));
    match a.read_dyn() {
        Ok(value) => {
            node.insert("shape".into(), json!(value.shape));
            let data = value.shape.as_ref().map(|_| {
                let shown = value.elements.iter().take(ATTR_VALUES_MAX);
                shown.map(element_json).collect::<Vec<_>>()
            });
            node.insert("data".into(), json!(data));
            let more = value.elements.len().saturating_sub(ATTR_VALUES_MAX);
            if more > 0 {
                node.insert("truncated".into(), json!(more));
            }
            Value::Object(node)
        }
        Err(e) => {
            let shape = (!a.is_empty_value()).then(|| a.shape());
            node.insert("shape".into(), json!(shape));
            node.insert("data".into(), Value::Null);
            finish(node, &[e.to_string()])
        }
    }
}
