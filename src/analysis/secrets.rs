//! Secrets stay out of every output: which keys look secret, and the spans of
//! their values, which the text report masks in its source snippets.

mod scan;
pub mod values;

pub use scan::{mask_urls, scan as scan_text};

use foldhash::{HashMap, HashMapExt};

use crate::compose::stack::Project;
use crate::parse::yaml::{Kind, NodeRef};
use crate::source::{Sources, Span};

/// Does this key name a secret (`POSTGRES_PASSWORD`, `api_key`, `JWT_SECRET`)?
///
/// Asked for every key of every file: compares ASCII case-insensitively in
/// place instead of lowercasing a copy.
pub fn is_secret_key(key: &str) -> bool {
    secret_key::<false>(key.as_bytes())
}

/// [`is_secret_key`] of a command option's name with each `-` read as `_`
/// (`--api-key`, `--db-password`), without a copy of it per word.
pub(crate) fn is_secret_option_name(opt: &str) -> bool {
    secret_key::<true>(opt.as_bytes())
}

/// `c` as the words below are written: lowercase, and `-` as `_` when `DASH`.
#[inline]
fn norm<const DASH: bool>(c: u8) -> u8 {
    if DASH && c == b'-' {
        b'_'
    } else {
        c.to_ascii_lowercase()
    }
}

fn secret_key<const DASH: bool>(k: &[u8]) -> bool {
    if holds_secret_word::<DASH>(k) {
        return true;
    }
    // `*_KEY` names are secrets unless they obviously are not (`*_PUBLIC_KEY`, `SORT_KEY`).
    // `RABBITMQ_DEFAULT_PASS`, `DB_PASS`
    // `SENTRY_DSN`: a URL whose user part is the key.
    if ends_with_ci::<DASH>(k, b"_pass")
        || eq_ci::<DASH>(k, b"pass")
        || ends_with_ci::<DASH>(k, b"_dsn")
        || eq_ci::<DASH>(k, b"dsn")
    {
        return true;
    }
    // A versioned key (`_APP_OPENSSL_KEY_V1`) is the key itself.
    // The digits end the key, so they are counted from its end: no search.
    let digits = k.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let head = &k[..k.len() - digits];
    let k = if digits > 0 && ends_with_ci::<DASH>(head, b"_v") {
        &head[..head.len() - 2]
    } else {
        k
    };
    (ends_with_ci::<DASH>(k, b"_key")
        || ends_with_ci::<DASH>(k, b"-key")
        || eq_ci::<DASH>(k, b"key"))
        && !contains_ci::<DASH>(k, b"public")
        && !contains_ci::<DASH>(k, b"sort")
        && !contains_ci::<DASH>(k, b"partition")
}

/// Whether `k` holds a secret word (`password`, `token`, `api_key`, ...) anywhere.
/// One pass, where a word's first two letters are: a table says which bytes may
/// start one, and nearly every such place fails on the second letter (before,
/// every byte was lowered and every candidate letter compared word by word: 375
/// instructions a key on the corpus).
fn holds_secret_word<const DASH: bool>(k: &[u8]) -> bool {
    (0..k.len().saturating_sub(2)).any(|i| {
        if !MAY_START[usize::from(k[i])] {
            return false;
        }
        let at = |w: &[u8]| starts_with_ci::<DASH>(&k[i..], w);
        match (norm::<DASH>(k[i]), norm::<DASH>(k[i + 1])) {
            (b'p', b'a') => at(b"password") || at(b"passwd"),
            (b'p', b'w') => at(b"pwd"),
            (b'p', b'r') => at(b"private_key") || at(b"privatekey"),
            (b's', b'e') => at(b"secret"),
            (b't', b'o') => at(b"token"),
            (b'a', b'p') => at(b"apikey") || at(b"api_key") || at(b"api-key"),
            (b'a', b'u') => at(b"auth_key"),
            (b'c', b'r') => at(b"credential"),
            // RabbitMQ's `RABBITMQ_ERLANG_COOKIE`: the shared secret of a cluster.
            (b'e', b'r') => at(b"erlang_cookie"),
            _ => false,
        }
    })
}

/// The bytes a secret word starts with, in either case: `p`, `s`, `t`, `a`, `c`, `e`.
static MAY_START: [bool; 256] = {
    let mut t = [false; 256];
    let first = b"pstacePSTACE";
    let mut i = 0;
    while i < first.len() {
        t[first[i] as usize] = true;
        i += 1;
    }
    t
};

