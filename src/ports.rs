//! Which ports a service listens on, from evidence with spans: `ports`, `expose`,
//! server flags in `command`/`entrypoint`, `PORT`-style variables, NGINX `listen`,
//! Dockerfile `EXPOSE`, and the documented defaults of well-known images.
//!
//! Evidence comes in two strengths. A server flag (`gunicorn -b :5000`), an NGINX
//! `listen`, an image's documented default or a product's own port variable
//! (`PGPORT`) say which ports the server binds: they *define* the set. `ports`,
//! `expose`, `EXPOSE` and a generic `PORT` variable only say which ports are
//! published or documented; a server may listen on more (an admin port, a metrics
//! port). [`Listening::defined`] tells the two apart, and [`Listening::unknown`]
//! lists what stacklint could not read (a port from an unset variable, a config
//! file that may move the port, a command it does not understand).

use std::collections::HashMap;

use crate::compose::model::{parse_port_short, MountKind, Service};
use crate::parse::dockerfile::{Dockerfile, Instruction};
use crate::parse::yaml::Node;
use crate::source::Span;
use crate::stack::Project;

pub use shell::{Invocation, Text};

/// Where a piece of port evidence comes from; its `Display` names it in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvidenceKind {
    /// The container side of `ports`.
    Ports,
    /// `expose`.
    Expose,
    /// A port flag of a known server in `command` / `entrypoint`.
    Command,
    /// A `PORT`-style variable in `environment`.
    Environment,
    /// A `listen` directive of an NGINX config mounted into the service.
    NginxListen,
    /// `EXPOSE` in the service's Dockerfile.
    DockerfileExpose,
    /// A server flag in the Dockerfile's `CMD` / `ENTRYPOINT`.
    DockerfileCmd,
    /// The documented default port of a well-known image.
    ImageDefault,
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EvidenceKind::Ports => "ports",
            EvidenceKind::Expose => "expose",
            EvidenceKind::Command => "command",
            EvidenceKind::Environment => "environment",
            EvidenceKind::NginxListen => "nginx listen",
            EvidenceKind::DockerfileExpose => "Dockerfile EXPOSE",
            EvidenceKind::DockerfileCmd => "Dockerfile CMD",
            EvidenceKind::ImageDefault => "image default",
        })
    }
}

/// One reason to believe the service listens on `port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortEvidence {
    pub port: u16,
    pub kind: EvidenceKind,
    /// The text that says so (`None` for an image default, which is not written anywhere).
    pub span: Option<Span>,
}

/// Something that may make the service listen on a port stacklint cannot name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub why: String,
    pub span: Option<Span>,
}

/// Everything stacklint knows about the ports a service listens on.
#[derive(Clone, Debug, Default)]
pub struct Listening {
    /// Every piece of evidence, in the order of [`EvidenceKind`]'s documentation.
    pub evidence: Vec<PortEvidence>,
    /// Whether some evidence defines the ports the server binds (a server flag, an
    /// NGINX `listen`, an image default, a product's port variable), not only the
    /// ports it publishes or documents.
    pub defined: bool,
    /// What may add ports stacklint cannot name; a careful rule stays silent then.
    pub unknown: Vec<Unknown>,
    /// The well-known image the defaults come from (`postgres`), if any.
    pub product: Option<&'static str>,
    /// The `image:` (or Dockerfile `FROM`) text that names the product.
    pub product_span: Option<Span>,
    /// `PORT`-style variables set aside because the command binds a port
    /// explicitly (`gunicorn --bind :8000` with `PORT=5000` in the environment).
    pub outweighed: Vec<PortEvidence>,
    /// `--port N` of a program stacklint does not know, kept until a `PORT`-style
    /// variable of the same value confirms it.
    candidates: Vec<(u16, EvidenceKind, Span)>,
}

impl Listening {
    pub fn contains(&self, port: u16) -> bool {
        self.evidence.iter().any(|e| e.port == port)
    }

    /// Defined and complete: a port outside `evidence` is one the service does not listen on.
    pub fn is_known(&self) -> bool {
        self.defined && self.unknown.is_empty() && !self.evidence.is_empty()
    }

    fn add(&mut self, port: u16, kind: EvidenceKind, span: Option<Span>, defining: bool) {
        if port == 0 {
            return;
        }
        self.defined |= defining;
        // Duplicates are dropped once, at the end (see `listening`).
        self.evidence.push(PortEvidence { port, kind, span });
    }

    fn unknown(&mut self, why: impl Into<String>, span: Option<Span>) {
        // Duplicates are dropped once, at the end (see `listening`).
        self.unknown.push(Unknown {
            why: why.into(),
            span,
        });
    }
}

/// Every piece of evidence about the ports `svc` listens on, in the order above.
pub fn listening_ports(p: &Project, svc: &Service) -> Vec<PortEvidence> {
    listening(p, svc).evidence
}

/// Ranges wider than this are not expanded into evidence (a media server's RTP
/// range); the service is then reported as listening on ports stacklint cannot list.
const MAX_RANGE: u32 = 1024;

/// The node of service `name` in the merged tree.
pub fn service_node<'a>(p: &'a Project, name: &str) -> Option<&'a Node> {
    p.service_node(name)
}

/// What stacklint knows about the ports `svc` listens on.
pub fn listening(p: &Project, svc: &Service) -> Listening {
    let mut l = Listening::default();
    let node = service_node(p, &svc.name.value);
    let env = RuntimeEnv::of(p, svc, node);
    let df = p.dockerfiles.get(&svc.name.value);
    ports_and_expose(p, svc, node, &mut l);
    let product = product_of(p, svc, node);
    let cmds = Commands::of(p, node, df.map(|(_, d)| d));
    match product {
        Some((prod, span)) => {
            l.product = Some(prod.name);
            l.product_span = Some(span);
            product_ports(p, svc, node, df.map(|(_, d)| d), prod, &cmds, &env, &mut l);
        }
        None => server_flags(&cmds, &env, &mut l),
    }
    // A server flag in the command decides the port; a `PORT`-style variable that
    // merely exists in the environment does not add one.
    // Not when an entrypoint script runs first: it may read the variable itself.
    let bound = product.is_none()
        && !cmds.entrypoint_script(&env)
        && l.evidence
            .iter()
            .any(|e| matches!(e.kind, EvidenceKind::Command | EvidenceKind::DockerfileCmd));
    let mut from_env = Listening::default();
    generic_env(svc, &env, &mut from_env);
    if bound {
        // A variable that agrees with the command stays as evidence (`--port $PORT`).
        let (agree, other): (Vec<PortEvidence>, Vec<PortEvidence>) = from_env
            .evidence
            .into_iter()
            .partition(|e| l.contains(e.port));
        l.evidence.extend(agree);
        l.outweighed = other;
    } else {
        l.defined |= from_env.defined;
        l.evidence.extend(from_env.evidence);
        l.unknown.extend(from_env.unknown);
        // `node server.js --port 3000` with `PORT=3000`: the two agree on the port.
        for (port, kind, span) in std::mem::take(&mut l.candidates) {
            let confirmed = l
                .evidence
                .iter()
                .any(|e| e.kind == EvidenceKind::Environment && e.port == port);
            if confirmed {
                l.add(port, kind, Some(span), true);
            }
        }
    }
    if let Some((_, d)) = df {
        dockerfile_expose(d, &env, &mut l);
    }
    // Keep the documented order of kinds; within a kind, the order found.
    l.evidence.sort_by_key(|e| e.kind);
    let mut seen = std::collections::HashSet::new();
    l.evidence.retain(|e| seen.insert((e.port, e.kind, e.span)));
    let mut seen = std::collections::HashSet::new();
    l.unknown.retain(|u| seen.insert((u.why.clone(), u.span)));
    l
}

// ---------------------------------------------------------------------------
// `ports` and `expose`

fn ports_and_expose(p: &Project, svc: &Service, node: Option<&Node>, l: &mut Listening) {
    let items = node
        .and_then(|n| n.get("ports"))
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    for item in items {
        if let Some(s) = item.as_str() {
            let t = Text::from_node(item, &p.sources);
            // The container side is always the last `:` field, before `/proto`.
            let body_end = s.rfind('/').unwrap_or(s.len());
            let start = s[..body_end].rfind(':').map(|i| i + 1).unwrap_or(0);
            let proto = s.get(body_end + 1..).unwrap_or("tcp").trim();
            if !proto.eq_ignore_ascii_case("tcp") {
                continue;
            }
            if t.tainted(0, s.len()) {
                l.unknown("a port from an unset variable", Some(t.span(0, s.len())));
                continue;
            }
            match parse_port_short(s) {
                Some((_, _, target, _)) => {
                    add_range(
                        l,
                        target.start,
                        target.end,
                        EvidenceKind::Ports,
                        t.span(start, body_end),
                    );
                }
                None => l.unknown("a port stacklint cannot read", Some(item.span)),
            }
        } else if let Some(target) = item.get("target") {
            let proto = item.get("protocol").and_then(Node::as_str).unwrap_or("tcp");
            if !proto.eq_ignore_ascii_case("tcp") {
                continue;
            }
            let t = Text::from_node(target, &p.sources);
            match parse_range(&t.s) {
                Some((a, b)) if !t.any_taint() => {
                    add_range(l, a, b, EvidenceKind::Ports, t.span(0, t.s.len()))
                }
                _ => l.unknown("a port stacklint cannot read", Some(target.span)),
            }
        }
    }
    let _ = svc;
    let expose = node.and_then(|n| n.get("expose"));
    let items: Vec<&Node> = match expose {
        Some(n) => match n.as_seq() {
            Some(s) => s.iter().collect(),
            None => vec![n],
        },
        None => Vec::new(),
    };
    for item in items {
        let Some(s) = item.as_str() else { continue };
        let t = Text::from_node(item, &p.sources);
        let (body, proto) = s.split_once('/').unwrap_or((s, "tcp"));
        if !proto.trim().eq_ignore_ascii_case("tcp") {
            continue;
        }
        match parse_range(body) {
            Some((a, b)) if !t.tainted(0, body.len()) => {
                add_range(l, a, b, EvidenceKind::Expose, t.span(0, body.len()))
            }
            _ => l.unknown("an exposed port stacklint cannot read", Some(item.span)),
        }
    }
}

fn parse_range(s: &str) -> Option<(u16, u16)> {
    let s = s.trim();
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a: u16 = a.trim().parse().ok()?;
    let b: u16 = b.trim().parse().ok()?;
    (a <= b).then_some((a, b))
}

fn add_range(l: &mut Listening, a: u16, b: u16, kind: EvidenceKind, span: Span) {
    if u32::from(b) - u32::from(a) >= MAX_RANGE {
        l.unknown(format!("the range {a}-{b} is too wide to list"), Some(span));
        return;
    }
    for port in a..=b {
        l.add(port, kind, Some(span), false);
    }
}

// ---------------------------------------------------------------------------
// Dockerfile EXPOSE

