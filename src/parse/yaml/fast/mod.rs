//! A fast reader for the shape most compose files have, giving the very events
//! libyaml gives (data and marks), or declining.
//!
//! libyaml-safer decodes the text one `char` at a time into a queue and builds each
//! scalar a character at a time: on a large compose file it is most of the parse.
//! Most compose files use a small part of YAML: block mappings and sequences
//! indented with spaces, one-line plain and quoted scalars, block scalars (`|`,
//! `>`), anchors, aliases, one-line flow collections of scalars and a first
//! `---`. This reader reads that part straight from the bytes. At the first thing
//! outside it (a tab, a tag, a plain or quoted scalar over several lines, any
//! other document marker, an escape libyaml rejects, anything it is not sure of)
//! it declines, and the caller reads the whole text again with libyaml, which
//! also gives every error: this reader never rejects a text, it only declines.
//!
//! The invariant: when [`read`] returns `Ok`, the events it handed over are exactly
//! libyaml's for the same text, marks included (tests compare the two on every
//! corpus file and on generated texts, and the fuzz target `yaml` on random ones).
//! Events handed over before it declines are not libyaml's prefix in general (libyaml
//! looks a token ahead and may fail first): the caller starts over.

mod block;
mod scalars;

use std::borrow::Cow;

use libyaml_safer::{Encoding, Event, EventData, MappingStyle, Mark, ScalarStyle, SequenceStyle};

use super::Step;
use scalars::{blank_or_break, plain_characters, Stop};

/// The text is outside what this reader reads: read it with libyaml.
#[derive(Debug)]
pub(super) struct Declined;

type R<T> = Result<T, Declined>;

/// Collections nested deeper than this are left to libyaml (and to the builder's
/// depth bound, which is higher: the builder never meets it on this reader's events).
const MAX_NEST: usize = 100;

/// libyaml forgets a possible simple key 1,024 bytes after it starts: longer keys
/// are left to it.
const MAX_KEY: usize = 1000;

/// An anchor read before a node: its name and where it starts.
#[derive(Clone, Copy)]
struct Anchor<'a> {
    name: &'a str,
    start: Mark,
}

/// Reads `text`, which ends with a line break (or is empty), handing each event to
/// `sink`. When `sink` returns false it is handed nothing more, but the text is
/// still read to the end, so that `Ok` still means every event would have been
/// libyaml's.
pub(super) fn read<'t>(text: &'t str, sink: impl FnMut(Step<'t>) -> bool) -> R<()> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(Declined);
    }
    let Some(ascii) = plain_characters(text.as_bytes()) else {
        return Err(Declined);
    };
    let mut r = Reader {
        ascii,
        text,
        s: text.as_bytes(),
        pos: 0,
        line: 0,
        line_start: 0,
        col_cache: (0, 0),
        sink,
        quiet: false,
        depth: 0,
    };
    r.stream()
}

struct Reader<'a, F> {
    /// Every character is one byte: a column is a count of bytes.
    ascii: bool,
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    line: u64,
    line_start: usize,
    /// A column already counted on the current line: (byte, column).
    col_cache: (usize, u64),
    sink: F,
    quiet: bool,
    depth: usize,
}

