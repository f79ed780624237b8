//! The command line: arguments, subcommands, the run over every project, exit codes.

pub use crate::report::config::FailOn;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::compose::discover::{discover_each, Exclude, Place, Target};
use crate::compose::stack::{load_project, load_single_with, LoadOptions, Project};
use crate::finding::Finding;
use crate::output::{self, ProjectReport, Report};
use crate::report::config::{self, Config, Overrides};
use crate::report::suppress;
use crate::rules;
use crate::source::{FileKind, Overlay};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings with source snippets, for people.
    Text,
    /// One line a finding: `path:line:col: CODE [severity] message`.
    Concise,
    /// One JSON object (schemas/stacklint-output.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the diff.
    Github,
    /// A GitLab Code Quality report.
    Gitlab,
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
    /// List every rule: code, name, default severity, category, whether it runs by default, summary.
    Rules,
    /// Print the documentation of a rule (by name or code).
    Explain {
        /// A rule name (`healthcheck-port-mismatch`) or code (`SL101`).
        rule: String,
    },
    /// Draw the dependency graph of each project: services grouped by network,
    /// dependencies, volumes and proxy targets, with findings marked.
    Graph(GraphArgs),
    /// Run the language server (LSP over stdin/stdout): diagnostics for compose, .env and
    /// NGINX files as they are edited, the whole stack linted, fixes as code actions.
    Server,
    /// Print a completion script for a shell
    /// (`stacklint completions bash > ~/.local/share/bash-completion/completions/stacklint`).
    Completions {
        /// The shell the script is for.
        shell: clap_complete::Shell,
    },
}

/// The completion script of `shell` for the whole command line, subcommands included.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "stacklint", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT (`stacklint graph --format dot | dot -Tsvg > stack.svg`).
    Dot,
    /// Nodes and edges as JSON.
    Json,
}

