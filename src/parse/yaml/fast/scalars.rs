//! Scalars, anchors and aliases: where each starts and ends, and its value.

use std::borrow::Cow;

use libyaml_safer::{EventData, ScalarStyle};

use super::{Anchor, Declined, Reader, R};
use crate::parse::yaml::Step;

/// Every character is one libyaml reads as itself and this reader knows: no tab,
/// no carriage return, no control character, no byte order mark, none of the
/// Unicode line breaks (NEL, U+2028, U+2029) and no U+FFFE/U+FFFF. The rest of
/// the reader can then take any byte it does not look at for a part of a scalar
/// or comment. `Some(true)` when every character is ASCII, `None` when one is not
/// known.
pub(super) fn plain_characters(s: &[u8]) -> Option<bool> {
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

/// The character an escape in a double-quoted scalar stands for, as libyaml reads
/// it, and how many bytes after the `\` it takes; `rest` is what follows the `\`.
/// Declined: a `\` ending the line (the scalar goes on, folded) and every escape
/// libyaml rejects (`\'` among them).
fn escape(rest: &[u8]) -> R<(char, usize)> {
    let c = match rest.first().copied().ok_or(Declined)? {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        hex @ (b'x' | b'u' | b'U') => {
            let digits = match hex {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let code = rest.get(1..1 + digits).ok_or(Declined)?;
            let code = std::str::from_utf8(code).map_err(|_| Declined)?;
            if !code.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Declined);
            }
            let code = u32::from_str_radix(code, 16).map_err(|_| Declined)?;
            return Ok((char::from_u32(code).ok_or(Declined)?, 1 + digits));
        }
        _ => return Err(Declined),
    };
    Ok((c, 1))
}

pub(super) fn blank_or_break(b: Option<u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\n'))
}

/// The characters of anchor and alias names that libyaml reads.
fn name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// How a plain scalar ended.
#[derive(PartialEq, Eq, Clone, Copy)]
pub(super) enum Stop {
    /// At the end of the line or a comment.
    Line,
    /// At `: ` (or `:` ending the line): the scalar is a key. The position is the colon's.
    Colon(usize),
    /// In a flow collection: at `,`, `]` or `}`.
    Flow,
}

impl<'a, F: FnMut(Step<'a>) -> bool> Reader<'a, F> {
    /// Whether a plain scalar may start at `i`.
    pub(super) fn plain_start(&self, i: usize, flow: bool) -> bool {
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
    pub(super) fn plain_at(&self, start: usize, flow: bool) -> (usize, Stop) {
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
    /// after its closing quote. Declines line breaks inside, and escapes other than
    /// [`escape`]'s. The value is borrowed from the text unless a `''` (one quote)
    /// or an escape is in it.
    pub(super) fn quoted_at(&self, start: usize) -> R<(Cow<'a, str>, usize)> {
        let q = self.at(start).ok_or(Declined)?;
        let s = self.s;
        let (mut from, mut i) = (start + 1, start + 1);
        let mut owned: Option<String> = None;
        loop {
            // Plain bytes first, in a loop of their own: most quoted scalars hold
            // nothing else.
            while s
                .get(i)
                .is_some_and(|&c| c != q && c != b'\\' && c != b'\n')
            {
                i += 1;
            }
            match s.get(i).copied() {
                None | Some(b'\n') => return Err(Declined),
                Some(b'\\') if q == b'"' => {
                    i = self.unescape(&mut owned, from, i)?;
                    from = i;
                }
                Some(b'\\') => i += 1,
                Some(_) if q == b'\'' && s.get(i + 1) == Some(&b'\'') => {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(self.text.get(from..i).ok_or(Declined)?);
                    o.push('\'');
                    i += 2;
                    from = i;
                }
                Some(_) => {
                    let rest = self.text.get(from..i).ok_or(Declined)?;
                    let value = match owned {
                        None => Cow::Borrowed(rest),
                        Some(mut o) => {
                            o.push_str(rest);
                            Cow::Owned(o)
                        }
                    };
                    return Ok((value, i + 1));
                }
            }
        }
    }

    /// The escape whose `\\` is at `at`, read into `owned` after the text from
    /// `from`: the byte after it. Apart, so that the loop over plain bytes stays
    /// small.
    #[cold]
    fn unescape(&self, owned: &mut Option<String>, from: usize, at: usize) -> R<usize> {
        let (c, len) = escape(self.s.get(at + 1..).unwrap_or_default())?;
        let o = owned.get_or_insert_with(String::new);
        o.push_str(self.text.get(from..at).ok_or(Declined)?);
        o.push(c);
        Ok(at + 1 + len)
    }

    /// A scalar (plain or quoted) at the cursor, emitted; the cursor moves past it.
    pub(super) fn scalar_here(&mut self, anchor: Option<Anchor<'_>>, flow: bool) -> R<Stop> {
        let start = self.pos;
        // libyaml's scalar event starts at its anchor.
        let sm = match anchor {
            Some(a) => a.start,
            None => self.mark(start),
        };
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                let (value, after) = self.quoted_at(start)?;
                let style = if q == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
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
                let em = self.mark(end);
                self.pos = end;
                self.scalar(anchor, Cow::Borrowed(value), ScalarStyle::Plain, sm, em);
                Ok(stop)
            }
        }
    }

    /// Spaces, an anchor if one is there, and spaces after it.
    pub(super) fn anchor_if_any(&mut self) -> R<Option<Anchor<'a>>> {
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
    pub(super) fn line_ends(&mut self) -> R<Option<Option<u64>>> {
        if !matches!(self.peek(), Some(b'\n' | b'#')) {
            return Ok(None);
        }
        self.skip_to_token()?;
        Ok(Some((!self.eof()).then(|| self.column(self.pos))))
    }

    /// The name of the anchor or alias whose `&` or `*` is at `start`, and the
    /// byte after it (declined when it is empty).
    fn name_at(&self, start: usize) -> R<(&'a str, usize)> {
        let mut i = start + 1;
        while self.at(i).is_some_and(name_char) {
            i += 1;
        }
        match i > start + 1 {
            true => Ok((self.text.get(start + 1..i).ok_or(Declined)?, i)),
            false => Err(Declined),
        }
    }

    /// `&name` at the cursor, followed by a space or a line break.
    pub(super) fn anchor_here(&mut self) -> R<Anchor<'a>> {
        let start = self.pos;
        let (name, i) = self.name_at(start)?;
        if !blank_or_break(self.at(i)) {
            return Err(Declined);
        }
        let a = Anchor {
            name,
            start: self.mark(start),
        };
        self.pos = i;
        Ok(a)
    }

    /// `*name` at the cursor, emitted.
    pub(super) fn alias_here(&mut self, flow: bool) -> R<()> {
        let start = self.pos;
        let (name, i) = self.name_at(start)?;
        let ends =
            blank_or_break(self.at(i)) || (flow && matches!(self.at(i), Some(b',' | b']' | b'}')));
        if !ends {
            return Err(Declined);
        }
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
}
