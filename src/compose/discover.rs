//! Finding what to lint: compose projects (a directory with a compose file, plus
//! its override), and single files named on the command line.
//!
//! The directory walk (the `ignore` crate, as ripgrep and ruff use) skips hidden
//! directories, what `.gitignore` (inside a git repository), `.ignore`,
//! `.git/info/exclude` and git's global excludes ignore, a few dependency and build
//! directories, and `--exclude` / `exclude` patterns. These decide where projects are
//! looked for; inside a project, every file docker compose reads (`.env`, the
//! override file, included files) is read whether ignored or not. A path named on the
//! command line is linted even when a rule would skip it.

use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::source::{FileKind, RealDirs};

/// Default compose file names, in docker compose's order of precedence.
pub const COMPOSE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// Dependency and build directories: never a stack of the project's own, and often
/// not ignored outside a git repository.
const SKIP_DIRS: [&str; 3] = ["node_modules", "target", "vendor"];

/// `--exclude` and the config's `exclude`: glob patterns (`*`, `**`, `?`, `[...]`,
/// `{a,b}`). A pattern without `/` matches the name of a file or directory anywhere
/// (as in .gitignore); one with `/` matches the path relative to its base directory
/// (the working directory for `--exclude`, the config file's directory for
/// `exclude`). A matched directory is not entered.
#[derive(Clone, Debug, Default)]
pub struct Exclude {
    /// Patterns without `/`, matched against a file or directory name.
    names: Vec<GlobSet>,
    /// Patterns with `/`, made absolute, matched against the absolute path.
    paths: Vec<GlobSet>,
}

/// One pattern as compiled for matching paths: `*` stays inside one path component.
pub fn compile_glob(pattern: &str) -> Result<globset::Glob, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| e.kind().to_string())
}

/// A path pattern anchored at `base`: `deploy/old` under `/repo` is `/repo/deploy/old`,
/// `../x` is `/x` under `/repo/sub`; `**/x` stays as it is (any directory, anywhere).
fn anchored(base: &Path, pattern: &str) -> String {
    if pattern.starts_with("**/") {
        return pattern.to_string();
    }
    let mut base = crate::paths::normalize_path(&absolute(base));
    let mut rest = pattern;
    while let Some(r) = rest.strip_prefix("../") {
        base.pop();
        rest = r;
    }
    let base = crate::paths::slash(&base);
    // The base is literal text: a `[` or `*` in a directory name is not a wildcard.
    format!("{}/{rest}", globset::escape(base.trim_end_matches('/')))
}

impl Exclude {
    /// Adds `patterns`, the ones with `/` relative to `base`. On a bad pattern: its
    /// index and what is wrong.
    pub fn add(&mut self, base: &Path, patterns: &[String]) -> Result<(), (usize, String)> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for (i, p) in patterns.iter().enumerate() {
            let cleaned = p.trim().trim_start_matches("./").trim_end_matches('/');
            if cleaned.is_empty() {
                return Err((i, "the pattern is empty".into()));
            }
            if cleaned.contains('/') {
                // Checked as written, so the message names what the user wrote.
                compile_glob(cleaned).map_err(|e| (i, e))?;
                paths.add(compile_glob(&anchored(base, cleaned)).map_err(|e| (i, e))?);
            } else {
                names.add(compile_glob(cleaned).map_err(|e| (i, e))?);
            }
        }
        let built = |b: GlobSetBuilder| b.build().map_err(|e| (0, e.to_string()));
        let (names, paths) = (built(names)?, built(paths)?);
        if !names.is_empty() {
            self.names.push(names);
        }
        if !paths.is_empty() {
            self.paths.push(paths);
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.paths.is_empty()
    }

    /// Whether the walk skips `path` (absolute, normalized).
    fn matches(&self, path: &Path) -> bool {
        let name_hit = path
            .file_name()
            .is_some_and(|n| self.names.iter().any(|set| set.is_match(Path::new(n))));
        name_hit || {
            let slashed = crate::paths::slash(path);
            self.paths.iter().any(|set| set.is_match(&slashed))
        }
    }
}

/// `p` made absolute against the working directory ("" when that is unknown).
fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        crate::paths::cwd().unwrap_or(Path::new("")).join(p)
    }
}

