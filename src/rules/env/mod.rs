//! Rules that read variables and `.env` files, and what they share: which files
//! play which part, and the variable uses of the merged compose tree.

pub mod debug_in_production;
pub mod env_example_drift;
pub mod env_file_committed;
pub mod hardcoded_secret;
pub mod placeholder_secret;
pub mod undefined_variable;

use crate::compose::stack::{EnvFileInfo, EnvRole, Project};
use crate::parse::env::EnvEntry;
use crate::parse::interpolate::VarUse;
use crate::parse::yaml::{Node, Value};
use crate::source::{FileId, Span};

/// Bound on the depth of the tree walks (the YAML parser bounds it already).
const MAX_DEPTH: usize = 200;

/// The file name of a source, as messages show it (`.env`, `.env.example`):
/// short, and the same on every machine.
pub(crate) fn file_name(p: &Project, id: FileId) -> String {
    let path = &p.sources.get(id).path;
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| crate::paths::slash(path))
}

/// The project's own env files (`.env` or the `--env-file`s), in order.
pub(crate) fn project_envs(p: &Project) -> Vec<&EnvFileInfo> {
    p.env_files_with_role(&EnvRole::Project).collect()
}

/// The env templates beside the compose file, in precedence order
/// (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `example.env`).
pub(crate) fn templates(p: &Project) -> Vec<&EnvFileInfo> {
    p.env_files_with_role(&EnvRole::Template).collect()
}

/// The services that read `e` as their `env_file`, with the reference.
pub(crate) fn env_file_readers(p: &Project, e: &EnvFileInfo) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for s in &p.model.services {
        for r in &s.env_files {
            let shown = crate::paths::display(&r.resolved);
            if p.sources.find(&shown) == Some(e.env.file) {
                out.push((s.name.value.to_string(), r.path.span));
            }
        }
    }
    out
}

/// The last entry of `key` in `env` (the one compose keeps).
pub(crate) fn entry<'a>(env: &'a EnvFileInfo, key: &str) -> Option<&'a EnvEntry> {
    env.env.parsed.entries.iter().rev().find(|e| e.key == key)
}

/// An empty span at the start of a file: "this file", for a related label that
/// says something is absent from it.
pub(crate) fn file_start(id: FileId) -> Span {
    Span::new(id, 0, 0)
}

/// A variable use of the merged tree and where it sits (`services.app.command`).
pub(crate) struct PlacedUse<'a> {
    pub use_: &'a VarUse,
    pub path: Vec<Step<'a>>,
}

/// One step of a path into the tree: a mapping key or a sequence index. Kept
/// borrowed, so that walking a big tree allocates only for the uses it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Step<'_> {
    /// Whether this step is the mapping key `key`.
    pub fn is(&self, key: &str) -> bool {
        matches!(self, Step::Key(k) if *k == key)
    }
}

/// A path as messages and fingerprints show it: `services.app.command.0`.
pub(crate) fn dotted(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for (i, step) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match step {
            Step::Key(k) => out.push_str(k),
            Step::Index(n) => out.push_str(&n.to_string()),
        }
    }
    out
}

/// Every variable use in the merged tree, with its path.
pub(crate) fn tree_uses(tree: &Node) -> Vec<PlacedUse<'_>> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(tree, &mut path, &mut out, 0);
    out
}

fn walk<'a>(n: &'a Node, path: &mut Vec<Step<'a>>, out: &mut Vec<PlacedUse<'a>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match &n.value {
        Value::Map(entries) => {
            for (k, v) in entries.iter() {
                // Only a collection or a scalar with a `${...}` adds to `out`.
                if !may_hold_uses(v) {
                    continue;
                }
                path.push(Step::Key(k.as_str().unwrap_or("?")));
                walk(v, path, out, depth + 1);
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                if !may_hold_uses(v) {
                    continue;
                }
                path.push(Step::Index(i));
                walk(v, path, out, depth + 1);
                path.pop();
            }
        }
        Value::Scalar(_) => {
            for u in n.vars() {
                out.push(PlacedUse {
                    use_: u,
                    path: path.clone(),
                });
            }
        }
        Value::Null => {}
    }
}

/// Whether walking `n` can find a use: a collection, or a scalar with one.
fn may_hold_uses(n: &Node) -> bool {
    match &n.value {
        Value::Map(_) | Value::Seq(_) => true,
        Value::Scalar(_) => !n.vars().is_empty(),
        Value::Null => false,
    }
}
