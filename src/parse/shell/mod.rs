//! Words of commands as a shell (or compose, or Docker) splits them, each byte
//! remembering where it was written, so a port inside `-b 0.0.0.0:5000` can be
//! pointed at exactly.

use crate::parse::interpolate::{Op, VarUse};
use crate::parse::yaml::{NodeRef, Style};
use crate::source::{Sources, Span};
use smallvec::SmallVec;

mod invocation;

pub use invocation::{basename, expand_words, invocations, Invocation};

/// The most words of a command (or healthcheck test) read word by word. Each
/// word costs a few hundred bytes as a [`Text`]; no real command comes near
/// this, while a generated file could hold a million words.
pub const MAX_WORDS: usize = 4_096;

/// The longest command string read (split like a shell does), for the same reason.
pub const MAX_SCRIPT_BYTES: usize = 64 * 1024;

/// Whether a command of `words` words and `bytes` bytes in all is too long to read.
pub fn too_long(words: usize, bytes: usize) -> bool {
    words > MAX_WORDS || bytes > MAX_SCRIPT_BYTES
}

/// [`too_long`] for a compose command or healthcheck test: a list of words, or
/// one string a shell splits.
pub fn node_too_long(n: NodeRef<'_>) -> bool {
    match n.as_seq() {
        Some(items) => too_long(
            items.len(),
            items.iter().map(|i| i.as_str().map_or(0, str::len)).sum(),
        ),
        None => too_long(1, n.as_str().map_or(0, str::len)),
    }
}

/// A string whose bytes know their source position and whether they came from
/// a compose variable that had no value.
#[derive(Clone, Debug)]
pub struct Text {
    pub s: compact_str::CompactString,
    /// Per byte of `s`: its source byte range (`None` when not known) and whether
    /// an unset compose variable (or one stacklint cannot evaluate) produced it.
    bytes: Bytes,
    /// The span used when a range cannot be mapped exactly.
    pub whole: Span,
}

/// What [`Text`] knows of each of its bytes, kept as runs: a word is usually one
/// stretch of source text, so one run instead of a position per byte (25 bytes
/// a byte, which made a parsed command 25 times its size). The first run is kept
/// inline: a word written verbatim, most of them, then takes no allocation.
#[derive(Clone, Debug, Default)]
struct Bytes {
    runs: SmallVec<[Run; 1]>,
    len: usize,
}

/// Bytes `[at, next run's at)` of a text. Offsets in 32 bits (16 bytes a run): no
/// file read is larger (`MAX_FILE_BYTES`), and a position that does not fit is
/// kept as unknown.
#[derive(Clone, Copy, Debug)]
struct Run {
    at: u32,
    /// The source range of the run's first byte, when `known`.
    start: u32,
    end: u32,
    known: bool,
    /// Each next byte is one source byte further on (text written verbatim); else
    /// every byte has the first byte's position (the bytes of one character, a
    /// variable's value).
    step: bool,
    taint: bool,
}

impl Run {
    /// The position of the run's `k`-th byte.
    fn pos(&self, k: usize) -> Option<(usize, usize)> {
        let (s, e) = (self.start as usize, self.end as usize);
        match (self.known, self.step) {
            (false, _) => None,
            (true, true) => Some((s + k, e + k)),
            (true, false) => Some((s, e)),
        }
    }
}

impl Bytes {
    /// `n` bytes with no known position.
    fn unknown(n: usize) -> Bytes {
        let mut b = Bytes::default();
        b.append(None, false, n, false);
        b
    }

    fn run_of(&self, i: usize) -> Option<&Run> {
        if i >= self.len {
            return None;
        }
        let k = self.runs.partition_point(|r| r.at as usize <= i);
        self.runs.get(k.checked_sub(1)?)
    }

    /// The source range of byte `i`.
    fn pos(&self, i: usize) -> Option<(usize, usize)> {
        // (Bytes past 32 bits are appended to no run: unknown.)
        u32::try_from(i).ok()?;
        let r = self.run_of(i)?;
        r.pos(i - r.at as usize)
    }

