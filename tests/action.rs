//! The GitHub Action (`action.yml`, `action/`) and the pre-commit hooks
//! (`.pre-commit-hooks.yaml`).
//!
//! The action's steps run here the way the runner runs a composite action: each `run:`
//! step as `bash --noprofile --norc -eo pipefail <script>` in the workspace, with its
//! `env:` (expressions evaluated), a fresh `$GITHUB_OUTPUT` whose lines become
//! `steps.<id>.outputs`, one `$GITHUB_STEP_SUMMARY`, `if:` conditions evaluated, and the
//! first failing step ending the run. Two steps are stand-ins: the build step (the test's
//! own binary is its `bin` output) and the `uses:` steps (cache, SARIF upload), whose
//! evaluated `with:` is recorded for the assertions.
//!
//! The expression evaluator knows only what the action uses (context paths, string
//! literals, `==`, `!=`, `&&`) and panics on anything else, so a new expression in
//! action.yml cannot slip past the simulation unevaluated.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use stacklint::parse::yaml::{self, Node};
use stacklint::source::{FileId, FileKind, SourceFile};

mod common;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_stacklint");

// ---------------------------------------------------------------------------------------
// action.yml as data

struct Action {
    text: String,
    /// Declared inputs with their defaults.
    inputs: BTreeMap<String, String>,
    /// Declared outputs with their `value:` expressions.
    outputs: BTreeMap<String, String>,
    steps: Vec<Step>,
}

struct Step {
    name: String,
    id: Option<String>,
    condition: Option<String>,
    uses: Option<String>,
    /// 1-based line of the `uses:` value, for the pin comment.
    uses_line: usize,
    with: Vec<(String, String)>,
    run: Option<String>,
    shell: Option<String>,
    env: Vec<(String, String)>,
    continue_on_error: bool,
}

fn parse_yaml(path: &Path) -> (String, Node) {
    let text = std::fs::read_to_string(path).expect("readable");
    let src = SourceFile::new(path, FileKind::Other, text.clone());
    let parsed = yaml::parse(FileId(0), &src);
    assert!(
        parsed.diags.is_empty(),
        "{}: {:?}",
        path.display(),
        parsed.diags
    );
    let doc = parsed.docs.into_iter().next().expect("one document");
    (text, doc)
}

fn str_map(node: Option<&Node>) -> Vec<(String, String)> {
    node.and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().expect("string key").to_string(),
                v.as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn load_action() -> Action {
    let (text, doc) = parse_yaml(&Path::new(MANIFEST_DIR).join("action.yml"));
    let inputs = doc
        .get("inputs")
        .and_then(Node::as_map)
        .expect("inputs")
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().expect("input name").to_string();
            let default = v.get("default").and_then(Node::as_str).unwrap_or("");
            (name, default.to_string())
        })
        .collect();
    let outputs = doc
        .get("outputs")
        .and_then(Node::as_map)
        .expect("outputs")
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().expect("output name").to_string();
            let value = v.get("value").and_then(Node::as_str).expect("output value");
            (name, value.to_string())
        })
        .collect();
    let runs = doc.get("runs").expect("runs");
    assert_eq!(
        runs.get("using").and_then(Node::as_str),
        Some("composite"),
        "a composite action"
    );
    let steps = runs
        .get("steps")
        .and_then(Node::as_seq)
        .expect("steps")
        .iter()
        .map(|s| {
            let uses = s.get("uses");
            Step {
                name: s
                    .get("name")
                    .and_then(Node::as_str)
                    .expect("every step has a name")
                    .to_string(),
                id: s.get("id").and_then(Node::as_str).map(str::to_string),
                condition: s.get("if").and_then(Node::as_str).map(str::to_string),
                uses: uses.and_then(Node::as_str).map(str::to_string),
                uses_line: uses.map(|u| line_of(&text, u.span.start())).unwrap_or(0),
                with: str_map(s.get("with")),
                run: s.get("run").and_then(Node::as_str).map(str::to_string),
                shell: s.get("shell").and_then(Node::as_str).map(str::to_string),
                env: str_map(s.get("env")),
                continue_on_error: s
                    .get("continue-on-error")
                    .and_then(Node::as_scalar)
                    .is_some_and(|v| v.value == "true"),
            }
        })
        .collect();
    Action {
        text,
        inputs,
        outputs,
        steps,
    }
}

// ---------------------------------------------------------------------------------------
// Expressions

/// Every `${{ ... }}` of a string, without the braces.
fn expressions(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let end = after.find("}}").expect("closed expression");
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

struct Ctx<'a> {
    inputs: &'a BTreeMap<String, String>,
    steps: &'a HashMap<String, HashMap<String, String>>,
    /// `steps.<id>.outcome`: success, failure or skipped.
    outcomes: &'a HashMap<String, &'static str>,
    step_ids: Vec<String>,
    github: HashMap<&'static str, String>,
    runner: HashMap<&'static str, String>,
}

