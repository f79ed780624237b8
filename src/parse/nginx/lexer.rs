//! The NGINX tokenizer: bytes to words, `;`, `{`, `}` and raw Lua bodies, by
//! the rules listed in the parent module.

use crate::finding::ParseDiag;
use crate::source::{FileId, Span};

use super::{Arg, Capped};

/// Restarts after an unterminated quote (see [`Lexer::run`]); bounded so that
/// the whole lexing stays linear whatever the input.
const MAX_QUOTE_RESTARTS: usize = 8;

const LUA_BLOCK_SUFFIX: &str = "_by_lua_block";

#[derive(Debug)]
pub(super) enum Tok {
    Word(Arg),
    Semi(usize),
    Open(usize),
    Close(usize),
    /// A `*_by_lua_block` body: the `{` offset, the raw body, the `}` offset
    /// (`None` when the file ends first).
    Lua {
        open: usize,
        body: Arg,
        close: Option<usize>,
    },
}

pub(super) struct Lexer<'a, F: FnMut(Tok)> {
    file: FileId,
    text: &'a str,
    b: &'a [u8],
    /// Where each token goes, as soon as it is read.
    emit: F,
    pub(super) diags: Capped,
    /// Words in the current statement so far; the first is the directive name.
    stmt_words: usize,
    /// The current statement's name ends in `_by_lua_block`.
    lua_stmt: bool,
}

fn is_space(ch: u8) -> bool {
    matches!(ch, b' ' | b'\t' | b'\r' | b'\n')
}

impl<'a, F: FnMut(Tok)> Lexer<'a, F> {
    pub(super) fn new(file: FileId, text: &'a str, emit: F) -> Self {
        Lexer {
            file,
            text,
            b: text.as_bytes(),
            emit,
            diags: Capped::default(),
            stmt_words: 0,
            lua_stmt: false,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    pub(super) fn run(&mut self) {
        let len = self.b.len();
        let mut pos = 0;
        if self.text.starts_with('\u{feff}') {
            // nginx does not skip a BOM: it becomes part of the first name and
            // the file is rejected ("unknown directive"). Report it, then read
            // on as if it were not there so the rest can be checked.
            self.diags.push(ParseDiag::new(
                self.span(0, 3),
                "byte order mark at the start of the file: nginx reads it as part of the first directive name",
            ));
            pos = 3;
        }
        // A quote found unterminated at end of file is re-read as a plain
        // character (see below); this is where that quote is.
        let mut plain_quote_at: Option<usize> = None;
        let mut restarts = 0;

        'restart: loop {
            // The nginx state machine. `start` is `Some` inside a token
            // (nginx's `!last_space`).
            let mut start: Option<usize> = None;
            let mut quote: Option<u8> = None;
            let mut need_space = false;
            let mut variable = false;
            let mut escaped = false;
            let mut comment = false;

            while pos < len {
                let at = pos;
                let ch = self.b[at];
                pos += 1;

                if comment {
                    if ch == b'\n' {
                        comment = false;
                    }
                    continue;
                }
                if escaped {
                    escaped = false;
                    continue;
                }
                if need_space {
                    need_space = false;
                    match ch {
                        _ if is_space(ch) => continue,
                        b';' => {
                            self.semi(at);
                            continue;
                        }
                        b'{' => {
                            pos = self.open(at);
                            continue;
                        }
                        b'}' => {
                            self.close(at);
                            continue;
                        }
                        // nginx accepts `)` right after a quote, for
                        // `if ($a = "b")`; it then starts the next token.
                        b')' => {}
                        _ => {
                            self.after_quote(at);
                            // Recover as crossplane does: a new token starts
                            // here. Never a comment, which could swallow a `;`.
                            if ch == b'#' {
                                start = Some(at);
                                continue;
                            }
                        }
                    }
                }

                let Some(s) = start else {
                    match ch {
                        _ if is_space(ch) => {}
                        b';' => self.semi(at),
                        b'{' => pos = self.open(at),
                        b'}' => self.close(at),
                        b'#' => comment = true,
                        _ => {
                            start = Some(at);
                            match ch {
                                b'\\' => escaped = true,
                                b'"' | b'\'' if plain_quote_at != Some(at) => quote = Some(ch),
                                b'$' => variable = true,
                                _ => {}
                            }
                        }
                    }
                    continue;
                };

                // Inside a token. `${` keeps the `{` (and nginx keeps the
                // variable flag set, so `${{` does too).
                if ch == b'{' && variable {
                    continue;
                }
                variable = false;
                if ch == b'\\' {
                    escaped = true;
                    continue;
                }
                if ch == b'$' {
                    variable = true;
                    continue;
                }
                match quote {
                    Some(q) => {
                        if ch == q {
                            quote = None;
                            start = None;
                            need_space = true;
                            self.word(s, pos, true);
                        }
                    }
                    None => {
                        if is_space(ch) || ch == b';' || ch == b'{' {
                            start = None;
                            self.word(s, at, false);
                            if ch == b';' {
                                self.semi(at);
                            } else if ch == b'{' {
                                pos = self.open(at);
                            }
                        }
                    }
                }
            }

            // End of file.
            if let Some(s) = start {
                if let Some(q) = quote {
                    self.unterminated(s, q);
                    if restarts < MAX_QUOTE_RESTARTS {
                        // Read again from the quote, taking it as a plain
                        // character: a forgotten closing quote then costs one
                        // token, not the rest of the file.
                        restarts += 1;
                        plain_quote_at = Some(s);
                        pos = s;
                        continue 'restart;
                    }
                    self.word_with(s, len, true, false);
                } else {
                    // A token cut by end of file; the parser reports the
                    // missing `;`.
                    self.word(s, len, false);
                }
            }
            break;
        }
    }

    /// A token spanning `start..end`. A quoted token's value lies between its
    /// quotes; `closed` says whether the closing one is there.
    fn word(&mut self, start: usize, end: usize, quoted: bool) {
        self.word_with(start, end, quoted, true);
    }

    fn word_with(&mut self, start: usize, end: usize, quoted: bool, closed: bool) {
        let inner = match (quoted, closed) {
            (false, _) => self.b.get(start..end),
            (true, true) => self.b.get(start + 1..end.saturating_sub(1)),
            (true, false) => self.b.get(start + 1..end),
        };
        let inner = inner.unwrap_or(&[]);
        let value = unescape(inner);
        if self.stmt_words == 0 {
            self.lua_stmt = value.ends_with(LUA_BLOCK_SUFFIX);
        }
        self.stmt_words += 1;
        let span = self.span(start, end);
        (self.emit)(Tok::Word(Arg {
            value,
            span,
            quoted,
        }));
    }

    fn end_stmt(&mut self) {
        self.stmt_words = 0;
        self.lua_stmt = false;
    }

    fn semi(&mut self, at: usize) {
        self.end_stmt();
        (self.emit)(Tok::Semi(at));
    }

    fn close(&mut self, at: usize) {
        self.end_stmt();
        (self.emit)(Tok::Close(at));
    }

    /// A `{` at `at`; returns where lexing goes on (past a Lua body if any).
    fn open(&mut self, at: usize) -> usize {
        let lua = self.lua_stmt;
        self.end_stmt();
        if !lua {
            (self.emit)(Tok::Open(at));
            return at + 1;
        }
        let body_start = at + 1;
        let close = scan_lua_block(self.b, body_start);
        let body_end = close.unwrap_or(self.b.len());
        let value = self
            .text
            .get(body_start..body_end)
            .unwrap_or_default()
            .to_string();
        let body = Arg {
            value,
            span: self.span(body_start, body_end),
            quoted: false,
        };
        (self.emit)(Tok::Lua {
            open: at,
            body,
            close,
        });
        close.map_or(self.b.len(), |c| c + 1)
    }

    fn after_quote(&mut self, at: usize) {
        let c = self.text.get(at..).and_then(|t| t.chars().next());
        let (shown, width) = match c {
            Some(c) => (c.escape_debug().to_string(), c.len_utf8()),
            None => (String::new(), 1),
        };
        self.diags.push(ParseDiag::new(
            self.span(at, at + width),
            format!(
                "unexpected \"{shown}\" after a quoted string: expected whitespace, \";\", \"{{\" or \"}}\""
            ),
        ));
    }

    fn unterminated(&mut self, start: usize, q: u8) {
        // From the quote to the end of its line: enough to see which string.
        let line_end = self
            .b
            .get(start..)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b'\n' || c == b'\r')
            .map_or(self.b.len(), |i| start + i);
        let q = q as char;
        self.diags.push(ParseDiag::new(
            self.span(start, line_end),
            format!("unterminated quoted string: no closing {q} before end of file"),
        ));
    }
}

