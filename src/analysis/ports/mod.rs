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
use crate::compose::stack::Project;
use crate::parse::dockerfile::{Dockerfile, Instruction};
use crate::parse::yaml::Node;
use crate::source::Span;

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
            l.product = Some(prod.name.as_str());
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
    crate::compose::base::final_instructions(d)
        .into_iter()
        .rev()
        .flatten()
        .collect()
}

/// The image's ENTRYPOINT and CMD, inherited from earlier stages. A stage that sets
/// ENTRYPOINT without a CMD of its own drops the CMD it inherits, as the builder does.
fn image_commands(d: &Dockerfile) -> (Option<&Instruction>, Option<&Instruction>) {
    let (mut ep, mut cmd, mut cmd_done) = (None, None, false);
    for stage in crate::compose::base::final_instructions(d) {
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

mod products;
use products::{ArgsOnly, Product, VarForm};

/// `docker.io/library/redis:7-alpine@sha256:..` → `redis`; `quay.io/minio/minio` →
/// `minio/minio`. `None` when the name is not a plain, fully known reference.
pub fn image_path(image: &str) -> Option<String> {
    crate::image::ImageRef::parse(image).map(|i| i.path)
}

/// The well-known product an image is, if it is clearly one.
pub fn product_for_image(image: &str) -> Option<&'static Product> {
    let path = image_path(image)?;
    crate::knowledge::port_product(&path)
}

/// The port behaviour of what the service runs ([`crate::compose::base::base_image`]):
/// its image, or the base image of the Dockerfile it builds.
fn product_of(p: &Project, svc: &Service, node: Option<&Node>) -> Option<(&'static Product, Span)> {
    use crate::compose::base::Origin;
    let base = crate::compose::base::base_image(p, svc)?;
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
    crate::knowledge::port_product(&base.image.path).map(|prod| (prod, base.span))
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
fn run_mentions(df: Option<&Dockerfile>, paths: &[impl AsRef<str>]) -> Option<Span> {
    let d = df?;
    image_instructions(d)
        .into_iter()
        .filter(|i| i.name == "RUN")
        .find(|i| {
            i.args
                .iter()
                .any(|w| paths.iter().any(|p| w.value.contains(p.as_ref())))
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
    for (vars, main) in [(&prod.vars, true), (&prod.extra_vars, false)] {
        for crate::knowledge::PortVar {
            name: pattern,
            form,
        } in vars
        {
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
        let own = prod.servers.iter().any(|s| s == info.program);
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
        for cfg in &prod.config_paths {
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
        if let Some(span) = run_mentions(df, &prod.config_paths) {
            l.unknown(
                "the Dockerfile edits a config file that may set the port",
                Some(span),
            );
        }
    }
    if let Some(flag) = prod.random_unless.as_deref() {
        if !explicit.contains(&flag) {
            l.unknown(
                format!("`{}` picks a random port unless `{flag}` is set", prod.name),
                None,
            );
        }
    }

    if prod.servers.iter().any(|s| s == "nginx") {
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
    let server_name = prod.servers.first().map(String::as_str);
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
            Some(info) if prod.servers.iter().any(|s| s == info.program) => {
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
    let official = prod.nginx_default_conf;
    let default_conf = "/etc/nginx/conf.d/default.conf";
    let ours: Vec<&crate::compose::proxy::NginxConfig> = p
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
        .any(|c| c.container_path.as_deref() == Some(crate::compose::proxy::MAIN_CONF));
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
        for &port in &prod.ports {
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

pub use crate::parse::shell;

// ---------------------------------------------------------------------------
// Server flags

pub mod server;

#[cfg(test)]
mod tests;