impl<'a, F: FnMut(Step<'a>) -> bool> Reader<'a, F> {
    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn peek(&self) -> Option<u8> {
        self.at(self.pos)
    }

    fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// The column of `pos` on the current line, in characters as libyaml counts.
    fn column(&mut self, pos: usize) -> u64 {
        if self.ascii {
            return pos.min(self.s.len()).saturating_sub(self.line_start) as u64;
        }
        let (mut from, mut col) = self.col_cache;
        if from < self.line_start || from > pos {
            (from, col) = (self.line_start, 0);
        }
        let upto = pos.min(self.s.len());
        col += self.s.get(from..upto).map_or(0, |b| {
            b.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64
        });
        self.col_cache = (upto, col);
        col
    }

    fn mark(&mut self, pos: usize) -> Mark {
        let mut m = Mark::default();
        m.index = pos as u64;
        m.line = self.line;
        m.column = self.column(pos);
        m
    }

    fn emit(&mut self, data: impl FnOnce() -> EventData, start: Mark, end: Mark) {
        if self.quiet {
            return;
        }
        let mut ev = Event::stream_end();
        ev.data = data();
        ev.start_mark = start;
        ev.end_mark = end;
        self.hand(Step::Event(ev));
    }

    fn hand(&mut self, step: Step<'a>) {
        if !(self.sink)(step) {
            self.quiet = true;
        }
    }

    fn scalar(
        &mut self,
        anchor: Option<Anchor<'_>>,
        value: Cow<'a, str>,
        style: ScalarStyle,
        start: Mark,
        end: Mark,
    ) {
        if anchor.is_none() {
            if !self.quiet {
                self.hand(Step::Scalar {
                    value,
                    style,
                    start,
                    end,
                });
            }
            return;
        }
        let plain = style == ScalarStyle::Plain;
        self.emit(
            || EventData::Scalar {
                anchor: anchor.map(|a| a.name.to_owned()),
                tag: None,
                value: value.into_owned(),
                plain_implicit: plain,
                quoted_implicit: !plain,
                style,
            },
            start,
            end,
        );
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return Err(Declined);
        }
        Ok(())
    }

    /// Skips spaces on this line.
    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Skips spaces, comments and line breaks up to the next token (or the end).
    /// Declines at a document marker at the start of a line.
    fn skip_to_token(&mut self) -> R<()> {
        loop {
            match self.peek() {
                Some(b' ') => self.pos += 1,
                Some(b'#') => {
                    // A `#` right after a token is not a comment this reader knows.
                    if self.pos > self.line_start && self.at(self.pos - 1) != Some(b' ') {
                        return Err(Declined);
                    }
                    match self.s[self.pos..].iter().position(|&b| b == b'\n') {
                        Some(n) => self.pos += n,
                        None => self.pos = self.s.len(),
                    }
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                    let head = self.s.get(self.pos..self.pos + 3);
                    if matches!(head, Some(b"---" | b"...")) {
                        return Err(Declined);
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// After a token on this line: only spaces and a comment may follow it.
    fn end_of_line(&mut self) -> R<()> {
        let before = self.pos;
        self.spaces();
        match self.peek() {
            Some(b'\n') => Ok(()),
            Some(b'#') if self.pos > before => Ok(()),
            _ => Err(Declined),
        }
    }

    fn here(&mut self) -> Mark {
        if self.eof() {
            // libyaml's end of stream: the line after the last break, column 0.
            let mut m = Mark::default();
            m.index = self.s.len() as u64;
            m.line = self.line;
            m
        } else {
            self.mark(self.pos)
        }
    }

    fn stream(&mut self) -> R<()> {
        let zero = Mark::default();
        self.emit(
            || EventData::StreamStart {
                encoding: Encoding::Utf8,
            },
            zero,
            zero,
        );
        let marker = self.document_start()?;
        // A `---` and nothing after it: libyaml's document holds an empty scalar.
        if marker.is_some() && self.eof() {
            return Err(Declined);
        }
        if !self.eof() {
            let (start, end) = marker.unwrap_or_else(|| {
                let at = self.here();
                (at, at)
            });
            self.emit(
                || EventData::DocumentStart {
                    version_directive: None,
                    tag_directives: Vec::new(),
                    implicit: marker.is_none(),
                },
                start,
                end,
            );
            let col = self.column(self.pos);
            if self.dash_entry() {
                self.block_sequence(col, None, false)?;
            } else if self.key_ahead()? {
                self.block_mapping(col, None)?;
            } else {
                return Err(Declined);
            }
            if !self.eof() {
                return Err(Declined);
            }
            let end = self.here();
            self.emit(|| EventData::DocumentEnd { implicit: true }, end, end);
        }
        let end = self.here();
        self.emit(|| EventData::StreamEnd, end, end);
        Ok(())
    }

    /// Skips the comments and blank lines before the document, and its `---`
    /// when it starts with one on a line of its own (or with a comment): that
    /// marker's start and end. The cursor is left on the first token after them.
    /// Any other document marker (`...`, a second `---`, a `---` with a node on
    /// its line) is declined.
    fn document_start(&mut self) -> R<Option<(Mark, Mark)>> {
        let head = |r: &Self| r.s.get(r.pos..r.pos + 3);
        // The first line is not preceded by a break, which skip_to_token looks at.
        if self.pos == 0 && matches!(head(self), Some(b"---" | b"...")) {
            return self.marker_line().map(Some);
        }
        match self.skip_to_token() {
            Ok(()) => Ok(None),
            Err(Declined) if head(self) == Some(b"---") && self.pos == self.line_start => {
                self.marker_line().map(Some)
            }
            Err(d) => Err(d),
        }
    }

    /// `---` at the cursor, at the start of a line, then spaces and a comment
    /// up to the line's end; the cursor moves to the next token.
    fn marker_line(&mut self) -> R<(Mark, Mark)> {
        let ends = matches!(self.at(self.pos + 3), Some(b' ' | b'\n'));
        if self.s.get(self.pos..self.pos + 3) != Some(b"---") || !ends {
            return Err(Declined);
        }
        let start = self.mark(self.pos);
        self.pos += 3;
        let end = self.mark(self.pos);
        self.end_of_line()?;
        self.skip_to_token()?;
        Ok((start, end))
    }

    /// A `-` followed by a space or a line break: a block sequence entry.
    fn dash_entry(&self) -> bool {
        self.peek() == Some(b'-') && blank_or_break(self.at(self.pos + 1))
    }

    /// Whether a one-line key (a scalar followed by `: ` or `:` at the line's end)
    /// starts here.
    fn key_ahead(&self) -> R<bool> {
        Ok(match self.peek() {
            Some(b'"' | b'\'') => {
                let (_, after) = self.quoted_at(self.pos)?;
                let mut i = after;
                while self.at(i) == Some(b' ') {
                    i += 1;
                }
                self.at(i) == Some(b':') && blank_or_break(self.at(i + 1))
            }
            _ => {
                if !self.plain_start(self.pos, false) {
                    return Ok(false);
                }
                matches!(self.plain_at(self.pos, false).1, Stop::Colon(_))
            }
        })
    }

    /// A block mapping whose first key starts at the cursor, in column `col`.
    /// Returns with the cursor on the first token after it (or at the end).
    fn block_mapping(&mut self, col: u64, anchor: Option<Anchor<'_>>) -> R<()> {
        self.enter()?;
        let key = self.mark(self.pos);
        let start = anchor.map_or(key, |a| a.start);
        self.emit(
            || EventData::MappingStart {
                anchor: anchor.map(|a| a.name.to_owned()),
                tag: None,
                implicit: true,
                style: MappingStyle::Block,
            },
            start,
            key,
        );
        loop {
            // A key, then `:`.
            let key_start = self.pos;
            let colon = match self.peek() {
                Some(b'"' | b'\'') => {
                    self.scalar_here(None, false)?;
                    self.spaces();
                    self.pos
                }
                _ => match self.scalar_here(None, false)? {
                    Stop::Colon(at) => at,
                    _ => return Err(Declined),
                },
            };
            if self.at(colon) != Some(b':')
                || !blank_or_break(self.at(colon + 1))
                || colon - key_start > MAX_KEY
            {
                return Err(Declined);
            }
            self.pos = colon + 1;
            let after_colon = self.mark(self.pos);
            self.value(col, after_colon)?;
            if !self.goes_on(col)? {
                break;
            }
            // Anything but a key here is declined by the loop's key.
            if self.dash_entry() {
                return Err(Declined);
            }
        }
        let end = self.here();
        self.emit(|| EventData::MappingEnd, end, end);
        self.depth -= 1;
        Ok(())
    }

    /// After an entry of the block collection in column `col`, with the cursor on
    /// the next token: whether the collection goes on there (same column), or
    /// ends (the end of the text, or a token further left). A token further
    /// right would be an error or a continued scalar in libyaml: declined.
    fn goes_on(&mut self, col: u64) -> R<bool> {
        if self.eof() {
            return Ok(false);
        }
        match self.column(self.pos).cmp(&col) {
            std::cmp::Ordering::Less => Ok(false),
            std::cmp::Ordering::Equal => Ok(true),
            std::cmp::Ordering::Greater => Err(Declined),
        }
    }

    /// A mapping's value, after its `:`; `col` is the mapping's column and
    /// `empty` the mark of an empty value.
    fn value(&mut self, col: u64, empty: Mark) -> R<()> {
        let anchor = self.anchor_if_any()?;
        if let Some(next) = self.line_ends()? {
            if next.is_none_or(|n| n < col || (n == col && !self.dash_entry())) {
                if anchor.is_some() {
                    return Err(Declined);
                }
                self.scalar(None, Cow::Borrowed(""), ScalarStyle::Plain, empty, empty);
                return Ok(());
            }
            return match next {
                Some(n) if n == col => self.block_sequence(col, anchor, true),
                Some(n) => self.nested(n, anchor),
                None => Err(Declined),
            };
        }
        self.inline(col, anchor)
    }

    /// A block collection starting on a line of its own, in column `col`.
    fn nested(&mut self, col: u64, anchor: Option<Anchor<'_>>) -> R<()> {
        if self.dash_entry() {
            self.block_sequence(col, anchor, false)
        } else if self.key_ahead()? {
            self.block_mapping(col, anchor)
        } else {
            Err(Declined)
        }
    }

    /// A value on the line of its key or `-`: a scalar, an alias or a flow
    /// collection, then the end of the line. `col` is the enclosing collection's
    /// column: a token further right on a later line would continue a plain scalar
    /// in libyaml (or be an error), so it is declined.
    fn inline(&mut self, col: u64, anchor: Option<Anchor<'_>>) -> R<()> {
        match self.peek() {
            Some(b'|' | b'>') => return self.block_scalar(col, anchor),
            Some(b'*') => {
                if anchor.is_some() {
                    return Err(Declined);
                }
                self.alias_here(false)?;
            }
            Some(b'[') => self.flow_sequence(anchor)?,
            Some(b'{') => self.flow_mapping(anchor)?,
            _ => {
                if self.scalar_here(anchor, false)? != Stop::Line {
                    return Err(Declined);
                }
            }
        }
        self.end_of_line()?;
        self.skip_to_token()?;
        if !self.eof() && self.column(self.pos) > col {
            return Err(Declined);
        }
        Ok(())
    }

    /// A block sequence whose first `-` is at the cursor, in column `col`;
    /// `indentless` when it is a mapping's value in the mapping's own column.
    fn block_sequence(&mut self, col: u64, anchor: Option<Anchor<'_>>, indentless: bool) -> R<()> {
        self.enter()?;
        let dash = self.mark(self.pos);
        let start = anchor.map_or(dash, |a| a.start);
        // An indentless sequence's start event takes in its first `-`.
        let end = match indentless {
            true => self.mark(self.pos + 1),
            false => dash,
        };
        self.emit(
            || EventData::SequenceStart {
                anchor: anchor.map(|a| a.name.to_owned()),
                tag: None,
                implicit: true,
                style: SequenceStyle::Block,
            },
            start,
            end,
        );
        loop {
            // At `-`.
            self.pos += 1;
            let after_dash = self.mark(self.pos);
            let anchor = self.anchor_if_any()?;
            if let Some(next) = self.line_ends()? {
                match next.filter(|&n| n > col) {
                    Some(n) => self.nested(n, anchor)?,
                    None if anchor.is_some() => return Err(Declined),
                    None => {
                        let empty = Cow::Borrowed("");
                        self.scalar(None, empty, ScalarStyle::Plain, after_dash, after_dash);
                    }
                }
            } else if self.dash_entry() {
                return Err(Declined);
            } else if self.key_ahead()? {
                if anchor.is_some() {
                    return Err(Declined);
                }
                let key_col = self.column(self.pos);
                self.block_mapping(key_col, None)?;
            } else {
                self.inline(col, anchor)?;
            }
            if !self.goes_on(col)? {
                break;
            }
            if !self.dash_entry() {
                if indentless {
                    break;
                }
                return Err(Declined);
            }
        }
        let end = self.here();
        self.emit(|| EventData::SequenceEnd, end, end);
        self.depth -= 1;
        Ok(())
    }

    /// The `[` or `{` at the cursor: its event, and the cursor on what follows.
    fn open_flow(&mut self, anchor: Option<Anchor<'_>>, mapping: bool) -> R<()> {
        self.enter()?;
        let open = self.mark(self.pos);
        let after = self.mark(self.pos + 1);
        let name = anchor.map(|a| a.name.to_owned());
        self.emit(
            || match mapping {
                true => EventData::MappingStart {
                    anchor: name,
                    tag: None,
                    implicit: true,
                    style: MappingStyle::Flow,
                },
                false => EventData::SequenceStart {
                    anchor: name,
                    tag: None,
                    implicit: true,
                    style: SequenceStyle::Flow,
                },
            },
            anchor.map_or(open, |a| a.start),
            after,
        );
        self.pos += 1;
        self.spaces();
        Ok(())
    }

    /// A one-line flow sequence of scalars and aliases at the cursor.
    fn flow_sequence(&mut self, anchor: Option<Anchor<'_>>) -> R<()> {
        self.open_flow(anchor, false)?;
        if self.peek() != Some(b']') {
            loop {
                self.flow_item()?;
                if self.flow_next(b']')? {
                    break;
                }
            }
        }
        self.emit_close(true);
        Ok(())
    }

    /// A one-line flow mapping of scalar keys and scalar or alias values.
    fn flow_mapping(&mut self, anchor: Option<Anchor<'_>>) -> R<()> {
        self.open_flow(anchor, true)?;
        if self.peek() != Some(b'}') {
            loop {
                // The key, then `: `.
                let key_start = self.pos;
                match self.peek() {
                    Some(b'"' | b'\'') => {
                        self.scalar_here(None, true)?;
                        self.spaces();
                    }
                    _ => match self.scalar_here(None, true)? {
                        Stop::Colon(at) => self.pos = at,
                        _ => return Err(Declined),
                    },
                }
                if self.peek() != Some(b':')
                    || self.at(self.pos + 1) != Some(b' ')
                    || self.pos - key_start > MAX_KEY
                {
                    return Err(Declined);
                }
                self.pos += 1;
                self.spaces();
                self.flow_item()?;
                if self.flow_next(b'}')? {
                    break;
                }
            }
        }
        self.emit_close(false);
        Ok(())
    }

    /// A scalar or an alias inside a flow collection.
    fn flow_item(&mut self) -> R<()> {
        match self.peek() {
            Some(b'*') => self.alias_here(true),
            Some(b'"' | b'\'') => self.scalar_here(None, true).map(|_| ()),
            _ => match self.scalar_here(None, true)? {
                Stop::Flow => Ok(()),
                _ => Err(Declined),
            },
        }
    }

    /// After an item of a flow collection that `close` closes: `,` and another
    /// item (false), or the closing bracket, after a `,` or not (true: the
    /// cursor is on it).
    fn flow_next(&mut self, close: u8) -> R<bool> {
        self.spaces();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.spaces();
                Ok(self.peek() == Some(close))
            }
            Some(c) if c == close => Ok(true),
            _ => Err(Declined),
        }
    }

    fn emit_close(&mut self, seq: bool) {
        let (sm, em) = (self.mark(self.pos), self.mark(self.pos + 1));
        self.pos += 1;
        self.depth -= 1;
        match seq {
            true => self.emit(|| EventData::SequenceEnd, sm, em),
            false => self.emit(|| EventData::MappingEnd, sm, em),
        }
    }
}

/// Whether this reader gives libyaml's events for `text` (with a line break added
/// at its end if it has none): `None` when it declines, `Some(false)` when it
/// reads events libyaml does not give (a bug), `Some(true)` when they are the same.
pub(super) fn agrees_with_libyaml(text: &str) -> Option<bool> {
    let text = &*super::with_final_break(text);
    let mut mine = Vec::new();
    read(text, |step| {
        mine.extend(step.into_event().and_then(Result::ok));
        true
    })
    .ok()?;
    let run = std::panic::AssertUnwindSafe(|| {
        let mut theirs = Vec::new();
        for ev in super::reader(text.as_bytes()) {
            match ev {
                Ok(ev) => theirs.push(ev),
                Err(_) => return None,
            }
        }
        Some(theirs)
    });
    let theirs = std::panic::catch_unwind(run).ok().flatten();
    Some(theirs.is_some_and(|t| t == mine))
}

#[cfg(test)]
mod tests;
