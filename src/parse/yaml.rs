//! A spanned YAML tree built from saphyr-parser events.
//!
//! We build the tree ourselves (rather than with saphyr's loader) so that every
//! problem becomes a finding with a span instead of an error that stops the file:
//! duplicate keys keep both spans, an alias over the expansion budget or nesting
//! over the depth bound is reported where it happens. Merge keys (`<<`) are
//! resolved here, as compose's YAML library does, and tags are kept on the node.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::finding::ParseDiag;
use crate::parse::interpolate::VarUse;
use crate::source::{FileId, SourceFile, Span};

/// Nodes that alias expansion may create in one file (billion-laughs guard).
pub const ALIAS_BUDGET: usize = 100_000;
/// Nesting depth beyond which a document is rejected.
pub const MAX_DEPTH: usize = 128;

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
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Node {
    pub span: Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
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

/// The documents of one YAML file and what went wrong reading it. When the
/// syntax is broken, `docs` holds nothing and `diags` says where.
#[derive(Debug, Default)]
pub struct YamlFile {
    pub docs: Vec<Node>,
    pub diags: Vec<ParseDiag>,
}

pub fn parse(file: FileId, src: &SourceFile) -> YamlFile {
    let mut b = Builder {
        file,
        src,
        stack: Vec::new(),
        anchors: HashMap::new(),
        budget: ALIAS_BUDGET,
        diags: Vec::new(),
        docs: Vec::new(),
        too_deep: false,
    };
    let mut parser = Parser::new_from_str(&src.text).keep_tags(true);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((ev, span))) => {
                let start = src.char_to_byte(span.start.index());
                let end = src.char_to_byte(span.end.index());
                if !b.on_event(ev, Span::new(file, start, end)) {
                    break;
                }
            }
            Some(Err(e)) => {
                let at = src.char_to_byte(e.marker().index());
                let end = next_char_end(&src.text, at);
                b.diags.push(ParseDiag::new(
                    Span::new(file, at, end),
                    yaml_message(e.info()),
                ));
                b.docs.clear();
                break;
            }
        }
    }
    YamlFile {
        docs: b.docs,
        diags: b.diags,
    }
}

fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|t| t.chars().next())
        .map(|c| at + c.len_utf8())
        .unwrap_or(at)
}

fn yaml_message(info: &str) -> String {
    format!("invalid YAML: {info}")
}

enum Frame {
    Seq {
        start: Span,
        /// End of the last event inside this collection (aliases included).
        end: usize,
        anchor: usize,
        tag: Option<String>,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        end: usize,
        anchor: usize,
        tag: Option<String>,
        entries: Vec<(Node, Node)>,
        /// Key text → position in `entries`, to find duplicates in constant time.
        keys: HashMap<String, usize>,
        pending_key: Option<Node>,
        /// Merge-key sources, applied when the mapping ends (explicit keys win).
        merges: Vec<Node>,
    },
}

struct Builder<'a> {
    file: FileId,
    src: &'a SourceFile,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    budget: usize,
    diags: Vec<ParseDiag>,
    docs: Vec<Node>,
    too_deep: bool,
}

fn style_of(s: ScalarStyle) -> Style {
    match s {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
    }
}

fn tag_string(tag: Option<std::borrow::Cow<'_, saphyr_parser::Tag>>) -> Option<String> {
    tag.map(|t| format!("{}{}", t.handle, t.suffix))
}

fn count_nodes(n: &Node) -> usize {
    // Iterative, so a deep tree cannot overflow the stack.
    let mut count = 0;
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.value {
            Value::Seq(items) => todo.extend(items.iter()),
            Value::Map(entries) => {
                for (k, v) in entries {
                    todo.push(k);
                    todo.push(v);
                }
            }
            _ => {}
        }
    }
    count
}

