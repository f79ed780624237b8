//! What git says of a file of the stack: whether it lies in a work tree, is
//! tracked in the index, or is ignored by the work tree's `.gitignore` files.
//!
//! Read from `.git` and the `.gitignore` files directly (the index with
//! gix-index, patterns with the ignore crate); git is never run. Only the
//! committed `.gitignore` files count: `.git/info/exclude` and a user's global
//! excludes protect one clone, not the others that share the repository.
//!
//! The work tree is found above the file, so its `.git` and `.gitignore` files
//! may lie outside the project's boundary: their place follows from where the
//! project is, not from anything a compose file says.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

/// An index larger than this is not read (the file is then of unknown state).
/// Large monorepos have indexes of tens of megabytes.
const MAX_INDEX_BYTES: u64 = 512 << 20;

/// What a run has learnt of work trees, shared by its projects so that each
/// index and `.gitignore` is read once.
pub type GitCache = Arc<Mutex<Cache>>;

#[derive(Default)]
pub struct Cache {
    /// A directory (real path) → the repository whose work tree holds it.
    repo_of: HashMap<PathBuf, Option<Arc<Repo>>>,
    /// A directory (real path) → its `.gitignore`, when it has a readable one.
    ignores: HashMap<PathBuf, Option<Arc<IgnoreFile>>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("directories", &self.repo_of.len())
            .field("gitignores", &self.ignores.len())
            .finish()
    }
}

struct Repo {
    work_tree: PathBuf,
    /// `None`: the index could not be read (the file's state is unknown).
    /// An index that does not exist (nothing added yet) tracks nothing.
    index: Option<Option<gix_index::File>>,
}

/// One `.gitignore`: its text (for spans) and its patterns.
pub struct IgnoreFile {
    pub path: PathBuf,
    pub text: String,
    matcher: Gitignore,
}

impl IgnoreFile {
    /// The byte range of the last line whose pattern is `original`: git takes
    /// the last matching pattern of a file.
    fn line_of(&self, original: &str) -> Option<Range<usize>> {
        let mut found = None;
        let mut start = 0;
        for line in self.text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']);
            if body.trim_end() == original || body == original {
                found = Some(start..start + body.len());
            }
            start += line.len();
        }
        found
    }
}

/// The pattern that decided whether a file is ignored.
pub struct Decision {
    pub file: Arc<IgnoreFile>,
    /// The pattern's line in `file.text`, when it could be found.
    pub line: Option<Range<usize>>,
    /// A `!pattern` that un-ignores the file.
    pub negated: bool,
}

/// What git says of one file.
pub struct Status {
    pub work_tree: PathBuf,
    /// `Some(true)`: the index has the file; `None`: the index is unreadable.
    pub tracked: Option<bool>,
    pub ignored: bool,
    /// The pattern that ignores the file (or one of its directories), or the
    /// `!pattern` that un-ignores it.
    pub decided_by: Option<Decision>,
}

/// What git says of the file at `real` (where an existing file really is:
/// absolute, no symlinks), or `None` outside a work tree.
pub fn status(real: &Path, cache: &GitCache) -> Option<Status> {
    let dir = real.parent()?;
    let mut cache = cache.lock().ok()?;
    let repo = cache.repo_for(dir)?;
    let rel = real.strip_prefix(&repo.work_tree).ok()?;
    let tracked = repo.index.as_ref().map(|index| {
        index.as_ref().is_some_and(|index| {
            let key = crate::paths::slash(rel);
            index.entry_by_path(key.as_bytes().into()).is_some()
        })
    });
    let (ignored, decided_by) = cache.ignored(&repo.work_tree, rel);
    Some(Status {
        work_tree: repo.work_tree.clone(),
        tracked,
        ignored,
        decided_by,
    })
}

