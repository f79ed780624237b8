//! `.env` files in compose's dotenv syntax, every key and value with its span.
//!
//! The grammar is the one of compose-go's `dotenv` package, which docker compose
//! uses both for the project `.env` file and for `env_file:` entries:
//!
//! - Blank lines and lines whose first non-blank character is `#` are skipped.
//! - A statement is `[export ]KEY=value` or `[export ]KEY: value` (compose also
//!   accepts the YAML-ish colon form). Blanks may surround the key and the `=`.
//!   A key is made of letters, digits (Unicode), `_`, `.`, `-`, `[` and `]`.
//! - `KEY` alone on its line means "take KEY from the environment of compose":
//!   it is set when that variable exists and left unset otherwise. It is kept
//!   as an entry with an empty value; see [`EnvEntry::is_inherited`].
//! - Unquoted values run to the end of the line, are cut at the first ` #`
//!   (a space then `#`, only a space: `a\t#b` and `a#b` stay whole) and are
//!   trimmed. No backslash escapes apply to them.
//! - Single-quoted values are literal and may span lines; only `\'` is an
//!   escape (for the quote), every other backslash stays.
//! - Double-quoted values may span lines; `\"` is the quote, and the echo-style
//!   escapes `\a \b \f \n \r \t \v \\ \0NNN` (octal) are applied. `\$` becomes
//!   `$$`, which the expansion step reads as a literal `$`.
//! - After a closing quote only blanks and a `#` comment may follow.
//!
//! Compose rejects a whole file at its first error; here each problem becomes a
//! [`ParseDiag`] and parsing resumes on the next line. Most diags mark a file
//! compose refuses (bad character in a key, space in a key, unterminated
//! quote). A few flag what compose accepts but surely was not meant:
//! - text after a closing quote: compose reads it as the next statement
//!   (`A="x" B=y` sets both), and so does this parser, with a diag;
//! - an empty key (`=value`): compose sets a variable named ""; no entry here;
//! - `export` alone: compose ignores it; no entry here;
//! - a tab or other blank inside a key: compose rejects only a plain space.
//!
//! One deliberate difference: a bare `KEY` on the last line without a line
//! break is inherited like any other bare key, where compose-go reads it as the
//! value of an empty key.

