//! "Did you mean" for names: one edit distance and one nearest-name rule, shared by
//! the rules (service and host typos) and the configuration (rule-name typos).

/// Levenshtein distance over chars. Only the first 64 chars count: suggestions are
/// for short names, and a long key must not cost quadratic time.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
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
    }
}
