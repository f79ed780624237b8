//! NGINX configuration, tokenized the way nginx does it.
//!
//! The lexer mirrors the state machine of `ngx_conf_read_token` (nginx
//! `src/core/ngx_conf_file.c`) so that what we call one argument is what nginx
//! calls one argument:
//!
//! * whitespace is space, tab, CR and LF only;
//! * an unquoted token ends at whitespace, `;` or `{`, but *not* at `}`
//!   (`80}` is one token, as in nginx);
//! * `#` starts a comment only where a token could start (`a#b` is one token);
//! * `"` and `'` quote only at the start of a token (`a"b"` is plain text), and
//!   a closing quote must be followed by whitespace, `;`, `{`, `}` or `)`;
//! * a backslash protects the next byte; in the value `\"`, `\'` and `\\`
//!   become the character, `\t`, `\r` and `\n` become the control character and
//!   every other escape is kept as written (checked against nginx 1.22);
//! * `${` does not open a block: a `{` right after `$` stays in the token.
//!
//! `*_by_lua_block { ... }` bodies are Lua (ngx_lua reads them with its own
//! lexer); they become one raw argument.
//!
//! Unlike nginx, which stops at the first error, the parser records a
//! [`ParseDiag`] and recovers, so rules still see the rest of the file. It is
//! iterative, bounds nesting at [`MAX_DEPTH`] and runs in linear time.

use crate::finding::ParseDiag;
use crate::source::{FileId, SourceFile, Span};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Arg {
    /// The argument after unquoting (escapes resolved as nginx does).
    pub value: String,
    /// The argument's text in the file, quotes included.
    pub span: Span,
    pub quoted: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Directive {
    pub name: String,
    pub name_span: Span,
    pub args: Vec<Arg>,
    /// The children of a block directive (`server { ... }`); `None` for `name args;`.
    pub block: Option<Vec<Directive>>,
    /// From the name to the closing `;` or `}`.
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct NginxFile {
    pub directives: Vec<Directive>,
    #[serde(skip)]
    pub diags: Vec<ParseDiag>,
}

/// Deepest block nesting kept in the tree. Deeper blocks get a diagnostic and
/// their contents are skipped, so that nothing downstream (drop, serialize,
/// rule walkers) can recurse without bound on hostile input.
pub const MAX_DEPTH: usize = 64;

/// Restarts after an unterminated quote (see [`Lexer::run`]); bounded so that
/// the whole lexing stays linear whatever the input.
const MAX_QUOTE_RESTARTS: usize = 8;

const LUA_BLOCK_SUFFIX: &str = "_by_lua_block";

pub fn parse(file: FileId, src: &SourceFile) -> NginxFile {
    let mut lexer = Lexer::new(file, &src.text);
    lexer.run();
    let Lexer {
        toks, mut diags, ..
    } = lexer;
    let mut parser = Parser {
        file,
        text: &src.text,
        top: Vec::new(),
        stack: Vec::new(),
        pending: Vec::new(),
        skip: 0,
        last_end: 0,
        diags: Vec::new(),
    };
    for tok in toks {
        parser.token(tok);
    }
    let (directives, mut parser_diags) = parser.finish();
    diags.append(&mut parser_diags);
    // Lexer and parser diagnostics interleave in the file; report them in order.
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    NginxFile { directives, diags }
}

// ---------------------------------------------------------------------------
// Helpers for rule authors.

impl Arg {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl Directive {
    /// The `i`-th argument's value (0 is the first argument after the name).
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|a| a.value.as_str())
    }

    /// Every argument's value, in order.
    pub fn arg_values(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.value.as_str())
    }

    pub fn is_block(&self) -> bool {
        self.block.is_some()
    }

    /// The block's children; empty for a simple directive.
    pub fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }

    /// Every directive inside this one's block, depth first, in file order.
    /// Parents in each [`Visit`] are those below `self`.
    pub fn walk(&self) -> Walk<'_> {
        Walk::over(self.children())
    }

    /// The directives called `name` inside this one's block, at any depth.
    pub fn find_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Visit<'a>> + 'a {
        self.walk().filter(move |v| v.directive.name == name)
    }
}

impl NginxFile {
    /// Every directive of the file, depth first, in file order, with its parents.
    pub fn walk(&self) -> Walk<'_> {
        Walk::over(&self.directives)
    }

    /// The directives called `name`, at any depth, with their parents.
    pub fn find_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Visit<'a>> + 'a {
        self.walk().filter(move |v| v.directive.name == name)
    }
}