/// The options of `stacklint graph`.
#[derive(Debug, ClapArgs)]
pub struct GraphArgs {
    #[command(flatten)]
    pub input: Input,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

/// `stacklint graph`: each project's graph in the chosen format.
pub fn graph(g: &GraphArgs) -> Result<Outcome, String> {
    let cfg = config_for(&g.input, &Overrides::default())?;
    let projects = load_all_with(&g.input, &cfg)?;
    let drawable: Vec<&Project> = projects
        .iter()
        .filter(|p| !p.compose_files.is_empty())
        .collect();
    let analysed: Vec<(String, crate::analysis::Analysis<'_>, Vec<Finding>)> = drawable
        .par_iter()
        .map(|&p| {
            let analysis = crate::analysis::Analysis::of(p);
            let mut findings =
                crate::report::check::run_on_analysis(p, &analysis, &cfg.options, &|m| {
                    cfg.enabled(m)
                });
            // Marked as the lint run reports them: re-graded and per-file ignores applied.
            apply_config(p, &cfg, &mut findings);
            let name = p
                .compose_files
                .first()
                .map(|&f| crate::paths::slash(&p.sources.get(f).path))
                .unwrap_or_default();
            (name, analysis, findings)
        })
        .collect();
    let parts: Vec<crate::output::graph::Part<'_>> = drawable
        .iter()
        .zip(&analysed)
        .map(|(&p, (name, analysis, findings))| {
            (name.as_str(), p, &analysis.graph, findings.as_slice())
        })
        .collect();
    // Several projects are one document: one digraph (a cluster each), one flowchart.
    let stdout = match g.format {
        GraphFormat::Json => {
            let all: Vec<serde_json::Value> = parts
                .iter()
                .map(|&(name, p, graph, findings)| {
                    serde_json::json!({
                        "project": name,
                        "graph": crate::output::graph::json(p, graph, findings),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"
        }
        _ if parts.is_empty() => String::new(),
        // One project: its name in a comment; several: in each cluster's label.
        GraphFormat::Mermaid => match parts.as_slice() {
            [(name, ..)] => format!("%% {name}\n{}", crate::output::graph::mermaid_all(&parts)),
            _ => crate::output::graph::mermaid_all(&parts),
        },
        GraphFormat::Dot => match parts.as_slice() {
            [(name, ..)] => format!("// {name}\n{}", crate::output::graph::dot_all(&parts)),
            _ => crate::output::graph::dot_all(&parts),
        },
    };
    let warnings = if projects.is_empty() {
        vec![nothing_found(&g.input)]
    } else {
        Vec::new()
    };
    Ok(Outcome {
        stdout,
        file: None,
        exit_code: 0,
        warnings,
    })
}

/// What to read: the paths, compose files, variables and configuration of a run,
/// shared by linting and `stacklint graph`.
#[derive(Debug, Default, ClapArgs)]
pub struct Input {
    /// Directories or files to read (a directory is searched for compose projects) [default: .].
    /// `-` reads one file from standard input (see --stdin-filename).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// With `-`: the path the text on standard input has, which decides what it is (compose,
    /// NGINX, .env) and where its stack is. The other files of the stack are read from disk;
    /// this one need not exist there (an editor's unsaved buffer) [default: compose.yaml].
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// A compose file of one project, like `docker compose -f` (repeatable; later files override).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read variables from this file instead of the project's .env (repeatable).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,

    /// Also read variables from the process environment (off, so runs are reproducible).
    #[arg(long)]
    pub use_env: bool,

    /// The configuration file [default: stacklint.toml, .stacklint.toml or a pyproject.toml with
    /// [tool.stacklint], searched from the first PATH upwards].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Skip these files and directories in the directory walk, on top of .gitignore, .ignore,
    /// hidden directories and the config's `exclude` (repeatable; a glob: without `/` it matches
    /// a name anywhere, with `/` a path relative to the working directory).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Also read files in this directory when a stack refers to them (repeatable). Otherwise
    /// a project reads only below the directory named on the command line (a compose file's
    /// own directory, the common directory of the -f files): an `include`, `env_file` or
    /// mount that leads elsewhere is reported as not read.
    #[arg(long, value_name = "DIR")]
    pub allow_outside: Vec<PathBuf>,
}

/// The options of a lint run.
#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub input: Input,

    /// Output format.
    #[arg(
        long,
        visible_alias = "output-format",
        value_enum,
        value_name = "FORMAT"
    )]
    pub format: Option<Format>,

    /// Write the --format report to FILE; the terminal still gets the text report.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// With --output: the format printed on stdout instead of text (e.g. `github`
    /// annotations while SARIF goes to the file).
    #[arg(long, value_enum, value_name = "FORMAT", requires = "output")]
    pub stdout_format: Option<Format>,

    /// Exit 1 when an unsuppressed finding is at or above this severity [default: `fail-on` of
    /// stacklint.toml, else warning].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Rules to run: names, codes, categories (syntax, correctness, security, hardening) or
    /// `all`, comma-separated. Replaces the default set and the config file's select/ignore.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Rules not to run: names, codes or categories, comma-separated (on top of --select or
    /// the config file).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Print findings only: no summary line, nothing when there are none (text report).
    #[arg(short, long)]
    pub quiet: bool,

    /// Print the number of findings of each rule (most first) instead of the findings.
    #[arg(long)]
    pub statistics: bool,

    /// Disregard every `# stacklint: ignore[...]` comment and file-ignore: what they
    /// suppress is reported and counts for the exit code (for a CI that forbids them).
    #[arg(long)]
    pub no_inline_ignores: bool,

    /// The code scanning category of the SARIF report (its `automationDetails.id`): give
    /// each stacklint run of one workflow its own, so that one run's upload does not close
    /// another's alerts.
    #[arg(long, value_name = "NAME", default_value = crate::output::DEFAULT_SARIF_CATEGORY, value_parser = sarif_category)]
    pub sarif_category: String,

    /// Report only the findings that FILE (written by --write-baseline) does not record:
    /// adopt stacklint in a repository with many findings, and hold new code to it.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the findings of this run in FILE (by fingerprint, JSON) and exit 0; a later
    /// run with --baseline FILE from the same directory reports only new findings.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["baseline", "fix", "diff"])]
    pub write_baseline: Option<PathBuf>,

    /// Apply the safe fixes, lint again, and report what remains.
    #[arg(long)]
    pub fix: bool,

    /// With --fix or --diff: also the fixes that change what the stack does (each rule's
    /// page says which of its fixes are unsafe, and why).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print what --fix would change as a unified diff, and write nothing (exit 1 when
    /// there is something to fix).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,

    /// Colour in the text report: `auto` (a terminal, unless NO_COLOR is set or
    /// FORCE_COLOR / CLICOLOR_FORCE is), `always` or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// A category as code scanning takes it: not empty, one line; a trailing `/` is ours to add.
fn sarif_category(s: &str) -> Result<String, String> {
    let name = s.trim().trim_end_matches('/');
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(
            "a category is a non-empty name on one line, such as `stacklint` or `stacklint/deploy`"
                .into(),
        );
    }
    Ok(name.to_string())
}

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether the text report on stdout gets colour. `auto` follows the
    /// conventions anstream reads (NO_COLOR, CLICOLOR, CLICOLOR_FORCE, a
    /// terminal that supports colour), plus FORCE_COLOR (any value but empty or `0`).
    pub fn enabled(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                let forced = std::env::var_os("FORCE_COLOR")
                    .is_some_and(|v| !v.is_empty() && v != "0")
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                forced
                    || matches!(
                        anstream::AutoStream::choice(&std::io::stdout()),
                        anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi
                    )
            }
        }
    }
}

