//! How paths are shown: relative to the working directory, with `/` separators.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The working directory, asked of the system once per process: paths are shown
/// relative to it thousands of times a run (one `getcwd` each before), and
/// stacklint never changes it.
pub fn cwd() -> Option<&'static Path> {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

/// `p` made absolute against the working directory (as it is, when that is unknown).
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_path_buf();
    }
    match cwd() {
        Some(c) => c.join(p),
        None => p.to_path_buf(),
    }
}

/// The path as the user should see it: relative to the current directory when it
/// lies below it, `/`-separated.
pub fn display(path: &Path) -> PathBuf {
    let cwd = cwd();
    let abs = crate::paths::normalize_path(&absolute(path));
    let rel = match cwd {
        Some(c) => relative_to(&abs, c),
        None => abs,
    };
    if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel
    }
}

/// `path` relative to `base` (both absolute and normalized), with `..` where needed.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Only the root in common: an absolute path reads better than a chain of `..`.
    if common <= 1 {
        return path.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// A path as a string with `/` separators, for every output format.
pub fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub fn normalize_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_to(Path::new("/w/main/a/b"), Path::new("/w/main")),
            PathBuf::from("a/b")
        );
        assert_eq!(
            relative_to(Path::new("/w/shared/c"), Path::new("/w/main")),
            PathBuf::from("../shared/c")
        );
        assert_eq!(
            relative_to(Path::new("/etc/x"), Path::new("/w/main")),
            PathBuf::from("/etc/x")
        );
    }
}
