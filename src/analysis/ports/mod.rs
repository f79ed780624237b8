//! Which ports a service listens on, from evidence with spans: `ports`, `expose`,
//! server flags in `command`/`entrypoint`, `PORT`-style variables, NGINX `listen`,
//! Dockerfile `EXPOSE`, and the documented defaults of well-known images.
//!
//! Evidence comes in two strengths. A server flag (`gunicorn -b :5000`), an NGINX
//! `listen`, an image's documented default or a product's own port variable
//! (`PGPORT`) say which ports the server binds: they *define* the set. `ports`,
//! `expose`, `EXPOSE` and a generic `PORT` variable only say which ports are
//! published or documented; a server may listen on more (an admin port, a metrics
//! port). [`Listening::defined`] tells the two apart, and `Listening::unknown`
//! lists what stacklint could not read (a port from an unset variable, a config
//! file that may move the port, a command it does not understand).

use compact_str::CompactString;

use crate::compose::model::{parse_port_short, MountKind, Service};
use crate::compose::stack::Project;
use crate::parse::dockerfile::{Dockerfile, Instruction};
use crate::parse::yaml::NodeRef;
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
pub fn service_node<'a>(p: &'a Project, name: &str) -> Option<NodeRef<'a>> {
    p.service_node(name)
}

/// What stacklint knows about the ports `svc` listens on.
pub fn listening(p: &Project, svc: &Service) -> Listening {
    let env = RuntimeEnv::of(p, svc, service_node(p, &svc.name.value));
    listening_with(p, svc, &env)
}

/// [`listening`], given the container's variables (`RuntimeEnv::of` the service).
pub fn listening_with(p: &Project, svc: &Service, env: &RuntimeEnv) -> Listening {
    let mut l = Listening::default();
    let node = service_node(p, &svc.name.value);
    let df = p.dockerfiles.get(svc.name.value.as_str());
    ports_and_expose(p, svc, node, &mut l);
    let product = product_of(p, svc, node);
    let cmds = Commands::of(p, node, df.map(|(_, d)| d));
    match product {
        Some((prod, span)) => {
            l.product = Some(prod.name.as_str());
            l.product_span = Some(span);
            product_ports(p, svc, node, df.map(|(_, d)| d), prod, &cmds, env, &mut l);
        }
        None => server_flags(&cmds, env, &mut l),
    }
    // A server flag in the command decides the port; a `PORT`-style variable that
    // merely exists in the environment does not add one.
    // Not when an entrypoint script runs first: it may read the variable itself.
    let bound = product.is_none()
        && !cmds.entrypoint_script(env)
        && l.evidence
            .iter()
            .any(|e| matches!(e.kind, EvidenceKind::Command | EvidenceKind::DockerfileCmd));
    let mut from_env = Listening::default();
    generic_env(svc, env, &mut from_env);
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
        dockerfile_expose(d, env, &mut l);
    }
    // Keep the documented order of kinds; within a kind, the order found.
    l.evidence.sort_by_key(|e| e.kind);
    dedup_evidence(&mut l.evidence);
    if l.unknown.len() > 1 {
        let mut seen = std::collections::HashSet::new();
        l.unknown.retain(|u| seen.insert((u.why.clone(), u.span)));
    }
    l
}

/// Drops evidence an earlier item repeats (same port, kind and span), in order.
/// A service has a few items, compared in place; a port range adds up to
/// [`MAX_RANGE`], which a set keeps linear (a set for every service was 0.3% of a
/// large stack's instructions).
fn dedup_evidence(v: &mut Vec<PortEvidence>) {
    const FEW: usize = 16;
    let key = |e: &PortEvidence| (e.port, e.kind, e.span);
    if v.len() <= FEW {
        let mut kept = 0;
        for i in 0..v.len() {
            if !v[..kept].iter().any(|e| key(e) == key(&v[i])) {
                v.swap(kept, i);
                kept += 1;
            }
        }
        v.truncate(kept);
        return;
    }
    let mut seen = foldhash::HashSet::default();
    v.retain(|e| seen.insert(key(e)));
}

// ---------------------------------------------------------------------------
// `ports` and `expose`

fn ports_and_expose(p: &Project, svc: &Service, node: Option<NodeRef<'_>>, l: &mut Listening) {
    let items = node
        .and_then(|n| n.get("ports"))
        .and_then(NodeRef::as_seq)
        .unwrap_or_default();
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
                None => l.unknown("a port stacklint cannot read", Some(item.span())),
            }
        } else if let Some(target) = item.get("target") {
            let proto = item
                .get("protocol")
                .and_then(NodeRef::as_str)
                .unwrap_or("tcp");
            if !proto.eq_ignore_ascii_case("tcp") {
                continue;
            }
            let t = Text::from_node(target, &p.sources);
            match parse_range(&t.s) {
                Some((a, b)) if !t.any_taint() => {
                    add_range(l, a, b, EvidenceKind::Ports, t.span(0, t.s.len()))
                }
                _ => l.unknown("a port stacklint cannot read", Some(target.span())),
            }
        }
    }
    let _ = svc;
    let expose = node.and_then(|n| n.get("expose"));
    let items: Vec<NodeRef<'_>> = match expose {
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
            _ => l.unknown("an exposed port stacklint cannot read", Some(item.span())),
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
            let span = Span::new(w.span.file, w.span.start(), w.span.start() + body.len());
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
///
/// Kept for every service: names and short values inline (a `String` each took
/// an allocation of its own, six for a service of three variables), in one
/// slice sorted by name (a hash map per service took half as much again).
#[derive(Clone, Debug, Default)]
pub struct RuntimeEnv {
    /// (Name, value when known, where it is set), by name, each name once.
    vars: Box<[(CompactString, Option<CompactString>, Span)]>,
}

