//! Secrets found by reading a file's text line by line, without its parser: a
//! file that does not parse (a YAML syntax error, a bad `.env` line) is still
//! shown in snippets, and some secrets sit where no parsed key names them (a URL's
//! password, a `--requirepass` argument, an NGINX `Authorization` header). When in
//! doubt, this masks.

use super::{is_secret_key, is_secret_option_name, literal_ranges};
use crate::source::FileKind;

/// Byte ranges of `text` (a file of `kind`) that hold secrets.
pub fn scan(kind: FileKind, text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    url_passwords(text, &mut out);
    match kind {
        FileKind::Nginx => nginx(text, &mut out),
        _ => {
            key_lines(kind, text, &mut out);
            words(text, &mut out);
        }
    }
    out
}

/// `text` with the password (or the whole user part, `https://KEY@sentry.io/1`) of
/// every URL masked: for strings shown outside a snippet (a graph's build context).
pub fn mask_urls(text: &str) -> String {
    let mut spans = Vec::new();
    url_passwords(text, &mut spans);
    super::mask(text, &spans)
}

/// Pushes the literal parts of `text[s..e]` (references stay readable), the
/// quotes around it left out.
fn push_value(text: &str, s: usize, e: usize, out: &mut Vec<(usize, usize)>) {
    let Some(raw) = text.get(s..e) else {
        return;
    };
    let t = raw.trim();
    let lead = raw.len() - raw.trim_start().len();
    let (mut s, mut e) = (s + lead, s + lead + t.len());
    let b = t.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        s += 1;
        e -= 1;
    } else if b.len() == 1 && (b[0] == b'"' || b[0] == b'\'') {
        return;
    }
    let Some(v) = text.get(s..e) else {
        return;
    };
    // `$$NAME` is compose's escape for the shell's reference `$NAME`: a name too.
    // Read as `_$NAME` (same offsets), then the `_` left out.
    let mut shell = v.as_bytes().to_vec();
    let mut escapes = Vec::new();
    let mut k = 0;
    while k + 2 < shell.len() {
        if shell[k] == b'$' && shell[k + 1] == b'$' {
            let c = shell[k + 2];
            if c == b'{' || c == b'_' || c.is_ascii_alphabetic() {
                shell[k] = b'_';
                escapes.push(k);
            }
            k += 2;
        } else {
            k += 1;
        }
    }
    let shell = String::from_utf8_lossy(&shell);
    for (a, z) in literal_ranges(&shell) {
        let mut from = a;
        for &x in escapes.iter().filter(|&&x| x >= a && x < z) {
            if x > from {
                out.push((s + from, s + x));
            }
            from = x + 1;
        }
        if z > from {
            out.push((s + from, s + z));
        }
    }
}

/// `scheme://user:password@host`: the password, or the whole user part when it has
/// no `:` (a Sentry DSN's key, a token as user name).
fn url_passwords(text: &str, out: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    // memchr's searcher: over a whole large file, a fourth of what `str::find`
    // took (0.7M instructions instead of 2.8M on 2,000 services).
    let scheme = memchr::memmem::Finder::new("://");
    let mut from = 0;
    while let Some(i) = b.get(from..).and_then(|t| scheme.find(t)) {
        let start = from + i + 3;
        from = start;
        // The authority ends at a path, a query, whitespace or a delimiter of the
        // text around it; `${…}` inside it is kept whole.
        let mut j = start;
        let mut depth = 0usize;
        let mut at = None;
        while j < b.len() {
            match b[j] {
                b'{' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                b'@' => at = Some(j),
                b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b';' | b',' | b'[' | b']'
                | b'(' | b')' | b'`'
                    if depth == 0 =>
                {
                    break
                }
                c if c.is_ascii_whitespace() => break,
                _ => {}
            }
            j += 1;
        }
        let Some(at) = at else {
            continue;
        };
        // The first `:` outside `${…}` splits user and password.
        let mut colon = None;
        let mut depth = 0usize;
        for (k, &c) in b.iter().enumerate().take(at).skip(start) {
            match c {
                b'{' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                b':' if depth == 0 => {
                    colon = Some(k);
                    break;
                }
                _ => {}
            }
        }
        push_value(text, colon.map_or(start, |c| c + 1), at, out);
        from = at + 1;
    }
}

