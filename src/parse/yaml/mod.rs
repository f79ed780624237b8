//! A spanned YAML tree built from libyaml's events (the `libyaml-safer` port).
//!
//! docker compose reads YAML with go-yaml v3, itself a port of libyaml, so the
//! same scanner and parser decide here what is valid YAML: a file compose loads
//! loads here, and what it rejects is a parse error here (tests/yaml_libyaml.rs
//! checks this against the C libyaml). Most files are read by `fast/` instead,
//! which gives libyaml's very events for the common shape of a compose file and
//! declines everything else to libyaml-safer: it decides nothing itself.
//! `read.rs` hands the events over, from one or the other.
//!
//! We build the tree ourselves (rather than with a loader) so that every
//! problem becomes a finding with a span instead of an error that stops the file:
//! duplicate keys keep both spans, excessive aliasing (see `aliases.rs`) or nesting
//! over the depth bound is reported where it happens. Merge keys (`<<`) are
//! resolved here, as compose's YAML library does, and tags are kept on the node.
//!
//! Reading is linear in the text: an alias shares its anchor's subtree instead of
//! copying it, duplicate keys and merge keys are found through hash sets.

mod aliases;
mod fast;
mod frozen;
mod handle;
mod node;
mod read;

use foldhash::{HashMap, HashMapExt, HashSet};

use libyaml_safer::{Event, EventData, MappingStyle, ScalarStyle, SequenceStyle};

use crate::finding::ParseDiag;
use crate::source::{FileId, SourceFile, Span};
use aliases::{Expansion, Size};
pub use aliases::{ALIAS_BYTES_PER_FILE_BYTE, MAX_NODES, MIN_ALIAS_BYTES};
pub use frozen::{differences, Frozen};
pub use handle::{Entries, EntriesIter, Items, ItemsIter, Kind, NodeRef, SharedItems};
pub(crate) use node::take_items;
use node::CompactString;
pub use node::{Node, Scalar, Style, Value};
pub use read::{events, fast_reader_agrees, ReaderPanicked, Step};
use read::{reader, with_final_break};

/// Nesting depth beyond which a document is rejected.
pub const MAX_DEPTH: usize = 128;

/// The documents of one YAML file and what went wrong reading it. When the
/// syntax is broken, `docs` holds nothing and `diags` says where.
#[derive(Debug, Default)]
pub struct YamlFile {
    pub docs: Vec<Node>,
    pub diags: Vec<ParseDiag>,
}

pub fn parse(file: FileId, src: &SourceFile) -> YamlFile {
    let mut b = Builder::new(file, src);
    let mut last = 0;
    // libyaml's marks count bytes of the UTF-8 input.
    let span_of = |start: libyaml_safer::Mark, end: libyaml_safer::Mark| {
        let start = mark_offset(start.index, &src.text);
        let end = mark_offset(end.index, &src.text).max(start);
        Span::new(file, start, end)
    };
    let outcome = events(&src.text, |step| match step {
        Step::Restart => {
            b = Builder::new(file, src);
            last = 0;
            true
        }
        Step::Event(ev) => {
            let span = span_of(ev.start_mark, ev.end_mark);
            last = span.end();
            b.on_event(ev, span)
        }
        Step::Scalar {
            value,
            style,
            start,
            end,
        } => {
            let span = span_of(start, end);
            last = span.end();
            b.extend(span);
            b.on_scalar(None, None, value, style, span)
        }
        Step::Failed(e) => {
            let at = match (e.problem_mark(), e.kind()) {
                (Some(m), _) => mark_offset(m.index, &src.text),
                // The reader's errors carry no mark. The one a text (valid
                // UTF-8, its encoding given) can meet: a character YAML does
                // not allow.
                (None, libyaml_safer::ErrorKind::Reader) => {
                    first_unprintable(&src.text).unwrap_or(src.text.len())
                }
                (None, _) => src.text.len(),
            };
            let end = next_char_end(&src.text, at);
            let mut d = ParseDiag::new(Span::new(file, at, end), yaml_message(&e));
            // libyaml also says where the construct it was reading began.
            if let (Some(ctx), Some(m)) = (e.context(), e.context_mark()) {
                let from = mark_offset(m.index, &src.text);
                if from != at {
                    let what = ctx
                        .trim_start_matches("while parsing ")
                        .trim_start_matches("while scanning ");
                    let what = what
                        .strip_prefix("an ")
                        .or_else(|| what.strip_prefix("a "))
                        .unwrap_or(what);
                    d = d.with_related(
                        Span::new(file, from, next_char_end(&src.text, from)),
                        format!("the {what} starts here"),
                    );
                }
            }
            b.diags.push(d);
            b.docs.clear();
            false
        }
    });
    if outcome.is_err() {
        b.docs.clear();
        b.diags.push(ParseDiag::new(
            Span::new(file, last, next_char_end(&src.text, last)),
            "cannot read this YAML: the reader stopped unexpectedly here",
        ));
    }
    YamlFile {
        docs: b.docs,
        diags: b.diags,
    }
}

