//! Configuration: `stacklint.toml` (or `.stacklint.toml`, or a `[tool.stacklint]`
//! table in `pyproject.toml`), found by walking up from the linted path, or named
//! with `--config`; merged with the command line's `--select` / `--ignore` /
//! `--fail-on`. Decides which rules run, at what severity, on which files, with
//! which options.
//!
//! Every mistake in the file is an error with its line and column: a config
//! that is silently half-read would change what a CI run checks without anyone
//! noticing.

// foldhash, not SipHash: asked for every rule of every project (26,000 times on the corpus).
use foldhash::{HashMap, HashMapExt, HashSet};
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use clap::ValueEnum;

pub use crate::rules::options::RuleOptions;
use crate::rules::{self, Category, RuleMeta};
use crate::severity::Severity;

/// Which findings make the run fail (`--fail-on`, `fail-on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only errors fail the run.
    Error,
    /// Errors and warnings fail the run.
    Warning,
    /// Any finding fails the run.
    Info,
    /// Always exit 0 (2 still means stacklint could not run).
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

/// File names searched in each directory, in this order.
pub const FILE_NAMES: [&str; 2] = ["stacklint.toml", ".stacklint.toml"];

/// Categories by name, with whether their rules run by default.
pub const CATEGORIES: [(Category, &str, bool); 4] = [
    (Category::Syntax, "syntax", true),
    (Category::Correctness, "correctness", true),
    (Category::Security, "security", true),
    // Opinionated: off until selected by category or by name.
    (Category::Hardening, "hardening", false),
];

pub fn category_name(c: Category) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(k, _, _)| *k == c)
        .map(|(_, n, _)| *n)
        .unwrap_or("unknown")
}

/// Whether a rule runs when neither the file nor the command line selects rules.
pub fn default_on(rule: &RuleMeta) -> bool {
    CATEGORIES
        .iter()
        .any(|(k, _, on)| *k == rule.category && *on)
}

/// A `[per-file-ignores]` entry.
#[derive(Clone, Debug)]
struct PerFileIgnore {
    /// `*` stays in one path component; `**` and `{a,b}` work (globset).
    pattern: globset::GlobMatcher,
    /// A pattern without `/` matches a file name in any directory (as in .gitignore).
    name_only: bool,
    rules: HashSet<&'static str>,
}

/// The effective configuration of a run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    /// The directory `[per-file-ignores]` globs are relative to.
    pub dir: PathBuf,
    /// Codes of the rules that run.
    enabled: HashSet<&'static str>,
    /// `fail-on` from the file or the command line.
    pub fail_on: Option<FailOn>,
    /// `[severity]` by code; `None` is `"off"`.
    severity: HashMap<&'static str, Option<Severity>>,
    per_file_ignores: Vec<PerFileIgnore>,
    pub options: RuleOptions,
    /// `exclude`: globs the directory walk skips, relative to `dir` (checked when read).
    pub exclude: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            dir: std::env::current_dir().unwrap_or_default(),
            enabled: rules::all()
                .filter(|m| default_on(m))
                .map(|m| m.code)
                .collect(),
            fail_on: None,
            severity: HashMap::new(),
            per_file_ignores: Vec::new(),
            options: RuleOptions::default(),
            exclude: Vec::new(),
        }
    }
}

/// What the command line adds on top of the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--select`: replaces the file's `select` and `ignore`.
    pub select: Vec<String>,
    /// `--ignore`: removed from whatever is selected.
    pub ignore: Vec<String>,
    pub fail_on: Option<FailOn>,
}

impl Config {
    /// Whether `rule` runs at all (`--select`, `--ignore`, `select`, `ignore`,
    /// and `[severity] rule = "off"`).
    pub fn enabled(&self, rule: &RuleMeta) -> bool {
        self.enabled.contains(rule.code) && self.severity.get(rule.code) != Some(&None)
    }

    /// The severity of `rule`'s findings: `[severity]`, else what the rule gave
    /// (`default`); `None` when the rule is off.
    pub fn severity_of(&self, rule: &RuleMeta, default: Severity) -> Option<Severity> {
        match self.severity.get(rule.code) {
            Some(s) => *s,
            None => Some(default),
        }
    }

    /// Whether `[per-file-ignores]` switches `rule` off for `path` (a path as the
    /// findings show it: relative to the working directory, or absolute).
    pub fn ignored_for(&self, rule: &RuleMeta, path: &Path) -> bool {
        if self.per_file_ignores.is_empty() {
            return false;
        }
        let rel = self.relative(path);
        self.per_file_ignores
            .iter()
            .any(|p| p.rules.contains(rule.code) && p.matches(&rel))
    }