/// Whether `hay` reads as `word` (lowercase ASCII), ignoring ASCII case.
fn eq_ci<const DASH: bool>(hay: &[u8], word: &[u8]) -> bool {
    hay.len() == word.len() && hay.iter().zip(word).all(|(&h, &w)| norm::<DASH>(h) == w)
}

/// Whether `hay` holds `needle` (lowercase ASCII), ignoring ASCII case.
fn contains_ci<const DASH: bool>(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| eq_ci::<DASH>(w, needle))
}

fn starts_with_ci<const DASH: bool>(hay: &[u8], head: &[u8]) -> bool {
    hay.len() >= head.len() && eq_ci::<DASH>(&hay[..head.len()], head)
}

fn ends_with_ci<const DASH: bool>(hay: &[u8], tail: &[u8]) -> bool {
    hay.len() >= tail.len() && eq_ci::<DASH>(&hay[hay.len() - tail.len()..], tail)
}

/// The spans of every secret value in the project's files: the literal parts of
/// each value. References (`${OPENAI_API_KEY}`, `$TOKEN`) name where a value
/// comes from and stay readable; the default of `${KEY:-default}` is a value
/// and is masked.
pub fn secret_spans(p: &Project) -> Vec<Span> {
    let mut out = Vec::new();
    for e in &p.env_files {
        for entry in &e.env.parsed.entries {
            if is_secret_key(&entry.key) && !entry.value_span.is_empty() {
                if entry.expand {
                    let raw = p
                        .sources
                        .get(entry.value_span.file)
                        .slice(&entry.value_span);
                    out.extend(
                        literal_ranges(raw)
                            .into_iter()
                            .map(|(s, e)| entry.value_span.sub(s, e)),
                    );
                } else {
                    out.push(entry.value_span);
                }
            }
        }
    }
    // Read without a parser too: a file that does not parse is still shown, and
    // URLs, commands and NGINX headers hold secrets under no secret-looking key.
    for (id, f) in p.sources.iter() {
        let found = match p.text_pass.get(&id) {
            Some(found) => std::borrow::Cow::Borrowed(found),
            None => std::borrow::Cow::Owned(scan::scan(f.kind, &f.text)),
        };
        out.extend(found.iter().map(|&(s, e)| Span::new(id, s, e)));
    }
    if let Some(tree) = p.root() {
        collect_yaml(
            p,
            tree,
            &mut out,
            0,
            &mut HashMap::new(),
            &mut HashMap::new(),
        );
    }
    // `--requirepass ${REDIS_PASSWORD:-redis}`: the default of a secret-looking
    // variable is its value wherever the reference sits.
    for u in p.each_var_use() {
        if let (Some(span), true) = (u.span, is_secret_key(&u.name)) {
            if matches!(u.op, crate::parse::interpolate::Op::Default { .. }) {
                let raw = p.sources.get(span.file).slice(&span);
                out.extend(literal_ranges(raw).into_iter().map(|(s, e)| span.sub(s, e)));
            }
        }
    }
    out
}

/// The secret spans of one project by file, sorted, for overlap queries in
/// logarithmic time (a report can hold many findings and many secrets).
#[derive(Debug, Default)]
pub struct SecretIndex {
    files: std::collections::HashMap<crate::source::FileId, Sorted>,
}

/// One file's spans sorted by start, with the furthest end up to each.
type Sorted = (Vec<(usize, usize)>, Vec<usize>);

impl SecretIndex {
    pub fn new(secrets: &[Span]) -> SecretIndex {
        let mut files: std::collections::HashMap<_, Sorted> = std::collections::HashMap::new();
        for s in secrets {
            files
                .entry(s.file)
                .or_default()
                .0
                .push((s.start(), s.end()));
        }
        for (spans, reach) in files.values_mut() {
            spans.sort_unstable();
            let mut far = 0;
            *reach = spans
                .iter()
                .map(|&(_, e)| {
                    far = far.max(e);
                    far
                })
                .collect();
        }
        SecretIndex { files }
    }

    /// Whether some secret shares a byte with `span`.
    pub fn overlaps(&self, span: &Span) -> bool {
        let Some((spans, reach)) = self.files.get(&span.file) else {
            return false;
        };
        let k = spans.partition_point(|&(s, _)| s < span.end());
        k > 0 && reach[k - 1] > span.start()
    }

