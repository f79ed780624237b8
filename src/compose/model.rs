//! The typed compose model, built from the merged, interpolated tree. Every value
//! keeps the span of the text that supplied it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use crate::compose::merge::sub_span;
use crate::parse::interpolate::VarUse;
use crate::parse::yaml::{Kind, NodeRef, SharedItems};
use crate::paths::normalize_path;
use crate::source::{Sources, Span};
pub use compact_str::CompactString;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

fn text(n: NodeRef<'_>) -> Option<Spanned<CompactString>> {
    n.as_str()
        .map(|s| Spanned::new(CompactString::from(s), n.span()))
}

fn texts(n: Option<NodeRef<'_>>) -> Vec<Spanned<CompactString>> {
    match n {
        None => Vec::new(),
        Some(n) => match n.kind() {
            Kind::Seq(items) => items.iter().filter_map(text).collect(),
            Kind::Scalar(_) => text(n).into_iter().collect(),
            _ => Vec::new(),
        },
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl PortRange {
    pub fn contains(&self, p: u16) -> bool {
        self.start <= p && p <= self.end
    }

    fn parse(s: &str) -> Option<PortRange> {
        let s = s.trim();
        match s.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                (a <= b).then_some(PortRange { start: a, end: b })
            }
            None => {
                let p = s.parse().ok()?;
                Some(PortRange { start: p, end: p })
            }
        }
    }
}

/// One entry of `ports`, in either syntax.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Port {
    /// The host interface; `None` means all interfaces.
    pub host_ip: Option<String>,
    pub published: Option<PortRange>,
    pub target: PortRange,
    pub protocol: String,
    /// The whole entry.
    pub span: Span,
    pub vars: Vec<VarUse>,
}

impl Port {
    /// Whether the host side listens on every interface (no IP or a wildcard IP).
    /// Whether the entry depends on a variable that has no value (`$PORT`,
    /// `${PORT:?}` unset): what it publishes cannot be judged.
    pub fn uncertain(&self) -> bool {
        self.vars.iter().any(|u| {
            !u.defined
                && matches!(
                    u.op,
                    crate::parse::interpolate::Op::Plain
                        | crate::parse::interpolate::Op::Required { .. }
                )
        })
    }

    pub fn on_all_interfaces(&self) -> bool {
        match self.host_ip.as_deref() {
            None => true,
            Some(ip) => matches!(ip, "" | "0.0.0.0" | "::" | "[::]"),
        }
    }
}

/// Parses the short syntax `[[HOST_IP:]HOST[-RANGE]:]CONTAINER[-RANGE][/PROTOCOL]`.
pub fn parse_port_short(s: &str) -> Option<(Option<String>, Option<PortRange>, PortRange, String)> {
    let s = s.trim();
    let (body, proto) = match s.rsplit_once('/') {
        Some((b, p)) => (b, p.to_ascii_lowercase()),
        None => (s, "tcp".to_string()),
    };
    // A bracketed IPv6 host IP: `[::1]:80:80`.
    let (ip, rest) = if let Some(r) = body.strip_prefix('[') {
        let (ip, rest) = r.split_once(']')?;
        (Some(ip.to_string()), rest.strip_prefix(':')?)
    } else {
        let colons = body.matches(':').count();
        if colons >= 3 {
            // An unbracketed IPv6 address: the last two fields are ports.
            let mut parts = body.rsplitn(3, ':');
            let target = parts.next()?;
            let host = parts.next()?;
            let ip = parts.next()?;
            return Some((
                Some(ip.to_string()),
                if host.is_empty() {
                    None
                } else {
                    Some(PortRange::parse(host)?)
                },
                PortRange::parse(target)?,
                proto,
            ));
        }
        if colons == 2 {
            let (ip, rest) = body.split_once(':')?;
            (Some(ip.to_string()), rest)
        } else {
            (None, body)
        }
    };
    let (host, target) = match rest.rsplit_once(':') {
        Some((h, t)) => (if h.is_empty() { None } else { Some(h) }, t),
        None => (None, rest),
    };
    let target = PortRange::parse(target)?;
    let published = match host {
        Some(h) => Some(PortRange::parse(h)?),
        None => None,
    };
    Some((ip, published, target, proto))
}

fn parse_port(n: NodeRef<'_>) -> Option<Port> {
    let vars = n.as_scalar().map(|s| s.vars.to_vec()).unwrap_or_default();
    if let Some(s) = n.as_str() {
        let (host_ip, published, target, protocol) = parse_port_short(s)?;
        return Some(Port {
            host_ip,
            published,
            target,
            protocol,
            span: n.span(),
            vars,
        });
    }
    let target = PortRange::parse(n.get("target")?.as_str()?)?;
    let published = n
        .get("published")
        .and_then(NodeRef::as_str)
        .filter(|s| !s.is_empty())
        .and_then(PortRange::parse);
    Some(Port {
        host_ip: n
            .get("host_ip")
            .and_then(NodeRef::as_str)
            .map(str::to_string),
        published,
        target,
        protocol: n
            .get("protocol")
            .and_then(NodeRef::as_str)
            .unwrap_or("tcp")
            .to_string(),
        span: n.span(),
        vars: Vec::new(),
    })
}

/// `command` / `entrypoint` / a healthcheck test: shell form or exec form.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Command {
    /// The string form, run by a shell.
    pub shell: Option<Spanned<CompactString>>,
    /// The list form, one spanned argument each.
    pub exec: Exec,
    pub span: Span,
}

/// The list form of a command: its items stay in the YAML tree, shared rather than
/// copied (a command can be a list of a million items). Serialized as the list of
/// spanned strings it reads as.
#[derive(Clone, Debug, Default)]
pub struct Exec {
    /// The list's items.
    seq: Option<SharedItems>,
    /// Items before this one are not arguments (a healthcheck's `CMD`).
    from: u32,
}