impl Ctx<'_> {
    fn lookup(&self, path: &str) -> String {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => self
                .inputs
                .get(*name)
                .unwrap_or_else(|| panic!("`inputs.{name}` is not a declared input"))
                .clone(),
            ["steps", id, "outputs", name] => {
                assert!(
                    self.step_ids.iter().any(|s| s == id),
                    "`{path}`: no step has id `{id}`"
                );
                self.steps
                    .get(*id)
                    .and_then(|o| o.get(*name))
                    .cloned()
                    .unwrap_or_default()
            }
            ["steps", id, "outcome"] => {
                assert!(
                    self.step_ids.iter().any(|s| s == id),
                    "`{path}`: no step has id `{id}`"
                );
                // A step that has not run yet has no outcome: an empty string.
                self.outcomes
                    .get(*id)
                    .map(|o| o.to_string())
                    .unwrap_or_default()
            }
            ["github", key] => self
                .github
                .get(key)
                .unwrap_or_else(|| panic!("the simulation has no `{path}`"))
                .clone(),
            ["runner", key] => self
                .runner
                .get(key)
                .unwrap_or_else(|| panic!("the simulation has no `{path}`"))
                .clone(),
            _ => panic!("the simulation cannot evaluate `{path}`"),
        }
    }

    fn operand(&self, s: &str) -> String {
        // `a || b`: the first operand that is not empty (GitHub's falsy strings).
        if s.contains("||") {
            return s
                .split("||")
                .map(|o| self.operand(o))
                .find(|v| !v.is_empty())
                .unwrap_or_default();
        }
        let s = s.trim();
        if let Some(lit) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            return lit.replace("''", "'");
        }
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "the simulation cannot evaluate `{s}`: keep action.yml's expressions simple"
        );
        self.lookup(s)
    }

    /// `a == 'b' && c != ''`: string comparisons, case-insensitive like GitHub's.
    fn condition(&self, expr: &str) -> bool {
        let expr = expr.trim();
        let expr = expr
            .strip_prefix("${{")
            .and_then(|e| e.strip_suffix("}}"))
            .unwrap_or(expr);
        assert!(
            !expr.contains("||"),
            "`||` is simulated in values, not in conditions: {expr}"
        );
        expr.split("&&").all(|clause| {
            if let Some((a, b)) = clause.split_once("!=") {
                !self.operand(a).eq_ignore_ascii_case(&self.operand(b))
            } else if let Some((a, b)) = clause.split_once("==") {
                self.operand(a).eq_ignore_ascii_case(&self.operand(b))
            } else {
                let v = self.operand(clause);
                !v.is_empty() && v != "false"
            }
        })
    }

    fn interpolate(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 3..];
            let end = after.find("}}").expect("closed expression");
            out.push_str(&self.operand(&after[..end]));
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }
}

// ---------------------------------------------------------------------------------------
// The simulated runner

struct StepRun {
    name: String,
    skipped: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

struct Sim {
    workspace: PathBuf,
    steps: Vec<StepRun>,
    /// The action's outputs, evaluated after the run.
    outputs: HashMap<String, String>,
    /// `with:` of each `uses:` step that ran, by action.
    uses: Vec<(String, HashMap<String, String>)>,
    summary: String,
    /// The step that failed and its exit code.
    failed: Option<(String, i32)>,
}

impl Sim {
    fn step(&self, name_part: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.name.contains(name_part))
            .unwrap_or_else(|| panic!("no step named like `{name_part}`"))
    }

    fn upload(&self) -> Option<&HashMap<String, String>> {
        self.uses
            .iter()
            .find(|(u, _)| u.starts_with("github/codeql-action/upload-sarif@"))
            .map(|(_, w)| w)
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// bash and python3 run the action's steps; CI installs both (.ci/run).
fn can_simulate() -> bool {
    if have("bash") && have("python3") {
        return true;
    }
    eprintln!("skipping: the action simulation needs bash and python3");
    false
}

fn parse_output_file(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        } else if !line.is_empty() {
            panic!("malformed GITHUB_OUTPUT line: {line:?}");
        }
    }
    out
}

/// A simulation directory, removed when the test passes (kept for a look when it fails).
struct SimDir(PathBuf);

impl std::ops::Deref for SimDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for SimDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh simulation directory: `workspace/` holds the fixture stacks at the given
/// paths (relative to the workspace), `temp/` is RUNNER_TEMP. The process id keeps
/// concurrent `cargo test` runs in one target directory apart.
fn setup(test: &str, stacks: &[(&str, &str)]) -> SimDir {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("action")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workspace")).expect("mkdir");
    std::fs::create_dir_all(dir.join("temp")).expect("mkdir");
    for (fixture, at) in stacks {
        common::copy_dir(
            &Path::new(MANIFEST_DIR).join(fixture),
            &dir.join("workspace").join(at),
        );
    }
    SimDir(dir)
}

fn simulate(dir: &Path, with: &[(&str, &str)]) -> Sim {
    simulate_failing(dir, with, &[])
}