    /// Whether one secret covers all of `start..end` in `file`.
    fn covers(&self, file: crate::source::FileId, start: usize, end: usize) -> bool {
        let Some((spans, reach)) = self.files.get(&file) else {
            return false;
        };
        let k = spans.partition_point(|&(s, _)| s <= start);
        k > 0 && reach[k - 1] >= end
    }

    /// The spans of `file`, sorted.
    pub fn in_file(&self, file: crate::source::FileId) -> &[(usize, usize)] {
        self.files.get(&file).map_or(&[], |(s, _)| s.as_slice())
    }
}

/// Shorter values are not looked for in messages: a 3-letter secret would mask
/// ordinary words. Snippets still mask them, by position.
const SHORTEST_REDACTED: usize = 6;

/// Takes every secret value (the text of `secrets`) out of the findings' messages,
/// labels and help: whatever a rule quotes, no format prints a secret.
pub fn redact(findings: &mut [crate::finding::Finding], sources: &Sources, secrets: &[Span]) {
    // Most projects have no finding: nothing to search.
    if findings.is_empty() {
        return;
    }
    let mut values: Vec<&str> = secrets
        .iter()
        .filter_map(|s| sources.get(s.file).text.get(s.range()))
        .map(str::trim)
        .filter(|v| v.chars().count() >= SHORTEST_REDACTED && !is_sentence(v))
        .collect();
    if values.is_empty() {
        return;
    }
    values.sort_unstable();
    values.dedup();
    // A value no text of the findings holds masks nothing there: the searchers
    // below are built only for values some text holds, while the substring tests
    // scan a bounded number of bytes (building them was 3% of a run over the test
    // corpus, for findings that quote no secret). Leaving out values that never
    // match changes no match of the others. (Past `public_values`' budget, fewer
    // values may find one public that a longer search gave up on as secret.)
    let (mut bytes, mut texts) = (0, 0);
    for f in findings.iter_mut() {
        each_text(f, |t| {
            bytes += t.len();
            texts += 1;
        });
    }
    if values.len().saturating_mul(bytes) <= 1 << 22 {
        // Searched in all the texts at once, joined by NUL: `str::contains` set
        // up a searcher for every value and text (half of this function's cost on
        // the corpus). A value holding a NUL may match across two texts and be
        // kept though no text holds it: it masks nothing, as when this search is
        // skipped, and only counts toward `public_values`' budget.
        let mut all = String::with_capacity(bytes + texts);
        for f in findings.iter_mut() {
            each_text(f, |t| {
                all.push_str(t);
                all.push('\0');
            });
        }
        values.retain(|v| memchr::memmem::find(all.as_bytes(), v.as_bytes()).is_some());
        if values.is_empty() {
            return;
        }
    }
    // A value also written where it is no secret (`${DB_PASSWORD:-wordpress}` in
    // service `wordpress`) is public text: messages keep naming the service.
    let public = public_values(sources, secrets, &values);
    values = values
        .into_iter()
        .zip(public)
        .filter_map(|(v, public)| (!public).then_some(v))
        .collect();
    if values.is_empty() {
        return;
    }
    let Ok(ac) = searcher(&values, aho_corasick::MatchKind::LeftmostLongest) else {
        return;
    };
    let clean = |t: &mut String| {
        if ac.is_match(t.as_str()) {
            let mut out = String::with_capacity(t.len());
            let mut at = 0;
            for m in ac.find_iter(t.as_str()) {
                out.push_str(&t[at..m.start()]);
                out.push_str("****");
                at = m.end();
            }
            out.push_str(&t[at..]);
            *t = out;
        }
    };
    for f in findings {
        each_text(f, clean);
    }
}

/// The texts of a finding that a rule writes and may quote a value in: what
/// [`redact`] looks in and masks (one list, so the two cannot part).
fn each_text(f: &mut crate::finding::Finding, mut g: impl FnMut(&mut String)) {
    g(&mut f.message);
    g(&mut f.label);
    if let Some(h) = &mut f.help {
        g(h);
    }
    for l in &mut f.related {
        g(&mut l.message);
    }
}