    /// Appends `n` bytes: the first at `pos`, the others one source byte further
    /// each when `step`, else at `pos` too. Continues the last run when it can.
    fn append(&mut self, pos: Option<(usize, usize)>, step: bool, n: usize, taint: bool) {
        // Past 32 bits (no text is that long, nor a file: both stop at 8 MiB) bytes
        // go in no run, and a run that would reach past them has no known position.
        if n == 0 {
            return;
        }
        let Ok(at) = u32::try_from(self.len) else {
            self.len += n;
            return;
        };
        let end_fits = |(s, e): (usize, usize)| {
            let last = if step { n - 1 } else { 0 };
            s.checked_add(last)
                .is_some_and(|x| u32::try_from(x).is_ok())
                && e.checked_add(last)
                    .is_some_and(|x| u32::try_from(x).is_ok())
        };
        let pos = pos.filter(|&p| end_fits(p));
        let step = step && n > 1 && pos.is_some();
        if let Some(last) = self.runs.last_mut() {
            let k = self.len - last.at as usize;
            if last.taint == taint {
                // (A run of one byte is both a step and a constant run.)
                let next = last.pos(0).map(|(s, e)| (s + k, e + k));
                if pos.is_some() && pos == next && (last.step || k == 1) && (step || n == 1) {
                    last.step = true;
                    self.len += n;
                    return;
                }
                if pos == last.pos(0) && (!last.step || k == 1) && !step {
                    last.step = false;
                    self.len += n;
                    return;
                }
            }
        }
        let (start, end) = pos.unwrap_or((0, 0));
        self.runs.push(Run {
            at,
            start: start as u32,
            end: end as u32,
            known: pos.is_some(),
            step,
            taint,
        });
        self.len += n;
    }

    /// Appends bytes `[a, b)` of `from`.
    fn extend_from(&mut self, from: &Bytes, a: usize, b: usize) {
        let b = b.min(from.len);
        if a >= b {
            return;
        }
        let first = from
            .runs
            .partition_point(|r| r.at as usize <= a)
            .saturating_sub(1);
        for (k, r) in from.runs.iter().enumerate().skip(first) {
            let end = from.runs.get(k + 1).map_or(from.len, |n| n.at as usize);
            let (s, e) = (a.max(r.at as usize), b.min(end));
            if s >= e {
                break;
            }
            self.append(r.pos(s - r.at as usize), r.step, e - s, r.taint);
        }
    }

    fn tainted(&self, a: usize, b: usize) -> bool {
        // (Bytes past 32 bits are in no run: unknown, and not tainted.)
        let b = b.min(self.len).min(u32::MAX as usize);
        if a >= b {
            return false;
        }
        let first = self
            .runs
            .partition_point(|r| r.at as usize <= a)
            .saturating_sub(1);
        self.runs[first..]
            .iter()
            .take_while(|r| (r.at as usize) < b)
            .any(|r| r.taint)
    }
}

impl Text {
    /// A string with no known positions: every span is `whole`.
    pub fn plain(s: String, whole: Span) -> Text {
        let n = s.len();
        Text {
            s: s.into(),
            bytes: Bytes::unknown(n),
            whole,
        }
    }

    /// A string written verbatim at byte `start` of `whole`'s file.
    pub fn exact(s: &str, whole: Span, start: usize) -> Text {
        let mut bytes = Bytes::default();
        if s.is_ascii() {
            // One byte per char, the common case: one run, kept inline.
            bytes.append(Some((start, start + 1)), true, s.len(), false);
        } else {
            // Each byte of a character points at the whole character.
            for (i, c) in s.char_indices() {
                let n = c.len_utf8();
                bytes.append(Some((start + i, start + i + n)), false, n, false);
            }
        }
        Text {
            s: s.into(),
            bytes,
            whole,
        }
    }

