//! Secrets stay out of every output: which keys look secret, and the spans of
//! their values, which the text report masks in its source snippets.

use crate::compose::stack::Project;
use crate::parse::yaml::{Node, Value};
use crate::source::Span;

/// Does this key name a secret (`POSTGRES_PASSWORD`, `api_key`, `JWT_SECRET`)?
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const WORDS: [&str; 13] = [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "private_key",
        "privatekey",
        "credential",
        "auth_key",
        // RabbitMQ's `RABBITMQ_ERLANG_COOKIE`: the shared secret of a cluster.
        "erlang_cookie",
    ];
    if WORDS.iter().any(|w| k.contains(w)) {
        return true;
    }
    // `*_KEY` names are secrets unless they obviously are not (`*_PUBLIC_KEY`, `SORT_KEY`).
    // `RABBITMQ_DEFAULT_PASS`, `DB_PASS`
    if k.ends_with("_pass") || k == "pass" {
        return true;
    }
    // A versioned key (`_APP_OPENSSL_KEY_V1`) is the key itself.
    let k = match k.rsplit_once("_v") {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            head.to_string()
        }
        _ => k,
    };
    (k.ends_with("_key") || k.ends_with("-key") || k == "key")
        && !k.contains("public")
        && !k.contains("sort")
        && !k.contains("partition")
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
    if let Some(tree) = &p.tree {
        collect_yaml(p, tree, &mut out, 0);
    }
    // `--requirepass ${REDIS_PASSWORD:-redis}`: the default of a secret-looking
    // variable is its value wherever the reference sits.
    for u in &p.var_uses {
        if let (Some(span), true) = (u.span, is_secret_key(&u.name)) {
            if matches!(u.op, crate::parse::interpolate::Op::Default { .. }) {
                let raw = p.sources.get(span.file).slice(&span);
                out.extend(literal_ranges(raw).into_iter().map(|(s, e)| span.sub(s, e)));
            }
        }
    }
    out
}

fn collect_yaml(p: &Project, n: &Node, out: &mut Vec<Span>, depth: usize) {
    if depth > 200 {
        return;
    }
    match &n.value {
        Value::Map(entries) => {
            for (k, v) in entries.iter() {
                if k.as_str().is_some_and(is_secret_key) && v.as_str().is_some() {
                    let raw = p.sources.get(v.span.file).slice(&v.span);
                    out.extend(
                        literal_ranges(raw)
                            .into_iter()
                            .map(|(s, e)| v.span.sub(s, e)),
                    );
                    // `POSTGRES_PASSWORD: ${DB_PASS}`: the .env line of DB_PASS
                    // holds a secret too, whatever its own name.
                    if let Some(s) = v.as_scalar() {
                        out.extend(s.vars.iter().filter_map(|u| u.source));
                    }
                }
                collect_yaml(p, v, out, depth + 1);
            }
        }
        Value::Seq(items) => {
            for i in items.iter() {
                collect_yaml(p, i, out, depth + 1);
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
    let v = value.trim();
    ['\'', '"']
        .iter()
        .find_map(|q| {
            v.strip_prefix(*q)
                .and_then(|r| r.strip_suffix(*q))
                .filter(|_| v.len() >= 2)
        })
        .unwrap_or(v)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
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
}
