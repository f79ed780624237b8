//! [`NodeRef`]: how everything past the loader reads a YAML tree.
//!
//! A `Copy` handle rather than `&Node`, and runs of children as [`Items`] and
//! [`Entries`] rather than slices, so that readers do not depend on how nodes are
//! stored. Today a handle is a reference into the `Arc` tree of [`Node`]s; the
//! tree's storage is meant to become one arena of small nodes per project
//! (ARCHITECTURE.md, "Not done yet (issue 11)"). Then this file changes, the
//! writers (`compose/load.rs`, `compose/merge.rs`), and the reader that still
//! needs the `Node` behind a handle ([`NodeRef::node`]).

use super::node::{Node, Scalar, Style, Value};
use crate::parse::interpolate::VarUse;
use crate::source::Span;

/// A node of a tree, read.
#[derive(Clone, Copy, Debug)]
pub struct NodeRef<'a>(&'a Node);

/// What a node holds, as a reader meets it.
#[derive(Clone, Copy, Debug)]
pub enum Kind<'a> {
    Null,
    Scalar(&'a str),
    Seq(Items<'a>),
    Map(Entries<'a>),
}

impl<'a> From<&'a Node> for NodeRef<'a> {
    fn from(n: &'a Node) -> NodeRef<'a> {
        NodeRef(n)
    }
}

impl<'a> NodeRef<'a> {
    /// The node this handle reads, for the reader that needs the tree itself:
    /// the model's exec-form command shares the tree's list instead of copying it.
    pub fn node(self) -> &'a Node {
        self.0
    }

    /// This node's identity while its tree lives: two handles to one node have
    /// the same, two nodes never do. What an alias holds is the anchor's own
    /// nodes, so they keep the anchor's identities.
    pub fn id(self) -> usize {
        std::ptr::from_ref::<Node>(self.0) as usize
    }

    /// A key for work done once per shared collection (an anchor's, met again
    /// through aliases); `None` for a collection held once, and for a scalar.
    pub fn shared_key(self) -> Option<usize> {
        self.0.value().shared_address(1)
    }

    pub fn span(self) -> Span {
        self.0.span
    }

    /// How a scalar was written (plain for the other nodes).
    pub fn style(self) -> Style {
        self.0.style
    }

    pub fn kind(self) -> Kind<'a> {
        match self.0.value() {
            Value::Null => Kind::Null,
            Value::Scalar(s) => Kind::Scalar(s),
            Value::Seq(items) => Kind::Seq(Items(items)),
            Value::Map(entries) => Kind::Map(Entries(entries)),
        }
    }

    pub fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The scalar text of this node (`None` for null, sequences and mappings).
    pub fn as_str(self) -> Option<&'a str> {
        self.0.as_str()
    }

    pub fn as_scalar(self) -> Option<Scalar<'a>> {
        self.0.as_scalar()
    }

    /// A YAML boolean as compose reads it (`true`/`false`, `yes`/`no`, `on`/`off`,
    /// any case).
    pub fn as_bool(self) -> Option<bool> {
        self.0.as_bool()
    }

    pub fn as_seq(self) -> Option<Items<'a>> {
        self.0.as_seq().map(Items)
    }

    pub fn as_map(self) -> Option<Entries<'a>> {
        self.0.as_map().map(Entries)
    }

    /// The value of `key` in a mapping.
    pub fn get(self, key: &str) -> Option<NodeRef<'a>> {
        self.0.get(key).map(NodeRef)
    }

    /// The key node and value node of `key` in a mapping.
    pub fn get_entry(self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        self.0.get_entry(key).map(|(k, v)| (NodeRef(k), NodeRef(v)))
    }

    /// Keys of a mapping, in order.
    pub fn keys(self) -> impl Iterator<Item = &'a str> {
        self.0.keys()
    }

    /// The variables interpolation read in this node's value.
    pub fn vars(self) -> &'a [VarUse] {
        self.0.vars()
    }

    /// The node's tag as written (`!!str`, `!reset`, ...).
    pub fn tag_str(self) -> Option<&'a str> {
        self.0.tag_str()
    }

    pub fn has_tag(self, tag: &str) -> bool {
        self.0.has_tag(tag)
    }
}