/// The env-file templates that sit beside a compose file.
pub const ENV_TEMPLATES: [&str; 6] = [
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    "example.env",
    // jitsi, mattermost and many self-hosting stacks ship this one
    "env.example",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectSpec {
    /// The project directory: relative paths and `.env` are read from here.
    pub dir: PathBuf,
    /// The compose files, base first. Empty: take them from `COMPOSE_FILE` or the defaults.
    pub files: Vec<PathBuf>,
    /// True when the files were named explicitly (`-f`), so `COMPOSE_FILE` is not read.
    pub explicit: bool,
    /// The directory the project's files may be read from (with `--allow-outside`):
    /// the directory named on the command line that the project was found in, the
    /// directory of a compose file named on its own, the common directory of the
    /// `-f` files. `None`: no bound.
    pub root: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Project(ProjectSpec),
    /// A single NGINX config or `.env` file, linted on its own.
    File(PathBuf, FileKind),
}

/// Is this file name one of a compose file's (`docker-compose.prod.yml`, `compose.dev.yaml`)?
pub fn is_compose_name(name: &str) -> bool {
    // Compared in place (no lower-case copy): asked of every entry of the
    // directories walked and of their ancestors.
    let name = name.as_bytes();
    let starts = |p: &str| {
        name.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
    };
    let ends = |s: &str| {
        name.len() >= s.len() && name[name.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
    };
    (ends(".yml") || ends(".yaml")) && (starts("docker-compose") || starts("compose."))
}

/// The kind of a file named directly on the command line.
pub fn kind_of(path: &Path) -> FileKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if is_env_name(&name) {
        FileKind::Env
    } else if name.ends_with(".yml") || name.ends_with(".yaml") {
        FileKind::Compose
    } else if name.ends_with(".conf") || name.ends_with(".template") || name.contains("nginx") {
        FileKind::Nginx
    } else if name.starts_with("dockerfile") || name.ends_with(".dockerfile") {
        FileKind::Dockerfile
    } else {
        FileKind::Other
    }
}

pub fn is_env_name(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.") || name.ends_with(".env")
}

/// The projects of `dir` alone (not its subdirectories), as a walk of it finds them,
/// bounded to it: what an editor's file belongs to.
pub fn projects_of_dir(dir: &Path) -> Vec<ProjectSpec> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    projects_in(dir, &names, &RealDirs::default())
        .into_iter()
        .map(|spec| ProjectSpec {
            root: Some(dir.to_path_buf()),
            ..spec
        })
        .collect()
}

/// A compose file named on its own: the project of its directory made of that file
/// alone, read only below that directory.
pub fn compose_file_target(path: &Path) -> Target {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Target::Project(ProjectSpec {
        root: Some(dir.clone()),
        dir,
        files: vec![path.to_path_buf()],
        explicit: true,
    })
}

/// The projects of a directory whose walked (not ignored, not excluded) files are
/// `names`: the default compose file plus its override, then the default file plus
/// each other compose file of the directory. `dirs` answers whether a file
/// the walk did not give exists.
fn projects_in(dir: &Path, names: &[String], dirs: &RealDirs) -> Vec<ProjectSpec> {
    let base = COMPOSE_NAMES.iter().find(|n| names.iter().any(|m| m == *n));
    let mut out = Vec::new();
    let others: Vec<&String> = names
        .iter()
        .filter(|n| is_compose_name(n))
        .filter(|n| !COMPOSE_NAMES.contains(&n.as_str()) && !OVERRIDE_NAMES.contains(&n.as_str()))
        .collect();
    match base {
        Some(base) => {
            let mut files = vec![crate::paths::join(dir, base)];
            // docker compose merges the override whether or not git ignores it (a local
            // override is often ignored): so do we.
            if let Some(ov) = OVERRIDE_NAMES
                .iter()
                .find(|n| dirs.probe(&crate::paths::join(dir, n), false))
            {
                files.push(crate::paths::join(dir, ov));
            }
            out.push(ProjectSpec {
                dir: dir.to_path_buf(),
                files,
                explicit: false,
                root: None,
            });
            for o in others {
                out.push(ProjectSpec {
                    dir: dir.to_path_buf(),
                    files: vec![crate::paths::join(dir, base), crate::paths::join(dir, o)],
                    explicit: true,
                    root: None,
                });
            }
        }
        None if env_names_compose_file(dir, dirs) => {
            // `COMPOSE_FILE` in `.env` names the files; the loader reads it.
            out.push(ProjectSpec {
                dir: dir.to_path_buf(),
                files: Vec::new(),
                explicit: false,
                root: None,
            });
        }
        None => {
            // No default file: each compose-named file stands alone.
            for o in others {
                out.push(ProjectSpec {
                    dir: dir.to_path_buf(),
                    files: vec![crate::paths::join(dir, o)],
                    explicit: true,
                    root: None,
                });
            }
        }
    }
    out
}