/// A [`RuntimeEnv`] being built: its settings in the order they apply.
#[derive(Default)]
struct Settings(Vec<(CompactString, Option<CompactString>, Span)>);

impl Settings {
    /// Sets `name`; a later setting replaces an earlier one.
    fn set(&mut self, name: impl Into<CompactString>, value: Option<CompactString>, span: Span) {
        self.0.push((name.into(), value, span));
    }

    /// The last setting of each name, by name.
    fn finish(mut self) -> RuntimeEnv {
        // Stable: the settings of a name stay in the order they apply.
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
        let mut vars: Vec<(CompactString, Option<CompactString>, Span)> =
            Vec::with_capacity(self.0.len());
        for v in self.0 {
            match vars.last_mut() {
                Some(last) if last.0 == v.0 => *last = v,
                _ => vars.push(v),
            }
        }
        RuntimeEnv {
            vars: vars.into_boxed_slice(),
        }
    }
}

impl RuntimeEnv {
    pub fn of(p: &Project, svc: &Service, node: Option<NodeRef<'_>>) -> RuntimeEnv {
        let mut env = Settings::default();
        if let Some((_, d)) = p.dockerfiles.get(svc.name.value.as_str()) {
            for ins in image_instructions(d)
                .into_iter()
                .filter(|i| i.name == "ENV")
            {
                for (k, v, span) in dockerfile_env(ins) {
                    let known = (!v.contains('$')).then(|| CompactString::from(v));
                    env.set(k, known, span);
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
                let known = (!e.is_inherited() && !e.value.contains('$'))
                    .then(|| CompactString::from(e.value.as_str()));
                env.set(e.key.as_str(), known, e.value_span);
            }
        }
        let entries = node
            .and_then(|n| n.get("environment"))
            .and_then(NodeRef::as_map)
            .unwrap_or_default();
        for (k, v) in entries {
            let Some(key) = k.as_str() else { continue };
            // Mapped once, read twice.
            let t = (v.as_str().is_some() || !v.is_null()).then(|| Text::from_node(v, &p.sources));
            let known = v.as_str().and_then(|s| {
                let t = t.as_ref()?;
                (!t.any_taint() && !s.contains('$')).then(|| CompactString::from(s))
            });
            let span = match &t {
                Some(t) if !v.is_null() => t.full_span(),
                _ => k.span(),
            };
            env.set(key, known, span);
        }
        env.finish()
    }

    /// Every variable with a known value, by name.
    pub fn known(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter_map(|(k, v, _)| Some((k.as_str(), v.as_deref()?)))
    }

    /// The names set, in order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(k, _, _)| k.as_str())
    }

    /// The value of `name` and where it is set; the value is `None` when it is set
    /// in a way stacklint cannot read (inherited from the shell, or from a variable).
    pub fn get(&self, name: &str) -> Option<(Option<&str>, Span)> {
        // The rules ask for names a container seldom sets: 58,000 questions on
        // 2,000 services, where a search by halves compared bytes three times
        // each (174,000 `memcmp` calls, 10.5 M instructions). Among a few
        // variables, a scan passes over a name of another length without
        // reading a byte.
        const FEW: usize = 16;
        let found = if self.vars.len() <= FEW {
            self.vars.iter().find(|(k, _, _)| k.as_str() == name)
        } else {
            let at = self
                .vars
                .binary_search_by(|(k, _, _)| k.as_str().cmp(name))
                .ok()?;
            self.vars.get(at)
        };
        found.map(|(_, v, s)| (v.as_deref(), *s))
    }

    /// A port written as digits, or as `$NAME` / `${NAME}` / `${NAME:-8000}` with
    /// `NAME` set to digits in the container's environment.
    pub fn resolve(&self, s: &str) -> Option<u16> {
        if let Some(p) = parse_port_number(s) {
            return Some(p);
        }
        let name = runtime_var_name(s)?;
        let (v, _) = self.get(name)?;
        parse_port_number(v?)
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
            let start = w.span.start() + k.len() + 1;
            out.push((
                k.to_string(),
                unquote(v),
                Span::new(w.span.file, start, w.span.end()),
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

/// Whether `var` is `<SERVICE>_PORT` of service `name`: the name in upper case,
/// `-` and `.` written `_` (`API_PORT`, `MY_APP_PORT` of `my-app`).
fn is_own_port_var(var: &str, name: &str) -> bool {
    let Some(head) = var.strip_suffix("_PORT") else {
        return false;
    };
    head.len() == name.len()
        && head.bytes().zip(name.bytes()).all(|(v, n)| {
            v == match n {
                b'-' | b'.' => b'_',
                n => n.to_ascii_uppercase(),
            }
        })
}

fn generic_env(svc: &Service, env: &RuntimeEnv, l: &mut Listening) {
    // `<SERVICE>_PORT` names the service's own port (`API_PORT` in `api`); other
    // `*_PORT` names (`POSTGRES_PORT`, `REDIS_PORT`) are the ports of other services.
    // The name is found among the variables set rather than built for each service.
    let own = env.names().find(|k| is_own_port_var(k, &svc.name.value));
    for name in GENERIC_PORT_VARS.iter().copied().chain(own) {
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

mod command;
mod nginx_listen;
mod product;
pub use command::*;
use nginx_listen::*;
pub use product::*;

// ---------------------------------------------------------------------------
// Text with positions, and a small shell word splitter

pub use crate::parse::shell;

// ---------------------------------------------------------------------------
// Server flags

pub mod server;

#[cfg(test)]
mod tests;
