//! Block scalars (`|` and `>`): their value, built as libyaml's scanner builds it
//! (`scan_block_scalar` and `scan_block_scalar_breaks`), and their marks.

use std::borrow::Cow;

use libyaml_safer::ScalarStyle;

use super::{Anchor, Declined, Reader, R};
use crate::parse::yaml::Step;

/// What follows a block scalar's `|` or `>` on its line.
struct Header {
    /// `-` strips the final line break, `+` keeps every trailing one, neither
    /// keeps one.
    chomping: i8,
    /// An explicit indentation (1 to 9 columns past the collection's), or 0.
    increment: u64,
}

impl<'a, F: FnMut(Step<'a>) -> bool> Reader<'a, F> {
    /// The block scalar whose `|` or `>` is at the cursor, the value of an entry
    /// of the block collection in column `col` (libyaml's indentation level
    /// there). Returns with the cursor on the next token, as [`Reader::inline`].
    pub(super) fn block_scalar(&mut self, col: u64, anchor: Option<Anchor<'_>>) -> R<()> {
        let literal = self.peek() == Some(b'|');
        let indicator = self.mark(self.pos);
        let start = anchor.map_or(indicator, |a| a.start);
        self.pos += 1;
        let header = self.header()?;
        // The header's line break.
        self.next_line();
        let mut indent = match header.increment {
            0 => 0,
            n => col + n,
        };
        let mut value = String::new();
        let mut trailing = self.breaks(&mut indent, col);
        // The line break that ended the last content line, not yet added.
        let mut leading_break = false;
        let mut leading_blank = false;
        while self.column_of_indent() == indent && !self.eof() {
            let trailing_blank = self.peek() == Some(b' ');
            if !literal && leading_break && !leading_blank && !trailing_blank {
                // Folded: the break between two lines reads as a space, or as
                // nothing when empty lines (kept as breaks) come between them.
                if trailing == 0 {
                    value.push(' ');
                }
            } else if leading_break {
                value.push('\n');
            }
            push_breaks(&mut value, trailing);
            leading_blank = trailing_blank;
            let line_end = self.line_end();
            value.push_str(self.text.get(self.pos..line_end).ok_or(Declined)?);
            self.pos = line_end;
            self.next_line();
            leading_break = true;
            trailing = self.breaks(&mut indent, col);
        }
        if header.chomping != -1 && leading_break {
            value.push('\n');
        }
        if header.chomping == 1 {
            push_breaks(&mut value, trailing);
        }
        let style = match literal {
            true => ScalarStyle::Literal,
            false => ScalarStyle::Folded,
        };
        // libyaml's end: the start of the line that ended it (every skip of
        // breaks starts at a line's start, and ends at one after its last break).
        let end = self.mark(self.line_start);
        self.scalar(anchor, Cow::Owned(value), style, start, end);
        // What ended it: a line less indented (or the end). A document marker
        // there is left to libyaml, as anywhere else.
        if matches!(
            self.s.get(self.line_start..self.line_start + 3),
            Some(b"---" | b"...")
        ) {
            return Err(Declined);
        }
        self.skip_to_token()?;
        if !self.eof() && self.column(self.pos) > col {
            return Err(Declined);
        }
        Ok(())
    }

    /// The indicators after `|` or `>` (a chomping sign and an indentation digit,
    /// in either order), then spaces and a comment up to the line break, where
    /// the cursor is left. Anything else there is an error of libyaml's: declined.
    fn header(&mut self) -> R<Header> {
        let mut h = Header {
            chomping: 0,
            increment: 0,
        };
        let sign = |b: Option<u8>| match b {
            Some(b'+') => Some(1),
            Some(b'-') => Some(-1),
            _ => None,
        };
        let digit = |b: Option<u8>| match b {
            Some(d @ b'1'..=b'9') => Some(u64::from(d - b'0')),
            _ => None,
        };
        // An indentation of 0 is libyaml's error.
        if self.peek() == Some(b'0') {
            return Err(Declined);
        }
        if let Some(c) = sign(self.peek()) {
            h.chomping = c;
            self.pos += 1;
            if self.peek() == Some(b'0') {
                return Err(Declined);
            }
            if let Some(d) = digit(self.peek()) {
                h.increment = d;
                self.pos += 1;
            }
        } else if let Some(d) = digit(self.peek()) {
            h.increment = d;
            self.pos += 1;
            if let Some(c) = sign(self.peek()) {
                h.chomping = c;
                self.pos += 1;
            }
        }
        self.spaces();
        if self.peek() == Some(b'#') {
            self.pos = self.line_end();
        }
        match self.peek() {
            Some(b'\n') => Ok(h),
            _ => Err(Declined),
        }
    }

    /// Where the current line's break is (every text read ends with one).
    fn line_end(&self) -> usize {
        let rest = self.s.get(self.pos..).unwrap_or_default();
        self.pos + memchr::memchr(b'\n', rest).unwrap_or(rest.len())
    }

    /// Past the line break at the cursor, onto the next line.
    fn next_line(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    /// The cursor's column, where only spaces precede it on its line.
    fn column_of_indent(&self) -> u64 {
        (self.pos - self.line_start) as u64
    }

    /// libyaml's `scan_block_scalar_breaks`: skips the indentation and the empty
    /// lines before the next content line (or the line that ends the scalar),
    /// counting the line breaks skipped, and settles the indentation (`indent`,
    /// 0 until known) on the first content line. Called at a line's start.
    fn breaks(&mut self, indent: &mut u64, col: u64) -> usize {
        let mut max_indent = 0;
        let mut breaks = 0;
        loop {
            while (*indent == 0 || self.column_of_indent() < *indent) && self.peek() == Some(b' ') {
                self.pos += 1;
            }
            max_indent = max_indent.max(self.column_of_indent());
            if self.peek() != Some(b'\n') {
                break;
            }
            self.next_line();
            breaks += 1;
        }
        if *indent == 0 {
            *indent = max_indent.max(col + 1);
        }
        breaks
    }
}

fn push_breaks(value: &mut String, n: usize) {
    value.extend(std::iter::repeat_n('\n', n));
}