/// A searcher for `values`: a contiguous NFA, never a DFA. The texts searched are
/// a project's files and messages, small next to the cost of building a DFA,
/// which grows with the pattern bytes times the alphabet (8% of a run over the
/// test corpus; 45% of one whose secret-looking key holds a megabyte list).
fn searcher(
    values: &[&str],
    kind: aho_corasick::MatchKind,
) -> Result<aho_corasick::AhoCorasick, aho_corasick::BuildError> {
    aho_corasick::AhoCorasick::builder()
        .match_kind(kind)
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(values)
}

/// Words of letters with spaces between them (`database password required`): the
/// message of a `${VAR:?message}`, which compose prints and so do we.
fn is_sentence(v: &str) -> bool {
    let mut words = v.split(' ');
    v.contains(' ') && words.all(|w| !w.is_empty() && w.chars().all(char::is_alphabetic))
}

/// For each of `values`, whether the project's files also hold it, as a whole word,
/// outside every secret span. The work is bounded: past it, values count as secret.
fn public_values(sources: &Sources, secrets: &[Span], values: &[&str]) -> Vec<bool> {
    let mut public = vec![false; values.len()];
    let Ok(ac) = searcher(values, aho_corasick::MatchKind::Standard) else {
        return public;
    };
    let index = SecretIndex::new(secrets);
    let mut budget: usize = 1_000_000;
    for (id, f) in sources.iter() {
        let covered = |s: usize, e: usize| index.covers(id, s, e);
        let word = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        let b = f.text.as_bytes();
        for m in ac.find_overlapping_iter(&f.text) {
            if budget == 0 {
                return public;
            }
            budget -= 1;
            let (s, e) = (m.start(), m.end());
            let whole = !word(s.checked_sub(1).and_then(|i| b.get(i))) && !word(b.get(e));
            if whole && !covered(s, e) {
                public[m.pattern().as_usize()] = true;
            }
        }
    }
    public
}

/// The secret values under `n`. A mapping or list shared by several places (an
/// anchor merged into every service) holds the same spans wherever it is met, so
/// it is walked once: `seen` keeps the least depth each was walked at.
/// `keys`: [`is_secret_key`] of each key met so far. A stack repeats its keys
/// (each service has an `image`, an `environment` of the same names, ...), and
/// working one out costs ten times a look-up.
fn collect_yaml<'a>(
    p: &Project,
    n: NodeRef<'a>,
    out: &mut Vec<Span>,
    depth: usize,
    seen: &mut HashMap<usize, usize>,
    keys: &mut HashMap<&'a str, bool>,
) {
    if depth > 200 {
        return;
    }
    let mut first_visit = |ptr: usize| match seen.insert(ptr, depth) {
        // Walked before, as deep or deeper down: nothing new below.
        Some(d) if d <= depth => {
            seen.insert(ptr, d);
            false
        }
        _ => true,
    };
    // A list of plain values holds no `key: value` pair, so nothing is found
    // below it. Not recorded either: a service's command and healthcheck test
    // are lists shared with the model, and recording them kept two entries a
    // service until the run's end.
    if let Kind::Seq(items) = n.kind() {
        if items
            .iter()
            .all(|i| matches!(i.kind(), Kind::Scalar(_) | Kind::Null))
        {
            return;
        }
    }
    // Only a shared collection (an anchor's) can be met twice: one of a
    // single holder is walked with it (recording each was a sixth of this walk).
    if n.shared_key().is_some_and(|at| !first_visit(at)) {
        return;
    }
    match n.kind() {
        Kind::Map(entries) => {
            for (k, v) in entries.iter() {
                let secret = |k: &'a str| *keys.entry(k).or_insert_with(|| is_secret_key(k));
                if v.as_str().is_some() && k.as_str().is_some_and(secret) {
                    let raw = p.sources.get(v.span().file).slice(&v.span());
                    out.extend(
                        literal_ranges(raw)
                            .into_iter()
                            .map(|(s, e)| v.span().sub(s, e)),
                    );
                    // `POSTGRES_PASSWORD: ${DB_PASS}`: the .env line of DB_PASS
                    // holds a secret too, whatever its own name.
                    if let Some(s) = v.as_scalar() {
                        out.extend(s.vars.iter().filter_map(|u| u.source));
                    }
                }
                collect_yaml(p, v, out, depth + 1, seen, keys);
            }
        }
        Kind::Seq(items) => {
            for i in items.iter() {
                collect_yaml(p, i, out, depth + 1, seen, keys);
            }
        }
        _ => {}
    }
}