fn dockerfile_expose(d: &Dockerfile, env: &RuntimeEnv, l: &mut Listening) {
    for ins in image_instructions(d)
        .into_iter()
        .filter(|i| i.name == "EXPOSE")
    {
        for w in &ins.args {
            let (body, proto) = w.value.split_once('/').unwrap_or((&w.value, "tcp"));
            if !proto.eq_ignore_ascii_case("tcp") {
                continue;
            }
            let span = Span::new(w.span.file, w.span.start, w.span.start + body.len());
            if let Some((a, b)) = parse_range(body) {
                add_range(l, a, b, EvidenceKind::DockerfileExpose, span);
            } else if let Some(port) = env.resolve(body) {
                l.add(port, EvidenceKind::DockerfileExpose, Some(span), false);
            } else {
                // `EXPOSE $PORT` from an ARG: the value is decided at build time.
                l.unknown("an EXPOSE stacklint cannot read", Some(span));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The environment a container runs with (for `$PORT` in commands)

/// The variables of the container at run time that stacklint can read: the
/// Dockerfile's `ENV`, then the service's `env_file`s, then `environment`.
#[derive(Debug, Default)]
pub struct RuntimeEnv {
    /// Name → (value, when known; where it is set).
    vars: HashMap<String, (Option<String>, Span)>,
}

impl RuntimeEnv {
    pub fn of(p: &Project, svc: &Service, node: Option<&Node>) -> RuntimeEnv {
        let mut env = RuntimeEnv::default();
        if let Some((_, d)) = p.dockerfiles.get(&svc.name.value) {
            for ins in image_instructions(d)
                .into_iter()
                .filter(|i| i.name == "ENV")
            {
                for (k, v, span) in dockerfile_env(ins) {
                    let known = (!v.contains('$')).then_some(v);
                    env.vars.insert(k, (known, span));
                }
            }
        }
        for r in &svc.env_files {
            let shown = crate::paths::display(&r.resolved);
            let Some(id) = p.sources.find(&shown) else {
                continue;
            };
            let Some(file) = p.env_files.iter().find(|e| e.env.file == id) else {
                continue;
            };
            for e in &file.env.parsed.entries {
                let known = (!e.is_inherited() && !e.value.contains('$')).then(|| e.value.clone());
                env.vars.insert(e.key.clone(), (known, e.value_span));
            }
        }
        let entries = node
            .and_then(|n| n.get("environment"))
            .and_then(Node::as_map)
            .unwrap_or(&[]);
        for (k, v) in entries {
            let Some(key) = k.as_str() else { continue };
            let known = v.as_str().and_then(|s| {
                let t = Text::from_node(v, &p.sources);
                (!t.any_taint() && !s.contains('$')).then(|| s.to_string())
            });
            let span = if v.is_null() {
                k.span
            } else {
                Text::from_node(v, &p.sources).full_span()
            };
            env.vars.insert(key.to_string(), (known, span));
        }
        env
    }

    /// The value of `name` and where it is set; the value is `None` when it is set
    /// in a way stacklint cannot read (inherited from the shell, or from a variable).
    /// Every variable with a known value.
    pub fn known(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter_map(|(k, (v, _))| Some((k.as_str(), v.as_deref()?)))
    }

    pub fn get(&self, name: &str) -> Option<(Option<&str>, Span)> {
        self.vars.get(name).map(|(v, s)| (v.as_deref(), *s))
    }

    /// A port written as digits, or as `$NAME` / `${NAME}` / `${NAME:-8000}` with
    /// `NAME` set to digits in the container's environment.
    pub fn resolve(&self, s: &str) -> Option<u16> {
        if let Some(p) = parse_port_number(s) {
            return Some(p);
        }
        let name = runtime_var_name(s)?;
        let (v, _) = self.vars.get(name)?;
        parse_port_number(v.as_deref()?)
    }
}

/// `$NAME`, `${NAME}`, `${NAME:-x}`, `${NAME-x}` → `NAME` (only a whole-word variable).
fn runtime_var_name(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('$')?;
    let name = match rest.strip_prefix('{') {
        Some(inner) => {
            let inner = inner.strip_suffix('}')?;
            let end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, op) = inner.split_at(end);
            if !(op.is_empty() || op.starts_with(":-") || op.starts_with('-')) {
                return None;
            }
            name
        }
        None => rest,
    };
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    ok.then_some(name)
}

fn parse_port_number(s: &str) -> Option<u16> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 5 {
        return None;
    }
    s.parse().ok()
}

/// `ENV A=1 B=2` or `ENV A 1`: (key, value, span of the value).
fn dockerfile_env(ins: &Instruction) -> Vec<(String, String, Span)> {
    let mut out = Vec::new();
    if ins.args.len() >= 2 && !ins.args[0].value.contains('=') {
        let v: Vec<&str> = ins.args[1..].iter().map(|w| w.value.as_str()).collect();
        let span = ins.args[1].span.cover(&ins.args[ins.args.len() - 1].span);
        out.push((ins.args[0].value.clone(), unquote(&v.join(" ")), span));
        return out;
    }
    for w in &ins.args {
        if let Some((k, v)) = w.value.split_once('=') {
            let start = w.span.start + k.len() + 1;
            out.push((
                k.to_string(),
                unquote(v),
                Span::new(w.span.file, start, w.span.end),
            ));
        }
    }
    out
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    s.to_string()
}

// ---------------------------------------------------------------------------
// `PORT`-style variables

/// Variables that set the port of the service itself, whatever it runs.
const GENERIC_PORT_VARS: &[&str] = &[
    "PORT",
    "HTTP_PORT",
    "APP_PORT",
    "SERVER_PORT",
    "LISTEN_PORT",
    "WEB_PORT",
    "FLASK_RUN_PORT",
    "UVICORN_PORT",
];

fn generic_env(svc: &Service, env: &RuntimeEnv, l: &mut Listening) {
    // `<SERVICE>_PORT` names the service's own port (`API_PORT` in `api`); other
    // `*_PORT` names (`POSTGRES_PORT`, `REDIS_PORT`) are the ports of other services.
    let own = format!(
        "{}_PORT",
        svc.name.value.to_ascii_uppercase().replace(['-', '.'], "_")
    );
    let mut names: Vec<&str> = GENERIC_PORT_VARS.to_vec();
    names.push(&own);
    for name in names {
        let Some((value, span)) = env.get(name) else {
            continue;
        };
        match value.and_then(parse_port_number) {
            Some(port) => l.add(port, EvidenceKind::Environment, Some(span), false),
            None => l.unknown(
                format!("`{name}` is set to a value stacklint cannot read"),
                Some(span),
            ),
        }
    }
    // ASP.NET Core: `ASPNETCORE_HTTP_PORTS=8080;8081`, `ASPNETCORE_URLS=http://+:80`.
    if let Some((value, span)) = env.get("ASPNETCORE_HTTP_PORTS") {
        match value {
            Some(v) => {
                for part in v.split([';', ',']).filter(|s| !s.trim().is_empty()) {
                    match parse_port_number(part) {
                        Some(port) => l.add(port, EvidenceKind::Environment, Some(span), false),
                        None => l.unknown("`ASPNETCORE_HTTP_PORTS` cannot be read", Some(span)),
                    }
                }
            }
            None => l.unknown("`ASPNETCORE_HTTP_PORTS` cannot be read", Some(span)),
        }
    }
    if let Some((value, span)) = env.get("ASPNETCORE_URLS") {
        match value {
            Some(v) => {
                for part in v.split(';').filter(|s| !s.trim().is_empty()) {
                    let t = Text::plain(part.trim().to_string(), span);
                    match shell::split_addr(&t, 0, t.s.len()) {
                        Some((_, Some((a, b)))) => match parse_port_number(&t.s[a..b]) {
                            Some(port) => l.add(port, EvidenceKind::Environment, Some(span), false),
                            None => l.unknown("`ASPNETCORE_URLS` cannot be read", Some(span)),
                        },
                        _ => {
                            let port = if part.trim().starts_with("https") {
                                443
                            } else {
                                80
                            };
                            l.add(port, EvidenceKind::Environment, Some(span), false)
                        }
                    }
                }
            }
            None => l.unknown("`ASPNETCORE_URLS` cannot be read", Some(span)),
        }
    }
    // `GUNICORN_CMD_ARGS="--bind=0.0.0.0:8000"` is read by gunicorn like its flags.
    if let Some((value, span)) = env.get("GUNICORN_CMD_ARGS") {
        match value {
            Some(v) => {
                let t = Text::plain(v.to_string(), span);
                for cmd in shell::split(&t) {
                    let inv = Invocation {
                        prog: "gunicorn".into(),
                        prog_word: Text::plain("gunicorn".into(), span),
                        args: cmd.words,
                        background: false,
                        writes_file: false,
                    };
                    if let Some(info) = server::parse(&inv, env) {
                        for f in info.found {
                            match f {
                                server::Found::Port(port, _) => {
                                    l.add(port, EvidenceKind::Environment, Some(span), false)
                                }
                                server::Found::Unknown(why, _) => l.unknown(why, Some(span)),
                            }
                        }
                    }
                }
            }
            None => l.unknown("`GUNICORN_CMD_ARGS` cannot be read", Some(span)),
        }
    }
}

// ---------------------------------------------------------------------------
// Commands: compose `command` / `entrypoint` and the Dockerfile's CMD / ENTRYPOINT

/// One command as written: its words, already split when it is a list (exec form),
/// or one string a shell splits.
#[derive(Clone, Debug)]
pub enum CommandSrc {
    Exec(Vec<Text>),
    Shell(Text),
}

impl CommandSrc {
    /// The compose `command` / `entrypoint` / healthcheck form of a node.
    pub fn from_node(n: &Node, sources: &crate::source::Sources) -> Option<CommandSrc> {
        if let Some(items) = n.as_seq() {
            let words: Vec<Text> = items
                .iter()
                .filter(|i| i.as_str().is_some())
                .map(|i| Text::from_node(i, sources))
                .collect();
            return Some(CommandSrc::Exec(words));
        }
        n.as_str()?;
        Some(CommandSrc::Shell(Text::from_node(n, sources)))
    }

    /// A Dockerfile `CMD` / `ENTRYPOINT`: JSON form is exec form, the rest a shell string.
    fn from_instruction(ins: &Instruction, sources: &crate::source::Sources) -> CommandSrc {
        let src = sources.get(ins.span.file);
        let json = ins
            .args
            .first()
            .is_some_and(|w| src.slice(&w.span).starts_with('"'));
        let words: Vec<Text> = ins
            .args
            .iter()
            .map(|w| Text::from_word(&w.value, w.span, sources))
            .collect();
        if json {
            CommandSrc::Exec(words)
        } else {
            CommandSrc::Shell(Text::join(&words, ins.span))
        }
    }

    /// The text of the whole command.
    pub fn full_span(&self) -> Option<Span> {
        match self {
            CommandSrc::Exec(w) => {
                let (a, b) = (w.first()?.full_span(), w.last()?.full_span());
                (a.file == b.file).then(|| Span::new(a.file, a.start, b.end))
            }
            CommandSrc::Shell(t) => Some(t.full_span()),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            CommandSrc::Exec(w) => w.is_empty(),
            CommandSrc::Shell(t) => t.s.trim().is_empty(),
        }
    }

    /// The first word, as the program sees it.
    pub fn first_word(&self) -> Option<Text> {
        match self {
            CommandSrc::Exec(w) => w.first().cloned(),
            CommandSrc::Shell(t) => shell::split(t)
                .into_iter()
                .next()
                .and_then(|c| c.words.into_iter().next()),
        }
    }

    /// Every word (the shell form split like a shell does, operators dropped).
    pub fn words(&self) -> Vec<Text> {
        match self {
            CommandSrc::Exec(w) => w.clone(),
            CommandSrc::Shell(t) => shell::split(t).into_iter().flat_map(|c| c.words).collect(),
        }
    }

    /// The programs it runs, through `sh -c`, `exec`, `gosu` and the like.
    pub fn invocations(&self) -> Vec<Invocation> {
        match self {
            CommandSrc::Exec(w) => shell::expand_words(w),
            CommandSrc::Shell(t) => shell::invocations(t),
        }
    }
}

/// The instructions the final image is made of, in build order: the stages the
/// last one builds on (`FROM base`) first.
fn image_instructions(d: &Dockerfile) -> Vec<&Instruction> {
    crate::analysis::identity::final_instructions(d)
        .into_iter()
        .rev()
        .flatten()
        .collect()
}

/// The image's ENTRYPOINT and CMD, inherited from earlier stages. A stage that sets
/// ENTRYPOINT without a CMD of its own drops the CMD it inherits, as the builder does.
fn image_commands(d: &Dockerfile) -> (Option<&Instruction>, Option<&Instruction>) {
    let (mut ep, mut cmd, mut cmd_done) = (None, None, false);
    for stage in crate::analysis::identity::final_instructions(d) {
        let stage_cmd = stage.iter().rev().find(|i| i.name == "CMD");
        let stage_ep = stage.iter().rev().find(|i| i.name == "ENTRYPOINT");
        if !cmd_done && stage_cmd.is_some() {
            cmd = stage_cmd;
            cmd_done = true;
        }
        if ep.is_none() && stage_ep.is_some() {
            ep = stage_ep;
            cmd_done = true;
        }
    }
    (ep, cmd)
}

/// The commands that decide what runs in the container.
#[derive(Debug, Default)]
struct Commands {
    /// compose `entrypoint` (replaces the image's, and drops its CMD).
    entrypoint: Option<CommandSrc>,
    /// compose `command` (replaces the image's CMD).
    command: Option<CommandSrc>,
    /// The Dockerfile's ENTRYPOINT, when compose keeps it.
    df_entrypoint: Option<CommandSrc>,
    /// The Dockerfile's CMD, when compose keeps it.
    df_cmd: Option<CommandSrc>,
}

impl Commands {
    fn of(p: &Project, node: Option<&Node>, df: Option<&Dockerfile>) -> Commands {
        let get = |k: &str| {
            node.and_then(|n| n.get(k))
                .and_then(|n| CommandSrc::from_node(n, &p.sources))
        };
        let mut c = Commands {
            entrypoint: get("entrypoint"),
            command: get("command"),
            ..Default::default()
        };
        if let Some(d) = df {
            let (ep, cmd) = image_commands(d);
            if c.entrypoint.is_none() {
                c.df_entrypoint = ep
                    .map(|i| CommandSrc::from_instruction(i, &p.sources))
                    .filter(|c| !c.is_empty());
                if c.command.is_none() {
                    c.df_cmd = cmd
                        .map(|i| CommandSrc::from_instruction(i, &p.sources))
                        .filter(|c| !c.is_empty());
                }
            }
        }
        c
    }

    /// Whether an entrypoint (compose's, or the Dockerfile's that compose keeps)
    /// runs something other than a server or an init such as `tini`: a script
    /// that may read the environment before it hands over to the command.
    fn entrypoint_script(&self, env: &RuntimeEnv) -> bool {
        let Some(e) = self.entrypoint.as_ref().or(self.df_entrypoint.as_ref()) else {
            return false;
        };
        // The words, not the invocations: those skip `docker-entrypoint.sh`, which
        // in a local build is the project's own script.
        let runs_server = e
            .invocations()
            .iter()
            .any(|inv| server::parse(inv, env).is_some());
        !runs_server
            && e.words().iter().any(|w| {
                let b = shell::basename(&w.s);
                !w.s.starts_with('-')
                    && !matches!(
                        b.as_str(),
                        "tini" | "tini-static" | "dumb-init" | "catatonit"
                    )
            })
    }

    /// Each command with the evidence kind it gives.
    fn all(&self) -> Vec<(&CommandSrc, EvidenceKind)> {
        [
            (&self.entrypoint, EvidenceKind::Command),
            (&self.command, EvidenceKind::Command),
            (&self.df_entrypoint, EvidenceKind::DockerfileCmd),
            (&self.df_cmd, EvidenceKind::DockerfileCmd),
        ]
        .into_iter()
        .filter_map(|(c, k)| c.as_ref().map(|c| (c, k)))
        .collect()
    }
}

/// Programs that start nothing that listens, so a command running them besides
/// the server is still readable.
fn is_benign(prog: &str) -> bool {
    matches!(
        prog,
        "echo"
            | "printf"
            | "sleep"
            | "true"
            | "false"
            | "set"
            | "export"
            | "ulimit"
            | "umask"
            | "cd"
            | "test"
            | "["
            | "[["
            | "wait"
            | ":"
            | "trap"
            | "mkdir"
            | "chown"
            | "chmod"
            | "date"
            | "id"
            | "whoami"
    )
}

/// A generic service: server flags found in its commands.
fn server_flags(cmds: &Commands, env: &RuntimeEnv, l: &mut Listening) {
    // `ENTRYPOINT ["uvicorn", "app"]` with `command: ["--port", "9000"]`: the command
    // is more flags of the entrypoint's server; read the two as one command line.
    let ep = cmds.entrypoint.as_ref().or(cmds.df_entrypoint.as_ref());
    let cmd = cmds.command.as_ref().or(cmds.df_cmd.as_ref());
    if let (Some(e), Some(c)) = (ep, cmd) {
        if c.first_word().is_some_and(|w| w.s.starts_with('-')) {
            let mut words = e.words();
            words.extend(c.words());
            let kind = if cmds.entrypoint.is_some() || cmds.command.is_some() {
                EvidenceKind::Command
            } else {
                EvidenceKind::DockerfileCmd
            };
            let joined = CommandSrc::Exec(words);
            let others: Vec<(&CommandSrc, EvidenceKind)> = cmds
                .all()
                .into_iter()
                .filter(|(x, _)| !std::ptr::eq(*x, e) && !std::ptr::eq(*x, c))
                .collect();
            for (x, k) in std::iter::once((&joined, kind)).chain(others) {
                read_generic(x, k, env, l);
            }
            return;
        }
    }
    for (cmd, kind) in cmds.all() {
        read_generic(cmd, kind, env, l);
    }
}

fn read_generic(cmd: &CommandSrc, kind: EvidenceKind, env: &RuntimeEnv, l: &mut Listening) {
    for inv in &cmd.invocations() {
        match server::parse(inv, env) {
            Some(info) => apply_found(l, &info, kind),
            None if !is_benign(&inv.prog) => {
                if inv.background {
                    // Something else started in the background may listen too.
                    l.unknown(
                        format!("`{}` runs in the background", inv.prog),
                        Some(inv.prog_word.full_span()),
                    );
                }
                for (port, span) in generic_port_args(inv, env) {
                    l.candidates.push((port, kind, span));
                }
            }
            None => {}
        }
    }
}

/// A background-job worker the service runs instead of a server.
#[derive(Clone, Debug)]
pub struct Worker {
    /// How it is named in messages: `celery worker`, `sidekiq`.
    pub name: String,
    /// The command (compose `command` / `entrypoint`, or the Dockerfile's) that runs it.
    pub span: Span,
    /// A check that asks the worker itself, for the help text.
    pub check: Option<&'static str>,
}

/// What a worker program is, from its invocation: (name, a check of its own).
fn worker_of(inv: &Invocation) -> Option<(String, Option<&'static str>)> {
    let first = inv.args.iter().find(|w| !w.s.starts_with('-'));
    let has = |x: &str| inv.args.iter().any(|w| w.s == x);
    let prog = inv.prog.as_str();
    match prog {
        "sidekiq" | "sidekiqswarm" => Some((prog.into(), None)),
        // Subcommands that listen on nothing; `flower` and `inspect` are not workers.
        "celery" if has("worker") && !has("flower") => Some((
            "celery worker".into(),
            Some("celery -A <app> inspect ping -d celery@$$HOSTNAME"),
        )),
        "celery" if has("beat") && !has("flower") => Some(("celery beat".into(), None)),
        "rq" if first.is_some_and(|w| w.s == "worker") => Some(("rq worker".into(), None)),
        "rqworker" | "dramatiq" | "arq" | "huey_consumer" | "huey_consumer.py" => {
            Some((prog.into(), None))
        }
        "manage.py" | "django-admin"
            if first.is_some_and(|w| {
                matches!(
                    w.s.as_str(),
                    "rqworker" | "qcluster" | "run_huey" | "process_tasks"
                )
            }) =>
        {
            let sub = first.map(|w| w.s.clone()).unwrap_or_default();
            Some((format!("manage.py {sub}"), None))
        }
        "php" | "artisan"
            if inv.args.iter().any(|w| {
                matches!(
                    w.s.as_str(),
                    "queue:work" | "queue:listen" | "horizon" | "schedule:work"
                )
            }) =>
        {
            let sub = inv
                .args
                .iter()
                .find(|w| w.s.contains(':') || w.s == "horizon")
                .map(|w| w.s.clone())
                .unwrap_or_default();
            Some((format!("artisan {sub}"), None))
        }
        // `python -m app.worker`, `python worker.py`.
        "worker.py" => Some(("worker.py".into(), None)),
        m if m.ends_with(".worker") => Some((format!("python -m {m}"), None)),
        _ => None,
    }
}

/// The worker the service runs, when everything its command starts is a known
/// worker (besides harmless setup such as `echo` or `sleep`): such a command
/// listens on no port.
pub fn worker(p: &Project, svc: &Service) -> Option<Worker> {
    let node = service_node(p, &svc.name.value);
    let df = p.dockerfiles.get(&svc.name.value).map(|(_, d)| d);
    let cmds = Commands::of(p, node, df);
    // The command that runs: an entrypoint script of the image usually ends with
    // `exec "$@"`, so with a compose `command` that is what runs.
    let (cmd, span) = match (&cmds.entrypoint, &cmds.command) {
        (Some(e), _) if !is_wrapper_only(e) => (e, node?.get("entrypoint")?.span),
        (_, Some(c)) => (c, node?.get("command")?.span),
        _ => {
            let c = cmds.df_cmd.as_ref()?;
            if cmds
                .df_entrypoint
                .as_ref()
                .is_some_and(|e| !is_wrapper_only(e))
            {
                return None;
            }
            (c, c.full_span()?)
        }
    };
    let mut found = None;
    for inv in cmd.invocations() {
        if is_benign(&inv.prog) {
            continue;
        }
        match worker_of(&inv) {
            Some(w) if !inv.background => found = Some(w),
            _ => return None,
        }
    }
    let (name, check) = found?;
    Some(Worker { name, span, check })
}

/// An entrypoint that only hands over to the command: an init (`tini`,
/// `dumb-init`) or an entrypoint script.
fn is_wrapper_only(c: &CommandSrc) -> bool {
    let words = c.words();
    !words.is_empty()
        && words.iter().all(|w| {
            let b = shell::basename(&w.s);
            w.s.starts_with('-')
                || matches!(b.as_str(), "tini" | "dumb-init" | "--")
                || b.ends_with(".sh")
                || b.contains("entrypoint")
        })
}

/// `--port 3000`, `--port=3000` or `-p 3000` of a program stacklint does not know:
/// only a hint, until something else says the same.
fn generic_port_args(inv: &Invocation, env: &RuntimeEnv) -> Vec<(u16, Span)> {
    let mut out = Vec::new();
    for (k, w) in inv.args.iter().enumerate() {
        let (value, off) = match w.s.as_str() {
            "--port" | "-p" => match inv.args.get(k + 1) {
                Some(v) => (v, 0),
                None => continue,
            },
            s if s.starts_with("--port=") => (w, "--port=".len()),
            _ => continue,
        };
        if let server::Found::Port(port, span) = server::port_text(value, off, value.s.len(), env) {
            out.push((port, span));
        }
    }
    out
}

fn apply_found(l: &mut Listening, info: &server::Info, kind: EvidenceKind) {
    if info.found.is_empty() {
        let why = match info.config {
            Some(_) => format!("`{}` reads its port from a config file", info.program),
            None => format!("`{}` listens on a port set elsewhere", info.program),
        };
        l.unknown(why, info.config.or(Some(info.span)));
    }
    for f in &info.found {
        match f {
            server::Found::Port(port, span) => l.add(*port, kind, Some(*span), true),
            server::Found::Unknown(why, span) => l.unknown(why.clone(), Some(*span)),
        }
    }
}

// ---------------------------------------------------------------------------
// Well-known images

/// How a product's port variable is written.
#[derive(Clone, Copy, Debug)]
enum VarForm {
    /// `PGPORT=5433`
    Port,
    /// `MINIO_CONSOLE_ADDRESS=:9001`
    Addr,
}

#[derive(Debug)]
pub struct Product {
    pub name: &'static str,
    /// Image paths without registry, `library/` and tag (`postgres`, `bitnami/redis`).
    images: &'static [&'static str],
    /// Documented ports; the first is the one a port flag or variable replaces.
    ports: &'static [u16],
    /// Programs that are this product's server, as [`server::parse`] names them.
    servers: &'static [&'static str],
    /// The image's entrypoint runs the server with a command that is only flags
    /// (`command: ["--appendonly", "yes"]`), or with any command that is not a
    /// program (`server /data` for MinIO).
    args_only: ArgsOnly,
    /// Variables that set the main port (`*` matches any text).
    vars: &'static [(&'static str, VarForm)],
    /// Variables that add ports.
    extra_vars: &'static [(&'static str, VarForm)],
    /// Files the server reads by itself in which a port may be set; a mount there
    /// makes the port unknown unless a flag or variable sets it.
    config_paths: &'static [&'static str],
    /// A port the product picks at random unless this flag sets it.
    random_unless: Option<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArgsOnly {
    /// Any command is a program.
    No,
    /// A command whose first word starts with `-` is passed to the server.
    Flags,
    /// Every command is passed to the server unless it starts with the server itself.
    Always,
}

