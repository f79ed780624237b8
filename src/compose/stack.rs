//! The stack model of one project: its compose model, its variables and `.env`
//! files, and the NGINX configs mounted into its proxies, all over one [`Sources`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compose::discover::{ProjectSpec, ENV_TEMPLATES};
use crate::compose::env::{load_env_file, EnvFile, NoVars, Vars};
use crate::compose::load::Loader;
use crate::compose::model::{self, ComposeModel, Spanned};
use crate::compose::proxy::NginxConfig;
use crate::finding::ParseDiag;
use crate::parse::interpolate::Lookup;
use crate::parse::yaml::{Frozen, NodeRef};
use crate::source::{Boundary, FileId, FileKind, ReadError, SourceFile, Sources, Span};

/// How variables are found, from the command line.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The `include:` targets of compose files read while looking for the stack a
    /// fragment belongs to, shared by every project of a run so each is parsed once.
    pub include_cache: IncludeCache,
    /// The compose files of each directory [`included_by_ancestor`] looked in,
    /// shared by every project of a run so each directory is listed once.
    pub dir_cache: DirCache,
    /// Where each directory a project read from really is, shared by the
    /// projects of a run (see [`Boundary::within_sharing`]).
    pub real_dirs: crate::source::RealDirs,
    /// `--env-file`: replaces the project's `.env`.
    pub env_files: Vec<PathBuf>,
    /// `--use-env`: read the process environment too.
    pub use_env: bool,
    /// `--allow-outside`: directories outside a project's root that its files
    /// may still be read from.
    pub allow_outside: Vec<PathBuf>,
    /// The work trees, indexes and `.gitignore` files read so far.
    pub git: crate::compose::git::GitCache,
    /// Texts read instead of the files at their paths (standard input).
    pub overlay: crate::source::Overlay,
    /// Run over each large compose file's text while the file is parsed, on a
    /// core the parse leaves waiting; what it finds is kept in
    /// `Project::text_pass` (the command line's secret scan).
    pub text_pass: Option<TextPass>,
}

/// A pass over a file's text (of a kind) that yields byte ranges of it. Made
/// only inside stacklint (`TextPass::new`): what it finds is taken as the
/// file's secret scan, so no other pass may be set.
#[derive(Clone, Copy)]
pub struct TextPass(fn(FileKind, &str) -> Vec<(usize, usize)>);

impl TextPass {
    pub(crate) fn new(pass: fn(FileKind, &str) -> Vec<(usize, usize)>) -> Self {
        TextPass(pass)
    }

    /// The ranges the pass finds in `text`, a file of `kind`.
    pub(crate) fn run(self, kind: FileKind, text: &str) -> Vec<(usize, usize)> {
        (self.0)(kind, text)
    }
}

impl std::fmt::Debug for TextPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextPass")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvRole {
    /// The project's `.env` (or an `--env-file`): the variables of interpolation.
    Project,
    /// `.env.example` and the like.
    Template,
    /// A service's `env_file`.
    Service(String),
    /// The template of one env file (`.env.docker.example` of `.env.docker`),
    /// other than the project's own templates.
    TemplateOf(FileId),
    /// A `.env` file linted on its own.
    Standalone,
}

#[derive(Debug)]
pub struct EnvFileInfo {
    pub role: EnvRole,
    pub env: EnvFile,
}

/// A file stacklint wanted to read but could not.
#[derive(Clone, Debug)]
pub struct Unreadable {
    pub path: PathBuf,
    pub error: ReadError,
    /// The text that referred to the file, when there is one.
    pub referenced_at: Option<Span>,
}

