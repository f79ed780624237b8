//! Loading the compose files of one project into one merged, interpolated tree:
//! override files, `include` and `extends`, as docker compose does.

// foldhash, not SipHash: every key of every file and every include goes through these.
use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compose::env::Vars;
use crate::compose::merge::{merge, normalize_service, sub_span, Normalized};
use crate::compose::schema_view;
use crate::finding::ParseDiag;
use crate::parse::interpolate::{interpolate, Lookup, MAX_FILE_SUBSTITUTED};
use crate::parse::yaml::{self, take_items, Node, Value};
use crate::source::{FileId, FileKind, ReadError, SourceFile, Sources, Span};

/// Bound on `include` and `extends` chains: deeper means a loop we did not spot.
const MAX_CHAIN: usize = 16;

/// A compose text of this many bytes or more is parsed while the text pass (if
/// any) runs on another core (most compose files are a few KiB, and for them the
/// hand-over costs more than it saves).
pub const PARALLEL_TEXT: usize = 16 * 1024;

/// The loaded compose files of a project.
pub struct Loaded {
    /// The merged tree; `None` when no compose file could be read.
    pub root: Option<Node>,
    /// The compose files read, in order (base, overrides, includes, extended files).
    pub files: Vec<FileId>,
    /// Directory against which each file's relative paths resolve.
    pub base_dirs: HashMap<FileId, PathBuf>,
    pub diags: Vec<ParseDiag>,
    /// Files that could not be read at all: path and why.
    pub unreadable: Vec<(PathBuf, ReadError, Option<Span>)>,
    /// An env file that sets the variables of an included file was outside
    /// the project, so not read: which variables are set is unknown.
    pub vars_unknown: bool,
    /// Every variable use of every file read, spans set, including values that
    /// the merge later overrode: compose interpolates each file before merging,
    /// so `${X:?}` in an overridden value still stops it.
    /// (A list per value, shared with the value's node.)
    pub uses: Vec<Arc<[crate::parse::interpolate::VarUse]>>,
    /// Each file as compose validates it against the compose-spec schema:
    /// interpolated, before our normalization (list forms stay lists).
    pub trees: Vec<FileTree>,
    /// What the text pass found, by file.
    pub text_pass: Vec<(FileId, Vec<(usize, usize)>)>,
}

/// One compose file's own interpolated tree.
#[derive(Clone, Debug)]
pub struct FileTree {
    pub file: FileId,
    /// `None`: the file is clean ([`schema_view::is_clean`]), so its tree is not kept.
    pub root: Option<Node>,
    /// An override file (`-f base -f this`, `compose.override.yaml`): it may hold
    /// part of an object whose other keys come from the base file.
    pub partial: bool,
}

pub struct Loader<'a> {
    pub sources: &'a mut Sources,
    pub loaded: Loaded,
    /// Parsed, interpolated files by path, so a file is read once.
    cache: HashMap<PathBuf, Option<(FileId, Node)>>,
    /// Files being loaded right now, to spot an `include` that loops back.
    loading: Vec<PathBuf>,
    /// Run over a large file's text while it is parsed ([`LoadOptions::text_pass`]).
    ///
    /// [`LoadOptions::text_pass`]: crate::compose::stack::LoadOptions::text_pass
    text_pass: Option<crate::compose::stack::TextPass>,
}

/// The shared collections (an anchor and its aliases) found unchanged by one
/// interpolation of a tree: the aliases of an anchor without `$` were each
/// walked again (a `<<: *defaults` in each of 2,000 services was a quarter of
/// the pass). Only a walk that changed nothing and said nothing is recorded: a
/// scalar with `$` either changes (spending budget, recording its variables) or
/// says why not, so such a walk met no `$`, and skipping it again changes no
/// output. Each is held while recorded, so that no other collection can take
/// its address.
#[derive(Default)]
struct Unchanged {
    at: foldhash::HashSet<usize>,
    held: Vec<Value>,
}

