//! A fast reader for the shape most compose files have, giving the very events
//! libyaml gives (data and marks), or declining.
//!
//! libyaml-safer decodes the text one `char` at a time into a queue and builds each
//! scalar a character at a time: on a large compose file it is most of the parse.
//! Most compose files use a small part of YAML: block mappings and sequences
//! indented with spaces, one-line plain and quoted scalars, anchors, aliases and
//! one-line flow collections of scalars. This reader reads that part straight from
//! the bytes. At the first thing outside it (a tab, a block scalar, a tag, a
//! multi-line scalar, a document marker, an escape, anything it is not sure of) it
//! declines, and the caller reads the whole text again with libyaml, which also
//! gives every error: this reader never rejects a text, it only declines.
//!
//! The invariant: when [`read`] returns `Ok`, the events it handed over are exactly
//! libyaml's for the same text, marks included (tests compare the two on every
//! corpus file and on generated texts, and the fuzz target `yaml` on random ones).
//! Events handed over before it declines are not libyaml's prefix in general (libyaml
//! looks a token ahead and may fail first): the caller starts over.

use std::borrow::Cow;

use libyaml_safer::{Encoding, Event, EventData, MappingStyle, Mark, ScalarStyle, SequenceStyle};

use super::Step;

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

/// Every character is one libyaml reads as itself and this reader knows: no tab,
/// no carriage return, no control character, no byte order mark, none of the
/// Unicode line breaks (NEL, U+2028, U+2029) and no U+FFFE/U+FFFF. The rest of
/// the reader can then take any byte it does not look at for a part of a scalar
/// or comment. `Some(true)` when every character is ASCII, `None` when one is not
/// known.
fn plain_characters(s: &[u8]) -> Option<bool> {
    // Without a branch per byte, so that it runs on vectors: most texts are ASCII.
    let odd = |b: u8| (b < 0x20 && b != b'\n') | (b >= 0x7f);
    if !s
        .chunks(64)
        .any(|c| c.iter().fold(false, |any, &b| any | odd(b)))
    {
        return Some(true);
    }
    let text = std::str::from_utf8(s).ok()?;
    let known = text.chars().all(|c| match c {
        '\n' => true,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' => false,
        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    });
    known.then_some(false)
}

fn blank_or_break(b: Option<u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\n'))
}