    fn with_taint(mut self, all: bool) -> Text {
        if all {
            self.bytes.runs.iter_mut().for_each(|r| r.taint = true);
        }
        self
    }

    /// The value of a scalar node (after interpolation), mapped to its source.
    pub fn from_node(n: NodeRef<'_>, sources: &Sources) -> Text {
        let Some(sc) = n.as_scalar() else {
            return Text::plain(String::new(), n.span());
        };
        let value = sc.value;
        let raw = sources.get(n.span().file).slice(&n.span());
        let (off, inner) = match sc.style {
            Style::SingleQuoted | Style::DoubleQuoted if raw.len() >= 2 => {
                (1, &raw[1..raw.len() - 1])
            }
            // The span starts at the content; skip a header if it is there.
            Style::Literal | Style::Folded if raw.starts_with(['|', '>']) => match raw.find('\n') {
                Some(i) => (i + 1, &raw[i + 1..]),
                None => (0, raw),
            },
            _ => (0, raw),
        };
        let base = n.span().start() + off;
        if sc.vars.is_empty() {
            if inner == value {
                return Text::exact(value, n.span(), base);
            }
            return match align(value, inner, base) {
                Some(bytes) => Text {
                    s: value.into(),
                    bytes,
                    whole: n.span(),
                },
                None => Text::plain(value.to_string(), n.span()),
            };
        }
        let simple = !inner.contains('\n')
            && match sc.style {
                Style::Plain => true,
                Style::SingleQuoted => !inner.contains("''"),
                Style::DoubleQuoted => !inner.contains('\\'),
                _ => false,
            };
        if simple {
            if let Some(t) = map_interpolated(value, inner, base, sc.vars, n.span()) {
                return t;
            }
        }
        // Unmapped: an unset variable left an empty string somewhere; the parsers
        // see the hole (an empty port, a missing word). `${X:+alt}` may leave anything.
        let alt = sc
            .vars
            .iter()
            .any(|u| matches!(u.op, Op::Alternative { .. }));
        Text::plain(value.to_string(), n.span()).with_taint(alt)
    }

    /// A Dockerfile word: written verbatim, or a JSON string with its quotes.
    pub fn from_word(value: &str, span: Span, sources: &Sources) -> Text {
        let raw = sources.get(span.file).slice(&span);
        if raw == value {
            return Text::exact(value, span, span.start());
        }
        let (off, inner) = if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
            (1, &raw[1..raw.len() - 1])
        } else {
            (0, raw)
        };
        if inner == value {
            return Text::exact(value, span, span.start() + off);
        }
        match align(value, inner, span.start() + off) {
            Some(bytes) => Text {
                s: value.into(),
                bytes,
                whole: span,
            },
            None => Text::plain(value.to_string(), span),
        }
    }

    /// Parts joined with single spaces (a Dockerfile shell-form line).
    pub fn join(parts: &[Text], whole: Span) -> Text {
        let mut out = Text::plain(String::new(), whole);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.s.push(' ');
                out.bytes.append(None, false, 1, false);
            }
            out.append(p);
        }
        out
    }

    /// Appends all of `t`.
    fn append(&mut self, t: &Text) {
        self.s.push_str(&t.s);
        self.bytes.extend_from(&t.bytes, 0, t.s.len());
    }

    pub fn len(&self) -> usize {
        self.s.len()
    }

    pub fn is_empty(&self) -> bool {
        self.s.is_empty()
    }

    /// The source span of bytes `[a, b)`, or `whole` when they cannot be mapped.
    pub fn span(&self, a: usize, b: usize) -> Span {
        let b = b.min(self.s.len());
        if a >= b {
            return match self.bytes.pos(a) {
                Some((s, _)) => Span::new(self.whole.file, s, s),
                None => self.whole,
            };
        }
        match (self.bytes.pos(a), self.bytes.pos(b - 1)) {
            (Some((s, _)), Some((_, e))) if s <= e => Span::new(self.whole.file, s, e),
            _ => self.whole,
        }
    }

    pub fn full_span(&self) -> Span {
        self.span(0, self.s.len())
    }

    /// Whether any byte of `[a, b)` came from an unset variable.
    pub fn tainted(&self, a: usize, b: usize) -> bool {
        self.bytes.tainted(a, b)
    }

    pub fn any_taint(&self) -> bool {
        self.bytes.runs.iter().any(|r| r.taint)
    }

    /// Bytes `[a, b)` as a text of their own (on char boundaries).
    pub fn slice(&self, a: usize, b: usize) -> Text {
        let b = b.min(self.s.len());
        let a = a.min(b);
        match self.s.get(a..b) {
            Some(s) => {
                let mut bytes = Bytes::default();
                bytes.extend_from(&self.bytes, a, b);
                Text {
                    s: s.into(),
                    bytes,
                    whole: self.whole,
                }
            }
            None => Text::plain(String::new(), self.whole),
        }
    }

    /// Appends the character `c` at byte `i` of `from`, with what `from` knows of it.
    fn push_from(&mut self, from: &Text, i: usize, c: char) {
        self.s.push(c);
        self.bytes.extend_from(&from.bytes, i, i + c.len_utf8());
        // Bytes `from` does not have (never, for a char read from it) are unknown.
        let missing = self.s.len().saturating_sub(self.bytes.len);
        self.bytes.append(None, false, missing, false);
    }
}