    /// Whether `[per-file-ignores]` has any entry (callers skip path work otherwise).
    pub fn has_per_file_ignores(&self) -> bool {
        !self.per_file_ignores.is_empty()
    }

    /// `path` relative to the config's directory, `/`-separated.
    fn relative(&self, path: &Path) -> String {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(path)
        };
        let abs = crate::paths::normalize_path(&abs);
        let dir = crate::paths::normalize_path(&self.dir);
        let rel = abs.strip_prefix(&dir).map(Path::to_path_buf).unwrap_or(abs);
        crate::paths::slash(&rel)
    }

    /// The rules that run, in code order.
    pub fn enabled_rules(&self) -> Vec<&'static RuleMeta> {
        rules::all().filter(|m| self.enabled(m)).collect()
    }
}

impl PerFileIgnore {
    fn matches(&self, rel: &str) -> bool {
        if self.name_only {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            return self.pattern.is_match(name);
        }
        self.pattern.is_match(rel)
    }
}

/// A mistake in a config file (or on the command line), with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as shown to the user; `None` for the command line.
    pub path: Option<PathBuf>,
    /// 1-based line and column.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.path {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                crate::paths::slash(p),
                self.line,
                self.column,
                self.message
            ),
            None => f.write_str(&self.message),
        }
    }
}

/// Finds the config file for a run: `explicit` (`--config`) if given, else the
/// first `stacklint.toml` / `.stacklint.toml` / `pyproject.toml` with a
/// `[tool.stacklint]` table in `start` or one of its ancestors.
pub fn find(start: &Path) -> Option<PathBuf> {
    let abs = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(start)
    };
    let abs = crate::paths::normalize_path(&abs);
    // A file's directory is where its search starts.
    let first = if abs.is_dir() {
        abs.as_path()
    } else {
        abs.parent()?
    };
    for dir in first.ancestors() {
        for name in FILE_NAMES {
            let p = dir.join(name);
            // Not only a regular file: a FIFO or device by that name is an
            // error when read, not a config silently passed over.
            if p.exists() && !p.is_dir() {
                return Some(p);
            }
        }
        let py = dir.join("pyproject.toml");
        if py.is_file() && pyproject_has_table(&py) {
            return Some(py);
        }
    }
    None
}

fn pyproject_has_table(path: &Path) -> bool {
    let Ok(text) = crate::source::read_text(path) else {
        return false;
    };
    if !text.contains("stacklint") {
        return false;
    }
    // A broken pyproject.toml that mentions stacklint is reported when loaded.
    match DeTable::parse(&text) {
        Ok(doc) => tool_table(doc.get_ref()).is_some(),
        Err(_) => true,
    }
}

fn tool_table<'a, 'i>(doc: &'a DeTable<'i>) -> Option<&'a Spanned<DeValue<'i>>> {
    let tool = doc.get("tool")?.get_ref().as_table()?;
    tool.get("stacklint")
}

/// Reads the configuration of a run: the file (found from `start`, or
/// `explicit`), then the command line's `overrides`.
pub fn load(
    explicit: Option<&Path>,
    start: &Path,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => {
            if !p.exists() {
                return Err(ConfigError {
                    path: None,
                    line: 0,
                    column: 0,
                    message: format!("{}: config file not found", crate::paths::slash(p)),
                });
            }
            Some(p.to_path_buf())
        }
        None => find(start),
    };
    let mut cfg = match &path {
        Some(p) => from_file(p)?,
        None => Config::default(),
    };
    cfg.apply(overrides)?;
    Ok(cfg)
}

/// Reads one config file.
pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
    let shown = crate::paths::display(path);
    let text = crate::source::read_text(path).map_err(|e| ConfigError {
        path: None,
        line: 0,
        column: 0,
        message: format!("{}: cannot read the config file: {e}", shown.display()),
    })?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let mut cfg = parse(&text, &shown, is_pyproject)?;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    cfg.dir = abs
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    cfg.path = Some(path.to_path_buf());
    Ok(cfg)
}