/// What a run produced: what goes to stdout, what goes to `--output`, the exit code,
/// and warnings for stderr (one line each).
pub struct Outcome {
    pub stdout: String,
    pub file: Option<(PathBuf, String)>,
    pub exit_code: i32,
    pub warnings: Vec<String>,
}

impl Outcome {
    /// Text for stdout and exit 0 (`rules`, `explain`, `completions`).
    pub fn text(stdout: String) -> Self {
        Outcome {
            stdout,
            file: None,
            exit_code: 0,
            warnings: Vec::new(),
        }
    }
}

/// The paths of a run: the command line's, else `.`.
fn paths_of(args: &Input) -> Vec<PathBuf> {
    if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    }
}

/// The warning of a run that found nothing to read: never a silent "No findings".
fn nothing_found(args: &Input) -> String {
    let shown: Vec<String> = paths_of(args)
        .iter()
        .map(|p| crate::paths::slash(p))
        .collect();
    format!(
        "nothing linted: no compose project under {}; hidden directories and paths ignored by \
         .gitignore, .ignore or --exclude are skipped (name a file or directory to lint it anyway)",
        shown.join(", ")
    )
}

/// What the directory walk skips besides ignore files and hidden directories: the
/// config's `exclude` (relative to its file) and `--exclude` (relative to the working
/// directory).
fn exclude_of(args: &Input, cfg: &Config) -> Result<Exclude, String> {
    let mut ex = Exclude::default();
    // The config's patterns were checked when it was read.
    ex.add(&cfg.dir, &cfg.exclude)
        .map_err(|(i, e)| format!("bad glob `{}` in `exclude`: {e}", cfg.exclude[i]))?;
    ex.add(&std::env::current_dir().unwrap_or_default(), &args.exclude)
        .map_err(|(i, e)| format!("bad glob `{}` in --exclude: {e}", args.exclude[i]))?;
    Ok(ex)
}

/// Loads every target (projects in parallel), without a config's `exclude`.
pub fn load_all(args: &Input) -> Result<Vec<Project>, String> {
    load_all_with(args, &Config::default())
}