/// Did this use leave text stacklint cannot know (no value and no default)?
fn unresolved(u: &VarUse) -> bool {
    match u.op {
        Op::Default { .. } => false,
        Op::Alternative { .. } => true,
        Op::Plain | Op::Required { .. } => !u.defined,
    }
}

/// Maps each byte of `value` to `raw` (starting at source byte `base`), where
/// YAML dropped indentation, line breaks, escapes and quotes. `None` when the
/// two do not line up.
fn align(value: &str, raw: &str, base: usize) -> Option<Bytes> {
    let mut bytes = Bytes::default();
    let mut j = 0;
    for c in value.chars() {
        loop {
            let r = raw.get(j..)?.chars().next()?;
            // `$$` in compose is one `$`.
            if r == '$' && c == '$' && raw[j + 1..].starts_with('$') {
                bytes.append(Some((base + j, base + j + 2)), false, 1, false);
                j += 2;
                break;
            }
            if r == c || (c.is_whitespace() && r.is_whitespace()) {
                let at = Some((base + j, base + j + r.len_utf8()));
                bytes.append(at, false, c.len_utf8(), false);
                j += r.len_utf8();
                break;
            }
            if r.is_whitespace() || matches!(r, '\\' | '\'' | '"') {
                j += r.len_utf8();
                continue;
            }
            return None;
        }
    }
    Some(bytes)
}