/// `failing`: the `uses:` actions (by name before the `@`) whose stand-ins fail.
fn simulate_failing(dir: &Path, with: &[(&str, &str)], failing: &[&str]) -> Sim {
    let action = load_action();
    let mut inputs = action.inputs.clone();
    for (k, v) in with {
        assert!(inputs.contains_key(*k), "the action has no input `{k}`");
        inputs.insert(k.to_string(), v.to_string());
    }
    let workspace = dir.join("workspace");
    let temp = dir.join("temp");
    let summary_file = temp.join("step-summary.md");
    std::fs::write(&summary_file, "").expect("summary file");
    let action_path = Path::new(MANIFEST_DIR).to_path_buf();

    let github: HashMap<&str, String> = [
        ("action_path", action_path.display().to_string()),
        ("workspace", workspace.display().to_string()),
    ]
    .into_iter()
    .collect();
    let runner: HashMap<&str, String> = [
        ("temp", temp.display().to_string()),
        ("os", "Linux".to_string()),
        ("arch", "X64".to_string()),
    ]
    .into_iter()
    .collect();
    let base_env: Vec<(&str, String)> = vec![
        ("CI", "true".into()),
        ("GITHUB_ACTIONS", "true".into()),
        ("GITHUB_WORKSPACE", workspace.display().to_string()),
        ("GITHUB_ACTION_PATH", action_path.display().to_string()),
        ("GITHUB_STEP_SUMMARY", summary_file.display().to_string()),
        ("GITHUB_SERVER_URL", "https://github.com".into()),
        ("GITHUB_REPOSITORY", "acme/shop".into()),
        (
            "GITHUB_SHA",
            "0123456789abcdef0123456789abcdef01234567".into(),
        ),
        ("RUNNER_TEMP", temp.display().to_string()),
        ("RUNNER_OS", "Linux".into()),
        ("RUNNER_ARCH", "X64".into()),
    ];

    let step_ids: Vec<String> = action.steps.iter().filter_map(|s| s.id.clone()).collect();
    let mut step_outputs: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut outcomes: HashMap<String, &'static str> = HashMap::new();
    let mut sim = Sim {
        workspace: workspace.clone(),
        steps: Vec::new(),
        outputs: HashMap::new(),
        uses: Vec::new(),
        summary: String::new(),
        failed: None,
    };

    for (i, step) in action.steps.iter().enumerate() {
        let ctx = Ctx {
            inputs: &inputs,
            steps: &step_outputs,
            outcomes: &outcomes,
            step_ids: step_ids.clone(),
            github: github.clone(),
            runner: runner.clone(),
        };
        let mut record = StepRun {
            name: step.name.clone(),
            skipped: false,
            code: None,
            stdout: String::new(),
            stderr: String::new(),
        };
        if sim.failed.is_some() || step.condition.as_deref().is_some_and(|c| !ctx.condition(c)) {
            record.skipped = true;
            sim.steps.push(record);
            if let Some(id) = &step.id {
                outcomes.insert(id.clone(), "skipped");
            }
            continue;
        }
        if let Some(uses) = &step.uses {
            let with = step
                .with
                .iter()
                .map(|(k, v)| (k.clone(), ctx.interpolate(v)))
                .collect();
            sim.uses.push((uses.clone(), with));
            let fails = failing.iter().any(|f| uses.split('@').next() == Some(*f));
            record.code = Some(if fails { 1 } else { 0 });
            if let Some(id) = &step.id {
                outcomes.insert(id.clone(), if fails { "failure" } else { "success" });
            }
            if fails && !step.continue_on_error {
                sim.failed = Some((step.name.clone(), 1));
            }
            sim.steps.push(record);
            continue;
        }
        let script = step.run.as_deref().expect("a step with uses or run");
        if matches!(step.id.as_deref(), Some("build" | "install")) {
            // The test's binary stands in for `cargo build --release` and for the wheel
            // from PyPI (tests/wheel.rs runs install.sh itself, on the wheel maturin built).
            let outputs = [("bin".to_string(), BIN.to_string())].into_iter().collect();
            step_outputs.insert(step.id.clone().unwrap_or_default(), outputs);
            outcomes.insert(step.id.clone().unwrap_or_default(), "success");
            record.code = Some(0);
            sim.steps.push(record);
            continue;
        }
        assert_eq!(step.shell.as_deref(), Some("bash"), "{}: shell", step.name);
        let script_file = temp.join(format!("step-{i}.sh"));
        std::fs::write(&script_file, script).expect("script");
        let output_file = temp.join(format!("output-{i}"));
        std::fs::write(&output_file, "").expect("output file");
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(&workspace);
        // Nothing from the test's own environment that the runner would not set.
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().to_string();
            if ["INPUT_", "STACKLINT_", "GITHUB_", "RUNNER_"]
                .iter()
                .any(|p| k.starts_with(p))
            {
                cmd.env_remove(&k);
            }
        }
        cmd.env_remove("NO_COLOR");
        for (k, v) in &base_env {
            cmd.env(k, v);
        }
        cmd.env("GITHUB_OUTPUT", &output_file);
        for (k, v) in &step.env {
            cmd.env(k, ctx.interpolate(v));
        }
        let out = cmd.output().expect("bash runs");
        record.code = out.status.code();
        record.stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        record.stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let outputs = parse_output_file(&std::fs::read_to_string(&output_file).expect("outputs"));
        if let Some(id) = &step.id {
            step_outputs.insert(id.clone(), outputs);
        } else {
            assert!(
                outputs.is_empty(),
                "{}: outputs without a step id",
                step.name
            );
        }
        let ok = record.code == Some(0);
        if let Some(id) = &step.id {
            outcomes.insert(id.clone(), if ok { "success" } else { "failure" });
        }
        if !ok && !step.continue_on_error {
            sim.failed = Some((step.name.clone(), record.code.unwrap_or(-1)));
        }
        sim.steps.push(record);
    }

    let ctx = Ctx {
        inputs: &inputs,
        steps: &step_outputs,
        outcomes: &outcomes,
        step_ids,
        github,
        runner,
    };
    sim.outputs = action
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), ctx.interpolate(v)))
        .collect();
    sim.summary = std::fs::read_to_string(&summary_file).expect("summary");
    sim
}

/// `stacklint --format json` on the same paths, from the workspace.
fn json_report(workspace: &Path, paths: &[&str]) -> Value {
    json_report_with(workspace, &[], paths)
}

