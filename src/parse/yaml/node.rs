//! The YAML tree: nodes with spans. Sequences and mappings are shared (`Arc`), so an
//! alias, an anchor table entry or a copy of a tree kept for later (the include
//! cache, each file's own tree) costs a pointer, not a copy of the subtree; a
//! change goes through `Arc::make_mut`, which copies one level when it is shared.
//! `Arc` rather than `Rc`: projects are loaded and linted in parallel (rayon).

use std::sync::Arc;

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
    /// The value after YAML unquoting and, for compose values, interpolation.
    pub value: String,
    pub style: Style,
    /// The variables interpolation read in this value (empty before interpolation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vars: Vec<VarUse>,
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
    /// Boxed: a tag is rare, and every node carries the field.
    pub tag: Option<Box<str>>,
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
        self.tag.as_deref() == Some(tag)
    }

    /// Keys of a mapping, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, _)| k.as_str())
    }
}