/// Loads every target (projects in parallel); the walk skips `cfg`'s `exclude`.
pub fn load_all_with(args: &Input, cfg: &Config) -> Result<Vec<Project>, String> {
    let paths = paths_of(args);
    let stdin = stdin_file(args)?;
    // The walk's directory listings serve the loading's probes too.
    let dirs = crate::source::RealDirs::default();
    if let Some((path, text)) = stdin {
        let overlay = Overlay::new([(path.clone(), text.to_string())]);
        return load_targets(args, &[stdin_target(&path)], overlay, dirs);
    }
    let exclude = exclude_of(args, cfg)?;
    // Said before an env file is missing, as when the walk came first.
    crate::compose::discover::all_exist(&paths, &args.files)?;
    let opts = load_options(args, Overlay::default(), dirs.clone())?;
    // Each project is loaded on rayon's threads as soon as the walk has found it:
    // the walk, mostly system calls on one thread, would leave a core idle. Then
    // they are sorted into the order `discover_with` gives.
    let loaded: std::sync::Mutex<Vec<(Place, Project)>> = Default::default();
    let facts_queued = std::sync::atomic::AtomicBool::new(false);
    let mut found = 0usize;
    rayon::in_place_scope(|s| {
        let (opts, loaded, facts_queued) = (&opts, &loaded, &facts_queued);
        discover_each(
            &paths,
            &args.files,
            &exclude,
            &dirs,
            &mut |place, target| {
                found += 1;
                if found == 2 {
                    crate::memory::many_projects();
                }
                s.spawn(move |_| {
                    // The image facts (half a millisecond to read) are needed once
                    // a project is parsed: queued by the first load, they are read
                    // on a core its parse leaves idle. Queued before the walk, they
                    // held up that load while the other core compiled the schema.
                    // (They are bundled: a panic there, which would abort a
                    // spawned job, is a bug of ours that the tests meet first.)
                    if !facts_queued.swap(true, std::sync::atomic::Ordering::Relaxed) {
                        rayon::spawn(|| {
                            let _ = crate::knowledge::all();
                        });
                    }
                    let project = load_target(&target, opts);
                    // (Held only to push: nothing can poison it.)
                    let mut loaded = loaded.lock().unwrap_or_else(PoisonError::into_inner);
                    loaded.push((place, project));
                });
            },
        );
    });
    let mut loaded = loaded.into_inner().unwrap_or_else(PoisonError::into_inner);
    loaded.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(loaded.into_iter().map(|(_, p)| p).collect())
}

/// What every project of a run loads with: `overlay`'s texts standing in for files,
/// `dirs` holding what the run already knows of its directories.
fn load_options(
    args: &Input,
    overlay: Overlay,
    dirs: crate::source::RealDirs,
) -> Result<LoadOptions, String> {
    for f in &args.env_files {
        // A FIFO or device passes here and is reported by the loader.
        if !f.exists() {
            return Err(format!("{}: env file not found", f.display()));
        }
    }
    Ok(LoadOptions {
        include_cache: Default::default(),
        dir_cache: Default::default(),
        real_dirs: dirs,
        env_files: args.env_files.clone(),
        use_env: args.use_env,
        allow_outside: args.allow_outside.clone(),
        git: Default::default(),
        overlay,
        text_pass: Some(crate::compose::stack::TextPass::new(
            crate::analysis::secrets::scan_text,
        )),
    })
}

/// One project (or a file of its own), loaded.
fn load_target(target: &Target, opts: &LoadOptions) -> Project {
    match target {
        Target::Project(spec) => load_project(spec, opts),
        Target::File(path, kind) => load_single_with(path, *kind, opts),
    }
}

/// Loads `targets` (projects in parallel), `overlay`'s texts standing in for files,
/// `dirs` holding what the run already knows of its directories.
pub fn load_targets(
    args: &Input,
    targets: &[Target],
    overlay: Overlay,
    dirs: crate::source::RealDirs,
) -> Result<Vec<Project>, String> {
    let opts = load_options(args, overlay, dirs)?;
    Ok(targets.par_iter().map(|t| load_target(t, &opts)).collect())
}

/// The name `-` on the command line: the file on standard input, with the path it has
/// (`--stdin-filename`, else `compose.yaml`).
fn stdin_file(args: &Input) -> Result<Option<(PathBuf, &'static str)>, String> {
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    if !dash {
        if args.stdin_filename.is_some() {
            return Err(
                "--stdin-filename names the file read from standard input: give `-` as the path"
                    .into(),
            );
        }
        return Ok(None);
    }
    if args.paths.len() > 1 || !args.files.is_empty() {
        return Err("`-` (standard input) is linted alone: give no other path or -f file".into());
    }
    let path = args
        .stdin_filename
        .clone()
        .unwrap_or_else(|| PathBuf::from("compose.yaml"));
    if path.is_dir() {
        return Err(format!(
            "--stdin-filename {}: is a directory; name the file the text is",
            path.display()
        ));
    }
    Ok(Some((path, stdin_text()?)))
}

