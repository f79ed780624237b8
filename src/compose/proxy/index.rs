//! Container paths answering NGINX `include` patterns. A config may hold
//! thousands of includes over a mount of thousands of files: each pattern is
//! matched once, and only against the paths under its literal prefix, so the
//! work grows with what matches, not with includes × files.

use std::collections::HashMap;
use std::rc::Rc;

/// How nginx's glob(3) matches an include: `*` stays inside one path component.
pub const GLOB_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// Sorted container paths, each with the caller's id, and the answer to each
/// pattern asked so far.
#[derive(Debug, Default)]
pub struct PathIndex {
    paths: Vec<(String, usize)>,
    memo: HashMap<String, Rc<[usize]>>,
}

impl PathIndex {
    pub fn new(paths: impl IntoIterator<Item = (String, usize)>) -> Self {
        let mut paths: Vec<(String, usize)> = paths.into_iter().collect();
        paths.sort();
        paths.dedup();
        PathIndex {
            paths,
            memo: HashMap::new(),
        }
    }

    /// The ids of the paths `pattern` names (normalized, absolute): the path
    /// itself, or what the glob matches. In path order.
    pub fn matches(&mut self, pattern: &str) -> Rc<[usize]> {
        if let Some(hit) = self.memo.get(pattern) {
            return hit.clone();
        }
        let found: Rc<[usize]> = self.compute(pattern).into();
        self.memo.insert(pattern.to_string(), found.clone());
        found
    }

    fn compute(&self, pattern: &str) -> Vec<usize> {
        let wild = pattern.find(['*', '?', '[']);
        let prefix = &pattern[..wild.unwrap_or(pattern.len())];
        let from = self.paths.partition_point(|(p, _)| p.as_str() < prefix);
        let under = self.paths[from..]
            .iter()
            .take_while(|(p, _)| p.starts_with(prefix));
        match wild {
            None => under
                .filter(|(p, _)| p == pattern)
                .map(|(_, id)| *id)
                .collect(),
            Some(_) => match glob::Pattern::new(pattern) {
                Ok(g) => under
                    .filter(|(p, _)| g.matches_with(p, GLOB_OPTIONS))
                    .map(|(_, id)| *id)
                    .collect(),
                Err(_) => Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_paths_and_globs() {
        let mut ix = PathIndex::new(
            [
                "/etc/nginx/conf.d/a.conf",
                "/etc/nginx/conf.d/b.conf",
                "/etc/nginx/conf.d/sub/c.conf",
                "/etc/nginx/conf.dx/d.conf",
                "/etc/nginx/nginx.conf",
            ]
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), i)),
        );
        assert_eq!(&*ix.matches("/etc/nginx/conf.d/*.conf"), [0, 1]);
        assert_eq!(&*ix.matches("/etc/nginx/conf.d/*/*.conf"), [2]);
        assert_eq!(&*ix.matches("/etc/nginx/conf.d*/[d]*"), [3]);
        assert_eq!(&*ix.matches("/etc/nginx/nginx.conf"), [4]);
        assert!(ix.matches("/etc/nginx/nginx").is_empty());
        assert!(ix.matches("/etc/nginx/[").is_empty());
        // Asked again: the same answer, from the memo.
        assert_eq!(&*ix.matches("/etc/nginx/conf.d/*.conf"), [0, 1]);
        assert_eq!(ix.memo.len(), 6);
    }
}