/// Where the first character that YAML does not allow in a stream is (its
/// printable set: tab, line breaks and the rest, but not the C0 controls, DEL,
/// the C1 controls other than U+0085, the surrogates or U+FFFE/U+FFFF), as
/// libyaml's reader checks it.
fn first_unprintable(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|&(_, c)| {
            !matches!(c,
                '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}'
                | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
        .map(|(i, _)| i)
}

fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|t| t.chars().next())
        .map(|c| at + c.len_utf8())
        .unwrap_or(at)
}

/// A mark as a byte offset on a character boundary of `text`.
fn mark_offset(index: u64, text: &str) -> usize {
    let mut at = usize::try_from(index).unwrap_or(usize::MAX).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// libyaml's problem, and what it was reading when it found it.
fn yaml_message(e: &libyaml_safer::Error) -> String {
    match e.context() {
        Some(ctx) => format!("invalid YAML: {} ({ctx})", e.problem()),
        None => format!("invalid YAML: {}", e.problem()),
    }
}

enum Frame {
    Seq {
        start: Span,
        flow: bool,
        /// End of the last event inside this collection (aliases included).
        end: usize,
        anchor: Option<String>,
        tag: Option<String>,
        /// Where its items start in [`Builder::items`].
        items: usize,
        size: Size,
    },
    Map {
        start: Span,
        flow: bool,
        end: usize,
        anchor: Option<String>,
        tag: Option<String>,
        /// Where its entries start in [`Builder::pairs`].
        entries: usize,
        /// Key text → position among its entries, to find duplicates.
        keys: KeyIndex,
        pending_key: Option<Node>,
        /// Merge-key sources, applied when the mapping ends (explicit keys win).
        merges: Vec<Merge>,
        size: Size,
    },
}

/// One `<<` entry of a mapping.
struct Merge {
    /// What it merges (an alias's node keeps the spans of the anchored text).
    node: Node,
    /// The `<<` key.
    key: Span,
    /// The value as written at the key: the alias, or the inline collection.
    at: Span,
}

/// Related places one merge finding lists; the message gives the full count.
const MAX_RELATED_ITEMS: usize = 5;

struct Builder<'a> {
    file: FileId,
    src: &'a SourceFile,
    stack: Vec<Frame>,
    /// The items of every open sequence, innermost last, and the entries of every
    /// open mapping: a finished collection is moved out at its exact size, one
    /// allocation, instead of growing a vector of its own and shrinking it (a
    /// tenth of reading a large file went to reallocation).
    items: Vec<Node>,
    pairs: Vec<(Node, Node)>,
    /// Anchors of the whole stream, as go-yaml keeps them: a later anchor of the
    /// same name replaces the earlier one, and a later document may use them.
    /// Each with what it expands to.
    anchors: HashMap<String, (Node, Size)>,
    expansion: Expansion,
    /// Where the last alias was used: where excessive aliasing is reported.
    last_alias: Option<Span>,
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
        // The parser reports no other style (`Any` is for the emitter).
        _ => Style::Plain,
    }
}