/// Maps an interpolated value to its template `inner` (the scalar as written):
/// literal text byte for byte, `$$` to its first `$`, and each variable's value
/// to the whole `${...}` expression.
fn map_interpolated(
    value: &str,
    inner: &str,
    base: usize,
    uses: &[VarUse],
    whole: Span,
) -> Option<Text> {
    // Top-level uses in order; nested ones are inside their parent's range.
    let mut tops: Vec<&VarUse> = Vec::new();
    let mut sorted: Vec<&VarUse> = uses.iter().collect();
    sorted.sort_by_key(|u| (u.range.start, std::cmp::Reverse(u.range.end)));
    for u in sorted {
        if u.range.end > inner.len()
            || !inner.is_char_boundary(u.range.start)
            || !inner.is_char_boundary(u.range.end)
        {
            return None;
        }
        match tops.last() {
            Some(t) if u.range.start < t.range.end => {}
            _ => tops.push(u),
        }
    }
    let tainted = |t: &VarUse| {
        uses.iter()
            .any(|u| u.range.start >= t.range.start && u.range.end <= t.range.end && unresolved(u))
    };
    // Literal pieces between the uses, with `$$` unescaped.
    let literal = |a: usize, b: usize| -> Text {
        let src = Text::exact(&inner[a..b], whole, base + a);
        let mut out = Text::plain(String::new(), whole);
        let mut it = src.s.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            out.push_from(&src, i, c);
            if c == '$' && it.peek().map(|&(_, n)| n) == Some('$') {
                it.next();
            }
        }
        out
    };
    let mut lits = Vec::with_capacity(tops.len() + 1);
    let mut at = 0;
    for t in &tops {
        lits.push(literal(at, t.range.start));
        at = t.range.end;
    }
    lits.push(literal(at, inner.len()));

    let mut out = Text::plain(String::new(), whole);
    if !value.starts_with(lits[0].s.as_str()) {
        return None;
    }
    out.append(&lits[0]);
    let mut v = lits[0].s.len();
    for (k, t) in tops.iter().enumerate() {
        let next = &lits[k + 1];
        let end = if k + 1 == tops.len() {
            let e = value.len().checked_sub(next.s.len())?;
            if e < v || !value.ends_with(next.s.as_str()) {
                return None;
            }
            e
        } else {
            if next.s.is_empty() {
                return None;
            }
            v + value.get(v..)?.find(next.s.as_str())?
        };
        let expr = match t.span {
            Some(s) if s.file == whole.file => (s.start(), s.end()),
            _ => (base + t.range.start, base + t.range.end),
        };
        let taint = tainted(t);
        out.s.push_str(value.get(v..end)?);
        out.bytes.append(Some(expr), false, end - v, taint);
        out.append(next);
        v = end + next.s.len();
    }
    (out.s == value).then_some(out)
}

/// One simple command: its words, and what separates it from the next.
#[derive(Clone, Debug, Default)]
pub struct Cmd {
    pub words: Vec<Text>,
    /// Ended by a single `&`: runs while the next commands run.
    pub background: bool,
    /// Has an output redirection to a file (`> /etc/nginx/conf.d/default.conf`).
    pub writes_file: bool,
}