/// One directive met by [`Walk`], with the chain of blocks around it.
#[derive(Clone, Debug)]
pub struct Visit<'a> {
    pub directive: &'a Directive,
    /// Outermost first: for `http { server { listen 80; } }`, `listen` has
    /// parents `[http, server]`.
    pub parents: Vec<&'a Directive>,
}

impl<'a> Visit<'a> {
    /// The block directly around this directive, if any.
    pub fn parent(&self) -> Option<&'a Directive> {
        self.parents.last().copied()
    }

    /// Whether some enclosing block is called `name`.
    pub fn is_inside(&self, name: &str) -> bool {
        self.parents.iter().any(|p| p.name == name)
    }

    /// The names of the enclosing blocks, outermost first (`["http", "server"]`).
    pub fn context(&self) -> Vec<&'a str> {
        self.parents.iter().map(|p| p.name.as_str()).collect()
    }
}

/// Pre-order iterator over a directive tree; iterative, so depth cannot
/// overflow the stack.
#[derive(Clone, Debug)]
pub struct Walk<'a> {
    stack: Vec<std::slice::Iter<'a, Directive>>,
    parents: Vec<&'a Directive>,
}

impl<'a> Walk<'a> {
    pub fn over(directives: &'a [Directive]) -> Self {
        Walk {
            stack: vec![directives.iter()],
            parents: Vec::new(),
        }
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Visit<'a>;

    fn next(&mut self) -> Option<Visit<'a>> {
        loop {
            let top = self.stack.last_mut()?;
            match top.next() {
                Some(d) => {
                    let visit = Visit {
                        directive: d,
                        parents: self.parents.clone(),
                    };
                    if let Some(children) = &d.block {
                        self.parents.push(d);
                        self.stack.push(children.iter());
                    }
                    return Some(visit);
                }
                None => {
                    // `parents` is one shorter than `stack`: the finished
                    // level's owner (if any) is the last parent.
                    self.stack.pop();
                    self.parents.pop();
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Lexer.

#[derive(Debug)]
enum Tok {
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

struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    b: &'a [u8],
    toks: Vec<Tok>,
    diags: Vec<ParseDiag>,
    /// Words in the current statement so far; the first is the directive name.
    stmt_words: usize,
    /// The current statement's name ends in `_by_lua_block`.
    lua_stmt: bool,
}

fn is_space(ch: u8) -> bool {
    matches!(ch, b' ' | b'\t' | b'\r' | b'\n')
}

impl<'a> Lexer<'a> {
    fn new(file: FileId, text: &'a str) -> Self {
        Lexer {
            file,
            text,
            b: text.as_bytes(),
            toks: Vec::new(),
            diags: Vec::new(),
            stmt_words: 0,
            lua_stmt: false,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn run(&mut self) {
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
        self.toks.push(Tok::Word(Arg {
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
        self.toks.push(Tok::Semi(at));
    }

    fn close(&mut self, at: usize) {
        self.end_stmt();
        self.toks.push(Tok::Close(at));
    }

    /// A `{` at `at`; returns where lexing goes on (past a Lua body if any).
    fn open(&mut self, at: usize) -> usize {
        let lua = self.lua_stmt;
        self.end_stmt();
        if !lua {
            self.toks.push(Tok::Open(at));
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
        self.toks.push(Tok::Lua {
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

// ---------------------------------------------------------------------------
// Parser: an explicit stack of open blocks, never recursion.

#[derive(Clone, Copy, PartialEq)]
enum FrameKind {
    Block,
    /// `{` with no directive before it: its children are kept in the parent.
    Anonymous,
    /// Beyond [`MAX_DEPTH`]: the contents are skipped.
    TooDeep,
}

struct Frame {
    kind: FrameKind,
    /// The name token (`None` for an anonymous block).
    name: Option<Arg>,
    args: Vec<Arg>,
    /// Offset of the `{`.
    open: usize,
    children: Vec<Directive>,
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    top: Vec<Directive>,
    stack: Vec<Frame>,
    /// The words of the statement being read.
    pending: Vec<Arg>,
    /// Blocks opened inside a `TooDeep` frame and not yet closed.
    skip: usize,
    /// End of the last token seen, to end spans cut by end of file.
    last_end: usize,
    diags: Vec<ParseDiag>,
}

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn siblings(&mut self) -> &mut Vec<Directive> {
        match self.stack.last_mut() {
            Some(f) => &mut f.children,
            None => &mut self.top,
        }
    }

    fn skipping(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|f| f.kind == FrameKind::TooDeep)
    }

    fn token(&mut self, tok: Tok) {
        if self.skipping() {
            self.skip_token(tok);
            return;
        }
        match tok {
            Tok::Word(arg) => {
                self.last_end = arg.span.end;
                self.pending.push(arg);
            }
            Tok::Semi(at) => {
                self.last_end = at + 1;
                let mut words = std::mem::take(&mut self.pending).into_iter();
                match words.next() {
                    Some(name) => {
                        let d = self.directive(name, words.collect(), None, at + 1);
                        self.siblings().push(d);
                    }
                    None => {
                        let span = self.span(at, at + 1);
                        self.diags
                            .push(ParseDiag::new(span, "unexpected \";\" without a directive"));
                    }
                }
            }
            Tok::Open(at) => {
                self.last_end = at + 1;
                let mut words = std::mem::take(&mut self.pending).into_iter();
                let name = words.next();
                let kind = if name.is_none() {
                    let span = self.span(at, at + 1);
                    self.diags.push(ParseDiag::new(
                        span,
                        "unexpected \"{\" without a directive name",
                    ));
                    FrameKind::Anonymous
                } else if self.stack.len() >= MAX_DEPTH {
                    let start = name.as_ref().map_or(at, |n| n.span.start);
                    let span = self.span(start, at + 1);
                    self.diags.push(ParseDiag::new(
                        span,
                        format!(
                            "blocks are nested more than {MAX_DEPTH} levels deep: the contents of this block are skipped"
                        ),
                    ));
                    FrameKind::TooDeep
                } else {
                    FrameKind::Block
                };
                self.stack.push(Frame {
                    kind,
                    name,
                    args: words.collect(),
                    open: at,
                    children: Vec::new(),
                });
            }
            Tok::Close(at) => {
                self.last_end = at + 1;
                if !self.pending.is_empty() {
                    let related = self.span(at, at + 1);
                    self.missing_semicolon(Some(related));
                }
                match self.stack.pop() {
                    Some(frame) => self.close_frame(frame, at + 1),
                    None => {
                        let span = self.span(at, at + 1);
                        self.diags
                            .push(ParseDiag::new(span, "unexpected \"}\": no block is open"));
                    }
                }
            }
            Tok::Lua { open, body, close } => {
                let end = close.map_or(body.span.end, |c| c + 1);
                self.last_end = end;
                let mut words = std::mem::take(&mut self.pending).into_iter();
                // The lexer only makes a Lua token after a name, so this
                // always succeeds; staying total costs nothing.
                let Some(name) = words.next() else { return };
                if close.is_none() {
                    let span = self.span(name.span.start, open + 1);
                    self.diags.push(ParseDiag::new(
                        span,
                        format!(
                            "Lua block \"{}\" is not closed: expected \"}}\" before end of file",
                            name.value
                        ),
                    ));
                }
                let mut args: Vec<Arg> = words.collect();
                args.push(body);
                let d = self.directive(name, args, None, end);
                self.siblings().push(d);
            }
        }
    }

    /// Inside a block beyond [`MAX_DEPTH`]: only brace balance matters.
    fn skip_token(&mut self, tok: Tok) {
        match tok {
            Tok::Open(_) => self.skip += 1,
            Tok::Close(at) => {
                self.last_end = at + 1;
                if self.skip > 0 {
                    self.skip -= 1;
                } else if let Some(frame) = self.stack.pop() {
                    self.close_frame(frame, at + 1);
                }
            }
            Tok::Word(_) | Tok::Semi(_) | Tok::Lua { .. } => {}
        }
    }

    fn directive(
        &self,
        name: Arg,
        args: Vec<Arg>,
        block: Option<Vec<Directive>>,
        end: usize,
    ) -> Directive {
        Directive {
            span: self.span(name.span.start, end),
            name: name.value,
            name_span: name.span,
            args,
            block,
        }
    }

    fn close_frame(&mut self, frame: Frame, end: usize) {
        match (frame.kind, frame.name) {
            (FrameKind::Anonymous, _) | (_, None) => {
                let mut children = frame.children;
                self.siblings().append(&mut children);
            }
            (kind, Some(name)) => {
                let children = if kind == FrameKind::TooDeep {
                    Vec::new()
                } else {
                    frame.children
                };
                let d = self.directive(name, frame.args, Some(children), end);
                self.siblings().push(d);
            }
        }
    }

    /// The pending words lack their `;`: report it on the last word and keep
    /// the directive as if the `;` were there.
    fn missing_semicolon(&mut self, found: Option<Span>) {
        let words = std::mem::take(&mut self.pending);
        let Some(last) = words.last().map(|w| w.span) else {
            return;
        };
        let mut it = words.into_iter();
        let Some(name) = it.next() else { return };
        let mut diag = ParseDiag::new(
            last,
            format!("missing \";\" after directive \"{}\"", name.value),
        );
        diag = match found {
            Some(s) => diag.with_related(s, "the block is closed here"),
            None => diag.with_related(self.span(self.text.len(), self.text.len()), "end of file"),
        };
        self.diags.push(diag);
        let d = self.directive(name, it.collect(), None, last.end);
        self.siblings().push(d);
    }

    fn finish(mut self) -> (Vec<Directive>, Vec<ParseDiag>) {
        if !self.pending.is_empty() && !self.skipping() {
            self.missing_semicolon(None);
        }
        // Close what is still open, innermost first, each reported on its
        // opening line (`name args {`).
        let end = self.last_end;
        self.skip = 0;
        while let Some(frame) = self.stack.pop() {
            // A stray `{` was reported when it was met; once is enough.
            if let (FrameKind::Block | FrameKind::TooDeep, Some(name)) = (frame.kind, &frame.name) {
                let span = self.span(name.span.start, frame.open + 1);
                self.diags.push(ParseDiag::new(
                    span,
                    format!(
                        "block \"{}\" is not closed: expected \"}}\" before end of file",
                        name.value
                    ),
                ));
            }
            self.close_frame(frame, end);
        }
        (self.top, self.diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    fn parse_str(text: &str) -> (SourceFile, NginxFile) {
        let src = SourceFile::new("t.conf", FileKind::Nginx, text.to_string());
        let f = parse(FileId(0), &src);
        (src, f)
    }

    fn at(src: &SourceFile, span: Span) -> &str {
        &src.text[span.start..span.end]
    }

    /// Parses text that must be valid; returns the tree.
    fn ok(text: &str) -> NginxFile {
        let (_, f) = parse_str(text);
        assert!(
            f.diags.is_empty(),
            "unexpected diags for {text:?}: {:?}",
            f.diags
        );
        f
    }

    /// `(message, spanned text)` of every diag.
    fn diags(text: &str) -> Vec<(String, String)> {
        let (src, f) = parse_str(text);
        f.diags
            .iter()
            .map(|d| (d.message.clone(), at(&src, d.span).to_string()))
            .collect()
    }

    fn values(d: &Directive) -> Vec<&str> {
        d.arg_values().collect()
    }

    #[test]
    fn simple_directives_and_spans() {
        let text = "user nobody;\nevents { worker_connections 1024; }\n";
        let (src, f) = parse_str(text);
        assert!(f.diags.is_empty());
        assert_eq!(f.directives.len(), 2);
        let user = &f.directives[0];
        assert_eq!(user.name, "user");
        assert_eq!(at(&src, user.name_span), "user");
        assert_eq!(at(&src, user.span), "user nobody;");
        assert_eq!(values(user), ["nobody"]);
        assert!(user.block.is_none());
        let events = &f.directives[1];
        assert_eq!(at(&src, events.span), "events { worker_connections 1024; }");
        let wc = &events.children()[0];
        assert_eq!(wc.arg(0), Some("1024"));
        assert_eq!(wc.arg(1), None);
        assert_eq!(at(&src, wc.span), "worker_connections 1024;");
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert!(ok("").directives.is_empty());
        assert!(ok(" \t\r\n# only a comment\n").directives.is_empty());
    }

    #[test]
    fn quotes_and_escapes() {
        let text =
            r#"a "q\"s\'b\\" 'x\"y\'z' "t\tn\nr\r" "\x\$\ " a\ b a"b"c '' "#.to_string() + ";";
        let (src, f) = parse_str(&text);
        assert!(f.diags.is_empty(), "{:?}", f.diags);
        let d = &f.directives[0];
        assert_eq!(
            values(d),
            [
                "q\"s'b\\",
                "x\"y'z",
                "t\tn\nr\r",
                "\\x\\$\\ ",
                "a\\ b",
                "a\"b\"c",
                "",
            ]
        );
        let quoted: Vec<bool> = d.args.iter().map(|a| a.quoted).collect();
        assert_eq!(quoted, [true, true, true, true, false, false, true]);
        assert_eq!(at(&src, d.args[0].span), r#""q\"s\'b\\""#);
        assert_eq!(at(&src, d.args[4].span), r"a\ b");
        assert_eq!(at(&src, d.args[6].span), "''");
    }

    #[test]
    fn quoted_strings_hold_delimiters() {
        let (src, f) = parse_str("location \"/a;b{c}#d\n e\" { return 200 '}'; }");
        assert!(f.diags.is_empty(), "{:?}", f.diags);
        let loc = &f.directives[0];
        assert_eq!(loc.arg(0), Some("/a;b{c}#d\n e"));
        assert_eq!(loc.children()[0].arg(1), Some("}"));
        assert_eq!(at(&src, loc.span), src.text.as_str());
    }

    #[test]
    fn quoted_directive_names() {
        let (src, f) = parse_str("\"events\" { \"worker_connections\" \"2048\"; }");
        assert!(f.diags.is_empty());
        let ev = &f.directives[0];
        assert_eq!(ev.name, "events");
        assert_eq!(at(&src, ev.name_span), "\"events\"");
        assert_eq!(ev.children()[0].name, "worker_connections");
    }

    #[test]
    fn quote_followed_by_delimiters() {
        // `;`, `{` and `)` may follow a closing quote directly.
        let f = ok("if ($a = \"b\"){ return 200 \"x\";}location \"/y\"{}");
        let iff = &f.directives[0];
        assert_eq!(values(iff), ["($a", "=", "b", ")"]);
        assert_eq!(f.directives[1].arg(0), Some("/y"));
    }

    #[test]
    fn char_after_quote_is_an_error() {
        assert_eq!(
            diags("a \"left\"-quote;"),
            [(
                "unexpected \"-\" after a quoted string: expected whitespace, \";\", \"{\" or \"}\""
                    .to_string(),
                "-".to_string()
            )]
        );
        // Recovery splits the token, as crossplane does; a `#` there is not a comment.
        let (_, f) = parse_str("a \"left\"-quote \"x\"#y;");
        assert_eq!(values(&f.directives[0]), ["left", "-quote", "x", "#y"]);
        assert_eq!(f.diags.len(), 2);
        // A multi-byte character is spanned whole.
        assert_eq!(diags("a \"b\"é;")[0].1, "é");
    }

    #[test]
    fn quote_inside_token_is_plain() {
        let f = ok("a right-\"quote\" inner\"-\"quote right-empty-single\";");
        assert_eq!(
            values(&f.directives[0]),
            ["right-\"quote\"", "inner\"-\"quote", "right-empty-single\""]
        );
    }

    #[test]
    fn comments() {
        let text = "# top\r\nserver { #c1\n  listen 80; # c2 { ; }\n  return 200 a#b;#c3\n  add_header X \\#y; # }\n}";
        let f = ok(text);
        let server = &f.directives[0];
        let kids: Vec<&str> = server.children().iter().map(|d| d.name.as_str()).collect();
        assert_eq!(kids, ["listen", "return", "add_header"]);
        assert_eq!(server.children()[1].arg(1), Some("a#b"));
        // `\#` is not one of nginx's escapes: kept as written.
        assert_eq!(server.children()[2].arg(1), Some("\\#y"));
    }

    #[test]
    fn comments_between_args() {
        let f = ok("log_format #c2\n  \\#arg\\ 1 #c3\n  '#arg 2' #c4\n  #c5\n  ;");
        assert_eq!(values(&f.directives[0]), ["\\#arg\\ 1", "#arg 2"]);
    }

    #[test]
    fn dollar_brace_is_text() {
        let (src, f) = parse_str(
            "location / { try_files /abc/${uri} /abc/${uri}.html =404; set $x ${host}y; }",
        );
        assert!(f.diags.is_empty(), "{:?}", f.diags);
        let loc = &f.directives[0];
        assert_eq!(
            values(&loc.children()[0]),
            ["/abc/${uri}", "/abc/${uri}.html", "=404"]
        );
        let set = &loc.children()[1];
        assert_eq!(values(set), ["$x", "${host}y"]);
        assert_eq!(at(&src, set.args[1].span), "${host}y");
        // Only a `{` right after `$` is text: after `}` it opens a block, as
        // in nginx (which then rejects `set` for having one).
        let f = ok("set $x ${host}{ y; }");
        assert_eq!(f.directives[0].arg(1), Some("${host}"));
        assert!(f.directives[0].is_block());
        // nginx keeps the flag over a run of `{`.
        assert_eq!(ok("a ${{b;").directives[0].arg(0), Some("${{b"));
    }

    #[test]
    fn brace_ends_unquoted_token_only_when_opening() {
        // nginx ends an unquoted token at `{` but not at `}`.
        let f = ok("location /foo{}location /bar{ return 200 a}; }");
        assert_eq!(f.directives[0].arg(0), Some("/foo"));
        assert_eq!(f.directives[1].children()[0].arg(1), Some("a}"));
    }

    #[test]
    fn lua_blocks() {
        let text = r#"http {
    init_by_lua_block {
        print("Lua block code with curly brace str {")
    }
    server {
        server_name  content_by_lua_block ;
        set_by_lua_block $res { -- comment with } brace
            local s = '}' .. [[ } ]] .. [==[ ]] } ]==]
            --[[ long } comment ]]
            return { a = { 1 } }
        }
        "rewrite_by_lua_block" {do_something("{")}
        location / { content_by_lua_block{ngx.say("x")} return 200; }
    }
    upstream content_by_lua_block {
        # stuff
    }
}"#;
        let (src, f) = parse_str(text);
        assert!(f.diags.is_empty(), "{:?}", f.diags);
        let http = &f.directives[0];
        let init = &http.children()[0];
        assert_eq!(init.name, "init_by_lua_block");
        assert!(init.block.is_none());
        assert_eq!(init.args.len(), 1);
        assert_eq!(
            init.args[0].value,
            "\n        print(\"Lua block code with curly brace str {\")\n    "
        );
        assert_eq!(at(&src, init.args[0].span), init.args[0].value);
        assert!(at(&src, init.span).starts_with("init_by_lua_block {"));
        assert!(at(&src, init.span).ends_with('}'));

        let server = &http.children()[1];
        let names: Vec<&str> = server.children().iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "server_name",
                "set_by_lua_block",
                "rewrite_by_lua_block",
                "location"
            ]
        );
        assert_eq!(server.children()[0].arg(0), Some("content_by_lua_block"));
        let set = &server.children()[1];
        assert_eq!(set.arg(0), Some("$res"));
        assert!(set.args[1]
            .value
            .trim_end()
            .ends_with("return { a = { 1 } }"));
        assert_eq!(server.children()[2].arg(0), Some("do_something(\"{\")"));
        let loc = &server.children()[3];
        assert_eq!(loc.children()[0].arg(0), Some("ngx.say(\"x\")"));
        assert_eq!(loc.children()[1].name, "return");

        let upstream = &http.children()[2];
        assert_eq!(upstream.name, "upstream");
        assert_eq!(upstream.arg(0), Some("content_by_lua_block"));
        assert_eq!(upstream.children().len(), 0);
    }

    #[test]
    fn fragments_are_valid() {
        let f = ok("server {\n  listen 80;\n  location / { proxy_pass http://app:8080; }\n}\n");
        assert_eq!(f.directives[0].name, "server");
        let f = ok("location /api/ {\n\tproxy_pass http://api/;\n}\n");
        assert_eq!(f.directives[0].name, "location");
        let f = ok("add_header X-Frame-Options SAMEORIGIN;\nclient_max_body_size 10G;\n");
        assert_eq!(f.directives.len(), 2);
    }

    #[test]
    fn missing_semicolon_before_brace() {
        let text = "server {\n  listen 80\n}\n";
        let (src, f) = parse_str(text);
        assert_eq!(f.diags.len(), 1);
        let d = &f.diags[0];
        assert_eq!(d.message, "missing \";\" after directive \"listen\"");
        assert_eq!(at(&src, d.span), "80");
        assert_eq!(at(&src, d.related[0].0), "}");
        // Recovered: the directive is kept and the block is closed.
        let server = &f.directives[0];
        assert_eq!(at(&src, server.span), "server {\n  listen 80\n}");
        assert_eq!(at(&src, server.children()[0].span), "listen 80");
    }

    #[test]
    fn missing_semicolon_at_eof() {
        assert_eq!(
            diags("user nginx;\nworker_processes auto"),
            [(
                "missing \";\" after directive \"worker_processes\"".to_string(),
                "auto".to_string()
            )]
        );
        let (_, f) = parse_str("user nginx;\nworker_processes auto");
        assert_eq!(f.directives[1].arg(0), Some("auto"));
        // A bare name is the token where `;` was expected.
        assert_eq!(diags("daemon")[0].1, "daemon");
    }

    #[test]
    fn missing_semicolon_recovers_structure() {
        let text = "http {\n  server {\n    location /is-broken {\n      proxy_pass http://is.broken.example\n    }\n    location /not-broken {\n      proxy_pass http://not.broken.example;\n    }\n  }\n}\n";
        let (src, f) = parse_str(text);
        assert_eq!(f.diags.len(), 1);
        assert_eq!(at(&src, f.diags[0].span), "http://is.broken.example");
        let server = &f.directives[0].children()[0];
        assert_eq!(server.children().len(), 2);
        assert_eq!(server.children()[1].children()[0].name, "proxy_pass");
    }

    #[test]
    fn unexpected_close() {
        let text = "events {}\n}\nhttp {}";
        let (src, f) = parse_str(text);
        assert_eq!(f.diags.len(), 1);
        assert_eq!(f.diags[0].message, "unexpected \"}\": no block is open");
        assert_eq!(f.diags[0].span.start, 10);
        assert_eq!(at(&src, f.diags[0].span), "}");
        assert_eq!(f.directives.len(), 2);
    }

    #[test]
    fn unclosed_block() {
        let text = "http {\n  server {\n    listen 80;\n  }\n  server { listen 81; }\n";
        let (src, f) = parse_str(text);
        assert_eq!(f.diags.len(), 1, "{:?}", f.diags);
        assert_eq!(
            f.diags[0].message,
            "block \"http\" is not closed: expected \"}\" before end of file"
        );
        assert_eq!(at(&src, f.diags[0].span), "http {");
        let http = &f.directives[0];
        assert_eq!(http.children().len(), 2);
        // Cut at the last token, not at trailing whitespace.
        assert!(at(&src, http.span).ends_with("listen 81; }"));

        let d = diags("a {\n b { c x {\n");
        let spans: Vec<&str> = d.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(spans, ["a {", "b {", "c x {"]);
    }

    #[test]
    fn unterminated_quote() {
        let text = "server {\n  return 200 \"oops;\n}\n";
        let (src, f) = parse_str(text);
        assert_eq!(f.diags.len(), 1, "{:?}", f.diags);
        assert_eq!(
            f.diags[0].message,
            "unterminated quoted string: no closing \" before end of file"
        );
        assert_eq!(at(&src, f.diags[0].span), "\"oops;");
        // Recovered by reading the quote as a plain character.
        let ret = &f.directives[0].children()[0];
        assert_eq!(values(ret), ["200", "\"oops"]);
        assert!(!ret.args[1].quoted);

        let d = diags("a 'b;");
        assert_eq!(d[0].1, "'b;");
        assert!(d[0].0.contains("no closing '"));
    }

    #[test]
    fn stray_semicolon_and_brace() {
        assert_eq!(
            diags("user x;;"),
            [(
                "unexpected \";\" without a directive".to_string(),
                ";".to_string()
            )]
        );
        let text = "http { { listen 80; } }";
        let (src, f) = parse_str(text);
        assert_eq!(f.diags.len(), 1);
        assert_eq!(
            f.diags[0].message,
            "unexpected \"{\" without a directive name"
        );
        assert_eq!(f.diags[0].span.start, 7);
        assert_eq!(at(&src, f.diags[0].span), "{");
        // The anonymous block's children are kept in its parent.
        assert_eq!(f.directives[0].children()[0].name, "listen");
    }

    #[test]
    fn unclosed_lua_block() {
        let text = "location / {\n  content_by_lua_block {\n    ngx.say('hi')\n";
        let (src, f) = parse_str(text);
        let msgs: Vec<(&str, &str)> = f
            .diags
            .iter()
            .map(|d| (d.message.as_str(), at(&src, d.span)))
            .collect();
        assert_eq!(
            msgs,
            [
                (
                    "block \"location\" is not closed: expected \"}\" before end of file",
                    "location / {"
                ),
                (
                    "Lua block \"content_by_lua_block\" is not closed: expected \"}\" before end of file",
                    "content_by_lua_block {"
                ),
            ]
        );
        let lua = &f.directives[0].children()[0];
        assert_eq!(lua.args[0].value, "\n    ngx.say('hi')\n");
    }

    #[test]
    fn byte_order_mark() {
        let (src, f) = parse_str("\u{feff}events {}");
        assert_eq!(f.diags.len(), 1);
        assert!(f.diags[0].message.starts_with("byte order mark"));
        assert_eq!(at(&src, f.diags[0].span), "\u{feff}");
        assert_eq!(f.directives[0].name, "events");
    }

    #[test]
    fn spans_after_non_ascii() {
        let text = "# héllo wörld ✓\r\nserver_name\tünï.example \"ä b\" 'ö';\r\nreturn 200 日本;";
        let (src, f) = parse_str(text);
        assert!(f.diags.is_empty());
        let sn = &f.directives[0];
        let texts: Vec<&str> = sn.args.iter().map(|a| at(&src, a.span)).collect();
        assert_eq!(texts, ["ünï.example", "\"ä b\"", "'ö'"]);
        assert_eq!(values(sn), ["ünï.example", "ä b", "ö"]);
        assert_eq!(at(&src, sn.span), "server_name\tünï.example \"ä b\" 'ö';");
        assert_eq!(f.directives[1].arg(1), Some("日本"));
        for v in f.walk() {
            for a in &v.directive.args {
                assert!(src.text.is_char_boundary(a.span.start));
                assert!(src.text.is_char_boundary(a.span.end));
            }
        }
    }

    #[test]
    fn depth_limit() {
        // Exactly MAX_DEPTH levels is fine.
        let ok_text = "a {".repeat(MAX_DEPTH) + &"}".repeat(MAX_DEPTH);
        assert!(parse_str(&ok_text).1.diags.is_empty());

        let n = 100_000;
        let text = "a {".repeat(n) + "x;" + &"}".repeat(n) + " tail;";
        let (src, f) = parse_str(&text);
        assert_eq!(f.diags.len(), 1, "{:?}", &f.diags[..f.diags.len().min(3)]);
        assert!(f.diags[0].message.contains("nested more than 64"));
        assert_eq!(at(&src, f.diags[0].span), "a {");
        assert_eq!(f.directives.len(), 2);
        assert_eq!(f.directives[1].name, "tail");
        let depth = f.walk().map(|v| v.parents.len()).max().unwrap_or(0);
        assert_eq!(depth, MAX_DEPTH);

        // Unclosed and deep: still bounded, one diag per kept level.
        let (_, f) = parse_str(&"a {".repeat(n));
        assert_eq!(f.diags.len(), MAX_DEPTH + 2);
        // Many stray braces.
        let (_, f) = parse_str(&"}".repeat(n));
        assert_eq!(f.diags.len(), n);
        let (_, f) = parse_str(&"{".repeat(n));
        assert!(!f.diags.is_empty());
    }

    #[test]
    fn crlf_and_tabs() {
        let f = ok("server\r\n{\r\n\tlisten\t80;\r\n\tserver_name\texample.com;\r\n}\r\n");
        let s = &f.directives[0];
        assert_eq!(s.children()[1].arg(0), Some("example.com"));
    }

    #[test]
    fn walk_and_find_all() {
        let f = ok("http { server { listen 80; location / { add_header A b; } } add_header C d; }");
        let found: Vec<(Vec<&str>, Option<&str>)> = f
            .find_all("add_header")
            .map(|v| (v.context(), v.directive.arg(0)))
            .collect();
        assert_eq!(
            found,
            [
                (vec!["http", "server", "location"], Some("A")),
                (vec!["http"], Some("C")),
            ]
        );
        let names: Vec<&str> = f.walk().map(|v| v.directive.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "http",
                "server",
                "listen",
                "location",
                "add_header",
                "add_header"
            ]
        );
        let listen = f
            .find_all("listen")
            .next()
            .map(|v| v.parent().map(|p| p.name.clone()));
        assert_eq!(listen, Some(Some("server".to_string())));
        assert!(f.find_all("listen").all(|v| v.is_inside("http")));
        let server = &f.directives[0].children()[0];
        assert_eq!(server.find_all("add_header").count(), 1);
    }

    #[test]
    fn hostile_inputs_terminate() {
        let n = 200_000;
        for text in [
            "\"".repeat(n),
            "'\"".repeat(n),
            "a \"".repeat(n),
            "\\".repeat(n),
            "${".repeat(n),
            "x_by_lua_block {".repeat(n),
            "content_by_lua_block { [[".to_string() + &"]=".repeat(n),
            "content_by_lua_block { --[==[".to_string() + &"]=]".repeat(n),
            "#".repeat(n),
            ";{}".repeat(n),
        ] {
            let start = std::time::Instant::now();
            let _ = parse_str(&text);
            assert!(start.elapsed().as_secs() < 5, "slow on {:?}", &text[..10]);
        }
    }

    #[test]
    fn every_prefix_parses() {
        // Cutting a real-looking config anywhere must never panic, and every
        // span must stay on char boundaries.
        let text = "http {\n  # ünï\n  server { listen 80; return 200 \"a\\\"b ${x}\"; }\n  content_by_lua_block { ngx.say('}') -- }\n }\n  if ($a = 'b') { set $c d\\;e; }\n}\n";
        let mut cut = 0;
        while cut <= text.len() {
            if text.is_char_boundary(cut) {
                let (src, f) = parse_str(&text[..cut]);
                for d in &f.diags {
                    assert!(src.text.is_char_boundary(d.span.start));
                    assert!(src.text.is_char_boundary(d.span.end));
                    assert!(d.span.end <= src.text.len());
                }
                for v in f.walk() {
                    let d = v.directive;
                    assert!(d.span.end <= src.text.len());
                    assert!(src.text.get(d.span.start..d.span.end).is_some());
                }
            }
            cut += 1;
        }
    }

    #[test]
    fn pseudo_random_bytes() {
        // A small LCG over the characters that matter to the lexer.
        let alphabet: Vec<char> = " \t\r\n;{}#\"'\\$()ab_é".chars().collect();
        let mut seed: u64 = 0x5eed;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(seed % 64) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let (src, f) = parse_str(&s);
            for d in &f.diags {
                assert!(src.text.get(d.span.start..d.span.end).is_some(), "{s:?}");
            }
            for v in f.walk() {
                for a in &v.directive.args {
                    assert!(src.text.get(a.span.start..a.span.end).is_some(), "{s:?}");
                }
            }
        }
    }
}