/// The text a mapping key is compared by, as go-yaml compares keys: `null` twice
/// is a duplicate, `null` and `~` are not. None for a key that is a collection.
fn key_text<'a>(key: &'a Node, src: &'a str) -> Option<&'a str> {
    match key.value() {
        Value::Scalar(s) => Some(s.as_str()),
        Value::Null => src.get(key.span.range()),
        _ => None,
    }
}

/// Finds a mapping's keys by their text. Most mappings hold a few keys and are
/// searched in place; a table is built once a mapping passes [`KeyIndex::LINEAR`]
/// keys, so that a mapping of thousands stays linear. (A table for every mapping
/// cost an allocation and a hash per key: a tenth of reading a large file.)
#[derive(Default)]
struct KeyIndex {
    table: Option<HashMap<CompactString, usize>>,
}

impl KeyIndex {
    const LINEAR: usize = 16;

    /// The position in `entries` of the key written `k`.
    fn get(&self, k: &str, entries: &[(Node, Node)], src: &str) -> Option<usize> {
        match &self.table {
            Some(t) => t.get(k).copied(),
            None => entries
                .iter()
                .position(|(key, _)| key_text(key, src) == Some(k)),
        }
    }

    /// Records that the key written `k` is at `pos` (the next entry) of `entries`.
    fn insert(&mut self, k: &str, pos: usize, entries: &[(Node, Node)], src: &str) {
        if let Some(t) = &mut self.table {
            t.insert(k.into(), pos);
        } else if pos >= Self::LINEAR {
            let mut t: HashMap<CompactString, usize> = entries
                .iter()
                .enumerate()
                .filter_map(|(i, (key, _))| Some((key_text(key, src)?.into(), i)))
                .collect();
            t.insert(k.into(), pos);
            self.table = Some(t);
        }
    }
}

/// A finished collection without the spare room its growth left: up to half of a
/// large flow list's memory otherwise. Also for lists built from the tree (a
/// filtered `collect` reserves four items for one).
pub fn fitted<T>(mut v: Vec<T>) -> Vec<T> {
    if v.capacity() - v.len() > v.len() / 8 {
        v.shrink_to_fit();
    }
    v
}

impl<'a> Builder<'a> {
    fn new(file: FileId, src: &'a SourceFile) -> Self {
        Builder {
            file,
            src,
            stack: Vec::new(),
            items: Vec::new(),
            pairs: Vec::new(),
            anchors: HashMap::new(),
            expansion: Expansion::new(src.text.len()),
            last_alias: None,
            diags: Vec::new(),
            docs: Vec::new(),
            too_deep: false,
        }
    }
}