impl PartialEq for Exec {
    fn eq(&self, other: &Exec) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Exec {
    /// The exec form of `n`, a sequence (none for another node), from its item
    /// `from` on.
    fn of(n: NodeRef<'_>, from: u32) -> Exec {
        Exec {
            // Shares the tree's run (a flow list of a million items is not copied).
            seq: n.shared_items(),
            from,
        }
    }

    /// The arguments (scalar items), in order.
    pub fn iter(&self) -> impl Iterator<Item = Spanned<&str>> {
        let items = self
            .seq
            .as_ref()
            .map(SharedItems::items)
            .unwrap_or_default();
        items
            .into_iter()
            .skip(self.from as usize)
            .filter_map(|n| Some(Spanned::new(n.as_str()?, n.span())))
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl Serialize for Exec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl Command {
    fn from_node(n: NodeRef<'_>) -> Option<Command> {
        match n.kind() {
            Kind::Scalar(_) => Some(Command {
                shell: text(n),
                exec: Exec::default(),
                span: n.span(),
            }),
            Kind::Seq(_) => Some(Command {
                shell: None,
                exec: Exec::of(n, 0),
                span: n.span(),
            }),
            _ => None,
        }
    }

    /// The words of the command, with spans (shell form split on whitespace).
    pub fn words(&self) -> Vec<Spanned<CompactString>> {
        if let Some(sh) = &self.shell {
            let mut out = Vec::new();
            let mut start = None;
            for (i, c) in sh.value.char_indices().chain([(sh.value.len(), ' ')]) {
                match (c.is_whitespace(), start) {
                    (false, None) => start = Some(i),
                    (true, Some(s)) => {
                        out.push(Spanned::new(CompactString::from(&sh.value[s..i]), sh.span));
                        start = None;
                    }
                    _ => {}
                }
            }
            return out;
        }
        self.exec
            .iter()
            .map(|w| Spanned::new(CompactString::from(w.value), w.span))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum HealthTest {
    /// `["NONE"]`: the image's healthcheck is disabled.
    None,
    /// `["CMD", ...]`: exec form (the arguments after `CMD`).
    Cmd(Exec),
    /// `["CMD-SHELL", "..."]` or a plain string: run by a shell.
    Shell(Spanned<CompactString>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Healthcheck {
    pub test: Option<Spanned<HealthTest>>,
    pub disable: bool,
    /// `interval` to `start_period`: read with [`Healthcheck::timing`]. Serialized
    /// in place, as fields of the healthcheck.
    #[serde(flatten)]
    timing: Sparse<Timing>,
    pub span: Span,
}

/// How often and how long a healthcheck runs; most healthchecks of a large
/// stack leave all of it to the defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timing {
    pub interval: Option<Spanned<CompactString>>,
    pub timeout: Option<Spanned<CompactString>>,
    pub retries: Option<Spanned<CompactString>>,
    pub start_period: Option<Spanned<CompactString>>,
}

impl Unset for Timing {
    /// What a healthcheck without timing settings reads.
    const UNSET: &'static Timing = &Timing {
        interval: None,
        timeout: None,
        retries: None,
        start_period: None,
    };
}

/// A part that most values leave unset (a healthcheck's [`Timing`], a service's
/// [`Uncommon`] keys), boxed only when something in it is set: a null pointer
/// instead of its size in each of them. Read with [`Sparse::get`]; serialized
/// in place as what it reads.
#[derive(Clone, Debug, Default, PartialEq)]
struct Sparse<T>(Option<Box<T>>);

/// A part's value with nothing set, which [`Sparse`] reads when it holds none.
trait Unset: PartialEq + 'static {
    const UNSET: &'static Self;
}

impl<T: Unset> Sparse<T> {
    fn of(v: T) -> Sparse<T> {
        Sparse((v != *T::UNSET).then(|| Box::new(v)))
    }

    fn get(&self) -> &T {
        self.0.as_deref().unwrap_or(T::UNSET)
    }
}

impl<T: Unset + Serialize> Serialize for Sparse<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl Healthcheck {
    /// Its timing settings (all `None` when it sets none).
    pub fn timing(&self) -> &Timing {
        self.timing.get()
    }

    /// Whether this healthcheck switches checking off.
    pub fn disabled(&self) -> bool {
        self.disable || matches!(self.test.as_ref().map(|t| &t.value), Some(HealthTest::None))
    }

    fn from_node(n: NodeRef<'_>) -> Healthcheck {
        let test = n.get("test").and_then(|t| match t.kind() {
            Kind::Scalar(_) => text(t).map(|s| Spanned::new(HealthTest::Shell(s), t.span())),
            Kind::Seq(items) => {
                let first = items.first().and_then(NodeRef::as_str)?;
                let v = match first {
                    "NONE" => HealthTest::None,
                    // Shared with the tree, not copied: a test can have a million items.
                    "CMD" => HealthTest::Cmd(Exec::of(t, 1)),
                    "CMD-SHELL" => HealthTest::Shell(items.iter().skip(1).find_map(text)?),
                    _ => return None,
                };
                Some(Spanned::new(v, t.span()))
            }
            _ => None,
        });
        let get = |k: &str| n.get(k).and_then(text);
        let timing = Timing {
            interval: get("interval"),
            timeout: get("timeout"),
            retries: get("retries"),
            start_period: get("start_period"),
        };
        Healthcheck {
            test,
            disable: n.get("disable").and_then(NodeRef::as_bool).unwrap_or(false),
            timing: Sparse::of(timing),
            span: n.span(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dependency {
    pub service: Spanned<CompactString>,
    pub condition: Option<Spanned<CompactString>>,
    pub required: bool,
    pub restart: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceNetwork {
    pub name: Spanned<CompactString>,
    pub aliases: Vec<Spanned<CompactString>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
    Npipe,
    Image,
    Cluster,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mount {
    pub kind: MountKind,
    pub source: Option<Spanned<CompactString>>,
    pub target: Spanned<CompactString>,
    pub read_only: bool,
    /// For bind mounts: the host path, resolved against the project directory.
    pub host_path: Option<PathBuf>,
    pub span: Span,
}

fn is_path_like(s: &str) -> bool {
    s.starts_with('/')
        || s.starts_with('.')
        || s.starts_with('~')
        || s.starts_with('$')
        || s.contains('/')
        || s.contains('\\')
        || (s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
}

fn resolve_host(base: &Path, s: &str) -> PathBuf {
    let p = Path::new(s);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        normalize_path(&base.join(p))
    }
}

fn parse_mount(n: NodeRef<'_>, base: &Path, sources: &Sources) -> Option<Mount> {
    if let Some(s) = n.as_str() {
        // `SRC:DST[:MODE]` or `DST`. A Windows drive letter holds a colon of its own.
        let parts: Vec<&str> = split_volume(s);
        // Byte offset of each part in the value, for sub-spans.
        let mut offsets = Vec::with_capacity(parts.len());
        let mut at = 0;
        for p in &parts {
            offsets.push(at);
            at += p.len() + 1;
        }
        let part_span = |i: usize| {
            let start = offsets.get(i).copied().unwrap_or(0);
            let len = parts.get(i).map(|p| p.len()).unwrap_or(0);
            sub_span(n, sources, start, start + len)
        };
        let (source, target, mode, target_idx) = match parts.as_slice() {
            [t] => (None, *t, None, 0),
            [s, t] => (Some(*s), *t, None, 1),
            [s, t, m, ..] => (Some(*s), *t, Some(*m), 1),
            [] => return None,
        };
        let kind = match source {
            None => MountKind::Volume,
            Some(src) if is_path_like(src) => MountKind::Bind,
            Some(_) => MountKind::Volume,
        };
        let read_only = mode.is_some_and(|m| m.split(',').any(|o| o == "ro"));
        return Some(Mount {
            kind,
            host_path: (kind == MountKind::Bind).then(|| resolve_host(base, source.unwrap_or(""))),
            source: source.map(|s| Spanned::new(CompactString::from(s), part_span(0))),
            target: Spanned::new(CompactString::from(target), part_span(target_idx)),
            read_only,
            span: n.span(),
        });
    }
    let kind = match n.get("type").and_then(NodeRef::as_str).unwrap_or("volume") {
        "bind" => MountKind::Bind,
        "tmpfs" => MountKind::Tmpfs,
        "npipe" => MountKind::Npipe,
        "image" => MountKind::Image,
        "cluster" => MountKind::Cluster,
        _ => MountKind::Volume,
    };
    let source = n.get("source").and_then(text);
    Some(Mount {
        kind,
        host_path: match (&source, kind) {
            (Some(s), MountKind::Bind) => Some(resolve_host(base, &s.value)),
            _ => None,
        },
        source,
        target: n.get("target").and_then(text)?,
        read_only: n
            .get("read_only")
            .and_then(NodeRef::as_bool)
            .unwrap_or(false),
        span: n.span(),
    })
}

fn split_volume(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        // `C:\x` or `C:/x` at the start of a part is a drive, not a separator.
        if c == b':'
            && !(i == start + 1
                && b[start].is_ascii_alphabetic()
                && matches!(b.get(i + 1), Some(b'\\' | b'/')))
        {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Resources {
    pub mem_limit: Option<Spanned<CompactString>>,
    pub cpus_limit: Option<Spanned<CompactString>>,
    pub pids_limit: Option<Spanned<CompactString>>,
    pub mem_reservation: Option<Spanned<CompactString>>,
    pub cpus_reservation: Option<Spanned<CompactString>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Build {
    pub context: Option<Spanned<CompactString>>,
    pub dockerfile: Option<Spanned<CompactString>>,
    /// The build context on the host, when it is a local directory.
    pub context_dir: Option<PathBuf>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvFileRef {
    pub path: Spanned<CompactString>,
    pub required: bool,
    pub resolved: PathBuf,
}

/// The parts most services do not have are boxed: a service is 392 bytes instead
/// of 1,808, which counts in a stack of a hundred thousand services. Its
/// `environment` is not copied: [`crate::compose::stack::Project::environment`]
/// reads it from the merged tree. Nor are its `labels`, which no rule reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Service {
    pub name: Spanned<CompactString>,
    pub image: Option<Spanned<CompactString>>,
    pub build: Option<Box<Build>>,
    pub command: Option<Box<Command>>,
    pub entrypoint: Option<Box<Command>>,
    pub ports: Box<[Port]>,
    pub expose: Box<[Spanned<CompactString>]>,
    pub env_files: Box<[EnvFileRef]>,
    pub healthcheck: Option<Box<Healthcheck>>,
    pub depends_on: Box<[Dependency]>,
    pub networks: Box<[ServiceNetwork]>,
    pub network_mode: Option<Spanned<CompactString>>,
    pub volumes: Box<[Mount]>,
    pub volumes_from: Box<[Spanned<CompactString>]>,
    pub links: Box<[Spanned<CompactString>]>,
    /// None when the service sets no limit and no reservation (serialized as
    /// settings that are all null, as before).
    /// Shared by the services that take it from one shared `deploy` (or
    /// `deploy.resources`) mapping, as a stack's anchored defaults give it to
    /// each service.
    #[serde(serialize_with = "resources_or_none_set")]
    pub resources: Option<Arc<Resources>>,
    pub restart: Option<Spanned<CompactString>>,
    pub profiles: Box<[Spanned<CompactString>]>,
    /// `container_name` to `configs`: read with [`Service::uncommon`]. Serialized
    /// in place, as fields of the service.
    #[serde(flatten)]
    uncommon: Sparse<Uncommon>,
    /// Namespaces, security options and replicas; None when the service sets
    /// none of them (not serialized then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation: Option<Box<Isolation>>,
    /// The whole service mapping.
    pub span: Span,
    /// Its base image, found on first use ([`crate::compose::base::base_image`]).
    #[serde(skip)]
    pub(crate) base: crate::compose::base::BaseCell,
}

/// The keys most services leave out, boxed: a service without any of them keeps a
/// null pointer instead of 272 bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Uncommon {
    pub container_name: Option<Spanned<CompactString>>,
    pub hostname: Option<Spanned<CompactString>>,
    pub privileged: Option<Spanned<CompactString>>,
    pub user: Option<Spanned<CompactString>>,
    pub read_only: Option<Spanned<CompactString>>,
    pub cap_add: Vec<Spanned<CompactString>>,
    pub secrets: Vec<Spanned<CompactString>>,
    pub configs: Vec<Spanned<CompactString>>,
}

impl Unset for Uncommon {
    /// What a service without any of the uncommon keys reads.
    const UNSET: &'static Uncommon = &Uncommon {
        container_name: None,
        hostname: None,
        privileged: None,
        user: None,
        read_only: None,
        cap_add: Vec::new(),
        secrets: Vec::new(),
        configs: Vec::new(),
    };
}

impl Service {
    /// The keys most services leave out (`container_name`, `hostname`,
    /// `privileged`, `user`, `read_only`, `cap_add`, `secrets`, `configs`).
    pub fn uncommon(&self) -> &Uncommon {
        self.uncommon.get()
    }

    /// Whether the service runs as written: it has an `image` or a `build` (an
    /// override fragment linted without its base has neither; its complete
    /// service is linted where the base file is).
    pub fn runs_as_written(&self) -> bool {
        self.image.is_some() || self.build.is_some()
    }

    /// Whether the two services can run in one `docker compose up`: not when
    /// both run only under profiles and they share none.
    pub fn runs_with(&self, other: &Service) -> bool {
        self.profiles.is_empty()
            || other.profiles.is_empty()
            || self
                .profiles
                .iter()
                .any(|p| other.profiles.iter().any(|q| q.value == p.value))
    }
}

/// Whether a compose boolean (written as text, or produced by interpolation) is true.
pub fn is_true(s: &str) -> bool {
    matches!(s.trim(), "true" | "True" | "TRUE")
}

/// How a service is isolated from the host and how many containers it runs:
/// settings most services leave alone.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Isolation {
    pub pid: Option<Spanned<CompactString>>,
    pub ipc: Option<Spanned<CompactString>>,
    pub uts: Option<Spanned<CompactString>>,
    pub userns_mode: Option<Spanned<CompactString>>,
    pub cgroup: Option<Spanned<CompactString>>,
    pub security_opt: Vec<Spanned<CompactString>>,
    pub cap_drop: Vec<Spanned<CompactString>>,
    /// `deploy.replicas`.
    pub replicas: Option<Spanned<CompactString>>,
    /// `scale` (the older spelling of replicas).
    pub scale: Option<Spanned<CompactString>>,
}

fn resources_or_none_set<S: serde::Serializer>(
    r: &Option<Arc<Resources>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => r.serialize(s),
        None => Resources::default().serialize(s),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopLevel {
    pub name: Spanned<CompactString>,
    pub external: bool,
    pub internal: bool,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ComposeModel {
    /// Service name → where the service is, so lookups stay constant-time on
    /// big stacks (a short name is kept inline: no allocation per service).
    /// (`None` in a model not built from a tree: [`ComposeModel::service`]
    /// then searches, and no service has a tree position.)
    #[serde(skip)]
    pub(crate) index: Option<foldhash::HashMap<CompactString, ServiceAt>>,
    pub name: Option<Spanned<CompactString>>,
    pub version: Option<Spanned<CompactString>>,
    pub services: Vec<Service>,
    pub networks: Vec<TopLevel>,
    pub volumes: Vec<TopLevel>,
    pub secrets: Vec<TopLevel>,
    pub configs: Vec<TopLevel>,
}

/// Where a service is: its position in [`ComposeModel::services`], and among
/// the entries of the tree's `services` mapping (the model leaves out a key
/// that is not a string).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceAt {
    model: u32,
    tree: u32,
}

impl ComposeModel {
    pub fn service(&self, name: &str) -> Option<&Service> {
        match &self.index {
            Some(index) => index
                .get(name)
                .and_then(|at| self.services.get(at.model as usize)),
            None => self.services.iter().find(|s| s.name.value == name),
        }
    }

    /// The position of service `name` among the entries of the tree's
    /// `services` mapping the model was built from. (Kept apart from the
    /// services: code that takes them out of the model for a while still finds
    /// their nodes.)
    pub fn tree_position(&self, name: &str) -> Option<usize> {
        Some(self.index.as_ref()?.get(name)?.tree as usize)
    }

    pub fn network(&self, name: &str) -> Option<&TopLevel> {
        self.networks.iter().find(|s| s.name.value == name)
    }
}

fn top_level(n: Option<NodeRef<'_>>) -> Vec<TopLevel> {
    n.and_then(NodeRef::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| {
            Some(TopLevel {
                name: text(k)?,
                external: v
                    .get("external")
                    .is_some_and(|e| e.as_bool() == Some(true) || e.as_map().is_some()),
                internal: v
                    .get("internal")
                    .and_then(NodeRef::as_bool)
                    .unwrap_or(false),
                span: k.span(),
            })
        })
        .collect()
}

/// Builds the model from the merged tree. `base_dir` gives the directory against
/// which relative paths of a file resolve (the project directory for override files).
///
/// A service's lists are boxed slices, without spare room: a filtered `collect`
/// reserves four items for a list of one, and a large stack's model is held for
/// the whole run.
pub fn build(
    root: NodeRef<'_>,
    base_dir: &(dyn Fn(Span) -> PathBuf + Sync),
    sources: &Sources,
) -> ComposeModel {
    let named: Vec<(Spanned<CompactString>, NodeRef<'_>, usize)> = root
        .get("services")
        .and_then(NodeRef::as_map)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(at, (k, v))| Some((text(k)?, v, at)))
        .collect();
    // A file holds at most `MAX_NODES` (500,000) values: positions fit.
    let position = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    let index = named
        .iter()
        .enumerate()
        .map(|(i, (name, _, tree))| {
            let place = ServiceAt {
                model: position(i),
                tree: position(*tree),
            };
            (name.value.clone(), place)
        })
        .collect();
    // Mapped one to one, so the services are collected at their exact size (in
    // parallel, each written in its place: a filtered parallel collect gathers
    // pieces and copies them, a second copy of the model at its peak).
    let shared = SharedResources::default();
    let one = |(name, v, _): (Spanned<CompactString>, NodeRef<'_>, usize)| {
        build_service(name, v, base_dir, sources, &shared)
    };
    let services: Vec<Service> = if named.len() >= crate::PARALLEL_SERVICES {
        use rayon::prelude::*;
        named.into_par_iter().map(one).collect()
    } else {
        named.into_iter().map(one).collect()
    };
    ComposeModel {
        index: Some(index),
        name: root.get("name").and_then(text),
        version: root.get("version").and_then(text),
        services,
        networks: top_level(root.get("networks")),
        volumes: top_level(root.get("volumes")),
        secrets: top_level(root.get("secrets")),
        configs: top_level(root.get("configs")),
    }
}

/// How many keys of a service [`build_service`] reads: each has its place in
/// [`ServiceKeys`] ([`service_key`]).
const SERVICE_KEYS: usize = 37;

/// The values of a service's keys that the model reads, found in one pass over
/// its mapping: looked up one by one, the 37 keys were each a scan of the
/// mapping (a tenth of building the model).
struct ServiceKeys<'a> {
    node: NodeRef<'a>,
    values: [Option<NodeRef<'a>>; SERVICE_KEYS],
}

impl<'a> ServiceKeys<'a> {
    fn of(node: NodeRef<'a>) -> ServiceKeys<'a> {
        let mut values = [None; SERVICE_KEYS];
        for (k, v) in node.as_map().unwrap_or_default() {
            let place = k.as_str().and_then(service_key);
            if let Some(value) = place.and_then(|i| values.get_mut(i)) {
                // The first of duplicate keys, as `NodeRef::get` finds it.
                value.get_or_insert(v);
            }
        }
        ServiceKeys { node, values }
    }

    fn get(&self, k: &str) -> Option<NodeRef<'a>> {
        match service_key(k).and_then(|i| self.values.get(i)) {
            Some(value) => *value,
            None => {
                // Still right, but a scan again: a key read by `build_service`
                // belongs in `service_key` (the tests run with this check).
                debug_assert!(false, "`{k}` has no place in ServiceKeys");
                self.node.get(k)
            }
        }
    }
}

/// The place of `k` in [`ServiceKeys`], for the keys the model reads. A `match`
/// rather than a list searched: a key is placed without comparing it to each.
#[inline]
fn service_key(k: &str) -> Option<usize> {
    Some(match k {
        "build" => 0,
        "env_file" => 1,
        "deploy" => 2,
        "mem_limit" => 3,
        "cpus" => 4,
        "pids_limit" => 5,
        "mem_reservation" => 6,
        "depends_on" => 7,
        "networks" => 8,
        "volumes" => 9,
        "pid" => 10,
        "ipc" => 11,
        "uts" => 12,
        "userns_mode" => 13,
        "cgroup" => 14,
        "security_opt" => 15,
        "cap_drop" => 16,
        "scale" => 17,
        "image" => 18,
        "command" => 19,
        "entrypoint" => 20,
        "ports" => 21,
        "expose" => 22,
        "healthcheck" => 23,
        "network_mode" => 24,
        "volumes_from" => 25,
        "links" => 26,
        "restart" => 27,
        "profiles" => 28,
        "container_name" => 29,
        "hostname" => 30,
        "privileged" => 31,
        "user" => 32,
        "read_only" => 33,
        "cap_add" => 34,
        "secrets" => 35,
        "configs" => 36,
        _ => return None,
    })
}

/// The [`Resources`] read from each shared `deploy` or `deploy.resources`
/// mapping, while the model is built: a stack's anchored defaults (`<<:
/// *defaults`) give every service the same limits, which were kept once a
/// service (200 bytes each). Keyed by the mapping's [`NodeRef::shared_key`] and
/// its level (0 for `deploy`, 1 for `deploy.resources`): one anchor can be used
/// at both (`deploy: *r` and `deploy: {resources: *r}`), and reads differently
/// at each. (A collection is also shared when the loader keeps a copy of the
/// tree: an entry per service then, as right and no smaller.)
#[derive(Default)]
struct SharedResources(Mutex<foldhash::HashMap<ResourcesKey, Option<Arc<Resources>>>>);

/// A shared mapping's [`NodeRef::shared_key`] and its level.
type ResourcesKey = (usize, u8);

impl SharedResources {
    /// The resources kept for `key`, read with `read` the first time.
    fn get(
        &self,
        key: ResourcesKey,
        read: impl FnOnce() -> Option<Arc<Resources>>,
    ) -> Option<Arc<Resources>> {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.entry(key).or_insert_with(read).clone()
    }
}

fn build_service(
    name: Spanned<CompactString>,
    n: NodeRef<'_>,
    base_dir: &(dyn Fn(Span) -> PathBuf + Sync),
    sources: &Sources,
    shared: &SharedResources,
) -> Service {
    let keys = ServiceKeys::of(n);
    let get = |k: &str| keys.get(k);
    let build = get("build").map(|b| {
        let (context, dockerfile) = match b.kind() {
            Kind::Scalar(_) => (text(b), None),
            _ => (
                b.get("context").and_then(text),
                b.get("dockerfile").and_then(text),
            ),
        };
        let context_dir = match &context {
            None => Some(base_dir(b.span())),
            Some(c) if c.value.contains("://") || c.value.starts_with("git@") => None,
            Some(c) => Some(resolve_host(&base_dir(c.span), &c.value)),
        };
        Box::new(Build {
            context,
            dockerfile,
            context_dir,
            span: b.span(),
        })
    });
    let env_files = match get("env_file") {
        None => Vec::new(),
        Some(e) => {
            let items: Vec<NodeRef<'_>> = match e.kind() {
                Kind::Seq(items) => items.iter().collect(),
                _ => vec![e],
            };
            items
                .into_iter()
                .filter_map(|i| {
                    let (path, required) = match i.kind() {
                        Kind::Scalar(_) => (text(i)?, true),
                        Kind::Map(_) => (
                            i.get("path").and_then(text)?,
                            i.get("required").and_then(NodeRef::as_bool).unwrap_or(true),
                        ),
                        _ => return None,
                    };
                    let resolved = resolve_host(&base_dir(path.span), &path.value);
                    Some(EnvFileRef {
                        path,
                        required,
                        resolved,
                    })
                })
                .collect()
        }
    };
    let deploy = get("deploy");
    let deploy_res = deploy.and_then(|d| d.get("resources"));
    let lim = |k: &str| {
        deploy_res
            .and_then(|r| r.get("limits"))
            .and_then(|l| l.get(k))
            .and_then(text)
    };
    let res = |k: &str| {
        deploy_res
            .and_then(|r| r.get("reservations"))
            .and_then(|l| l.get(k))
            .and_then(text)
    };
    let resources = || {
        let r = Resources {
            mem_limit: lim("memory").or_else(|| get("mem_limit").and_then(text)),
            cpus_limit: lim("cpus").or_else(|| get("cpus").and_then(text)),
            pids_limit: lim("pids").or_else(|| get("pids_limit").and_then(text)),
            mem_reservation: res("memory").or_else(|| get("mem_reservation").and_then(text)),
            cpus_reservation: res("cpus"),
        };
        (r != Resources::default()).then(|| Arc::new(r))
    };
    // Only `deploy` decides them when the service sets none of the keys that
    // stand in for a limit `deploy` leaves out.
    let own = ["mem_limit", "cpus", "pids_limit", "mem_reservation"]
        .into_iter()
        .any(|k| get(k).is_some());
    let key = deploy
        .and_then(NodeRef::shared_key)
        .map(|k| (k, 0))
        .or_else(|| deploy_res.and_then(NodeRef::shared_key).map(|k| (k, 1)))
        .filter(|_| !own);
    let resources = match key {
        Some(key) => shared.get(key, resources),
        None => resources(),
    };
    let depends_on = get("depends_on")
        .and_then(NodeRef::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| {
            Some(Dependency {
                service: text(k)?,
                condition: v.get("condition").and_then(text),
                required: v.get("required").and_then(NodeRef::as_bool).unwrap_or(true),
                restart: v.get("restart").and_then(NodeRef::as_bool).unwrap_or(false),
            })
        })
        .collect::<Vec<_>>();
    let networks = get("networks")
        .and_then(NodeRef::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| {
            Some(ServiceNetwork {
                name: text(k)?,
                aliases: texts(v.get("aliases")),
            })
        })
        .collect::<Vec<_>>();
    let volumes = get("volumes")
        .and_then(NodeRef::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| parse_mount(v, &base_dir(v.span()), sources))
        .collect::<Vec<_>>();
    let isolation = Isolation {
        pid: get("pid").and_then(text),
        ipc: get("ipc").and_then(text),
        uts: get("uts").and_then(text),
        userns_mode: get("userns_mode").and_then(text),
        cgroup: get("cgroup").and_then(text),
        security_opt: texts(get("security_opt")),
        cap_drop: texts(get("cap_drop")),
        replicas: get("deploy").and_then(|d| d.get("replicas")).and_then(text),
        scale: get("scale").and_then(text),
    };
    let isolation = (isolation != Isolation::default()).then(|| Box::new(isolation));
    let names = |k: &str| -> Vec<Spanned<CompactString>> {
        get(k)
            .and_then(NodeRef::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|i| match i.kind() {
                Kind::Scalar(_) => text(i),
                Kind::Map(_) => i.get("source").and_then(text),
                _ => None,
            })
            .collect()
    };
    Service {
        image: get("image").and_then(text),
        build,
        command: get("command").and_then(Command::from_node).map(Box::new),
        entrypoint: get("entrypoint").and_then(Command::from_node).map(Box::new),
        ports: get("ports")
            .and_then(NodeRef::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(parse_port)
            .collect::<Vec<_>>()
            .into(),
        expose: texts(get("expose")).into(),
        env_files: env_files.into(),
        healthcheck: get("healthcheck").map(Healthcheck::from_node).map(Box::new),
        depends_on: depends_on.into(),
        networks: networks.into(),
        network_mode: get("network_mode").and_then(text),
        volumes: volumes.into(),
        volumes_from: texts(get("volumes_from")).into(),
        links: texts(get("links")).into(),
        resources,
        restart: get("restart").and_then(text),
        profiles: texts(get("profiles")).into(),
        uncommon: Sparse::of(Uncommon {
            container_name: get("container_name").and_then(text),
            hostname: get("hostname").and_then(text),
            privileged: get("privileged").and_then(text),
            user: get("user").and_then(text),
            read_only: get("read_only").and_then(text),
            cap_add: texts(get("cap_add")),
            secrets: names("secrets"),
            configs: names("configs"),
        }),
        isolation,
        span: n.span(),
        name,
        base: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml::{Node, Value};

    /// Each key the model reads has a place of its own in `ServiceKeys`, and
    /// reading through it finds what `Node::get` finds.
    #[test]
    fn service_keys_find_what_get_finds() {
        let mut places = std::collections::HashSet::new();
        let keys = [
            "build",
            "env_file",
            "deploy",
            "mem_limit",
            "cpus",
            "pids_limit",
            "mem_reservation",
            "depends_on",
            "networks",
            "volumes",
            "pid",
            "ipc",
            "uts",
            "userns_mode",
            "cgroup",
            "security_opt",
            "cap_drop",
            "scale",
            "image",
            "command",
            "entrypoint",
            "ports",
            "expose",
            "healthcheck",
            "network_mode",
            "volumes_from",
            "links",
            "restart",
            "profiles",
            "container_name",
            "hostname",
            "privileged",
            "user",
            "read_only",
            "cap_add",
            "secrets",
            "configs",
        ];
        for k in keys {
            let i = service_key(k).unwrap_or(SERVICE_KEYS);
            assert!(i < SERVICE_KEYS && places.insert(i), "{k}");
        }
        assert_eq!(places.len(), SERVICE_KEYS);
        // Built by hand: the reader keeps one entry of a repeated key, and a
        // merge or a non-string key could still give a mapping two.
        let at = |n: usize| Span::new(crate::source::FileId(0), n, n);
        let scalar = |n: usize, v: &str| Node::scalar(at(n), v, crate::parse::yaml::Style::Plain);
        let root = Node::new(
            at(0),
            Value::map(vec![
                (scalar(1, "image"), scalar(2, "a")),
                (Node::new(at(3), Value::seq(vec![])), scalar(4, "x")),
                (scalar(5, "user"), scalar(6, "b")),
                (scalar(7, "image"), scalar(8, "c")),
                (scalar(9, "volumes"), Node::new(at(10), Value::seq(vec![]))),
            ]),
        );
        let sk = ServiceKeys::of(root.read());
        for k in keys {
            assert_eq!(
                sk.get(k).map(|n| n.span()),
                root.get(k).map(|n| n.span),
                "{k}"
            );
        }
        assert_eq!(sk.get("image").and_then(NodeRef::as_str), Some("a"));
        assert_eq!(sk.get("user").map(|n| n.span()), Some(at(6)));
    }

    /// A stack can have a hundred thousand services: keep the parts most of them
    /// lack boxed (a service was 1,808 bytes; 840 with the boxed `isolation`,
    /// 856 with the kept base image, which four readers computed each, 776 with
    /// 12-byte spans, 512 with the uncommon keys boxed, 424 with its lists
    /// as boxed slices, and 392 with its `environment` read from the tree and
    /// its `labels`, read by no rule, not kept).
    #[test]
    fn a_service_stays_small() {
        let size = std::mem::size_of::<Service>();
        assert!(size <= 392, "{size}");
    }

    /// The model of one compose file's `text`.
    fn model_of(text: String) -> ComposeModel {
        use crate::source::{FileKind, SourceFile, Sources};
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new("compose.yaml", FileKind::Compose, text));
        let root = crate::parse::yaml::parse(id, sources.get(id))
            .docs
            .remove(0);
        build(root.read(), &|_| PathBuf::new(), &sources)
    }

    /// Services that take `deploy` from one anchor share one `Resources`, as each
    /// would read it alone; so do two that take `deploy.resources` from one. A
    /// service with a limit key of its own (`cpus`, `mem_limit`), or its own
    /// `deploy`, has its own.
    #[test]
    fn resources_from_one_anchor_are_shared() {
        let m = model_of(
            "x-d: &d\n  deploy:\n    resources:\n      limits: {memory: 256M}\n      \
             reservations: {cpus: '0.1'}\nx-r: &r\n  limits: {cpus: '0.5'}\nservices:\n  \
             a:\n    <<: *d\n    image: x\n  b:\n    <<: *d\n    image: x\n  \
             c:\n    <<: *d\n    image: x\n    cpus: '2'\n  \
             d:\n    image: x\n    deploy:\n      resources:\n        limits: {memory: 256M}\n        \
             reservations: {cpus: '0.1'}\n  \
             e:\n    image: x\n    deploy: {resources: *r}\n  f:\n    image: x\n    deploy: {resources: *r}\n  \
             g:\n    <<: *d\n    image: x\n    mem_limit: 1g\n  h:\n    image: x\n  \
             i:\n    image: x\n    deploy: *r\n  j:\n    image: x\n    deploy: *r\n"
                .to_string(),
        );
        let r = |name: &str| m.service(name).and_then(|s| s.resources.clone());
        let v = |o: &Option<Spanned<CompactString>>| o.as_ref().map(|s| s.value.to_string());
        let shown = |name: &str| {
            r(name).map(|r| {
                [
                    &r.mem_limit,
                    &r.cpus_limit,
                    &r.pids_limit,
                    &r.mem_reservation,
                    &r.cpus_reservation,
                ]
                .map(v)
            })
        };
        let same = |x: &str, y: &str| match (r(x), r(y)) {
            (Some(x), Some(y)) => Arc::ptr_eq(&x, &y),
            (x, y) => panic!("{x:?} and {y:?}: not two resources"),
        };
        let s = |t: &str| Some(t.to_string());
        let anchored = Some([s("256M"), None, None, None, s("0.1")]);
        assert_eq!(shown("a"), anchored);
        assert!(same("a", "b"));
        assert_eq!(shown("d"), anchored, "the same values, written elsewhere");
        assert_ne!(
            r("a").map(|r| r.mem_limit.clone()),
            r("d").map(|r| r.mem_limit.clone())
        );
        assert!(!same("a", "d"));
        assert_eq!(shown("c"), Some([s("256M"), s("2"), None, None, s("0.1")]));
        assert!(!same("a", "c"));
        assert_eq!(shown("g"), anchored, "deploy's limit wins over mem_limit");
        assert!(!same("a", "g"));
        assert_eq!(shown("e"), Some([None, s("0.5"), None, None, None]));
        assert!(same("e", "f"));
        assert_eq!(r("h"), None);
        // `*r` as `deploy` itself holds no `resources`: nothing, whichever of
        // `e`, `f`, `i` and `j` is read first.
        assert_eq!((r("i"), r("j")), (None, None));
    }

    /// A healthcheck's timing is boxed only when one of its four keys is set, read
    /// back through `timing()`, and serialized in place, after `disable`.
    #[test]
    fn a_healthcheck_timing_is_boxed_when_set() {
        let keys = ["interval", "timeout", "retries", "start_period"];
        assert_eq!(*Timing::UNSET, Timing::default());
        for key in keys {
            let text = format!(
                "services:\n  a:\n    image: x\n    healthcheck: {{test: [CMD, x], {key}: \"7\"}}\n  \
                 b:\n    image: x\n    healthcheck: {{test: [CMD, x]}}\n"
            );
            let m = model_of(text);
            let health = |i: usize| m.services[i].healthcheck.as_deref().unwrap();
            let (a, b) = (health(0), health(1));
            assert!(a.timing.0.is_some() && b.timing.0.is_none(), "{key}");
            let t = a.timing();
            let read = [&t.interval, &t.timeout, &t.retries, &t.start_period]
                .map(|v| v.as_ref().map(|v| v.value.as_str()));
            for (k, v) in keys.iter().zip(read) {
                assert_eq!(v, (*k == key).then_some("7"), "{key}: {k}");
            }
            for h in [a, b] {
                let json = serde_json::to_value(h).unwrap();
                let names: Vec<&str> = json
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(
                    names,
                    [
                        "test",
                        "disable",
                        "interval",
                        "timeout",
                        "retries",
                        "start_period",
                        "span"
                    ],
                    "{key}"
                );
                assert_eq!(json[key].is_null(), std::ptr::eq(h, b), "{key}");
            }
        }
    }

    /// Each of the eight keys alone is boxed and read back through `uncommon()`,
    /// the others staying empty; a service with none of them holds no box (each
    /// service would pay 272 bytes more) and serializes them in place, as null
    /// and empty lists.
    #[test]
    fn each_uncommon_key_alone_is_boxed_and_read_back() {
        let cases = [
            ("container_name", "c1"),
            ("hostname", "h1"),
            ("privileged", "\"true\""),
            ("user", "root"),
            ("read_only", "\"false\""),
            ("cap_add", "[SYS_ADMIN]"),
            ("secrets", "[s1]"),
            ("configs", "[{source: k1, target: /k}]"),
        ];
        assert_eq!(*Uncommon::UNSET, Uncommon::default());
        for (key, value) in cases {
            let text =
                format!("services:\n  a:\n    image: x\n    {key}: {value}\n  b:\n    image: x\n");
            let m = model_of(text);
            let (a, b) = (&m.services[0], &m.services[1]);
            assert!(a.uncommon.0.is_some(), "{key}");
            let read = serde_json::to_value(a.uncommon()).unwrap();
            for (k, _) in cases {
                let v = &read[k];
                let set = !(v.is_null() || v.as_array().is_some_and(|l| l.is_empty()));
                assert_eq!(set, k == key, "{key}: {k} = {v}");
            }
            assert!(b.uncommon.0.is_none(), "{key}");
            let sb = serde_json::to_value(b).unwrap();
            let keys: Vec<&str> = sb.as_object().unwrap().keys().map(String::as_str).collect();
            let at = keys.iter().position(|k| *k == "profiles").unwrap();
            assert_eq!(
                &keys[at + 1..at + 9],
                &cases.map(|(k, _)| k)[..],
                "in place, after `profiles`"
            );
        }
    }

    #[test]
    fn short_port_syntax() {
        let p = |s: &str| parse_port_short(s);
        let r = |a, b| PortRange { start: a, end: b };
        assert_eq!(p("80"), Some((None, None, r(80, 80), "tcp".into())));
        assert_eq!(
            p("8080:80"),
            Some((None, Some(r(8080, 8080)), r(80, 80), "tcp".into()))
        );
        assert_eq!(
            p("127.0.0.1:5432:5432"),
            Some((
                Some("127.0.0.1".into()),
                Some(r(5432, 5432)),
                r(5432, 5432),
                "tcp".into()
            ))
        );
        assert_eq!(
            p("127.0.0.1::5000"),
            Some((Some("127.0.0.1".into()), None, r(5000, 5000), "tcp".into()))
        );
        assert_eq!(
            p("[::1]:6001:6001/udp"),
            Some((
                Some("::1".into()),
                Some(r(6001, 6001)),
                r(6001, 6001),
                "udp".into()
            ))
        );
        assert_eq!(
            p("::1:80:80"),
            Some((Some("::1".into()), Some(r(80, 80)), r(80, 80), "tcp".into()))
        );
        assert_eq!(
            p("9090-9091:8080-8081"),
            Some((None, Some(r(9090, 9091)), r(8080, 8081), "tcp".into()))
        );
        assert_eq!(p("nope"), None);
        assert_eq!(p("70000"), None);
    }

    #[test]
    fn volume_short_syntax() {
        assert_eq!(split_volume("./a:/b:ro"), vec!["./a", "/b", "ro"]);
        assert_eq!(split_volume("C:\\x:/b"), vec!["C:\\x", "/b"]);
        assert_eq!(split_volume("/b"), vec!["/b"]);
    }

    #[test]
    fn paths_normalize() {
        assert_eq!(
            normalize_path(Path::new("a/./b/../c")),
            PathBuf::from("a/c")
        );
        assert_eq!(normalize_path(Path::new("../x")), PathBuf::from("../x"));
    }
}