#[derive(Debug, Default)]
pub struct Project {
    pub dir: PathBuf,
    pub sources: Sources,
    pub compose_files: Vec<FileId>,
    /// The merged, interpolated compose tree.
    pub tree: Option<Arc<Frozen>>,
    /// Every `${VAR}` use of every compose file read, overridden values included
    /// (see [`crate::compose::load::Loaded::uses`]): a list per value, read
    /// through [`Project::each_var_use`].
    pub var_uses: Vec<std::sync::Arc<[crate::parse::interpolate::VarUse]>>,
    pub model: ComposeModel,
    pub vars: Vars,
    /// Whether a `.env` (or `--env-file`) supplied the variables.
    pub has_env_file: bool,
    /// An env file that sets variables of the compose files was outside the
    /// project and not read: a variable without a value may have one there.
    pub vars_unknown: bool,
    pub env_files: Vec<EnvFileInfo>,
    pub nginx: Vec<NginxConfig>,
    /// The parsed Dockerfile of each service with a local build, by service name.
    pub dockerfiles: foldhash::HashMap<String, (FileId, crate::parse::dockerfile::Dockerfile)>,
    /// The `gunicorn.conf.py` of each service's build context, by service name:
    /// gunicorn reads it from its working directory (SL112 reads its `workers`).
    pub gunicorn_configs: foldhash::HashMap<String, FileId>,
    /// Problems found while reading files; each becomes a `parse-error` finding.
    pub diags: Vec<ParseDiag>,
    pub unreadable: Vec<Unreadable>,
    /// A compose file of an ancestor directory whose `include:` names this
    /// project's base file: the project is then a fragment of that stack (its
    /// variables come from the including project), not a stack of its own.
    pub included_by: Option<PathBuf>,
    /// A lone non-default compose file (`overrides/compose.https.yaml`) in a
    /// directory without a base compose file: an override meant to be combined
    /// with a base elsewhere (`-f base -f this`), not a stack of its own.
    pub lone_override: bool,
    /// Each compose file's own interpolated tree, as compose validates it.
    pub file_trees: Vec<crate::compose::load::FileTree>,
    /// What git says of each env file that is not a template, by file; a file
    /// outside a git work tree has no entry.
    pub git: foldhash::HashMap<FileId, EnvGit>,
    /// What [`LoadOptions::text_pass`] found in each compose file it ran over.
    /// `analysis::secrets::secret_spans` takes it for that file's secret scan:
    /// only that scan may be set as the pass.
    pub(crate) text_pass: foldhash::HashMap<FileId, Vec<(usize, usize)>>,
}

/// What git says of an env file (see [`crate::compose::git`]).
#[derive(Clone, Debug)]
pub struct EnvGit {
    /// `None`: the index could not be read.
    pub tracked: Option<bool>,
    /// Ignored by the work tree's `.gitignore` files.
    pub ignored: bool,
    /// The `.gitignore` line that ignores it (or a directory above it), or the
    /// `!pattern` that un-ignores it.
    pub pattern: Option<Span>,
}

impl Project {
    /// Every `${VAR}` use of every compose file read ([`Project::var_uses`]), in order.
    pub fn each_var_use(&self) -> impl Iterator<Item = &crate::parse::interpolate::VarUse> {
        self.var_uses.iter().flat_map(|u| u.iter())
    }

    /// The root of the merged tree.
    pub fn root(&self) -> Option<NodeRef<'_>> {
        self.tree.as_ref().map(Frozen::root)
    }

    /// The merged tree's node of service `name` (its raw keys, `extends` included).
    pub fn service_node(&self, name: &str) -> Option<NodeRef<'_>> {
        let at = self.model.tree_position(name)?;
        let entries = self.root()?.get("services")?.as_map()?;
        entries.get(at).map(|(_, v)| v)
    }

    /// The `environment` of service `name` as the merged tree holds it: each
    /// variable's name, and its value when it has one as text (none for `- KEY`
    /// or `KEY:`, taken from the shell that runs `docker compose`, nor for a value
    /// that is not a scalar); a key that is not text is left out. Read in
    /// place: the model keeps no copy (it has three readers, and a copy held
    /// every variable of a large stack twice, for the whole run).
    pub fn environment(
        &self,
        name: &str,
    ) -> impl Iterator<Item = (Spanned<&str>, Option<Spanned<&str>>)> {
        self.service_entries(name, "environment")
    }

    /// The entries of mapping `key` of service `name` in the merged tree (list
    /// forms such as `environment` and `labels` are mappings there), as
    /// [`Project::environment`] gives them.
    pub fn service_entries(
        &self,
        name: &str,
        key: &str,
    ) -> impl Iterator<Item = (Spanned<&str>, Option<Spanned<&str>>)> {
        fn spanned(n: NodeRef<'_>) -> Option<Spanned<&str>> {
            n.as_str().map(|s| Spanned::new(s, n.span()))
        }
        self.service_node(name)
            .and_then(|s| s.get(key))
            .and_then(NodeRef::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((spanned(k)?, spanned(v))))
    }

    /// Whether this project is a piece of a larger stack (included by an ancestor's
    /// compose file, or a lone override): rules that need the whole stack, such as
    /// references between services, stay silent on it.
    pub fn is_fragment(&self) -> bool {
        self.included_by.is_some() || self.lone_override
    }

    pub fn env_files_with_role<'a>(
        &'a self,
        role: &'a EnvRole,
    ) -> impl Iterator<Item = &'a EnvFileInfo> {
        self.env_files.iter().filter(move |e| &e.role == role)
    }
}

