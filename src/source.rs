//! Source files and spans. Every position in stacklint is a byte range into one
//! [`SourceFile`]; lines and columns are derived on demand, never stored twice.

// foldhash, not SipHash: every file of every project is looked up by path.
use foldhash::HashMap;
use std::path::{Path, PathBuf};

/// Index of a file in a [`Sources`] registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` in one file. Offsets are kept as `u32` (a span is
/// then 12 bytes, not 24: spans are in every node and every model value, so this
/// is a tenth of a large stack's memory): files are read up to
/// [`MAX_FILE_BYTES`], far below 4 GiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    pub file: FileId,
    start: u32,
    end: u32,
}

/// An offset as a span keeps it: saturated, never wrapped (no file read comes near).
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

impl Span {
    /// An empty span at the start of file 0: what a slot holds before it is filled.
    pub const EMPTY: Span = Span {
        file: FileId(0),
        start: 0,
        end: 0,
    };

    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: offset(start),
            end: offset(end.max(start)),
        }
    }

    /// The first byte.
    pub fn start(&self) -> usize {
        self.start as usize
    }

    /// One past the last byte.
    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// `start()..end()`, to slice the file's text.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start()..self.end()
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The sub-range `[from, to)` relative to this span's start, clamped to it.
    pub fn sub(&self, from: usize, to: usize) -> Span {
        let s = (self.start() + from).min(self.end());
        let e = (self.start() + to).min(self.end()).max(s);
        Span::new(self.file, s, e)
    }

    /// The smallest span covering both (same file assumed; other file: self).
    pub fn cover(&self, other: &Span) -> Span {
        if other.file != self.file {
            return *self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and column; the column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// What kind of file this is, as far as stacklint is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Compose,
    Env,
    Nginx,
    Dockerfile,
    Other,
}

/// One file read from disk (or given in a test), with its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as it is displayed: relative to the working directory when possible.
    pub path: PathBuf,
    pub kind: FileKind,
    pub text: String,
    /// As `u32`, as spans keep offsets: half the memory of a long file's index.
    /// Built on first use ([`SourceFile::line_starts`]): a large compose file's
    /// is built on another core while the file is parsed, not before.
    line_starts: std::sync::OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, kind: FileKind, text: String) -> Self {
        SourceFile {
            path: path.into(),
            kind,
            text,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// The byte offset at which each line starts, built once.
    pub fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            // memchr: a byte at a time was half a millisecond of a 0.7 MB file.
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| offset(i + 1)))
                .collect()
        })
    }

    /// 1-based line and (character) column of a byte offset.
    pub fn line_col(&self, at: usize) -> LineCol {
        let at = self.floor_char_boundary(at.min(self.text.len()));
        let starts = self.line_starts();
        let line_idx = match starts.binary_search(&offset(at)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        // Floored too: past 4 GiB (never read) the saturated starts say nothing.
        let start = self.floor_char_boundary((starts[line_idx] as usize).min(at));
        let column = self.text[start..at].chars().count() + 1;
        LineCol {
            line: line_idx + 1,
            column,
        }
    }

    /// Byte range of 1-based line `line`, without its line terminator.
    pub fn line_range(&self, line: usize) -> Option<(usize, usize)> {
        let starts = self.line_starts();
        let start = self.floor_char_boundary(
            (*starts.get(line.checked_sub(1)?)? as usize).min(self.text.len()),
        );
        let mut end = self
            .floor_char_boundary(
                starts
                    .get(line)
                    .map_or(self.text.len(), |&e| (e as usize).min(self.text.len())),
            )
            .max(start);
        let bytes = self.text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Some((start, end))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    pub fn slice(&self, span: &Span) -> &str {
        let s = self.floor_char_boundary(span.start().min(self.text.len()));
        let e = self
            .floor_char_boundary(span.end().min(self.text.len()))
            .max(s);
        &self.text[s..e]
    }

    fn floor_char_boundary(&self, mut i: usize) -> usize {
        while i > 0 && !self.text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// The files of one project. Each is read once; everything else refers to it by id.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// Each path's first file, for [`Sources::find`]: a scan comparing paths
    /// component by component was quadratic in a project of many Dockerfiles.
    by_path: foldhash::HashMap<PathBuf, FileId>,
    /// Where the project's files may be read from.
    boundary: Boundary,
    /// Texts that stand in for files on disk (standard input, an editor's unsaved buffer).
    overlay: Option<Overlay>,
}

/// Texts that stand in for the files at their paths, which need not exist: each path
/// absolute and normalized ([`Overlay::key`]). Shared by the projects of a run.
#[derive(Clone, Debug, Default)]
pub struct Overlay(std::sync::Arc<HashMap<PathBuf, String>>);

impl Overlay {
    /// An overlay of `files` (path, text). A text is held as a file's is read
    /// ([`decode_text`]): without a leading byte order mark, so that offsets and
    /// the YAML reader see what they see on disk.
    pub fn new(files: impl IntoIterator<Item = (PathBuf, String)>) -> Self {
        Overlay(std::sync::Arc::new(
            files
                .into_iter()
                .map(|(p, t)| (Self::key(&p), decode_text(t)))
                .collect(),
        ))
    }

    /// How a path is looked up: absolute, `.` and `..` taken lexically (the file may
    /// exist nowhere but here).
    pub fn key(path: &Path) -> PathBuf {
        crate::paths::normalize_path(&crate::paths::absolute(path))
    }

    /// The text standing in for `path`, if any.
    pub fn get(&self, path: &Path) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(&Self::key(path)).map(String::as_str)
    }

    /// Whether `path` is one of the overlay's.
    pub fn contains(&self, path: &Path) -> bool {
        self.get(path).is_some()
    }
}

/// The directories a project's files may be read from: its root and the
/// `--allow-outside` directories, compared after symlinks and `..` are
/// resolved. A stack written by a stranger must not make stacklint print
/// `/etc/passwd` through an `include`, an `env_file` or a bind mount.
#[derive(Clone, Debug, Default)]
pub struct Boundary {
    /// `None`: no bound (a file named on its own, unit tests).
    roots: Option<Vec<PathBuf>>,
    /// Where each directory a file was judged in really is, for this project's
    /// load: a project's files share a few directories, and resolving every
    /// path from the root took a `readlink` per component (22,000 on the corpus).
    dirs: RealDirs,
}

/// What a directory's own `lstat` says of where it really is.
enum Derived {
    /// Where its parent really is, plus its name.
    Real(PathBuf),
    /// It does not exist.
    Missing,
    /// Only `canonicalize` can tell.
    Ask,
}

/// What one run learnt of its directories, shared by its projects: they share
/// their root and often their directories.
#[derive(Clone, Debug, Default)]
pub struct RealDirs(std::sync::Arc<DirFacts>);

#[derive(Debug, Default)]
struct DirFacts {
    /// Directory → where it really is (`None`: it does not resolve).
    real: std::sync::Mutex<foldhash::HashMap<PathBuf, Option<PathBuf>>>,
    /// Directory → its entries (`None`: it cannot be listed).
    listed: std::sync::Mutex<foldhash::HashMap<PathBuf, Option<std::sync::Arc<Listing>>>>,
}

/// The most entries of a directory that [`RealDirs::probe`] lists; past them it
/// asks the file system name by name. A stack's directory holds dozens.
const MAX_LISTED: usize = 4_096;

/// A directory's entry names, ASCII letters in lower case.
type Listing = foldhash::HashSet<std::ffi::OsString>;

impl RealDirs {
    /// Whether there is something at `path` (`file`: a regular file, symlinks
    /// followed). A project asks for a dozen names that are mostly absent (`.env`
    /// templates, override files), and one `stat` each cost 15,000 system calls
    /// on the test corpus: a name its directory's listing lacks is absent. Any
    /// other answer comes from the file system: a name that is listed (it may be
    /// a dangling link, or behind a directory that can be listed but not
    /// entered), one listed in another case (a case-insensitive file system finds
    /// it), a directory that cannot be listed or holds a name outside ASCII.
    pub fn probe(&self, path: &Path, file: bool) -> bool {
        let ask = || if file { path.is_file() } else { path.exists() };
        // Case-insensitive file systems are the default elsewhere.
        if !cfg!(target_os = "linux") {
            return ask();
        }
        let Some((dir, name)) = split_plain(path) else {
            return ask();
        };
        // A name outside ASCII may match in another case that is not ASCII's.
        if !name.is_ascii() {
            return ask();
        }
        match self.listing(dir) {
            Some(l) if !l.contains(&name.to_ascii_lowercase()) => false,
            _ => ask(),
        }
    }

    fn listing(&self, dir: &Path) -> Option<std::sync::Arc<Listing>> {
        if let Some(hit) = self.0.listed.lock().ok().and_then(|d| d.get(dir).cloned()) {
            return hit;
        }
        let listed = std::fs::read_dir(dir).ok().and_then(|rd| {
            let mut l = Listing::default();
            for (n, e) in rd.enumerate() {
                // A huge directory is not held in memory for a few names.
                if n == MAX_LISTED {
                    return None;
                }
                // An entry that cannot be read: no listing, ask the file system.
                let name = e.ok()?.file_name();
                // Nor for a name outside ASCII: a case-folding directory may
                // match it to an ASCII one (`ſ` to `s`).
                if !name.is_ascii() {
                    return None;
                }
                l.insert(name.to_ascii_lowercase());
            }
            Some(std::sync::Arc::new(l))
        });
        if let Ok(mut d) = self.0.listed.lock() {
            d.insert(dir.to_path_buf(), listed.clone());
        }
        listed
    }
}

/// `path`'s directory (`.` for a bare name) and last component, when that is a
/// plain name written plainly (not `..`, `.`, nor followed by `/`, which would
/// ask for a directory). Split on the bytes: parsing the components from the
/// end, three times a probe, was a sixtieth of a run over the corpus.
#[cfg(unix)]
fn split_plain(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    use std::os::unix::ffi::OsStrExt;
    let raw = path.as_os_str().as_bytes();
    let start = raw.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
    let name = &raw[start..];
    if name.is_empty() || name == b"." || name == b".." {
        return None;
    }
    let dir = match raw[..start].iter().rposition(|&c| c != b'/') {
        Some(last) => &raw[..=last],
        None if start > 0 => b"/",
        None => b".",
    };
    Some((
        Path::new(std::ffi::OsStr::from_bytes(dir)),
        std::ffi::OsStr::from_bytes(name),
    ))
}

#[cfg(not(unix))]
fn split_plain(_: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    None
}

impl Boundary {
    /// Reads only below `roots` (each resolved once here).
    pub fn within<'a>(roots: impl IntoIterator<Item = &'a Path>) -> Self {
        Self::within_sharing(roots, RealDirs::default())
    }

    /// [`Boundary::within`], resolving directories through `dirs`, which other
    /// boundaries of the same run share.
    pub fn within_sharing<'a>(roots: impl IntoIterator<Item = &'a Path>, dirs: RealDirs) -> Self {
        let mut b = Boundary { roots: None, dirs };
        let roots = roots
            .into_iter()
            .map(|r| {
                b.real_dir(&crate::paths::absolute(r))
                    .unwrap_or_else(|| real_path(r))
            })
            .collect();
        b.roots = Some(roots);
        b
    }

    /// `canonicalize(dir)` (absolute), asked of the system once per directory.
    fn real_dir(&self, dir: &Path) -> Option<PathBuf> {
        if let Some(hit) = self
            .dirs
            .0
            .real
            .lock()
            .ok()
            .and_then(|d| d.get(dir).cloned())
        {
            return hit;
        }
        let real = match self.derived(dir) {
            Derived::Real(real) => Some(real),
            Derived::Missing => None,
            Derived::Ask => std::fs::canonicalize(dir).ok(),
        };
        if let Ok(mut d) = self.dirs.0.real.lock() {
            d.insert(dir.to_path_buf(), real.clone());
        }
        real
    }

    /// Where `dir` really is, from where its parent really is when `dir` itself
    /// is not a symlink: one `lstat` instead of a `readlink` per component
    /// (7,000 on the corpus). `Ask`: ask `canonicalize` (a symlink, `..`, `.`,
    /// a trailing `/`).
    fn derived(&self, dir: &Path) -> Derived {
        let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
            return Derived::Ask;
        };
        // The text must end in `/name`: `lstat` follows a link named before `/` or `/.`.
        let (raw, name_raw) = (dir.as_os_str().as_encoded_bytes(), name.as_encoded_bytes());
        let plain = raw.ends_with(name_raw)
            && raw.len() > name_raw.len()
            && raw[raw.len() - name_raw.len() - 1] == b'/';
        if !plain || !dir.is_absolute() {
            return Derived::Ask;
        }
        match std::fs::symlink_metadata(dir) {
            // Not there (through whatever its parent is): `canonicalize` fails too.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Derived::Missing,
            Err(_) => Derived::Ask,
            Ok(meta) if meta.file_type().is_symlink() => Derived::Ask,
            Ok(_) => match self.real_dir(parent) {
                Some(real) => Derived::Real(crate::paths::join(&real, name)),
                None => Derived::Ask,
            },
        }
    }

    /// Where `path` really is, as [`resolve`] says, through the directory cache:
    /// a path whose last component is not a symlink is where its directory
    /// really is, plus its name (one `lstat` instead of a `readlink` per component).
    fn resolve_cached(&self, path: &Path) -> (PathBuf, bool) {
        let found = self.resolve_found(path);
        (found.real, found.exists)
    }

    /// [`Boundary::resolve_cached`], keeping what the `lstat` of the path said
    /// where a `stat` would say the same (the path is not a symlink, or nothing
    /// is there), so a read does not ask again.
    fn resolve_found(&self, path: &Path) -> Found {
        let abs = crate::paths::absolute(path);
        let plain_name = matches!(
            abs.components().next_back(),
            Some(std::path::Component::Normal(_))
        ) && !abs.as_os_str().to_string_lossy().ends_with('/');
        if let (true, Some(dir), Some(name)) = (plain_name, abs.parent(), abs.file_name()) {
            match std::fs::symlink_metadata(&abs) {
                Ok(meta) if !meta.file_type().is_symlink() => {
                    if let Some(real_dir) = self.real_dir(dir) {
                        return Found {
                            real: crate::paths::join(&real_dir, name),
                            exists: true,
                            seen: Seen::Meta(meta),
                        };
                    }
                }
                // Missing: its deepest directory that resolves, plus the rest,
                // as `resolve` does (without a `readlink` per component for
                // each missing ancestor).
                Err(e) => {
                    for anc in abs.ancestors().skip(1) {
                        if let (Some(real), Ok(rest)) = (self.real_dir(anc), abs.strip_prefix(anc))
                        {
                            let missing = e.kind() == std::io::ErrorKind::NotFound;
                            return Found {
                                real: crate::paths::normalize_path(&real.join(rest)),
                                exists: false,
                                seen: if missing {
                                    Seen::Missing
                                } else {
                                    Seen::Unasked
                                },
                            };
                        }
                    }
                }
                Ok(_) => {}
            }
        }
        let (real, exists) = resolve(&abs);
        Found {
            real,
            exists,
            seen: Seen::Unasked,
        }
    }

    /// Whether a file at `path` may be read: where it really is lies under a root.
    pub fn admits(&self, path: &Path) -> bool {
        self.judge(path).0
    }

    /// [`Boundary::admits`], with where `path` really is when that was resolved
    /// (the file exists) and what a `stat` of it says when that is known, so a
    /// read does not ask twice.
    fn judge(&self, path: &Path) -> (bool, Option<PathBuf>, Seen) {
        match &self.roots {
            None => (true, None, Seen::Unasked),
            Some(roots) => {
                let found = self.resolve_found(path);
                let inside = roots.iter().any(|r| found.real.starts_with(r));
                (inside, found.exists.then_some(found.real), found.seen)
            }
        }
    }
}