use crate::finding::ParseDiag;
use crate::source::{FileId, SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quote {
    None,
    Single,
    Double,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EnvEntry {
    pub key: String,
    pub key_span: Span,
    /// The value after unquoting and unescaping, before `${VAR}` expansion.
    pub value: String,
    /// The value's text in the file, quotes included (empty span after `=` for `KEY=`).
    pub value_span: Span,
    pub quote: Quote,
    /// Whether `${VAR}` references in the value are expanded (false for single quotes).
    pub expand: bool,
    pub exported: bool,
}

impl EnvEntry {
    /// A bare `KEY` line (no `=`): compose copies KEY from its own environment,
    /// or leaves it unset when that has no KEY. Such an entry has an empty value
    /// and an empty `value_span` placed exactly at the end of `key_span` (for
    /// `KEY=` the empty span sits after the `=`, so the two never coincide).
    pub fn is_inherited(&self) -> bool {
        self.quote == Quote::None
            && self.value_span.is_empty()
            && self.value_span.start() == self.key_span.end()
    }
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct EnvFile {
    pub entries: Vec<EnvEntry>,
    #[serde(skip)]
    pub diags: Vec<ParseDiag>,
}

pub fn parse(file: FileId, src: &SourceFile) -> EnvFile {
    let mut parser = Parser {
        file,
        text: &src.text,
        out: EnvFile::default(),
    };
    // About one entry a line: reserved once rather than grown (bounded, for a
    // file of blank lines).
    let lines = src.text.bytes().filter(|&b| b == b'\n').count();
    parser.out.entries.reserve(lines.min(1 << 16));
    parser.run();
    parser.out
}

/// Blanks inside a line, as compose's dotenv defines them (no `\n`, but `\r`,
/// so CRLF files need no special case).
fn is_inline_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

fn is_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphabetic() || c.is_numeric()
}

/// One statement that parsed.
struct Parsed {
    entry: EnvEntry,
    /// Where the next statement may start.
    next: usize,
    /// `next` points at text that followed a closing quote on the same line.
    trailing: bool,
}

/// One statement that did not parse: the problem and where to resume.
struct Failed {
    diag: ParseDiag,
    resume: usize,
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    out: EnvFile,
}

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn run(&mut self) {
        let len = self.text.len();
        // The caller may have left the BOM in; compose drops it too.
        let mut pos = if self.text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        let mut trailing = false;
        loop {
            pos = self.statement_start(pos);
            if pos >= len {
                break;
            }
            let next = match self.statement(pos) {
                Ok(parsed) => {
                    self.out.entries.push(parsed.entry);
                    trailing = parsed.trailing;
                    parsed.next
                }
                Err(failed) => {
                    // Text after a closing quote already has its own diag;
                    // one per mistake is enough.
                    if !trailing {
                        self.out.diags.push(failed.diag);
                    }
                    trailing = false;
                    failed.resume
                }
            };
            // Every path consumes input; this guard only makes that structural.
            pos = if next > pos {
                next
            } else {
                self.next_line(pos)
            };
        }
    }

    /// Skips blanks, line breaks and `#` comment lines.
    fn statement_start(&self, mut pos: usize) -> usize {
        let len = self.text.len();
        while pos < len {
            let rest = &self.text[pos..];
            let trimmed = rest.trim_start();
            pos += rest.len() - trimmed.len();
            if trimmed.starts_with('#') {
                pos = self.next_line(pos);
            } else {
                break;
            }
        }
        pos.min(len)
    }

    /// The offset after the next `\n` at or after `from`, or the end of the text.
    fn next_line(&self, from: usize) -> usize {
        let from = from.min(self.text.len());
        match self.text[from..].find('\n') {
            Some(i) => from + i + 1,
            None => self.text.len(),
        }
    }

    /// The end of the line holding `from`, without the line break.
    fn line_end(&self, from: usize) -> usize {
        let from = from.min(self.text.len());
        let end = match self.text[from..].find('\n') {
            Some(i) => from + i,
            None => self.text.len(),
        };
        from + self.text[from..end].trim_end().len()
    }

    fn skip_inline_space(&self, mut pos: usize) -> usize {
        while let Some(c) = self.text[pos..].chars().next() {
            if !is_inline_space(c) {
                break;
            }
            pos += c.len_utf8();
        }
        pos
    }

    fn fail(&self, start: usize, end: usize, message: impl Into<String>) -> Failed {
        Failed {
            diag: ParseDiag::new(self.span(start, end), message),
            resume: self.next_line(start),
        }
    }

    /// `export` followed by a blank (a line break included, as compose's
    /// `^export\s+` does) or by the end of the file is a prefix, not a key.
    fn export_prefix(&self, start: usize) -> Option<usize> {
        let rest = self.text[start..].strip_prefix("export")?;
        match rest.chars().next() {
            None => Some(self.text.len()),
            Some(' ' | '\t' | '\n' | '\r' | '\u{c}') => {
                Some(self.skip_inline_space(start + "export".len()))
            }
            Some(_) => None,
        }
    }

    fn statement(&mut self, start: usize) -> Result<Parsed, Failed> {
        let text = self.text;
        let len = text.len();
        let (key_start, exported) = match self.export_prefix(start) {
            Some(p) => (p, true),
            None => (start, false),
        };

        // The key ends at `=`, `:` or the line break (an inherited key).
        let bytes = text.as_bytes();
        let mut terminator = None;
        let mut at = key_start;
        while at < len {
            // ASCII key characters and blanks, byte by byte (keys are ASCII
            // nearly always); anything else is decoded and judged below.
            let b = bytes[at];
            if b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'.' | b'-' | b'[' | b']' | b' ' | b'\t' | b'\r' | 0x0b | 0x0c
                )
            {
                at += 1;
                continue;
            }
            let Some(c) = text[at..].chars().next() else {
                break;
            };
            if is_inline_space(c) || is_key_char(c) {
                at += c.len_utf8();
                continue;
            }
            if matches!(c, '=' | ':' | '\n') {
                terminator = Some((at, c));
                break;
            }
            return Err(self.fail(
                at,
                at + c.len_utf8(),
                format!("unexpected character {c:?} in variable name"),
            ));
        }
        // A bare key on the last line, without a line break, is inherited too
        // (compose-go reads it as the value of an empty key, surely unintended).
        let (term, inherited) = match terminator {
            Some((at, c)) => (at, c == '\n'),
            None => (len, true),
        };

        let key = text[key_start..term].trim_end();
        let key_span = self.span(key_start, key_start + key.len());
        if key.is_empty() {
            // Compose sets a variable with an empty name; nothing can use it.
            return Err(if exported && inherited {
                self.fail(
                    start,
                    start + "export".len(),
                    "`export` without a variable name",
                )
            } else {
                let end = (term + 1).min(len);
                self.fail(term, end, "missing variable name before the value")
            });
        }
        if key.contains(char::is_whitespace) {
            return Err(Failed {
                diag: ParseDiag::new(key_span, "variable name cannot contain whitespace"),
                resume: self.next_line(term),
            });
        }
        let key = key.to_string();

        if inherited {
            return Ok(Parsed {
                entry: EnvEntry {
                    key,
                    key_span,
                    value: String::new(),
                    value_span: self.span(key_span.end(), key_span.end()),
                    quote: Quote::None,
                    expand: true,
                    exported,
                },
                next: (term + 1).min(len),
                trailing: false,
            });
        }

        let after_eq = term + 1;
        let value_start = self.skip_inline_space(after_eq);
        let entry = |value: String, value_span: Span, quote: Quote| EnvEntry {
            key,
            key_span,
            value,
            value_span,
            quote,
            expand: quote != Quote::Single,
            exported,
        };

        let quote = match text[value_start..].chars().next() {
            Some('"') => '"',
            Some('\'') => '\'',
            _ => {
                let line_end = match find_ascii(&text[value_start..], b'\n') {
                    Some(i) => value_start + i,
                    None => len,
                };
                let mut raw = &text[value_start..line_end];
                if let Some(i) = comment_start(raw) {
                    raw = &raw[..i];
                }
                let value = raw.trim_end();
                let value_span = if value.is_empty() {
                    self.span(after_eq, after_eq)
                } else {
                    self.span(value_start, value_start + value.len())
                };
                return Ok(Parsed {
                    entry: entry(value.to_string(), value_span, Quote::None),
                    next: (line_end + 1).min(len),
                    trailing: false,
                });
            }
        };

        // A backslash escapes the next character; it is dropped only before the
        // quote itself (the other escapes are resolved below, double quotes only).
        let body = value_start + 1;
        let mut raw = String::new();
        let mut escaped = false;
        let mut close = None;
        for (off, c) in text[body..].char_indices() {
            if escaped {
                escaped = false;
                if c != quote {
                    raw.push('\\');
                }
                raw.push(c);
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                close = Some(body + off);
                break;
            } else {
                raw.push(c);
            }
        }
        // A scan that reaches the end happens at most once per quote character:
        // a later opening quote follows `=` or a blank, never a backslash, so
        // it would have closed this scan. Parsing stays linear.
        let Some(close) = close else {
            let what = if quote == '"' { "double" } else { "single" };
            return Err(Failed {
                diag: ParseDiag::new(
                    self.span(value_start, self.line_end(value_start)),
                    format!("unterminated {what}-quoted value: no closing {quote} before the end of the file"),
                ),
                resume: self.next_line(value_start),
            });
        };

        let (value, quote_kind) = if quote == '"' {
            (unescape_double(&raw), Quote::Double)
        } else {
            (raw, Quote::Single)
        };
        let parsed_entry = entry(value, self.span(value_start, close + 1), quote_kind);

        let rest = self.skip_inline_space(close + 1);
        match text[rest..].chars().next() {
            None | Some('\n') | Some('#') => Ok(Parsed {
                entry: parsed_entry,
                next: self.next_line(rest),
                trailing: false,
            }),
            Some(_) => {
                // Compose reads this text as the next statement (`A="x" B=y` sets
                // both): parse it the same way, but flag it.
                self.out.diags.push(ParseDiag::new(
                    self.span(rest, self.line_end(rest)),
                    "unexpected text after the closing quote; compose reads it as another statement",
                ));
                Ok(Parsed {
                    entry: parsed_entry,
                    next: rest,
                    trailing: true,
                })
            }
        }
    }
}