/// For unit tests: the project of one compose file holding `text`, loaded from a
/// directory of its own (removed again) as a walk would find it.
#[cfg(test)]
pub(crate) fn project_of_text(text: &str) -> Project {
    project_of_text_with(text, &Default::default())
}

/// [`project_of_text`], loaded with `opts`.
#[cfg(test)]
pub(crate) fn project_of_text_with(text: &str, opts: &LoadOptions) -> Project {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "stacklint-unit-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("compose.yaml");
    std::fs::write(&path, text).expect("the compose file is written");
    let spec = ProjectSpec {
        dir: dir.clone(),
        files: vec![path],
        explicit: true,
        root: None,
    };
    let p = load_project(&spec, opts);
    let _ = std::fs::remove_dir_all(&dir);
    p
}

/// Loads one compose project.
pub fn load_project(spec: &ProjectSpec, opts: &LoadOptions) -> Project {
    // The project's root, the --allow-outside directories, and the env files
    // named on the command line: nothing else is read.
    let boundary = match &spec.root {
        Some(root) => Boundary::within_sharing(
            std::iter::once(root)
                .chain(&opts.allow_outside)
                .chain(&opts.env_files)
                .map(PathBuf::as_path),
            opts.real_dirs.clone(),
        ),
        None => Boundary::default(),
    };
    let mut p = Project {
        dir: spec.dir.clone(),
        sources: Sources::within(boundary),
        ..Default::default()
    };
    p.sources.set_overlay(opts.overlay.clone());
    p.vars.use_process_env = opts.use_env;

    // Variables: --env-file replaces the project's .env, as in compose.
    let env_paths: Vec<PathBuf> = if opts.env_files.is_empty() {
        let dot = crate::paths::join(&spec.dir, ".env");
        // `exists`, not `is_file`: a `.env` that is a FIFO or a device is reported.
        if p.sources.exists(&dot) {
            vec![dot]
        } else {
            Vec::new()
        }
    } else {
        opts.env_files.clone()
    };
    for path in &env_paths {
        let mut vars = std::mem::take(&mut p.vars);
        match load_env_file(&mut p.sources, path, &mut vars, &NoVars) {
            Ok(env) => {
                p.diags.extend(env.parsed.diags.iter().cloned());
                p.env_files.push(EnvFileInfo {
                    role: EnvRole::Project,
                    env,
                });
                p.has_env_file = true;
            }
            Err(e) => {
                // It exists but was not read (outside, too large, not a file):
                // what it sets is unknown, never "undefined".
                p.vars_unknown |= !e.is_missing();
                p.unreadable.push(Unreadable {
                    path: path.clone(),
                    error: e,
                    referenced_at: None,
                })
            }
        }
        p.vars = vars;
    }

    // COMPOSE_FILE in the project's .env names the files when -f does not.
    let mut files = spec.files.clone();
    if !spec.explicit {
        if let Some((list, _)) = p.vars.lookup("COMPOSE_FILE") {
            let sep = p
                .vars
                .lookup("COMPOSE_PATH_SEPARATOR")
                .map(|(s, _)| s)
                .unwrap_or_else(|| ":".into());
            let named: Vec<PathBuf> = list
                .split(sep.as_str())
                .filter(|s| !s.trim().is_empty())
                .map(|s| spec.dir.join(s.trim()))
                .collect();
            if !named.is_empty() {
                files = named;
            }
        }
    }

    let mut loaded = Loader::new(&mut p.sources)
        .with_text_pass(opts.text_pass)
        .load_project(&files, &spec.dir, &p.vars);
    p.text_pass = loaded.text_pass.drain(..).collect();
    p.compose_files = loaded.files.clone();
    p.var_uses = loaded.uses;
    p.file_trees = loaded.trees;
    p.diags.extend(loaded.diags);
    p.vars_unknown |= loaded.vars_unknown;
    p.unreadable.extend(
        loaded
            .unreadable
            .into_iter()
            .map(|(path, error, at)| Unreadable {
                path,
                error,
                referenced_at: at,
            }),
    );
    // The merged tree, final: copied into an arena and the loader's tree dropped
    // before the model and the facts are built; its pages go back to the system
    // (`RELEASE_FROM`, parse/yaml/frozen.rs says why).
    let read: usize = loaded
        .files
        .iter()
        .map(|&f| p.sources.get(f).text.len())
        .sum();
    p.tree = loaded.root.take().map(|root| {
        let frozen = Arc::new(Frozen::freeze(&root, read));
        drop(root);
        if read >= RELEASE_FROM {
            crate::memory::give_back();
        }
        frozen
    });
    if let Some(root) = &p.tree {
        let base_dirs = &loaded.base_dirs;
        let dir = spec.dir.clone();
        let base_dir = |span: Span| {
            base_dirs
                .get(&span.file)
                .cloned()
                .unwrap_or_else(|| dir.clone())
        };
        p.model = model::build(root.root(), &base_dir, &p.sources);
    }

    // Templates beside the compose file.
    for name in ENV_TEMPLATES {
        let path = crate::paths::join(&spec.dir, name);
        if p.sources.is_file(&path) {
            let mut scratch = Vars::default();
            if let Ok(env) = load_env_file(&mut p.sources, &path, &mut scratch, &NoVars) {
                p.diags.extend(env.parsed.diags.iter().cloned());
                p.env_files.push(EnvFileInfo {
                    role: EnvRole::Template,
                    env,
                });
            }
        }
    }

    // Each service's env_file, read once even when several services share it.
    let refs: Vec<(String, model::EnvFileRef)> = p
        .model
        .services
        .iter()
        .flat_map(|s| {
            s.env_files
                .iter()
                .map(move |e| (s.name.value.to_string(), e.clone()))
        })
        .collect();
    for (service, r) in refs {
        let shown = crate::paths::display(&r.resolved);
        if let Some(id) = p.sources.find(&shown) {
            if p.env_files.iter().any(|e| e.env.file == id) {
                continue;
            }
        }
        // Outside the project: reported once where it is named, never looked at.
        if p.sources.outside(&r.resolved) {
            if !p
                .unreadable
                .iter()
                .any(|u| u.referenced_at == Some(r.path.span))
            {
                p.unreadable.push(Unreadable {
                    path: r.resolved.clone(),
                    error: ReadError::Outside,
                    referenced_at: Some(r.path.span),
                });
            }
            continue;
        }
        // A missing env_file is often a `.env` kept out of version control on
        // purpose; that is not a finding of this loader.
        if !p.sources.exists(&r.resolved) {
            continue;
        }
        let mut scratch = Vars::default();
        match load_env_file(&mut p.sources, &r.resolved, &mut scratch, &NoVars) {
            Ok(env) => {
                p.diags.extend(env.parsed.diags.iter().cloned());
                p.env_files.push(EnvFileInfo {
                    role: EnvRole::Service(service),
                    env,
                });
            }
            Err(e) => p.unreadable.push(Unreadable {
                path: r.resolved.clone(),
                error: e,
                referenced_at: Some(r.path.span),
            }),
        }
    }

    load_own_templates(&mut p);

    if let Some(base) = files.first() {
        p.included_by = included_by_ancestor(&spec.dir, base, &opts.include_cache, &opts.dir_cache);
        let default_name = |f: &Path| {
            f.file_name().is_some_and(|n| {
                crate::compose::discover::COMPOSE_NAMES.contains(&n.to_string_lossy().as_ref())
            })
        };
        p.lone_override = files.len() == 1
            && !default_name(base)
            && !crate::compose::discover::COMPOSE_NAMES
                .iter()
                .any(|n| p.sources.is_file(&crate::paths::join(&spec.dir, n)));
    }

    crate::compose::proxy::collect(&mut p);
    record_git(&mut p, &opts.git);
    anchor_unreadable(&mut p);
    p
}

