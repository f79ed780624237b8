//! [`NodeRef`]: how everything past the loader reads a YAML tree.
//!
//! A `Copy` handle rather than `&Node`, and runs of children as [`Items`] and
//! [`Entries`] rather than slices, so that readers do not depend on how nodes are
//! stored. A handle reads one of two trees: the loader's, of [`Node`]s (each
//! file's while it is loaded and checked), or a [`Frozen`] arena (a project's
//! merged tree once it is final, which the model, the facts and the rules read).

use std::sync::Arc;

use super::frozen::{Frozen, Read};
use super::node::{Node, Scalar, Style, Value};
use crate::parse::interpolate::VarUse;
use crate::source::Span;

/// A node of a tree, read.
#[derive(Clone, Copy, Debug)]
pub struct NodeRef<'a>(At<'a>);

#[derive(Clone, Copy, Debug)]
enum At<'a> {
    Node(&'a Node),
    Frozen(&'a Arc<Frozen>, u32),
}

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
        NodeRef(At::Node(n))
    }
}

impl Frozen {
    /// The tree's root.
    pub fn root(self: &Arc<Frozen>) -> NodeRef<'_> {
        NodeRef(At::Frozen(self, 0))
    }
}

/// A YAML boolean as compose reads it (`true`/`false`, `yes`/`no`, `on`/`off`,
/// any case).
pub(super) fn yaml_bool(s: &str) -> Option<bool> {
    let is = |w: &str| s.eq_ignore_ascii_case(w);
    if is("true") || is("yes") || is("on") {
        Some(true)
    } else if is("false") || is("no") || is("off") {
        Some(false)
    } else {
        None
    }
}

impl<'a> NodeRef<'a> {
    /// The items of this sequence as a handle that keeps them (the model's
    /// exec-form command shares the tree's list instead of copying it).
    pub fn shared_items(self) -> Option<SharedItems> {
        match self.0 {
            At::Node(n) => match n.value() {
                Value::Seq(items) => Some(SharedItems(Shared::Nodes(items.clone()))),
                _ => None,
            },
            At::Frozen(t, i) => match t.read(i) {
                Read::Seq(at, len) => Some(SharedItems(Shared::Frozen(t.clone(), at, len))),
                _ => None,
            },
        }
    }

    /// This node's identity while its tree lives: two handles to one node have
    /// the same, two nodes never do. What an alias holds is the anchor's own
    /// nodes, so they keep the anchor's identities.
    pub fn id(self) -> usize {
        match self.0 {
            At::Node(n) => std::ptr::from_ref::<Node>(n) as usize,
            At::Frozen(t, i) => t.address(i),
        }
    }

    /// A key for work done once per shared collection (an anchor's, met again
    /// through aliases); `None` for a collection held once, and for a scalar.
    pub fn shared_key(self) -> Option<usize> {
        match self.0 {
            At::Node(n) => n.value().shared_address(1),
            At::Frozen(t, i) => match t.read(i) {
                Read::Seq(at, _) | Read::Map(at, _) if t.shared(i) => Some(t.address(at)),
                _ => None,
            },
        }
    }

    #[inline]
    pub fn span(self) -> Span {
        match self.0 {
            At::Node(n) => n.span,
            At::Frozen(t, i) => t.span(i),
        }
    }

    /// How a scalar was written (plain for the other nodes).
    #[inline]
    pub fn style(self) -> Style {
        match self.0 {
            At::Node(n) => n.style,
            At::Frozen(t, i) => t.style(i),
        }
    }