/// Does the directory's `.env` set `COMPOSE_FILE`? (A cheap look; the loader parses it.)
fn env_names_compose_file(dir: &Path, dirs: &RealDirs) -> bool {
    let env = crate::paths::join(dir, ".env");
    dirs.probe(&env, false)
        && crate::source::read_text(&env).is_ok_and(|t| {
            t.lines().any(|l| {
                let l = l.trim_start();
                let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
                l.starts_with("COMPOSE_FILE=") || l.starts_with("COMPOSE_FILE ")
            })
        })
}

/// Resolves the command line's paths into targets. `compose_files` (`-f`) names
/// the files of one project explicitly.
pub fn discover(paths: &[PathBuf], compose_files: &[PathBuf]) -> Result<Vec<Target>, String> {
    discover_with(
        paths,
        compose_files,
        &Exclude::default(),
        &RealDirs::default(),
    )
}

/// [`discover`], skipping what `exclude` matches in the directory walk; `dirs`
/// keeps the directory listings it reads for the run's loading.
pub fn discover_with(
    paths: &[PathBuf],
    compose_files: &[PathBuf],
    exclude: &Exclude,
    dirs: &RealDirs,
) -> Result<Vec<Target>, String> {
    all_exist(paths, compose_files)?;
    let mut out = Vec::new();
    discover_each(paths, compose_files, exclude, dirs, &mut |place, target| {
        out.push((place, target));
    });
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, t)| t).collect())
}

/// Fails with the first of the command line's paths that does not exist.
pub fn all_exist(paths: &[PathBuf], compose_files: &[PathBuf]) -> Result<(), String> {
    match paths.iter().chain(compose_files).find(|p| !p.exists()) {
        Some(p) => Err(format!("{}: no such file or directory", p.display())),
        None => Ok(()),
    }
}

/// The walk of `root`: its builder, with the ignore files found at the root or
/// above it that are not regular files, and where its filter puts those of the
/// directories it skips.
fn walker(
    root: &Path,
    exclude: &Exclude,
    listed: &RealDirs,
) -> (ignore::WalkBuilder, Vec<PathBuf>, Skipped) {
    let exclude = exclude.clone();
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| absolute(root));
    let above: Vec<PathBuf> = real_root
        .ancestors()
        .flat_map(|d| unreadable_ignore_files(d, None))
        .collect();
    let skipped: Skipped = Default::default();
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        // .gitignore (only inside a git repository, as git, ripgrep and ruff read it),
        // .ignore, .git/info/exclude, git's global excludes, and hidden entries.
        .standard_filters(true)
        .git_global(global_excludes_may_exist())
        .follow_links(false);
    if !above.is_empty() {
        builder
            .ignore(false)
            .git_ignore(false)
            .git_exclude(false)
            .parents(false);
    }
    let skips = std::sync::Arc::clone(&skipped);
    let listings = listed.clone();
    builder.filter_entry(move |e| {
        // The walk's root is never filtered (a named path is always linted).
        if e.depth() == 0 {
            return true;
        }
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if is_dir && SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref()) {
            return false;
        }
        if !exclude.is_empty()
            && exclude.matches(&crate::paths::normalize_path(&absolute(e.path())))
        {
            return false;
        }
        if is_dir {
            let bad = unreadable_ignore_files(e.path(), Some(&listings));
            if !bad.is_empty() {
                skips
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(bad);
                return false;
            }
        }
        true
    });
    (builder, above, skipped)
}