/// The byte ranges of `raw` (a value as written, with compose's `$` syntax)
/// that are literal text, i.e. everything but variable references: `${NAME}`,
/// `$NAME`, and the `${NAME:-` and `}` around a default (the default itself is
/// literal text, scanned the same way). `$$` is a literal `$`.
pub fn literal_ranges(raw: &str) -> Vec<(usize, usize)> {
    let b = raw.as_bytes();
    let mut refs: Vec<(usize, usize)> = Vec::new();
    let name_end = |mut j: usize| {
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        j
    };
    // `}` positions still to close, one per open `${NAME<op>` (bounded nesting).
    let mut open = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'$') => i += 2,
            b'$' if b.get(i + 1) == Some(&b'{') => {
                let end = name_end(i + 2);
                if end == i + 2 {
                    i += 2;
                    continue;
                }
                if b.get(end) == Some(&b'}') {
                    refs.push((i, end + 1));
                    i = end + 1;
                    continue;
                }
                // `:-`, `-`, `:?`, `?`, `:+`, `+`
                let mut op = end;
                if b.get(op) == Some(&b':') {
                    op += 1;
                }
                if matches!(b.get(op), Some(b'-' | b'?' | b'+')) && open < 16 {
                    refs.push((i, op + 1));
                    open += 1;
                    i = op + 1;
                } else {
                    i = end;
                }
            }
            b'$' => {
                let end = name_end(i + 1);
                if end > i + 1 && !b[i + 1].is_ascii_digit() {
                    refs.push((i, end));
                }
                i = end.max(i + 1);
            }
            b'}' if open > 0 => {
                refs.push((i, i + 1));
                open -= 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e) in refs {
        if s > at {
            out.push((at, s));
        }
        at = at.max(e);
    }
    if at < b.len() {
        out.push((at, b.len()));
    }
    out
}