/// Standard input, read once for the run (`--fix` passes would lint it again).
fn stdin_text() -> Result<&'static str, String> {
    static TEXT: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(crate::source::MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("standard input: {e}"))?;
        if bytes.len() as u64 > crate::source::MAX_FILE_BYTES {
            return Err(format!(
                "standard input: larger than {} MiB, which stacklint does not read",
                crate::source::MAX_FILE_BYTES >> 20
            ));
        }
        Ok(crate::source::decode_text(bytes))
    })
    .as_deref()
    .map_err(Clone::clone)
}

/// What the file on standard input is linted as: a compose file is its directory's
/// project (its `.env`, its mounts); anything else, a file of its own.
fn stdin_target(path: &Path) -> Target {
    match crate::compose::discover::kind_of(path) {
        FileKind::Compose => crate::compose::discover::compose_file_target(path),
        kind => Target::File(path.to_path_buf(), kind),
    }
}

/// The configuration of this run: the file (`--config`, or found by walking up
/// from the first path), then the command line on top.
pub fn config_for(input: &Input, overrides: &Overrides) -> Result<Config, String> {
    let start = input
        .paths
        .first()
        .or(input.files.first())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    // Standard input is searched from where its file would be.
    let start = if start.as_os_str() == "-" {
        input
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("compose.yaml"))
    } else {
        start
    };
    config::load(input.config.as_deref(), &start, overrides).map_err(|e| e.to_string())
}

/// The command line's `--select` / `--ignore` / `--fail-on`.
pub fn overrides_of(args: &Args) -> Overrides {
    Overrides {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        fail_on: args.fail_on,
    }
}

/// Runs the enabled rules on one project, then applies the configuration:
/// `[severity]` (re-grades or drops) and `[per-file-ignores]`.
pub fn check_project(p: &Project, cfg: &Config) -> Vec<Finding> {
    check_project_with(p, cfg, false)
}

/// [`check_project`]; `leak`: the project's analysis is left to the operating
/// system, as in [`run_then_exit`] (freeing each service's facts one at a time
/// took about a millisecond of a 2,000-service run, just before the process exits).
fn check_project_with(p: &Project, cfg: &Config, leak: bool) -> Vec<Finding> {
    let analysis = crate::analysis::Analysis::of(p);
    let found = crate::report::check::run_analysed_then(
        p,
        &analysis,
        &cfg.options,
        &|m| cfg.enabled(m),
        &mut |f| config_keeps(p, cfg, f),
    );
    if leak {
        std::mem::forget(analysis);
    }
    found
}

/// `[severity]` (re-grades or drops) and `[per-file-ignores]` on a project's findings.
fn apply_config(p: &Project, cfg: &Config, found: &mut Vec<Finding>) {
    found.retain_mut(|f| config_keeps(p, cfg, f));
}

/// Whether the configuration keeps `f` (re-graded in place by `[severity]`).
fn config_keeps(p: &Project, cfg: &Config, f: &mut Finding) -> bool {
    if cfg.has_per_file_ignores() && cfg.ignored_for(f.rule, &p.sources.get(f.primary.file).path) {
        return false;
    }
    match cfg.severity_of(f.rule, f.severity) {
        Some(s) => {
            f.severity = s;
            true
        }
        None => false,
    }
}

pub fn run(args: &Args) -> Result<Outcome, String> {
    run_with(args, false)
}

/// [`run`] for a process that exits as soon as the outcome is printed: the
/// projects, findings and report are left to the operating system instead of
/// being freed one allocation at a time (12% of a 16,000-service run). Not for
/// a caller that lints again afterwards, such as tests or a fuzzer: it leaks.
pub fn run_then_exit(args: &Args) -> Result<Outcome, String> {
    run_with(args, true)
}

/// Loads every project and checks it, suppressions judged over all of them.
fn lint(args: &Args, cfg: &Config) -> Result<(Vec<Project>, Vec<Vec<Finding>>), String> {
    let projects = load_all_with(&args.input, cfg)?;
    let findings = check_all(&projects, cfg, args.no_inline_ignores);
    Ok((projects, findings))
}

/// Checks every project (in parallel), suppressions judged over all of them;
/// `no_inline_ignores`: `# stacklint: ignore` comments count for nothing.
pub fn check_all(projects: &[Project], cfg: &Config, no_inline_ignores: bool) -> Vec<Vec<Finding>> {
    check_all_with(projects, cfg, no_inline_ignores, false)
}