fn json_report_with(workspace: &Path, flags: &[&str], paths: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args(["--format", "json", "--fail-on", "never"])
        .args(flags)
        .arg("--")
        .args(paths)
        .current_dir(workspace)
        .output()
        .expect("stacklint runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'%', Some(b)) = (bytes[i], hex) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn count(v: &Value, key: &str) -> String {
    v["summary"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{key}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Static checks of action.yml

#[test]
fn every_uses_is_pinned_to_a_commit() {
    let action = load_action();
    let lines: Vec<&str> = action.text.lines().collect();
    let mut seen = 0;
    for step in &action.steps {
        let Some(uses) = &step.uses else { continue };
        seen += 1;
        let (_, reference) = uses.split_once('@').expect("uses has a ref");
        assert!(
            reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit()),
            "{}: `{uses}` must be pinned to a full commit SHA",
            step.name
        );
        // The version the SHA is, for people and for Dependabot/Renovate.
        let line = lines[step.uses_line - 1];
        let comment = line.split_once(" # ").map(|(_, c)| c.trim());
        assert!(
            comment.is_some_and(|c| c.starts_with('v')),
            "{}: the pin needs a `# vX.Y.Z` comment: {line}",
            step.name
        );
    }
    assert_eq!(seen, 2, "actions/cache and codeql-action/upload-sarif");
}

#[test]
fn no_expression_is_spliced_into_a_script() {
    let action = load_action();
    for step in &action.steps {
        if let Some(run) = &step.run {
            assert!(
                !run.contains("${{"),
                "{}: `run:` interpolates an expression; pass it through `env:` (template injection)",
                step.name
            );
            assert_eq!(step.shell.as_deref(), Some("bash"), "{}", step.name);
        }
    }
}

#[test]
fn inputs_are_declared_used_and_reach_the_scripts() {
    let action = load_action();
    // Every input named anywhere is declared (the simulation also panics on one).
    let mut used = std::collections::BTreeSet::new();
    for expr in expressions(&action.text) {
        for word in expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if let Some(name) = word.strip_prefix("inputs.") {
                assert!(
                    action.inputs.contains_key(name),
                    "`inputs.{name}` is not declared"
                );
                used.insert(name.to_string());
            }
        }
    }
    // And every declared input is used: a dead input is a promise the action breaks.
    for name in action.inputs.keys() {
        assert!(used.contains(name), "input `{name}` is never used");
    }

    // Every INPUT_*/STACKLINT_* variable a step's script reads is in that step's env.
    let script_re = regex::Regex::new(r"action/[a-z-]+\.(sh|py)").expect("regex");
    let var_re = regex::Regex::new(r"\b((?:INPUT|STACKLINT)_[A-Z_]+)").expect("regex");
    for step in &action.steps {
        let Some(run) = &step.run else { continue };
        let mut scripts: Vec<String> = Vec::new();
        for m in script_re.find_iter(run) {
            scripts.push(m.as_str().to_string());
        }
        assert!(
            !scripts.is_empty(),
            "{}: runs a script of action/",
            step.name
        );
        // (summary.py gets its values from run.sh as arguments, not from the environment.)
        for script in scripts {
            let text = std::fs::read_to_string(Path::new(MANIFEST_DIR).join(&script))
                .unwrap_or_else(|_| panic!("{script} exists"));
            for cap in var_re.captures_iter(&text) {
                let var = &cap[1];
                assert!(
                    step.env.iter().any(|(k, _)| k == var),
                    "{}: {script} reads {var}, which the step's env does not set",
                    step.name
                );
            }
        }
    }
}

#[test]
fn outputs_come_from_the_run_step() {
    let action = load_action();
    let ids: Vec<&str> = action
        .steps
        .iter()
        .filter_map(|s| s.id.as_deref())
        .collect();
    for (name, value) in &action.outputs {
        let exprs = expressions(value);
        assert_eq!(exprs.len(), 1, "output {name}: {value}");
        let parts: Vec<&str> = exprs[0].split('.').collect();
        assert!(
            parts.len() == 4 && parts[0] == "steps" && parts[2] == "outputs",
            "output {name}: {value}"
        );
        assert!(
            ids.contains(&parts[1]),
            "output {name}: no step `{}`",
            parts[1]
        );
    }
    for name in [
        "errors",
        "warnings",
        "infos",
        "total",
        "suppressed",
        "sarif-file",
        "exit-code",
    ] {
        assert!(action.outputs.contains_key(name), "output {name}");
    }
}

// ---------------------------------------------------------------------------------------
// The action, run

const BEFORE: &str = "stacks/proxy stack";

#[test]
fn findings_fail_the_step_after_the_sarif_upload() {
    if !can_simulate() {
        return;
    }
    let dir = setup("findings", &[("fixtures/proxy-stack-before", BEFORE)]);
    let sim = simulate(&dir, &[("paths", BEFORE)]);
    let json = json_report(&sim.workspace, &[BEFORE]);
    let run = sim.step("Run stacklint");
    assert_eq!(
        run.code,
        Some(0),
        "the run step never fails on findings: {}",
        run.stderr
    );

    // Outputs: the counts of `--format json` for the same stack.
    assert_eq!(sim.outputs["exit-code"], "1");
    assert_eq!(sim.outputs["errors"], count(&json, "errors"));
    assert_eq!(sim.outputs["warnings"], count(&json, "warnings"));
    assert_eq!(sim.outputs["infos"], count(&json, "infos"));
    assert_eq!(sim.outputs["total"], count(&json, "findings"));
    assert_eq!(sim.outputs["suppressed"], count(&json, "suppressed"));
    assert_ne!(sim.outputs["errors"], "0");

    // The SARIF report: where the output says, the same findings as the JSON.
    let sarif_path = PathBuf::from(&sim.outputs["sarif-file"]);
    assert_eq!(sarif_path, sim.workspace.join("stacklint.sarif"));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).expect("SARIF written"))
            .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "stacklint");
    let mut from_sarif: Vec<(String, String, u64)> = run0["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().expect("ruleId").to_string(),
                percent_decode(loc["artifactLocation"]["uri"].as_str().expect("uri")),
                loc["region"]["startLine"].as_u64().expect("startLine"),
            )
        })
        .collect();
    let mut from_json: Vec<(String, String, u64)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_string(),
                f["location"]["path"].as_str().expect("path").to_string(),
                f["location"]["start"]["line"].as_u64().expect("line"),
            )
        })
        .collect();
    from_sarif.sort();
    from_json.sort();
    assert_eq!(
        from_sarif, from_json,
        "SARIF and JSON report the same findings"
    );

    // Annotations: one workflow command per finding, at its file and line.
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    let warnings = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .count();
    assert_eq!(
        errors.len().to_string(),
        sim.outputs["errors"],
        "{}",
        run.stdout
    );
    assert_eq!(
        warnings.to_string(),
        sim.outputs["warnings"],
        "{}",
        run.stdout
    );
    for line in &errors {
        assert!(
            line.starts_with(&format!("::error file={BEFORE}/")) && line.contains(",line="),
            "{line}"
        );
    }

    // The summary: counts, then one row per finding.
    let s = &sim.summary;
    assert!(s.starts_with("## stacklint\n"), "{s}");
    assert!(s.contains(":x: **Failed**"), "{s}");
    assert!(
        s.contains("| errors | warnings | infos | suppressed |"),
        "{s}"
    );
    assert!(
        s.contains(&format!(
            "| {} | {} | {} | {} |",
            sim.outputs["errors"],
            sim.outputs["warnings"],
            sim.outputs["infos"],
            sim.outputs["suppressed"]
        )),
        "{s}"
    );
    assert!(
        s.contains("| severity | rule | location | message |"),
        "{s}"
    );
    let rows = s
        .lines()
        .filter(|l| {
            l.starts_with("| error |") || l.starts_with("| warning |") || l.starts_with("| info |")
        })
        .count();
    assert_eq!(rows.to_string(), sim.outputs["total"], "{s}");
    // Locations link to the file at the commit, the space in the path encoded.
    assert!(
        s.contains("](https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/stacks/proxy%20stack/docker-compose.yml#L"),
        "{s}"
    );

    // The upload ran before the failure, with the report and the checkout.
    let upload = sim.upload().expect("SARIF uploaded");
    assert_eq!(upload["sarif_file"], sim.outputs["sarif-file"]);
    assert_eq!(upload["checkout_path"], sim.workspace.display().to_string());
    assert_eq!(upload["category"], "stacklint");
    // And the report carries it: upload-sarif keeps an automationDetails.id it finds.
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "stacklint/");
    let finish = sim.step("Fail on findings");
    assert_eq!(
        sim.failed,
        Some((finish.name.clone(), 1)),
        "the last step fails with exit 1"
    );
    assert!(
        finish.stdout.contains("::error title=stacklint::"),
        "{}",
        finish.stdout
    );
}