/// `KEY: value`, `- KEY=value`, `export KEY=value`, `ENV KEY value` lines with a
/// secret-looking key: the value to the end of the line (a YAML comment aside), and
/// the lines of a block scalar (`KEY: |`) below it. In a `.env` file, a line that
/// is no `KEY=value` at all is masked after its first word.
fn key_lines(kind: FileKind, text: &str, out: &mut Vec<(usize, usize)>) {
    let mut block_indent: Option<usize> = None;
    let mut pos = 0;
    // memchr's searcher, not `split_inclusive`'s: a sixth of this scan went to
    // finding line ends (4.4M of 26.7M instructions on 2,000 services).
    let lines = memchr::memchr_iter(b'\n', text.as_bytes())
        .map(|k| k + 1)
        .chain((!text.ends_with('\n')).then_some(text.len()));
    for end in lines.filter(|&end| end > 0) {
        let start = pos;
        pos = end;
        let line = &text[start..end];
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = indent_of(body);
        if let Some(bi) = block_indent {
            if body.trim().is_empty() || indent > bi {
                push_value(text, start + indent, start + body.len(), out);
                continue;
            }
            block_indent = None;
        }
        let mut rest = &body[indent..];
        let mut at = start + indent;
        // Compared only where the first byte agrees: most lines start with none.
        let first = rest.as_bytes().first();
        for prefix in ["- ", "export ", "ENV ", "ARG ", "env ", "arg "]
            .iter()
            .filter(|p| p.as_bytes().first() == first)
        {
            if let Some(r) = rest.strip_prefix(prefix) {
                let skip = prefix.len() + (r.len() - r.trim_start().len());
                at += skip;
                rest = &rest[skip..];
                break;
            }
        }
        if rest.starts_with('#') {
            continue;
        }
        let quoted_key = rest.starts_with(['"', '\'']);
        let key_start = usize::from(quoted_key);
        let key_len = rest[key_start..]
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
            .count();
        let key = &rest[key_start..key_start + key_len];
        let mut after = key_start + key_len;
        if quoted_key && rest.get(after..after + 1) == rest.get(..1) {
            after += 1;
        }
        let tail = &rest[after..];
        // `KEY = value` (some `.env` files space the `=`).
        let gap = tail
            .bytes()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        let (value_at, yaml) = if let Some(t) = tail.strip_prefix(':') {
            if !(t.is_empty() || t.starts_with([' ', '\t'])) {
                continue;
            }
            (after + 1, true)
        } else if tail[gap..].starts_with('=') {
            (after + gap + 1, false)
        } else if kind == FileKind::Dockerfile
            && tail.starts_with([' ', '\t'])
            && body[indent..].len() > rest.len()
        {
            // `ENV KEY value`: the old form, one variable, the rest is its value.
            (after, false)
        } else {
            if kind == FileKind::Env && !rest.trim().is_empty() && !rest.contains('=') {
                // A line the `.env` parser cannot read may still hold a value.
                let first = rest.find([' ', '\t']).unwrap_or(rest.len());
                push_value(text, at + first, start + body.len(), out);
            }
            continue;
        };
        if key.is_empty() || !is_secret_key(key) {
            continue;
        }
        let value = &rest[value_at..];
        let v = value.trim_start();
        if yaml && v.starts_with(['|', '>']) {
            block_indent = Some(indent);
            continue;
        }
        let mut end = value.len();
        if v.starts_with(['"', '\'']) {
            // A quoted value ends at its quote (`KEY: "v" # c`).
            let q = &v[..1];
            if let Some(close) = v[1..].find(q) {
                end = value.len() - v.len() + close + 2;
            }
        } else if quoted_key && rest.get(after - 1..after) != rest.get(..1) {
            // `- "KEY=value"`: the item's quote closes after the value.
            if let Some(close) = value.rfind(&rest[..1]) {
                end = close;
            }
        } else if let Some(c) = value.find([' ', '\t']).and_then(|_| value.find(" #")) {
            // A plain value ends at a comment.
            end = c;
        }
        if let Some(c) = value[..end].find("\t#") {
            end = c;
        }
        push_value(text, at + value_at, at + value_at + end, out);
    }
}

/// The length of `line`'s leading whitespace, as `trim_start` finds it: bytes
/// for ASCII (its char decoding was a tenth of this scan), `trim_start` past them.
fn indent_of(line: &str) -> usize {
    let n = line
        .bytes()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r'))
        .count();
    match line.as_bytes().get(n) {
        Some(c) if !c.is_ascii() => line.len() - line.trim_start().len(),
        _ => n,
    }
}