/// [`check_all`]; `leak`: as in [`check_project_with`].
fn check_all_with(
    projects: &[Project],
    cfg: &Config,
    no_inline_ignores: bool,
    leak: bool,
) -> Vec<Vec<Finding>> {
    let findings: Vec<Vec<Finding>> = projects
        .par_iter()
        .map(|p| check_project_with(p, cfg, leak))
        .collect();
    // A file read by several projects: its suppressions are judged over all of them.
    let mut per_project: Vec<(&crate::source::Sources, Vec<Finding>)> =
        projects.iter().map(|p| &p.sources).zip(findings).collect();
    suppress::reconcile(&mut per_project);
    let mut findings: Vec<Vec<Finding>> = per_project.into_iter().map(|(_, f)| f).collect();
    if no_inline_ignores {
        for fs in &mut findings {
            // No comment suppresses anything, so none is unused either.
            fs.retain(|f| f.rule.code != suppress::UNUSED.code);
            for f in fs.iter_mut() {
                f.suppressed = None;
            }
        }
    }
    findings
}

/// Passes of `--fix`: each applies the fixes that do not overlap, then lints again.
const MAX_FIX_PASSES: usize = 8;

/// `--fix` (writes, returns the note for the report) and `--diff` (returns the
/// outcome to print instead of a report).
fn fix_or_diff(args: &Args, cfg: &Config) -> Result<(Option<Outcome>, Option<String>), String> {
    let mut fixed = 0;
    let mut files: std::collections::BTreeSet<PathBuf> = Default::default();
    // Files that could not be written: not tried again in a later pass.
    let mut refused: std::collections::BTreeSet<PathBuf> = Default::default();
    let mut warnings = Vec::new();
    for _ in 0..MAX_FIX_PASSES {
        let (projects, findings) = lint(args, cfg)?;
        let pairs: Vec<(&crate::source::Sources, &Finding)> = projects
            .iter()
            .zip(&findings)
            .flat_map(|(p, fs)| fs.iter().map(move |f| (&p.sources, f)))
            .collect();
        let plan = crate::report::fix::plan(&pairs, args.unsafe_fixes);
        for path in &plan.unparsable {
            let w = format!(
                "{}: not fixed, the result would not parse (please report this)",
                crate::paths::slash(path)
            );
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        if args.diff {
            // Secret values of every file stay out of the diff, as out of reports.
            let mut secrets: std::collections::HashMap<PathBuf, Vec<(usize, usize)>> =
                Default::default();
            for p in &projects {
                for span in crate::analysis::secrets::secret_spans(p) {
                    secrets
                        .entry(p.sources.get(span.file).path.clone())
                        .or_default()
                        .push((span.start(), span.end()));
                }
            }
            let mask = |path: &std::path::Path| secrets.get(path).cloned().unwrap_or_default();
            let stdout = crate::report::fix::diff(&plan.changes, &mask);
            return Ok((
                Some(Outcome {
                    exit_code: i32::from(!plan.changes.is_empty()),
                    stdout,
                    file: None,
                    warnings,
                }),
                None,
            ));
        }
        let mut wrote = false;
        for c in &plan.changes {
            if refused.contains(&c.path) {
                continue;
            }
            match crate::report::fix::write_atomically(&c.path, &c.old, &c.new) {
                Ok(()) => {
                    wrote = true;
                    fixed += c.fixed;
                    files.insert(c.path.clone());
                }
                Err(e) => {
                    warnings.push(format!("{}: not fixed: {e}", crate::paths::slash(&c.path)));
                    refused.insert(c.path.clone());
                }
            }
        }
        if !wrote {
            break;
        }
    }
    for w in warnings {
        eprintln!("stacklint: warning: {w}");
    }
    let note = match fixed {
        0 => "Nothing to fix.".to_string(),
        1 => format!("Fixed 1 finding in {} file.", files.len()),
        n => format!(
            "Fixed {n} findings in {} file{}.",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        ),
    };
    Ok((None, Some(note)))
}

fn run_with(args: &Args, leak: bool) -> Result<Outcome, String> {
    if (args.fix || args.diff) && args.input.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(
            "--fix and --diff change files on disk: they do not take `-` (standard input)".into(),
        );
    }
    let cfg = config_for(&args.input, &overrides_of(args))?;
    let mut note = None;
    if args.fix || args.diff {
        let (outcome, n) = fix_or_diff(args, &cfg)?;
        if let Some(o) = outcome {
            return Ok(o);
        }
        note = n;
    }
    let projects = load_all_with(&args.input, &cfg)?;
    // One project's analysis only is left behind (kept through the report, it
    // adds at most its own size to the peak); those of many projects would add up.
    let leak_analysis = leak && projects.len() == 1;
    // Finding secret values reads every file again: per project, in parallel.
    // A large project's are found while the rules run (they leave a core idle
    // at times); a small one's only if it has findings.
    let (findings, early) = rayon::join(
        || check_all_with(&projects, &cfg, args.no_inline_ignores, leak_analysis),
        || {
            projects
                .par_iter()
                .map(|p| {
                    (p.model.services.len() >= crate::PARALLEL_SERVICES)
                        .then(|| crate::analysis::secrets::secret_spans(p))
                })
                .collect::<Vec<_>>()
        },
    );
    let reports: Vec<ProjectReport<'_>> = projects
        .par_iter()
        .zip(findings)
        .zip(early)
        .map(|((p, mut findings), early)| {
            // Secrets matter only where a finding shows a snippet or a message.
            let secrets = match (findings.is_empty(), early) {
                (true, _) => Vec::new(),
                (false, Some(found)) => found,
                (false, None) => crate::analysis::secrets::secret_spans(p),
            };
            crate::analysis::secrets::redact(&mut findings, &p.sources, &secrets);
            ProjectReport {
                sources: &p.sources,
                secrets,
                findings,
            }
        })
        .collect();
    // Counted in a set: sorting the paths compared them component by component.
    // Sized first: grown as it was filled, it hashed every path again each time.
    let mut files: foldhash::HashSet<&std::path::Path> =
        foldhash::HashSet::with_capacity_and_hasher(
            projects.iter().map(|p| p.sources.len()).sum(),
            Default::default(),
        );
    files.extend(
        projects
            .iter()
            .flat_map(|p| p.sources.iter().map(|(_, f)| f.path.as_path())),
    );
    let project_count = projects
        .iter()
        .filter(|p| !p.compose_files.is_empty())
        .count();
    let mut report = Report::new(&reports, project_count, files.len(), cfg.enabled_rules());
    if !args.sarif_category.is_empty() {
        report.sarif_category = args.sarif_category.clone();
    }
    if let Some(path) = &args.baseline {
        report.leave_out(&output::baseline::read(path)?);
    }
    // A run that read nothing, or ran no rule, says so and prints no "No findings".
    let mut warnings = Vec::new();
    if report.rules.is_empty() {
        warnings.push(
            "nothing linted: the selection (--select, --ignore, or select, ignore and [severity] \
             in the config) leaves no rule to run; `stacklint rules` lists them"
                .to_string(),
        );
    }
    if projects.is_empty() {
        warnings.push(nothing_found(&args.input));
    }
    if let Some(path) = &args.write_baseline {
        let (text, n) = output::baseline::render(&report);
        std::fs::write(path, text)
            .map_err(|e| format!("{}: cannot write the baseline: {e}", path.display()))?;
        // A run that linted nothing says so here too: its baseline is empty.
        let mut outcome = Outcome::text(format!(
            "Recorded {n} finding{} in {}: runs with --baseline {} report only new ones.\n",
            if n == 1 { "" } else { "s" },
            crate::paths::slash(path),
            crate::paths::slash(path),
        ));
        outcome.warnings = warnings;
        return Ok(outcome);
    }
    let quiet = args.quiet || !warnings.is_empty();
    let color = args.color.enabled();
    let format = args.format.unwrap_or(Format::Text);
    // After --fix: what is left, and how much of it an unsafe fix would take.
    let note = note.map(|n| {
        let open: Vec<&Finding> = report
            .resolved
            .iter()
            .map(|r| r.finding)
            .filter(|f| f.suppressed.is_none())
            .collect();
        let unsafe_left = open
            .iter()
            .filter(|f| {
                f.fix
                    .as_ref()
                    .is_some_and(|x| x.applicability == crate::finding::Applicability::Unsafe)
            })
            .count();
        let left = match open.len() {
            1 => " 1 finding remains".to_string(),
            n => format!(" {n} findings remain"),
        };
        let more = match (unsafe_left, args.unsafe_fixes) {
            (0, _) | (_, true) => String::new(),
            (n, false) => format!(" ({n} with a fix that --unsafe-fixes applies)"),
        };
        format!("{}{left}{more}.", n.trim_end_matches('.').to_string() + ";")
    });
    let text = || {
        let report = output::text::render(&report.resolved, &report.summary, color, quiet);
        match &note {
            Some(n) => format!("{n}\n{report}"),
            None => report,
        }
    };
    let render = |f: Format| match f {
        Format::Text => output::text::render(&report.resolved, &report.summary, false, quiet),
        Format::Concise => output::concise::render(&report.resolved, &report.summary, quiet),
        Format::Json => output::json::render(&report),
        Format::Sarif => output::sarif::render(&report),
        // In a workflow, a run that linted nothing is an annotation too, not only a log line.
        Format::Github => warnings
            .iter()
            .map(|w| {
                format!(
                    "::warning title=stacklint::{}\n",
                    output::github::escape_data(w)
                )
            })
            .chain(std::iter::once(output::github::render(&report)))
            .collect(),
        Format::Gitlab => output::gitlab::render(&report),
    };
    if args.statistics {
        let mut counts: Vec<(usize, &'static crate::finding::RuleMeta, bool)> = Vec::new();
        for r in report
            .resolved
            .iter()
            .filter(|r| r.finding.suppressed.is_none())
        {
            let fixable = r.finding.fix.is_some();
            match counts
                .iter_mut()
                .find(|(_, m, _)| m.code == r.finding.rule.code)
            {
                Some(c) => {
                    c.0 += 1;
                    c.2 |= fixable;
                }
                None => counts.push((1, r.finding.rule, fixable)),
            }
        }
        counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.code.cmp(b.1.code)));
        let width = counts
            .iter()
            .map(|c| c.0.to_string().len())
            .max()
            .unwrap_or(1);
        let stdout: String = counts
            .iter()
            .map(|(n, m, fixable)| {
                format!(
                    "{n:>width$}  {}  [{}] {}\n",
                    m.code,
                    if *fixable { "*" } else { " " },
                    m.name
                )
            })
            .collect();
        return Ok(Outcome {
            stdout,
            file: None,
            exit_code: i32::from(failed_on(&cfg, &report)),
            warnings,
        });
    }
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
    let failed = failed_on(&cfg, &report);
    if leak {
        std::mem::forget(report);
        std::mem::forget(reports);
        std::mem::forget(projects);
    }
    Ok(Outcome {
        stdout,
        file,
        exit_code: i32::from(failed),
        warnings,
    })
}

