//! `cargo bench --bench stages`: each stage of a run timed in-process with divan:
//! parse (YAML, NGINX, .env), walk (finding the projects of a tree), load (a
//! project: includes, interpolation, model), analyse, each rule on its own (named
//! as in the registry), and render (text, json, sarif). Inputs are the shapes of
//! benches/scale.py at two sizes (N anchored services, an NGINX config of N
//! servers, a .env of N keys), written once under the target directory, plus the
//! fixtures/ stacks (and, for the walk and the formats, ../shared/corpus when it
//! is there).
//!
//! `cargo bench --bench stages -- rules` runs only the benches whose path holds
//! `rules`; `-- --sample-count 10` trades precision for time.
//!
//! A rule's time excludes the ports of each service: the analysis computes them
//! on first use and shares them, so the first sample pays and the rest read them.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use divan::{black_box, Bencher};
use stacklint::analysis::Analysis;
use stacklint::cli::{load_all, Input};
use stacklint::compose::discover::discover;
use stacklint::compose::stack::Project;
use stacklint::finding::Findings;
use stacklint::output::{self, ProjectReport, Report};
use stacklint::rules::{Context, RuleOptions, RULES};
use stacklint::source::{FileId, FileKind, SourceFile};

fn main() {
    divan::main();
}

/// The two sizes of every generated input.
const SIZES: [usize; 2] = [500, 5000];

/// Every input a stage runs on: the generated stacks at both sizes ([`SIZES`]),
/// then the fixtures.
const INPUTS: [&str; 7] = [
    "services-500",
    "services-5000",
    "nginx-500",
    "nginx-5000",
    "env-500",
    "env-5000",
    "fixtures",
];

/// The inputs with findings to render: the fixtures, and ../shared/corpus (about
/// 600 projects) when it is beside the checkout (nothing to render otherwise).
const WITH_FINDINGS: [&str; 2] = ["fixtures", "corpus"];

// ---------- generated inputs (as benches/scale.py writes them) ----------

const DEFAULTS: &str = "x-defaults: &defaults\n  restart: unless-stopped\n  logging:\n    \
    driver: json-file\n    options: {max-size: 10m, max-file: \"3\"}\n  deploy:\n    \
    resources:\n      limits: {memory: 256M, cpus: \"0.5\"}\n  networks: [backend]\n";

fn services_yaml(n: usize) -> String {
    let mut out = String::from(DEFAULTS);
    out.push_str("services:\n");
    for i in 0..n {
        let port = 8000 + i % 100;
        out.push_str(&format!(
            "  svc{i}:\n    <<: *defaults\n    image: registry.example.com/team/app{}:1.{}\n    \
             command: [\"gunicorn\", \"-b\", \"0.0.0.0:{port}\", \"app:wsgi\"]\n    \
             environment:\n      SERVICE_NAME: svc{i}\n      DB_HOST: db{}\n      \
             LOG_LEVEL: ${{LOG_LEVEL:-info}}\n    healthcheck:\n      \
             test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:{port}/health\"]\n    \
             depends_on: [svc{}]\n",
            i % 50,
            i % 9,
            i % 10,
            i.saturating_sub(1)
        ));
    }
    out.push_str("networks:\n  backend: {}\n");
    out
}

const PROXY_COMPOSE: &str = "services:\n  proxy:\n    image: nginx:1.27\n    \
    volumes: [\"./nginx.conf:/etc/nginx/nginx.conf:ro\"]\n    depends_on: [app]\n  \
    app:\n    image: example/app:1\n";

fn nginx_conf(n: usize) -> String {
    let mut out = String::from("events {}\nhttp {\n");
    for i in 0..n {
        out.push_str(&format!(
            "  server {{\n    listen {};\n    server_name s{i}.example.com;\n    \
             location / {{ proxy_pass http://app:{}; }}\n  }}\n",
            10000 + i,
            8000 + i % 100
        ));
    }
    out.push_str("}\n");
    out
}

const ENV_COMPOSE: &str = "services:\n  app:\n    image: example/app:1\n    env_file: .env\n";

