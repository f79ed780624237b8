//! How paths are shown: relative to the working directory, with `/` separators.

use std::path::{Path, PathBuf};

/// The path as the user should see it: relative to the current directory when it
/// lies below it, `/`-separated.
pub fn display(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().ok();
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match &cwd {
            Some(c) => c.join(path),
            None => path.to_path_buf(),
        }
    };
    let abs = crate::compose::model::normalize_path(&abs);
    let rel = cwd
        .as_ref()
        .and_then(|c| abs.strip_prefix(c).ok().map(Path::to_path_buf))
        .unwrap_or(abs);
    if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel
    }
}

/// A path as a string with `/` separators, for every output format.
pub fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