#[test]
fn fail_on_decides_the_outcome() {
    if !can_simulate() {
        return;
    }
    let dir = setup("fail-on", &[("fixtures/proxy-stack-before", BEFORE)]);
    // the proxy stack has errors and warnings: only `never` lets it pass.
    for (fail_on, expect) in [
        ("never", None),
        ("error", Some(1)),
        ("warning", Some(1)),
        ("info", Some(1)),
    ] {
        let sim = simulate(&dir, &[("paths", BEFORE), ("fail-on", fail_on)]);
        assert_eq!(
            sim.failed.as_ref().map(|(_, code)| *code),
            expect,
            "fail-on {fail_on}: {:?}",
            sim.steps
                .iter()
                .map(|s| (&s.name, s.code, &s.stdout))
                .collect::<Vec<_>>()
        );
        let exit = if expect.is_some() { "1" } else { "0" };
        assert_eq!(sim.outputs["exit-code"], exit, "fail-on {fail_on}");
        assert_ne!(sim.outputs["total"], "0", "counts do not depend on fail-on");
        assert!(sim.upload().is_some(), "fail-on {fail_on}: SARIF uploaded");
        if expect.is_none() {
            assert!(
                sim.summary.contains(":white_check_mark: **Passed**"),
                "{}",
                sim.summary
            );
            assert!(sim
                .summary
                .contains("| severity | rule | location | message |"));
        }
    }
}

#[test]
fn a_clean_stack_passes() {
    if !can_simulate() {
        return;
    }
    let dir = setup("clean", &[("fixtures/proxy-stack-fixed", "deploy")]);
    let sim = simulate(&dir, &[("paths", "deploy\n")]);
    assert_eq!(sim.failed, None);
    assert_eq!(sim.outputs["exit-code"], "0");
    assert_eq!(sim.outputs["total"], "0");
    assert_eq!(sim.outputs["errors"], "0");
    assert!(sim.summary.contains("no findings"), "{}", sim.summary);
    assert!(
        !sim.summary.contains("| severity |"),
        "no table without findings"
    );
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(&sim.outputs["sarif-file"]).expect("SARIF written"),
    )
    .expect("JSON");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(0)
    );
    assert!(
        sim.upload().is_some(),
        "a clean report is uploaded too (it closes alerts)"
    );
}

#[test]
fn by_default_the_wheel_is_installed_and_nothing_is_built() {
    if !can_simulate() {
        return;
    }
    let dir = setup("wheel", &[("fixtures/proxy-stack-fixed", "deploy")]);
    let sim = simulate(&dir, &[("paths", "deploy")]);
    assert_eq!(sim.failed, None);
    assert!(!sim.step("Install stacklint").skipped);
    assert!(sim.step("Build stacklint").skipped);
    assert!(sim.step("Compute the build cache key").skipped);
    assert!(
        !sim.uses
            .iter()
            .any(|(u, _)| u.starts_with("actions/cache@")),
        "no build cache without a build"
    );
    assert_eq!(sim.outputs["exit-code"], "0");

    // `install: source` builds instead, and its binary is the one that runs.
    let dir = setup("source", &[("fixtures/proxy-stack-fixed", "deploy")]);
    let sim = simulate(&dir, &[("paths", "deploy"), ("install", "source")]);
    assert_eq!(sim.failed, None);
    assert!(sim.step("Install stacklint").skipped);
    assert!(!sim.step("Build stacklint").skipped);
    assert_eq!(sim.outputs["exit-code"], "0");
}