fn dotenv(n: usize) -> String {
    (0..n).map(|i| format!("KEY_{i}=value_{i}\n")).collect()
}

/// The files of a generated input: (name, text).
fn files_of(input: &str) -> Vec<(&'static str, String)> {
    let (shape, n) = input.split_once('-').unwrap_or((input, "0"));
    let n: usize = n.parse().unwrap_or(0);
    match shape {
        "services" => vec![("compose.yaml", services_yaml(n))],
        "nginx" => vec![
            ("compose.yaml", PROXY_COMPOSE.to_string()),
            ("nginx.conf", nginx_conf(n)),
        ],
        "env" => vec![
            ("compose.yaml", ENV_COMPOSE.to_string()),
            (".env", dotenv(n)),
        ],
        _ => Vec::new(),
    }
}

/// The directory of an input, written on first use (generated inputs under the
/// target directory, so that nothing is left elsewhere).
fn dir_of(input: &str) -> PathBuf {
    match input {
        "fixtures" => return Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        "corpus" => return Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        _ => {}
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("stages")
        .join(input);
    std::fs::create_dir_all(&dir).expect("create the bench directory");
    for (name, text) in files_of(input) {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).expect("write a bench input");
        }
    }
    dir
}

/// The projects of an input, loaded once and kept for the whole run (the
/// analyses and reports borrow them).
fn projects(input: &str) -> &'static [Project] {
    type Loaded = std::sync::Mutex<Vec<(String, &'static [Project])>>;
    static LOADED: LazyLock<Loaded> = LazyLock::new(Default::default);
    let mut loaded = LOADED.lock().expect("no bench panicked while loading");
    if let Some((_, p)) = loaded.iter().find(|(name, _)| name == input) {
        return p;
    }
    let p: &'static [Project] = Box::leak(load(input).into_boxed_slice());
    loaded.push((input.to_string(), p));
    p
}

fn load(input: &str) -> Vec<Project> {
    let dir = dir_of(input);
    if input == "corpus" && !dir.is_dir() {
        return Vec::new();
    }
    let input = Input {
        paths: vec![dir],
        ..Default::default()
    };
    load_all(&input).expect("the bench inputs load")
}

// ---------- parse ----------

mod parse {
    use super::*;

    fn source(kind: FileKind, text: String) -> SourceFile {
        SourceFile::new("bench", kind, text)
    }

    #[divan::bench(args = SIZES)]
    fn yaml(bencher: Bencher, n: usize) {
        let src = source(FileKind::Compose, services_yaml(n));
        bencher
            .counter(divan::counter::BytesCount::of_str(&src.text))
            .bench(|| stacklint::parse::yaml::parse(FileId(0), black_box(&src)));
    }

    #[divan::bench(args = SIZES)]
    fn nginx(bencher: Bencher, n: usize) {
        let src = source(FileKind::Nginx, nginx_conf(n));
        bencher
            .counter(divan::counter::BytesCount::of_str(&src.text))
            .bench(|| stacklint::parse::nginx::parse(FileId(0), black_box(&src)));
    }

    /// 10,000 keys is the size of issue 11's comparison with dotenv-linter.
    #[divan::bench(args = [SIZES[0], SIZES[1], 10_000])]
    fn env(bencher: Bencher, n: usize) {
        let src = source(FileKind::Env, dotenv(n));
        bencher
            .counter(divan::counter::BytesCount::of_str(&src.text))
            .bench(|| stacklint::parse::env::parse(FileId(0), black_box(&src)));
    }
}

// ---------- walk, load, analyse ----------

/// The directory walk alone: finding the projects of the fixtures and of
/// ../shared/corpus (about 750 directories; an error at once when it is not there).
#[divan::bench(args = WITH_FINDINGS, sample_count = 20)]
fn walk(bencher: Bencher, input: &str) {
    let dir = dir_of(input);
    bencher.bench(|| discover(std::slice::from_ref(&dir), &[]));
}