impl<'a> Loader<'a> {
    pub fn new(sources: &'a mut Sources) -> Self {
        Loader {
            sources,
            loaded: Loaded {
                root: None,
                files: Vec::new(),
                base_dirs: HashMap::new(),
                diags: Vec::new(),
                unreadable: Vec::new(),
                vars_unknown: false,
                uses: Vec::new(),
                trees: Vec::new(),
                text_pass: Vec::new(),
            },
            cache: HashMap::new(),
            loading: Vec::new(),
            text_pass: None,
        }
    }

    /// Runs `pass` over each large file's text while the file is parsed.
    pub fn with_text_pass(mut self, pass: Option<crate::compose::stack::TextPass>) -> Self {
        self.text_pass = pass;
        self
    }

    /// Loads `files` (the first is the base, the others override it) with the
    /// variables `vars`; `project_dir` is where relative paths resolve.
    pub fn load_project(mut self, files: &[PathBuf], project_dir: &Path, vars: &Vars) -> Loaded {
        let mut root: Option<Node> = None;
        for (i, path) in files.iter().enumerate() {
            let Some((id, node)) = self.load_file(path, project_dir, vars, None, 0) else {
                continue;
            };
            if i > 0 {
                for t in self.loaded.trees.iter_mut().filter(|t| t.file == id) {
                    t.partial = true;
                }
            }
            match &mut root {
                None => root = Some(node),
                Some(r) => merge(r, node, &mut Vec::new()),
            }
        }
        if let Some(r) = &mut root {
            self.apply_extends(r, vars);
        }
        self.loaded.root = root;
        self.loaded
    }

    /// Reads, parses and interpolates one file, and applies its `include`s.
    fn load_file(
        &mut self,
        path: &Path,
        base_dir: &Path,
        vars: &dyn Lookup,
        from: Option<Span>,
        depth: usize,
    ) -> Option<(FileId, Node)> {
        let key = crate::paths::normalize_path(path);
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        if self.loading.contains(&key) {
            if let Some(at) = from {
                self.loaded.diags.push(ParseDiag::new(
                    at,
                    format!(
                        "`{}` includes itself (an include loop)",
                        crate::paths::slash(&crate::paths::display(&key))
                    ),
                ));
            }
            return None;
        }
        let text = match self.sources.read(path) {
            Ok(t) => t,
            Err(e) => {
                self.loaded.unreadable.push((path.to_path_buf(), e, from));
                self.cache.insert(key, None);
                return None;
            }
        };
        let id = self.sources.add(SourceFile::new(
            crate::paths::display(path),
            FileKind::Compose,
            text,
        ));
        self.loaded.files.push(id);
        self.loaded.base_dirs.insert(id, base_dir.to_path_buf());
        let src = self.sources.get(id);
        let parsed = match self.text_pass.filter(|_| src.text.len() >= PARALLEL_TEXT) {
            // The parse takes one core (and, for a text large enough to be read
            // on a thread of its own, about half of another): the pass and the
            // line index run on what is left.
            Some(pass) => {
                let (parsed, found) = rayon::join(
                    || yaml::parse(id, src),
                    || {
                        src.line_starts();
                        pass.run(FileKind::Compose, &src.text)
                    },
                );
                self.loaded.text_pass.push((id, found));
                parsed
            }
            None => yaml::parse(id, src),
        };
        self.loaded.diags.extend(parsed.diags);
        let mut docs = parsed.docs.into_iter();
        let mut node = docs.next()?;
        // Later documents of the same file are merged on top, as compose does.
        for d in docs {
            merge(&mut node, d, &mut Vec::new());
        }
        if node.as_map().is_none() {
            if !node.is_null() {
                self.loaded.diags.push(ParseDiag::new(
                    node.span,
                    "a compose file must be a mapping (`services:` and so on)",
                ));
            }
            self.cache.insert(key, None);
            return None;
        }
        let mut budget = MAX_FILE_SUBSTITUTED;
        self.interpolate_tree(&mut node, vars, &mut budget, &mut Unchanged::default());
        let clean = schema_view::is_clean(node.read());
        self.loaded.trees.push(FileTree {
            file: id,
            root: (!clean).then(|| node.clone()),
            partial: false,
        });
        normalize_services(&mut node, self.sources);
        if depth < MAX_CHAIN {
            self.loading.push(key.clone());
            self.apply_includes(&mut node, base_dir, vars, depth);
            self.loading.pop();
        } else {
            self.loaded.diags.push(ParseDiag::new(
                node.span,
                "`include` nests too deeply (a loop?)",
            ));
        }
        self.cache.insert(key, Some((id, node.clone())));
        Some((id, node))
    }