/// Where a path really is, whether it exists, and what a `stat` of it says
/// when that is already known.
struct Found {
    real: PathBuf,
    exists: bool,
    seen: Seen,
}

/// What a `stat` of a path says, when a check on the way has learnt it: most
/// files a project names are read right after their boundary is checked, and
/// many are missing (build contexts without a Dockerfile, optional env files).
#[derive(Debug)]
enum Seen {
    /// Its metadata (from an `lstat` of a path that is not a symlink).
    Meta(std::fs::Metadata),
    /// Nothing is there.
    Missing,
    /// Not known: ask.
    Unasked,
}

/// Where `path` really is: absolute, symlinks and `..` resolved as the
/// operating system would. For a path that does not exist, its deepest
/// existing ancestor is resolved and the rest appended (`..` taken lexically).
pub fn real_path(path: &Path) -> PathBuf {
    resolve(path).0
}

/// [`real_path`], and whether the path itself resolved (it exists).
fn resolve(path: &Path) -> (PathBuf, bool) {
    // Absolute first: the C library's realpath asks for the working directory
    // (a `getcwd`) for every relative path.
    let abs = crate::paths::absolute(path);
    if let Ok(real) = std::fs::canonicalize(&abs) {
        return (real, true);
    }
    for dir in abs.ancestors().skip(1) {
        if let (Ok(real), Ok(rest)) = (std::fs::canonicalize(dir), abs.strip_prefix(dir)) {
            return (crate::paths::normalize_path(&real.join(rest)), false);
        }
    }
    (crate::paths::normalize_path(&abs), false)
}