/// Whether an unsuppressed finding is at or above the run's `fail-on`.
fn failed_on(cfg: &Config, report: &Report<'_>) -> bool {
    let fail_on = cfg.fail_on.unwrap_or(FailOn::Warning);
    fail_on.threshold().is_some_and(|t| {
        report
            .resolved
            .iter()
            .any(|r| r.finding.suppressed.is_none() && r.finding.severity >= t)
    })
}

/// `stacklint rules`: a header, one line per rule, and how to turn on the rest.
pub fn rules_table() -> String {
    let name_w = rules::all().map(|m| m.name.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:<6} {:<name_w$} {:<8} {:<12} {:<7} SUMMARY\n",
        "CODE", "NAME", "SEVERITY", "CATEGORY", "DEFAULT"
    );
    for m in rules::all() {
        out.push_str(&format!(
            "{:<6} {:<name_w$} {:<8} {:<12} {:<7} {}\n",
            m.code,
            m.name,
            m.severity.as_str(),
            config::category_name(m.category),
            if config::default_on(m) { "on" } else { "off" },
            m.summary
        ));
    }
    out.push_str(
        "\nRules of the syntax, correctness and security categories run by default (DEFAULT on);\n\
         the others run when selected: `--select hardening`, a rule's name or code, or\n\
         `select = [...]` in stacklint.toml. `stacklint explain <rule>` shows a rule's page.\n",
    );
    out
}