impl Cache {
    /// The repository whose work tree holds `dir`, found by walking up.
    fn repo_for(&mut self, dir: &Path) -> Option<Arc<Repo>> {
        let mut seen = Vec::new();
        let mut found = None;
        for d in dir.ancestors() {
            if let Some(known) = self.repo_of.get(d) {
                found = known.clone();
                break;
            }
            seen.push(d.to_path_buf());
            if let Some(git_dir) = git_dir_of(d) {
                found = Some(Arc::new(Repo {
                    work_tree: d.to_path_buf(),
                    index: read_index(&git_dir.join("index")),
                }));
                break;
            }
        }
        for d in seen {
            self.repo_of.insert(d, found.clone());
        }
        found
    }

    /// Whether `rel` (relative to `work_tree`) is ignored, as git decides it:
    /// a directory that is ignored hides everything below it, and in each
    /// directory the deepest `.gitignore` with a matching pattern decides.
    fn ignored(&mut self, work_tree: &Path, rel: &Path) -> (bool, Option<Decision>) {
        let parts: Vec<_> = rel.components().collect();
        let mut files: Vec<Arc<IgnoreFile>> = Vec::new();
        let mut dir = work_tree.to_path_buf();
        let mut decision = None;
        for (i, part) in parts.iter().enumerate() {
            if let Some(f) = self.ignore_file(&dir) {
                files.push(f);
            }
            dir.push(part.as_os_str());
            let is_dir = i + 1 < parts.len();
            decision = None;
            for f in files.iter().rev() {
                match f.matcher.matched(&dir, is_dir) {
                    Match::None => continue,
                    Match::Ignore(glob) => {
                        decision = Some((true, Arc::clone(f), glob.original().to_string()))
                    }
                    Match::Whitelist(glob) => {
                        decision = Some((false, Arc::clone(f), glob.original().to_string()))
                    }
                }
                break;
            }
            if let Some((true, _, _)) = decision {
                break;
            }
        }
        match decision {
            Some((ignored, file, pattern)) => {
                let line = file.line_of(&pattern);
                (
                    ignored,
                    Some(Decision {
                        file,
                        line,
                        negated: !ignored,
                    }),
                )
            }
            None => (false, None),
        }
    }

    fn ignore_file(&mut self, dir: &Path) -> Option<Arc<IgnoreFile>> {
        if let Some(known) = self.ignores.get(dir) {
            return known.clone();
        }
        let path = dir.join(".gitignore");
        let file = crate::source::read_text(&path).ok().and_then(|text| {
            let mut builder = GitignoreBuilder::new(dir);
            for line in text.lines() {
                // A pattern git would refuse is skipped, as git skips it.
                let _ = builder.add_line(Some(path.clone()), line);
            }
            let matcher = builder.build().ok()?;
            Some(Arc::new(IgnoreFile {
                path: path.clone(),
                text,
                matcher,
            }))
        });
        self.ignores.insert(dir.to_path_buf(), file.clone());
        file
    }
}

/// The git directory of a work tree rooted at `dir`: `dir/.git`, or where a
/// `.git` file (a linked worktree, a submodule) points.
fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    let dot_git = dir.join(".git");
    let meta = std::fs::metadata(&dot_git).ok()?;
    if meta.is_dir() {
        // A `.git` directory without `HEAD` is not a repository.
        return dot_git.join("HEAD").is_file().then_some(dot_git);
    }
    let text = crate::source::read_text(&dot_git).ok()?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    if target.is_empty() {
        return None;
    }
    let git_dir = dir.join(target);
    git_dir.join("HEAD").is_file().then_some(git_dir)
}

/// The index at `path`: `Some(None)` when there is none (nothing added yet),
/// `None` when it cannot be read. Only a regular file is opened (a FIFO named
/// `index` would block the run), and a SHA-1 index only: a SHA-256
/// repository's index is of unknown state.
fn read_index(path: &Path) -> Option<Option<gix_index::File>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(None),
        Err(_) => return None,
        Ok(m) if !m.is_file() || m.len() > MAX_INDEX_BYTES => return None,
        Ok(_) => {}
    }
    gix_index::File::at(
        path,
        gix_hash::Kind::Sha1,
        // The checksum guards against corruption, which git reports itself.
        true,
        gix_index::decode::Options::default(),
    )
    .ok()
    .map(Some)
}