const NO_VARS: &[(&str, VarForm)] = &[];

static PRODUCTS: &[Product] = &[
    Product {
        name: "postgres",
        images: &[
            "postgres",
            "postgis/postgis",
            "timescale/timescaledb",
            "pgvector/pgvector",
            "ankane/pgvector",
            "supabase/postgres",
            "pgautoupgrade/pgautoupgrade",
        ],
        ports: &[5432],
        servers: &["postgres"],
        args_only: ArgsOnly::Flags,
        vars: &[("PGPORT", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "bitnami/postgresql",
        images: &["bitnami/postgresql"],
        ports: &[5432],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[("POSTGRESQL_PORT_NUMBER", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &["/opt/bitnami/postgresql/conf", "/bitnami/postgresql/conf"],
        random_unless: None,
    },
    Product {
        name: "redis",
        images: &[
            "redis",
            "valkey/valkey",
            "redis/redis-stack-server",
            "eqalpha/keydb",
        ],
        ports: &[6379],
        servers: &["redis-server"],
        args_only: ArgsOnly::Flags,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "redis-stack",
        images: &["redis/redis-stack"],
        ports: &[6379, 8001],
        servers: &["redis-server"],
        args_only: ArgsOnly::No,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "bitnami/redis",
        images: &["bitnami/redis", "bitnami/valkey"],
        ports: &[6379],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[
            ("REDIS_PORT_NUMBER", VarForm::Port),
            ("VALKEY_PORT_NUMBER", VarForm::Port),
        ],
        extra_vars: NO_VARS,
        config_paths: &[
            "/opt/bitnami/redis/mounted-etc",
            "/opt/bitnami/redis/etc",
            "/opt/bitnami/valkey/mounted-etc",
            "/opt/bitnami/valkey/etc",
        ],
        random_unless: None,
    },
    Product {
        name: "mysql",
        images: &[
            "mysql",
            "mysql/mysql-server",
            "percona",
            "percona/percona-server",
        ],
        ports: &[3306, 33060],
        servers: &["mysqld"],
        args_only: ArgsOnly::Flags,
        vars: &[("MYSQL_TCP_PORT", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &[
            "/etc/mysql/conf.d",
            "/etc/mysql/my.cnf",
            "/etc/my.cnf",
            "/etc/mysql/mysql.conf.d",
            "/etc/my.cnf.d",
        ],
        random_unless: None,
    },
    Product {
        name: "mariadb",
        images: &["mariadb"],
        ports: &[3306],
        servers: &["mysqld"],
        args_only: ArgsOnly::Flags,
        vars: &[("MYSQL_TCP_PORT", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &[
            "/etc/mysql/conf.d",
            "/etc/mysql/my.cnf",
            "/etc/mysql/mariadb.conf.d",
            "/etc/mysql/mariadb.cnf",
        ],
        random_unless: None,
    },
    Product {
        name: "bitnami/mysql",
        images: &["bitnami/mysql", "bitnami/mariadb"],
        ports: &[3306],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[
            ("MYSQL_PORT_NUMBER", VarForm::Port),
            ("MARIADB_PORT_NUMBER", VarForm::Port),
        ],
        extra_vars: NO_VARS,
        config_paths: &["/opt/bitnami/mysql/conf", "/opt/bitnami/mariadb/conf"],
        random_unless: None,
    },
    Product {
        name: "mongo",
        images: &[
            "mongo",
            "mongodb/mongodb-community-server",
            "mongodb/mongodb-enterprise-server",
        ],
        ports: &[27017],
        servers: &["mongod"],
        args_only: ArgsOnly::Flags,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "bitnami/mongodb",
        images: &["bitnami/mongodb"],
        ports: &[27017],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[("MONGODB_PORT_NUMBER", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &["/opt/bitnami/mongodb/conf"],
        random_unless: None,
    },
    Product {
        name: "rabbitmq",
        images: &["rabbitmq"],
        // AMQP, management UI, epmd, distribution, Prometheus.
        ports: &[5672, 15672, 4369, 25672, 15692],
        servers: &["rabbitmq-server"],
        args_only: ArgsOnly::No,
        vars: &[("RABBITMQ_NODE_PORT", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &[
            "/etc/rabbitmq/rabbitmq.conf",
            "/etc/rabbitmq/conf.d",
            "/etc/rabbitmq/advanced.config",
        ],
        random_unless: None,
    },
    Product {
        name: "memcached",
        images: &["memcached"],
        ports: &[11211],
        servers: &["memcached"],
        args_only: ArgsOnly::Flags,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "elasticsearch",
        images: &["elasticsearch", "elasticsearch/elasticsearch"],
        ports: &[9200, 9300],
        servers: &["elasticsearch"],
        args_only: ArgsOnly::Flags,
        vars: &[("http.port", VarForm::Port)],
        extra_vars: &[("transport.port", VarForm::Port)],
        config_paths: &["/usr/share/elasticsearch/config/elasticsearch.yml"],
        random_unless: None,
    },
    Product {
        name: "opensearch",
        images: &["opensearchproject/opensearch"],
        ports: &[9200, 9300, 9600],
        servers: &["opensearch"],
        args_only: ArgsOnly::Flags,
        vars: &[("http.port", VarForm::Port)],
        extra_vars: &[("transport.port", VarForm::Port)],
        config_paths: &["/usr/share/opensearch/config/opensearch.yml"],
        random_unless: None,
    },
    Product {
        name: "nginx",
        images: &["nginx", "openresty/openresty"],
        ports: &[80],
        servers: &["nginx"],
        args_only: ArgsOnly::No,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "nginx-unprivileged",
        images: &["nginxinc/nginx-unprivileged"],
        ports: &[8080],
        servers: &["nginx"],
        args_only: ArgsOnly::No,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "httpd",
        images: &["httpd"],
        ports: &[80],
        servers: &["httpd"],
        args_only: ArgsOnly::No,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[
            "/usr/local/apache2/conf/httpd.conf",
            "/usr/local/apache2/conf/extra",
        ],
        random_unless: None,
    },
    Product {
        name: "traefik",
        images: &["traefik"],
        // The default `web` entrypoint, and the `traefik` one of the API, ping and metrics.
        ports: &[80, 8080],
        servers: &["traefik"],
        args_only: ArgsOnly::Flags,
        vars: &[("TRAEFIK_ENTRYPOINTS_*_ADDRESS", VarForm::Addr)],
        extra_vars: NO_VARS,
        config_paths: &[
            "/etc/traefik/traefik.yml",
            "/etc/traefik/traefik.yaml",
            "/etc/traefik/traefik.toml",
        ],
        random_unless: None,
    },
    Product {
        name: "grafana",
        images: &[
            "grafana/grafana",
            "grafana/grafana-oss",
            "grafana/grafana-enterprise",
        ],
        ports: &[3000],
        servers: &["grafana"],
        args_only: ArgsOnly::No,
        vars: &[("GF_SERVER_HTTP_PORT", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &["/etc/grafana/grafana.ini"],
        random_unless: None,
    },
    Product {
        name: "prometheus",
        images: &["prom/prometheus"],
        ports: &[9090],
        servers: &["prometheus"],
        args_only: ArgsOnly::Flags,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "alertmanager",
        images: &["prom/alertmanager"],
        ports: &[9093, 9094],
        servers: &["alertmanager"],
        args_only: ArgsOnly::Flags,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "node-exporter",
        images: &["prom/node-exporter"],
        ports: &[9100],
        servers: &["node_exporter"],
        args_only: ArgsOnly::Flags,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "minio",
        images: &["minio/minio"],
        ports: &[9000],
        servers: &["minio"],
        args_only: ArgsOnly::Always,
        vars: &[("MINIO_ADDRESS", VarForm::Addr)],
        extra_vars: &[("MINIO_CONSOLE_ADDRESS", VarForm::Addr)],
        config_paths: &[],
        random_unless: Some("--console-address"),
    },
    Product {
        name: "adminer",
        images: &["adminer"],
        ports: &[8080],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "pgadmin",
        images: &["dpage/pgadmin4"],
        ports: &[80, 443],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[("PGADMIN_LISTEN_PORT", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "mailpit",
        images: &["axllent/mailpit"],
        ports: &[8025, 1025],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[("MP_UI_BIND_ADDR", VarForm::Addr)],
        extra_vars: &[("MP_SMTP_BIND_ADDR", VarForm::Addr)],
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "mailhog",
        images: &["mailhog/mailhog"],
        ports: &[8025, 1025],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[("MH_UI_BIND_ADDR", VarForm::Addr)],
        extra_vars: &[
            ("MH_SMTP_BIND_ADDR", VarForm::Addr),
            ("MH_API_BIND_ADDR", VarForm::Addr),
        ],
        config_paths: &[],
        random_unless: None,
    },
    Product {
        name: "mssql",
        images: &["mssql/server"],
        ports: &[1433],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: &[("MSSQL_TCP_PORT", VarForm::Port)],
        extra_vars: NO_VARS,
        config_paths: &["/var/opt/mssql/mssql.conf"],
        random_unless: None,
    },
    Product {
        name: "couchdb",
        images: &["couchdb"],
        ports: &[5984, 4369, 9100],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[
            "/opt/couchdb/etc/local.d",
            "/opt/couchdb/etc/local.ini",
            "/opt/couchdb/etc/default.d",
        ],
        random_unless: None,
    },
    Product {
        name: "influxdb",
        images: &["influxdb"],
        // HTTP, and 1.x's RPC service.
        ports: &[8086, 8088],
        servers: &["influxd"],
        args_only: ArgsOnly::No,
        vars: &[("INFLUXD_HTTP_BIND_ADDRESS", VarForm::Addr)],
        extra_vars: NO_VARS,
        config_paths: &[
            "/etc/influxdb2/config.yml",
            "/etc/influxdb/influxdb.conf",
            "/etc/influxdb2/config.toml",
        ],
        random_unless: None,
    },
    Product {
        name: "clickhouse",
        images: &[
            "clickhouse/clickhouse-server",
            "yandex/clickhouse-server",
            "clickhouse",
        ],
        // HTTP, native, interserver, and the MySQL and PostgreSQL protocols.
        ports: &[8123, 9000, 9009, 9004, 9005],
        servers: &[],
        args_only: ArgsOnly::No,
        vars: NO_VARS,
        extra_vars: NO_VARS,
        config_paths: &[
            "/etc/clickhouse-server/config.xml",
            "/etc/clickhouse-server/config.d",
        ],
        random_unless: None,
    },
];

/// `docker.io/library/redis:7-alpine@sha256:..` → `redis`; `quay.io/minio/minio` →
/// `minio/minio`. `None` when the name is not a plain, fully known reference.
pub fn image_path(image: &str) -> Option<String> {
    crate::image::ImageRef::parse(image).map(|i| i.path)
}

/// The well-known product an image is, if it is clearly one.
pub fn product_for_image(image: &str) -> Option<&'static Product> {
    let path = image_path(image)?;
    PRODUCTS.iter().find(|p| p.images.contains(&path.as_str()))
}

/// The port behaviour of what the service runs ([`crate::analysis::identity::base_image`]):
/// its image, or the base image of the Dockerfile it builds.
fn product_of(p: &Project, svc: &Service, node: Option<&Node>) -> Option<(&'static Product, Span)> {
    use crate::analysis::identity::Origin;
    let base = crate::analysis::identity::base_image(p, svc)?;
    match base.origin {
        Origin::Dockerfile => {}
        // The tag of a build whose Dockerfile is unreadable says nothing sure.
        Origin::BuildTag => return None,
        Origin::Image => {
            // An image from a variable may be anything at run time.
            let img = node.and_then(|n| n.get("image"))?;
            if Text::from_node(img, &p.sources).any_taint() {
                return None;
            }
        }
    }
    PRODUCTS
        .iter()
        .find(|prod| prod.images.contains(&base.image.path.as_str()))
        .map(|prod| (prod, base.span))
}

/// Does a mount at `target` cover `path` (the path itself, a parent, or inside it)?
fn covers(target: &str, path: &str) -> bool {
    let t = target.trim_end_matches('/');
    if t.is_empty() {
        return true;
    }
    t == path || path.starts_with(&format!("{t}/")) || t.starts_with(&format!("{path}/"))
}

/// Where the service puts files into its container: mounts, compose `configs`,
/// and the Dockerfile's COPY / ADD (container path, span, host path if readable).
fn placements(
    p: &Project,
    svc: &Service,
    node: Option<&Node>,
    df: Option<&Dockerfile>,
) -> Vec<(String, Span, bool)> {
    let mut out = Vec::new();
    for m in &svc.volumes {
        let readable =
            m.kind == MountKind::Bind && m.host_path.as_ref().is_some_and(|h| h.exists());
        out.push((m.target.value.clone(), m.span, readable));
    }
    let configs = node
        .and_then(|n| n.get("configs"))
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    for c in configs {
        if let Some(t) = c.get("target").and_then(Node::as_str) {
            out.push((t.to_string(), c.span, false));
        } else if let Some(name) = c
            .as_str()
            .or_else(|| c.get("source").and_then(Node::as_str))
        {
            // A config without a target lands at `/<name>`.
            out.push((format!("/{name}"), c.span, false));
        }
    }
    if let Some(d) = df {
        let ctx = svc.build.as_ref().and_then(|b| b.context_dir.clone());
        for c in d.copies() {
            let readable = !c.from_stage
                && !c.sources.is_empty()
                && ctx
                    .as_ref()
                    .is_some_and(|dir| c.sources.iter().all(|s| dir.join(&s.value).exists()));
            out.push((c.dest.value.clone(), c.span, readable));
        }
    }
    let _ = p;
    out
}

/// Dockerfile RUN steps that mention a path (a `sed` on a config file).
fn run_mentions(df: Option<&Dockerfile>, paths: &[&str]) -> Option<Span> {
    let d = df?;
    image_instructions(d)
        .into_iter()
        .filter(|i| i.name == "RUN")
        .find(|i| {
            i.args
                .iter()
                .any(|w| paths.iter().any(|p| w.value.contains(p)))
        })
        .map(|i| i.span)
}

fn var_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((a, b)) => name.len() > a.len() + b.len() && name.starts_with(a) && name.ends_with(b),
        None => pattern == name,
    }
}

#[allow(clippy::too_many_arguments)]
fn product_ports(
    p: &Project,
    svc: &Service,
    node: Option<&Node>,
    df: Option<&Dockerfile>,
    prod: &'static Product,
    cmds: &Commands,
    env: &RuntimeEnv,
    l: &mut Listening,
) {
    let mut main_set = false;
    let mut explicit: Vec<&'static str> = Vec::new();

    // The product's own variables.
    for (vars, main) in [(prod.vars, true), (prod.extra_vars, false)] {
        for (pattern, form) in vars {
            let mut names: Vec<&String> = env
                .vars
                .keys()
                .filter(|k| var_matches(pattern, k))
                .collect();
            names.sort();
            for name in names {
                let Some((value, span)) = env.get(name) else {
                    continue;
                };
                let port = value.and_then(|v| match form {
                    VarForm::Port => parse_port_number(v),
                    VarForm::Addr => {
                        let t = Text::plain(v.to_string(), span);
                        match shell::split_addr(&t, 0, t.s.len()) {
                            Some((_, Some((a, b)))) => parse_port_number(&t.s[a..b]),
                            _ => None,
                        }
                    }
                });
                match port {
                    Some(port) => {
                        l.add(port, EvidenceKind::Environment, Some(span), true);
                        main_set |= main;
                    }
                    None => l.unknown(
                        format!("`{name}` is set to a value stacklint cannot read"),
                        Some(span),
                    ),
                }
            }
        }
    }

    // What runs: the image's own command, or one the service sets.
    let ep = cmds.entrypoint.as_ref().or(cmds.df_entrypoint.as_ref());
    let cmd = cmds.command.as_ref().or(cmds.df_cmd.as_ref());
    let ep_kind = if cmds.entrypoint.is_some() {
        EvidenceKind::Command
    } else {
        EvidenceKind::DockerfileCmd
    };
    let cmd_kind = if cmds.command.is_some() {
        EvidenceKind::Command
    } else {
        EvidenceKind::DockerfileCmd
    };
    let is_entrypoint_script = |c: &CommandSrc| {
        c.first_word().is_some_and(|w| {
            let b = shell::basename(&w.s);
            b == "docker-entrypoint.sh" || b == "docker-entrypoint"
        })
    };
    let mut readable = true;
    let mut server_infos: Vec<(server::Info, EvidenceKind)> = Vec::new();
    match ep {
        Some(e) if !is_entrypoint_script(e) => {
            read_product_cmd(e, ep_kind, prod, env, &mut readable, &mut server_infos);
            // A custom entrypoint runs the command as its arguments; when the
            // entrypoint is the server itself the command is more flags.
            if let Some(c) = cmd {
                if server_infos.is_empty() {
                    read_product_cmd(c, cmd_kind, prod, env, &mut readable, &mut server_infos);
                }
            }
        }
        Some(e) => {
            // `docker-entrypoint.sh` with more words: read them as the command.
            let rest: Vec<Text> = e.words().into_iter().skip(1).collect();
            if !rest.is_empty() {
                read_product_cmd(
                    &CommandSrc::Exec(rest),
                    ep_kind,
                    prod,
                    env,
                    &mut readable,
                    &mut server_infos,
                );
            }
            if let Some(c) = cmd {
                read_product_cmd(c, cmd_kind, prod, env, &mut readable, &mut server_infos);
            }
        }
        None => {
            if let Some(c) = cmd {
                read_product_cmd(c, cmd_kind, prod, env, &mut readable, &mut server_infos);
            }
        }
    }
    for (info, kind) in &server_infos {
        let own = prod.servers.contains(&info.program);
        for f in &info.found {
            match f {
                server::Found::Port(port, span) => {
                    l.add(*port, *kind, Some(*span), true);
                    if own && info.main_port {
                        main_set = true;
                    }
                }
                server::Found::Unknown(why, span) => l.unknown(why.clone(), Some(*span)),
            }
        }
        // The server's main port given as port 0 (redis `--port 0`): TLS only.
        if own && info.port_zero {
            main_set = true;
        }
        if own {
            explicit.extend(info.flags_seen.iter().copied());
        }
        if let (true, Some(span)) = (own, info.config) {
            if !info.main_port {
                l.unknown(
                    format!("`{}` reads its port from a config file", info.program),
                    Some(span),
                );
            }
        }
        if !own && info.found.is_empty() {
            l.unknown(
                format!("`{}` listens on a port set elsewhere", info.program),
                Some(info.span),
            );
        }
    }
    if !readable {
        let span = cmd
            .map(|c| match c {
                CommandSrc::Exec(w) => w.first().map(Text::full_span),
                CommandSrc::Shell(t) => Some(t.full_span()),
            })
            .or_else(|| ep.map(|c| c.first_word().map(|w| w.full_span())))
            .flatten();
        l.unknown(
            format!(
                "the command of this `{}` service may change its port",
                prod.name
            ),
            span,
        );
    }

    // A config file the server reads by itself may move the port.
    let places = placements(p, svc, node, df);
    if !main_set {
        for cfg in prod.config_paths {
            if let Some((_, span, _)) = places.iter().find(|(t, _, _)| covers(t, cfg)) {
                l.unknown(
                    format!(
                        "a config file mounted into `{}` may set its port",
                        prod.name
                    ),
                    Some(*span),
                );
            }
        }
        if let Some(span) = run_mentions(df, prod.config_paths) {
            l.unknown(
                "the Dockerfile edits a config file that may set the port",
                Some(span),
            );
        }
    }
    if let Some(flag) = prod.random_unless {
        if !explicit.contains(&flag) {
            l.unknown(
                format!("`{}` picks a random port unless `{flag}` is set", prod.name),
                None,
            );
        }
    }

    if prod.servers.contains(&"nginx") {
        nginx_ports(p, svc, prod, &places, df, l);
        return;
    }
    for (i, &port) in prod.ports.iter().enumerate() {
        if i == 0 && main_set {
            continue;
        }
        l.add(port, EvidenceKind::ImageDefault, None, true);
    }
}

/// Reads one command of a product service: the server's flags, or whether
/// something stacklint cannot read runs instead.
fn read_product_cmd(
    c: &CommandSrc,
    kind: EvidenceKind,
    prod: &Product,
    env: &RuntimeEnv,
    readable: &mut bool,
    server_infos: &mut Vec<(server::Info, EvidenceKind)>,
) {
    let mut words = c.words();
    if words.first().is_some_and(|w| {
        let b = shell::basename(&w.s);
        b == "docker-entrypoint.sh" || b == "docker-entrypoint"
    }) {
        words.remove(0);
    }
    let Some(first) = words.first() else { return };
    let server_name = prod.servers.first().copied();
    let passed = match prod.args_only {
        ArgsOnly::Flags => first.s.starts_with('-'),
        ArgsOnly::Always => !prod.servers.iter().any(|s| shell::basename(&first.s) == *s),
        ArgsOnly::No => false,
    };
    if let (true, Some(name)) = (passed, server_name) {
        let inv = Invocation {
            prog: name.to_string(),
            prog_word: first.clone(),
            args: words.clone(),
            background: false,
            writes_file: false,
        };
        match server::parse(&inv, env) {
            Some(info) => server_infos.push((info, kind)),
            None => *readable = false,
        }
        return;
    }
    let invs = match c {
        CommandSrc::Exec(_) => shell::expand_words(&words),
        CommandSrc::Shell(_) => c.invocations(),
    };
    let mut found_server = false;
    for inv in &invs {
        if inv.writes_file {
            *readable = false;
        }
        match server::parse(inv, env) {
            Some(info) if prod.servers.contains(&info.program) => {
                found_server = true;
                server_infos.push((info, kind));
            }
            Some(info) => {
                // Another server in the same container.
                server_infos.push((info, kind));
            }
            None if is_benign(&inv.prog) => {}
            None if inv.prog == "docker-entrypoint.sh" || inv.prog == "docker-entrypoint" => {}
            None => *readable = false,
        }
    }
    if !found_server {
        *readable = false;
    }
}

/// The NGINX image's own `conf.d/default.conf` listens on 80 (8080 unprivileged);
/// mounted configs add their `listen`s, or replace the default.
fn nginx_ports(
    p: &Project,
    svc: &Service,
    prod: &'static Product,
    places: &[(String, Span, bool)],
    df: Option<&Dockerfile>,
    l: &mut Listening,
) {
    let name = &svc.name.value;
    let official =
        prod.images.contains(&"nginx") || prod.images.contains(&"nginxinc/nginx-unprivileged");
    let default_conf = "/etc/nginx/conf.d/default.conf";
    let ours: Vec<&crate::proxy::NginxConfig> = p
        .nginx
        .iter()
        .filter(|c| c.service.as_deref() == Some(name.as_str()) && c.loaded)
        .collect();
    // Placements under the nginx config dirs that stacklint could not read.
    for (target, span, readable) in places {
        let under = ["/etc/nginx", "/usr/local/openresty/nginx/conf"]
            .iter()
            .any(|d| covers(target, d) || target.starts_with(d));
        if under && !readable {
            l.unknown(
                "an NGINX config stacklint cannot read is mounted",
                Some(*span),
            );
        }
    }
    if let Some(span) = run_mentions(
        df,
        &["/etc/nginx", "/usr/local/openresty/nginx/conf", "listen"],
    ) {
        l.unknown("the Dockerfile edits the NGINX config", Some(span));
    }
    let main_mounted = ours
        .iter()
        .any(|c| c.container_path.as_deref() == Some(crate::proxy::MAIN_CONF));
    // The image renders `templates/default.conf.template` over `conf.d/default.conf`.
    let template = "/etc/nginx/templates/default.conf.template";
    let replaced = places
        .iter()
        .any(|(t, _, _)| covers(t, default_conf) || t == template)
        || ours
            .iter()
            .any(|c| c.container_path.as_deref() == Some(template));
    // With a main config of its own, the image's default.conf is read only if included.
    let default_read = if main_mounted {
        ours.iter().any(|c| {
            c.parsed.find_all("include").any(|v| {
                v.directive.arg(0).is_some_and(|pat| {
                    let pat = if pat.starts_with('/') {
                        pat.to_string()
                    } else {
                        format!("/etc/nginx/{pat}")
                    };
                    glob::Pattern::new(&pat).is_ok_and(|g| g.matches(default_conf))
                })
            })
        })
    } else {
        true
    };
    if !official && (replaced || main_mounted) {
        l.unknown("this NGINX image's default config may be replaced", None);
    }
    if !replaced && default_read {
        for &port in prod.ports {
            l.add(port, EvidenceKind::ImageDefault, None, true);
        }
    }
    for cfg in &ours {
        let src = p.sources.get(cfg.file);
        for v in cfg.parsed.find_all("server") {
            let srv = v.directive;
            if !srv.is_block() {
                continue;
            }
            let listens: Vec<_> = srv
                .children()
                .iter()
                .filter(|d| d.name == "listen")
                .collect();
            if listens.is_empty() {
                // A server without `listen` listens on *:80 (*:8000 without root).
                if !v.is_inside("stream") && !v.is_inside("mail") {
                    l.add(80, EvidenceKind::NginxListen, Some(srv.name_span), true);
                    l.add(8000, EvidenceKind::NginxListen, Some(srv.name_span), true);
                }
                continue;
            }
            for d in listens {
                let Some(arg) = d.args.first() else { continue };
                if d.args
                    .iter()
                    .skip(1)
                    .any(|a| a.value == "udp" || a.value == "quic")
                {
                    continue;
                }
                let raw = src.slice(&arg.span);
                let exact = raw == arg.value;
                let t = if exact {
                    Text::exact(&arg.value, arg.span, arg.span.start)
                } else {
                    Text::plain(arg.value.clone(), arg.span)
                };
                if t.s.starts_with("unix:") {
                    continue;
                }
                match listen_port(&t) {
                    Some(Ok((a, b, range))) => {
                        let span = t.span(range.0, range.1);
                        if u32::from(b) - u32::from(a) >= MAX_RANGE {
                            l.unknown("a listen range too wide to list", Some(span));
                        } else {
                            for port in a..=b {
                                l.add(port, EvidenceKind::NginxListen, Some(span), true);
                            }
                        }
                    }
                    Some(Err(())) | None => {
                        l.unknown("a `listen` stacklint cannot read", Some(arg.span))
                    }
                }
            }
        }
    }
}

/// `80`, `*:80`, `127.0.0.1:8080`, `[::]:443`, `localhost` (80), `8000-8010`.
/// A `listen` port range and the byte range of its text; `Err` when unreadable.
type ListenPort = Result<(u16, u16, (usize, usize)), ()>;

fn listen_port(t: &Text) -> Option<ListenPort> {
    let s = t.s.as_str();
    if s.contains('$') {
        return Some(Err(()));
    }
    let (from, port_s) = if let Some(r) = s.strip_prefix('[') {
        let close = r.find(']')? + 1;
        match s[close + 1..].strip_prefix(':') {
            Some(p) => (close + 2, p),
            None => return Some(Ok((80, 80, (0, s.len())))),
        }
    } else if let Some(i) = s.rfind(':') {
        (i + 1, &s[i + 1..])
    } else if s.bytes().next().is_some_and(|b| b.is_ascii_digit()) && !s.contains('.') {
        (0, s)
    } else {
        // An address alone: port 80.
        return Some(Ok((80, 80, (0, s.len()))));
    };
    match parse_range(port_s) {
        Some((a, b)) => Some(Ok((a, b, (from, from + port_s.len())))),
        None => Some(Err(())),
    }
}

// ---------------------------------------------------------------------------
// Text with positions, and a small shell word splitter

pub mod shell {
    //! Words of commands as a shell (or compose, or Docker) splits them, each byte
    //! remembering where it was written, so a port inside `-b 0.0.0.0:5000` can be
    //! pointed at exactly.

    use crate::parse::interpolate::{Op, VarUse};
    use crate::parse::yaml::{Node, Style};
    use crate::source::{Sources, Span};

    /// A string whose bytes know their source position and whether they came from
    /// a compose variable that had no value.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Text {
        pub s: String,
        /// Source byte range of each byte of `s`; `None` when not known.
        pos: Vec<Option<(usize, usize)>>,
        /// Per byte: produced by an unset compose variable (or one stacklint cannot evaluate).
        taint: Vec<bool>,
        /// The span used when a range cannot be mapped exactly.
        pub whole: Span,
    }

    impl Text {
        /// A string with no known positions: every span is `whole`.
        pub fn plain(s: String, whole: Span) -> Text {
            let n = s.len();
            Text {
                s,
                pos: vec![None; n],
                taint: vec![false; n],
                whole,
            }
        }

        /// A string written verbatim at byte `start` of `whole`'s file.
        pub fn exact(s: &str, whole: Span, start: usize) -> Text {
            let mut pos = Vec::with_capacity(s.len());
            for (i, c) in s.char_indices() {
                for _ in 0..c.len_utf8() {
                    pos.push(Some((start + i, start + i + c.len_utf8())));
                }
            }
            Text {
                s: s.to_string(),
                pos,
                taint: vec![false; s.len()],
                whole,
            }
        }

        fn with_taint(mut self, all: bool) -> Text {
            if all {
                self.taint.iter_mut().for_each(|t| *t = true);
            }
            self
        }

        /// The value of a scalar node (after interpolation), mapped to its source.
        pub fn from_node(n: &Node, sources: &Sources) -> Text {
            let Some(sc) = n.as_scalar() else {
                return Text::plain(String::new(), n.span);
            };
            let value = sc.value.as_str();
            let raw = sources.get(n.span.file).slice(&n.span);
            let (off, inner) = match sc.style {
                Style::SingleQuoted | Style::DoubleQuoted if raw.len() >= 2 => {
                    (1, &raw[1..raw.len() - 1])
                }
                // The span starts at the content; skip a header if it is there.
                Style::Literal | Style::Folded if raw.starts_with(['|', '>']) => {
                    match raw.find('\n') {
                        Some(i) => (i + 1, &raw[i + 1..]),
                        None => (0, raw),
                    }
                }
                _ => (0, raw),
            };
            let base = n.span.start + off;
            let any_taint = sc.vars.iter().any(unresolved);
            if sc.vars.is_empty() {
                if inner == value {
                    return Text::exact(value, n.span, base);
                }
                return match align(value, inner, base) {
                    Some(pos) => Text {
                        s: value.to_string(),
                        pos,
                        taint: vec![false; value.len()],
                        whole: n.span,
                    },
                    None => Text::plain(value.to_string(), n.span),
                };
            }
            let simple = !inner.contains('\n')
                && match sc.style {
                    Style::Plain => true,
                    Style::SingleQuoted => !inner.contains("''"),
                    Style::DoubleQuoted => !inner.contains('\\'),
                    _ => false,
                };
            if simple {
                if let Some(t) = map_interpolated(value, inner, base, &sc.vars, n.span) {
                    return t;
                }
            }
            // Unmapped: an unset variable left an empty string somewhere; the parsers
            // see the hole (an empty port, a missing word). `${X:+alt}` may leave anything.
            let alt = sc
                .vars
                .iter()
                .any(|u| matches!(u.op, Op::Alternative { .. }));
            let _ = any_taint;
            Text::plain(value.to_string(), n.span).with_taint(alt)
        }

        /// A Dockerfile word: written verbatim, or a JSON string with its quotes.
        pub fn from_word(value: &str, span: Span, sources: &Sources) -> Text {
            let raw = sources.get(span.file).slice(&span);
            if raw == value {
                return Text::exact(value, span, span.start);
            }
            let (off, inner) = if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
                (1, &raw[1..raw.len() - 1])
            } else {
                (0, raw)
            };
            if inner == value {
                return Text::exact(value, span, span.start + off);
            }
            match align(value, inner, span.start + off) {
                Some(pos) => Text {
                    s: value.to_string(),
                    pos,
                    taint: vec![false; value.len()],
                    whole: span,
                },
                None => Text::plain(value.to_string(), span),
            }
        }

        /// Parts joined with single spaces (a Dockerfile shell-form line).
        pub fn join(parts: &[Text], whole: Span) -> Text {
            let mut out = Text::plain(String::new(), whole);
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.s.push(' ');
                    out.pos.push(None);
                    out.taint.push(false);
                }
                out.s.push_str(&p.s);
                out.pos.extend_from_slice(&p.pos);
                out.taint.extend_from_slice(&p.taint);
            }
            out
        }

        pub fn len(&self) -> usize {
            self.s.len()
        }

        pub fn is_empty(&self) -> bool {
            self.s.is_empty()
        }

        /// The source span of bytes `[a, b)`, or `whole` when they cannot be mapped.
        pub fn span(&self, a: usize, b: usize) -> Span {
            let b = b.min(self.s.len());
            if a >= b {
                return match self.pos.get(a).copied().flatten() {
                    Some((s, _)) => Span::new(self.whole.file, s, s),
                    None => self.whole,
                };
            }
            match (self.pos[a], self.pos[b - 1]) {
                (Some((s, _)), Some((_, e))) if s <= e => Span::new(self.whole.file, s, e),
                _ => self.whole,
            }
        }

        pub fn full_span(&self) -> Span {
            self.span(0, self.s.len())
        }

        /// Whether any byte of `[a, b)` came from an unset variable.
        pub fn tainted(&self, a: usize, b: usize) -> bool {
            self.taint
                .get(a..b.min(self.taint.len()))
                .is_some_and(|t| t.iter().any(|&x| x))
        }

        pub fn any_taint(&self) -> bool {
            self.taint.iter().any(|&x| x)
        }

        /// Bytes `[a, b)` as a text of their own (on char boundaries).
        pub fn slice(&self, a: usize, b: usize) -> Text {
            let b = b.min(self.s.len());
            let a = a.min(b);
            match self.s.get(a..b) {
                Some(s) => Text {
                    s: s.to_string(),
                    pos: self.pos[a..b].to_vec(),
                    taint: self.taint[a..b].to_vec(),
                    whole: self.whole,
                },
                None => Text::plain(String::new(), self.whole),
            }
        }

        fn push_from(&mut self, from: &Text, i: usize, c: char) {
            let n = c.len_utf8();
            self.s.push(c);
            for k in 0..n {
                self.pos.push(from.pos.get(i + k).copied().flatten());
                self.taint
                    .push(from.taint.get(i + k).copied().unwrap_or(false));
            }
        }
    }

    /// Did this use leave text stacklint cannot know (no value and no default)?
    fn unresolved(u: &VarUse) -> bool {
        match u.op {
            Op::Default { .. } => false,
            Op::Alternative { .. } => true,
            Op::Plain | Op::Required { .. } => !u.defined,
        }
    }

    /// Maps each byte of `value` to `raw` (starting at source byte `base`), where
    /// YAML dropped indentation, line breaks, escapes and quotes. `None` when the
    /// two do not line up.
    fn align(value: &str, raw: &str, base: usize) -> Option<Vec<Option<(usize, usize)>>> {
        let mut pos = Vec::with_capacity(value.len());
        let mut j = 0;
        for c in value.chars() {
            loop {
                let r = raw.get(j..)?.chars().next()?;
                // `$$` in compose is one `$`.
                if r == '$' && c == '$' && raw[j + 1..].starts_with('$') {
                    pos.push(Some((base + j, base + j + 2)));
                    j += 2;
                    break;
                }
                if r == c || (c.is_whitespace() && r.is_whitespace()) {
                    for _ in 0..c.len_utf8() {
                        pos.push(Some((base + j, base + j + r.len_utf8())));
                    }
                    j += r.len_utf8();
                    break;
                }
                if r.is_whitespace() || matches!(r, '\\' | '\'' | '"') {
                    j += r.len_utf8();
                    continue;
                }
                return None;
            }
        }
        Some(pos)
    }

    /// Maps an interpolated value to its template `inner` (the scalar as written):
    /// literal text byte for byte, `$$` to its first `$`, and each variable's value
    /// to the whole `${...}` expression.
    fn map_interpolated(
        value: &str,
        inner: &str,
        base: usize,
        uses: &[VarUse],
        whole: Span,
    ) -> Option<Text> {
        // Top-level uses in order; nested ones are inside their parent's range.
        let mut tops: Vec<&VarUse> = Vec::new();
        let mut sorted: Vec<&VarUse> = uses.iter().collect();
        sorted.sort_by_key(|u| (u.range.start, std::cmp::Reverse(u.range.end)));
        for u in sorted {
            if u.range.end > inner.len()
                || !inner.is_char_boundary(u.range.start)
                || !inner.is_char_boundary(u.range.end)
            {
                return None;
            }
            match tops.last() {
                Some(t) if u.range.start < t.range.end => {}
                _ => tops.push(u),
            }
        }
        let tainted = |t: &VarUse| {
            uses.iter().any(|u| {
                u.range.start >= t.range.start && u.range.end <= t.range.end && unresolved(u)
            })
        };
        // Literal pieces between the uses, with `$$` unescaped.
        let literal = |a: usize, b: usize| -> Text {
            let src = Text::exact(&inner[a..b], whole, base + a);
            let mut out = Text::plain(String::new(), whole);
            let mut it = src.s.char_indices().peekable();
            while let Some((i, c)) = it.next() {
                out.push_from(&src, i, c);
                if c == '$' && it.peek().map(|&(_, n)| n) == Some('$') {
                    it.next();
                }
            }
            out
        };
        let mut lits = Vec::with_capacity(tops.len() + 1);
        let mut at = 0;
        for t in &tops {
            lits.push(literal(at, t.range.start));
            at = t.range.end;
        }
        lits.push(literal(at, inner.len()));

        let mut out = Text::plain(String::new(), whole);
        let append = |out: &mut Text, t: &Text| {
            out.s.push_str(&t.s);
            out.pos.extend_from_slice(&t.pos);
            out.taint.extend_from_slice(&t.taint);
        };
        if !value.starts_with(&lits[0].s) {
            return None;
        }
        append(&mut out, &lits[0]);
        let mut v = lits[0].s.len();
        for (k, t) in tops.iter().enumerate() {
            let next = &lits[k + 1];
            let end = if k + 1 == tops.len() {
                let e = value.len().checked_sub(next.s.len())?;
                if e < v || !value.ends_with(&next.s) {
                    return None;
                }
                e
            } else {
                if next.s.is_empty() {
                    return None;
                }
                v + value.get(v..)?.find(&next.s)?
            };
            let expr = match t.span {
                Some(s) if s.file == whole.file => (s.start, s.end),
                _ => (base + t.range.start, base + t.range.end),
            };
            let taint = tainted(t);
            out.s.push_str(value.get(v..end)?);
            for _ in v..end {
                out.pos.push(Some(expr));
                out.taint.push(taint);
            }
            append(&mut out, next);
            v = end + next.s.len();
        }
        (out.s == value).then_some(out)
    }

    /// One simple command: its words, and what separates it from the next.
    #[derive(Clone, Debug, Default)]
    pub struct Cmd {
        pub words: Vec<Text>,
        /// Ended by a single `&`: runs while the next commands run.
        pub background: bool,
        /// Has an output redirection to a file (`> /etc/nginx/conf.d/default.conf`).
        pub writes_file: bool,
    }

    /// Splits a shell string into simple commands (at `;`, `&&`, `||`, `|`, `&`,
    /// newlines and parentheses), each into words with quotes removed. Command
    /// substitutions stay inside their word (with their `$`).
    pub fn split(t: &Text) -> Vec<Cmd> {
        let chars: Vec<(usize, char)> = t.s.char_indices().collect();
        let mut cmds = Vec::new();
        let mut cur = Cmd::default();
        let mut tok: Option<Text> = None;
        // A redirection waiting for its target word: Some(true) for output.
        let mut redirect: Option<bool> = None;
        let new_tok = || Text::plain(String::new(), t.whole);

        fn finish_tok(tok: &mut Option<Text>, cur: &mut Cmd, redirect: &mut Option<bool>) {
            if let Some(w) = tok.take() {
                match redirect.take() {
                    Some(out) => {
                        if out && !w.s.starts_with("/dev/") {
                            cur.writes_file = true;
                        }
                    }
                    None => cur.words.push(w),
                }
            }
        }
        fn finish_cmd(
            tok: &mut Option<Text>,
            cur: &mut Cmd,
            redirect: &mut Option<bool>,
            cmds: &mut Vec<Cmd>,
        ) {
            finish_tok(tok, cur, redirect);
            *redirect = None;
            let c = std::mem::take(cur);
            if !c.words.is_empty() {
                cmds.push(c);
            }
        }

        let n = chars.len();
        let mut i = 0;
        while i < n {
            let (b, c) = chars[i];
            match c {
                '\n' | ';' | '(' | ')' => {
                    finish_cmd(&mut tok, &mut cur, &mut redirect, &mut cmds);
                    i += 1;
                }
                '&' | '|' => {
                    let double = chars.get(i + 1).map(|x| x.1) == Some(c);
                    if c == '&' && !double {
                        cur.background = true;
                    }
                    finish_cmd(&mut tok, &mut cur, &mut redirect, &mut cmds);
                    i += if double { 2 } else { 1 };
                }
                c if c.is_whitespace() => {
                    finish_tok(&mut tok, &mut cur, &mut redirect);
                    i += 1;
                }
                '#' if tok.is_none() => {
                    while i < n && chars[i].1 != '\n' {
                        i += 1;
                    }
                }
                '\\' => {
                    match chars.get(i + 1) {
                        Some(&(_, '\n')) => {}
                        Some(&(nb, nc)) => tok.get_or_insert_with(new_tok).push_from(t, nb, nc),
                        None => {}
                    }
                    i += 2;
                }
                '\'' => {
                    let w = tok.get_or_insert_with(new_tok);
                    i += 1;
                    while i < n && chars[i].1 != '\'' {
                        w.push_from(t, chars[i].0, chars[i].1);
                        i += 1;
                    }
                    i += 1;
                }
                '"' => {
                    let w = tok.get_or_insert_with(new_tok);
                    i += 1;
                    while i < n && chars[i].1 != '"' {
                        let (cb, cc) = chars[i];
                        if cc == '\\' {
                            if let Some(&(nb, nc)) = chars.get(i + 1) {
                                if matches!(nc, '$' | '`' | '"' | '\\') {
                                    w.push_from(t, nb, nc);
                                    i += 2;
                                    continue;
                                }
                                if nc == '\n' {
                                    i += 2;
                                    continue;
                                }
                            }
                        }
                        w.push_from(t, cb, cc);
                        i += 1;
                    }
                    i += 1;
                }
                '`' => {
                    let w = tok.get_or_insert_with(new_tok);
                    w.push_from(t, b, c);
                    i += 1;
                    while i < n && chars[i].1 != '`' {
                        w.push_from(t, chars[i].0, chars[i].1);
                        i += 1;
                    }
                    if i < n {
                        w.push_from(t, chars[i].0, chars[i].1);
                    }
                    i += 1;
                }
                '$' if chars.get(i + 1).map(|x| x.1) == Some('(') => {
                    let w = tok.get_or_insert_with(new_tok);
                    let mut depth = 0usize;
                    while i < n {
                        let (cb, cc) = chars[i];
                        w.push_from(t, cb, cc);
                        i += 1;
                        if cc == '(' {
                            depth += 1;
                        } else if cc == ')' {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
                '>' | '<' => {
                    // `2>&1`, `>/dev/null`, `> file`: drop the fd and the target.
                    if tok
                        .as_ref()
                        .is_some_and(|w| !w.s.is_empty() && w.s.bytes().all(|b| b.is_ascii_digit()))
                    {
                        tok = None;
                    } else {
                        finish_tok(&mut tok, &mut cur, &mut redirect);
                    }
                    let out = c == '>';
                    i += 1;
                    while i < n && matches!(chars[i].1, '>' | '<' | '|') {
                        i += 1;
                    }
                    if i < n && chars[i].1 == '&' {
                        i += 1;
                        while i < n && (chars[i].1.is_ascii_digit() || chars[i].1 == '-') {
                            i += 1;
                        }
                        continue;
                    }
                    redirect = Some(out);
                }
                _ => {
                    tok.get_or_insert_with(new_tok).push_from(t, b, c);
                    i += 1;
                }
            }
        }
        finish_cmd(&mut tok, &mut cur, &mut redirect, &mut cmds);
        cmds
    }

    /// One program run by a command, after wrappers (`sh -c`, `exec`, `gosu`, ...).
    #[derive(Clone, Debug)]
    pub struct Invocation {
        /// Lower-case base name (`gunicorn`), or the Python module (`http.server`).
        pub prog: String,
        pub prog_word: Text,
        pub args: Vec<Text>,
        pub background: bool,
        pub writes_file: bool,
    }

    /// `/usr/local/bin/gunicorn` → `gunicorn`.
    pub fn basename(s: &str) -> String {
        s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase()
    }

    /// The programs a shell string runs.
    pub fn invocations(t: &Text) -> Vec<Invocation> {
        let mut out = Vec::new();
        run_shell(t, 0, &mut out);
        out
    }

    /// The programs an exec-form word list runs.
    pub fn expand_words(words: &[Text]) -> Vec<Invocation> {
        let mut out = Vec::new();
        expand(words, false, false, 0, &mut out);
        out
    }

    const MAX_NESTING: usize = 4;

    fn run_shell(t: &Text, depth: usize, out: &mut Vec<Invocation>) {
        if depth > MAX_NESTING {
            return;
        }
        for cmd in split(t) {
            expand(&cmd.words, cmd.background, cmd.writes_file, depth, out);
        }
    }

    fn is_assignment(s: &str) -> bool {
        match s.split_once('=') {
            Some((k, _)) => {
                !k.is_empty()
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !k.starts_with(|c: char| c.is_ascii_digit())
            }
            None => false,
        }
    }

    fn is_python(name: &str) -> bool {
        name == "python"
            || name == "pypy3"
            || name
                .strip_prefix("python")
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    }

    fn expand(
        words: &[Text],
        background: bool,
        writes_file: bool,
        depth: usize,
        out: &mut Vec<Invocation>,
    ) {
        let mut i = 0;
        // Skips option words (and `--`), with the options in `with_arg` taking a value.
        let skip_opts = |i: &mut usize, with_arg: &[&str]| {
            while let Some(w) = words.get(*i) {
                if w.s == "--" {
                    *i += 1;
                    break;
                }
                if !w.s.starts_with('-') || w.s == "-" {
                    break;
                }
                *i += if with_arg.contains(&w.s.as_str()) {
                    2
                } else {
                    1
                };
            }
        };
        let after_dashes = |i: &mut usize| -> bool {
            match words[*i..].iter().position(|w| w.s == "--") {
                Some(k) => {
                    *i += k + 1;
                    true
                }
                None => false,
            }
        };
        loop {
            let Some(w) = words.get(i) else { return };
            let name = basename(&w.s);
            let next = words.get(i + 1).map(|w| w.s.as_str());
            match name.as_str() {
                "exec" | "nohup" | "time" | "!" | "then" | "do" | "else" | "if" | "while"
                | "until" | "command" | "{" | "}" | "stdbuf" => {
                    i += 1;
                    if name == "stdbuf" || name == "exec" {
                        skip_opts(&mut i, &["-a"]);
                    }
                }
                _ if is_assignment(&w.s) => i += 1,
                "env" => {
                    i += 1;
                    while let Some(w) = words.get(i) {
                        if w.s == "-u" || w.s == "-C" || w.s == "-S" {
                            i += 2;
                        } else if w.s.starts_with('-') || is_assignment(&w.s) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
                "tini" | "tini-static" | "dumb-init" | "catatonit" => {
                    i += 1;
                    skip_opts(&mut i, &["-p", "-e"]);
                }
                "gosu" | "su-exec" | "s6-setuidgid" => i += 2,
                // The official images' entrypoint runs its arguments.
                "docker-entrypoint.sh" | "docker-entrypoint" => i += 1,
                "sudo" => {
                    i += 1;
                    skip_opts(
                        &mut i,
                        &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
                    );
                }
                "runuser" | "setpriv" | "doppler" | "infisical" | "watchmedo" | "chpst" => {
                    if !after_dashes(&mut i) {
                        return;
                    }
                }
                n if n.contains("wait-for") || n.contains("wait_for") => {
                    if !after_dashes(&mut i) {
                        return;
                    }
                }
                "dockerize" => {
                    i += 1;
                    while let Some(w) = words.get(i) {
                        if w.s.starts_with('-') {
                            i += if w.s.contains('=') { 1 } else { 2 };
                        } else {
                            break;
                        }
                    }
                }
                "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" => {
                    // `sh -c 'script'`: the script is the command; `sh file` runs a file.
                    let mut k = i + 1;
                    let mut has_c = false;
                    while let Some(o) = words.get(k) {
                        if o.s.starts_with('-') && o.s.len() > 1 && !o.s.starts_with("--") {
                            has_c |= o.s.contains('c');
                            k += 1;
                            if has_c {
                                break;
                            }
                        } else if o.s.starts_with("--") {
                            k += 1;
                        } else {
                            break;
                        }
                    }
                    match (has_c, words.get(k)) {
                        (true, Some(script)) => run_shell(script, depth + 1, out),
                        _ => push(words, i, background, writes_file, out),
                    }
                    return;
                }
                n if is_python(n) => {
                    let mut k = i + 1;
                    while let Some(o) = words.get(k) {
                        match o.s.as_str() {
                            "-X" | "-W" => k += 2,
                            "-m" => {
                                if let Some(m) = words.get(k + 1) {
                                    out.push(Invocation {
                                        prog: m.s.to_ascii_lowercase(),
                                        prog_word: m.clone(),
                                        args: words[k + 2..].to_vec(),
                                        background,
                                        writes_file,
                                    });
                                }
                                return;
                            }
                            "-c" => break,
                            s if s.starts_with('-') && !s.starts_with("-c") => k += 1,
                            _ => break,
                        }
                    }
                    match words.get(k) {
                        // A script: the program is the script (`manage.py`).
                        Some(o) if !o.s.starts_with('-') => {
                            push(words, k, background, writes_file, out)
                        }
                        _ => push(words, i, background, writes_file, out),
                    }
                    return;
                }
                "node" | "nodejs" => {
                    // `node node_modules/.bin/next start`: the CLI is the program.
                    match next {
                        Some(s) if !s.starts_with('-') && s.contains("node_modules/") => {
                            let mut inv = mk(words, i + 1, background, writes_file);
                            inv.prog = inv.prog.trim_end_matches(".js").to_string();
                            out.push(inv);
                        }
                        _ => push(words, i, background, writes_file, out),
                    }
                    return;
                }
                "npx" | "bunx" | "pnpx" => {
                    i += 1;
                    skip_opts(&mut i, &["-p", "--package", "-c", "--call"]);
                }
                "npm" | "pnpm" | "yarn" | "bun" if matches!(next, Some("exec" | "dlx" | "x")) => {
                    i += 2;
                    skip_opts(
                        &mut i,
                        &["-p", "--package", "-c", "--call", "--filter", "-F"],
                    );
                }
                "poetry" | "pipenv" | "uv" | "pdm" | "hatch" | "rye" | "conda" | "mamba"
                | "micromamba"
                    if next == Some("run") =>
                {
                    i += 2;
                    skip_opts(
                        &mut i,
                        &[
                            "-n",
                            "-p",
                            "--name",
                            "--prefix",
                            "--with",
                            "--python",
                            "--env-file",
                            "--project",
                            "--directory",
                            "--package",
                            "-e",
                            "--extra",
                            "--group",
                            "--env",
                        ],
                    );
                }
                "bundle" if next == Some("exec") => i += 2,
                "opentelemetry-instrument" | "ddtrace-run" => {
                    i += 1;
                    while let Some(o) = words.get(i) {
                        if o.s.starts_with("--") {
                            i += if o.s.contains('=') { 1 } else { 2 };
                        } else {
                            break;
                        }
                    }
                }
                "newrelic-admin" if next == Some("run-program") => i += 2,
                _ => {
                    push(words, i, background, writes_file, out);
                    return;
                }
            }
        }
    }

    fn mk(words: &[Text], i: usize, background: bool, writes_file: bool) -> Invocation {
        Invocation {
            prog: basename(&words[i].s),
            prog_word: words[i].clone(),
            args: words[i + 1..].to_vec(),
            background,
            writes_file,
        }
    }

    fn push(
        words: &[Text],
        i: usize,
        background: bool,
        writes_file: bool,
        out: &mut Vec<Invocation>,
    ) {
        if i < words.len() {
            out.push(mk(words, i, background, writes_file));
        }
    }

    /// An address `HOST:PORT`, `:PORT`, `[::1]:PORT`, `tcp://HOST:PORT/path`, taken from
    /// bytes `[a, b)` of `t`: the host range and the port range (when there is a `:`).
    /// `None` for a unix socket.
    #[allow(clippy::type_complexity)]
    pub fn split_addr(
        t: &Text,
        a: usize,
        b: usize,
    ) -> Option<((usize, usize), Option<(usize, usize)>)> {
        let s = t.s.get(a..b)?;
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("unix:") || lower.starts_with("fd://") || lower.starts_with("unix//") {
            return None;
        }
        let mut start = a;
        if let Some(i) = s.find("://") {
            start = a + i + 3;
        }
        let rest = &t.s[start..b];
        // The authority ends at the path.
        let auth_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let auth = &rest[..auth_len];
        // Drop `user:pass@`.
        let (start, auth) = match auth.rfind('@') {
            Some(i) => (start + i + 1, &auth[i + 1..]),
            None => (start, auth),
        };
        if let Some(r) = auth.strip_prefix('[') {
            let close = r.find(']')? + 1;
            let host = (start, start + close + 1);
            return match auth[close + 1..].strip_prefix(':') {
                Some(p) => Some((host, Some((start + close + 2, start + close + 2 + p.len())))),
                None => Some((host, None)),
            };
        }
        // The last `:` outside `${...}`.
        let mut depth = 0usize;
        let mut colon = None;
        let bytes = auth.as_bytes();
        for (i, &c) in bytes.iter().enumerate() {
            match c {
                b'{' => depth += 1,
                b'}' => depth = depth.saturating_sub(1),
                b':' if depth == 0 => colon = Some(i),
                _ => {}
            }
        }
        Some(match colon {
            Some(i) => (
                (start, start + i),
                Some((start + i + 1, start + auth.len())),
            ),
            None => ((start, start + auth.len()), None),
        })
    }
}

// ---------------------------------------------------------------------------
// Server flags

pub mod server {
    //! The port flags of common servers.

    use super::shell::{split_addr, Invocation, Text};
    use super::{parse_port_number, runtime_var_name, RuntimeEnv};
    use crate::source::Span;

    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Found {
        Port(u16, Span),
        Unknown(String, Span),
    }

    /// What a server's command line says about its ports.
    #[derive(Clone, Debug)]
    pub struct Info {
        /// The canonical program name (`redis-server` for `valkey-server` too).
        pub program: &'static str,
        pub found: Vec<Found>,
        /// The config file it is told to read, when it is.
        pub config: Option<Span>,
        /// Whether a flag set the server's main port (`--port`, `-b`).
        pub main_port: bool,
        /// The main port set to 0 (TCP off).
        pub port_zero: bool,
        /// Flags seen that matter to products (`--console-address`).
        pub flags_seen: Vec<&'static str>,
        /// The program word.
        pub span: Span,
    }

    /// A reader over a program's arguments.
    struct Args<'a> {
        args: &'a [Text],
        env: &'a RuntimeEnv,
    }

    /// Where an option's value is: word index and byte offset in that word.
    type ValueAt = (usize, usize);

    impl<'a> Args<'a> {
        /// The values of an option in any of its spellings: `-p 80`, `-p80` (single
        /// letter), `--port 80`, `--port=80`, `-addr=:80`.
        fn values(&self, names: &[&str]) -> Vec<ValueAt> {
            let mut out = Vec::new();
            let mut i = 0;
            while i < self.args.len() {
                let w = &self.args[i].s;
                if w == "--" {
                    break;
                }
                let mut matched = false;
                for n in names {
                    if w == n {
                        if i + 1 < self.args.len() {
                            out.push((i + 1, 0));
                        }
                        i += 1;
                        matched = true;
                        break;
                    }
                    if w.len() > n.len() && w.starts_with(n) && w.as_bytes()[n.len()] == b'=' {
                        out.push((i, n.len() + 1));
                        matched = true;
                        break;
                    }
                    let short = n.len() == 2 && n.starts_with('-') && !n.starts_with("--");
                    if short && w.len() > 2 && w.starts_with(n) && !w.starts_with("--") {
                        out.push((i, 2));
                        matched = true;
                        break;
                    }
                }
                let _ = matched;
                i += 1;
            }
            out
        }

        fn has(&self, names: &[&str]) -> Option<Span> {
            self.args
                .iter()
                .find(|w| {
                    names.iter().any(|n| {
                        w.s == *n
                            || (w.s.starts_with(n) && w.s.as_bytes().get(n.len()) == Some(&b'='))
                    })
                })
                .map(Text::full_span)
        }

        fn word(&self, at: ValueAt) -> (&'a Text, usize) {
            (&self.args[at.0], at.1)
        }

        /// A port value at `at`.
        fn port(&self, at: ValueAt) -> Found {
            let (w, off) = self.word(at);
            port_text(w, off, w.s.len(), self.env)
        }

        /// An address value at `at` (`HOST:PORT`, `tcp://...`); `None` when it has no port.
        fn addr(&self, at: ValueAt) -> Option<Found> {
            let (w, off) = self.word(at);
            addr_text(w, off, w.s.len(), self.env)
        }

        /// Positional words (not options, not option values for `with_arg`).
        fn positionals(&self, with_arg: &[&str]) -> Vec<usize> {
            let mut out = Vec::new();
            let mut i = 0;
            while i < self.args.len() {
                let w = &self.args[i].s;
                if w.starts_with('-') && w.len() > 1 {
                    i += if with_arg.contains(&w.as_str()) { 2 } else { 1 };
                    continue;
                }
                out.push(i);
                i += 1;
            }
            out
        }
    }

    /// The port written in bytes `[a, b)` of `w`.
    pub fn port_text(w: &Text, a: usize, b: usize, env: &RuntimeEnv) -> Found {
        let span = w.span(a, b);
        let s = w.s.get(a..b).unwrap_or("");
        if w.tainted(a, b) {
            return Found::Unknown("a port from an unset variable".into(), span);
        }
        if let Some(p) = parse_port_number(s) {
            return Found::Port(p, span);
        }
        if runtime_var_name(s).is_some() {
            return match env.resolve(s) {
                Some(p) => Found::Port(p, span),
                None => Found::Unknown("a port from a variable stacklint cannot read".into(), span),
            };
        }
        Found::Unknown("a port stacklint cannot read".into(), span)
    }

    /// The port of an address in bytes `[a, b)` of `w`; `None` when it names none.
    pub fn addr_text(w: &Text, a: usize, b: usize, env: &RuntimeEnv) -> Option<Found> {
        if w.tainted(a, b) {
            return Some(Found::Unknown(
                "an address from an unset variable".into(),
                w.span(a, b),
            ));
        }
        match split_addr(w, a, b) {
            None => Some(Found::Unknown("a unix socket".into(), w.span(a, b))),
            Some((_, Some((pa, pb)))) => Some(port_text(w, pa, pb, env)),
            Some((_, None)) => None,
        }
    }

    fn info(program: &'static str, inv: &Invocation) -> Info {
        Info {
            program,
            found: Vec::new(),
            config: None,
            main_port: false,
            port_zero: false,
            flags_seen: Vec::new(),
            span: inv.prog_word.full_span(),
        }
    }

    impl Info {
        fn push(&mut self, f: Found, main: bool) {
            if let Found::Port(0, _) = f {
                self.port_zero |= main;
                return;
            }
            if main {
                self.main_port = true;
            }
            self.found.push(f);
        }
    }

    /// Reads the ports of a known server; `None` when the program is not one.
    pub fn parse(inv: &Invocation, env: &RuntimeEnv) -> Option<Info> {
        let a = Args {
            args: &inv.args,
            env,
        };
        let first = inv.args.first().map(|w| w.s.as_str());
        let prog = inv.prog.as_str();
        // (canonical name, port options, address options, config options)
        let ports = |i: &mut Info, names: &[&str]| {
            for at in a.values(names) {
                i.push(a.port(at), true);
            }
        };
        let addrs = |i: &mut Info, names: &[&str]| {
            for at in a.values(names) {
                match a.addr(at) {
                    Some(f) => i.push(f, true),
                    None => {
                        let (w, _) = a.word(at);
                        i.push(
                            Found::Unknown("an address without a port".into(), w.full_span()),
                            true,
                        );
                    }
                }
            }
        };
        let config = |i: &mut Info, names: &[&str]| {
            if let Some(s) = a.has(names) {
                i.config = Some(s);
            }
        };
        let unknown_if = |i: &mut Info, names: &[&str], why: &str| {
            if let Some(s) = a.has(names) {
                i.push(Found::Unknown(why.into(), s), true);
            }
        };
        let mut i;
        match prog {
            "gunicorn" | "gunicorn3" => {
                i = info("gunicorn", inv);
                addrs(&mut i, &["-b", "--bind"]);
                config(&mut i, &["-c", "--config"]);
            }
            "uvicorn" => {
                i = info("uvicorn", inv);
                ports(&mut i, &["--port"]);
                unknown_if(&mut i, &["--uds", "--fd"], "a unix socket");
            }
            "hypercorn" => {
                i = info("hypercorn", inv);
                addrs(&mut i, &["-b", "--bind", "--insecure-bind"]);
                config(&mut i, &["-c", "--config"]);
            }
            "daphne" => {
                i = info("daphne", inv);
                ports(&mut i, &["-p", "--port"]);
                for at in a.values(&["-e", "--endpoint"]) {
                    let (w, off) = a.word(at);
                    match w.s[off..].find("port=") {
                        Some(k) => {
                            let s = off + k + 5;
                            let e = w.s[s..].find(':').map(|x| s + x).unwrap_or(w.s.len());
                            i.push(port_text(w, s, e, env), true);
                        }
                        None => i.push(
                            Found::Unknown(
                                "an endpoint stacklint cannot read".into(),
                                w.full_span(),
                            ),
                            true,
                        ),
                    }
                }
                unknown_if(&mut i, &["-u", "--unix-socket", "--fd"], "a unix socket");
            }
            "granian" => {
                i = info("granian", inv);
                ports(&mut i, &["--port"]);
                unknown_if(&mut i, &["--uds"], "a unix socket");
            }
            "waitress-serve" => {
                i = info("waitress-serve", inv);
                ports(&mut i, &["--port"]);
                addrs(&mut i, &["--listen"]);
                unknown_if(&mut i, &["--unix-socket"], "a unix socket");
            }
            "fastapi" if matches!(first, Some("run" | "dev")) => {
                i = info("fastapi", inv);
                ports(&mut i, &["--port"]);
            }
            "flask" if inv.args.iter().any(|w| w.s == "run") => {
                i = info("flask", inv);
                ports(&mut i, &["-p", "--port"]);
                if !i.main_port {
                    if let Some((v, span)) = env.get("FLASK_RUN_PORT") {
                        let f = match v.and_then(parse_port_number) {
                            Some(p) => Found::Port(p, span),
                            None => Found::Unknown("`FLASK_RUN_PORT` cannot be read".into(), span),
                        };
                        i.push(f, true);
                    }
                }
            }
            "manage.py" | "django-admin" => {
                let k = inv
                    .args
                    .iter()
                    .position(|w| w.s == "runserver" || w.s == "runserver_plus")?;
                i = info("django runserver", inv);
                if let Some(w) = inv.args[k + 1..].iter().find(|w| !w.s.starts_with('-')) {
                    let f = if w.s.contains(':') {
                        addr_text(w, 0, w.s.len(), env)
                    } else {
                        Some(port_text(w, 0, w.s.len(), env))
                    };
                    if let Some(f) = f {
                        i.push(f, true);
                    }
                }
            }
            "http.server" => {
                i = info("http.server", inv);
                match a
                    .positionals(&["-b", "--bind", "-d", "--directory", "-p", "--protocol"])
                    .first()
                {
                    Some(&k) => i.push(a.port((k, 0)), true),
                    // Documented default of `python -m http.server`.
                    None => i.push(Found::Port(8000, inv.prog_word.full_span()), true),
                }
            }
            "php" => {
                if first == Some("artisan") && inv.args.get(1).is_some_and(|w| w.s == "serve") {
                    i = info("artisan serve", inv);
                    ports(&mut i, &["--port"]);
                } else if a.has(&["-S"]).is_some() || inv.args.iter().any(|w| w.s.starts_with("-S"))
                {
                    i = info("php -S", inv);
                    addrs(&mut i, &["-S"]);
                } else {
                    return None;
                }
            }
            "rails" if matches!(first, Some("s" | "server")) => {
                i = info("rails server", inv);
                ports(&mut i, &["-p", "--port"]);
            }
            "puma" => {
                i = info("puma", inv);
                ports(&mut i, &["-p", "--port"]);
                addrs(&mut i, &["-b", "--bind"]);
                config(&mut i, &["-C", "--config"]);
            }
            "unicorn" | "unicorn_rails" => {
                i = info("unicorn", inv);
                ports(&mut i, &["-p", "--port"]);
                addrs(&mut i, &["-l", "--listen"]);
                config(&mut i, &["-c", "--config-file"]);
            }
            "thin" | "rackup" => {
                i = info(if prog == "thin" { "thin" } else { "rackup" }, inv);
                ports(&mut i, &["-p", "--port"]);
            }
            "next" if matches!(first, Some("start" | "dev")) => {
                i = info("next", inv);
                ports(&mut i, &["-p", "--port"]);
            }
            "vite"
                if first.is_none_or(|f| {
                    matches!(f, "dev" | "serve" | "preview") || f.starts_with('-')
                }) =>
            {
                i = info("vite", inv);
                ports(&mut i, &["--port"]);
            }
            "nuxt" | "nuxi" if matches!(first, Some("dev" | "start" | "preview")) => {
                i = info("nuxt", inv);
                ports(&mut i, &["-p", "--port"]);
            }
            "ng" if first == Some("serve") => {
                i = info("ng serve", inv);
                ports(&mut i, &["--port"]);
            }
            "serve" => {
                i = info("serve", inv);
                ports(&mut i, &["-p", "--port"]);
                for at in a.values(&["-l", "--listen"]) {
                    let (w, off) = a.word(at);
                    let f = if w.s[off..].contains(':') {
                        addr_text(w, off, w.s.len(), env)
                    } else {
                        Some(port_text(w, off, w.s.len(), env))
                    };
                    if let Some(f) = f {
                        i.push(f, true);
                    }
                }
            }
            "http-server" | "json-server" => {
                i = info(
                    if prog == "http-server" {
                        "http-server"
                    } else {
                        "json-server"
                    },
                    inv,
                );
                ports(&mut i, &["-p", "--port"]);
            }
            "webpack-dev-server" => {
                i = info("webpack-dev-server", inv);
                ports(&mut i, &["--port"]);
            }
            "webpack" if first == Some("serve") => {
                i = info("webpack serve", inv);
                ports(&mut i, &["--port"]);
            }
            "astro" if matches!(first, Some("dev" | "preview")) => {
                i = info("astro", inv);
                ports(&mut i, &["--port"]);
            }
            "streamlit" if first == Some("run") => {
                i = info("streamlit", inv);
                ports(&mut i, &["--server.port"]);
            }
            "jupyter" if matches!(first, Some("lab" | "notebook" | "server")) => {
                i = info("jupyter", inv);
                ports(
                    &mut i,
                    &["--port", "--ServerApp.port", "--NotebookApp.port"],
                );
            }
            "mkdocs" if first == Some("serve") => {
                i = info("mkdocs", inv);
                addrs(&mut i, &["-a", "--dev-addr"]);
            }
            "hugo" if matches!(first, Some("server" | "serve")) => {
                i = info("hugo", inv);
                ports(&mut i, &["-p", "--port"]);
            }
            "mlflow" if matches!(first, Some("server" | "ui")) => {
                i = info("mlflow", inv);
                ports(&mut i, &["-p", "--port"]);
            }
            "flower" => {
                i = info("flower", inv);
                ports(&mut i, &["--port"]);
            }
            "celery" if inv.args.iter().any(|w| w.s == "flower") => {
                i = info("flower", inv);
                ports(&mut i, &["--port"]);
            }
            "java"
                if inv.args.iter().any(|w| {
                    w.s.starts_with("-Dserver.port=") || w.s.starts_with("--server.port=")
                }) =>
            {
                i = info("java", inv);
                for w in inv.args.iter() {
                    for pre in ["-Dserver.port=", "--server.port="] {
                        if w.s.starts_with(pre) {
                            i.push(port_text(w, pre.len(), w.s.len(), env), true);
                        }
                    }
                }
            }
            "redis-server" | "valkey-server" | "redis-stack-server" | "keydb-server" => {
                i = info("redis-server", inv);
                ports(&mut i, &["--port"]);
                for at in a.values(&["--tls-port"]) {
                    i.push(a.port(at), false);
                }
                // `redis-server /path/redis.conf [--opts]`: a config file first.
                if let Some(w) = inv.args.first().filter(|w| !w.s.starts_with("--")) {
                    i.config = Some(w.full_span());
                }
                config(&mut i, &["--include"]);
            }
            "postgres" | "postmaster" => {
                i = info("postgres", inv);
                ports(&mut i, &["-p", "--port"]);
                for at in a.values(&["-c"]) {
                    let (w, off) = a.word(at);
                    let v = &w.s[off..];
                    if let Some(rest) = v.strip_prefix("port=") {
                        let _ = rest;
                        i.push(port_text(w, off + 5, w.s.len(), env), true);
                    } else if v.starts_with("config_file=") {
                        i.config = Some(w.full_span());
                    }
                }
                config(&mut i, &["--config_file", "--config-file"]);
            }
            "mysqld" | "mariadbd" | "mysqld_safe" | "mariadbd-safe" => {
                i = info("mysqld", inv);
                ports(&mut i, &["-P", "--port"]);
                config(&mut i, &["--defaults-file", "--defaults-extra-file"]);
                unknown_if(&mut i, &["--skip-networking"], "networking is off");
            }
            "mongod" => {
                i = info("mongod", inv);
                ports(&mut i, &["--port"]);
                config(&mut i, &["--config", "-f"]);
                if !i.main_port {
                    // A shard or config server listens on 27018 / 27019.
                    unknown_if(
                        &mut i,
                        &["--shardsvr", "--configsvr"],
                        "a shard or config server listens on another port",
                    );
                }
            }
            "memcached" => {
                i = info("memcached", inv);
                ports(&mut i, &["-p", "--port"]);
                unknown_if(&mut i, &["-s", "--unix-socket"], "a unix socket");
            }
            "nginx" | "nginx-debug" | "openresty" => {
                i = info("nginx", inv);
                config(&mut i, &["-c"]);
                // The ports come from the config; an NGINX service reads them there.
                i.found.clear();
                if i.config.is_some() {
                    i.push(
                        Found::Unknown(
                            "NGINX reads another config".into(),
                            i.config.unwrap_or(i.span),
                        ),
                        true,
                    );
                }
            }
            "httpd" | "httpd-foreground" | "apache2-foreground" | "apachectl" => {
                i = info("httpd", inv);
                config(&mut i, &["-f"]);
            }
            "traefik" => {
                i = info("traefik", inv);
                for (k, w) in inv.args.iter().enumerate() {
                    let lower = w.s.to_ascii_lowercase();
                    if lower.starts_with("--entrypoints.") {
                        let (key, off) = match w.s.split_once('=') {
                            Some((k, _)) => (k.to_ascii_lowercase(), k.len() + 1),
                            None => (lower.clone(), usize::MAX),
                        };
                        if !key.ends_with(".address") {
                            continue;
                        }
                        let (w, off) = if off == usize::MAX {
                            match inv.args.get(k + 1) {
                                Some(n) => (n, 0),
                                None => continue,
                            }
                        } else {
                            (w, off)
                        };
                        if w.s[off..].to_ascii_lowercase().ends_with("/udp") {
                            continue;
                        }
                        let end = w.s[off..].find('/').map(|x| off + x).unwrap_or(w.s.len());
                        if let Some(f) = addr_text(w, off, end, env) {
                            i.push(f, true);
                        }
                    }
                }
                config(&mut i, &["--configfile", "--configFile", "--configFile"]);
            }
            "prometheus" | "alertmanager" | "node_exporter" => {
                i = info(
                    match prog {
                        "prometheus" => "prometheus",
                        "alertmanager" => "alertmanager",
                        _ => "node_exporter",
                    },
                    inv,
                );
                addrs(&mut i, &["--web.listen-address"]);
            }
            "minio" if inv.args.iter().any(|w| w.s == "server") => {
                i = info("minio", inv);
                addrs(&mut i, &["--address"]);
                for at in a.values(&["--console-address"]) {
                    i.flags_seen.push("--console-address");
                    if let Some(f) = a.addr(at) {
                        i.push(f, false);
                    }
                }
            }
            "grafana-server" => {
                i = info("grafana", inv);
                config(&mut i, &["--config", "-config"]);
            }
            "grafana" if first == Some("server") => {
                i = info("grafana", inv);
                config(&mut i, &["--config", "-config"]);
            }
            "rabbitmq-server" => i = info("rabbitmq-server", inv),
            "elasticsearch" => {
                i = info("elasticsearch", inv);
                for at in a.values(&["-E"]) {
                    let (w, off) = a.word(at);
                    if let Some(rest) = w.s[off..].strip_prefix("http.port=") {
                        let _ = rest;
                        i.push(port_text(w, off + 10, w.s.len(), env), true);
                    }
                }
            }
            "opensearch" => i = info("opensearch", inv),
            "influxd" => {
                i = info("influxd", inv);
                addrs(&mut i, &["--http-bind-address"]);
            }
            _ => return None,
        }
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::server::Found;
    use super::shell::{self, Text};
    use super::*;
    use crate::source::FileId;

    fn t(s: &str) -> Text {
        Text::exact(s, Span::new(FileId(0), 0, s.len()), 0)
    }

    fn ports_of(cmd: &str) -> Vec<Found> {
        let env = RuntimeEnv::default();
        shell::invocations(&t(cmd))
            .iter()
            .filter_map(|i| server::parse(i, &env))
            .flat_map(|i| i.found)
            .collect()
    }

    fn port_list(cmd: &str) -> Vec<u16> {
        ports_of(cmd)
            .into_iter()
            .filter_map(|f| match f {
                Found::Port(p, _) => Some(p),
                Found::Unknown(..) => None,
            })
            .collect()
    }

    fn span_text(cmd: &str) -> Vec<String> {
        ports_of(cmd)
            .into_iter()
            .map(|f| match f {
                Found::Port(_, s) | Found::Unknown(_, s) => cmd[s.start..s.end].to_string(),
            })
            .collect()
    }

    #[test]
    fn splits_like_a_shell() {
        let cmds = shell::split(&t(
            "FOO=1 gunicorn -b '0.0.0.0:5000' \"app:app\" 2>&1 >/dev/null && echo ok; x & y",
        ));
        let words: Vec<Vec<String>> = cmds
            .iter()
            .map(|c| c.words.iter().map(|w| w.s.clone()).collect())
            .collect();
        assert_eq!(
            words,
            vec![
                vec!["FOO=1", "gunicorn", "-b", "0.0.0.0:5000", "app:app"],
                vec!["echo", "ok"],
                vec!["x"],
                vec!["y"]
            ]
        );
        assert!(cmds[2].background && !cmds[0].background);
        let w = shell::split(&t("echo x > /etc/nginx/conf.d/default.conf"));
        assert!(w[0].writes_file);
        assert_eq!(w[0].words.len(), 2);
        // A quoted word keeps the positions of its characters.
        let src = "gunicorn -b '0.0.0.0:5000'";
        let c = shell::split(&t(src));
        let word = &c[0].words[2];
        let s = word.span(8, 12);
        assert_eq!(&src[s.start..s.end], "5000");
    }

    #[test]
    fn wrappers_are_seen_through() {
        let progs = |s: &str| -> Vec<String> {
            shell::invocations(&t(s))
                .into_iter()
                .map(|i| i.prog)
                .collect()
        };
        assert_eq!(progs("exec gosu app tini -- gunicorn app"), ["gunicorn"]);
        assert_eq!(
            progs("sh -c \"python manage.py migrate && exec python -m uvicorn main:app\""),
            ["manage.py", "uvicorn"]
        );
        assert_eq!(
            progs("/bin/bash -ec 'poetry run hypercorn app'"),
            ["hypercorn"]
        );
        assert_eq!(
            progs("./wait-for-it.sh db:5432 -- npx next start -p 3000"),
            ["next"]
        );
        assert_eq!(progs("node node_modules/.bin/next start"), ["next"]);
        assert_eq!(progs("node server.js --port 3000"), ["node"]);
        assert_eq!(progs("python3 -u app.py"), ["app.py"]);
    }

    #[test]
    fn server_flags() {
        assert_eq!(port_list("gunicorn -b 0.0.0.0:5000 app:app"), [5000]);
        assert_eq!(
            port_list("gunicorn --bind=[::]:8001 --bind unix:/tmp/s app"),
            [8001]
        );
        assert_eq!(span_text("gunicorn -b 0.0.0.0:5000 app:app"), ["5000"]);
        assert_eq!(
            port_list("uvicorn main:app --host 0.0.0.0 --port 8080"),
            [8080]
        );
        assert_eq!(port_list("uvicorn main:app --port=8081"), [8081]);
        assert_eq!(port_list("hypercorn -b 0.0.0.0:9000 app:app"), [9000]);
        assert_eq!(port_list("flask run --host 0.0.0.0 -p 5001"), [5001]);
        assert_eq!(port_list("python -m flask run --port=5002"), [5002]);
        assert_eq!(port_list("python manage.py runserver 0.0.0.0:8002"), [8002]);
        assert_eq!(port_list("python manage.py runserver 8003"), [8003]);
        assert_eq!(port_list("python -m http.server 8004"), [8004]);
        assert_eq!(port_list("python3 -m http.server --bind 0.0.0.0"), [8000]);
        assert_eq!(port_list("php -S 0.0.0.0:8005 -t public"), [8005]);
        assert_eq!(
            port_list("php artisan serve --host=0.0.0.0 --port=8006"),
            [8006]
        );
        assert_eq!(port_list("bundle exec rails s -p 3001 -b 0.0.0.0"), [3001]);
        assert_eq!(port_list("puma -b tcp://0.0.0.0:3002"), [3002]);
        assert_eq!(port_list("npx next start -p 3003"), [3003]);
        assert_eq!(port_list("vite preview --port 4173 --host"), [4173]);
        assert_eq!(port_list("serve -s build -l 3004"), [3004]);
        assert_eq!(
            port_list("redis-server --port 6380 --appendonly yes"),
            [6380]
        );
        assert_eq!(port_list("postgres -c port=5433"), [5433]);
        assert_eq!(port_list("postgres -p 5434"), [5434]);
        assert_eq!(port_list("mysqld --port=3307"), [3307]);
        assert_eq!(port_list("mongod --port 27018 --bind_ip_all"), [27018]);
        assert_eq!(port_list("memcached -p 11212"), [11212]);
        assert_eq!(
            port_list("traefik --entrypoints.web.address=:8081 --entryPoints.dns.address=:53/udp"),
            [8081]
        );
        assert_eq!(port_list("java -Dserver.port=8082 -jar app.jar"), [8082]);
        // Not recognizably a server: node's own flags, npm scripts, unknown scripts.
        assert!(port_list("node server.js --port 3000").is_empty());
        assert!(port_list("npm run dev -- --port 3000").is_empty());
        assert!(port_list("next build").is_empty());
        // A port from a variable the container does not define is unknown.
        assert!(matches!(
            ports_of("uvicorn app --port $PORT")[..],
            [Found::Unknown(..)]
        ));
    }

    #[test]
    fn runtime_variables_resolve_from_the_environment() {
        let mut env = RuntimeEnv::default();
        env.vars.insert(
            "PORT".into(),
            (Some("5000".into()), Span::new(FileId(0), 0, 0)),
        );
        let inv = shell::invocations(&t("gunicorn -b 0.0.0.0:${PORT:-8000} app"));
        let info = server::parse(&inv[0], &env).unwrap();
        assert!(matches!(info.found[..], [Found::Port(5000, _)]));
        assert_eq!(env.resolve("$PORT"), Some(5000));
        assert_eq!(env.resolve("${NOPE}"), None);
    }

    #[test]
    fn interpolated_values_map_to_their_source() {
        use crate::parse::interpolate::{Op, VarUse};
        use crate::parse::yaml::{Node, Scalar, Style, Value};
        use crate::source::{FileKind, SourceFile, Sources};
        let src = "x: \"http://localhost:${PORT:-8000}/h $$HOME\"\n";
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new("c.yaml", FileKind::Compose, src.into()));
        let start = src.find('"').unwrap_or(0);
        let end = src.rfind('"').unwrap_or(0) + 1;
        let expr = src.find("${").unwrap_or(0);
        let use_ = |op, defined| VarUse {
            name: "PORT".into(),
            op,
            range: expr - start - 1..expr - start - 1 + "${PORT:-8000}".len(),
            span: Some(Span::new(id, expr, expr + "${PORT:-8000}".len())),
            defined,
            source: None,
        };
        let node = |value: &str, u: VarUse| Node {
            span: Span::new(id, start, end),
            tag: None,
            value: Value::Scalar(Scalar {
                value: value.into(),
                style: Style::DoubleQuoted,
                vars: vec![u],
            }),
        };
        let n = node(
            "http://localhost:8000/h $HOME",
            use_(Op::Default { colon: true }, false),
        );
        let t = Text::from_node(&n, &sources);
        let at = t.s.find("8000").unwrap_or(0);
        let s = t.span(at, at + 4);
        assert_eq!(&src[s.start..s.end], "${PORT:-8000}");
        assert!(!t.tainted(at, at + 4));
        // Literal text keeps its own position, `$$` maps to its first `$`.
        let h = t.s.find("/h").unwrap_or(0);
        let s = t.span(h, h + 2);
        assert_eq!(&src[s.start..s.end], "/h");
        let d = t.s.find('$').unwrap_or(0);
        let s = t.span(d, t.s.len());
        assert_eq!(&src[s.start..s.end], "$$HOME");
        // `${PORT:+9000}` may leave anything: tainted.
        let n = node(
            "http://localhost:9000/h $HOME",
            use_(Op::Alternative { colon: true }, true),
        );
        let t = Text::from_node(&n, &sources);
        let at = t.s.find("9000").unwrap_or(0);
        assert!(t.tainted(at, at + 4));
    }

    #[test]
    fn image_names() {
        let name = |s: &str| product_for_image(s).map(|p| p.name);
        assert_eq!(name("postgres:16-alpine"), Some("postgres"));
        assert_eq!(name("docker.io/library/redis:7@sha256:abc"), Some("redis"));
        assert_eq!(name("public.ecr.aws/docker/library/mysql:8"), Some("mysql"));
        assert_eq!(name("quay.io/minio/minio:latest"), Some("minio"));
        assert_eq!(
            name("docker.elastic.co/elasticsearch/elasticsearch:8.15.0"),
            Some("elasticsearch")
        );
        assert_eq!(name("localhost:5000/nginx"), Some("nginx"));
        assert_eq!(
            name("nginxinc/nginx-unprivileged:alpine"),
            Some("nginx-unprivileged")
        );
        assert_eq!(name("myorg/postgres-backup"), None);
        assert_eq!(name("ghcr.io/foo/postgres"), None);
        assert_eq!(name("prometheuscommunity/postgres-exporter"), None);
        assert_eq!(name("/postgres:16"), None);
    }

    #[test]
    fn addresses() {
        let port = |s: &str| {
            let x = t(s);
            shell::split_addr(&x, 0, s.len())
                .and_then(|(_, p)| p)
                .map(|(a, b)| s[a..b].to_string())
        };
        assert_eq!(port("0.0.0.0:5000").as_deref(), Some("5000"));
        assert_eq!(port("[::]:80").as_deref(), Some("80"));
        assert_eq!(port("tcp://0.0.0.0:3000/x").as_deref(), Some("3000"));
        assert_eq!(
            port("0.0.0.0:${PORT:-8000}").as_deref(),
            Some("${PORT:-8000}")
        );
        assert_eq!(port("localhost").as_deref(), None);
        assert_eq!(shell::split_addr(&t("unix:/tmp/x"), 0, 11), None);
        assert!(matches!(
            listen_port(&t("[::]:8080")),
            Some(Ok((8080, 8080, _)))
        ));
        assert!(matches!(
            listen_port(&t("127.0.0.1")),
            Some(Ok((80, 80, _)))
        ));
        assert!(matches!(listen_port(&t("443")), Some(Ok((443, 443, _)))));
        assert!(matches!(listen_port(&t("${PORT}")), Some(Err(()))));
    }
}