/// Whether git may have a global excludes file here: a git config that names one
/// (`core.excludesFile`), or the default `git/ignore` of the user's configuration
/// directory. The walker looks for it in the same places, but reads the configs
/// with a regex compiled for the purpose: a third of the instructions of a run
/// over a small stack (1 of 3.6 million), paid whenever any git config file
/// exists. Without such a file its global matcher is empty, so the walk is the
/// same with it turned off. Asked once per process (a run of the CLI).
fn global_excludes_may_exist() -> bool {
    static MAY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MAY.get_or_init(|| {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        // As the walker finds it (`ignore` reads `env::home_dir`).
        let home = std::env::home_dir();
        let config_dir =
            var("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
        let configs = [
            var("GIT_CONFIG_GLOBAL"),
            home.as_ref().map(|h| h.join(".gitconfig")),
            config_dir.as_ref().map(|d| d.join("git/config")),
            Some(var("GIT_CONFIG_SYSTEM").unwrap_or_else(|| PathBuf::from("/etc/gitconfig"))),
        ];
        let names_one = |path: &PathBuf| match crate::source::read_text(path) {
            // `GIT_CONFIG_GLOBAL=/dev/null`, as hermetic builds set it: empty.
            _ if path.as_os_str() == "/dev/null" => false,
            Ok(text) => text.to_ascii_lowercase().contains("excludesfile"),
            Err(crate::source::ReadError::Unreadable(std::io::ErrorKind::NotFound)) => false,
            // Unsure: the walker reads it as it always has.
            Err(_) => true,
        };
        configs.iter().flatten().any(names_one)
            || config_dir.is_some_and(|d| d.join("git/ignore").exists())
    })
}

/// The ignore files, not regular files, of the directories a walk skipped.
type Skipped = std::sync::Arc<std::sync::Mutex<Vec<PathBuf>>>;

/// Where a target stands among those [`discover_with`] returns: by the command
/// line's path it was found under, then a directory's projects by directory (in
/// `projects_in`'s order), then the files the walk could not read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    arg: usize,
    unwalked: bool,
    dir: PathBuf,
    index: usize,
}

/// [`discover_with`] for paths known to exist ([`all_exist`]), handing each target
/// to `found` as soon as it is known, with its place among them: a project while
/// the walk goes on.
pub fn discover_each(
    paths: &[PathBuf],
    compose_files: &[PathBuf],
    exclude: &Exclude,
    dirs: &RealDirs,
    found: &mut (dyn FnMut(Place, Target) + Send),
) {
    let place = |arg, unwalked, dir: &Path, index| Place {
        arg,
        unwalked,
        dir: dir.to_path_buf(),
        index,
    };
    if !compose_files.is_empty() {
        let dir = compose_files[0]
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let root = compose_files
            .iter()
            .map(|f| crate::paths::normalize_path(&absolute(&dir_of(f))))
            .reduce(|a, b| common_ancestor(&a, &b));
        let spec = ProjectSpec {
            dir,
            files: compose_files.to_vec(),
            explicit: true,
            root,
        };
        found(place(0, false, Path::new(""), 0), Target::Project(spec));
        return;
    }
    for (arg, p) in paths.iter().enumerate() {
        if p.is_dir() {
            let unreadable = walk_each(p, exclude, dirs, &mut |dir, names| {
                let specs = projects_in(&dir, &names, dirs);
                for (index, spec) in specs.into_iter().enumerate() {
                    let spec = ProjectSpec {
                        root: Some(p.clone()),
                        ..spec
                    };
                    found(place(arg, false, &dir, index), Target::Project(spec));
                }
            });
            // Linted as files of their own: each is reported as not a regular file.
            for (index, f) in unreadable.into_iter().enumerate() {
                let target = Target::File(f, FileKind::Other);
                found(place(arg, true, Path::new(""), index), target);
            }
        } else {
            let target = match kind_of(p) {
                FileKind::Compose => compose_file_target(p),
                kind => Target::File(p.clone(), kind),
            };
            found(place(arg, false, Path::new(""), 0), target);
        }
    }
}

/// The directory of a file named on the command line (`.` for a bare name).
fn dir_of(f: &Path) -> PathBuf {
    f.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The deepest directory both absolute, normalized paths lie in.
fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.as_os_str())
        .collect()
}

/// The ignore files of `dir` the walk reads (following links) that are there but
/// not regular files: opening a FIFO among them would block the walk forever.
fn unreadable_ignore_files(dir: &Path, dirs: Option<&RealDirs>) -> Vec<PathBuf> {
    // Asked of the walked directory's listing first (`dirs`): most directories
    // have none of them, and three `stat`s per directory were a third of the
    // walk's calls. The root's ancestors are asked one name at a time: their
    // listings serve nothing else.
    let probe = |p: &Path| dirs.is_none_or(|d| d.probe(p, false));
    let mut files: Vec<PathBuf> = [".gitignore", ".ignore"]
        .iter()
        .map(|name| crate::paths::join(dir, name))
        .filter(|p| probe(p))
        .collect();
    let git = crate::paths::join(dir, ".git");
    if probe(&git) {
        files.push(git.join("info/exclude"));
        files.extend(worktree_files(&git));
    }
    files
        .into_iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_file()))
        .collect()
}

