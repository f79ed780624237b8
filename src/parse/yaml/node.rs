//! The YAML tree: nodes with spans. Sequences and mappings are shared (`Arc`), so an
//! alias, an anchor table entry or a copy of a tree kept for later (the include
//! cache, each file's own tree) costs a pointer, not a copy of the subtree; a
//! change goes through `Arc::make_mut`, which copies one level when it is shared,
//! or [`take_items`] when it adds or removes items.
//! `Arc` rather than `Rc`: projects are loaded and linted in parallel (rayon).
//! `Arc<[T]>` rather than `Arc<Vec<T>>`: one allocation a collection, not two
//! (a tenth of a large file's allocations were the `Vec`s' own boxes).

use std::sync::Arc;

pub use compact_str::CompactString;

use crate::parse::interpolate::VarUse;
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A scalar node's parts, borrowed from the node ([`Node::as_scalar`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar<'a> {
    /// The value after YAML unquoting and, for compose values, interpolation.
    pub value: &'a str,
    pub style: Style,
    /// The variables interpolation read in this value (empty before interpolation).
    pub vars: &'a [VarUse],
}

/// What few nodes carry: a tag, or the variables a value read. Boxed with the
/// value of the nodes that have it ([`Slot::Rare`]), so that the others pay
/// nothing for it (a node's size is most of a large file's memory).
#[derive(Clone, Debug, Default, PartialEq)]
struct Rare {
    tag: Option<String>,
    /// Shared with the file's list of every use (`compose::load::Loaded::uses`):
    /// each use was stored twice, 112 bytes each time.
    vars: Option<Arc<[VarUse]>>,
}

/// A node's value. A scalar's string is inline up to 24 bytes (no allocation for
/// most scalars); its style and variables are kept by the node, so that a value
/// is 24 bytes and a node 40.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Scalar(CompactString),
    Seq(Arc<[Node]>),
    Map(Arc<[(Node, Node)]>),
}

impl Value {
    /// A sequence of `items`.
    pub fn seq(items: impl IntoIterator<Item = Node>) -> Value {
        Value::Seq(items.into_iter().collect())
    }

    /// A mapping of `entries`, in order.
    pub fn map(entries: impl IntoIterator<Item = (Node, Node)>) -> Value {
        Value::Map(entries.into_iter().collect())
    }
}

impl Value {
    /// The address of this sequence or mapping when more than `holders` hold it
    /// (an anchor's, met through aliases; a tree kept for later): a key for work
    /// done once per shared collection. The address is the collection's own only
    /// while one of its holders lives.
    pub(crate) fn shared_address(&self, holders: usize) -> Option<usize> {
        fn at<T: ?Sized>(shared: &Arc<T>, holders: usize) -> Option<usize> {
            (Arc::strong_count(shared) > holders).then(|| Arc::as_ptr(shared).cast::<u8>() as usize)
        }
        match self {
            Value::Map(entries) => at(entries, holders),
            Value::Seq(items) => at(items, holders),
            Value::Scalar(_) | Value::Null => None,
        }
    }
}

/// The items of `shared` as a `Vec` to change, `shared` left empty: moved out
/// when it holds the only reference, copied (one level) when an alias shares them.
pub(crate) fn take_items<T: Clone + Hole>(shared: &mut Arc<[T]>) -> Vec<T> {
    let v = match Arc::get_mut(shared) {
        Some(items) => items
            .iter_mut()
            .map(|i| std::mem::replace(i, T::hole()))
            .collect(),
        None => shared.to_vec(),
    };
    *shared = Arc::new([]);
    v
}

/// What [`take_items`] leaves in the place of an item it moves out (the slice
/// is dropped right after): nothing a reader could take for a node of a file.
pub(crate) trait Hole {
    fn hole() -> Self;
}

impl Hole for Node {
    fn hole() -> Node {
        Node::null(Span::new(crate::source::FileId(u32::MAX), 0, 0))
    }
}

impl Hole for (Node, Node) {
    fn hole() -> (Node, Node) {
        (Node::hole(), Node::hole())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    /// How a scalar was written (plain for the other nodes).
    pub style: Style,
    slot: Slot,
}

/// A node's value, boxed with its tag and variables when it has either (a tagged
/// or interpolated node, few of them): a node is then 40 bytes, not 48 with a
/// pointer of its own for them, and a mapping entry 80, not 96.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    Plain(Value),
    /// Never with an empty [`Rare`]: [`Node::update_rare`] unboxes it.
    Rare(Box<(Value, Rare)>),
}

impl Node {
    /// A node without tag or variables.
    pub fn new(span: Span, value: Value) -> Node {
        Node {
            span,
            style: Style::Plain,
            slot: Slot::Plain(value),
        }
    }

