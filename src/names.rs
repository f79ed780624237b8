//! "Did you mean" for names: one edit distance and one nearest-name rule, shared by
//! the rules (service and host typos) and the configuration (rule-name typos).

/// Levenshtein distance over chars (strsim). Only the first 64 chars count:
/// suggestions are for short names, and a long key must not cost quadratic time.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(head(a), head(b))
}

/// The first 64 chars of `s`.
fn head(s: &str) -> &str {
    s.char_indices().nth(64).map_or(s, |(i, _)| &s[..i])
}

/// `s` as a message quotes it: at most 60 chars, then `…`. Input decides how long a
/// name or a template is, and a message must stay readable (a 2 MB variable name
/// once made a 6 MB report).
pub fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]).into(),
        None => s.into(),
    }
}

/// The candidate nearest to `name`, when it is near enough to be a likely typo (at
/// most a third of its length away); ties go to the alphabetically first.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_nearest_names() {
        assert_eq!(edit_distance("backend", "backend"), 0);
        assert_eq!(edit_distance("bakend", "backend"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("postgres", "postgers"), 2);
        assert_eq!(nearest("dbb", ["db", "redis"]), Some("db"));
        assert_eq!(nearest("worker", ["db", "redis"]), None);
        assert_eq!(nearest("ab", ["ac", "aa"]), Some("aa"));
        // Long names cost at most 64 × 64 steps.
        let long = "x".repeat(100_000);
        assert_eq!(edit_distance(&long, &long), 0);
        // Chars, not bytes; and only the first 64 of them.
        assert_eq!(edit_distance("café", "cafe"), 1);
        assert_eq!(edit_distance(&"é".repeat(70), &"é".repeat(64)), 0);
    }
}