/// Asks git (its files, see [`crate::compose::git`]) about each env file that
/// is not a template. A `.gitignore` whose pattern decides is added to the
/// sources, so the finding can point at the line.
fn record_git(p: &mut Project, cache: &crate::compose::git::GitCache) {
    let mut added: foldhash::HashMap<PathBuf, FileId> = Default::default();
    for e in &p.env_files {
        if matches!(e.role, EnvRole::Template | EnvRole::TemplateOf(_)) {
            continue;
        }
        let id = e.env.file;
        let real = p.sources.real_path(&p.sources.get(id).path);
        let Some(st) = crate::compose::git::status(&real, cache) else {
            continue;
        };
        let pattern = st.decided_by.and_then(|d| {
            let line = d.line?;
            let file = *added.entry(d.file.path.clone()).or_insert_with(|| {
                p.sources.add(SourceFile::new(
                    crate::paths::display(&d.file.path),
                    FileKind::Other,
                    d.file.text.clone(),
                ))
            });
            Some(Span::new(file, line.start, line.end))
        });
        p.git.insert(
            id,
            EnvGit {
                tracked: st.tracked,
                ignored: st.ignored,
                pattern,
            },
        );
    }
}

/// Gives each unreadable file that nothing refers to (a compose file found in
/// the directory or named with `-f`, the project's `.env`) a place to be
/// reported: the first line of the file itself, added with no text. So no
/// file of the stack is skipped in silence.
fn anchor_unreadable(p: &mut Project) {
    for u in &mut p.unreadable {
        if u.referenced_at.is_some() {
            continue;
        }
        let shown = crate::paths::display(&u.path);
        let id = match p.sources.find(&shown) {
            Some(id) => id,
            None => p.sources.add(crate::source::SourceFile::new(
                shown,
                FileKind::Other,
                String::new(),
            )),
        };
        u.referenced_at = Some(Span::new(id, 0, 0));
    }
}