/// Words of a command anywhere in the file (a healthcheck, `command:`, `RUN`):
/// `KEY=value` with a secret-looking key (`PGPASSWORD=… psql`), `--password=…`,
/// `--password …`, `--requirepass …`, `redis-cli -a …`, `mysqladmin -p…`.
fn words(text: &str, out: &mut Vec<(usize, usize)>) {
    // Read as they come, one word ahead: a `.env` of many keys is as many words,
    // and a list of them all would be most of this scan's memory. (Ahead by hand:
    // `Peekable`'s nested option was copied to and fro for every word.)
    let mut toks = Words { text, i: 0, seg: 0 };
    let mut ahead = toks.next();
    let mut redis = None;
    let mut mysql = None;
    while let Some((s, e, sg)) = ahead {
        ahead = toks.next();
        let w = &text[s..e];
        // Byte loops, not `rsplit`/`split_once`: words are short and there is one
        // per key of a `.env` file, where a searcher's setup costs more than the search.
        // The programs' names end in one of these letters; most words do not.
        if matches!(w.as_bytes().last(), Some(b'i' | b'l' | b'n' | b'p' | b'b')) {
            let prog = match w.bytes().rposition(|c| c == b'/') {
                Some(i) => &w[i + 1..],
                None => w,
            };
            if prog == "redis-cli" {
                redis = Some(sg);
            }
            if matches!(
                prog,
                "mysql" | "mysqladmin" | "mysqldump" | "mariadb" | "mariadb-admin" | "mariadb-dump"
            ) {
                mysql = Some(sg);
            }
        }
        let next = || ahead.filter(|n| n.2 == sg && !text[n.0..n.1].starts_with('-'));
        if let Some(key) = w.bytes().position(|c| c == b'=').map(|i| &w[..i]) {
            let opt = key.trim_start_matches('-');
            let plain = !opt.is_empty()
                && opt
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
            if plain && (is_secret_option_name(opt) || is_secret_option(opt)) {
                push_value(text, s + key.len() + 1, e, out);
            }
            continue;
        }
        if let Some(opt) = w.strip_prefix("--") {
            if is_secret_option_name(opt) || is_secret_option(opt) {
                if let Some(n) = next() {
                    push_value(text, n.0, n.1, out);
                }
            }
            continue;
        }
        if w == "-a" && redis == Some(sg) {
            if let Some(n) = next() {
                push_value(text, n.0, n.1, out);
            }
        }
        // `-pSECRET`; a bare `-p` prompts, and `-p name` names a database.
        if mysql == Some(sg) && w.len() > 2 && w.starts_with("-p") {
            push_value(text, s + 2, e, out);
        }
    }
}

/// The words of a text as (start, end, segment): a segment is one logical
/// command, which goes on over a `\` line end or into the next item of a YAML
/// block list. A lone `-` is no word.
struct Words<'a> {
    text: &'a str,
    i: usize,
    seg: usize,
}

impl Iterator for Words<'_> {
    type Item = (usize, usize, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.text.as_bytes();
        let mut i = self.i;
        while let Some(&c) = b.get(i) {
            if SEPARATES[usize::from(c)] {
                if c == b'\n' && ends_segment(b, i) {
                    self.seg += 1;
                }
                i += 1;
                continue;
            }
            let s = i;
            i = b[s + 1..]
                .iter()
                .position(|&c| SEPARATES[usize::from(c)])
                .map_or(b.len(), |k| s + 1 + k);
            if i - s > 1 || c != b'-' {
                self.i = i;
                return Some((s, i, self.seg));
            }
        }
        self.i = i;
        None
    }
}

/// Whether the line end at `b[i]` ends a command: the line does not end in `\`
/// (spaces, tabs and `\r` after it aside) and the next is no YAML list item.
/// Bytes, not `trim_*_matches`: asked for every line of every file, where the
/// searchers' setup cost a third of the words' reading.
fn ends_segment(b: &[u8], i: usize) -> bool {
    let blank = |c: &u8| matches!(c, b' ' | b'\t');
    let before = b[..i].iter().rposition(|c| !blank(c) && *c != b'\r');
    if before.is_some_and(|p| b[p] == b'\\') {
        return false;
    }
    let after = &b[i + 1..];
    let from = after.iter().position(|c| !blank(c)).unwrap_or(after.len());
    !after[from..].starts_with(b"- ")
}

/// The bytes between [`Words`]: ASCII whitespace, quotes, `,`, `[`, `]`, `` ` ``
/// and `;`. A table: asked for every byte of every file.
static SEPARATES: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] =
            b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b',' | b'[' | b']' | b'`' | b';');
        c += 1;
    }
    t
};

/// Options whose argument is a secret though their name does not say so.
fn is_secret_option(opt: &str) -> bool {
    matches!(opt, "requirepass" | "masterauth" | "pass")
}