/// Splits a shell string into simple commands (at `;`, `&&`, `||`, `|`, `&`,
/// newlines and parentheses), each into words with quotes removed. Command
/// substitutions stay inside their word (with their `$`).
pub fn split(t: &Text) -> Vec<Cmd> {
    let chars: Vec<(usize, char)> = t.s.char_indices().collect();
    let mut cmds = Vec::new();
    let mut cur = Cmd::default();
    let mut tok: Option<Text> = None;
    // A redirection waiting for its target word: Some(true) for output.
    let mut redirect: Option<bool> = None;
    let new_tok = || Text::plain(String::new(), t.whole);

    fn finish_tok(tok: &mut Option<Text>, cur: &mut Cmd, redirect: &mut Option<bool>) {
        if let Some(w) = tok.take() {
            match redirect.take() {
                Some(out) => {
                    if out && !w.s.starts_with("/dev/") {
                        cur.writes_file = true;
                    }
                }
                None => cur.words.push(w),
            }
        }
    }
    fn finish_cmd(
        tok: &mut Option<Text>,
        cur: &mut Cmd,
        redirect: &mut Option<bool>,
        cmds: &mut Vec<Cmd>,
    ) {
        finish_tok(tok, cur, redirect);
        *redirect = None;
        let c = std::mem::take(cur);
        if !c.words.is_empty() {
            cmds.push(c);
        }
    }

    let n = chars.len();
    let mut i = 0;
    while i < n {
        let (b, c) = chars[i];
        match c {
            '\n' | ';' | '(' | ')' => {
                finish_cmd(&mut tok, &mut cur, &mut redirect, &mut cmds);
                i += 1;
            }
            '&' | '|' => {
                let double = chars.get(i + 1).map(|x| x.1) == Some(c);
                if c == '&' && !double {
                    cur.background = true;
                }
                finish_cmd(&mut tok, &mut cur, &mut redirect, &mut cmds);
                i += if double { 2 } else { 1 };
            }
            c if c.is_whitespace() => {
                finish_tok(&mut tok, &mut cur, &mut redirect);
                i += 1;
            }
            '#' if tok.is_none() => {
                while i < n && chars[i].1 != '\n' {
                    i += 1;
                }
            }
            '\\' => {
                match chars.get(i + 1) {
                    Some(&(_, '\n')) => {}
                    Some(&(nb, nc)) => tok.get_or_insert_with(new_tok).push_from(t, nb, nc),
                    None => {}
                }
                i += 2;
            }
            '\'' => {
                let w = tok.get_or_insert_with(new_tok);
                i += 1;
                while i < n && chars[i].1 != '\'' {
                    w.push_from(t, chars[i].0, chars[i].1);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                let w = tok.get_or_insert_with(new_tok);
                i += 1;
                while i < n && chars[i].1 != '"' {
                    let (cb, cc) = chars[i];
                    if cc == '\\' {
                        if let Some(&(nb, nc)) = chars.get(i + 1) {
                            if matches!(nc, '$' | '`' | '"' | '\\') {
                                w.push_from(t, nb, nc);
                                i += 2;
                                continue;
                            }
                            if nc == '\n' {
                                i += 2;
                                continue;
                            }
                        }
                    }
                    w.push_from(t, cb, cc);
                    i += 1;
                }
                i += 1;
            }
            '`' => {
                let w = tok.get_or_insert_with(new_tok);
                w.push_from(t, b, c);
                i += 1;
                while i < n && chars[i].1 != '`' {
                    w.push_from(t, chars[i].0, chars[i].1);
                    i += 1;
                }
                if i < n {
                    w.push_from(t, chars[i].0, chars[i].1);
                }
                i += 1;
            }
            '$' if chars.get(i + 1).map(|x| x.1) == Some('(') => {
                let w = tok.get_or_insert_with(new_tok);
                let mut depth = 0usize;
                while i < n {
                    let (cb, cc) = chars[i];
                    w.push_from(t, cb, cc);
                    i += 1;
                    if cc == '(' {
                        depth += 1;
                    } else if cc == ')' {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                }
            }
            '>' | '<' => {
                // `2>&1`, `>/dev/null`, `> file`: drop the fd and the target.
                if tok
                    .as_ref()
                    .is_some_and(|w| !w.s.is_empty() && w.s.bytes().all(|b| b.is_ascii_digit()))
                {
                    tok = None;
                } else {
                    finish_tok(&mut tok, &mut cur, &mut redirect);
                }
                let out = c == '>';
                i += 1;
                while i < n && matches!(chars[i].1, '>' | '<' | '|') {
                    i += 1;
                }
                if i < n && chars[i].1 == '&' {
                    i += 1;
                    while i < n && (chars[i].1.is_ascii_digit() || chars[i].1 == '-') {
                        i += 1;
                    }
                    continue;
                }
                redirect = Some(out);
            }
            _ => {
                tok.get_or_insert_with(new_tok).push_from(t, b, c);
                i += 1;
            }
        }
    }
    finish_cmd(&mut tok, &mut cur, &mut redirect, &mut cmds);
    cmds
}

/// An address `HOST:PORT`, `:PORT`, `[::1]:PORT`, `tcp://HOST:PORT/path`, taken from
/// bytes `[a, b)` of `t`: the host range and the port range (when there is a `:`).
/// `None` for a unix socket.
#[allow(clippy::type_complexity)]
pub fn split_addr(
    t: &Text,
    a: usize,
    b: usize,
) -> Option<((usize, usize), Option<(usize, usize)>)> {
    let s = t.s.get(a..b)?;
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("unix:") || lower.starts_with("fd://") || lower.starts_with("unix//") {
        return None;
    }
    let mut start = a;
    if let Some(i) = crate::parse::find_str(s, "://") {
        start = a + i + 3;
    }
    let rest = &t.s[start..b];
    // The authority ends at the path.
    let auth_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..auth_len];
    // Drop `user:pass@`.
    let (start, auth) = match auth.rfind('@') {
        Some(i) => (start + i + 1, &auth[i + 1..]),
        None => (start, auth),
    };
    if let Some(r) = auth.strip_prefix('[') {
        let close = r.find(']')? + 1;
        let host = (start, start + close + 1);
        return match auth[close + 1..].strip_prefix(':') {
            Some(p) => Some((host, Some((start + close + 2, start + close + 2 + p.len())))),
            None => Some((host, None)),
        };
    }
    // The last `:` outside `${...}`.
    let mut depth = 0usize;
    let mut colon = None;
    let bytes = auth.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b':' if depth == 0 => colon = Some(i),
            _ => {}
        }
    }
    Some(match colon {
        Some(i) => (
            (start, start + i),
            Some((start + i + 1, start + auth.len())),
        ),
        None => ((start, start + auth.len()), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    /// The list of one entry per byte that the runs stand for.
    fn per_byte(b: &Bytes) -> Vec<(Option<(usize, usize)>, bool)> {
        (0..b.len)
            .map(|i| (b.pos(i), b.tainted(i, i + 1)))
            .collect()
    }

    use crate::parse::testing::Lcg;

    #[test]
    fn runs_answer_as_a_list_per_byte_would() {
        let mut rng = Lcg(11);
        for _ in 0..3_000 {
            let mut b = Bytes::default();
            let mut list: Vec<(Option<(usize, usize)>, bool)> = Vec::new();
            for _ in 0..rng.below(7) {
                let n = rng.below(4) as usize;
                let last = list.last().and_then(|&(p, _)| p);
                // Positions that continue the last byte, repeat it, or do neither:
                // each way of joining (or not) a run.
                let pos = match rng.below(4) {
                    0 => None,
                    1 => last.map(|(s, e)| (s + 1, e + 1)),
                    2 => last,
                    _ => {
                        let s = rng.below(12) as usize;
                        Some((s, s + 1 + rng.below(2) as usize))
                    }
                };
                let step = rng.below(2) == 0;
                let taint = rng.below(3) == 0;
                b.append(pos, step, n, taint);
                for k in 0..n {
                    let p = match (pos, step) {
                        (Some((s, e)), true) => Some((s + k, e + k)),
                        (p, _) => p,
                    };
                    list.push((p, taint));
                }
            }
            assert_eq!(per_byte(&b), list);
            for a in 0..=list.len() + 1 {
                for z in a..=list.len() + 1 {
                    let mut part = Bytes::default();
                    part.extend_from(&b, a, z);
                    let want = list.get(a..z.min(list.len())).unwrap_or_default();
                    assert_eq!(per_byte(&part), want, "{a}..{z} of {list:?}");
                    assert_eq!(b.tainted(a, z), want.iter().any(|x| x.1));
                }
            }
        }
    }

    #[test]
    fn a_run_stays_small() {
        assert!(std::mem::size_of::<Run>() <= 16);
    }

    #[test]
    fn a_verbatim_word_is_one_run() {
        let whole = Span::new(FileId(0), 100, 140);
        let t = Text::exact("gunicorn -b 0.0.0.0:8000 app:wsgi", whole, 100);
        assert_eq!(t.bytes.runs.len(), 1);
        let cmds = split(&t);
        let words = &cmds[0].words;
        assert_eq!(words.len(), 4);
        for w in words {
            assert_eq!(w.bytes.runs.len(), 1, "{}", w.s);
        }
        // `0.0.0.0:8000` starts at byte 12 of the text.
        assert_eq!(words[2].span(8, 12), Span::new(FileId(0), 120, 124));
        // A character of several bytes: each of its bytes points at all of it.
        let t = Text::exact("aé", whole, 10);
        assert_eq!(t.span(1, 3), Span::new(FileId(0), 11, 13));
        assert_eq!(t.span(1, 2), Span::new(FileId(0), 11, 13));
    }
}