#[test]
fn a_failed_upload_leaves_a_notice_and_findings_still_decide() {
    if !can_simulate() {
        return;
    }
    let upload = "github/codeql-action/upload-sarif";
    // A clean stack: the job passes although the upload failed.
    let dir = setup(
        "upload-fails-clean",
        &[("fixtures/proxy-stack-fixed", "deploy")],
    );
    let sim = simulate_failing(&dir, &[("paths", "deploy")], &[upload]);
    assert_eq!(sim.failed, None);
    let notice = sim.step("Report a failed SARIF upload");
    assert!(!notice.skipped);
    assert!(
        notice.stdout.starts_with("::notice title=stacklint::")
            && notice.stdout.contains("upload-sarif: false"),
        "{}",
        notice.stdout
    );
    // Findings: the job still fails on them, after the notice.
    let dir = setup("upload-fails", &[("fixtures/proxy-stack-before", BEFORE)]);
    let sim = simulate_failing(&dir, &[("paths", BEFORE)], &[upload]);
    assert!(!sim.step("Report a failed SARIF upload").skipped);
    assert_eq!(
        sim.failed.as_ref().map(|(name, _)| name.as_str()),
        Some("Fail on findings")
    );
    // A successful upload says nothing.
    let sim = simulate(&dir, &[("paths", BEFORE)]);
    assert!(sim.step("Report a failed SARIF upload").skipped);
    // And `upload-sarif: false` neither uploads nor reports.
    let sim = simulate(&dir, &[("paths", BEFORE), ("upload-sarif", "false")]);
    assert!(sim.upload().is_none());
    assert!(sim.step("Upload SARIF").skipped);
    assert!(sim.step("Report a failed SARIF upload").skipped);
}

#[test]
fn the_category_input_is_the_reports_own() {
    if !can_simulate() {
        return;
    }
    let dir = setup("category", &[("fixtures/proxy-stack-fixed", "deploy")]);
    let sim = simulate(
        &dir,
        &[("paths", "deploy"), ("category", "stacklint/deploy")],
    );
    assert_eq!(sim.failed, None);
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(&sim.outputs["sarif-file"]).expect("SARIF written"),
    )
    .expect("JSON");
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "stacklint/deploy/"
    );
    assert_eq!(
        sim.upload().expect("uploaded")["category"],
        "stacklint/deploy"
    );
}

#[test]
fn several_paths_a_subdirectory_report_and_no_annotations() {
    if !can_simulate() {
        return;
    }
    let dir = setup(
        "options",
        &[
            ("fixtures/proxy-stack-before", BEFORE),
            ("fixtures/proxy-stack-fixed", "-fixed"),
        ],
    );
    let sim = simulate(
        &dir,
        &[
            // A path starting with '-' must not be read as a flag.
            ("paths", "  stacks/proxy stack  \n\n-fixed\n"),
            ("annotations", "none"),
            ("upload-sarif", "false"),
            ("sarif-file", "reports/out dir/stacklint.sarif"),
            ("fail-on", "never"),
        ],
    );
    assert_eq!(
        sim.failed,
        None,
        "{:?}",
        sim.steps.iter().map(|s| &s.stderr).collect::<Vec<_>>()
    );
    let run = sim.step("Run stacklint");
    assert!(
        !run.stdout.contains("::error"),
        "annotations: none: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("docker-compose.yml"),
        "the text report: {}",
        run.stdout
    );
    assert_eq!(
        PathBuf::from(&sim.outputs["sarif-file"]),
        sim.workspace.join("reports/out dir/stacklint.sarif")
    );
    assert!(Path::new(&sim.outputs["sarif-file"]).is_file());
    assert!(sim.upload().is_none(), "upload-sarif: false");
    let json = json_report(&sim.workspace, &[BEFORE, "-fixed"]);
    assert_eq!(sim.outputs["total"], count(&json, "findings"));
}

#[test]
fn a_stacklint_error_fails_without_uploading_a_stale_report() {
    if !can_simulate() {
        return;
    }
    let dir = setup("error", &[]);
    let stale = dir.join("workspace/stacklint.sarif");
    std::fs::write(&stale, "{\"version\":\"2.1.0\",\"runs\":[]}").expect("stale");
    let sim = simulate(&dir, &[("paths", "no such dir")]);
    assert_eq!(sim.outputs["exit-code"], "2");
    assert_eq!(sim.outputs["sarif-file"], "");
    assert!(!stale.exists(), "an earlier run's report is removed");
    assert!(sim.upload().is_none(), "nothing to upload");
    let finish = sim.step("Fail on findings");
    assert_eq!(sim.failed, Some((finish.name.clone(), 2)));
    assert!(
        sim.summary.contains("stacklint could not run"),
        "{}",
        sim.summary
    );
    assert!(
        sim.summary.contains("no such dir"),
        "the error in the summary: {}",
        sim.summary
    );
}

#[test]
fn a_bad_input_stops_the_run() {
    if !can_simulate() {
        return;
    }
    let dir = setup("bad-input", &[("fixtures/proxy-stack-before", BEFORE)]);
    for (input, value, says) in [
        (
            "fail-on",
            "warnings",
            "input fail-on must be error, warning, info or never",
        ),
        (
            "annotations",
            "json",
            "input annotations must be github or none",
        ),
        (
            "working-directory",
            "nowhere",
            "working-directory not found",
        ),
    ] {
        let sim = simulate(&dir, &[("paths", BEFORE), (input, value)]);
        let run = sim.step("Run stacklint");
        assert_eq!(sim.failed, Some((run.name.clone(), 2)), "{input}: {value}");
        assert!(run.stdout.contains(says), "{input}: {}", run.stdout);
        assert!(sim.step("Fail on findings").skipped);
        assert!(sim.upload().is_none());
    }
}

#[test]
fn the_cache_key_follows_cargo_lock() {
    if !can_simulate() {
        return;
    }
    let dir = setup("cache-key", &[]);
    let sim = simulate(&dir, &[("fail-on", "never"), ("install", "source")]);
    let cache = sim
        .uses
        .iter()
        .find(|(u, _)| u.starts_with("actions/cache@"))
        .map(|(_, w)| w)
        .expect("cache step");
    let key = &cache["key"];
    let prefix = &cache["restore-keys"];
    assert!(key.starts_with("stacklint-build-Linux-X64-"), "{key}");
    assert!(
        key.starts_with(prefix.as_str()) && key.len() > prefix.len(),
        "{key} / {prefix}"
    );
    assert!(
        cache["path"].contains(&format!("{MANIFEST_DIR}/target")),
        "{}",
        cache["path"]
    );
}