/// The template names of an env file named `name`: `<name>.example`,
/// `.sample`, `.template`, `.dist` and `example.<name>`.
pub fn template_names(name: &str) -> Vec<String> {
    let mut out: Vec<String> = ["example", "sample", "template", "dist"]
        .iter()
        .map(|s| format!("{name}.{s}"))
        .collect();
    out.push(format!("example.{}", name.trim_start_matches('.')));
    if name == ".env" {
        out.push("env.example".into());
    }
    out
}

/// Reads the templates beside each env file that is not the project's `.env`
/// (whose templates are [`ENV_TEMPLATES`]): a service's `env_file`, an
/// `--env-file`. A file already read (a template used as an env file) keeps
/// its role.
fn load_own_templates(p: &mut Project) {
    let envs: Vec<(FileId, PathBuf)> = p
        .env_files
        .iter()
        .filter(|e| matches!(e.role, EnvRole::Project | EnvRole::Service(_)))
        .map(|e| (e.env.file, p.sources.get(e.env.file).path.clone()))
        .collect();
    for (id, path) in envs {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        // The project's own `.env` has the project's templates.
        if name == ".env" && same_dir(&dir, &p.dir) {
            continue;
        }
        for t in template_names(&name) {
            let tpath = crate::paths::join(&dir, &t);
            if !p.sources.is_file(&tpath) {
                continue;
            }
            if p.sources
                .find(&crate::paths::display(&tpath))
                .is_some_and(|f| p.env_files.iter().any(|e| e.env.file == f))
            {
                continue;
            }
            let mut scratch = Vars::default();
            if let Ok(env) = load_env_file(&mut p.sources, &tpath, &mut scratch, &NoVars) {
                p.diags.extend(env.parsed.diags.iter().cloned());
                p.env_files.push(EnvFileInfo {
                    role: EnvRole::TemplateOf(id),
                    env,
                });
            }
        }
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let norm = |d: &Path| crate::paths::normalize_path(&absolute(d));
    norm(a) == norm(b)
}

/// Compose file → the files its `include:` names (absolute, normalized).
pub type IncludeCache =
    std::sync::Arc<std::sync::Mutex<foldhash::HashMap<PathBuf, std::sync::Arc<Vec<PathBuf>>>>>;

/// From this much compose text read on, a project's loaded tree (about five times
/// the text) is given back to the system once it is dropped, even in a run that
/// keeps freed pages for its next projects (`crate::memory`): the model and the
/// facts, built next, seldom fit its freed runs, so the pages kept would only add
/// to the peak.
const RELEASE_FROM: usize = 256 * 1024;

/// How many directories up [`included_by_ancestor`] looks for an including file.
const INCLUDE_LOOKUP_LEVELS: usize = 3;

/// A compose file in one of the few directories above `dir` whose `include:`
/// names `base` (laradock's root file includes `adminer/compose.yml`, ...).
pub fn included_by_ancestor(
    dir: &Path,
    base: &Path,
    cache: &IncludeCache,
    dirs: &DirCache,
) -> Option<PathBuf> {
    let target = crate::paths::normalize_path(&absolute(base));
    let mut ancestor = crate::paths::normalize_path(&absolute(dir));
    for _ in 0..INCLUDE_LOOKUP_LEVELS {
        ancestor = ancestor.parent()?.to_path_buf();
        for file in compose_files_in(&ancestor, dirs).iter() {
            if include_targets(file, &ancestor, cache).contains(&target) {
                return Some(file.clone());
            }
        }
    }
    None
}

/// Directory → its compose-named regular files, sorted; `None`: not readable.
pub type DirCache = std::sync::Arc<
    std::sync::Mutex<foldhash::HashMap<PathBuf, Option<std::sync::Arc<Vec<PathBuf>>>>>,
>;

/// The compose files of `dir`, listed once per run: sibling projects share their
/// ancestors, and each asked for them again (3,123 directory opens for 757
/// directories on the test corpus).
fn compose_files_in(dir: &Path, dirs: &DirCache) -> std::sync::Arc<Vec<PathBuf>> {
    if let Some(hit) = dirs.lock().ok().and_then(|c| c.get(dir).cloned()) {
        return hit.unwrap_or_default();
    }
    let listed = std::fs::read_dir(dir).ok().map(|read| {
        // By name first: an ancestor (a home directory, a folder of checkouts)
        // holds many entries, and few are compose files.
        let mut names: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .filter(|e| {
                crate::compose::discover::is_compose_name(&e.file_name().to_string_lossy())
                    && e.file_type().is_ok_and(|t| t.is_file())
            })
            .map(|e| e.path())
            .collect();
        names.sort();
        std::sync::Arc::new(names)
    });
    if let Ok(mut c) = dirs.lock() {
        c.insert(dir.to_path_buf(), listed.clone());
    }
    listed.unwrap_or_default()
}

use crate::paths::absolute;

/// Whether the compose file `file` (in `dir`) lists `target` under `include:`.
/// The files `file` (in `dir`) lists under `include:`, parsed once per run.
fn include_targets(file: &Path, dir: &Path, cache: &IncludeCache) -> std::sync::Arc<Vec<PathBuf>> {
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(file).cloned()) {
        return hit;
    }
    let targets = std::sync::Arc::new(read_include_targets(file, dir));
    if let Ok(mut c) = cache.lock() {
        c.insert(file.to_path_buf(), targets.clone());
    }
    targets
}

