//! A YAML tree with line numbers, built from saphyr-parser's events.
//!
//! saphyr-parser is only an event parser; the tree is ours so that every node keeps its line (for errors that
//! say where), its tag (compose's `!reset`), and so that an alias shares the anchored node (an `Rc`) instead of
//! copying it: a "billion laughs" document costs its own size. Merge keys (`<<: *base`) are resolved when a key
//! is looked up, and each node remembers what a key resolved to, for the same reason: a mapping shared by a
//! thousand services is searched once per key, not once per service.
//!
//! Sharing has a cost the builder pays for: the tree an alias makes can be much deeper than the text nests (an
//! alias of a node 100 levels deep, inside another 100 levels deep, ...). So the depth limit counts the resolved
//! tree ([`NodeData::height`]), which is also what bounds the recursion of lookups, and dropping a tree never
//! recurses (see the `Drop` impl). Scalars' core-schema kind and hash are computed once, when read: an alias of a
//! megabyte scalar used as a key or a value in many places is not re-read in each.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

/// How deep collections may nest, aliases resolved: compose files need a handful of levels; the limit keeps the
/// builder's stack and every walk of the tree bounded.
pub(crate) const MAX_DEPTH: usize = 128;

/// A node shared by its aliases.
pub(crate) type Node = Rc<NodeData>;

/// A node, its first line (from 1) and its tag.
#[derive(Debug)]
pub(crate) struct NodeData {
    pub(crate) value: Value,
    pub(crate) line: usize,
    pub(crate) tag: Option<String>,
    /// 1 for a scalar, else 1 + the largest height of its children: the depth of the tree it stands for.
    height: usize,
    /// A scalar's kind under the core schema, were it plain and untagged (collections: unused).
    core: ScalarKind,
    /// A scalar's hash with the builder's hasher, for comparing keys (collections: unused).
    hash: u64,
    /// What [`get`](Self::get) found for each key asked for (mappings only).
    lookups: RefCell<HashMap<String, Option<Node>>>,
}

/// What a node holds.
#[derive(Debug)]
pub(crate) enum Value {
    /// A scalar; `plain` when unquoted (then YAML's core schema may make it a null, a bool or a number).
    Scalar { text: String, plain: bool },
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping, in document order.
    Mapping(Vec<(Node, Node)>),
}

/// What a scalar is under YAML 1.2's core schema, which compose's Go YAML library follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    Null,
    Bool,
    Int,
    Float,
    String,
}

/// A document that is not YAML, or nests too deep, or names an anchor it never defined.
#[derive(Debug)]
pub(crate) struct YamlError {
    pub(crate) line: usize,
    pub(crate) message: String,
    /// A duplicate key: YAML, but not YAML compose accepts.
    pub(crate) duplicate: bool,
    /// Nesting deeper than [`MAX_DEPTH`]: YAML, but past this crate's limit.
    pub(crate) too_deep: bool,
}

/// The documents of `text`, each a root node (an empty document is a null scalar).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    Builder::default().run(text)
}

impl NodeData {
    /// The scalar's text, for scalars.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// What the scalar is; `None` for collections.
    pub(crate) fn scalar_kind(&self) -> Option<ScalarKind> {
        let Value::Scalar { plain, .. } = &self.value else {
            return None;
        };
        let tagged_str = self
            .tag
            .as_deref()
            .is_some_and(|tag| tag == "tag:yaml.org,2002:str" || tag == "!!str");
        if !plain || tagged_str {
            return Some(ScalarKind::String);
        }
        Some(self.core)
    }

    /// Whether this is a null: `~`, `null`, or nothing at all.
    pub(crate) fn is_null(&self) -> bool {
        self.scalar_kind() == Some(ScalarKind::Null)
    }

    /// Whether the node carries compose's `!reset` tag.
    pub(crate) fn is_reset(&self) -> bool {
        self.tag.as_deref() == Some("!reset")
    }

