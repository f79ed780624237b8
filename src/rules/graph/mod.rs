//! Rules that read the dependency graph of the stack (`crate::graph`).

pub mod depends_on_cycle;
pub mod depends_on_unhealthy;
pub mod proxy_starts_before_target;
pub mod proxy_target_unreachable;
pub mod undeclared_resource;
pub mod unknown_service_reference;

/// The Levenshtein distance of two short names, for "did you mean" help.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate nearest to `name`, when it is near enough to be a likely typo.
pub fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names() {
        assert_eq!(distance("postgres", "postgers"), 2);
        assert_eq!(nearest("dbb", ["db", "redis"].into_iter()), Some("db"));
        assert_eq!(nearest("worker", ["db", "redis"].into_iter()), None);
    }
}