    /// The node's value.
    pub fn value(&self) -> &Value {
        match &self.slot {
            Slot::Plain(v) => v,
            Slot::Rare(b) => &b.0,
        }
    }

    /// The node's value, to change in place (its tag and variables stay).
    pub fn value_mut(&mut self) -> &mut Value {
        match &mut self.slot {
            Slot::Plain(v) => v,
            Slot::Rare(b) => &mut b.0,
        }
    }

    /// Replaces the node's value; its span, style, tag and variables stay.
    pub fn set_value(&mut self, value: Value) {
        *self.value_mut() = value;
    }

    /// The node's value, the node consumed.
    pub fn into_value(self) -> Value {
        match self.slot {
            Slot::Plain(v) => v,
            Slot::Rare(b) => b.0,
        }
    }

    fn rare(&self) -> Option<&Rare> {
        match &self.slot {
            Slot::Plain(_) => None,
            Slot::Rare(b) => Some(&b.1),
        }
    }

    /// A scalar node.
    pub fn scalar(span: Span, value: impl Into<CompactString>, style: Style) -> Node {
        Node {
            style,
            ..Node::new(span, Value::Scalar(value.into()))
        }
    }

    pub fn null(span: Span) -> Node {
        Node::new(span, Value::Null)
    }

    /// This node with `value` in place of its own: its span, style, tag and
    /// variables kept.
    pub fn with_value(&self, value: Value) -> Node {
        Node {
            span: self.span,
            style: self.style,
            slot: match &self.slot {
                Slot::Plain(_) => Slot::Plain(value),
                Slot::Rare(b) => Slot::Rare(Box::new((value, b.1.clone()))),
            },
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value(), Value::Null)
    }