/// Files larger than this are not read: they are reported instead.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sources whose files are read only within `boundary`.
    pub fn within(boundary: Boundary) -> Self {
        Sources {
            files: Vec::new(),
            by_path: foldhash::HashMap::default(),
            boundary,
            overlay: None,
        }
    }

    /// Reads the overlay's texts instead of the files at their paths.
    pub fn set_overlay(&mut self, overlay: Overlay) {
        self.overlay = Some(overlay);
    }

    pub fn boundary(&self) -> &Boundary {
        &self.boundary
    }

    /// Whether the file at `path` may be read for this project.
    pub fn admits(&self, path: &Path) -> bool {
        self.boundary.admits(path)
    }

    /// Whether `path` is refused for lying outside the boundary. A system path
    /// (`/dev/null` mounted over a config) is not: [`read_text`] refuses it as before.
    pub fn outside(&self, path: &Path) -> bool {
        !self.admits(path) && !is_system_path(path)
    }

    /// [`read_text`], refusing a file outside the project's boundary.
    pub fn read(&self, path: &Path) -> Result<String, ReadError> {
        if let Some(text) = self.overlay.as_ref().and_then(|o| o.get(path)) {
            // An editor's buffer is held to the bound of a file on disk.
            if text.len() as u64 > MAX_FILE_BYTES {
                return Err(ReadError::TooLarge);
            }
            return Ok(text.to_string());
        }
        let (inside, real, seen) = self.boundary.judge(path);
        // `/dev/null` over a config is an idiom: refused as a system path, as before.
        if !inside && !is_system_path(path) {
            return Err(ReadError::Outside);
        }
        read_resolved(path, real, seen)
    }

    /// Whether there is a file at `path` for this project: an overlay's text (an
    /// editor's unsaved buffer, standard input) or anything on disk (`exists`, so a
    /// FIFO or a device there is read, and reported).
    pub fn exists(&self, path: &Path) -> bool {
        self.overlay.as_ref().is_some_and(|o| o.contains(path))
            || self.boundary.dirs.probe(path, false)
    }

    /// [`Sources::exists`] for a regular file.
    pub fn is_file(&self, path: &Path) -> bool {
        self.overlay.as_ref().is_some_and(|o| o.contains(path))
            || self.boundary.dirs.probe(path, true)
    }

    /// Where `path` really is (see [`real_path`]), through the run's cache of
    /// directories: the file of a source just read costs one `lstat`.
    pub fn real_path(&self, path: &Path) -> PathBuf {
        self.boundary.resolve_cached(path).0
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.by_path.entry(file.path.clone()).or_insert(id);
        self.files.push(file);
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Why a file of the stack was not read. Every file the tool reads goes
/// through [`read_text`], so hostile input (a FIFO, a device, a huge file)
/// becomes one of these instead of a hang or an exhausted memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// A FIFO, socket, device or directory: reading it may block or never end.
    NotRegular,
    /// More than [`MAX_FILE_BYTES`] bytes.
    TooLarge,
    /// The operating system refused or failed the read.
    Unreadable(std::io::ErrorKind),
    /// Under `/proc`, `/sys` or `/dev`: never a file of a stack.
    Forbidden,
    /// Outside the project and every `--allow-outside` directory: not read,
    /// so a stranger's stack cannot print the host's files. Unknown, not missing.
    Outside,
    /// Read, but with more items than stacklint models in one file
    /// ([`MAX_ENV_LINES`], [`MAX_NGINX_STATEMENTS`]): not parsed.
    TooManyItems { max: usize, what: &'static str },
}

/// The most lines of a `.env` file that is parsed. An entry costs about 150
/// bytes once parsed and expanded, and 8 MiB of `A=1` lines are two million;
/// a real env file has hundreds.
pub const MAX_ENV_LINES: usize = 100_000;

/// The most statements (`;` and `{`, counted in the text) of an NGINX file
/// that is parsed. A statement costs about a kilobyte once parsed and
/// analysed, and 8 MiB of `location`s are several hundred thousand.
pub const MAX_NGINX_STATEMENTS: usize = 100_000;

/// Whether a file of `kind` holds more items than stacklint parses
/// ([`MAX_ENV_LINES`], [`MAX_NGINX_STATEMENTS`]), counted on its text.
pub fn check_items(kind: FileKind, text: &str) -> Result<(), ReadError> {
    let (set, max, what): (&[u8], usize, &'static str) = match kind {
        FileKind::Env => (b"\n", MAX_ENV_LINES, "lines"),
        FileKind::Nginx => (b";{", MAX_NGINX_STATEMENTS, "statements"),
        _ => return Ok(()),
    };
    match text.bytes().filter(|b| set.contains(b)).nth(max) {
        Some(_) => Err(ReadError::TooManyItems { max, what }),
        None => Ok(()),
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular => {
                f.write_str("not a regular file (a FIFO, device or directory)")
            }
            ReadError::TooLarge => write!(
                f,
                "file is larger than {} MiB",
                MAX_FILE_BYTES / 1024 / 1024
            ),
            ReadError::Unreadable(std::io::ErrorKind::NotFound) => f.write_str("no such file"),
            ReadError::Unreadable(std::io::ErrorKind::PermissionDenied) => {
                f.write_str("permission denied")
            }
            ReadError::Unreadable(kind) => write!(f, "cannot read it ({kind})"),
            ReadError::Forbidden => f.write_str("a path under /proc, /sys or /dev is never read"),
            ReadError::Outside => f.write_str(
                "not read: outside the project (`--allow-outside DIR` lets stacklint read it)",
            ),
            ReadError::TooManyItems { max, what } => write!(
                f,
                "file has more than {max} {what}, the most stacklint reads in one file"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    /// The file does not exist: often on purpose (an optional file kept out of
    /// version control), unlike a file that exists but cannot be read.
    pub fn is_missing(&self) -> bool {
        *self == ReadError::Unreadable(std::io::ErrorKind::NotFound)
    }
}

/// Whether `path` lies under a pseudo-filesystem whose files are not data.
fn is_forbidden(path: &Path) -> bool {
    // Answered from the second byte for nearly every path (a relative one, or
    // `/home`): the components' comparison took 330 instructions a file.
    let raw = path.as_os_str().as_encoded_bytes();
    if cfg!(unix)
        && (raw.first() != Some(&b'/')
            || !matches!(raw.get(1), Some(b'p' | b's' | b'd' | b'/' | b'.')))
    {
        return false;
    }
    ["/proc", "/sys", "/dev"]
        .iter()
        .any(|root| path.starts_with(root))
}

/// Whether `path`, or where its symlinks lead, is under `/proc`, `/sys` or
/// `/dev`: such a file is never read (a bind mount of `/dev/null` over a
/// config is an idiom, not a file to lint).
pub fn is_system_path(path: &Path) -> bool {
    is_forbidden(path)
        || std::fs::canonicalize(crate::paths::absolute(path)).is_ok_and(|real| is_forbidden(&real))
}

/// Linux's `O_NONBLOCK`: a FIFO swapped in after the type check then fails to
/// read instead of blocking. The numeric value avoids a dependency on `libc`.
#[cfg(target_os = "linux")]
const O_NONBLOCK: i32 = 0o4000;

/// Reads a file as text for linting: a BOM is dropped, invalid UTF-8 is replaced.
///
/// Only regular files (after symlinks) are read, at most [`MAX_FILE_BYTES`]
/// bytes counted as they are read (a length in metadata may be 0 for a file
/// that never ends), never a path under `/proc`, `/sys` or `/dev`.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    read_resolved(path, None, Seen::Unasked)
}

/// [`read_text`]; `real`: where `path` really is, when already resolved; `seen`:
/// what a `stat` of `path` says, when already known (one system call fewer a file).
fn read_resolved(path: &Path, real: Option<PathBuf>, seen: Seen) -> Result<String, ReadError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| ReadError::Unreadable(e.kind());
    if is_forbidden(path) {
        return Err(ReadError::Forbidden);
    }
    let meta = match seen {
        Seen::Meta(meta) => meta,
        Seen::Missing => return Err(unreadable(std::io::ErrorKind::NotFound.into())),
        Seen::Unasked => std::fs::metadata(path).map_err(unreadable)?,
    };
    // A symlink is judged by where it leads.
    let real = real.or_else(|| std::fs::canonicalize(crate::paths::absolute(path)).ok());
    if let Some(real) = real {
        if is_forbidden(&real) {
            return Err(ReadError::Forbidden);
        }
    }
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(O_NONBLOCK);
    }
    let file = opts.open(path).map_err(unreadable)?;
    // The path may have been swapped between the check and the open.
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(ReadError::NotRegular);
    }
    // Sized from the metadata: without it the read grows the buffer in several
    // calls (3.5 reads per file on the corpus).
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(decode_text(bytes))
}