/// The items of a sequence, in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Items<'a>(&'a [Node]);

impl<'a> Items<'a> {
    pub fn len(self) -> usize {
        self.0.len()
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    pub fn get(self, i: usize) -> Option<NodeRef<'a>> {
        self.0.get(i).map(NodeRef)
    }

    pub fn first(self) -> Option<NodeRef<'a>> {
        self.get(0)
    }

    pub fn iter(self) -> <Self as IntoIterator>::IntoIter {
        self.into_iter()
    }
}

impl<'a> IntoIterator for Items<'a> {
    type Item = NodeRef<'a>;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Node>, fn(&'a Node) -> NodeRef<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(NodeRef)
    }
}

/// The entries of a mapping (key, value), in order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Entries<'a>(&'a [(Node, Node)]);

impl<'a> Entries<'a> {
    pub fn len(self) -> usize {
        self.0.len()
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    pub fn get(self, i: usize) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        self.0.get(i).map(pair)
    }

    pub fn iter(self) -> <Self as IntoIterator>::IntoIter {
        self.into_iter()
    }
}

fn pair((k, v): &(Node, Node)) -> (NodeRef<'_>, NodeRef<'_>) {
    (NodeRef(k), NodeRef(v))
}

impl<'a> IntoIterator for Entries<'a> {
    type Item = (NodeRef<'a>, NodeRef<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Node, Node)>,
        fn(&'a (Node, Node)) -> (NodeRef<'a>, NodeRef<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(pair)
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::yaml;
    use crate::parse::yaml::tests::load;

    /// A handle reads what the node holds: kinds, keys in order, values, spans,
    /// items by position, and values found by key.
    #[test]
    fn a_handle_reads_the_tree() {
        let (_, y) = load("a: 1\nb: [x, 'y']\nc: {d: ~}\n");
        let root = y.docs[0].read();
        assert_eq!(root.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        let entries = root.as_map().expect("a mapping");
        assert_eq!(entries.len(), 3);
        let (k, v) = entries.get(1).expect("second entry");
        assert_eq!(
            (k.as_str(), k.span().start(), k.span().end()),
            (Some("b"), 5, 6)
        );
        let items = v.as_seq().expect("a sequence");
        assert_eq!(
            items.iter().map(|i| i.as_str()).collect::<Vec<_>>(),
            [Some("x"), Some("y")]
        );
        assert_eq!(
            items.get(1).map(|i| i.style()),
            Some(yaml::Style::SingleQuoted)
        );
        assert!(items.get(2).is_none());
        assert!(matches!(
            root.get("c").map(|c| c.kind()),
            Some(super::Kind::Map(_))
        ));
        assert!(root
            .get("c")
            .and_then(|c| c.get("d"))
            .is_some_and(|d| d.is_null()));
        assert!(root
            .get("a")
            .is_some_and(|a| a.as_seq().is_none() && a.as_map().is_none()));
        assert_eq!(
            root.get_entry("a").map(|(k, v)| (k.as_str(), v.as_str())),
            Some((Some("a"), Some("1")))
        );
    }

    /// Reached through an alias, the anchor's items keep their identities; two
    /// nodes with equal contents have two.
    #[test]
    fn identity_follows_the_node() {
        let (_, y) = load("a: &x [1]\nb: *x\nc: [1]\n");
        let root = y.docs[0].read();
        let first = |k: &str| root.get(k).and_then(|n| n.as_seq()).and_then(|s| s.first());
        let (a, b, c) = (first("a"), first("b"), first("c"));
        assert_eq!(a.map(|n| n.id()), b.map(|n| n.id()));
        assert_ne!(a.map(|n| n.id()), c.map(|n| n.id()));
    }
}
