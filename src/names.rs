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

/// The most candidates [`nearest`] compares with. Past this many names a
/// suggestion is no help, and comparing each of many unknown names with each of
/// many known ones would be quadratic in a generated file.
pub const MAX_CANDIDATES: usize = 1_000;

/// The candidate nearest to `name`, when it is near enough to be a likely typo (at
/// most a third of its length away); ties go to the alphabetically first. None
/// when there are more than [`MAX_CANDIDATES`].
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates = candidates.into_iter();
    if candidates.size_hint().0 > MAX_CANDIDATES {
        return None;
    }
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for (i, c) in candidates.enumerate() {
        if i == MAX_CANDIDATES {
            return None;
        }
        let d = edit_distance(name, c);
        if d <= limit && best.is_none_or(|b| (d, c) < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
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
        // Too many names to suggest from, whether their number is known up front or not.
        let many: Vec<String> = (0..=MAX_CANDIDATES).map(|i| format!("n{i}")).collect();
        assert_eq!(nearest("n1x", many.iter().map(String::as_str)), None);
        assert_eq!(
            nearest("n1x", many.iter().map(String::as_str).filter(|_| true)),
            None
        );
        assert_eq!(
            nearest("n1x", many[..MAX_CANDIDATES].iter().map(String::as_str)),
            Some("n1")
        );
    }
}