    /// This node as readers past the loader see it.
    pub fn read(&self) -> super::NodeRef<'_> {
        self.into()
    }

    /// The scalar text of this node (`None` for null, sequences and mappings).
    pub fn as_str(&self) -> Option<&str> {
        match self.value() {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<Scalar<'_>> {
        match self.value() {
            Value::Scalar(s) => Some(Scalar {
                value: s,
                style: self.style,
                vars: self.vars(),
            }),
            _ => None,
        }
    }

    /// The variables interpolation read in this node's value.
    pub fn vars(&self) -> &[VarUse] {
        self.rare().and_then(|r| r.vars.as_deref()).unwrap_or(&[])
    }

    /// The variables of [`Node::vars`] as the list this node shares.
    pub(crate) fn shared_vars(&self) -> Option<&Arc<[VarUse]>> {
        self.rare()?.vars.as_ref()
    }

    /// Sets the variables this node's value read (a `Vec`, or a list shared
    /// with another holder).
    pub fn set_vars(&mut self, vars: impl Into<Arc<[VarUse]>>) {
        let vars: Arc<[VarUse]> = vars.into();
        if vars.is_empty() && self.rare().is_none() {
            return;
        }
        self.update_rare(|r| r.vars = (!vars.is_empty()).then_some(vars));
    }

    /// This node with `tag`.
    pub fn with_tag(mut self, tag: Option<String>) -> Node {
        self.set_tag(tag);
        self
    }

    /// Sets (or with `None`, removes) the node's tag.
    pub fn set_tag(&mut self, tag: Option<String>) {
        if tag.is_none() && self.rare().is_none() {
            return;
        }
        self.update_rare(|r| r.tag = tag);
    }

    /// Changes the node's tag or variables with `f`: the value is boxed with
    /// them while it has either, and unboxed when it has neither.
    fn update_rare(&mut self, f: impl FnOnce(&mut Rare)) {
        let mut b = match std::mem::replace(&mut self.slot, Slot::Plain(Value::Null)) {
            Slot::Plain(v) => Box::new((v, Rare::default())),
            Slot::Rare(b) => b,
        };
        f(&mut b.1);
        self.slot = if b.1.tag.is_none() && b.1.vars.is_none() {
            Slot::Plain(b.0)
        } else {
            Slot::Rare(b)
        };
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match self.value() {
            Value::Seq(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match self.value() {
            Value::Map(v) => Some(v),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node and value node of `key` in a mapping.
    pub fn get_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// A YAML boolean as compose reads it (`true`/`false`, `yes`/`no`, `on`/`off`,
    /// any case).
    pub fn as_bool(&self) -> Option<bool> {
        super::handle::yaml_bool(self.as_str()?)
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag_str() == Some(tag)
    }

    /// The node's tag as written (`!!str`, `!reset`, ...).
    pub fn tag_str(&self) -> Option<&str> {
        self.rare()?.tag.as_deref()
    }

    /// Keys of a mapping, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, _)| k.as_str())
    }
}

#[cfg(test)]
mod rare {
    use super::*;
    use crate::parse::interpolate::{Op, VarUse};
    use crate::source::FileId;

    fn var(name: &str) -> VarUse {
        VarUse {
            name: name.into(),
            op: Op::Plain,
            range: 0..1,
            span: None,
            defined: false,
            source: None,
        }
    }

    /// The tag and the variables share one box: setting either keeps the other,
    /// and the box goes when both are gone.
    #[test]
    fn a_tag_and_variables_are_kept_apart() {
        let names = |n: &Node| {
            n.vars()
                .iter()
                .map(|u| u.name.to_string())
                .collect::<Vec<_>>()
        };
        let mut n = Node::scalar(Span::new(FileId(0), 0, 1), "x", Style::DoubleQuoted)
            .with_tag(Some("!override".into()));
        n.set_vars(vec![var("A")]);
        assert_eq!(
            (n.tag_str(), names(&n)),
            (Some("!override"), vec!["A".to_string()])
        );
        n.set_tag(None);
        assert_eq!((n.tag_str(), names(&n)), (None, vec!["A".to_string()]));
        n.set_tag(Some("!!str".into()));
        n.set_vars(Vec::new());
        assert_eq!((n.tag_str(), names(&n)), (Some("!!str"), vec![]));
        n.set_tag(None);
        assert!(n.rare().is_none());
        // The value went into the box and out again with them.
        assert_eq!(n.as_str(), Some("x"));
        // A new value keeps everything else the node carries.
        n.set_tag(Some("!reset".into()));
        n.set_vars(vec![var("B")]);
        n.set_value(Value::Scalar("z".into()));
        assert_eq!(
            (n.tag_str(), names(&n), n.as_str()),
            (Some("!reset"), vec!["B".to_string()], Some("z"))
        );
        let m = n.with_value(Value::Scalar("y".into()));
        assert_eq!(
            (m.style, m.tag_str(), names(&m), m.as_str()),
            (
                Style::DoubleQuoted,
                Some("!reset"),
                vec!["B".to_string()],
                Some("y")
            )
        );
        let s = m.as_scalar().expect("scalar");
        assert_eq!(
            (s.value, s.style, s.vars.len()),
            ("y", Style::DoubleQuoted, 1)
        );
    }
}

#[cfg(test)]
mod take {
    use super::*;
    use crate::source::FileId;

    /// Two items, the second long enough to live on the heap.
    fn items() -> Arc<[Node]> {
        ["a", "a string of more than twenty-four bytes"]
            .iter()
            .enumerate()
            .map(|(i, s)| Node::scalar(Span::new(FileId(0), i, i + 1), *s, Style::Plain))
            .collect()
    }

    fn values(v: &[Node]) -> Vec<&str> {
        v.iter().filter_map(Node::as_str).collect()
    }

    /// Where the second item's text lives.
    fn text_at(v: &[Node]) -> *const u8 {
        v[1].as_str().map_or(std::ptr::null(), str::as_ptr)
    }

    /// A collection has a shared address only past `holders` holders, and the
    /// same one for each holder; a scalar has none.
    #[test]
    fn a_shared_address_counts_holders() {
        let one = Value::Seq(items());
        assert_eq!(one.shared_address(1), None);
        let two = one.clone();
        assert!(one.shared_address(1).is_some());
        assert_eq!(one.shared_address(1), two.shared_address(1));
        assert_eq!(one.shared_address(2), None);
        assert_eq!(Value::Scalar("a".into()).shared_address(0), None);
    }

    /// Held once, the items move out (their text stays where it was); shared,
    /// they are copied (the text too) and the other holder keeps them. Either way
    /// the holder is emptied.
    #[test]
    fn items_move_out_alone_and_are_copied_when_shared() {
        let long = "a string of more than twenty-four bytes";
        let mut alone = items();
        let at = text_at(&alone);
        let moved = take_items(&mut alone);
        assert_eq!((values(&moved), alone.len()), (vec!["a", long], 0));
        assert_eq!(text_at(&moved), at, "moved, not copied");
        let mut shared = items();
        let other = Arc::clone(&shared);
        let copied = take_items(&mut shared);
        assert_eq!(values(&copied), ["a", long]);
        assert_ne!(text_at(&copied), text_at(&other), "copied");
        assert_eq!((values(&other), shared.len()), (vec!["a", long], 0));
        assert_eq!(copied[1].span, other[1].span);
    }
}

#[cfg(test)]
mod size {
    use super::*;

    /// A large flow list is a node per item: keep nodes small (they were 96 bytes,
    /// plus a heap string per scalar, then 72; 64 with 12-byte spans, 48 with the
    /// tag and variables in one box and the style beside the span, and 40 with
    /// that box in place of the value, only for the nodes that have one).
    #[test]
    fn a_node_stays_small() {
        assert!(
            std::mem::size_of::<Node>() <= 40,
            "{}",
            std::mem::size_of::<Node>()
        );
    }
}