// ---------------------------------------------------------------------------------------
// pre-commit

#[test]
fn pre_commit_hooks_lint_the_whole_stack_on_stack_files() {
    let (_, doc) = parse_yaml(&Path::new(MANIFEST_DIR).join(".pre-commit-hooks.yaml"));
    let hooks = doc.as_seq().expect("a list of hooks");
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h.get("id")?.as_str()).collect();
    assert_eq!(ids, ["stacklint", "stacklint-system"]);
    let mut patterns = Vec::new();
    for hook in hooks {
        let get = |k: &str| hook.get(k).and_then(Node::as_str).unwrap_or_default();
        let id = get("id");
        assert_eq!(get("entry"), "stacklint", "{id}: lints `.` by default");
        assert!(
            hook.get("args").is_none(),
            "{id}: no default args to override"
        );
        assert_eq!(
            get("pass_filenames"),
            "false",
            "{id}: the whole stack, not the changed file"
        );
        assert_eq!(get("always_run"), "false", "{id}");
        assert!(
            !get("name").is_empty() && !get("description").is_empty(),
            "{id}"
        );
        assert_eq!(
            get("language"),
            // The wheel from PyPI (the root pyproject.toml requires it), not a Rust build.
            if id == "stacklint" {
                "python"
            } else {
                "system"
            },
            "{id}"
        );
        patterns.push(get("files").to_string());
    }
    assert_eq!(patterns[0], patterns[1], "both hooks run on the same files");

    let matching = [
        "compose.yaml",
        "compose.yml",
        "docker-compose.yml",
        "deploy/docker-compose.prod.yml",
        "compose.override.yaml",
        "ops/compose-dev.yaml",
        ".env",
        "deploy/.env.example",
        ".env.production",
        "config/app.env",
        "nginx/default.conf",
        "deploy/nginx.conf",
        "proxy/conf.d/site.conf",
        "nginx/templates/default.conf.template",
        "nginx/snippets/headers",
        "Dockerfile",
        "app/Dockerfile",
        "app/Dockerfile.prod",
        "app/dockerfile",
        "worker.Dockerfile",
        "stacklint.toml",
        "sub/.stacklint.toml",
    ];
    let not_matching = [
        "src/main.rs",
        "README.md",
        "Cargo.toml",
        "docs/compose.md",
        ".envrc",
        "environment.yml",
        ".github/workflows/ci.yml",
        "app/requirements.txt",
        "config.json",
        "conf/README",
    ];
    let re = regex::Regex::new(&patterns[0]).expect("files is a regex");
    for path in matching {
        assert!(re.is_match(path), "should run on {path}");
    }
    for path in not_matching {
        assert!(!re.is_match(path), "should not run on {path}");
    }

    // pre-commit reads the pattern with Python's `re` (re.search): the same answers there.
    if have("python3") {
        let cases: Vec<(&str, bool)> = matching
            .iter()
            .map(|p| (*p, true))
            .chain(not_matching.iter().map(|p| (*p, false)))
            .collect();
        let script = "import json, re, sys\n\
                      d = json.load(sys.stdin)\n\
                      r = re.compile(d['pattern'])\n\
                      bad = [p for p, m in d['cases'] if bool(r.search(p)) != m]\n\
                      print(json.dumps(bad))\n";
        let input = serde_json::json!({"pattern": patterns[0], "cases": cases}).to_string();
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write");
        }
        let out = child.wait_with_output().expect("python3 exits");
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "[]",
            "Python's re disagrees on these paths"
        );
    }
}

#[test]
fn suppressed_findings_are_counted_apart() {
    if !can_simulate() {
        return;
    }
    let dir = setup("suppressed", &[("fixtures/proxy-stack-before", BEFORE)]);
    let compose = dir
        .join("workspace")
        .join(BEFORE)
        .join("docker-compose.yml");
    let text = std::fs::read_to_string(&compose).expect("compose");
    let text = text.replacen(
        "services:\n  nginx:\n",
        "services:\n  # stacklint: ignore[missing-resource-limits] the platform sizes the proxy\n  nginx:\n",
        1,
    );
    std::fs::write(&compose, text).expect("write");
    let sim = simulate(&dir, &[("paths", BEFORE)]);
    let json = json_report(&sim.workspace, &[BEFORE]);
    assert_eq!(count(&json, "suppressed"), "1", "the suppression applies");
    assert_eq!(sim.outputs["suppressed"], "1");
    assert_eq!(sim.outputs["total"], count(&json, "findings"));
    assert_eq!(sim.outputs["warnings"], count(&json, "warnings"));
    // The suppressed finding is in the SARIF report (with its suppression), not in the table.
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sim.outputs["sarif-file"]).expect("SARIF"))
            .expect("JSON");
    let suppressed = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["suppressions"].as_array().is_some_and(|s| !s.is_empty()))
        .count();
    assert_eq!(suppressed, 1);
    assert!(
        !sim.summary.contains("service `nginx` has no memory"),
        "{}",
        sim.summary
    );
    assert!(
        sim.summary.contains("service `app` has no memory"),
        "{}",
        sim.summary
    );
}