/// `text` with the bytes of `spans` replaced by `*`, keeping every offset valid.
pub fn mask(text: &str, spans: &[(usize, usize)]) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    let mut bytes = text.as_bytes().to_vec();
    for &(s, e) in spans {
        for b in bytes.iter_mut().take(e.min(text.len())).skip(s) {
            // Keep line structure; everything else becomes '*'.
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Only ASCII was written over whole byte ranges; any char cut in half is replaced.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The text inside one pair of matching quotes, trimmed: `- KEY='<token>'` in a
/// list keeps its quotes in compose, and the text inside is what counts.
pub fn unquote(value: &str) -> &str {
    scan::unquoted(value.trim()).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`holds_secret_word`] as first written: every word tried wherever its
    /// first letter is, each byte lowered where it is compared.
    fn holds_secret_word_plainly<const DASH: bool>(k: &[u8]) -> bool {
        let words: [&[u8]; 13] = [
            b"password",
            b"passwd",
            b"pwd",
            b"private_key",
            b"privatekey",
            b"secret",
            b"token",
            b"apikey",
            b"api_key",
            b"api-key",
            b"auth_key",
            b"credential",
            b"erlang_cookie",
        ];
        (0..k.len()).any(|i| words.iter().any(|w| starts_with_ci::<DASH>(&k[i..], w)))
    }

    #[test]
    fn secret_words_are_found_as_they_are_plainly() {
        let pieces = [
            "",
            "_",
            "-",
            "KEY",
            "key",
            "Pass",
            "_PASS",
            "pwd",
            "PW",
            "d",
            "dsn",
            "_V",
            "1",
            "Public",
            "SORT",
            "PARTITION",
            "Api",
            "apI-KEY",
            "api_",
            "Auth_Key",
            "TOKEN",
            "to",
            "ken",
            "PrivateKey",
            "private-key",
            "ERLANG_COOKIE",
            "é",
            "Secret",
            "CREDENTIAL",
            "sec",
            "ret",
        ];
        let mut keys: Vec<String> = Vec::new();
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    keys.push(format!("{a}{b}{c}"));
                }
            }
        }
        for k in &keys {
            let k = k.as_bytes();
            assert_eq!(
                holds_secret_word::<false>(k),
                holds_secret_word_plainly::<false>(k),
                "{k:?}"
            );
            assert_eq!(
                holds_secret_word::<true>(k),
                holds_secret_word_plainly::<true>(k),
                "{k:?} (dash)"
            );
        }
    }

    #[test]
    fn secret_keys() {
        for k in [
            "POSTGRES_PASSWORD",
            "OPENAI_API_KEY",
            "jwt_secret_key",
            "GITHUB_TOKEN",
            "SECRET_KEY",
            "DB_PWD",
            "RABBITMQ_DEFAULT_PASS",
            "_APP_OPENSSL_KEY_V1",
            "RABBITMQ_ERLANG_COOKIE",
            "MYSQL_PASS",
            "SMTP_PASS",
            "ADMIN_PWD",
            "SENTRY_DSN",
            "Api-Key",
            "db_Pass",
            "JWT_KEY_V12",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "POSTGRES_USER",
            "PUBLIC_KEY",
            "TOKEN_EXPIRY_SECONDS_X".replace("TOKEN", "TTL").as_str(),
            "PORT",
            "COMPASS",
            "KEY_VALUE",
            "SORT_KEY_V2",
            "KEY_V",
            // `_v` with no digits after it is no version.
            "jwt_key_v",
            "pass_word_v1",
            "ключ_KEY_Vx",
            "",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn option_names_read_dashes_as_underscores() {
        for (opt, secret) in [
            ("api-key", true),
            ("db-password", true),
            ("auth-key", true),
            ("private-key", true),
            ("erlang-cookie", true),
            ("key-v2", true),
            ("jwt-key-V12", true),
            ("redis-pass", true),
            ("sentry-dsn", true),
            ("public-key", false),
            ("sort-key-v1", false),
            ("key-v", false),
            ("max-keys", false),
            ("port", false),
        ] {
            assert_eq!(is_secret_option_name(opt), secret, "{opt}");
            // The same verdict as the key spelt with underscores.
            assert_eq!(is_secret_key(&opt.replace('-', "_")), secret, "{opt}");
        }
    }

    #[test]
    fn index_overlaps_and_covers() {
        let f = crate::source::FileId(0);
        let ix = SecretIndex::new(&[Span::new(f, 10, 20), Span::new(f, 2, 4)]);
        assert!(ix.overlaps(&Span::new(f, 15, 30)));
        assert!(ix.overlaps(&Span::new(f, 0, 3)));
        assert!(!ix.overlaps(&Span::new(f, 4, 10)));
        assert!(!ix.overlaps(&Span::new(crate::source::FileId(1), 0, 99)));
        assert!(ix.covers(f, 12, 20));
        assert!(!ix.covers(f, 12, 21));
    }

    #[test]
    fn redact_takes_values_out_of_messages() {
        let mut sources = Sources::new();
        let text = "services:\n  wordpress:\n    environment:\n      \
                    DB_PASSWORD: wordpress\n      API_KEY: Zq81nVx0\n      TOKEN: abc\n      \
                    JWT_SECRET: Hk29fPq7\n";
        let id = sources.add(crate::source::SourceFile::new(
            "compose.yaml",
            crate::source::FileKind::Compose,
            text.to_string(),
        ));
        let span = |v: &str| {
            let s = text.find(v).unwrap_or_default();
            Span::new(id, s, s + v.len())
        };
        let secrets = [
            span("wordpress\n"),
            span("Zq81nVx0"),
            span("abc"),
            span("Hk29fPq7"),
        ];
        static META: crate::finding::RuleMeta = crate::finding::RuleMeta {
            code: "SL000",
            name: "test",
            severity: crate::severity::Severity::Error,
            category: crate::finding::Category::Syntax,
            summary: "",
            fix: crate::finding::FixAvailability::None,
        };
        let redacted = |message: &str, help: Option<String>, n: usize| {
            let mut f = crate::finding::Finding::new(&META, span("TOKEN"), message);
            f.help = help;
            let mut fs = vec![f; n];
            redact(&mut fs, &sources, &secrets);
            assert!(fs.iter().all(|g| g.message == fs[0].message));
            (fs[0].message.clone(), fs[0].help.clone())
        };
        // `wordpress` is also a service's name, `abc` too short to look for;
        // `Hk29fPq7` is quoted by no finding.
        let quoted = "service `wordpress` sets `Zq81nVx0`, `abc`, Zq81nVx0x";
        let masked = "service `wordpress` sets `****`, `abc`, ****x";
        assert_eq!(redacted(quoted, None, 1).0, masked);
        assert_eq!(redacted(quoted, None, 2_100).0, masked);
        assert_eq!(redacted("sets `Hk29fPq7`", None, 1).0, "sets `****`");
        assert_eq!(redacted("sets nothing", None, 1).0, "sets nothing");
        // Past the bound on the bytes to test, every value is searched for.
        let long = format!("{}Hk29fPq7", "x".repeat(1 << 21));
        let (message, help) = redacted(quoted, Some(long), 1);
        assert_eq!(message, masked);
        assert!(help.is_some_and(|h| h.ends_with("x****")));
    }

    #[test]
    fn mask_keeps_offsets() {
        let t = "A=1\nPASSWORD=hunter2\n";
        let m = mask(t, &[(13, 20)]);
        assert_eq!(m, "A=1\nPASSWORD=*******\n");
        assert_eq!(m.len(), t.len());
    }

    fn shown(raw: &str) -> String {
        mask(raw, &literal_ranges(raw))
    }

    #[test]
    fn references_stay_readable() {
        assert_eq!(shown("${OPENAI_API_KEY}"), "${OPENAI_API_KEY}");
        assert_eq!(shown("$TOKEN"), "$TOKEN");
        assert_eq!(shown("hunter2"), "*******");
        assert_eq!(shown("${JWT_KEY:-dev-key}"), "${JWT_KEY:-*******}");
        assert_eq!(shown("${JWT_KEY-dev}"), "${JWT_KEY-***}");
        assert_eq!(shown("pre${A}post"), "***${A}****");
        assert_eq!(shown("pa$$word"), "********");
        assert_eq!(shown("${A:-${B:-x}y}"), "${A:-${B:-*}*}");
        assert_eq!(shown("\"${A}\""), "*${A}*");
        // Not references: `${` without a name, `$1`.
        assert_eq!(shown("${}x"), "****");
        assert_eq!(shown("$1ab"), "****");
    }

    /// The walk of the tree records only the shared collections that can hold a
    /// secret: the anchored mapping, not the list-form commands the model shares.
    /// It still finds the anchored value, once however many services use it.
    #[test]
    fn the_walk_records_no_list_of_plain_values() {
        let p = crate::compose::stack::project_of_text(
            "x-env: &env\n  API_TOKEN: t0ken\nservices:\n  a:\n    image: app\n    \
             command: [run, --password, hunter2]\n    healthcheck: {test: [CMD, curl, x]}\n    \
             environment: *env\n  b:\n    image: app\n    environment: *env\n    \
             entrypoint: [sh, -c, x]\n",
        );
        let (mut out, mut seen) = (Vec::new(), HashMap::new());
        let root = p.root().expect("a tree");
        collect_yaml(&p, root, &mut out, 0, &mut seen, &mut HashMap::new());
        assert_eq!(seen.len(), 1, "{seen:?}");
        let text = |s: &Span| p.sources.get(s.file).slice(s).to_string();
        let found: Vec<String> = out.iter().map(text).collect();
        assert_eq!(found, ["t0ken"]);
    }

    /// A large compose file's text scanned while it is parsed (as the command
    /// line has it) gives the project the secrets a scan after the load finds.
    #[test]
    fn a_text_scanned_while_parsed_keeps_its_secrets() {
        use crate::compose::stack::{project_of_text_with, LoadOptions, TextPass};
        let mut text = String::from("services:\n");
        for i in 0..300 {
            text.push_str(&format!(
                "  s{i}:\n    image: app\n    command: redis-cli -a pw{i} ping\n    \
                 environment:\n      DB_URL: postgres://u:secret{i}@db/x\n"
            ));
        }
        assert!(text.len() >= crate::compose::load::PARALLEL_TEXT);
        let during = project_of_text_with(
            &text,
            &LoadOptions {
                text_pass: Some(TextPass::new(scan_text)),
                ..Default::default()
            },
        );
        let after = project_of_text_with(&text, &LoadOptions::default());
        assert_eq!(during.text_pass.len(), 1);
        assert!(after.text_pass.is_empty());
        let (mut a, mut b) = (secret_spans(&during), secret_spans(&after));
        let key = |s: &Span| (s.file, s.start(), s.end());
        a.sort_by_key(key);
        b.sort_by_key(key);
        // Each service's redis password and URL password, at least.
        assert!(a.len() >= 600, "{}", a.len());
        assert_eq!(a, b);
    }
}