/// NGINX directives that set a secret-looking header (`proxy_set_header
/// Authorization "Bearer …"`, `more_set_headers "X-Api-Key: …"`) or variable
/// (`set $secret_token …`): their values. Read as statements split at `;`, `{`
/// and `}` outside quotes, comments skipped.
fn nginx(text: &str, out: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut i = 0;
    // Words of the current statement: (start, end) with quotes kept.
    let mut stmt: Vec<(usize, usize)> = Vec::new();
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b';' | b'{' | b'}' => {
                nginx_statement(text, &stmt, out);
                stmt.clear();
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            q @ (b'"' | b'\'') => {
                let s = i;
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                stmt.push((s, i));
            }
            _ => {
                let s = i;
                while i < b.len()
                    && !b[i].is_ascii_whitespace()
                    && !matches!(b[i], b';' | b'{' | b'}')
                {
                    i += 1;
                }
                stmt.push((s, i));
            }
        }
    }
    nginx_statement(text, &stmt, out);
}

fn nginx_statement(text: &str, words: &[(usize, usize)], out: &mut Vec<(usize, usize)>) {
    let word = |k: usize| words.get(k).map_or("", |&(s, e)| unquoted(&text[s..e]));
    match word(0) {
        "proxy_set_header" | "grpc_set_header" | "add_header" | "add_trailer" | "fastcgi_param"
        | "uwsgi_param" | "scgi_param"
            if is_secret_header(word(1)) =>
        {
            for &(s, e) in words.iter().skip(2) {
                push_value(text, s, e, out);
            }
        }
        "more_set_headers" | "more_set_input_headers" => {
            for &(s, e) in words.iter().skip(1) {
                let w = &text[s..e];
                let inner = unquoted(w);
                // Past the opening quote, when `unquoted` took a pair off.
                let off = s + usize::from(inner.len() != w.len());
                if let Some((name, _)) = inner.split_once(':') {
                    if is_secret_header(name.trim()) {
                        push_value(text, off + name.len() + 1, off + inner.len(), out);
                    }
                }
            }
        }
        "set" => {
            let var = word(1).trim_start_matches('$');
            if is_secret_key(var) || is_secret_header(var) {
                for &(s, e) in words.iter().skip(2) {
                    push_value(text, s, e, out);
                }
            }
        }
        _ => {}
    }
}

/// `w` without one pair of matching quotes around it, nothing trimmed (byte
/// offsets into `w` stay valid past the opening quote).
pub(super) fn unquoted(w: &str) -> &str {
    let b = w.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &w[1..w.len() - 1]
    } else {
        w
    }
}

