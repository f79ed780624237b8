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
            && self.value_span.start == self.key_span.end
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
        let mut terminator = None;
        for (off, c) in text[key_start..].char_indices() {
            if is_inline_space(c) || is_key_char(c) {
                continue;
            }
            let at = key_start + off;
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
                    value_span: self.span(key_span.end, key_span.end),
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
                let line_end = match text[value_start..].find('\n') {
                    Some(i) => value_start + i,
                    None => len,
                };
                let mut raw = &text[value_start..line_end];
                if let Some(i) = raw.find(" #") {
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
mod tests {
    use super::*;
    use crate::source::FileKind;

    fn run(text: &str) -> (SourceFile, EnvFile) {
        let src = SourceFile::new(".env", FileKind::Env, text.to_string());
        let env = parse(FileId(0), &src);
        (src, env)
    }

    fn pairs(env: &EnvFile) -> Vec<(&str, &str)> {
        env.entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect()
    }

    fn entry<'a>(env: &'a EnvFile, key: &str) -> &'a EnvEntry {
        match env.entries.iter().find(|e| e.key == key) {
            Some(e) => e,
            None => panic!("no entry {key} in {:?}", pairs(env)),
        }
    }

    /// Every span slices the text on char boundaries; keys match their span.
    fn check_spans(src: &SourceFile, env: &EnvFile) {
        for e in &env.entries {
            assert!(src.text.is_char_boundary(e.key_span.start));
            assert!(src.text.is_char_boundary(e.key_span.end));
            assert!(src.text.is_char_boundary(e.value_span.start));
            assert!(src.text.is_char_boundary(e.value_span.end));
            assert_eq!(&src.text[e.key_span.start..e.key_span.end], e.key);
        }
        for d in &env.diags {
            assert!(d.span.end <= src.text.len());
            assert!(src.text.is_char_boundary(d.span.start));
            assert!(src.text.is_char_boundary(d.span.end));
        }
    }

    fn value_text<'a>(src: &'a SourceFile, e: &EnvEntry) -> &'a str {
        &src.text[e.value_span.start..e.value_span.end]
    }

    #[test]
    fn plain_fixture() {
        let (src, env) = run("OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n");
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        assert_eq!(
            pairs(&env),
            vec![
                ("OPTION_A", "1"),
                ("OPTION_B", "2"),
                ("OPTION_C", "3"),
                ("OPTION_D", "4"),
                ("OPTION_E", "5"),
                ("456", "ABC"),
                ("OPTION_F", ""),
                ("OPTION_G", ""),
                ("OPTION_H", "my string"),
            ]
        );
        let h = entry(&env, "OPTION_H");
        assert_eq!(value_text(&src, h), "my string");
        assert_eq!(h.quote, Quote::None);
        assert!(h.expand);
    }

    #[test]
    fn empty_value_span_sits_after_equals() {
        let (src, env) = run("A=\nB = \nC: \n");
        check_spans(&src, &env);
        for (key, eq) in [("A", 1), ("B", 5), ("C", 9)] {
            let e = entry(&env, key);
            assert_eq!(e.value, "");
            assert_eq!((e.value_span.start, e.value_span.end), (eq + 1, eq + 1));
            assert!(!e.is_inherited());
        }
    }

    #[test]
    fn quote_styles() {
        let (src, env) = run(
            "A='1'\nB=\"2\"\nC=''\nD='\\n'\nE=\"\\n\"\nF = \"echo 'asd'\" # Inline comment\nG='Let\\'s go!'\nH='$X'\nI=\"$X\"\n",
        );
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        assert_eq!(
            pairs(&env),
            vec![
                ("A", "1"),
                ("B", "2"),
                ("C", ""),
                ("D", "\\n"),
                ("E", "\n"),
                ("F", "echo 'asd'"),
                ("G", "Let's go!"),
                ("H", "$X"),
                ("I", "$X"),
            ]
        );
        let a = entry(&env, "A");
        assert_eq!((a.quote, a.expand), (Quote::Single, false));
        assert_eq!(value_text(&src, a), "'1'");
        let b = entry(&env, "B");
        assert_eq!((b.quote, b.expand), (Quote::Double, true));
        assert_eq!(value_text(&src, b), "\"2\"");
        assert_eq!(value_text(&src, entry(&env, "C")), "''");
        assert_eq!(value_text(&src, entry(&env, "F")), "\"echo 'asd'\"");
        assert_eq!(value_text(&src, entry(&env, "G")), "'Let\\'s go!'");
    }

    #[test]
    fn double_quote_escapes() {
        let (_, env) = run(concat!(
            r#"A="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#,
            "\n",
            r#"B="escaped\"bar""#,
            "\n",
            r#"C="\x07 \u12e4 \c \q""#,
            "\n",
            r#"D="foo\$BAR \${BAR}""#,
            "\n",
            r#"E="bar\nbaz\\""#,
            "\n",
            r#"F="\0 \01 \012 \0377 \0400 \089""#,
            "\n",
            r#"G="a\\\nb""#,
            "\n",
        ));
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        assert_eq!(
            entry(&env, "A").value,
            "Z\u{7}Z\u{8}Z\u{c}Z\nZ\rZ\tZ\u{b}Z\\ZSZ"
        );
        assert_eq!(entry(&env, "B").value, "escaped\"bar");
        assert_eq!(entry(&env, "C").value, r"\x07 \u12e4 \c \q");
        // `$$` is left for the expansion step, which reads it as `$`.
        assert_eq!(entry(&env, "D").value, "foo$$BAR $${BAR}");
        assert_eq!(entry(&env, "E").value, "bar\nbaz\\");
        assert_eq!(entry(&env, "F").value, "\\ \\1 \\12 \u{ff} \\400 \\89");
        assert_eq!(entry(&env, "G").value, "a\\\nb");
    }

    #[test]
    fn single_quotes_keep_backslashes() {
        let (_, env) = run(r#"A='a\\b\nc\"d'"#);
        assert!(env.diags.is_empty());
        assert_eq!(entry(&env, "A").value, r#"a\\b\nc\"d"#);
    }

    #[test]
    fn unquoted_values_are_raw() {
        let (_, env) = run("A=a\\tb\nB=foobar=\nC=1:B\nD:  Foo=bar\nE=\"x\"y\n");
        assert_eq!(
            pairs(&env),
            vec![
                ("A", "a\\tb"),
                ("B", "foobar="),
                ("C", "1:B"),
                ("D", "Foo=bar"),
                ("E", "x"),
                ("y", ""),
            ]
        );
    }

    #[test]
    fn multi_line_values() {
        let text = "J = 'first line\nsecond line\nthird line'\nK=\"a\n  b\\n\"\nZ=z\n";
        let (src, env) = run(text);
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        let j = entry(&env, "J");
        assert_eq!(j.value, "first line\nsecond line\nthird line");
        assert_eq!(value_text(&src, j), "'first line\nsecond line\nthird line'");
        assert_eq!(entry(&env, "K").value, "a\n  b\n");
        assert_eq!(entry(&env, "Z").value, "z");
    }

    #[test]
    fn export_prefix() {
        let (src, env) = run(
            "export A=2\nexport B='\\n'\nexport exportFoo=2\nexportFOO=2\nexport_FOO =2\nexport.FOO= 2\nexport\tC=2\n  export D=2\nexport E=\"export A\"\nexport=1\nexport   F\n",
        );
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        let got: Vec<_> = env
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.exported))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A", "2", true),
                ("B", "\\n", true),
                ("exportFoo", "2", true),
                ("exportFOO", "2", false),
                ("export_FOO", "2", false),
                ("export.FOO", "2", false),
                ("C", "2", true),
                ("D", "2", true),
                ("E", "export A", true),
                ("export", "1", false),
                ("F", "", true),
            ]
        );
        assert!(entry(&env, "F").is_inherited());
    }

    #[test]
    fn bare_export_is_reported() {
        let (_, env) = run("export\nA=1\nexport");
        assert_eq!(pairs(&env), vec![("A", "1")]);
        assert_eq!(env.diags.len(), 2);
        assert_eq!((env.diags[0].span.start, env.diags[0].span.end), (0, 6));
    }

    #[test]
    fn inline_comments() {
        let (src, env) = run(
            "A=bar # this is foo\nB=bar #this\nC=bar #\nD=123#not-a-comment\nE=a#b\nF=\"bar#baz\" # c\nG='bar#baz'#c\nH=\"bar#baz\"#\nI=a\t#b\nJ= # value\n",
        );
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        assert_eq!(
            pairs(&env),
            vec![
                ("A", "bar"),
                ("B", "bar"),
                ("C", "bar"),
                ("D", "123#not-a-comment"),
                ("E", "a#b"),
                ("F", "bar#baz"),
                ("G", "bar#baz"),
                ("H", "bar#baz"),
                // Compose cuts only at a space then `#`.
                ("I", "a\t#b"),
                // The blanks after `=` are skipped first, so nothing precedes the `#`.
                ("J", "# value"),
            ]
        );
        assert_eq!(value_text(&src, entry(&env, "A")), "bar");
    }

    #[test]
    fn comments_and_blank_lines() {
        let (_, env) = run("\n\r\n\t\t \n# Comment\n\t # comment\nA=1\n#B=2\n   \n");
        assert!(env.diags.is_empty());
        assert_eq!(pairs(&env), vec![("A", "1")]);
    }

    #[test]
    fn inherited_keys() {
        let (src, env) = run("foo=bar\nVAR_FROM_OS\nbar=baz\n  LAST  ");
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        assert_eq!(
            pairs(&env),
            vec![
                ("foo", "bar"),
                ("VAR_FROM_OS", ""),
                ("bar", "baz"),
                ("LAST", "")
            ]
        );
        let v = entry(&env, "VAR_FROM_OS");
        assert!(v.is_inherited());
        assert_eq!(v.value_span.start, v.key_span.end);
        assert!(entry(&env, "LAST").is_inherited());
        assert!(!entry(&env, "foo").is_inherited());
    }

    #[test]
    fn yaml_colon_form() {
        let (_, env) = run("FOO:BAR\nZOT:QIX\nOPTION_A: 1\n");
        assert_eq!(
            pairs(&env),
            vec![("FOO", "BAR"), ("ZOT", "QIX"), ("OPTION_A", "1")]
        );
    }

    #[test]
    fn key_characters() {
        let (src, env) = run(
            "VAR.WITH.DOTS=dots\nVAR-WITH-DASHES=dashes\na[1]=c\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép\n",
        );
        check_spans(&src, &env);
        assert!(env.diags.is_empty());
        assert_eq!(
            pairs(&env),
            vec![
                ("VAR.WITH.DOTS", "dots"),
                ("VAR-WITH-DASHES", "dashes"),
                ("a[1]", "c"),
                ("árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép"),
            ]
        );
    }

    #[test]
    fn spans_are_exact() {
        let text = "  export KEY_1 = \"a b\"  # c\nK2='x'\nK3 =  plain value  # c\n";
        let (src, env) = run(text);
        check_spans(&src, &env);
        let k1 = entry(&env, "KEY_1");
        assert_eq!(k1.key_span.start, 9);
        assert_eq!(value_text(&src, k1), "\"a b\"");
        assert_eq!(k1.value_span.start, 17);
        assert_eq!(value_text(&src, entry(&env, "K2")), "'x'");
        let k3 = entry(&env, "K3");
        assert_eq!(value_text(&src, k3), "plain value");
        assert_eq!(k3.value, "plain value");
    }

    #[test]
    fn crlf() {
        let text = "A=1\r\nB = 'two'\r\nC=\"x\r\ny\"\r\nD\r\n# c\r\nE=e # c\r\n";
        let (src, env) = run(text);
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        assert_eq!(
            pairs(&env),
            // Compose keeps the CR inside a multi-line quoted value.
            vec![
                ("A", "1"),
                ("B", "two"),
                ("C", "x\r\ny"),
                ("D", ""),
                ("E", "e")
            ]
        );
        assert_eq!(value_text(&src, entry(&env, "A")), "1");
        assert!(entry(&env, "D").is_inherited());
    }

    #[test]
    fn bom_is_skipped() {
        let (src, env) = run("\u{feff}A=1\nB=2\n");
        check_spans(&src, &env);
        assert!(env.diags.is_empty());
        assert_eq!(pairs(&env), vec![("A", "1"), ("B", "2")]);
        assert_eq!(entry(&env, "A").key_span.start, 3);
    }

    #[test]
    fn non_ascii_values() {
        let text = "A=héllo wörld # ç\nB=\"日本語\\n\"\nC='€'\nD=😀\nÉ=1\n";
        let (src, env) = run(text);
        check_spans(&src, &env);
        assert!(env.diags.is_empty(), "{:?}", env.diags);
        assert_eq!(
            pairs(&env),
            vec![
                ("A", "héllo wörld"),
                ("B", "日本語\n"),
                ("C", "€"),
                ("D", "😀"),
                ("É", "1")
            ]
        );
        assert_eq!(value_text(&src, entry(&env, "A")), "héllo wörld");
        assert_eq!(value_text(&src, entry(&env, "B")), "\"日本語\\n\"");
    }

    #[test]
    fn unterminated_quote_then_recovery() {
        let text = "A=1\nB=\"never closed\nC=3\nD='x\n";
        let (src, env) = run(text);
        check_spans(&src, &env);
        assert_eq!(pairs(&env), vec![("A", "1"), ("C", "3")]);
        assert_eq!(env.diags.len(), 2, "{:?}", env.diags);
        assert_eq!(src.slice(&env.diags[0].span), "\"never closed");
        assert!(env.diags[0].message.contains("unterminated"));
        assert_eq!(src.slice(&env.diags[1].span), "'x");
    }

    #[test]
    fn unterminated_cases() {
        for text in [
            "KEY=\"",
            "KEY=\"value",
            "KEY=\"value\\\"",
            "KEY=\"value'",
            "KEY='",
            "KEY='value",
            "KEY='value\\'",
            "KEY='value\"",
        ] {
            let (_, env) = run(text);
            assert!(env.entries.is_empty(), "{text}");
            assert_eq!(env.diags.len(), 1, "{text}");
            assert!(env.diags[0].message.contains("unterminated"), "{text}");
        }
    }

    #[test]
    fn lone_quotes_stay_fast() {
        let mut text = String::new();
        for i in 0..30_000 {
            text.push_str(&format!("A{i}=\"x\nB{i}='y\\'\nC{i}=z\nlol$wut\n"));
        }
        let start = std::time::Instant::now();
        let (src, env) = run(&text);
        check_spans(&src, &env);
        assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
    }

    #[test]
    fn garbage_lines() {
        let text = "# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nlol$wut\n%!(EXTRA string)=foo\n=value\n{ json: 1 }\n- X=1\nzot=qix\n😀=1\nok=1";
        let (src, env) = run(text);
        check_spans(&src, &env);
        assert_eq!(
            pairs(&env),
            vec![
                ("foo", "\n  a\n  multine\n  value\n"),
                ("zot", "qix"),
                ("ok", "1")
            ]
        );
        let flagged: Vec<_> = env.diags.iter().map(|d| src.slice(&d.span)).collect();
        assert_eq!(
            flagged,
            vec!["INVALID LINE", "$", "%", "=", "{", "- X", "😀"]
        );
    }

    #[test]
    fn text_after_closing_quote() {
        let (src, env) = run("A=\"x\" B=y\nC='z' more text\nD=\"d\"e\nF=1\n");
        check_spans(&src, &env);
        // Compose's reading: `B=y` is a second statement, `e` an inherited key,
        // and `more text` an error.
        assert_eq!(
            pairs(&env),
            vec![
                ("A", "x"),
                ("B", "y"),
                ("C", "z"),
                ("D", "d"),
                ("e", ""),
                ("F", "1")
            ]
        );
        let flagged: Vec<_> = env.diags.iter().map(|d| src.slice(&d.span)).collect();
        assert_eq!(flagged, vec!["B=y", "more text", "e"]);
    }

    #[test]
    fn duplicates_are_kept_in_order() {
        let (_, env) = run("A=1\nA=2\n");
        assert_eq!(pairs(&env), vec![("A", "1"), ("A", "2")]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let inputs = [
            "",
            "\u{feff}",
            "=",
            ":",
            "\"",
            "'",
            "\\",
            "A=\\",
            "A=\"\\",
            "A='\\",
            "export",
            "export ",
            "A",
            "A=\"\\0",
            "A=\"\\01\"",
            "\u{a0}A\u{a0}=\u{a0}b",
            "A\u{85}B=1",
            "A=\"x\"\u{a0}y",
            "\r",
            "\r\r\n",
            "A=\"é\\é\"",
            "#",
            "# é",
            "A\tB=1",
            "A=\"\\0999\"",
        ];
        for text in inputs {
            let (src, env) = run(text);
            check_spans(&src, &env);
        }
        // Every prefix of a tricky file, cut on char boundaries.
        let text = "export A = \"x\\\"y\" # c\nB='é\n'\nC=ü # d\nD\n";
        for (i, _) in text.char_indices() {
            let (src, env) = run(&text[..i]);
            check_spans(&src, &env);
        }
    }
}
