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
        Some(c) => join(c, p),
        None => p.to_path_buf(),
    }
}

/// The path as the user should see it: relative to the current directory when it
/// lies below it, `/`-separated.
pub fn display(path: &Path) -> PathBuf {
    let cwd = cwd();
    // Most paths are already shown as they are written (a walk's `./dir/file`):
    // taken apart component by component they cost microseconds each.
    // (Below `/` a relative path is shown absolute: the long way decides.)
    if let Some(plain) = already_normal(path).filter(|p| p.is_relative()) {
        if cwd.is_none_or(|c| c.parent().is_some()) {
            return plain.to_path_buf();
        }
    }
    display_by_components(path, cwd)
}

/// [`display`] the long way: made absolute, normalized, then relative to `cwd`.
fn display_by_components(path: &Path, cwd: Option<&Path>) -> PathBuf {
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

/// `p` without its leading `./`, when what is left is as [`normalize_path`] writes
/// it: names joined by single `/` after an optional leading `/`, none `.` or `..`
/// (taking it apart component by component cost more than most callers' own work).
/// A relative one is also as [`display`] shows it.
fn already_normal(p: &Path) -> Option<&Path> {
    let written = p.to_str()?;
    let mut s = written;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    // `.//a` is `a`, not `/a`.
    let names = match s.strip_prefix('/') {
        Some(_) if s.len() < written.len() => return None,
        Some(names) => names,
        None => s,
    };
    let normal = !names.is_empty()
        && !s.contains(['\\', ':'])
        && names
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    normal.then(|| Path::new(s))
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

/// `dir.join(name)`, allocated once at its final length: `Path::join` copies
/// `dir` and then grows the copy for `name`, a second allocation and a copy
/// (32,000 joins on the corpus, a twentieth of its instructions).
pub fn join(dir: &Path, name: impl AsRef<Path>) -> PathBuf {
    let name = name.as_ref();
    let mut out = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.as_os_str().len());
    out.push(dir);
    out.push(name);
    out
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub fn normalize_path(p: &Path) -> PathBuf {
    match already_normal(p) {
        Some(done) => done.to_path_buf(),
        None => normalize_by_components(p),
    }
}

/// [`normalize_path`] the long way, component by component.
fn normalize_by_components(p: &Path) -> PathBuf {
    // At most as long as `p`: one allocation, not one per growth.
    let mut out = PathBuf::with_capacity(p.as_os_str().len());
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
    fn joins_as_path_join_does() {
        let parts = [
            "", "a", "a/", "/", "/a", "./a", "a/..", "..", ".env", "//x/",
        ];
        for a in parts {
            for b in parts {
                assert_eq!(
                    join(Path::new(a), b).as_os_str(),
                    Path::new(a).join(b).as_os_str(),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    /// The shortcut for paths already normalized changes nothing.
    #[test]
    fn normal_paths_are_normalized_as_the_long_way_does() {
        for p in [
            "a", "a/b", "/a/b", "/", "//a", "/a//b", "./a", "a/.", "a/..", "../a", "/..", "a/",
            "/a/b/", "a\\b", "c:/x", "...", "a/.b", "", ".", "/./a", "././a/b", "./", ".//a",
            "./../a", "./.",
        ] {
            let p = Path::new(p);
            assert_eq!(
                normalize_path(p),
                normalize_by_components(p),
                "{}",
                p.display()
            );
        }
    }

    /// The shortcut for paths already written as shown changes nothing.
    #[test]
    fn plain_paths_are_shown_as_the_long_way_shows_them() {
        let here = cwd();
        for p in [
            "a", "a/b", "./a/b", "././a", "a/./b", "a/../b", "../a", "a//b", "a/", ".", "./",
            ".//a", "/abs/a", "a/b/..", "a\\b", "./../x", "...", "a/.b", "",
        ] {
            let p = Path::new(p);
            assert_eq!(
                display(p),
                display_by_components(p, here),
                "{}",
                p.display()
            );
        }
    }

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