    /// Interpolates every value (never a key) of the tree, as compose does. The
    /// recursion is bounded by the YAML depth limit.
    /// `budget` is what the file's values may still add up to (`MAX_FILE_SUBSTITUTED`).
    ///
    /// A collection that this tree alone holds (most of a freshly parsed file) is
    /// changed in place; a shared one (an anchor and its aliases) goes through
    /// [`Loader::interpolated`], which copies it only when an item changes. Copying
    /// every changed level and freeing the original was 10% of a large file's load.
    fn interpolate_tree(
        &mut self,
        n: &mut Node,
        vars: &dyn Lookup,
        budget: &mut usize,
        unchanged: &mut Unchanged,
    ) {
        match n.value_mut() {
            Value::Map(entries) => {
                if let Some(entries) = Arc::get_mut(entries) {
                    for (_, v) in entries.iter_mut() {
                        self.interpolate_tree(v, vars, budget, unchanged);
                    }
                    return;
                }
            }
            Value::Seq(items) => {
                if let Some(items) = Arc::get_mut(items) {
                    for v in items.iter_mut() {
                        self.interpolate_tree(v, vars, budget, unchanged);
                    }
                    return;
                }
            }
            Value::Scalar(_) => {
                if let Some((value, uses)) = self.interpolated_scalar(n, vars, budget) {
                    n.set_value(Value::Scalar(value.into()));
                    n.set_vars(uses);
                }
                return;
            }
            Value::Null => return,
        }
        if let Some(new) = self.interpolated(n, vars, budget, unchanged) {
            *n = new;
        }
    }

    /// `n` interpolated, or None when nothing in it changes. A collection is copied
    /// only when one of its items changes, so subtrees without `$` (most of a file,
    /// and every anchor they share) stay shared with the file's tree.
    fn interpolated(
        &mut self,
        n: &Node,
        vars: &dyn Lookup,
        budget: &mut usize,
        unchanged: &mut Unchanged,
    ) -> Option<Node> {
        // A scalar, or a collection only this node holds, is walked once anyway.
        let Some(at) = n.value().shared_address(1) else {
            return self.interpolated_walk(n, vars, budget, unchanged);
        };
        if unchanged.at.contains(&at) {
            return None;
        }
        let said = self.loaded.diags.len();
        let new = self.interpolated_walk(n, vars, budget, unchanged);
        if new.is_none() && said == self.loaded.diags.len() {
            unchanged.at.insert(at);
            unchanged.held.push(n.value().clone());
        }
        new
    }

    /// [`Loader::interpolated`] of `n` itself, its items through the memo.
    fn interpolated_walk(
        &mut self,
        n: &Node,
        vars: &dyn Lookup,
        budget: &mut usize,
        unchanged: &mut Unchanged,
    ) -> Option<Node> {
        match n.value() {
            Value::Map(entries) => {
                let mut out: Option<Arc<[(Node, Node)]>> = None;
                for (i, (_, v)) in entries.iter().enumerate() {
                    if let Some(new) = self.interpolated(v, vars, budget, unchanged) {
                        let o = out.get_or_insert_with(|| Arc::clone(entries));
                        Arc::make_mut(o)[i].1 = new;
                    }
                }
                return out.map(|entries| n.with_value(Value::Map(entries)));
            }
            Value::Seq(items) => {
                let mut out: Option<Arc<[Node]>> = None;
                for (i, v) in items.iter().enumerate() {
                    if let Some(new) = self.interpolated(v, vars, budget, unchanged) {
                        let o = out.get_or_insert_with(|| Arc::clone(items));
                        Arc::make_mut(o)[i] = new;
                    }
                }
                return out.map(|items| n.with_value(Value::Seq(items)));
            }
            _ => {}
        }
        let (value, uses) = self.interpolated_scalar(n, vars, budget)?;
        let mut new = n.with_value(Value::Scalar(value.into()));
        new.set_vars(uses);
        Some(new)
    }

