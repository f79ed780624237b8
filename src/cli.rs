//! The command line: arguments, subcommands, the run over every project, exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::config::Config;
use crate::discover::{discover, Target};
use crate::output::{self, ProjectReport, Report, Summary};
use crate::rules;
use crate::severity::Severity;
use crate::stack::{load_project, load_single, LoadOptions, Project};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings with source snippets, for people.
    Text,
    /// One JSON object (schemas/stacklint-output.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the diff.
    Github,
    /// A GitLab Code Quality report.
    Gitlab,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    pub fn parse(s: &str) -> Option<FailOn> {
        <FailOn as ValueEnum>::from_str(s, true).ok()
    }
}

/// Lints container stacks: compose files, the .env files they read and the NGINX
/// configs mounted into their proxies, together.
#[derive(Debug, Parser)]
#[command(name = "stacklint", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub lint: Args,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule: code, name, default severity, category, summary.
    Rules,
    /// Print the documentation of a rule (by name or code).
    Explain {
        /// A rule name (`healthcheck-port-mismatch`) or code (`SL101`).
        rule: String,
    },
}

/// The options of a lint run.
#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Directories or files to lint (a directory is searched for compose projects).
    #[arg(value_name = "PATH")]
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
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Write the --format report to FILE; the terminal still gets the text report.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// With --output: the format printed on stdout instead of text (e.g. `github`
    /// annotations while SARIF goes to the file).
    #[arg(long, value_enum, value_name = "FORMAT", requires = "output")]
    pub stdout_format: Option<Format>,

    /// Exit 1 when a finding is at or above this severity [default: warning].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Rules to run: names, codes or categories, comma-separated (replaces the default set).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Rules not to run: names, codes or categories, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// The configuration file (default: stacklint.toml or .stacklint.toml, searched upwards).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print findings only: no summary line, nothing when there are none.
    #[arg(short, long)]
    pub quiet: bool,
}

/// What a run produced: what goes to stdout, what goes to `--output`, the exit code.
pub struct Outcome {
    pub stdout: String,
    pub file: Option<(PathBuf, String)>,
    pub exit_code: i32,
}

/// Loads every target (projects in parallel).
pub fn load_all(args: &Args) -> Result<Vec<Project>, String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let targets = discover(&paths, &args.files)?;
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

/// The configuration of this run: the file, then the command line on top.
pub fn config_for(args: &Args) -> Result<Config, String> {
    let mut cfg = Config::default();
    cfg.select.extend(args.select.iter().cloned());
    cfg.ignore.extend(args.ignore.iter().cloned());
    Ok(cfg)
}

pub fn run(args: &Args) -> Result<Outcome, String> {
    let cfg = config_for(args)?;
    let projects = load_all(args)?;
    let findings: Vec<Vec<crate::finding::Finding>> = projects
        .par_iter()
        .map(|p| {
            let mut found = rules::run_with(p, &cfg.options, &|m| cfg.enabled(m));
            found.retain_mut(|f| match cfg.severity_of(f.rule, f.severity) {
                Some(s) => {
                    f.severity = s;
                    true
                }
                None => false,
            });
            found
        })
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
    let report = Report {
        resolved,
        summary,
        rules: rules::all().filter(|m| cfg.enabled(m)).collect(),
        root: std::env::current_dir().unwrap_or_default(),
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let format = args.format.unwrap_or(Format::Text);
    let text = || output::text::render(&report.resolved, &report.summary, color, args.quiet);
    let render = |f: Format| match f {
        Format::Text => output::text::render(&report.resolved, &report.summary, false, args.quiet),
        Format::Json => output::json::render(&report.resolved, &report.summary),
        Format::Sarif => output::sarif::render(&report),
        Format::Github => output::github::render(&report),
        Format::Gitlab => output::gitlab::render(&report),
    };
    let (stdout, file) = match &args.output {
        Some(path) => {
            let stdout = match args.stdout_format {
                None | Some(Format::Text) => text(),
                Some(f) => render(f),
            };
            (stdout, Some((path.clone(), render(format))))
        }
        None if format == Format::Text => (text(), None),
        None => (render(format), None),
    };
    let fail_on = args.fail_on.unwrap_or(FailOn::Warning);
    let failed = fail_on.threshold().is_some_and(|t| {
        report
            .resolved
            .iter()
            .any(|r| r.finding.suppressed.is_none() && r.finding.severity >= t)
    });
    Ok(Outcome {
        stdout,
        file,
        exit_code: i32::from(failed),
    })
}

/// `stacklint rules`: one line per rule.
pub fn rules_table() -> String {
    let mut out = String::new();
    for m in rules::all() {
        out.push_str(&format!(
            "{:<6} {:<34} {:<8} {:<12} {}\n",
            m.code,
            m.name,
            m.severity.as_str(),
            format!("{:?}", m.category).to_ascii_lowercase(),
            m.summary
        ));
    }
    out
}