fn read_include_targets(file: &Path, dir: &Path) -> Vec<PathBuf> {
    // Compose files are small; a huge one is not worth parsing for this.
    let Ok(text) = crate::source::read_text(file) else {
        return Vec::new();
    };
    if text.len() > 4 << 20 || !text.contains("include") {
        return Vec::new();
    }
    let mut sources = Sources::default();
    let id = sources.add(crate::source::SourceFile::new(
        file.to_path_buf(),
        FileKind::Compose,
        text,
    ));
    let parsed = crate::parse::yaml::parse(id, sources.get(id));
    let Some(include) = parsed.docs.first().and_then(|d| d.read().get("include")) else {
        return Vec::new();
    };
    let items: Vec<NodeRef<'_>> = match include.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![include],
    };
    items
        .iter()
        .flat_map(|item| match item.get("path") {
            Some(p) => match p.as_seq() {
                Some(v) => v.iter().collect(),
                None => vec![p],
            },
            None => vec![*item],
        })
        .filter_map(|p| p.as_str())
        .map(|p| crate::paths::normalize_path(&dir.join(p)))
        .collect()
}

/// Loads a single `.env` or NGINX file as a project of its own.
pub fn load_single(path: &Path, kind: FileKind) -> Project {
    load_single_with(path, kind, &Default::default())
}