    /// The value and variable uses of scalar `n` interpolated, or None when it has
    /// no `$` or cannot be interpolated (a diagnostic says why).
    fn interpolated_scalar(
        &mut self,
        n: &Node,
        vars: &dyn Lookup,
        budget: &mut usize,
    ) -> Option<(String, Arc<[crate::parse::interpolate::VarUse]>)> {
        let result = match n.as_scalar() {
            Some(s) if s.value.contains('$') => interpolate(s.value, vars),
            _ => return None,
        };
        match result {
            Ok(out) if out.value.len() > *budget => {
                self.loaded.diags.push(ParseDiag::new(
                    n.span,
                    format!(
                        "value not interpolated: with it, the values of this file would pass {} MiB",
                        MAX_FILE_SUBSTITUTED >> 20
                    ),
                ));
                None
            }
            Ok(out) => {
                *budget -= out.value.len();
                let uses = out
                    .uses
                    .into_iter()
                    .map(|mut u| {
                        u.span = Some(sub_span(n.read(), self.sources, u.range.start, u.range.end));
                        u
                    })
                    .collect::<Arc<[_]>>();
                if !uses.is_empty() {
                    self.loaded.uses.push(Arc::clone(&uses));
                }
                Some((out.value, uses))
            }
            Err(e) => {
                let span = sub_span(n.read(), self.sources, e.range.start, e.range.end);
                let what = if e.too_long {
                    "value not interpolated"
                } else {
                    "invalid interpolation"
                };
                self.loaded
                    .diags
                    .push(ParseDiag::new(span, format!("{what}: {}", e.message)));
                None
            }
        }
    }

    fn apply_includes(
        &mut self,
        node: &mut Node,
        base_dir: &Path,
        vars: &dyn Lookup,
        depth: usize,
    ) {
        let items: Vec<Node> = match node.get("include") {
            None => return,
            Some(inc) => match inc.value() {
                Value::Seq(items) => items.to_vec(),
                _ => vec![inc.clone()],
            },
        };
        for item in items {
            let (paths, project_dir, env_files) = match item.value() {
                Value::Scalar(_) => (vec![item.clone()], None, Vec::new()),
                Value::Map(_) => {
                    let paths = match item.get("path") {
                        Some(p) => match p.value() {
                            Value::Seq(v) => v.to_vec(),
                            _ => vec![p.clone()],
                        },
                        None => continue,
                    };
                    let env: Vec<Node> = match item.get("env_file") {
                        Some(e) => match e.value() {
                            Value::Seq(v) => v.to_vec(),
                            _ => vec![e.clone()],
                        },
                        None => Vec::new(),
                    };
                    (
                        paths,
                        item.get("project_directory")
                            .and_then(Node::as_str)
                            .map(str::to_string),
                        env,
                    )
                }
                _ => continue,
            };
            let Some(first) = paths.first().and_then(Node::as_str) else {
                continue;
            };
            // Remote includes (git, oci) are fetched by compose; we cannot read them.
            if is_remote(first) {
                continue;
            }
            let first_path = base_dir.join(first);
            let inc_dir = match &project_dir {
                Some(d) => base_dir.join(d),
                None => first_path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            };
            // The included project reads its own env file(s), then falls back to ours.
            let env_paths: Vec<(PathBuf, Option<Span>)> = if env_files.is_empty() {
                vec![(inc_dir.join(".env"), None)]
            } else {
                env_files
                    .iter()
                    .filter_map(|e| Some((base_dir.join(e.as_str()?), Some(e.span))))
                    .collect()
            };
            let mut inc_vars = Vars::default();
            for (p, at) in &env_paths {
                // Outside the project: not read, not even looked at, and its
                // variables are unknown (never "undefined").
                if self.sources.outside(p) {
                    self.loaded.vars_unknown = true;
                    if at.is_some() {
                        self.loaded
                            .unreadable
                            .push((p.clone(), ReadError::Outside, *at));
                    }
                    continue;
                }
                // A missing file is skipped; one that exists but cannot be read is reported.
                if self.sources.exists(p) {
                    if let Err(e) =
                        crate::compose::env::load_env_file(self.sources, p, &mut inc_vars, vars)
                    {
                        // What it sets is unknown, never "undefined".
                        self.loaded.vars_unknown = true;
                        self.loaded.unreadable.push((p.clone(), e, *at));
                    }
                }
            }
            let layered = Layered {
                first: &inc_vars,
                then: vars,
            };
            let mut merged: Option<Node> = None;
            for p in &paths {
                let Some(rel) = p.as_str() else { continue };
                let path = base_dir.join(rel);
                if let Some((_, n)) =
                    self.load_file(&path, &inc_dir, &layered, Some(p.span), depth + 1)
                {
                    match &mut merged {
                        None => merged = Some(n),
                        Some(m) => merge(m, n, &mut Vec::new()),
                    }
                }
            }
            if let Some(inc) = merged {
                add_missing(node, inc);
            }
        }
    }