    /// What kind of node this is, for messages: `a mapping`, `a number`...
    pub(crate) fn describe(&self) -> &'static str {
        match (&self.value, self.scalar_kind()) {
            (Value::Sequence(_), _) => "a sequence",
            (Value::Mapping(_), _) => "a mapping",
            (_, Some(ScalarKind::Null)) => "null",
            (_, Some(ScalarKind::Bool)) => "a boolean",
            (_, Some(ScalarKind::Int | ScalarKind::Float)) => "a number",
            _ => "a string",
        }
    }

    /// The value of `key` in a mapping, its own keys first, then those of its merge keys (`<<`) in order.
    ///
    /// The answer is remembered per node and key, so a mapping merged into (or aliased as) many others is searched
    /// once. Aliases only name nodes completed before them, so the merge graph has no cycle, and its depth is at
    /// most the node's height, which bounds the recursion.
    pub(crate) fn get(&self, key: &str) -> Option<Node> {
        let Value::Mapping(pairs) = &self.value else {
            return None;
        };
        if let Some(known) = self.lookups.borrow().get(key) {
            return known.clone();
        }
        let found = match pairs.iter().find(|(k, _)| k.scalar() == Some(key) && !is_merge_key(k)) {
            Some((_, value)) => Some(Rc::clone(value)),
            None => self.merge_sources().into_iter().find_map(|source| source.get(key)),
        };
        self.lookups.borrow_mut().insert(key.to_owned(), found.clone());
        found
    }

    /// The entries of a mapping whose keys are scalars, merge keys resolved: its own first, then each merged
    /// mapping's keys not seen yet. Each entry comes with the line of its key.
    pub(crate) fn entries(&self) -> Vec<(&str, &Node, usize)> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut visited = HashSet::new();
        self.entries_inner(&mut out, &mut seen, &mut visited);
        out
    }

    fn entries_inner<'a>(
        &'a self,
        out: &mut Vec<(&'a str, &'a Node, usize)>,
        seen: &mut HashSet<&'a str>,
        visited: &mut HashSet<*const Self>,
    ) {
        let Value::Mapping(pairs) = &self.value else {
            return;
        };
        if !visited.insert(std::ptr::from_ref(self)) {
            return;
        }
        for (key, value) in pairs.iter().filter(|(k, _)| !is_merge_key(k)) {
            if let Some(name) = key.scalar() {
                if seen.insert(name) {
                    out.push((name, value, key.line));
                }
            }
        }
        for source in self.merge_sources() {
            source.entries_inner(out, seen, visited);
        }
    }

    /// The mappings a `<<` key merges in: one mapping, or a sequence of them.
    fn merge_sources(&self) -> Vec<&Node> {
        let Value::Mapping(pairs) = &self.value else {
            return Vec::new();
        };
        let mut sources = Vec::new();
        for (_, value) in pairs.iter().filter(|(k, _)| is_merge_key(k)) {
            match &value.value {
                Value::Mapping(_) => sources.push(value),
                Value::Sequence(items) => sources.extend(items.iter().filter(|i| matches!(i.value, Value::Mapping(_)))),
                Value::Scalar { .. } => {}
            }
        }
        sources
    }
}

fn is_merge_key(key: &NodeData) -> bool {
    matches!(&key.value, Value::Scalar { text, plain: true } if text == "<<")
}