#[test]
fn the_summary_table_is_capped() {
    if !can_simulate() {
        return;
    }
    let dir = setup("capped", &[]);
    let stack = dir.join("workspace/big");
    std::fs::create_dir_all(&stack).expect("mkdir");
    // 120 services without limits, in two stacks (stacklint caps one rule at 100
    // findings per file): 120 findings of missing-resource-limits.
    for half in ["a", "b"] {
        let mut compose = String::from("services:\n");
        for i in 0..60 {
            compose.push_str(&format!("  svc{i}:\n    image: busybox:1.36\n"));
        }
        std::fs::create_dir_all(stack.join(half)).expect("mkdir");
        std::fs::write(stack.join(half).join("compose.yaml"), compose).expect("write");
    }
    let sim = simulate(&dir, &[("paths", "big"), ("fail-on", "never")]);
    assert_eq!(sim.outputs["total"], "120");
    let rows = sim
        .summary
        .lines()
        .filter(|l| l.starts_with("| info |"))
        .count();
    assert_eq!(rows, 100, "{}", sim.summary);
    assert!(
        sim.summary
            .contains("_The first 100 of 120 findings; the SARIF report has them all._"),
        "{}",
        sim.summary
    );
}

/// The first ```yaml block of a README section.
fn readme_yaml(section: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(MANIFEST_DIR).join("README.md")).expect("README");
    let start = readme
        .find(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("README has a `## {section}` section"));
    let body = &readme[start..];
    let open = body.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let close = body[open..].find("\n```").expect("closed block");
    body[open..open + close + 1].to_string()
}

fn parse_yaml_text(text: &str) -> Node {
    let src = SourceFile::new("README.md", FileKind::Other, text.to_string());
    let parsed = yaml::parse(FileId(0), &src);
    assert!(parsed.diags.is_empty(), "{:?}\n{text}", parsed.diags);
    parsed.docs.into_iter().next().expect("a document")
}

#[test]
fn the_readme_workflow_uses_the_action_as_declared() {
    let action = load_action();
    let workflow = parse_yaml_text(&readme_yaml("GitHub Action"));
    let job = workflow
        .get("jobs")
        .and_then(Node::as_map)
        .and_then(|j| j.first())
        .map(|(_, v)| v)
        .expect("a job");
    let perms = job.get("permissions").expect("job permissions");
    assert_eq!(perms.get("contents").and_then(Node::as_str), Some("read"));
    assert_eq!(
        perms.get("security-events").and_then(Node::as_str),
        Some("write")
    );
    let steps = job.get("steps").and_then(Node::as_seq).expect("steps");
    let mut found = false;
    for step in steps {
        let uses = step.get("uses").and_then(Node::as_str).expect("uses");
        if uses.starts_with("actions/checkout@") {
            let sha = uses.split_once('@').map(|(_, r)| r).unwrap_or("");
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{uses}"
            );
        }
        if uses.starts_with("stacklint/stacklint@") {
            found = true;
            for key in step
                .get("with")
                .map(|w| w.keys().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                assert!(
                    action.inputs.contains_key(key),
                    "README passes undeclared input `{key}`"
                );
            }
        }
    }
    assert!(found, "the workflow uses the action");

    // The input table: one row per input, with its default.
    let readme =
        std::fs::read_to_string(Path::new(MANIFEST_DIR).join("README.md")).expect("README");
    for (name, default) in &action.inputs {
        let row = if default.is_empty() {
            format!("| `{name}` | |")
        } else {
            format!("| `{name}` | `{default}` |")
        };
        assert!(readme.contains(&row), "README input table lacks `{row}`");
    }
}

#[test]
fn the_readme_pre_commit_config_names_a_hook() {
    let config = parse_yaml_text(&readme_yaml("pre-commit"));
    let repo = &config.get("repos").and_then(Node::as_seq).expect("repos")[0];
    assert_eq!(
        repo.get("repo").and_then(Node::as_str),
        Some("https://github.com/stacklint/stacklint")
    );
    let (_, hooks_file) = parse_yaml(&Path::new(MANIFEST_DIR).join(".pre-commit-hooks.yaml"));
    let ids: Vec<&str> = hooks_file
        .as_seq()
        .expect("hooks")
        .iter()
        .filter_map(|h| h.get("id")?.as_str())
        .collect();
    for hook in repo.get("hooks").and_then(Node::as_seq).expect("hooks") {
        let id = hook.get("id").and_then(Node::as_str).expect("id");
        assert!(ids.contains(&id), "README names hook `{id}`");
    }
}

#[test]
fn the_config_input_is_read_and_fail_on_overrides_it() {
    if !can_simulate() {
        return;
    }
    let dir = setup("config", &[("fixtures/proxy-stack-before", BEFORE)]);
    let config = dir.join("workspace/ci config/stacklint.toml");
    std::fs::create_dir_all(config.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &config,
        "fail-on = \"never\"\nignore = [\"missing-resource-limits\"]\n",
    )
    .expect("write");
    let json = json_report_with(
        &dir.join("workspace"),
        &["--config", "ci config/stacklint.toml"],
        &[BEFORE],
    );

    // No fail-on input: the config file's `never` holds.
    let sim = simulate(
        &dir,
        &[("paths", BEFORE), ("config", "ci config/stacklint.toml")],
    );
    assert_eq!(sim.failed, None, "{}", sim.step("Run stacklint").stderr);
    assert_eq!(sim.outputs["exit-code"], "0");
    assert_eq!(sim.outputs["total"], count(&json, "findings"));
    assert_eq!(sim.outputs["warnings"], count(&json, "warnings"));
    assert!(
        !sim.summary.contains("SL103"),
        "ignored by the config: {}",
        sim.summary
    );
    assert!(sim.summary.contains("SL101"), "{}", sim.summary);

    // The input wins over the file.
    let sim = simulate(
        &dir,
        &[
            ("paths", BEFORE),
            ("config", "ci config/stacklint.toml"),
            ("fail-on", "error"),
        ],
    );
    assert_eq!(sim.outputs["exit-code"], "1");
    assert_eq!(sim.failed.map(|(_, code)| code), Some(1));
}