    #[inline]
    pub fn kind(self) -> Kind<'a> {
        match self.0 {
            At::Node(n) => match n.value() {
                Value::Null => Kind::Null,
                Value::Scalar(s) => Kind::Scalar(s),
                Value::Seq(items) => Kind::Seq(Items(Run::Nodes(items))),
                Value::Map(entries) => Kind::Map(Entries(Pairs::Nodes(entries))),
            },
            At::Frozen(t, i) => match t.read(i) {
                Read::Null => Kind::Null,
                Read::Scalar(s) => Kind::Scalar(s),
                Read::Seq(at, len) => Kind::Seq(Items(Run::Frozen(t, at, len))),
                Read::Map(at, len) => Kind::Map(Entries(Pairs::Frozen(t, at, len))),
            },
        }
    }

    #[inline]
    pub fn is_null(self) -> bool {
        matches!(self.kind(), Kind::Null)
    }

    /// The scalar text of this node (`None` for null, sequences and mappings).
    #[inline]
    pub fn as_str(self) -> Option<&'a str> {
        match self.0 {
            At::Node(n) => n.as_str(),
            At::Frozen(t, i) => t.as_str(i),
        }
    }

    #[inline]
    pub fn as_scalar(self) -> Option<Scalar<'a>> {
        match self.0 {
            At::Node(n) => n.as_scalar(),
            At::Frozen(t, i) => Some(Scalar {
                value: t.as_str(i)?,
                style: t.style(i),
                vars: t.vars(i),
            }),
        }
    }

    /// A YAML boolean as compose reads it (`true`/`false`, `yes`/`no`, `on`/`off`,
    /// any case).
    #[inline]
    pub fn as_bool(self) -> Option<bool> {
        yaml_bool(self.as_str()?)
    }

    #[inline]
    pub fn as_seq(self) -> Option<Items<'a>> {
        match self.kind() {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    #[inline]
    pub fn as_map(self) -> Option<Entries<'a>> {
        match self.kind() {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    #[inline]
    pub fn get(self, key: &str) -> Option<NodeRef<'a>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node and value node of `key` in a mapping.
    #[inline]
    pub fn get_entry(self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        match self.0 {
            At::Node(n) => n
                .get_entry(key)
                .map(|(k, v)| (NodeRef::from(k), NodeRef::from(v))),
            At::Frozen(t, i) => t
                .find_key(i, key)
                .map(|k| (NodeRef(At::Frozen(t, k)), NodeRef(At::Frozen(t, k + 1)))),
        }
    }

    /// Keys of a mapping, in order.
    pub fn keys(self) -> impl Iterator<Item = &'a str> {
        self.as_map()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, _)| k.as_str())
    }

    /// The variables interpolation read in this node's value.
    #[inline]
    pub fn vars(self) -> &'a [VarUse] {
        match self.0 {
            At::Node(n) => n.vars(),
            At::Frozen(t, i) => t.vars(i),
        }
    }

    /// The node's tag as written (`!!str`, `!reset`, ...).
    #[inline]
    pub fn tag_str(self) -> Option<&'a str> {
        match self.0 {
            At::Node(n) => n.tag_str(),
            At::Frozen(t, i) => t.tag_str(i),
        }
    }

    #[inline]
    pub fn has_tag(self, tag: &str) -> bool {
        self.tag_str() == Some(tag)
    }
}

/// The items of a sequence, kept: see [`NodeRef::shared_items`].
#[derive(Clone, Debug)]
pub struct SharedItems(Shared);

#[derive(Clone, Debug)]
enum Shared {
    Nodes(Arc<[Node]>),
    Frozen(Arc<Frozen>, u32, u32),
}

impl SharedItems {
    #[inline]
    pub fn items(&self) -> Items<'_> {
        match &self.0 {
            Shared::Nodes(items) => Items(Run::Nodes(items)),
            Shared::Frozen(t, at, len) => Items(Run::Frozen(t, *at, *len)),
        }
    }
}

/// The items of a sequence, in order.
#[derive(Clone, Copy, Debug)]
pub struct Items<'a>(Run<'a>);

#[derive(Clone, Copy, Debug)]
enum Run<'a> {
    Nodes(&'a [Node]),
    /// The first slot and the number of items.
    Frozen(&'a Arc<Frozen>, u32, u32),
}

impl Default for Items<'_> {
    fn default() -> Self {
        Items(Run::Nodes(&[]))
    }
}

impl<'a> Items<'a> {
    #[inline]
    pub fn len(self) -> usize {
        match self.0 {
            Run::Nodes(items) => items.len(),
            Run::Frozen(_, _, len) => len as usize,
        }
    }

    #[inline]
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(self, i: usize) -> Option<NodeRef<'a>> {
        match self.0 {
            Run::Nodes(items) => items.get(i).map(NodeRef::from),
            Run::Frozen(t, at, len) => {
                (i < len as usize).then(|| NodeRef(At::Frozen(t, at + i as u32)))
            }
        }
    }

    #[inline]
    pub fn first(self) -> Option<NodeRef<'a>> {
        self.get(0)
    }

    #[inline]
    pub fn iter(self) -> ItemsIter<'a> {
        self.into_iter()
    }
}