/// A worktree's `.git` file names its git directory (`gitdir: …`), whose
/// `commondir` file names the repository's: the walk opens that `commondir` and
/// the repository's `info/exclude`, found as the ignore crate finds them.
fn worktree_files(git: &Path) -> Vec<PathBuf> {
    let first_line = |p: &Path| {
        crate::source::read_text(p)
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string))
    };
    if !std::fs::metadata(git).is_ok_and(|m| m.is_file()) {
        return Vec::new();
    }
    let Some(git_dir) = first_line(git).and_then(|l| l.strip_prefix("gitdir: ").map(PathBuf::from))
    else {
        return Vec::new();
    };
    let commondir = git_dir.join("commondir");
    let mut out = vec![commondir.clone()];
    if let Some(common) = first_line(&commondir) {
        let common = if common.starts_with('.') {
            git_dir.join(common)
        } else {
            PathBuf::from(common)
        };
        out.push(common.join("info/exclude"));
    }
    out
}

/// Walks `root` and hands `found` each walked directory with the names of its
/// walked files, sorted, as soon as the walk has left the directory, so that its
/// projects can be loaded while the walk goes on. Returns the ignore files that
/// are not regular files: a directory holding one is not walked; one at the root
/// or above it turns the ignore files off for the walk.
///
/// One thread, depth first: a directory is finished once the walk visits an entry
/// outside it. (On two threads, a walk of 757 directories was no faster: it is
/// mostly system calls. The other core loads projects meanwhile instead.)
fn walk_each(
    root: &Path,
    exclude: &Exclude,
    listed: &RealDirs,
    found: &mut (dyn FnMut(PathBuf, Vec<String>) + Send),
) -> Vec<PathBuf> {
    let (mut builder, above, skipped) = walker(root, exclude, listed);
    let open = std::sync::Mutex::new(Open {
        dirs: Vec::new(),
        found,
    });
    // The walker's own thread, not rayon's: rayon's load meanwhile. Its parallel
    // walker, on one thread: the sequential one reads the ignore files even of a
    // directory the filter skips (a FIFO among them would hang it).
    builder.threads(1).build_parallel().run(|| {
        let open = &open;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            let Some(t) = entry.file_type() else {
                return ignore::WalkState::Continue;
            };
            // Poisoned only by a panic handing a directory over, which ends the run.
            let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
            let path = entry.path();
            open.leave(path);
            if t.is_dir() {
                open.dirs.push((path.to_path_buf(), Vec::new()));
            } else if t.is_file() || !path.is_dir() {
                // Not only regular files: a compose file that is a symlink, a FIFO
                // or a device is loaded and reported as unreadable, not skipped.
                let parent = path.parent().unwrap_or(Path::new(""));
                let name = entry.file_name().to_string_lossy().into_owned();
                match open.dirs.iter_mut().rev().find(|(d, _)| d == parent) {
                    Some((_, names)) => names.push(name),
                    None => open.dirs.push((parent.to_path_buf(), vec![name])),
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut open = open.into_inner().unwrap_or_else(PoisonError::into_inner);
    open.leave(Path::new(""));
    let mut unreadable = above;
    let mut skipped = skipped.lock().unwrap_or_else(PoisonError::into_inner);
    skipped.sort();
    unreadable.append(&mut skipped);
    unreadable
}

/// The directories a depth-first walk is in, outermost first, each with the names
/// of its walked files so far, and where each goes once the walk has left it.
struct Open<'f> {
    dirs: Vec<(PathBuf, Vec<String>)>,
    found: &'f mut (dyn FnMut(PathBuf, Vec<String>) + Send),
}

impl Open<'_> {
    /// Hands over, names sorted, every directory that `path` is not in.
    fn leave(&mut self, path: &Path) {
        while self.dirs.last().is_some_and(|(d, _)| !within(path, d)) {
            if let Some((dir, mut names)) = self.dirs.pop() {
                names.sort();
                (self.found)(dir, names);
            }
        }
    }
}

/// Whether `path` is `dir` or lies in it, for paths of one walk (its root with
/// names joined on): a comparison of bytes. `Path::starts_with` parses both into
/// components, 1,500 instructions a call on the corpus, a fifth of the walk's.
/// It differs from this where the texts differ but the components do not (`a`
/// in `a/`, `a/.b` in `a/.`): a walk never compares such a pair.
fn within(path: &Path, dir: &Path) -> bool {
    if !cfg!(unix) {
        return path.starts_with(dir);
    }
    let (p, d) = (
        path.as_os_str().as_encoded_bytes(),
        dir.as_os_str().as_encoded_bytes(),
    );
    d.is_empty()
        || (p.starts_with(d) && (p.len() == d.len() || d.ends_with(b"/") || p[d.len()] == b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For a walk's paths, bytes say what components say. (Pairs whose texts
    /// differ by a trailing `/` or `.` are left out: see [`within`].)
    #[test]
    fn within_a_directory_as_components_say() {
        let paths = [
            "",
            ".",
            "./a",
            "./a/b",
            "./ab",
            "a",
            "a/b",
            "ab",
            "/",
            "/a",
            "/a/b",
            "/ab",
            "root/",
            "root/a",
            "root/ab/c",
            "/r/x.yaml",
            "/r/x",
        ];
        for p in paths {
            for d in paths {
                assert_eq!(
                    within(Path::new(p), Path::new(d)),
                    Path::new(p).starts_with(d),
                    "{p:?} in {d:?}"
                );
            }
        }
    }

    /// Every directory the walk enters, with the names of its walked files (not
    /// links to directories), as a walk on four threads collects them, each
    /// sorted: what [`walk_each`] must hand over, each directory once and whole.
    fn collected(root: &Path) -> Vec<(PathBuf, Vec<String>)> {
        let (mut builder, _, _) = walker(root, &Exclude::default(), &RealDirs::default());
        let seen: std::sync::Mutex<Vec<(PathBuf, bool)>> = Default::default();
        builder.threads(4).build_parallel().run(|| {
            let seen = &seen;
            Box::new(move |e| {
                if let Ok(e) = e {
                    let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                    if is_dir || !e.path().is_dir() {
                        seen.lock().unwrap().push((e.path().to_path_buf(), is_dir));
                    }
                }
                ignore::WalkState::Continue
            })
        });
        let seen = seen.into_inner().unwrap();
        let mut dirs: std::collections::BTreeMap<PathBuf, Vec<String>> = seen
            .iter()
            .filter(|(_, d)| *d)
            .map(|(p, _)| (p.clone(), Vec::new()))
            .collect();
        for (p, _) in seen.iter().filter(|(_, d)| !*d) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            dirs.get_mut(p.parent().unwrap()).unwrap().push(name);
        }
        dirs.into_iter()
            .map(|(d, mut names)| {
                names.sort();
                (d, names)
            })
            .collect()
    }

    /// The walk hands over each directory once, after its last file, and most of
    /// them while it goes on: as a parallel walk collects them, the directories
    /// its filters skip included.
    #[test]
    fn the_walk_hands_over_each_directory_whole() {
        let tree = std::env::temp_dir().join(format!("stacklint-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tree);
        let compose = "services:\n  web:\n    image: nginx\n";
        for (path, text) in [
            ("a/compose.yaml", compose),
            ("a/b/docker-compose.yml", compose),
            ("a/b/c/nginx.conf", "events {}\n"),
            // Files beside subdirectories: the walk meets them before or after
            // the subdirectories' trees, as the directory lists them.
            ("a/z.env", "A=1\n"),
            ("a/b/c/m.env", "A=1\n"),
            ("a/b/c/d/e/compose.yaml", compose),
            ("a/b/zz/compose.yaml", compose),
            ("skipped/compose.yaml", compose),
            (".hidden/compose.yaml", compose),
            ("node_modules/x/compose.yaml", compose),
            ("d/compose.yaml", compose),
            ("d/.env", "A=1\n"),
            (".ignore", "skipped/\n"),
        ] {
            let file = tree.join(path);
            assert!(std::fs::create_dir_all(file.parent().unwrap_or(&tree)).is_ok());
            assert!(std::fs::write(&file, text).is_ok());
        }
        // An ignore file that is a FIFO: its directory is reported, once, and skipped.
        let fifo = tree.join("c-fifo/.ignore");
        assert!(std::fs::create_dir_all(tree.join("c-fifo")).is_ok());
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()));
        // Links: to a directory (not walked), to a file, to nothing.
        for (link, to) in [
            ("a/link", "b"),
            ("a/b/linked.env", "../z.env"),
            ("d/gone", "x"),
        ] {
            assert!(std::os::unix::fs::symlink(to, tree.join(link)).is_ok());
        }
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let here = std::thread::current().id();
        for root in [&tree, &fixtures] {
            let mut handed = Vec::new();
            let mut during = 0;
            walk_each(
                root,
                &Exclude::default(),
                &RealDirs::default(),
                &mut |d, names| {
                    // The walker's worker has a thread of its own: handed over there,
                    // a directory is handed over before the walk has ended.
                    during += usize::from(std::thread::current().id() != here);
                    handed.push((d, names));
                },
            );
            handed.sort();
            let whole = collected(root);
            assert!(whole.len() >= 6, "{whole:?}");
            assert_eq!(handed, whole);
            assert!(during * 2 >= handed.len(), "{during} of {}", handed.len());
        }
        let targets = discover(std::slice::from_ref(&tree), &[]).unwrap();
        let dirs: Vec<PathBuf> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Project(p) => Some(p.dir.clone()),
                Target::File(..) => None,
            })
            .collect();
        let want = ["a", "a/b", "a/b/c/d/e", "a/b/zz", "d"].map(|d| tree.join(d));
        assert_eq!(dirs, want);
        assert_eq!(targets.last(), Some(&Target::File(fifo, FileKind::Other)));
        let _ = std::fs::remove_dir_all(&tree);
    }

    #[test]
    fn exclude_patterns() {
        let mut ex = Exclude::default();
        let pats: Vec<String> = ["legacy", "deploy/{dev,test}", "../other/**", "**/gen/*"]
            .map(String::from)
            .to_vec();
        assert!(ex.add(Path::new("/repo/sub"), &pats).is_ok());
        for (path, hit) in [
            ("/repo/sub/legacy", true),
            ("/anywhere/x/legacy", true),
            ("/repo/sub/legacy2", false),
            ("/repo/sub/deploy/dev", true),
            ("/repo/sub/deploy/prod", false),
            ("/repo/deploy/dev", false),
            ("/repo/other/a/b", true),
            ("/repo/sub/other/a", false),
            ("/x/gen/compose.yaml", true),
            ("/x/gen", false),
        ] {
            assert_eq!(ex.matches(Path::new(path)), hit, "{path}");
        }
        // A wildcard character in the base directory is literal.
        let mut ex = Exclude::default();
        assert!(ex.add(Path::new("/r[1]"), &["a/b".to_string()]).is_ok());
        assert!(ex.matches(Path::new("/r[1]/a/b")));
        assert!(!ex.matches(Path::new("/r1/a/b")));
        assert_eq!(
            Exclude::default().add(Path::new("/"), &["ok".into(), "a/[b".into()]),
            Err((1, "unclosed character class; missing ']'".into()))
        );
    }

    #[test]
    fn compose_names() {
        assert!(is_compose_name("docker-compose.prod.yml"));
        assert!(is_compose_name("compose.dev.yaml"));
        assert!(!is_compose_name("config.yml"));
        assert!(is_env_name(".env.example"));
        assert!(is_env_name("app.env"));
        // Compared in place, it says what the lower-cased name says.
        let lowered = |name: &str| {
            let lower = name.to_ascii_lowercase();
            (lower.ends_with(".yml") || lower.ends_with(".yaml"))
                && (lower.starts_with("docker-compose") || lower.starts_with("compose."))
        };
        let parts = [
            "",
            "Docker-Compose",
            "COMPOSE.",
            "compose",
            "é",
            ".YML",
            ".yaml",
            "x",
            ".Yaml.bak",
            "ml",
        ];
        for a in parts {
            for b in parts {
                for c in parts {
                    let name = format!("{a}{b}{c}");
                    assert_eq!(is_compose_name(&name), lowered(&name), "{name:?}");
                }
            }
        }
        assert!(is_compose_name("DOCKER-COMPOSE.YML") && !is_compose_name("compose.yml.bak"));
    }
}