/// A file's bytes as the text we lint: a BOM is dropped, invalid UTF-8 is replaced.
/// Bytes handed over (a `Vec`) that are valid UTF-8, nearly every file, become
/// the text without a copy.
pub fn decode_text(bytes: impl Into<Vec<u8>>) -> String {
    let mut text = String::from_utf8(bytes.into())
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if text.starts_with('\u{feff}') {
        // Keep offsets meaningful: replace the BOM by nothing and accept that
        // columns count from after it, as editors show them.
        text.drain(..3);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split on bytes finds what `Path` finds: the same name, and a
    /// directory equal to its parent (`.` for none).
    #[cfg(unix)]
    #[test]
    fn plain_names_split_as_path_splits_them() {
        for p in [
            "a", "a/b", "/a", "/a/b", "a//b", "//a", "./a", "a/./b", "a/", "a/.", "a/..", ".",
            "..", "/", "", "a/b/", ".env", "../.env", "x/..y",
        ] {
            let path = Path::new(p);
            let plain = path.file_name().filter(|n| {
                p.as_bytes().ends_with(n.as_encoded_bytes())
                    && matches!(
                        path.components().next_back(),
                        Some(std::path::Component::Normal(_))
                    )
            });
            let want = plain.zip(path.parent()).map(|(n, d)| {
                let d = if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                };
                (d, n)
            });
            assert_eq!(split_plain(path), want, "{p:?}");
        }
    }

    #[test]
    fn forbidden_paths_are_found_as_components_find_them() {
        for p in [
            "/proc",
            "/proc/1",
            "//proc/x",
            "/./proc",
            "/sys/x",
            "/dev/null",
            "/devices",
            "/home",
            "proc/x",
            "./proc",
            "/",
            "",
            "/p",
            "/.x/proc",
            "/s",
            "/./dev/x",
        ] {
            let plain = ["/proc", "/sys", "/dev"]
                .iter()
                .any(|r| Path::new(p).starts_with(r));
            assert_eq!(is_forbidden(Path::new(p)), plain, "{p:?}");
        }
    }

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let f = SourceFile::new("x", FileKind::Other, "é: 1\nkey: ünï\r\nz".into());
        // "ü" starts at byte 11 (line 2 starts at byte 6 because é is 2 bytes).
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(2), LineCol { line: 1, column: 2 });
        assert_eq!(f.line_col(11), LineCol { line: 2, column: 6 });
        assert_eq!(f.line_col(f.text.len()), LineCol { line: 3, column: 2 });
        assert_eq!(f.line_range(2), Some((6, 16)));
    }

    #[test]
    fn decoding_drops_a_bom_and_replaces_invalid_utf8() {
        assert_eq!(decode_text(b"\xef\xbb\xbfa: 1\n"), "a: 1\n");
        assert_eq!(decode_text(b"a: \xff\n"), "a: \u{fffd}\n");
    }

    #[test]
    fn items_are_counted_per_kind_up_to_the_bound() {
        let lines = |n: usize| "A=1\n".repeat(n);
        assert_eq!(check_items(FileKind::Env, &lines(MAX_ENV_LINES)), Ok(()));
        assert_eq!(
            check_items(FileKind::Env, &lines(MAX_ENV_LINES + 1)),
            Err(ReadError::TooManyItems {
                max: MAX_ENV_LINES,
                what: "lines"
            })
        );
        // `;` and `{` are statements in NGINX; `}` closes one.
        let statements = "a;b {}".repeat(MAX_NGINX_STATEMENTS / 2);
        assert_eq!(check_items(FileKind::Nginx, &statements), Ok(()));
        assert!(check_items(FileKind::Nginx, &(statements + ";")).is_err());
        // Other kinds have no such bound.
        assert_eq!(
            check_items(FileKind::Compose, &lines(MAX_ENV_LINES + 1)),
            Ok(())
        );
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = std::env::temp_dir().join(format!("stacklint-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(read_text(&dir), Err(ReadError::NotRegular));
        assert!(read_text(&dir.join("missing")).unwrap_err().is_missing());
        let big = dir.join("big");
        std::fs::write(&big, vec![b'a'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert_eq!(read_text(&big), Err(ReadError::TooLarge));
        let ok = dir.join("ok");
        std::fs::write(&ok, "a: 1\n").unwrap();
        assert_eq!(read_text(&ok).as_deref(), Ok("a: 1\n"));
        // Read as `decode_text` reads bytes: a BOM dropped, invalid UTF-8 replaced.
        for bytes in [&b"\xef\xbb\xbfa: 1\n"[..], b"a: \xff\n", b"\xef\xbb\xbf"] {
            std::fs::write(&ok, bytes).unwrap();
            assert_eq!(read_text(&ok), Ok(decode_text(bytes)), "{bytes:?}");
        }
        assert_eq!(read_text(Path::new("/dev/zero")), Err(ReadError::Forbidden));
        assert_eq!(
            read_text(Path::new("/proc/self/status")),
            Err(ReadError::Forbidden)
        );
        #[cfg(unix)]
        {
            let link = dir.join("zero");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            assert_eq!(read_text(&link), Err(ReadError::Forbidden));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_boundary_judges_where_a_path_really_is() {
        let dir = std::env::temp_dir().join(format!("stacklint-bound-{}", std::process::id()));
        let proj = dir.join("proj");
        std::fs::create_dir_all(proj.join("sub")).unwrap();
        std::fs::write(dir.join("host.env"), "A=1\n").unwrap();
        std::fs::write(proj.join("own.env"), "A=1\n").unwrap();
        let b = Boundary::within([proj.as_path()]);
        assert!(b.admits(&proj.join("own.env")));
        assert!(b.admits(&proj.join("sub/../own.env")));
        // Missing files are judged by their path: inside stays inside.
        assert!(b.admits(&proj.join("sub/missing/x.env")));
        assert!(!b.admits(&proj.join("../host.env")));
        assert!(!b.admits(&proj.join("sub/../../host.env")));
        assert!(!b.admits(&proj.join("missing/../../host.env")));
        assert!(!b.admits(Path::new("/etc/passwd")));
        assert!(Boundary::default().admits(Path::new("/etc/passwd")));
        let sources = Sources::within(b.clone());
        assert_eq!(sources.read(&dir.join("host.env")), Err(ReadError::Outside));
        assert_eq!(sources.read(&proj.join("own.env")).as_deref(), Ok("A=1\n"));
        // A system path keeps its own refusal.
        assert_eq!(
            sources.read(Path::new("/dev/zero")),
            Err(ReadError::Forbidden)
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("host.env"), proj.join("link.env")).unwrap();
            std::os::unix::fs::symlink(&dir, proj.join("up")).unwrap();
            assert!(!b.admits(&proj.join("link.env")));
            assert!(!b.admits(&proj.join("up/host.env")));
            assert!(!b.admits(&proj.join("up/missing.env")));
            let allowed = Boundary::within([proj.as_path(), dir.as_path()]);
            assert!(allowed.admits(&proj.join("link.env")));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_resolves_as_canonicalize_says_through_links_dots_and_slashes() {
        let dir = std::env::temp_dir().join(format!("stacklint-real-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real/a/b")).unwrap();
        std::fs::create_dir_all(dir.join("other")).unwrap();
        std::os::unix::fs::symlink(dir.join("real"), dir.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.join("real/a"), dir.join("other/to-a")).unwrap();
        let b = Boundary::within([dir.as_path()]);
        // Ask for parents first so that the children are derived from them.
        for rel in [
            "real",
            "real/a",
            "real/a/b",
            "link",
            "link/a",
            "link/a/b",
            "other",
            "other/to-a",
            "other/to-a/b",
            "link/.",
            "other/to-a/",
            "other/to-a/./b",
            "link/a/../a/b",
            "real/missing",
            "link/missing/x",
        ] {
            let path = dir.join(rel);
            assert_eq!(
                b.real_dir(&path),
                std::fs::canonicalize(&path).ok(),
                "{rel}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_resolves_as_without_the_cache_missing_or_not() {
        let dir = std::env::temp_dir().join(format!("stacklint-miss-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real/a")).unwrap();
        std::fs::create_dir_all(dir.join("outside")).unwrap();
        std::fs::write(dir.join("real/file"), "").unwrap();
        std::os::unix::fs::symlink(dir.join("outside"), dir.join("real/out")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("real/dangling")).unwrap();
        let b = Boundary::within([dir.join("real").as_path()]);
        for (rel, inside) in [
            ("real/a/missing/deeper/x.env", true),
            ("real/missing/x", true),
            ("real/out/missing/x", false),
            // Nothing can be read through a dangling link: judged by its name.
            ("real/dangling/x", true),
            ("real/file/x", true),
            ("real/a/../../outside/missing/x", false),
            ("real/missing/../../outside/x", false),
            // And paths that are there: a file, a directory, links.
            ("real/file", true),
            ("real/a", true),
            ("real/out", false),
            ("real/dangling", true),
        ] {
            let path = dir.join(rel);
            let (cached, exists) = b.resolve_cached(&path);
            assert_eq!((cached.clone(), exists), resolve(&path), "{rel}");
            // What is kept for a read is what a `stat` says: its metadata where
            // the path is not a symlink, and that nothing is there.
            let seen = b.resolve_found(&path).seen;
            let linked = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink());
            match (seen, std::fs::metadata(&path)) {
                (Seen::Meta(k), Ok(m)) => {
                    assert!(!linked, "{rel}");
                    assert_eq!((k.file_type(), k.len()), (m.file_type(), m.len()), "{rel}");
                }
                (Seen::Unasked, Ok(_)) => assert!(linked, "{rel}: not kept"),
                (Seen::Missing, Err(e)) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{rel}")
                }
                // A dangling link, or a file named as a directory.
                (Seen::Unasked, Err(e)) => assert!(
                    linked || e.kind() != std::io::ErrorKind::NotFound,
                    "{rel}: {e}"
                ),
                (seen, Ok(_) | Err(_)) => panic!("{rel}: {seen:?}"),
            }
            assert_eq!(b.admits(&path), inside, "{rel}: {}", cached.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_probe_from_a_listing_agrees_with_the_file_system() {
        let dir = std::env::temp_dir().join(format!("stacklint-probe-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join(".env"), "A=1\n").unwrap();
        std::os::unix::fs::symlink(dir.join(".env"), dir.join("link.env")).unwrap();
        std::os::unix::fs::symlink(dir.join("sub"), dir.join("link-dir")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling.env")).unwrap();
        let dirs = RealDirs::default();
        for rel in [
            ".env",
            "link.env",
            "link-dir",
            "dangling.env",
            "sub",
            "sub/",
            "sub/.",
            "sub/..",
            "sub/../.env",
            "missing.env",
            "missing/.env",
            ".ENV",
            ".env/x",
        ] {
            let path = dir.join(rel);
            // Twice: the second answer comes from the listing the first made.
            for _ in 0..2 {
                assert_eq!(dirs.probe(&path, false), path.exists(), "exists {rel}");
                assert_eq!(dirs.probe(&path, true), path.is_file(), "is_file {rel}");
            }
        }
        // A directory too large to list is asked name by name.
        let big = dir.join("big");
        std::fs::create_dir_all(&big).unwrap();
        for i in 0..=MAX_LISTED {
            std::fs::write(big.join(format!("f{i}")), "").unwrap();
        }
        assert!(dirs.listing(&big).is_none());
        assert!(dirs.probe(&big.join("f7"), true));
        assert!(!dirs.probe(&big.join("nope"), false));
        // Nor is one that holds a name outside ASCII (case folding may map it to
        // the name asked for).
        let folded = dir.join("folded");
        std::fs::create_dir_all(&folded).unwrap();
        std::fs::write(folded.join("compo\u{17f}e.yaml"), "").unwrap();
        assert!(dirs.listing(&folded).is_none());
        assert!(!dirs.probe(&folded.join("compose.yaml"), false));
        // A file created after its directory was listed is not seen: one run
        // answers from one listing, as it reads each file once.
        std::fs::write(dir.join("late.env"), "").unwrap();
        assert!(!dirs.probe(&dir.join("late.env"), false));
        assert!(RealDirs::default().probe(&dir.join("late.env"), false));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// An offset past `u32` (no file read comes near: 8 MiB) saturates: a span
    /// stays ordered, slicing and positions do not panic.
    #[test]
    fn an_offset_past_u32_saturates() {
        let f = SourceFile::new("x", FileKind::Other, "abc".into());
        let far = u32::MAX as usize + 10;
        let s = Span::new(FileId(0), 1, far);
        assert_eq!((s.start(), s.end()), (1, u32::MAX as usize));
        assert_eq!(f.slice(&s), "bc");
        let s = Span::new(FileId(0), far, far + 1);
        assert_eq!(
            (s.start(), s.end(), s.len()),
            (u32::MAX as usize, u32::MAX as usize, 0)
        );
        assert_eq!(f.slice(&s), "");
        assert_eq!(f.line_col(s.start()), LineCol { line: 1, column: 4 });
        assert_eq!(s.sub(5, 9), s);
        let c = Span::new(FileId(0), 0, 1).cover(&s);
        assert_eq!((c.start(), c.end()), (0, u32::MAX as usize));
    }

    #[test]
    fn an_editors_buffer_is_held_to_the_bound_of_a_file() {
        let mut sources = Sources::new();
        let path = std::env::temp_dir().join("stacklint-overlay-bound/compose.yaml");
        let big = "a".repeat(MAX_FILE_BYTES as usize + 1);
        sources.set_overlay(Overlay::new([(path.clone(), big)]));
        assert_eq!(sources.read(&path), Err(ReadError::TooLarge));
    }

    #[test]
    fn offsets_inside_a_char_do_not_panic() {
        let f = SourceFile::new("x", FileKind::Other, "é".into());
        assert_eq!(f.line_col(1), LineCol { line: 1, column: 1 });
        assert_eq!(f.slice(&Span::new(FileId(0), 1, 2)), "é");
    }
}