    /// Resolves `extends` of every service: the base service is merged under it.
    fn apply_extends(&mut self, root: &mut Node, vars: &Vars) {
        let Some(services) = root.get("services").cloned() else {
            return;
        };
        // Only services that extend another change; the rest stay as they are.
        let names: Vec<String> = services
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter(|(_, v)| v.get("extends").is_some())
            .filter_map(|(k, _)| k.as_str().map(str::to_string))
            .collect();
        if names.is_empty() {
            return;
        }
        let mut resolved: HashMap<String, Node> = HashMap::new();
        for name in &names {
            let mut chain = Vec::new();
            if let Some(n) = self.resolve_service(&services, name, vars, &mut chain) {
                resolved.insert(name.clone(), n);
            }
        }
        // The copy of the services goes first: held, it made the change below
        // copy the whole list of services.
        drop(services);
        if let Some(Value::Map(entries)) = root_services_mut(root) {
            for (k, v) in Arc::make_mut(entries).iter_mut() {
                if let Some(n) = k.as_str().and_then(|k| resolved.remove(k)) {
                    *v = n;
                }
            }
        }
    }

    fn resolve_service(
        &mut self,
        services: &Node,
        name: &str,
        vars: &Vars,
        chain: &mut Vec<(String, Option<PathBuf>)>,
    ) -> Option<Node> {
        let svc = services.get(name)?.clone();
        let Some(ext) = svc.get("extends") else {
            return Some(svc);
        };
        let (base_name, file) = match ext.value() {
            Value::Scalar(s) => (s.to_string(), None),
            Value::Map(_) => (
                ext.get("service").and_then(Node::as_str)?.to_string(),
                ext.get("file")
                    .and_then(|f| Some((f.as_str()?.to_string(), f.span))),
            ),
            _ => return Some(svc),
        };
        let ext_span = ext.span;
        if file.as_ref().is_some_and(|(f, _)| is_remote(f)) {
            return Some(svc);
        }
        let base_file = file.as_ref().map(|(f, span)| {
            let dir = self
                .sources
                .get(span.file)
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            crate::paths::normalize_path(&dir.join(f))
        });
        let link = (base_name.clone(), base_file.clone());
        if chain.contains(&link) || chain.len() >= MAX_CHAIN {
            self.loaded.diags.push(ParseDiag::new(
                ext_span,
                format!("`extends` of `{name}` loops back to `{base_name}`"),
            ));
            return Some(svc);
        }
        chain.push(link);
        let base = match &base_file {
            None => {
                if services.get(&base_name).is_none() {
                    // Reported by unknown-service-reference; nothing to merge.
                    chain.pop();
                    return Some(svc);
                }
                self.resolve_service(services, &base_name, vars, chain)
            }
            Some(path) => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let other = self.load_file(path, &dir, vars, Some(ext_span), 0);
                match other {
                    Some((_, other_root)) => match other_root.get("services").cloned() {
                        Some(other_services) => {
                            self.resolve_service(&other_services, &base_name, vars, chain)
                        }
                        None => None,
                    },
                    None => None,
                }
            }
        };
        chain.pop();
        let Some(mut base) = base else {
            return Some(svc);
        };
        let own_span = svc.span;
        let mut path = vec!["services".to_string(), name.to_string()];
        merge(&mut base, svc, &mut path);
        // The service is the one written here; only its inherited values point elsewhere.
        base.span = own_span;
        Some(base)
    }
}