/// A header that carries a credential: `Authorization`, `Cookie`, `X-Api-Key`,
/// `X-Auth-Token`.
fn is_secret_header(h: &str) -> bool {
    let l = h.to_ascii_lowercase();
    l.contains("authorization") || l.contains("cookie") || is_secret_key(&l.replace('-', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(kind: FileKind, text: &str) -> String {
        super::super::mask(text, &scan(kind, text))
    }

    #[test]
    fn indents_are_measured_as_trim_start_does() {
        for line in [
            "",
            "a",
            "  a",
            "\t\x0B\x0C\r a",
            " \u{a0}\u{2003}a",
            " é",
            "\u{85}x",
            "   ",
        ] {
            assert_eq!(
                indent_of(line),
                line.len() - line.trim_start().len(),
                "{line:?}"
            );
        }
    }

    #[test]
    fn urls() {
        let t = "DATABASE_URL: postgres://app:pa55@db/app\nR: redis://:hunter2@cache:6379\n";
        assert_eq!(
            shown(FileKind::Compose, t),
            "DATABASE_URL: postgres://app:****@db/app\nR: redis://:*******@cache:6379\n"
        );
        assert_eq!(
            mask_urls("https://k3y@o1.sentry.io/1 ${A:-x}://${U}:${P}@h"),
            "https://***@o1.sentry.io/1 ${A:-x}://${U}:${P}@h"
        );
        assert_eq!(mask_urls("http://app:8080/x"), "http://app:8080/x");
    }

    #[test]
    fn key_lines_without_a_parser() {
        let t =
            "a:\n  DB_PASS: x1 # c\n  - SENTRY_DSN=abc\n  b: [\n  TLS_KEY: |\n    line\n  c: d\n";
        assert_eq!(
            shown(FileKind::Compose, t),
            "a:\n  DB_PASS: ** # c\n  - SENTRY_DSN=***\n  b: [\n  TLS_KEY: |\n    ****\n  c: d\n"
        );
        assert_eq!(
            shown(FileKind::Env, "A=1\nBAD LINE here\nTOKEN='q'\n"),
            "A=1\nBAD *********\nTOKEN='*'\n"
        );
        assert_eq!(
            shown(FileKind::Dockerfile, "ENV API_SECRET s3c\nARG X=1\n"),
            "ENV API_SECRET ***\nARG X=1\n"
        );
    }

    #[test]
    fn command_words() {
        for (t, want) in [
            (
                "redis-cli -p 6380 -a s3c ping",
                "redis-cli -p 6380 -a *** ping",
            ),
            ("redis-cli --pass s3c", "redis-cli --pass ***"),
            (
                "[\"redis-cli\", \"-a\", \"s3c\"]",
                "[\"redis-cli\", \"-a\", \"***\"]",
            ),
            (
                "mysqladmin ping -ps3c -P 3307",
                "mysqladmin ping -p*** -P 3307",
            ),
            ("mysql -p db", "mysql -p db"),
            ("psql -p 5432", "psql -p 5432"),
            (
                "x --password=s3c --password s3c",
                "x --password=*** --password ***",
            ),
            ("x PGPASSWORD=s3c psql", "x PGPASSWORD=*** psql"),
            (
                "redis-server --requirepass $$REDIS_PASSWORD",
                "redis-server --requirepass $$REDIS_PASSWORD",
            ),
            (
                "cmd:\n  - redis-cli\n  - -a\n  - s3c\n",
                "cmd:\n  - redis-cli\n  - -a\n  - ***\n",
            ),
            ("x --password\nports:", "x --password\nports:"),
        ] {
            assert_eq!(shown(FileKind::Compose, t), want, "{t}");
        }
    }

    /// The words as first written: each byte asked whether it separates, lines
    /// split where they end.
    fn words_plainly(text: &str) -> Vec<(usize, usize, usize)> {
        let sep = |c: u8| {
            c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b',' | b'[' | b']' | b'`' | b';')
        };
        let (b, mut out, mut seg, mut i) = (text.as_bytes(), Vec::new(), 0, 0);
        while i < b.len() {
            if b[i] == b'\n' {
                let prev = text[..i].trim_end_matches([' ', '\t', '\r']);
                let next = text[i + 1..].trim_start_matches([' ', '\t']);
                if !prev.ends_with('\\') && !next.starts_with("- ") {
                    seg += 1;
                }
                i += 1;
            } else if sep(b[i]) {
                i += 1;
            } else {
                let s = i;
                while i < b.len() && !sep(b[i]) {
                    i += 1;
                }
                if &text[s..i] != "-" {
                    out.push((s, i, seg));
                }
            }
        }
        out
    }

    #[test]
    fn words_are_read_as_they_are_plainly() {
        let pieces = [
            "-",
            "--",
            "a",
            "-a",
            "é",
            "x=1",
            " ",
            "\t",
            "\u{b}",
            "\u{c}",
            "\n",
            "\r\n",
            "\\\n",
            "\n- ",
            "\n  - ",
            "\"",
            "'",
            ",",
            "[",
            "]",
            "`",
            ";",
            "redis-cli",
            "ü-",
        ];
        // Every text of up to three pieces, and some longer ones.
        let mut texts: Vec<String> = vec![String::new()];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    texts.push(format!("{a}{b}{c}"));
                }
            }
        }
        texts.push("cmd:\n  - redis-cli\n  - -a\n  - s3c\n- \n-".into());
        texts.push("run \\\n  --password s3c; x, [y] `z`\r\n - -".into());
        for t in &texts {
            let fast: Vec<_> = Words {
                text: t,
                i: 0,
                seg: 0,
            }
            .collect();
            assert_eq!(fast, words_plainly(t), "{t:?}");
        }
    }

    #[test]
    fn nginx_headers() {
        let t = "proxy_set_header Authorization \"Bearer t0k\";\n\
                 proxy_set_header Host $host;\n\
                 proxy_set_header Cookie $http_cookie;\n\
                 more_set_headers \"X-Api-Key: k3y\";\n\
                 set $secret_token abc; # set $password x\n\
                 add_header X-Api-Key k3y;";
        assert_eq!(
            shown(FileKind::Nginx, t),
            "proxy_set_header Authorization \"**********\";\n\
             proxy_set_header Host $host;\n\
             proxy_set_header Cookie $http_cookie;\n\
             more_set_headers \"X-Api-Key: ***\";\n\
             set $secret_token ***; # set $password x\n\
             add_header X-Api-Key ***;"
        );
    }
}
