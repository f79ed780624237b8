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
use crate::source::{FileId, Span};

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
