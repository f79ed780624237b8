//! Finding what to lint: compose projects (a directory with a compose file, plus
//! its override), and single files named on the command line.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::source::FileKind;

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

const SKIP_DIRS: [&str; 4] = [".git", "node_modules", "target", "vendor"];

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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Project(ProjectSpec),
    /// A single NGINX config or `.env` file, linted on its own.
    File(PathBuf, FileKind),
}

/// Is this file name one of a compose file's (`docker-compose.prod.yml`, `compose.dev.yaml`)?
pub fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".yml") || lower.ends_with(".yaml"))
        && (lower.starts_with("docker-compose") || lower.starts_with("compose."))
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

/// The project of a directory, when it holds a default compose file: base plus
/// override, then base plus each other compose file of the directory.
fn projects_in(dir: &Path) -> Vec<ProjectSpec> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let base = COMPOSE_NAMES.iter().find(|n| names.iter().any(|m| m == *n));
    let mut out = Vec::new();
    let others: Vec<&String> = names
        .iter()
        .filter(|n| is_compose_name(n))
        .filter(|n| !COMPOSE_NAMES.contains(&n.as_str()) && !OVERRIDE_NAMES.contains(&n.as_str()))
        .collect();
    match base {
        Some(base) => {
            let mut files = vec![dir.join(base)];
            if let Some(ov) = OVERRIDE_NAMES
                .iter()
                .find(|n| names.iter().any(|m| m == *n))
            {
                files.push(dir.join(ov));
            }
            out.push(ProjectSpec {
                dir: dir.to_path_buf(),
                files,
                explicit: false,
            });
            for o in others {
                out.push(ProjectSpec {
                    dir: dir.to_path_buf(),
                    files: vec![dir.join(base), dir.join(o)],
                    explicit: true,
                });
            }
        }
        None if env_names_compose_file(dir) => {
            // `COMPOSE_FILE` in `.env` names the files; the loader reads it.
            out.push(ProjectSpec {
                dir: dir.to_path_buf(),
                files: Vec::new(),
                explicit: false,
            });
        }
        None => {
            // No default file: each compose-named file stands alone.
            for o in others {
                out.push(ProjectSpec {
                    dir: dir.to_path_buf(),
                    files: vec![dir.join(o)],
                    explicit: true,
                });
            }
        }
    }
    out
}

/// Does the directory's `.env` set `COMPOSE_FILE`? (A cheap look; the loader parses it.)
fn env_names_compose_file(dir: &Path) -> bool {
    crate::source::read_text(&dir.join(".env")).is_ok_and(|t| {
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
    for p in paths.iter().chain(compose_files) {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    if !compose_files.is_empty() {
        let dir = compose_files[0]
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        return Ok(vec![Target::Project(ProjectSpec {
            dir,
            files: compose_files.to_vec(),
            explicit: true,
        })]);
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let walker = WalkDir::new(p)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    !(e.file_type().is_dir()
                        && e.depth() > 0
                        && SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
                });
            for entry in walker.filter_map(Result::ok) {
                if entry.file_type().is_dir() {
                    out.extend(projects_in(entry.path()).into_iter().map(Target::Project));
                }
            }
        } else {
            match kind_of(p) {
                FileKind::Compose => {
                    let dir = p
                        .parent()
                        .filter(|d| !d.as_os_str().is_empty())
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| PathBuf::from("."));
                    out.push(Target::Project(ProjectSpec {
                        dir,
                        files: vec![p.clone()],
                        explicit: true,
                    }));
                }
                kind => out.push(Target::File(p.clone(), kind)),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_names() {
        assert!(is_compose_name("docker-compose.prod.yml"));
        assert!(is_compose_name("compose.dev.yaml"));
        assert!(!is_compose_name("config.yml"));
        assert!(is_env_name(".env.example"));
        assert!(is_env_name("app.env"));
    }
}