/// Reading, parsing and loading every project of an input (the file system included).
#[divan::bench(args = INPUTS, sample_count = 20)]
fn load_projects(bencher: Bencher, input: &str) {
    let dir = dir_of(input);
    bencher.bench(|| {
        load_all(&Input {
            paths: vec![dir.clone()],
            ..Default::default()
        })
    });
}

#[divan::bench(args = INPUTS, sample_count = 20)]
fn analyse(bencher: Bencher, input: &str) {
    let projects = projects(input);
    bencher.bench(|| {
        projects
            .iter()
            .map(|p| Analysis::of(black_box(p)))
            .collect::<Vec<_>>()
    });
}

// ---------- rules ----------

fn rule_names() -> Vec<&'static str> {
    RULES.iter().map(|r| r.meta().name).collect()
}

/// Each rule alone, on every input at once (generated stacks at both sizes and
/// the fixtures), with options at their defaults.
#[divan::bench(args = rule_names(), sample_count = 20)]
fn rules(bencher: Bencher, name: &str) {
    let Some(rule) = RULES.iter().find(|r| r.meta().name == name) else {
        return;
    };
    let options = RuleOptions::default();
    let analyses: Vec<(&Project, Analysis)> = INPUTS
        .iter()
        .flat_map(|i| projects(i).iter())
        .map(|p| (p, Analysis::of(p)))
        .collect();
    bencher.bench(|| {
        let mut out = Findings::new();
        for (p, a) in &analyses {
            let cx = Context {
                project: p,
                options: &options,
                graph: &a.graph,
                analysis: a,
                nginx: &a.nginx,
            };
            rule.check(&cx, &mut out);
        }
        out.into_parts()
    });
}

// ---------- the whole check, render ----------

/// Every enabled rule, the suppressions and the incident merge, as a run does.
#[divan::bench(args = INPUTS, sample_count = 20)]
fn check(bencher: Bencher, input: &str) {
    let projects = projects(input);
    let enabled = |m: &stacklint::rules::RuleMeta| stacklint::report::config::default_on(m);
    bencher.bench(|| {
        projects
            .iter()
            .map(|p| stacklint::report::check::run(black_box(p), &enabled))
            .collect::<Vec<_>>()
    });
}

/// The findings of an input, every rule enabled (so every format has work), as
/// a run hands them to the formats.
fn reports(input: &str) -> Vec<ProjectReport<'static>> {
    projects(input)
        .iter()
        .map(|p| {
            let mut findings = stacklint::report::check::run(p, &|_| true);
            let secrets = stacklint::analysis::secrets::secret_spans(p);
            stacklint::analysis::secrets::redact(&mut findings, &p.sources, &secrets);
            ProjectReport {
                sources: &p.sources,
                secrets,
                findings,
            }
        })
        .collect()
}

mod render {
    use super::*;

    fn report<'a>(reports: &'a [ProjectReport<'a>]) -> Report<'a> {
        Report::new(reports, reports.len(), 0, stacklint::rules::all().collect())
    }

    #[divan::bench(args = WITH_FINDINGS, sample_count = 20)]
    fn resolve(bencher: Bencher, input: &str) {
        let reports = reports(input);
        bencher.bench(|| output::resolve(black_box(&reports)));
    }

    #[divan::bench(args = WITH_FINDINGS, sample_count = 20)]
    fn text(bencher: Bencher, input: &str) {
        let reports = reports(input);
        let r = report(&reports);
        bencher.bench(|| output::text::render(black_box(&r.resolved), &r.summary, false, false));
    }

    #[divan::bench(args = WITH_FINDINGS, sample_count = 20)]
    fn json(bencher: Bencher, input: &str) {
        let reports = reports(input);
        let r = report(&reports);
        bencher.bench(|| output::json::render(black_box(&r)));
    }

    #[divan::bench(args = WITH_FINDINGS, sample_count = 20)]
    fn sarif(bencher: Bencher, input: &str) {
        let reports = reports(input);
        let r = report(&reports);
        bencher.bench(|| output::sarif::render(black_box(&r)));
    }
}