impl Builder<'_> {
    /// Handles one event; returns false when the file cannot be read further.
    fn on_event(&mut self, ev: Event<'_>, span: Span) -> bool {
        // Every event inside a collection extends it, aliases included (whose node
        // keeps the span of the anchored text elsewhere).
        if !matches!(ev, Event::SequenceEnd | Event::MappingEnd) {
            if let Some(Frame::Seq { end, .. } | Frame::Map { end, .. }) = self.stack.last_mut() {
                *end = (*end).max(span.end);
            }
        }
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(_) | Event::DocumentEnd => {}
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag_string(tag);
                let style = style_of(style);
                let span = self.trim_quoted(span, style);
                let is_null = style == Style::Plain
                    && tag.is_none()
                    && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                let node = Node {
                    span,
                    tag,
                    value: if is_null {
                        Value::Null
                    } else {
                        Value::Scalar(Scalar {
                            value: text.into_owned(),
                            style,
                            vars: Vec::new(),
                        })
                    },
                };
                self.finish(node, anchor);
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    self.diags.push(ParseDiag::new(
                        span,
                        "invalid YAML: alias to an unknown anchor",
                    ));
                    return false;
                };
                let cost = count_nodes(target);
                if cost > self.budget {
                    self.diags.push(ParseDiag::new(
                        span,
                        format!(
                            "alias expansion exceeds the budget of {ALIAS_BUDGET} nodes \
                             (a \"billion laughs\" document?)"
                        ),
                    ));
                    self.docs.clear();
                    return false;
                }
                self.budget -= cost;
                let mut node = target.clone();
                // The alias is used here; the node keeps the spans of the anchored
                // text, which is where its values are written.
                node.span = Span::new(self.file, node.span.start, node.span.end);
                let merge = self.is_merge_value_position();
                if merge {
                    self.push_merge(node, span);
                } else {
                    self.finish_alias(node);
                }
            }
            Event::SequenceStart(anchor, tag) => {
                if !self.enter(span) {
                    return false;
                }
                self.stack.push(Frame::Seq {
                    start: span,
                    end: span.end,
                    anchor,
                    tag: tag_string(tag),
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                if !self.enter(span) {
                    return false;
                }
                self.stack.push(Frame::Map {
                    start: span,
                    end: span.end,
                    anchor,
                    tag: tag_string(tag),
                    entries: Vec::new(),
                    keys: HashMap::new(),
                    pending_key: None,
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    start,
                    end,
                    anchor,
                    tag,
                    items,
                }) = self.stack.pop()
                {
                    let span =
                        self.collection_span(start, span, items.first().map(|n| n.span), end);
                    let node = Node {
                        span,
                        tag,
                        value: Value::Seq(items),
                    };
                    self.finish(node, anchor);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    start,
                    end,
                    anchor,
                    tag,
                    mut entries,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    let first = entries
                        .first()
                        .map(|(k, _)| k.span)
                        .or(merges.first().map(|_| start));
                    let span = self.collection_span(start, span, first, end);
                    self.apply_merges(&mut entries, merges);
                    let node = Node {
                        span,
                        tag,
                        value: Value::Map(entries),
                    };
                    self.finish(node, anchor);
                }
            }
        }
        true
    }

    /// saphyr's span of a quoted scalar can run past its closing quote (over a
    /// trailing comment); cut it at the quote that closes the scalar.
    fn trim_quoted(&self, span: Span, style: Style) -> Span {
        let quote = match style {
            Style::SingleQuoted => b'\'',
            Style::DoubleQuoted => b'"',
            _ => return span,
        };
        let bytes = self.src.text.as_bytes();
        if bytes.get(span.start) != Some(&quote) {
            return span;
        }
        let mut i = span.start + 1;
        while i < span.end.min(bytes.len()) {
            let b = bytes[i];
            if quote == b'"' && b == b'\\' {
                i += 2;
                continue;
            }
            if b == quote {
                // `''` inside single quotes is an escaped quote.
                if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Span::new(self.file, span.start, i + 1);
            }
            i += 1;
        }
        span
    }

    fn enter(&mut self, span: Span) -> bool {
        if self.stack.len() >= MAX_DEPTH {
            if !self.too_deep {
                self.diags.push(ParseDiag::new(
                    span,
                    format!("YAML nesting is deeper than {MAX_DEPTH} levels"),
                ));
                self.too_deep = true;
            }
            self.docs.clear();
            return false;
        }
        true
    }

    /// Flow collections span from their bracket to their closing bracket; block
    /// collections from their first to their last child.
    fn collection_span(
        &self,
        start: Span,
        end: Span,
        first: Option<Span>,
        last_end: usize,
    ) -> Span {
        let text = &self.src.text;
        let opener = text
            .get(start.start..start.end)
            .map(|t| t.trim_start_matches(|c: char| c != '[' && c != '{'))
            .is_some_and(|t| t.starts_with('[') || t.starts_with('{'));
        if opener {
            let s = start.start + text[start.start..start.end].find(['[', '{']).unwrap_or(0);
            return Span::new(self.file, s, end.end.max(s));
        }
        match first {
            Some(f) => Span::new(self.file, f.start, last_end.max(f.start)),
            None => Span::new(self.file, start.start, start.start),
        }
    }

    /// Is the next value the value of a `<<` key?
    fn is_merge_value_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map { pending_key: Some(k), .. }) if k.as_str() == Some("<<") && k.tag.is_none()
        )
    }

    fn push_merge(&mut self, node: Node, _at: Span) {
        if let Some(Frame::Map {
            pending_key,
            merges,
            ..
        }) = self.stack.last_mut()
        {
            *pending_key = None;
            merges.push(node);
        }
    }

    fn finish_alias(&mut self, node: Node) {
        self.attach(node);
    }

    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        // A sequence or mapping written inline as the value of `<<` merges too.
        if self.is_merge_value_position() {
            let span = node.span;
            self.push_merge(node, span);
            return;
        }
        self.attach(node);
    }

    fn attach(&mut self, node: Node) {
        if let Some(Frame::Seq { end, .. } | Frame::Map { end, .. }) = self.stack.last_mut() {
            *end = (*end).max(node.span.end);
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                keys,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    if let Some(k) = key.as_str() {
                        if let Some(&pos) = keys.get(k) {
                            self.diags.push(
                                ParseDiag::new(key.span, format!("duplicate key `{k}`"))
                                    .with_related(entries[pos].0.span, "first defined here"),
                            );
                            // The later value wins, in the place of the first.
                            entries[pos] = (key, node);
                            return;
                        }
                        keys.insert(k.to_string(), entries.len());
                    }
                    entries.push((key, node));
                }
            },
        }
    }

    /// Applies `<<` sources: keys already in the mapping win, then earlier sources
    /// win over later ones (YAML merge-key semantics).
    fn apply_merges(&mut self, entries: &mut Vec<(Node, Node)>, merges: Vec<Node>) {
        for source in merges {
            let maps: Vec<Node> = match source.value {
                Value::Map(_) => vec![source],
                Value::Seq(items) => items,
                _ => {
                    self.diags.push(ParseDiag::new(
                        source.span,
                        "a merge key (`<<`) needs a mapping or a list of mappings",
                    ));
                    continue;
                }
            };
            for m in maps {
                match m.value {
                    Value::Map(src_entries) => {
                        for (k, v) in src_entries {
                            let exists = entries
                                .iter()
                                .any(|(ek, _)| ek.as_str().is_some() && ek.as_str() == k.as_str());
                            if !exists {
                                entries.push((k, v));
                            }
                        }
                    }
                    _ => self.diags.push(ParseDiag::new(
                        m.span,
                        "a merge key (`<<`) list may only hold mappings",
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    fn load(text: &str) -> (SourceFile, YamlFile) {
        let f = SourceFile::new("t.yaml", FileKind::Compose, text.to_string());
        let y = parse(FileId(0), &f);
        (f, y)
    }

    #[test]
    fn spans_are_bytes_even_after_non_ascii() {
        let (f, y) = load("a: \"é😀\"\nb: ünï value\n");
        assert!(y.diags.is_empty(), "{:?}", y.diags);
        let b = y.docs[0].get("b").unwrap();
        assert_eq!(f.slice(&b.span), "ünï value");
        assert_eq!(f.line_col(b.span.start).column, 4);
        let a = y.docs[0].get("a").unwrap();
        assert_eq!(f.slice(&a.span), "\"é😀\"");
    }

    #[test]
    fn quoted_spans_stop_at_the_closing_quote() {
        let (f, y) = load("a: \"5432:5432\" # note\nb: 'it''s' # x\nc: \"q\\\"q\"  # y\n");
        let d = &y.docs[0];
        assert_eq!(f.slice(&d.get("a").unwrap().span), "\"5432:5432\"");
        assert_eq!(f.slice(&d.get("b").unwrap().span), "'it''s'");
        assert_eq!(f.slice(&d.get("c").unwrap().span), "\"q\\\"q\"");
    }

    #[test]
    fn crlf_and_tabs_in_values() {
        let (f, y) = load("a: 1\r\nb:\r\n  c: \"x\ty\"\r\n");
        assert!(y.diags.is_empty());
        let c = y.docs[0].get("b").unwrap().get("c").unwrap();
        assert_eq!(c.as_str(), Some("x\ty"));
        assert_eq!(f.line_col(c.span.start).line, 3);
    }

    #[test]
    fn merge_keys_single_list_and_list_anchor() {
        let (_, y) = load(
            "x-a: &a {p: 1, q: 1}\nx-b: &b {q: 2, r: 2}\nx-l: &l [*a, *b]\n\
             one: {<<: *a, p: 9}\ntwo:\n  <<: [*b, *a]\nthree:\n  <<: *l\n",
        );
        assert!(y.diags.is_empty(), "{:?}", y.diags);
        let d = &y.docs[0];
        let one = d.get("one").unwrap();
        assert_eq!(one.get("p").unwrap().as_str(), Some("9"));
        assert_eq!(one.get("q").unwrap().as_str(), Some("1"));
        let two = d.get("two").unwrap();
        assert_eq!(two.get("q").unwrap().as_str(), Some("2"));
        assert_eq!(two.get("p").unwrap().as_str(), Some("1"));
        let three = d.get("three").unwrap();
        assert_eq!(three.get("q").unwrap().as_str(), Some("1"));
        assert_eq!(three.get("r").unwrap().as_str(), Some("2"));
        assert!(three.get("<<").is_none());
    }

    #[test]
    fn merged_values_keep_the_anchor_span() {
        let (f, y) = load("x: &a\n  mem: 1g\ns:\n  <<: *a\n");
        let mem = y.docs[0].get("s").unwrap().get("mem").unwrap();
        assert_eq!(f.slice(&mem.span), "1g");
        assert_eq!(f.line_col(mem.span.start).line, 2);
    }

    #[test]
    fn tags_are_kept() {
        let (_, y) = load("a: !reset []\nb: !override {x: 1}\nc: !reset null\n");
        let d = &y.docs[0];
        assert!(d.get("a").unwrap().has_tag("!reset"));
        assert!(d.get("b").unwrap().has_tag("!override"));
        assert!(d.get("c").unwrap().has_tag("!reset"));
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_spans() {
        let (f, y) = load("a: 1\nb: 2\na: 3\n");
        assert_eq!(y.diags.len(), 1);
        assert_eq!(y.diags[0].message, "duplicate key `a`");
        assert_eq!(f.line_col(y.diags[0].span.start).line, 3);
        assert_eq!(f.line_col(y.diags[0].related[0].0.start).line, 1);
        assert_eq!(y.docs[0].get("a").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn billion_laughs_stops_at_the_budget() {
        let mut s = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            s.push_str(&format!(
                "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = c;
        }
        let (_, y) = load(&s);
        assert!(y.docs.is_empty());
        assert!(y.diags[0].message.contains("budget"), "{:?}", y.diags);
    }

    #[test]
    fn deep_nesting_is_a_finding() {
        let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        let (_, y) = load(&deep);
        assert!(y.docs.is_empty());
        assert_eq!(y.diags.len(), 1);
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let (_, y) = load(&block);
        assert!(y.diags[0].message.contains("deeper"), "{:?}", y.diags);
    }

    #[test]
    fn syntax_errors_have_a_span() {
        let (f, y) = load("a: 1\n  b: 2\n");
        assert!(y.docs.is_empty());
        assert_eq!(f.line_col(y.diags[0].span.start).line, 2);
        let (_, y) = load("a: *nope\n");
        assert_eq!(y.diags.len(), 1);
    }

    #[test]
    fn nulls_and_empty_values() {
        let (_, y) = load("a:\nb: ~\nc: null\nd: ''\n");
        let d = &y.docs[0];
        assert!(d.get("a").unwrap().is_null());
        assert!(d.get("b").unwrap().is_null());
        assert!(d.get("c").unwrap().is_null());
        assert_eq!(d.get("d").unwrap().as_str(), Some(""));
    }
}
