//! The command line: arguments, the run over every project, exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use rayon::prelude::*;

use crate::discover::{discover, Target};
use crate::output::{self, ProjectReport, Summary};
use crate::rules;
use crate::severity::Severity;
use crate::stack::{load_project, load_single, LoadOptions, Project};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings with source snippets, for people.
    Text,
    /// One JSON object (schemas/stacklint-output.schema.json).
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// Lints container stacks: compose files, the .env files they read and the NGINX
/// configs mounted into their proxies, together.
#[derive(Debug, Parser)]
#[command(name = "stacklint", version, about, long_about = None)]
pub struct Args {
    /// Directories or files to lint (a directory is searched for compose projects).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// A compose file of one project, like `docker compose -f` (repeatable; later files override).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read variables from this file instead of the project's .env (repeatable).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,

    /// Also read variables from the process environment (off, so runs are reproducible).
    #[arg(long)]
    pub use_env: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warning, value_name = "SEVERITY")]
    pub fail_on: FailOn,
}

/// What a run produced: the report text and the exit code.
pub struct Outcome {
    pub stdout: String,
    pub exit_code: i32,
}

/// Loads every target (projects in parallel) and lints it.
pub fn load_all(args: &Args) -> Result<Vec<Project>, String> {
    let targets = discover(&args.paths, &args.files)?;
    for f in &args.env_files {
        if !f.is_file() {
            return Err(format!("{}: env file not found", f.display()));
        }
    }
    let opts = LoadOptions {
        env_files: args.env_files.clone(),
        use_env: args.use_env,
    };
    Ok(targets
        .par_iter()
        .map(|t| match t {
            Target::Project(spec) => load_project(spec, &opts),
            Target::File(path, kind) => load_single(path, *kind),
        })
        .collect())
}

pub fn run(args: &Args) -> Result<Outcome, String> {
    let projects = load_all(args)?;
    let findings: Vec<Vec<crate::finding::Finding>> = projects
        .par_iter()
        .map(|p| rules::run(p, &|_| true))
        .collect();
    let reports: Vec<ProjectReport<'_>> = projects
        .iter()
        .zip(findings)
        .map(|(p, findings)| ProjectReport {
            sources: &p.sources,
            secrets: crate::secrets::secret_spans(p),
            findings,
        })
        .collect();
    let resolved = output::resolve(&reports);
    let mut files: Vec<&std::path::Path> = projects
        .iter()
        .flat_map(|p| p.sources.iter().map(|(_, f)| f.path.as_path()))
        .collect();
    files.sort();
    files.dedup();
    let project_count = projects
        .iter()
        .filter(|p| !p.compose_files.is_empty())
        .count();
    let summary = Summary::of(&resolved, project_count, files.len());
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let stdout = match args.format {
        Format::Text => output::text::render(&resolved, &summary, color),
        Format::Json => output::json::render(&resolved, &summary),
    };
    let failed = args
        .fail_on
        .threshold()
        .is_some_and(|t| resolved.iter().any(|r| r.finding.severity >= t));
    Ok(Outcome {
        stdout,
        exit_code: i32::from(failed),
    })
}