impl<'a> IntoIterator for Items<'a> {
    type Item = NodeRef<'a>;
    type IntoIter = ItemsIter<'a>;

    #[inline]
    fn into_iter(self) -> ItemsIter<'a> {
        Iter::over(self)
    }
}

/// The entries of a mapping (key, value), in order.
#[derive(Clone, Copy, Debug)]
pub struct Entries<'a>(Pairs<'a>);

#[derive(Clone, Copy, Debug)]
enum Pairs<'a> {
    Nodes(&'a [(Node, Node)]),
    /// The first slot (a key; its value follows) and the number of entries.
    Frozen(&'a Arc<Frozen>, u32, u32),
}

impl Default for Entries<'_> {
    fn default() -> Self {
        Entries(Pairs::Nodes(&[]))
    }
}

impl<'a> Entries<'a> {
    #[inline]
    pub fn len(self) -> usize {
        match self.0 {
            Pairs::Nodes(entries) => entries.len(),
            Pairs::Frozen(_, _, len) => len as usize,
        }
    }

    #[inline]
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(self, i: usize) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        match self.0 {
            Pairs::Nodes(entries) => entries
                .get(i)
                .map(|(k, v)| (NodeRef::from(k), NodeRef::from(v))),
            Pairs::Frozen(t, at, len) => (i < len as usize).then(|| {
                let k = at + 2 * i as u32;
                (NodeRef(At::Frozen(t, k)), NodeRef(At::Frozen(t, k + 1)))
            }),
        }
    }

    #[inline]
    pub fn iter(self) -> EntriesIter<'a> {
        self.into_iter()
    }
}

impl<'a> IntoIterator for Entries<'a> {
    type Item = (NodeRef<'a>, NodeRef<'a>);
    type IntoIter = EntriesIter<'a>;

    #[inline]
    fn into_iter(self) -> EntriesIter<'a> {
        Iter::over(self)
    }
}

/// An iterator over [`Items`].
pub type ItemsIter<'a> = Iter<Items<'a>>;

/// An iterator over [`Entries`].
pub type EntriesIter<'a> = Iter<Entries<'a>>;

mod indexed {
    /// A run of children read by position: [`super::Items`], [`super::Entries`].
    pub trait Indexed: Copy {
        type Item;
        fn count(self) -> usize;
        fn at(self, i: usize) -> Option<Self::Item>;
    }
}
use indexed::Indexed;

impl<'a> Indexed for Items<'a> {
    type Item = NodeRef<'a>;
    #[inline]
    fn count(self) -> usize {
        self.len()
    }
    #[inline]
    fn at(self, i: usize) -> Option<NodeRef<'a>> {
        self.get(i)
    }
}

impl<'a> Indexed for Entries<'a> {
    type Item = (NodeRef<'a>, NodeRef<'a>);
    #[inline]
    fn count(self) -> usize {
        self.len()
    }
    #[inline]
    fn at(self, i: usize) -> Option<Self::Item> {
        self.get(i)
    }
}

/// An iterator over a run of children, from both ends.
#[derive(Clone, Debug)]
pub struct Iter<C> {
    of: C,
    next: usize,
    end: usize,
}

impl<C: Indexed> Iter<C> {
    #[inline]
    fn over(of: C) -> Self {
        Iter {
            of,
            next: 0,
            end: of.count(),
        }
    }
}

impl<C: Indexed> Iterator for Iter<C> {
    type Item = C::Item;

    #[inline]
    fn next(&mut self) -> Option<C::Item> {
        if self.next >= self.end {
            return None;
        }
        self.next += 1;
        self.of.at(self.next - 1)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.next);
        (n, Some(n))
    }
}

impl<C: Indexed> DoubleEndedIterator for Iter<C> {
    #[inline]
    fn next_back(&mut self) -> Option<C::Item> {
        if self.next >= self.end {
            return None;
        }
        self.end -= 1;
        self.of.at(self.end)
    }
}

impl<C: Indexed> ExactSizeIterator for Iter<C> {}

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