/// Parses the text of a config file; `shown` names it in errors.
pub fn parse(text: &str, shown: &Path, is_pyproject: bool) -> Result<Config, ConfigError> {
    // Positions in errors are counted like every other position of stacklint.
    let lines =
        crate::source::SourceFile::new(shown, crate::source::FileKind::Other, text.to_string());
    let at = |offset: usize, message: String| {
        let lc = lines.line_col(offset);
        ConfigError {
            path: Some(shown.to_path_buf()),
            line: lc.line,
            column: lc.column,
            message,
        }
    };
    let doc = DeTable::parse(text).map_err(|e| {
        let offset = e.span().map(|r| r.start).unwrap_or(0);
        at(
            offset,
            format!("invalid TOML: {}", e.message().trim_end_matches('\n')),
        )
    })?;
    let empty = DeTable::new();
    let root: &DeTable<'_> = if is_pyproject {
        match tool_table(doc.get_ref()) {
            Some(v) => v
                .get_ref()
                .as_table()
                .ok_or_else(|| at(v.span().start, "`tool.stacklint` must be a table".into()))?,
            None => &empty,
        }
    } else {
        doc.get_ref()
    };
    let mut reader = Reader { at: &at };
    reader.read(root)
}

/// The entries of a TOML table, in file order.
type Entries<'v, 'i> = Vec<(
    &'v Spanned<toml::de::DeString<'i>>,
    &'v Spanned<DeValue<'i>>,
)>;

struct Reader<'f> {
    at: &'f dyn Fn(usize, String) -> ConfigError,
}

const TOP_KEYS: [&str; 6] = [
    "select",
    "ignore",
    "fail-on",
    "severity",
    "per-file-ignores",
    "exclude",
];