/// The first `needle` (ASCII) in `hay`. Most values are a few bytes, where a
/// plain loop beats memchr's setup (twice per line of a `.env` of many keys);
/// past its first bytes a long value is left to memchr.
fn find_ascii(hay: &str, needle: u8) -> Option<usize> {
    const SHORT: usize = 32;
    let b = hay.as_bytes();
    if let Some(i) = b.iter().take(SHORT).position(|&c| c == needle) {
        return Some(i);
    }
    // An ASCII needle is never inside a multi-byte character: start the rest at
    // the first character boundary from `SHORT` on.
    let mut from = SHORT;
    while from < b.len() && !hay.is_char_boundary(from) {
        from += 1;
    }
    hay.get(from..)?.find(char::from(needle)).map(|i| from + i)
}

/// Where an inline comment (` #`, only a space then `#`) starts in an unquoted
/// value. Searches for `#` alone rather than the two-byte pattern.
fn comment_start(raw: &str) -> Option<usize> {
    let bytes = raw.as_bytes();
    let mut from = 0;
    while let Some(i) = find_ascii(&raw[from..], b'#') {
        let at = from + i;
        if at > 0 && bytes[at - 1] == b' ' {
            return Some(at - 1);
        }
        from = at + 1;
    }
    None
}

/// The escapes compose applies inside double quotes. Anything else keeps its
/// backslash (`\x41`, `\u00e9` and `\c` are not escapes there).
fn unescape_double(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&s[run..i]);
        let simple = match bytes.get(i + 1) {
            Some(b'a') => Some("\u{7}"),
            Some(b'b') => Some("\u{8}"),
            Some(b'f') => Some("\u{c}"),
            Some(b'n') => Some("\n"),
            Some(b'r') => Some("\r"),
            Some(b't') => Some("\t"),
            Some(b'v') => Some("\u{b}"),
            Some(b'\\') => Some("\\"),
            Some(b'"') => Some("\""),
            // `$$` is the expansion step's escape for a literal `$`.
            Some(b'$') => Some("$$"),
            _ => None,
        };
        if let Some(rep) = simple {
            out.push_str(rep);
            i += 2;
        } else if bytes.get(i + 1) == Some(&b'0') {
            // `\0` then up to three digits; exactly three octal digits worth at
            // most 255 make a character (U+0000..U+00FF). Otherwise compose
            // keeps the text with the `0` dropped (`\01` gives `\1`).
            let digits_start = i + 2;
            let ndigits = bytes[digits_start..]
                .iter()
                .take(3)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let digits = &s[digits_start..digits_start + ndigits];
            match u32::from_str_radix(digits, 8) {
                Ok(v) if ndigits == 3 && v <= 0xff => out.push(char::from(v as u8)),
                _ => {
                    out.push('\\');
                    out.push_str(digits);
                }
            }
            i = digits_start + ndigits;
        } else {
            out.push('\\');
            i += 1;
        }
        run = i;
    }
    out.push_str(&s[run..]);
    out
}

#[cfg(test)]
mod tests;