/// The characters of anchor and alias names that libyaml reads.
fn name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// How a plain scalar ended.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Stop {
    /// At the end of the line or a comment.
    Line,
    /// At `: ` (or `:` ending the line): the scalar is a key. The position is the colon's.
    Colon(usize),
    /// In a flow collection: at `,`, `]` or `}`.
    Flow,
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
        if matches!(self.s.get(..3), Some(b"---" | b"...")) {
            return Err(Declined);
        }
        self.skip_to_token()?;
        if !self.eof() {
            let start = self.here();
            self.emit(
                || EventData::DocumentStart {
                    version_directive: None,
                    tag_directives: Vec::new(),
                    implicit: true,
                },
                start,
                start,
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

    /// Whether a plain scalar may start at `i`.
    fn plain_start(&self, i: usize, flow: bool) -> bool {
        match self.at(i) {
            None | Some(b' ' | b'\n') => false,
            // `-` followed by a non-blank starts a plain scalar (`-1`, `--flag`).
            Some(b'-') => {
                let next = self.at(i + 1);
                let flow_end = matches!(next, Some(b',' | b'[' | b']' | b'{' | b'}'));
                !(blank_or_break(next) || flow && flow_end)
            }
            Some(
                b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
                | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`',
            ) => false,
            Some(_) => true,
        }
    }

    /// The end of the plain scalar starting at `start` (its last non-space byte's
    /// end) and how it ended. In a flow collection it also ends at `,`, `]` and
    /// `}`; a `:` or `[`/`{` inside one is left to libyaml (returned as `Line`
    /// with the end at that byte, which the callers decline).
    fn plain_at(&self, start: usize, flow: bool) -> (usize, Stop) {
        let s = self.s;
        let mut i = start;
        loop {
            match s.get(i).copied() {
                None | Some(b'\n') => return (i, Stop::Line),
                Some(b' ') => {
                    let mut j = i;
                    while s.get(j) == Some(&b' ') {
                        j += 1;
                    }
                    match s.get(j).copied() {
                        None | Some(b'\n' | b'#') => return (i, Stop::Line),
                        Some(b':') if blank_or_break(s.get(j + 1).copied()) => {
                            return (i, Stop::Colon(j));
                        }
                        Some(b',' | b']' | b'}') if flow => return (i, Stop::Flow),
                        Some(b':' | b'[' | b'{') if flow => return (usize::MAX, Stop::Line),
                        _ => i = j,
                    }
                }
                Some(b':') => {
                    if blank_or_break(s.get(i + 1).copied()) {
                        return (i, Stop::Colon(i));
                    }
                    if flow {
                        return (usize::MAX, Stop::Line);
                    }
                    i += 1;
                }
                Some(b',' | b']' | b'}') if flow => return (i, Stop::Flow),
                Some(b'[' | b'{') if flow => return (usize::MAX, Stop::Line),
                Some(_) => i += 1,
            }
        }
    }

    /// The quoted scalar starting at `start` (a quote): its value and the byte
    /// after its closing quote. Declines escapes and line breaks inside.
    fn quoted_at(&self, start: usize) -> R<(Cow<'a, str>, usize)> {
        let q = self.at(start).ok_or(Declined)?;
        let s = self.s;
        let from = start + 1;
        let mut i = from;
        let mut owned: Option<String> = None;
        loop {
            match s.get(i).copied() {
                None | Some(b'\n') => return Err(Declined),
                Some(b'\\') if q == b'"' => return Err(Declined),
                Some(b'\'') if q == b'\'' && s.get(i + 1) == Some(&b'\'') => {
                    // `''` is one quote.
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(self.text.get(from..i).ok_or(Declined)?);
                    o.push('\'');
                    i += 2;
                    return self.quoted_rest(q, i, owned);
                }
                Some(c) if c == q => {
                    let v = self.text.get(from..i).ok_or(Declined)?;
                    return Ok((Cow::Borrowed(v), i + 1));
                }
                Some(_) => i += 1,
            }
        }
    }

    /// The rest of a single-quoted scalar after its first `''`.
    fn quoted_rest(&self, q: u8, mut i: usize, owned: Option<String>) -> R<(Cow<'a, str>, usize)> {
        let mut o = owned.unwrap_or_default();
        let s = self.s;
        let mut from = i;
        loop {
            match s.get(i).copied() {
                None | Some(b'\n') => return Err(Declined),
                Some(b'\'') if s.get(i + 1) == Some(&b'\'') => {
                    o.push_str(self.text.get(from..i).ok_or(Declined)?);
                    o.push('\'');
                    i += 2;
                    from = i;
                }
                Some(c) if c == q => {
                    o.push_str(self.text.get(from..i).ok_or(Declined)?);
                    return Ok((Cow::Owned(o), i + 1));
                }
                Some(_) => i += 1,
            }
        }
    }

    /// A scalar (plain or quoted) at the cursor, emitted; the cursor moves past it.
    fn scalar_here(&mut self, anchor: Option<Anchor<'_>>, flow: bool) -> R<Stop> {
        let start = self.pos;
        let start_mark = anchor.map(|a| a.start);
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                let (value, after) = self.quoted_at(start)?;
                let style = if q == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                let sm = match start_mark {
                    Some(m) => m,
                    None => self.mark(start),
                };
                let em = self.mark(after);
                self.pos = after;
                self.scalar(anchor, value, style, sm, em);
                Ok(Stop::Line)
            }
            _ => {
                if !self.plain_start(start, flow) {
                    return Err(Declined);
                }
                let (end, stop) = self.plain_at(start, flow);
                if end == usize::MAX || end <= start {
                    return Err(Declined);
                }
                let value = self.text.get(start..end).ok_or(Declined)?;
                let sm = match start_mark {
                    Some(m) => m,
                    None => self.mark(start),
                };
                let em = self.mark(end);
                self.pos = end;
                self.scalar(anchor, Cow::Borrowed(value), ScalarStyle::Plain, sm, em);
                Ok(stop)
            }
        }
    }

    /// Spaces, an anchor if one is there, and spaces after it.
    fn anchor_if_any(&mut self) -> R<Option<Anchor<'a>>> {
        self.spaces();
        if self.peek() != Some(b'&') {
            return Ok(None);
        }
        let a = self.anchor_here()?;
        self.spaces();
        Ok(Some(a))
    }

    /// When the line ends here (or a comment starts), the cursor moves to the next
    /// token and this gives its column (inner `None` at the end of the text);
    /// `None` when something follows on this line.
    fn line_ends(&mut self) -> R<Option<Option<u64>>> {
        if !matches!(self.peek(), Some(b'\n' | b'#')) {
            return Ok(None);
        }
        self.skip_to_token()?;
        Ok(Some((!self.eof()).then(|| self.column(self.pos))))
    }

    /// `&name` at the cursor, followed by a space or a line break.
    fn anchor_here(&mut self) -> R<Anchor<'a>> {
        let start = self.pos;
        let mut i = start + 1;
        while self.at(i).is_some_and(name_char) {
            i += 1;
        }
        if i == start + 1 || !blank_or_break(self.at(i)) {
            return Err(Declined);
        }
        let name = self.text.get(start + 1..i).ok_or(Declined)?;
        let a = Anchor {
            name,
            start: self.mark(start),
        };
        self.pos = i;
        Ok(a)
    }

    /// `*name` at the cursor, emitted.
    fn alias_here(&mut self, flow: bool) -> R<()> {
        let start = self.pos;
        let mut i = start + 1;
        while self.at(i).is_some_and(name_char) {
            i += 1;
        }
        let ends =
            blank_or_break(self.at(i)) || (flow && matches!(self.at(i), Some(b',' | b']' | b'}')));
        if i == start + 1 || !ends {
            return Err(Declined);
        }
        let name = self.text.get(start + 1..i).ok_or(Declined)?;
        let (sm, em) = (self.mark(start), self.mark(i));
        self.pos = i;
        self.emit(
            || EventData::Alias {
                anchor: name.to_owned(),
            },
            sm,
            em,
        );
        Ok(())
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
            if self.eof() {
                break;
            }
            let next = self.column(self.pos);
            if next < col {
                break;
            }
            // Anything but a key here is declined by the loop's key.
            if next > col || self.dash_entry() {
                return Err(Declined);
            }
        }
        let end = self.here();
        self.emit(|| EventData::MappingEnd, end, end);
        self.depth -= 1;
        Ok(())
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
        let (start, end) = match indentless {
            true => (anchor.map_or(dash, |a| a.start), self.mark(self.pos + 1)),
            false => (anchor.map_or(dash, |a| a.start), dash),
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
            if self.eof() {
                break;
            }
            let next = self.column(self.pos);
            if next < col {
                break;
            }
            if next > col {
                return Err(Declined);
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
mod tests {
    use super::agrees_with_libyaml;

    /// Texts made of lines of YAML fragments at random indentations, many of
    /// them broken: the fast reader must decline every text where it would not
    /// give libyaml's events (libyaml's errors included). Returns how many it read.
    fn random_texts(seed: u64, count: usize) -> usize {
        const PIECES: &[&str] = &[
            "a: b",
            "k:",
            "k: v",
            "- x",
            "-",
            "- ",
            "- a: 1",
            "- k:",
            "k: &x",
            "k: &x v",
            "<<: *x",
            "k: *x",
            "k: [a, b]",
            "k: []",
            "k: {}",
            "k: {a: 1, b: \"2\"}",
            "k: [a, *x, 'c']",
            "\"q\": 'v'",
            "'q': v",
            "# c",
            "",
            "k: v # c",
            "k: v#c",
            "k: 'it''s'",
            "k: a b  c",
            "k: -1",
            "x",
            ":",
            "k:v",
            "k: a: b",
            "- - a",
            "&y k: v",
            "- &y",
            "- &y v",
            "- &y a: b",
            "k: \"a\\\"b\"",
            "[a]",
            "k: [a",
            "k: 'a",
            "k: [a, b,]",
            "k: [a: b]",
            "k: {a}",
            "k: {a: }",
            "k: [a, [b]]",
            "k: a # c",
            "- # c",
            "k : v",
            "k:  v  ",
            "- 'a'",
            "- \"a\": b",
            "? k",
            "k: |",
            "k: >",
            "  text",
            "k: !t v",
            "---",
            "...",
            "k: *",
            "k: &",
            "k: x:y",
            "k: {a: b:c}",
            "k: [a#b]",
            "k: é",
            "é: ü",
            "k: @x",
            "k: `x`",
            "k: %x",
            "k: a,b",
            "k: [a,b]",
            "k: {a: [b]}",
            "-x",
            "- -x",
            "k: - a",
            "k: -",
            "k: [ a , b ]",
            "k: { a: b }",
            "k: *x # c",
            "k: [*x]",
            "k: {a: *x}",
        ];
        let mut state = seed;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % n
        };
        let mut read = 0;
        for _ in 0..count {
            let lines = 1 + next(8);
            let mut text = String::new();
            for _ in 0..lines {
                let indent = [0, 0, 0, 1, 2, 2, 4, 4, 6][next(9)];
                text.push_str(&" ".repeat(indent));
                text.push_str(PIECES[next(PIECES.len())]);
                text.push('\n');
            }
            read += usize::from(read_alike(&text));
        }
        read
    }

    #[test]
    fn the_common_shapes_are_read_with_libyamls_events() {
        for text in [
            "",
            "# only a comment\n\n",
            "a: 1\n",
            "a:\n  b: c  # why\n\n  d: 'it''s'\ne: \"x y\"\n",
            "x-d: &d\n  restart: always\ns:\n  a:\n    <<: *d\n    image: n:1\n",
            "k:\n- a\n- b: 1\n  c: 2\n-\n- [x, 'y', *a]\nz: {p: 1, q: \"2\"}\n",
            "k:\n  - - \n  -\n    a: b\n",
            "a: &e\nb: *e\n",
            "a: [ ]\nb: {}\nc: [a b, c ,]\nd: -1\ne: x:y\nf: a#b\ng: é ü\n",
            "  indented: root\n  second: key\n",
            "- a\n- b\n",
            "a: 1   \n   \n",
        ] {
            // `- - ` and the empty anchored scalar are declined; the rest is read.
            let want = !text.contains("- - ") && !text.contains("&e\n");
            match agrees_with_libyaml(text) {
                Some(true) => assert!(want, "read but should decline: {text:?}"),
                Some(false) => panic!("events differ from libyaml's on {text:?}"),
                None => assert!(!want, "declined: {text:?}"),
            }
        }
    }

    #[test]
    fn what_is_not_sure_is_declined() {
        let long = "k".repeat(1100);
        for text in [
            "a:\tb\n",
            "a: 1\r\nb: 2\r\n",
            "a: |\n  x\n",
            "a: >\n  x\n",
            "a: !t x\n",
            "a: b\n  c\n",
            "---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: \"x\\ny\"\n",
            "a: \"x\n  y\"\n",
            "? a\n: b\n",
            "a: [b,\n  c]\n",
            "a: [[b]]\n",
            "a: b: c\n",
            "\u{feff}a: 1\n",
            "a: x\u{85}y\n",
            "a: \u{1}\n",
            "a:\n    b: 1\n  c: 2\n",
            &format!("{long}: v\n"),
            &format!("a: {{{long}: v}}\n"),
            "a: 1",
        ] {
            // Declined by the fast reader itself (the last for its missing line
            // break: `events` adds one first).
            assert!(super::read(text, |_| true).is_err(), "read: {text:?}");
        }
    }

    #[test]
    fn a_stop_still_reads_to_the_end_before_saying_ok() {
        // Answered false at once, the reader hands nothing more over but still
        // declines a text it cannot read, so the caller knows to start over.
        for (text, ok) in [("a: 1\nb: [c]\n", true), ("a: 1\nb: |\n  c\n", false)] {
            let mut n = 0;
            let r = super::read(text, |_| {
                n += 1;
                false
            });
            assert_eq!((r.is_ok(), n), (ok, 1), "{text:?}");
        }
    }

    /// A random little PRNG (no dependency for tests this simple).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    const SCALARS: &[&str] = &[
        "v",
        "a b",
        "-1",
        "x:y",
        "\"q\"",
        "'s'",
        "'it''s'",
        "*x",
        "[a, b]",
        "{a: 1}",
        "[]",
        "&x v",
        "&x [a]",
        "a#b",
        "é",
        "http://h:80/p",
        "${X:-y}",
        "\"a: b\"",
        "[*x, 'c']",
    ];

    /// A block collection `depth` levels deep at column `col`, nested `step` more.
    fn tree(r: &mut Rng, out: &mut String, col: usize, step: usize, depth: usize, in_seq: bool) {
        let entries = 1 + r.below(3);
        let seq = r.below(3) == 0;
        for i in 0..entries {
            // The first entry of a mapping inside a sequence entry shares its line.
            if !(in_seq && i == 0) {
                out.push_str(&" ".repeat(col));
            }
            if seq {
                out.push_str("- ");
            } else {
                out.push_str(["k", "key", "\"k q\"", "'k'", "<<", "k-1"][r.below(6)]);
                out.push_str(&format!("{i}:"));
                out.push(' ');
            }
            match r.below(6) {
                0 | 1 if depth > 0 => {
                    let nested_seq_compact = seq && r.below(2) == 0;
                    if nested_seq_compact {
                        // `- k: v` and its siblings under it.
                        tree(r, out, col + 2, step, depth - 1, true);
                        continue;
                    }
                    if r.below(4) == 0 {
                        out.push_str("&x");
                    }
                    if r.below(4) == 0 {
                        out.push_str(" # c");
                    }
                    out.push('\n');
                    if r.below(5) == 0 {
                        out.push_str("\n# comment\n");
                    }
                    // A mapping's sequence may sit at the mapping's own column.
                    let inner = if !seq && r.below(3) == 0 {
                        col
                    } else {
                        col + step
                    };
                    tree(r, out, inner, step, depth - 1, false);
                }
                2 => out.push('\n'),
                _ => {
                    out.push_str(SCALARS[r.below(SCALARS.len())]);
                    if r.below(6) == 0 {
                        out.push_str("  # c");
                    }
                    out.push('\n');
                }
            }
        }
    }

    /// Nested documents, most of them valid, some with a line moved, cut or doubled.
    fn random_trees(seed: u64, count: usize) -> usize {
        let mut r = Rng(seed);
        let mut read = 0;
        for _ in 0..count {
            let mut text = String::new();
            let step = 1 + r.below(4);
            let (col, depth) = (r.below(2), 1 + r.below(4));
            tree(&mut r, &mut text, col, step, depth, false);
            if r.below(3) == 0 {
                let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
                let at = r.below(lines.len());
                match r.below(4) {
                    0 => lines[at].insert(0, ' '),
                    1 => {
                        let l = lines[at].trim_start().to_owned();
                        lines[at] = l;
                    }
                    2 => lines.push(lines[at].clone()),
                    _ => {
                        lines.remove(at);
                    }
                }
                text = lines.join("\n") + "\n";
            }
            read += usize::from(read_alike(&text));
        }
        read
    }

    /// Whether the fast reader read `text` (with libyaml's events: it panics when
    /// they differ).
    fn read_alike(text: &str) -> bool {
        match agrees_with_libyaml(text) {
            Some(true) => true,
            Some(false) => panic!("the fast reader differs from libyaml on:\n{text}"),
            None => false,
        }
    }

    /// A number from the environment (to run more cases, or other ones, by hand).
    fn knob(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    }

    #[test]
    fn random_trees_read_fast_give_libyamls_events() {
        let count = knob("FAST_YAML_CASES", 20_000) as usize;
        let read = random_trees(knob("FAST_YAML_SEED", 11), count);
        eprintln!("read {read} of {count}");
        assert!(read > count / 4, "only {read} of {count} read");
    }

    #[test]
    fn random_texts_read_fast_give_libyamls_events() {
        let count = knob("FAST_YAML_CASES", 20_000) as usize;
        let read = random_texts(knob("FAST_YAML_SEED", 7), count);
        eprintln!("read {read} of {count}");
        // Enough of them are read, not declined, for the comparison to mean something.
        assert!(read > count / 20, "only {read} of {count} read");
    }
}