/// YAML 1.2's core schema for a plain scalar.
fn core_schema(text: &str) -> ScalarKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return ScalarKind::Bool,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN"
        | ".NAN" => return ScalarKind::Float,
        _ => {}
    }
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(octal) = text.strip_prefix("0o") {
        if digits(octal, 8) {
            return ScalarKind::Int;
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if digits(hex, 16) {
            return ScalarKind::Int;
        }
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned, 10) {
        return ScalarKind::Int;
    }
    // `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => digits(fraction, 10),
        Some((whole, fraction)) => digits(whole, 10) && (fraction.is_empty() || digits(fraction, 10)),
        None => digits(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if mantissa_ok && exponent_ok {
        ScalarKind::Float
    } else {
        ScalarKind::String
    }
}

/// A collection being built.
enum Frame {
    Sequence {
        items: Vec<Node>,
        anchor: usize,
        line: usize,
        tag: Option<String>,
    },
    Mapping {
        pairs: Vec<(Node, Node)>,
        key: Option<Node>,
        keys: HashSet<KeyText>,
        anchor: usize,
        line: usize,
        tag: Option<String>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    root: Option<Node>,
    /// Hashes scalars once, with keys of this run (a file cannot aim at the hash).
    hasher: RandomState,
}

/// A mapping key, compared by its text through the hash computed when it was read.
struct KeyText(Node);

impl PartialEq for KeyText {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || (self.0.hash == other.0.hash && self.0.scalar() == other.0.scalar())
    }
}

impl Eq for KeyText {}

impl Hash for KeyText {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl NodeData {
    fn new(value: Value, line: usize, tag: Option<String>, hasher: &RandomState) -> Self {
        let (height, core, hash) = match &value {
            Value::Scalar { text, .. } => (1, core_schema(text), hasher.hash_one(text.as_str())),
            Value::Sequence(items) => (
                1 + items.iter().map(|n| n.height).max().unwrap_or(0),
                ScalarKind::String,
                0,
            ),
            Value::Mapping(pairs) => (
                1 + pairs.iter().map(|(k, v)| k.height.max(v.height)).max().unwrap_or(0),
                ScalarKind::String,
                0,
            ),
        };
        Self {
            value,
            line,
            tag,
            height,
            core,
            hash,
            lookups: RefCell::new(HashMap::new()),
        }
    }

    /// The children, taken out (the node is left an empty collection).
    fn take_children(&mut self, into: &mut Vec<Node>) {
        match &mut self.value {
            Value::Scalar { .. } => {}
            Value::Sequence(items) => into.append(items),
            Value::Mapping(pairs) => {
                into.reserve(2 * pairs.len());
                for (key, value) in pairs.drain(..) {
                    into.push(key);
                    into.push(value);
                }
            }
        }
        for (_, found) in self.lookups.get_mut().drain() {
            into.extend(found);
        }
    }
}

/// Dropping a tree with a loop instead of recursion: every child this node holds the last reference to is taken
/// apart here, so no drop goes deeper than one level whatever the tree's shape.
impl Drop for NodeData {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.take_children(&mut pending);
        while let Some(node) = pending.pop() {
            if let Ok(mut data) = Rc::try_unwrap(node) {
                data.take_children(&mut pending);
            }
        }
    }
}

impl Builder {
    fn run(mut self, text: &str) -> Result<Vec<Node>, YamlError> {
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|err| YamlError {
                line: err.marker().line().max(1),
                message: crate::text::clip(err.info()),
                duplicate: false,
                too_deep: false,
            })?;
            self.event(event, span)?;
        }
        Ok(self.documents)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let line = span.start.line().max(1);
        match event {
            Event::DocumentStart(_) => {
                self.root = None;
                // Anchors belong to their document, as in YAML (and compose's parser): a later document cannot
                // alias an earlier one's nodes, so each document costs its own size to read.
                self.anchors.clear();
            }
            Event::DocumentEnd => {
                let root = self.root.take().unwrap_or_else(|| {
                    Rc::new(NodeData::new(
                        Value::Scalar {
                            text: String::new(),
                            plain: true,
                        },
                        line,
                        None,
                        &self.hasher,
                    ))
                });
                self.documents.push(root);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let node = Rc::new(NodeData::new(
                    Value::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    line,
                    tag.map(|t| tag_text(&t)),
                    &self.hasher,
                ));
                self.anchor(anchor, &node);
                self.add(node)?;
            }
            Event::Alias(anchor) => {
                let Some(node) = self.anchors.get(&anchor).cloned() else {
                    return Err(YamlError {
                        line,
                        message: "an alias names an anchor that is not defined before it".to_owned(),
                        duplicate: false,
                        too_deep: false,
                    });
                };
                self.add(node)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.push(Frame::Sequence {
                    items: Vec::new(),
                    anchor,
                    line,
                    tag: tag.map(|t| tag_text(&t)),
                })?;
            }
            Event::MappingStart(anchor, tag) => {
                self.push(Frame::Mapping {
                    pairs: Vec::new(),
                    key: None,
                    keys: HashSet::new(),
                    anchor,
                    line,
                    tag: tag.map(|t| tag_text(&t)),
                })?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Sequence {
                        items,
                        anchor,
                        line,
                        tag,
                    }) => (Value::Sequence(items), anchor, line, tag),
                    Some(Frame::Mapping {
                        pairs,
                        anchor,
                        line,
                        tag,
                        ..
                    }) => (Value::Mapping(pairs), anchor, line, tag),
                    None => return Ok(()),
                };
                let (value, anchor, line, tag) = node;
                let node = Rc::new(NodeData::new(value, line, tag, &self.hasher));
                if node.height > MAX_DEPTH {
                    return Err(too_deep(line, " once aliases are resolved"));
                }
                self.anchor(anchor, &node);
                self.add(node)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn push(&mut self, frame: Frame) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            let line = match &frame {
                Frame::Sequence { line, .. } | Frame::Mapping { line, .. } => *line,
            };
            return Err(too_deep(line, ""));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn anchor(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, Rc::clone(node));
        }
    }

    fn add(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping { pairs, key, keys, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if let Some(name) = k.scalar() {
                        if name != "<<" && !keys.insert(KeyText(Rc::clone(&k))) {
                            return Err(YamlError {
                                line: k.line,
                                message: format!("the key {} appears twice in one mapping", crate::text::quote(name)),
                                duplicate: true,
                                too_deep: false,
                            });
                        }
                    }
                    pairs.push((k, node));
                }
            },
        }
        Ok(())
    }
}

fn too_deep(line: usize, how: &str) -> YamlError {
    YamlError {
        line,
        message: format!("collections nest deeper than {MAX_DEPTH} levels{how}, this program's limit"),
        duplicate: false,
        too_deep: true,
    }
}