fn root_services_mut(root: &mut Node) -> Option<&mut Value> {
    let Value::Map(entries) = root.value_mut() else {
        return None;
    };
    Arc::make_mut(entries)
        .iter_mut()
        .find(|(k, _)| k.as_str() == Some("services"))
        .map(|(_, v)| v.value_mut())
}

fn normalize_services(root: &mut Node, sources: &Sources) {
    if let Some(Value::Map(entries)) = root_services_mut(root) {
        let entries = Arc::make_mut(entries);
        let shared = Normalized::default();
        // Each service is its own: a large file's are rewritten in parallel.
        if entries.len() >= crate::PARALLEL_SERVICES {
            use rayon::prelude::*;
            entries
                .par_iter_mut()
                .for_each(|(_, svc)| normalize_service(svc, sources, &shared));
        } else {
            for (_, svc) in entries.iter_mut() {
                normalize_service(svc, sources, &shared);
            }
        }
    }
}

/// Adds the resources of an included project that the including file does not
/// define itself (compose reports such conflicts; the including file wins here).
fn add_missing(node: &mut Node, inc: Node) {
    let Value::Map(inc_entries) = inc.into_value() else {
        return;
    };
    let Value::Map(entries) = node.value_mut() else {
        return;
    };
    let mut all = take_items(entries);
    add_missing_entries(&mut all, inc_entries);
    *entries = all.into();
}

fn add_missing_entries(entries: &mut Vec<(Node, Node)>, mut inc_entries: Arc<[(Node, Node)]>) {
    for (k, v) in take_items(&mut inc_entries) {
        let Some(key) = k.as_str().map(str::to_string) else {
            continue;
        };
        if key == "include" {
            continue;
        }
        match entries.iter_mut().find(|(ek, _)| ek.as_str() == Some(&key)) {
            None => entries.push((k, v)),
            Some((_, existing)) => {
                if let (Value::Map(shared), Value::Map(mut new)) =
                    (existing.value_mut(), v.into_value())
                {
                    let mut ex = take_items(shared);
                    // The names already there, looked up in a set: an included
                    // project of thousands of services was quadratic here.
                    let mut have: std::collections::HashSet<Option<String>> = ex
                        .iter()
                        .map(|(ek, _)| ek.as_str().map(str::to_string))
                        .collect();
                    for (nk, nv) in take_items(&mut new) {
                        if have.insert(nk.as_str().map(str::to_string)) {
                            ex.push((nk, nv));
                        }
                    }
                    *shared = ex.into();
                }
            }
        }
    }
}

/// `oci://...`, `https://...`, `git@...`: not a local path.
fn is_remote(path: &str) -> bool {
    path.contains("://")
        || path.starts_with("git@")
        || path.split_once(':').is_some_and(|(scheme, _)| {
            scheme.len() > 1 && scheme.chars().all(|c| c.is_ascii_alphabetic())
        })
}

/// Variables looked up in one set first, then another.
pub struct Layered<'a> {
    pub first: &'a dyn Lookup,
    pub then: &'a dyn Lookup,
}

impl Lookup for Layered<'_> {
    fn lookup(&self, name: &str) -> Option<(String, Option<Span>)> {
        self.first.lookup(name).or_else(|| self.then.lookup(name))
    }
}