impl Builder<'_> {
    /// Every event inside a collection extends it, aliases included (whose node
    /// keeps the span of the anchored text elsewhere).
    fn extend(&mut self, span: Span) {
        if let Some(Frame::Seq { end, .. } | Frame::Map { end, .. }) = self.stack.last_mut() {
            *end = (*end).max(span.end());
        }
    }

    fn on_scalar(
        &mut self,
        anchor: Option<String>,
        tag: Option<String>,
        value: std::borrow::Cow<'_, str>,
        style: ScalarStyle,
        span: Span,
    ) -> bool {
        if !self.count_node(span) {
            return false;
        }
        let style = style_of(style);
        // libyaml's event starts at the anchor or tag; the node is the value.
        let span = if anchor.is_some() || tag.is_some() {
            self.skip_properties(span)
        } else {
            span
        };
        let is_null = style == Style::Plain
            && tag.is_none()
            && matches!(&*value, "" | "~" | "null" | "Null" | "NULL");
        let size = Size::scalar(if is_null { 0 } else { value.len() });
        let node = if is_null {
            Node::null(span)
        } else {
            Node::scalar(span, value, style)
        }
        .with_tag(tag);
        self.finish(node, anchor, size);
        true
    }

    /// Handles one event; returns false when the file cannot be read further.
    fn on_event(&mut self, ev: Event, span: Span) -> bool {
        if !matches!(ev.data, EventData::SequenceEnd | EventData::MappingEnd) {
            self.extend(span);
        }
        match ev.data {
            EventData::StreamStart { .. } | EventData::StreamEnd => {}
            EventData::DocumentStart { .. } => self.expansion.new_document(),
            EventData::DocumentEnd { .. } => {}
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => {
                return self.on_scalar(anchor, tag, std::borrow::Cow::Owned(value), style, span);
            }
            EventData::Alias { anchor } => {
                let Some(target) = self.anchors.get(&anchor) else {
                    self.diags.push(ParseDiag::new(
                        span,
                        format!("invalid YAML: alias `*{anchor}` to an unknown anchor"),
                    ));
                    self.docs.clear();
                    return false;
                };
                let (node, size) = (target.0.clone(), target.1);
                if let Err(excess) = self.expansion.alias(size) {
                    self.diags.push(ParseDiag::new(span, excess.message()));
                    self.docs.clear();
                    return false;
                }
                self.last_alias = Some(span);
                // The alias is used here (a shared subtree, not a copy); the node
                // keeps the spans of the anchored text, where its values are written.
                self.count_in_parent(size);
                if self.is_merge_value_position() {
                    self.push_merge(node, span);
                } else {
                    self.attach(node);
                }
            }
            EventData::SequenceStart {
                anchor, tag, style, ..
            } => {
                if !self.enter(span) || !self.count_node(span) {
                    return false;
                }
                self.stack.push(Frame::Seq {
                    start: span,
                    flow: style == SequenceStyle::Flow,
                    end: span.end(),
                    anchor,
                    tag,
                    items: self.items.len(),
                    size: Size::ONE_NODE,
                });
            }
            EventData::MappingStart {
                anchor, tag, style, ..
            } => {
                if !self.enter(span) || !self.count_node(span) {
                    return false;
                }
                self.stack.push(Frame::Map {
                    start: span,
                    flow: style == MappingStyle::Flow,
                    end: span.end(),
                    anchor,
                    tag,
                    entries: self.pairs.len(),
                    keys: KeyIndex::default(),
                    pending_key: None,
                    merges: Vec::new(),
                    size: Size::ONE_NODE,
                });
            }
            EventData::SequenceEnd => {
                if let Some(Frame::Seq {
                    start,
                    flow,
                    end,
                    anchor,
                    tag,
                    items,
                    size,
                }) = self.stack.pop()
                {
                    let first = self.items.get(items).map(|n| n.span);
                    let span = self.collection_span(start, flow, span, first, end);
                    let node = Node::new(span, Value::seq(self.items.drain(items..))).with_tag(tag);
                    self.finish(node, anchor, size);
                }
            }
            EventData::MappingEnd => {
                if let Some(Frame::Map {
                    start,
                    flow,
                    end,
                    anchor,
                    tag,
                    entries,
                    merges,
                    size,
                    ..
                }) = self.stack.pop()
                {
                    let first = self
                        .pairs
                        .get(entries)
                        .map(|(k, _)| k.span)
                        .or(merges.first().map(|m| m.key));
                    let span = self.collection_span(start, flow, span, first, end);
                    let mut pairs = std::mem::take(&mut self.pairs);
                    self.apply_merges(&mut pairs, entries, merges);
                    self.pairs = pairs;
                    let node =
                        Node::new(span, Value::map(self.pairs.drain(entries..))).with_tag(tag);
                    self.finish(node, anchor, size);
                }
            }
        }
        true
    }

    /// The span without the anchor and tag (and the blanks, line breaks and
    /// comments after them) that libyaml counts into a node's event.
    fn skip_properties(&self, span: Span) -> Span {
        let b = self.src.text.as_bytes();
        let mut i = span.start();
        let stop = span.end().min(b.len());
        loop {
            match b.get(i) {
                Some(b'&' | b'!') if i < stop => {
                    while i < stop && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                        i += 1;
                    }
                }
                Some(b' ' | b'\t' | b'\r' | b'\n') if i < stop => i += 1,
                Some(b'#') if i < stop => {
                    while i < stop && b[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        Span::new(self.file, i.min(stop).max(span.start()), span.end())
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
        flow: bool,
        end: Span,
        first: Option<Span>,
        last_end: usize,
    ) -> Span {
        if flow {
            // The start event covers the anchor and tag before the bracket.
            let s = self.skip_properties(start).start();
            return Span::new(self.file, s, end.end().max(s));
        }
        match first {
            Some(f) => Span::new(self.file, f.start(), last_end.max(f.start())),
            None => Span::new(self.file, start.start(), start.start()),
        }
    }

    /// Is the next value the value of a `<<` key? Only a plain, untagged `<<`
    /// merges (go-yaml reads a quoted one as a string).
    fn is_merge_value_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map { pending_key: Some(k), .. })
                if k.tag_str().is_none()
                    && k.as_scalar().is_some_and(|s| s.value == "<<" && s.style == Style::Plain)
        )
    }

    /// Keeps a `<<` source for the end of the mapping; `at` is where its value is
    /// written (the alias, or the inline collection).
    fn push_merge(&mut self, node: Node, at: Span) {
        let Some(Frame::Map {
            pending_key,
            merges,
            keys,
            entries,
            ..
        }) = self.stack.last_mut()
        else {
            return;
        };
        let Some(key) = pending_key.take() else {
            return;
        };
        // go-yaml rejects a second `<<` in one mapping like any other repeated key
        // (a quoted one included).
        let entries = self.pairs.get(*entries..).unwrap_or_default();
        let first = merges.first().map(|m| m.key).or_else(|| {
            keys.get("<<", entries, &self.src.text)
                .and_then(|pos| entries.get(pos))
                .map(|(k, _)| k.span)
        });
        merges.push(Merge {
            node,
            key: key.span,
            at,
        });
        if let Some(first) = first {
            self.diags.push(
                ParseDiag::new(key.span, "duplicate key `<<`")
                    .with_related(first, "first defined here"),
            );
        }
    }

    /// A node written in the file: counted against the aliasing ratio, which falls
    /// as the document grows, so it can pass here, after the aliases.
    fn count_node(&mut self, span: Span) -> bool {
        match self.expansion.node() {
            Ok(()) => true,
            Err(excess) => {
                // Too much aliasing shows at the last alias; too many nodes, here.
                let at = match excess {
                    aliases::Excess::Nodes => span,
                    _ => self.last_alias.unwrap_or(span),
                };
                self.diags.push(ParseDiag::new(at, excess.message()));
                self.docs.clear();
                false
            }
        }
    }

    /// Adds what a finished child expands to to its collection's size.
    fn count_in_parent(&mut self, child: Size) {
        if let Some(Frame::Seq { size, .. } | Frame::Map { size, .. }) = self.stack.last_mut() {
            size.add(child);
        }
    }

    fn finish(&mut self, node: Node, anchor: Option<String>, size: Size) {
        if let Some(name) = anchor {
            // A pointer copy: collections are shared.
            self.anchors.insert(name, (node.clone(), size));
        }
        self.count_in_parent(size);
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
            *end = (*end).max(node.span.end());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map {
                entries,
                keys,
                pending_key,
                merges,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    // Keys compare by their text, as go-yaml compares them: `null`
                    // twice is a duplicate, `null` and `~` are not.
                    if let Some(k) = key_text(&key, &self.src.text) {
                        // A quoted `"<<"` is a plain key, but still the same text
                        // as a merge key of this mapping.
                        if let Some(m) = merges.first().filter(|_| k == "<<") {
                            self.diags.push(
                                ParseDiag::new(key.span, "duplicate key `<<`")
                                    .with_related(m.key, "first defined here"),
                            );
                        }
                        let mine = self.pairs.get_mut(*entries..).unwrap_or_default();
                        if let Some(pos) = keys.get(k, mine, &self.src.text) {
                            if let Some(first) = mine.get_mut(pos) {
                                self.diags.push(
                                    ParseDiag::new(key.span, format!("duplicate key `{k}`"))
                                        .with_related(first.0.span, "first defined here"),
                                );
                                // The later value wins, in the place of the first.
                                *first = (key, node);
                                return;
                            }
                        }
                        keys.insert(k, mine.len(), mine, &self.src.text);
                    }
                    self.pairs.push((key, node));
                }
            },
        }
    }

    /// Applies `<<` sources: keys already in the mapping win, then earlier sources
    /// win over later ones (YAML merge-key semantics). A source that is not a
    /// mapping or a list of mappings is one finding at the `<<` entry, whatever the
    /// number of wrong items, with the items as related places. The mapping's
    /// entries are those of `entries` from `start` on; merged ones are pushed.
    fn apply_merges(&mut self, entries: &mut Vec<(Node, Node)>, start: usize, merges: Vec<Merge>) {
        if merges.is_empty() {
            return;
        }
        // The keys the mapping has so far, searched in place while they are few
        // (a service that merges a shared block into its own keys), then in a
        // set: a set for every mapping cost a hash and an allocation per key.
        let mut present = Present::default();
        for Merge { node, key, at } in merges {
            let whole = Span::new(self.file, key.start(), at.end().max(key.start()));
            // An alias's node keeps the span of the anchored text: worth showing
            // when it is elsewhere.
            let defined_elsewhere = node.span != at;
            let maps: &[Node] = match node.value() {
                Value::Map(_) => std::slice::from_ref(&node),
                Value::Seq(items) => {
                    let wrong: Vec<Span> = items
                        .iter()
                        .filter(|m| !matches!(m.value(), Value::Map(_)))
                        .map(|m| m.span)
                        .collect();
                    if !wrong.is_empty() {
                        let all = wrong.len() == items.len();
                        let message = if all {
                            format!(
                                "a merge key (`<<`) needs a mapping or a list of mappings, \
                                 and this list of {} item{} holds none",
                                items.len(),
                                if items.len() == 1 { "" } else { "s" }
                            )
                        } else {
                            format!(
                                "a merge key (`<<`) list may only hold mappings; \
                                 {} of its {} items are not mappings",
                                wrong.len(),
                                items.len()
                            )
                        };
                        let mut d = ParseDiag::new(whole, message);
                        if defined_elsewhere {
                            d = d.with_related(node.span, "the list is defined here");
                        }
                        // When no item is a mapping the list itself is the evidence;
                        // otherwise point at the items that are wrong.
                        if !all {
                            for span in wrong.iter().take(MAX_RELATED_ITEMS) {
                                d = d.with_related(*span, "not a mapping");
                            }
                        }
                        self.diags.push(d);
                    }
                    items
                }
                _ => {
                    let mut d = ParseDiag::new(
                        whole,
                        "a merge key (`<<`) needs a mapping or a list of mappings",
                    );
                    if defined_elsewhere {
                        d = d.with_related(node.span, "the merged value is defined here");
                    }
                    self.diags.push(d);
                    continue;
                }
            };
            for m in maps {
                let Value::Map(src_entries) = m.value() else {
                    continue;
                };
                // Copies of the entries; their values stay shared.
                for (k, v) in src_entries.iter() {
                    match k.as_str() {
                        Some(name) => {
                            if present.insert(name, entries.get(start..).unwrap_or_default()) {
                                entries.push((k.clone(), v.clone()));
                            }
                        }
                        None => entries.push((k.clone(), v.clone())),
                    }
                }
            }
        }
    }
}

/// The string keys of a mapping that merges (`<<`), for [`Builder::apply_merges`]:
/// the mapping's entries themselves until they pass [`KeyIndex::LINEAR`], then a
/// set of them (inline strings: keys are short).
#[derive(Default)]
struct Present(Option<HashSet<CompactString>>);

impl Present {
    /// Whether `name` is not among the keys of `entries` yet; then it counts as
    /// one of them (its entry is pushed next).
    fn insert(&mut self, name: &str, entries: &[(Node, Node)]) -> bool {
        if self.0.is_none() && entries.len() >= KeyIndex::LINEAR {
            self.0 = Some(
                entries
                    .iter()
                    .filter_map(|(k, _)| k.as_str().map(CompactString::from))
                    .collect(),
            );
        }
        match &mut self.0 {
            Some(set) => set.insert(name.into()),
            None => !entries.iter().any(|(k, _)| k.as_str() == Some(name)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