fn tag_text(tag: &Tag) -> String {
    if tag.handle == "!" {
        format!("!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse(text).unwrap();
        assert_eq!(docs.len(), 1, "{text}");
        docs.remove(0)
    }

    #[test]
    fn lines_tags_and_kinds() {
        let root = one("a: 1\nb:\n  c: !reset null\nd: 'x'\ne: 1.5e3\nf: nginx\ng:\n");
        let b = root.get("b").unwrap();
        assert_eq!(b.line, 3);
        let c = b.get("c").unwrap();
        assert!(c.is_reset());
        assert_eq!(c.line, 3);
        assert_eq!(root.get("a").unwrap().scalar_kind(), Some(ScalarKind::Int));
        assert_eq!(root.get("d").unwrap().scalar_kind(), Some(ScalarKind::String));
        assert_eq!(root.get("e").unwrap().scalar_kind(), Some(ScalarKind::Float));
        assert_eq!(root.get("f").unwrap().scalar_kind(), Some(ScalarKind::String));
        assert!(root.get("g").unwrap().is_null());
        assert_eq!(root.get("f").unwrap().line, 6);
    }

    #[test]
    fn core_schema_scalars() {
        for (text, kind) in [
            ("", ScalarKind::Null),
            ("~", ScalarKind::Null),
            ("True", ScalarKind::Bool),
            ("yes", ScalarKind::String),
            ("0x1F", ScalarKind::Int),
            ("0o17", ScalarKind::Int),
            ("-12", ScalarKind::Int),
            ("1.", ScalarKind::Float),
            (".5", ScalarKind::Float),
            ("1e5", ScalarKind::Float),
            ("-.inf", ScalarKind::Float),
            ("1.2.3", ScalarKind::String),
            ("e5", ScalarKind::String),
            ("1e", ScalarKind::String),
            ("nginx:1.25", ScalarKind::String),
        ] {
            assert_eq!(core_schema(text), kind, "{text:?}");
        }
    }

    #[test]
    fn merge_keys_and_aliases() {
        let root = one(
            "base: &base\n  image: a\n  build: .\nother: &other\n  image: b\n  platform: p\nsvc:\n  <<: [*base, *other]\n  build: here\n",
        );
        let svc = root.get("svc").unwrap();
        assert_eq!(svc.get("image").unwrap().scalar(), Some("a"));
        assert_eq!(svc.get("build").unwrap().scalar(), Some("here"));
        assert_eq!(svc.get("platform").unwrap().scalar(), Some("p"));
        let keys: Vec<&str> = svc.entries().iter().map(|(k, _, _)| *k).collect();
        assert_eq!(keys, ["build", "image", "platform"]);
    }

    #[test]
    fn aliases_share_instead_of_copying() {
        // Nine levels of ten aliases each would be 10^9 nodes if copied.
        let mut text = String::from("a0: &a0 [x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            let list = [previous.as_str(); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{list}]\n"));
        }
        let root = one(&text);
        assert!(root.get("a9").is_some());
        // Merge keys over such a DAG are walked once per node.
        let mut text = String::from("m0: &m0 {k: v}\n");
        for level in 1..40 {
            let previous = format!("*m{}", level - 1);
            text.push_str(&format!("m{level}: &m{level} {{<<: [{previous}, {previous}]}}\n"));
        }
        let root = one(&text);
        assert!(root.get("m39").unwrap().get("missing").is_none());
        assert_eq!(root.get("m39").unwrap().get("k").unwrap().scalar(), Some("v"));
    }

    #[test]
    fn refusals() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert!(err.duplicate);
        assert_eq!(err.line, 2);
        let err = parse("a: [1\n").unwrap_err();
        assert!(!err.duplicate);
        let err = parse("a: *nothing\n").unwrap_err();
        assert!(err.message.contains("anchor"), "{}", err.message);
        let deep = "[".repeat(1000);
        assert!(parse(&deep).is_err());
        let deep_block: String = (0..300).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(parse(&deep_block).is_err());
    }

    #[test]
    fn dropping_a_deep_tree_does_not_recurse() {
        // The builder refuses such a tree; the drop must not depend on that. A million levels would overflow the
        // stack with one frame per level.
        let hasher = RandomState::new();
        let scalar = Value::Scalar {
            text: "x".to_owned(),
            plain: true,
        };
        let mut node = Rc::new(NodeData::new(scalar, 1, None, &hasher));
        for level in 0..1_000_000 {
            let key = Value::Scalar {
                text: "k".to_owned(),
                plain: true,
            };
            let key = Rc::new(NodeData::new(key, 1, None, &hasher));
            node = Rc::new(NodeData::new(Value::Mapping(vec![(key, node)]), 1, None, &hasher));
            if level % 1000 == 0 {
                // Remembered lookups hold children too, and are taken apart as well.
                assert!(node.get("k").is_some());
            }
        }
        assert_eq!(node.height, 1_000_001);
        drop(node);
    }

    #[test]
    fn documents() {
        assert_eq!(parse("").unwrap().len(), 0);
        assert_eq!(parse("a: 1\n---\nb: 2\n").unwrap().len(), 2);
        assert!(parse("---\n").unwrap()[0].is_null());
    }
}