impl Reader<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> ConfigError {
        (self.at)(offset, message.into())
    }

    fn read(&mut self, root: &DeTable<'_>) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let mut select: Option<Vec<&'static RuleMeta>> = None;
        let mut ignore: Vec<&'static RuleMeta> = Vec::new();
        // In file order, so that the first mistake is the one reported.
        let mut entries: Vec<_> = root.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (key, value) in entries {
            let k = key.get_ref().as_ref();
            match k {
                "select" => select = Some(self.rule_list(value, "select", true)?),
                "ignore" => ignore = self.rule_list(value, "ignore", true)?,
                "fail-on" => {
                    let s = self.string(value, "fail-on")?;
                    cfg.fail_on = Some(FailOn::parse(s).ok_or_else(|| {
                        self.err(
                            value.span().start,
                            format!(
                                "`fail-on` must be \"error\", \"warning\", \"info\" or \"never\", not {s:?}"
                            ),
                        )
                    })?);
                }
                "severity" => {
                    for (rk, rv) in self.table(value, "severity")? {
                        let Some(meta) = rules::lookup(rk.get_ref()) else {
                            return Err(self.err(
                                rk.span().start,
                                format!(
                                    "unknown rule `{}` in [severity]{}; `stacklint rules` lists them",
                                    rk.get_ref(),
                                    suggest(rk.get_ref(), rule_words())
                                ),
                            ));
                        };
                        let s = self.string(rv, "a severity")?;
                        let sev = if s.eq_ignore_ascii_case("off") {
                            None
                        } else {
                            Some(Severity::parse(s).ok_or_else(|| {
                                self.err(
                                    rv.span().start,
                                    format!(
                                        "bad severity {s:?} for `{}`: use \"error\", \"warning\", \"info\" or \"off\"",
                                        meta.name
                                    ),
                                )
                            })?)
                        };
                        if cfg.severity.insert(meta.code, sev).is_some() {
                            return Err(self.err(
                                rk.span().start,
                                format!("`{}` is set twice in [severity]", meta.name),
                            ));
                        }
                    }
                }
                "exclude" => {
                    let items = value.get_ref().as_array().ok_or_else(|| {
                        self.err(
                            value.span().start,
                            "`exclude` must be a list of glob patterns",
                        )
                    })?;
                    for item in items.iter() {
                        let s = self.string(item, "exclude")?;
                        let cleaned = s.trim().trim_start_matches("./").trim_end_matches('/');
                        if cleaned.is_empty() {
                            return Err(self.err(item.span().start, "empty pattern in `exclude`"));
                        }
                        crate::compose::discover::compile_glob(cleaned).map_err(|e| {
                            self.err(
                                item.span().start,
                                format!("bad glob {s:?} in `exclude`: {e}"),
                            )
                        })?;
                        cfg.exclude.push(s.to_string());
                    }
                }
                "per-file-ignores" => {
                    for (gk, gv) in self.table(value, "per-file-ignores")? {
                        let glob_text = gk.get_ref().as_ref();
                        let cleaned = glob_text.trim_start_matches("./");
                        let pattern = crate::compose::discover::compile_glob(cleaned)
                            .map_err(|e| {
                                self.err(
                                    gk.span().start,
                                    format!("bad glob `{glob_text}` in [per-file-ignores]: {e}"),
                                )
                            })?
                            .compile_matcher();
                        let rules = self
                            .rule_list(gv, "per-file-ignores", true)?
                            .into_iter()
                            .map(|m| m.code)
                            .collect();
                        cfg.per_file_ignores.push(PerFileIgnore {
                            pattern,
                            name_only: !cleaned.contains('/'),
                            rules,
                        });
                    }
                }
                _ => match rules::all().find(|m| m.name == k) {
                    Some(meta) => self.rule_table(meta, value, &mut cfg.options)?,
                    None => {
                        let hint = match rules::lookup(k) {
                            // `[SL102]`: options go under the rule's name.
                            Some(m) => {
                                format!("; options of {} go in a table named [{}]", m.code, m.name)
                            }
                            None => suggest(k, top_words()),
                        };
                        return Err(self.err(
                            key.span().start,
                            format!(
                                "unknown key `{k}`{hint}; expected {}, or a rule's name for its options",
                                TOP_KEYS.join(", ")
                            ),
                        ));
                    }
                },
            }
        }
        if let Some(sel) = select {
            cfg.enabled = sel.iter().map(|m| m.code).collect();
        }
        for m in ignore {
            cfg.enabled.remove(m.code);
        }
        Ok(cfg)
    }

    /// A list of rule names, codes or categories (or `all`).
    fn rule_list(
        &self,
        value: &Spanned<DeValue<'_>>,
        what: &str,
        allow_groups: bool,
    ) -> Result<Vec<&'static RuleMeta>, ConfigError> {
        let Some(items) = value.get_ref().as_array() else {
            return Err(self.err(
                value.span().start,
                format!("`{what}` must be a list of rule names, codes or categories"),
            ));
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let Some(s) = item.get_ref().as_str() else {
                return Err(self.err(
                    item.span().start,
                    format!("`{what}` must be a list of strings"),
                ));
            };
            match resolve_selector(s, allow_groups) {
                Some(rules) => out.extend(rules),
                None => {
                    return Err(self.err(item.span().start, unknown_rule_message(s, what)));
                }
            }
        }
        Ok(out)
    }

    fn string<'v>(
        &self,
        value: &'v Spanned<DeValue<'_>>,
        what: &str,
    ) -> Result<&'v str, ConfigError> {
        value.get_ref().as_str().ok_or_else(|| {
            self.err(
                value.span().start,
                format!(
                    "`{what}` must be a string, not {}",
                    value.get_ref().type_str()
                ),
            )
        })
    }

    fn table<'v, 'i>(
        &self,
        value: &'v Spanned<DeValue<'i>>,
        what: &str,
    ) -> Result<Entries<'v, 'i>, ConfigError> {
        let Some(t) = value.get_ref().as_table() else {
            return Err(self.err(value.span().start, format!("`{what}` must be a table")));
        };
        let mut v: Vec<_> = t.iter().collect();
        v.sort_by_key(|(k, _)| k.span().start);
        Ok(v)
    }

    /// `[rule-name]`: the options of one rule.
    fn rule_table(
        &self,
        meta: &'static RuleMeta,
        value: &Spanned<DeValue<'_>>,
        options: &mut RuleOptions,
    ) -> Result<(), ConfigError> {
        let known: &[&str] = rule_option_keys(meta);
        for (k, v) in self.table(value, meta.name)? {
            let key = k.get_ref().as_ref();
            match (meta.name, key) {
                ("internal-port-published", "extra-internal-images") => {
                    options.extra_internal_images = self.strings(v, key)?;
                }
                ("placeholder-secret", "extra-placeholders") => {
                    let items = v.get_ref().as_array().ok_or_else(|| {
                        self.err(v.span().start, format!("`{key}` must be a list of strings"))
                    })?;
                    for item in items.iter() {
                        let s = self.string(item, key)?;
                        // A value, not a path: `*` matches `/` too, and case does not count.
                        let p = globset::GlobBuilder::new(s.trim())
                            .case_insensitive(true)
                            .literal_separator(false)
                            .build()
                            .map_err(|e| {
                                self.err(
                                    item.span().start,
                                    format!("bad pattern {s:?} in `{key}`: {}", e.kind()),
                                )
                            })?;
                        options.extra_placeholders.push(p.compile_matcher());
                    }
                }
                ("workers-exceed-memory", "memory-per-worker") => {
                    // A size as compose writes `mem_limit` ("150m", "1g").
                    let size = self.string(v, key)?;
                    let mib = crate::analysis::workers::memory_bytes(size)
                        .map(|b| b / (1024 * 1024))
                        .filter(|&m| m > 0)
                        .ok_or_else(|| {
                            self.err(
                                v.span().start,
                                format!("`{key}` must be a size of at least 1 MiB, such as \"150m\" or \"1g\", not {size:?}"),
                            )
                        })?;
                    options.memory_per_worker_mib = Some(mib);
                }
                _ => {
                    let expected = if known.is_empty() {
                        format!("`{}` has no options", meta.name)
                    } else {
                        format!("`{}` takes {}", meta.name, known.join(", "))
                    };
                    return Err(self.err(
                        k.span().start,
                        format!("unknown option `{key}` of rule `{}`; {expected}", meta.name),
                    ));
                }
            }
        }
        Ok(())
    }

    fn strings(&self, v: &Spanned<DeValue<'_>>, key: &str) -> Result<Vec<String>, ConfigError> {
        let items = v.get_ref().as_array().ok_or_else(|| {
            self.err(v.span().start, format!("`{key}` must be a list of strings"))
        })?;
        items
            .iter()
            .map(|i| self.string(i, key).map(str::to_string))
            .collect()
    }
}