/// nginx's unescaping (`ngx_conf_read_token`): `\"`, `\'`, `\\` give the
/// character, `\t`, `\r`, `\n` the control character, anything else stays.
fn unescape(raw: &[u8]) -> String {
    if !raw.contains(&b'\\') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c == b'\\' {
            if let Some(&next) = raw.get(i + 1) {
                let mapped = match next {
                    b'"' | b'\'' | b'\\' => Some(next),
                    b't' => Some(b'\t'),
                    b'r' => Some(b'\r'),
                    b'n' => Some(b'\n'),
                    _ => None,
                };
                if let Some(m) = mapped {
                    out.push(m);
                    i += 2;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    // Only ASCII bytes were removed or replaced, so this stays valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Finds the `}` closing a Lua block whose body starts at `from`, counting
/// braces outside Lua strings and comments, as ngx_lua's own lexer does.
fn scan_lua_block(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
                i += 1;
            }
            q @ (b'"' | b'\'') => i = skip_lua_string(b, i + 1, q),
            b'[' => match long_bracket_level(b, i) {
                Some(level) => i = skip_long_bracket(b, i + level + 2, level),
                None => i += 1,
            },
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i += 2;
                match long_bracket_level(b, i) {
                    Some(level) => i = skip_long_bracket(b, i + level + 2, level),
                    None => {
                        while i < b.len() && b[i] != b'\n' {
                            i += 1;
                        }
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Past a Lua short string whose content starts at `i`. An unescaped newline
/// ends it too: Lua rejects that anyway, and it keeps one broken string from
/// swallowing the rest of the block.
fn skip_lua_string(b: &[u8], mut i: usize, q: u8) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// `[[`, `[=[`, `[==[`...: the number of `=` when `b[i..]` opens a long bracket.
fn long_bracket_level(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let level = b[i + 1..].iter().take_while(|&&c| c == b'=').count();
    (b.get(i + 1 + level) == Some(&b'[')).then_some(level)
}

/// Past the `]=*]` of the given level, searching from `i`.
fn skip_long_bracket(b: &[u8], mut i: usize, level: usize) -> usize {
    while i < b.len() {
        if b[i] == b']' {
            // Each run of `=` is counted once, from the `]` before it.
            let eqs = b[i + 1..]
                .iter()
                .take(level + 1)
                .take_while(|&&c| c == b'=')
                .count();
            if eqs == level && b.get(i + 1 + level) == Some(&b']') {
                return i + level + 2;
            }
        }
        i += 1;
    }
    b.len()
}
