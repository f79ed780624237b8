//! The YAML tree: nodes with spans. Sequences and mappings are shared (`Arc`), so an
//! alias, an anchor table entry or a copy of a tree kept for later (the include
//! cache, each file's own tree) costs a pointer, not a copy of the subtree; a
//! change goes through `Arc::make_mut`, which copies one level when it is shared.
//! `Arc` rather than `Rc`: projects are loaded and linted in parallel (rayon).

use std::ops::Deref;
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

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scalar {
    /// The value after YAML unquoting and, for compose values, interpolation. Inline
    /// up to 24 bytes: no allocation for most scalars.
    pub value: CompactString,
    pub style: Style,
    /// The variables interpolation read in this value (empty before interpolation).
    #[serde(skip_serializing_if = "Vars::is_none")]
    pub vars: Vars,
}

impl Scalar {
    pub fn new(value: impl Into<CompactString>, style: Style) -> Scalar {
        Scalar {
            value: value.into(),
            style,
            vars: Vars::default(),
        }
    }
}

/// The variables one value read: none for almost every node, so one pointer wide
/// (a node's size is most of a large file's memory).
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(clippy::box_collection)] // the point: a thin pointer, null for no variables
pub struct Vars(Option<Box<Vec<VarUse>>>);

impl Vars {
    fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl From<Vec<VarUse>> for Vars {
    fn from(v: Vec<VarUse>) -> Vars {
        // Without the spare room of its growth: one value usually reads one variable.
        Vars((!v.is_empty()).then(|| Box::new(super::fitted(v))))
    }
}

impl FromIterator<VarUse> for Vars {
    fn from_iter<I: IntoIterator<Item = VarUse>>(it: I) -> Vars {
        Vars::from(it.into_iter().collect::<Vec<_>>())
    }
}

impl Deref for Vars {
    type Target = [VarUse];
    fn deref(&self) -> &[VarUse] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl<'a> IntoIterator for &'a Vars {
    type Item = &'a VarUse;
    type IntoIter = std::slice::Iter<'a, VarUse>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl serde::Serialize for Vars {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Arc<Vec<Node>>),
    Map(Arc<Vec<(Node, Node)>>),
}

impl Value {
    /// A sequence of `items`.
    pub fn seq(items: Vec<Node>) -> Value {
        Value::Seq(Arc::new(items))
    }

    /// A mapping of `entries`, in order.
    pub fn map(entries: Vec<(Node, Node)>) -> Value {
        Value::Map(Arc::new(entries))
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Node {
    pub span: Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Boxed: a tag is rare, and every node carries the field (one pointer wide).
    #[allow(clippy::box_collection)]
    pub tag: Option<Box<String>>,
    pub value: Value,
}

impl Node {
    pub fn null(span: Span) -> Node {
        Node {
            span,
            tag: None,
            value: Value::Null,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The scalar text of this node (`None` for null, sequences and mappings).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.value),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
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

    /// A YAML boolean as compose reads it (`true`/`false`, any case).
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()?.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Some(true),
            "false" | "no" | "off" => Some(false),
            _ => None,
        }
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag_str() == Some(tag)
    }

    /// The node's tag as written (`!!str`, `!reset`, ...).
    pub fn tag_str(&self) -> Option<&str> {
        self.tag.as_deref().map(String::as_str)
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
mod size {
    use super::*;

    /// A large flow list is a node per item: keep nodes small (they were 96 bytes,
    /// plus a heap string per scalar, then 72; 64 with 12-byte spans).
    #[test]
    fn a_node_stays_small() {
        assert!(
            std::mem::size_of::<Node>() <= 64,
            "{}",
            std::mem::size_of::<Node>()
        );
    }
}