/// [`load_single`], sharing what the run knows of git.
pub fn load_single_with(path: &Path, kind: FileKind, opts: &LoadOptions) -> Project {
    let git = &opts.git;
    let mut p = Project {
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        ..Default::default()
    };
    p.sources.set_overlay(opts.overlay.clone());
    match kind {
        FileKind::Env => {
            let mut scratch = Vars::default();
            match load_env_file(&mut p.sources, path, &mut scratch, &NoVars) {
                Ok(env) => {
                    p.diags.extend(env.parsed.diags.iter().cloned());
                    p.env_files.push(EnvFileInfo {
                        role: EnvRole::Standalone,
                        env,
                    });
                }
                Err(e) => p.unreadable.push(Unreadable {
                    path: path.to_path_buf(),
                    error: e,
                    referenced_at: None,
                }),
            }
        }
        _ => crate::compose::proxy::load_standalone(&mut p, path),
    }
    record_git(&mut p, git);
    anchor_unreadable(&mut p);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value's variable uses are one list, held by the value's node and by the
    /// project's list of every use (each use was stored twice).
    #[test]
    fn a_value_and_the_project_share_its_variable_uses() {
        let p = project_of_text("services:\n  app:\n    image: \"app:${TAG:-1}-${FLAVOR}\"\n");
        let names: Vec<&str> = p.each_var_use().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["TAG", "FLAVOR"]);
        let image = p.service_node("app").and_then(|s| s.get("image"));
        let vars = image.map(NodeRef::vars).unwrap_or_default();
        assert_eq!(vars.len(), 2);
        assert!(std::ptr::eq(vars.as_ptr(), p.var_uses[0].as_ptr()));
    }

    /// A service's node is found by its name, also past a key the model skips
    /// (not a string): its place in the model is not its place in the tree.
    #[test]
    fn a_service_node_is_found_past_a_key_the_model_skips() {
        let p = project_of_text(
            "services:\n  ? [odd]\n  : {image: odd}\n  app:\n    image: app\n  db:\n    image: db\n",
        );
        let names: Vec<&str> = p
            .model
            .services
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        assert_eq!(names, ["app", "db"]);
        let image = |name: &str| {
            p.service_node(name)
                .and_then(|s| s.get("image"))
                .and_then(NodeRef::as_str)
        };
        assert_eq!(
            (image("app"), image("db"), image("odd")),
            (Some("app"), Some("db"), None)
        );
    }

    /// A service's node is found while the services are out of the model (the
    /// Dockerfile reader takes them out to read each one's build).
    #[test]
    fn a_service_node_is_found_while_the_services_are_out_of_the_model() {
        let mut p = project_of_text("services:\n  app:\n    image: app\n");
        let services = std::mem::take(&mut p.model.services);
        let image = p
            .service_node("app")
            .and_then(|s| s.get("image"))
            .and_then(NodeRef::as_str);
        assert_eq!(image, Some("app"));
        p.model.services = services;
    }
}
