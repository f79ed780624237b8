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

mod capped;
mod lexer;

use capped::Capped;
pub use capped::{MAX_DIAGS, MAX_SAME_DIAGS};
use lexer::{Lexer, Tok};

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

pub fn parse(file: FileId, src: &SourceFile) -> NginxFile {
    let mut parser = Parser {
        file,
        text: &src.text,
        top: Vec::new(),
        stack: Vec::new(),
        pending: Vec::new(),
        skip: 0,
        last_end: 0,
        diags: Capped::default(),
    };
    // Tokens go to the parser as they are read: a file of a million `}` is
    // never a million tokens in memory.
    let mut lexer = Lexer::new(file, &src.text, |tok| parser.token(tok));
    lexer.run();
    let Lexer { diags, .. } = lexer;
    let (directives, parser_diags) = parser.finish();
    // Lexer and parser diagnostics interleave in the file; report them in order.
    let mut diags = diags.finish();
    diags.extend(parser_diags.finish());
    diags.sort_by_key(|d| (d.span.start(), d.span.end()));
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
    diags: Capped,
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
                self.last_end = arg.span.end();
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
                // Depth first: stray `{`s nest too, and each open frame costs memory.
                let kind = if self.stack.len() >= MAX_DEPTH {
                    let start = name.as_ref().map_or(at, |n| n.span.start());
                    let span = self.span(start, at + 1);
                    self.diags.push(ParseDiag::new(
                        span,
                        format!(
                            "blocks are nested more than {MAX_DEPTH} levels deep: the contents of this block are skipped"
                        ),
                    ));
                    FrameKind::TooDeep
                } else if name.is_none() {
                    let span = self.span(at, at + 1);
                    self.diags.push(ParseDiag::new(
                        span,
                        "unexpected \"{\" without a directive name",
                    ));
                    FrameKind::Anonymous
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
                let end = close.map_or(body.span.end(), |c| c + 1);
                self.last_end = end;
                let mut words = std::mem::take(&mut self.pending).into_iter();
                // The lexer only makes a Lua token after a name, so this
                // always succeeds; staying total costs nothing.
                let Some(name) = words.next() else { return };
                if close.is_none() {
                    let span = self.span(name.span.start(), open + 1);
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
            span: self.span(name.span.start(), end),
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
        let d = self.directive(name, it.collect(), None, last.end());
        self.siblings().push(d);
    }

    fn finish(mut self) -> (Vec<Directive>, Capped) {
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
                let span = self.span(name.span.start(), frame.open + 1);
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
mod tests;