/// The option keys each rule's table accepts (documented in `rules/<name>.md`).
pub fn rule_option_keys(meta: &RuleMeta) -> &'static [&'static str] {
    match meta.name {
        "internal-port-published" => &["extra-internal-images"],
        "placeholder-secret" => &["extra-placeholders"],
        "workers-exceed-memory" => &["memory-per-worker"],
        _ => &[],
    }
}

/// The rules a selector names: a rule's name or code, a category, or `all`.
pub fn resolve_selector(s: &str, allow_groups: bool) -> Option<Vec<&'static RuleMeta>> {
    let s = s.trim();
    if let Some(m) = rules::lookup(s) {
        return Some(vec![m]);
    }
    if !allow_groups {
        return None;
    }
    if s.eq_ignore_ascii_case("all") {
        return Some(rules::all().collect());
    }
    let (cat, _, _) = CATEGORIES
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(s))?;
    Some(rules::all().filter(|m| m.category == *cat).collect())
}

fn unknown_rule_message(s: &str, what: &str) -> String {
    format!(
        "unknown rule `{s}` in `{what}`{}; `stacklint rules` lists them (categories: {}, or all)",
        suggest(s, rule_words()),
        CATEGORIES.map(|(_, n, _)| n).join(", ")
    )
}

fn rule_words() -> Vec<&'static str> {
    let mut v: Vec<&str> = rules::all().flat_map(|m| [m.name, m.code]).collect();
    v.extend(CATEGORIES.map(|(_, n, _)| n));
    v
}

fn top_words() -> Vec<&'static str> {
    let mut v: Vec<&str> = TOP_KEYS.to_vec();
    v.extend(rules::all().map(|m| m.name));
    v
}

/// ` (did you mean `x`?)` when one word is close to `s`.
fn suggest(s: &str, words: Vec<&str>) -> String {
    let lower = s.to_ascii_lowercase();
    words
        .into_iter()
        .map(|w| {
            (
                crate::names::edit_distance(&lower, &w.to_ascii_lowercase()),
                w,
            )
        })
        .filter(|(d, w)| *d <= 2.max(w.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, w)| format!(" (did you mean `{w}`?)"))
        .unwrap_or_default()
}

impl Config {
    /// Puts the command line on top: `--select` replaces the file's selection
    /// (its `select` and `ignore`), `--ignore` removes rules, `--fail-on` wins.
    pub fn apply(&mut self, o: &Overrides) -> Result<(), ConfigError> {
        let cli_list = |items: &[String],
                        flag: &str|
         -> Result<Vec<&'static RuleMeta>, ConfigError> {
            let mut out = Vec::new();
            for s in items.iter().filter(|s| !s.trim().is_empty()) {
                match resolve_selector(s, true) {
                    Some(r) => out.extend(r),
                    None => {
                        return Err(ConfigError {
                            path: None,
                            line: 0,
                            column: 0,
                            message: format!(
                                "unknown rule `{s}` in {flag}{}; `stacklint rules` lists them (categories: {}, or all)",
                                suggest(s, rule_words()),
                                CATEGORIES.map(|(_, n, _)| n).join(", ")
                            ),
                        })
                    }
                }
            }
            Ok(out)
        };
        if !o.select.is_empty() {
            let sel = cli_list(&o.select, "--select")?;
            self.enabled = sel.iter().map(|m| m.code).collect();
        }
        for m in cli_list(&o.ignore, "--ignore")? {
            self.enabled.remove(m.code);
        }
        if o.fail_on.is_some() {
            self.fail_on = o.fail_on;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
