//! What the NGINX rules share: where each loaded config sends requests
//! (`proxy_pass` and the other `*_pass` directives, `upstream` servers), how nginx
//! turns each address into an IP (once at startup, or per request with a
//! `resolver`), which `resolver` is in scope following nginx's inheritance
//! (http > server > location, across `include`s), and the names the compose
//! stack gives its containers.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::analysis::graph::{StackGraph, StartOrder, StartupRisk};
use crate::compose::model::Service;
use crate::compose::proxy::{self, Layout, NginxConfig};
use crate::compose::stack::Project;
use crate::parse::nginx::{Arg, Directive};
use crate::paths::normalize_path;
use crate::severity::Severity;
use crate::source::{Sources, Span};

pub mod loading;

/// Includes followed at most this deep, and places one file is read from at most.
const MAX_DEPTH: usize = 16;
const MAX_CONTEXTS: usize = 4;
/// `set $a $b` chains followed at most this deep.
const MAX_VAR_DEPTH: usize = 4;

/// The directive that sends requests to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassKind {
    Proxy,
    Grpc,
    FastCgi,
    Uwsgi,
    Scgi,
    Memcached,
    /// A `server` inside an `upstream` block.
    UpstreamServer,
}

impl PassKind {
    fn from_name(name: &str) -> Option<PassKind> {
        Some(match name {
            "proxy_pass" => PassKind::Proxy,
            "grpc_pass" => PassKind::Grpc,
            "fastcgi_pass" => PassKind::FastCgi,
            "uwsgi_pass" => PassKind::Uwsgi,
            "scgi_pass" => PassKind::Scgi,
            "memcached_pass" => PassKind::Memcached,
            _ => return None,
        })
    }

    /// The directive's name as written in a config.
    pub fn directive(self) -> &'static str {
        match self {
            PassKind::Proxy => "proxy_pass",
            PassKind::Grpc => "grpc_pass",
            PassKind::FastCgi => "fastcgi_pass",
            PassKind::Uwsgi => "uwsgi_pass",
            PassKind::Scgi => "scgi_pass",
            PassKind::Memcached => "memcached_pass",
            PassKind::UpstreamServer => "server",
        }
    }
}

/// How nginx turns the address into an IP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Written literally: resolved once, when nginx loads its config; a name
    /// that does not resolve then stops nginx (`host not found in upstream`).
    Startup,
    /// The address has variables: resolved for each request, with the
    /// `resolver` in scope (`no resolver defined to resolve ...` without one).
    Runtime,
    /// An upstream `server ... resolve`: re-resolved with the resolver in scope
    /// (nginx >= 1.27.3, or NGINX Plus).
    Resolve,
}

/// One address nginx sends requests to.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    pub cfg: &'a NginxConfig,
    /// The config is mounted where nginx never reads it (SL203); this is what
    /// happens once it is mounted where it was meant to be.
    pub misplaced: bool,
    pub directive: &'a Directive,
    /// The argument that holds the address.
    pub arg: &'a Arg,
    pub kind: PassKind,
    pub resolution: Resolution,
    /// `http`, `https`, `grpc`, ... when written.
    pub scheme: Option<String>,
    /// The host nginx resolves, lower-cased; `None` when it is not known
    /// (a variable nginx fills per request, a `unix:` socket).
    pub host: Option<String>,
    /// The host as written in the config (after known variables are replaced).
    pub host_text: Option<String>,
    pub unix: bool,
    /// The port: written, or the scheme's default (`http` 80); `None` when unknown.
    pub port: Option<u16>,
    pub port_written: bool,
    /// `host` names an `upstream` block: requests go to its servers, not to a host.
    pub upstream: Option<&'a Directive>,
    /// A runtime address that matches the host and port of a literal one: nginx
    /// reuses that implicit upstream and needs no resolver.
    pub implicit_upstream: bool,
    /// The nearest `resolver` in scope.
    pub resolver: Option<&'a Directive>,
    /// The `set` directives that gave the variables of the address their values.
    pub sets: Vec<&'a Directive>,
    /// The address takes a value from a secret-looking variable (`set $api_token`,
    /// a template's `${API_KEY}`): the rules leave it alone rather than print it.
    pub secret: bool,
    /// For an upstream server: the `*_pass` directives that send requests to its
    /// upstream, and the resolvers in their scope.
    pub used_by: Vec<&'a Directive>,
    pub pass_resolvers: Vec<&'a Directive>,
}

impl Target<'_> {
    /// A name (not an IP, not a socket) nginx has to resolve.
    pub fn is_hostname(&self) -> bool {
        !self.unix && self.host.as_deref().is_some_and(|h| !is_ip(h))
    }

    /// What nginx prints in `host not found in upstream "..."`: the address as
    /// written for an upstream server, the host for a `*_pass`.
    pub fn nginx_upstream_name(&self) -> String {
        match self.kind {
            PassKind::UpstreamServer => self.arg.value.clone(),
            _ => self.host_text.clone().unwrap_or_default(),
        }
    }
}

/// The loaded configs of one proxy service (or one file linted on its own) and
/// every address they send requests to.
pub struct Group<'a> {
    pub service: Option<&'a Service>,
    /// Every config nginx reads is visible here: a `*_pass` name that is no
    /// upstream block of these files is no upstream block at all.
    pub complete: bool,
    pub layout: Layout,
    pub configs: Vec<&'a NginxConfig>,
    pub targets: Vec<Target<'a>>,
}

/// A config as the analysis reads it: where it sits in nginx's tree.
#[derive(Clone, Debug)]
struct Entry<'a> {
    cfg: &'a NginxConfig,
    /// Its container path (for a misplaced config: where it was meant to be).
    path: Option<String>,
    /// The blocks around its top level where nginx reads it without an include of ours.
    context: Vec<String>,
    /// Read by nginx directly (the main config, or a file the image's own includes).
    root: bool,
    /// Mounted where nginx never reads it (SL203), read here as if mounted where meant.
    misplaced: bool,
}

/// Every proxy service's loaded configs, analysed. Configs SL203 finds mounted
/// at the wrong path are analysed as if mounted where they were meant to be, so
/// that what would break next is reported with the first fix.
pub fn analyze(p: &Project) -> Vec<Group<'_>> {
    let mut order: Vec<Option<&str>> = Vec::new();
    let mut by_service: HashMap<Option<&str>, Vec<Entry<'_>>> = HashMap::new();
    for c in p.nginx.iter().filter(|c| c.loaded) {
        let key = c.service.as_deref();
        if !by_service.contains_key(&key) {
            order.push(key);
        }
        by_service.entry(key).or_default().push(Entry {
            cfg: c,
            path: c.nginx_path().map(str::to_string),
            context: c.context.clone(),
            root: c.included_at.is_none(),
            misplaced: false,
        });
    }
    for m in loading::misplaced(p) {
        let key = Some(m.service.name.value.as_str());
        if !by_service.contains_key(&key) {
            order.push(key);
        }
        let list = by_service.entry(key).or_default();
        for &c in &m.configs {
            list.push(Entry {
                cfg: c,
                path: Some(m.meant_path(c)),
                context: m.meant_context(c),
                root: true,
                misplaced: true,
            });
        }
    }
    let mut out = Vec::new();
    for key in order {
        let entries = by_service.remove(&key).unwrap_or_default();
        match key {
            Some(name) => {
                let Some(svc) = p.model.service(name) else {
                    continue;
                };
                let layout = proxy::layout(p, svc);
                let complete = loading::fully_visible(p, svc, &layout);
                out.push(Analyzer::new(&p.sources, Some(svc), layout, entries).run(complete));
            }
            // Files linted on their own stand alone: no includes are followed.
            None => {
                for e in entries {
                    out.push(
                        Analyzer::new(&p.sources, None, official_layout(), vec![e]).run(false),
                    );
                }
            }
        }
    }
    out
}

fn official_layout() -> Layout {
    Layout {
        flavor: proxy::Flavor::Official,
        main: proxy::MAIN_CONF.into(),
        conf_dir: "/etc/nginx".into(),
        default_includes: vec![(format!("{}/*.conf", proxy::CONF_D), vec!["http".into()])],
        renders_templates: true,
        templates: proxy::Templates::default(),
        main_from_command: None,
    }
}

/// A block around a directive, across files.
#[derive(Clone, Debug)]
enum Level<'a> {
    Block(&'a Directive),
    /// A block of the image's own main config (`http` around conf.d files):
    /// the first `k` block names of an entry's context.
    Implicit(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum LevelKey {
    Block(Span),
    Implicit(Vec<String>),
}

impl Level<'_> {
    fn key(&self) -> LevelKey {
        match self {
            Level::Block(d) => LevelKey::Block(d.span),
            Level::Implicit(names) => LevelKey::Implicit(names.clone()),
        }
    }

    fn name(&self) -> &str {
        match self {
            Level::Block(d) => &d.name,
            Level::Implicit(names) => names.last().map(String::as_str).unwrap_or(""),
        }
    }
}

/// What one level defines for the blocks inside it.
#[derive(Default)]
struct LevelInfo<'a> {
    resolver: Option<&'a Directive>,
    /// `set $name value` directly in the level (false) or in an `if` in it (true).
    sets: HashMap<String, Vec<(&'a Directive, bool)>>,
    /// `map $source $name { ... }` blocks (http level): nginx computes `$name`
    /// per request from the map.
    maps: HashMap<String, Vec<&'a Directive>>,
}

struct Analyzer<'a> {
    sources: &'a Sources,
    service: Option<&'a Service>,
    layout: Layout,
    configs: Vec<Entry<'a>>,
    /// Which configs each `include` directive reads.
    includes: HashMap<Span, Vec<usize>>,
    /// The chains of levels around each config's top level.
    contexts: Vec<Vec<Vec<Level<'a>>>>,
    infos: Vec<LevelInfo<'a>>,
    info_index: HashMap<LevelKey, usize>,
}

impl<'a> Analyzer<'a> {
    fn new(
        sources: &'a Sources,
        service: Option<&'a Service>,
        layout: Layout,
        configs: Vec<Entry<'a>>,
    ) -> Self {
        let n = configs.len();
        Analyzer {
            sources,
            service,
            layout,
            configs,
            includes: HashMap::new(),
            contexts: vec![Vec::new(); n],
            infos: Vec::new(),
            info_index: HashMap::new(),
        }
    }

    fn run(mut self, complete: bool) -> Group<'a> {
        self.resolve_includes();
        self.compute_contexts();
        // Never print what a secret-looking variable holds.
        let targets = self
            .collect_targets()
            .into_iter()
            .filter(|t| !t.secret)
            .collect();
        Group {
            service: self.service,
            complete,
            layout: self.layout,
            configs: self.configs.iter().map(|e| e.cfg).collect(),
            targets,
        }
    }

    /// Matches every `include` of the group against the container paths of its configs.
    fn resolve_includes(&mut self) {
        let opts = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        let paths: Vec<Option<&str>> = self.configs.iter().map(|e| e.path.as_deref()).collect();
        for e in &self.configs {
            for v in e.cfg.parsed.find_all("include") {
                let Some(pattern) = v.directive.arg(0) else {
                    continue;
                };
                let full = if pattern.starts_with('/') {
                    pattern.to_string()
                } else {
                    format!("{}/{pattern}", self.layout.conf_dir)
                };
                let full = normalize_path(Path::new(&full))
                    .to_string_lossy()
                    .into_owned();
                let matched: Vec<usize> = if full.contains(['*', '?', '[']) {
                    match glob::Pattern::new(&full) {
                        Ok(g) => paths
                            .iter()
                            .enumerate()
                            .filter(|(_, p)| p.is_some_and(|p| g.matches_with(p, opts)))
                            .map(|(i, _)| i)
                            .collect(),
                        Err(_) => Vec::new(),
                    }
                } else {
                    paths
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| **p == Some(full.as_str()))
                        .map(|(i, _)| i)
                        .collect()
                };
                self.includes.insert(v.directive.span, matched);
            }
        }
        // A misplaced config that an include of the mounted main config would read
        // is reached through that include, not read on its own.
        let included: HashSet<usize> = self.includes.values().flatten().copied().collect();
        for (i, e) in self.configs.iter_mut().enumerate() {
            if e.misplaced && included.contains(&i) {
                e.root = false;
            }
        }
    }

    /// From the roots nginx starts at (the main config, or the files the image's
    /// own main config includes), through every `include`.
    fn compute_contexts(&mut self) {
        let mut queue: Vec<(usize, Vec<Level<'a>>, usize)> = Vec::new();
        for (i, e) in self.configs.iter().enumerate() {
            if e.root {
                queue.push((i, implicit_levels(&e.context), 0));
            }
        }
        let mut seen: HashSet<(usize, Vec<LevelKey>)> = HashSet::new();
        while let Some((i, ctx, depth)) = queue.pop() {
            let key = (i, ctx.iter().map(Level::key).collect::<Vec<_>>());
            if self.contexts[i].len() >= MAX_CONTEXTS || !seen.insert(key) {
                continue;
            }
            self.contexts[i].push(ctx.clone());
            if depth >= MAX_DEPTH {
                continue;
            }
            let cfg = self.configs[i].cfg;
            for v in cfg.parsed.find_all("include") {
                let Some(targets) = self.includes.get(&v.directive.span) else {
                    continue;
                };
                for &t in targets {
                    if self.contexts[t].len() >= MAX_CONTEXTS {
                        continue;
                    }
                    let mut inner = ctx.clone();
                    inner.extend(v.parents.iter().map(|d| Level::Block(d)));
                    queue.push((t, inner, depth + 1));
                }
            }
        }
        // A file proxy.rs reached by a route not followed here: its recorded blocks.
        for (i, e) in self.configs.iter().enumerate() {
            if self.contexts[i].is_empty() {
                self.contexts[i].push(implicit_levels(&e.context));
            }
        }
    }

    /// The directives nginx reads directly inside a level, with includes expanded.
    fn expanded(&self, level: &Level<'a>) -> Vec<&'a Directive> {
        let mut out = Vec::new();
        let mut visited = HashSet::new();
        match level {
            Level::Block(d) => self.expand_into(d.children(), &mut out, &mut visited, 0),
            Level::Implicit(names) => {
                for (i, e) in self.configs.iter().enumerate() {
                    if e.root && e.context == *names {
                        visited.insert(i);
                        self.expand_into(&e.cfg.parsed.directives, &mut out, &mut visited, 0);
                    }
                }
            }
        }
        out
    }

    fn expand_into(
        &self,
        dirs: &'a [Directive],
        out: &mut Vec<&'a Directive>,
        visited: &mut HashSet<usize>,
        depth: usize,
    ) {
        for d in dirs {
            if d.name != "include" {
                out.push(d);
                continue;
            }
            if depth >= MAX_DEPTH {
                continue;
            }
            for &t in self.includes.get(&d.span).map(Vec::as_slice).unwrap_or(&[]) {
                if visited.insert(t) {
                    let cfg = self.configs[t].cfg;
                    self.expand_into(&cfg.parsed.directives, out, visited, depth + 1);
                }
            }
        }
    }

    fn info(&mut self, level: &Level<'a>) -> usize {
        let key = level.key();
        if let Some(&i) = self.info_index.get(&key) {
            return i;
        }
        let mut info = LevelInfo::default();
        // `resolver` is valid in http, server, location (and upstream since 1.27.3).
        let takes_resolver = matches!(
            level.name(),
            "http" | "server" | "location" | "upstream" | "stream"
        );
        for d in self.expanded(level) {
            match d.name.as_str() {
                "resolver" if takes_resolver && !d.args.is_empty() => {
                    info.resolver.get_or_insert(d);
                }
                "set" => add_set(&mut info.sets, d, false),
                "map" if d.is_block() && level.name() == "http" => {
                    if let Some(name) = d.arg(1).and_then(var_name) {
                        info.maps.entry(name.to_string()).or_default().push(d);
                    }
                }
                "if" => {
                    for inner in d.children() {
                        if inner.name == "set" {
                            add_set(&mut info.sets, inner, true);
                        }
                    }
                }
                _ => {}
            }
        }
        self.infos.push(info);
        let i = self.infos.len() - 1;
        self.info_index.insert(key, i);
        i
    }

    /// The nearest resolver of a chain of levels, innermost first.
    fn resolver_of(&mut self, chain: &[Level<'a>]) -> Option<&'a Directive> {
        for level in chain.iter().rev() {
            let i = self.info(level);
            if let Some(r) = self.infos[i].resolver {
                return Some(r);
            }
        }
        None
    }

    /// The value `$name` has where the chain ends, when every `set` that can
    /// give it one agrees; `None` when it is unknown (a built-in, a `map`, ...).
    fn var_value(&mut self, chain: &[Level<'a>], name: &str) -> Option<(String, &'a Directive)> {
        let mut found: Vec<(&'a Directive, bool)> = Vec::new();
        for level in chain.iter().rev() {
            let i = self.info(level);
            if let Some(sets) = self.infos[i].sets.get(name) {
                found.extend(sets.iter().copied());
                // An unconditional set here hides the levels outside it.
                if sets.iter().any(|(_, cond)| !cond) {
                    break;
                }
            }
        }
        if found.is_empty() {
            return self.map_value(chain, name);
        }
        let (first, _) = *found.first()?;
        let value = first.arg(1)?;
        if found.iter().any(|(d, _)| d.arg(1) != Some(value)) {
            return None;
        }
        if !found.iter().any(|(_, cond)| !cond) {
            // Only set inside `if`: other requests see it unset.
            return None;
        }
        Some((value.to_string(), first))
    }

    /// The value a `map` gives `$name` for every request: known only when the
    /// map has a `default` and every entry maps to that same value.
    fn map_value(&mut self, chain: &[Level<'a>], name: &str) -> Option<(String, &'a Directive)> {
        let mut maps: Vec<&'a Directive> = Vec::new();
        for level in chain {
            let i = self.info(level);
            if let Some(m) = self.infos[i].maps.get(name) {
                maps.extend(m.iter().copied());
            }
        }
        let [map] = maps.as_slice() else {
            return None;
        };
        let mut value: Option<&str> = None;
        let mut has_default = false;
        for entry in map.children() {
            match entry.name.as_str() {
                "hostnames" | "volatile" => continue,
                // Entries from another file: not known here.
                "include" => return None,
                "default" => has_default = true,
                _ => {}
            }
            let v = entry.arg(0)?;
            if value.is_some_and(|x| x != v) {
                return None;
            }
            value = Some(v);
        }
        let value = value.filter(|_| has_default)?;
        Some((value.to_string(), *map))
    }

    /// Replaces the variables of `value` that `set` gives a known value.
    fn substitute(
        &mut self,
        chain: &[Level<'a>],
        value: &str,
        sets: &mut Vec<&'a Directive>,
        depth: usize,
    ) -> String {
        let mut out = String::new();
        let mut rest = value;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            let (name, len) = if let Some(b) = after.strip_prefix('{') {
                match b.find('}') {
                    Some(end) => (&b[..end], end + 2),
                    None => ("", 0),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            };
            if name.is_empty() {
                out.push('$');
                rest = after;
                continue;
            }
            let known = if depth < MAX_VAR_DEPTH {
                self.var_value(chain, name)
            } else {
                None
            };
            match known {
                Some((v, d)) => {
                    sets.push(d);
                    let inner = self.substitute(chain, &v, sets, depth + 1);
                    out.push_str(&inner);
                }
                None => out.push_str(&rest[pos..pos + 1 + len]),
            }
            rest = &after[len..];
        }
        out.push_str(rest);
        out
    }

    fn collect_targets(&mut self) -> Vec<Target<'a>> {
        // Upstream blocks by name (nginx matches them without case), http and stream apart.
        let mut upstreams: HashMap<(String, bool), &'a Directive> = HashMap::new();
        let mut found: Vec<(usize, &'a Directive, Vec<&'a Directive>)> = Vec::new();
        // The upstream block around each upstream server.
        let mut server_upstream: HashMap<Span, Span> = HashMap::new();
        for (i, e) in self.configs.iter().enumerate() {
            let in_stream = e.context.iter().any(|n| n == "stream");
            for v in e.cfg.parsed.walk() {
                let d = v.directive;
                if d.name == "upstream" && d.is_block() {
                    if let Some(name) = d.arg(0) {
                        upstreams
                            .entry((
                                name.to_ascii_lowercase(),
                                in_stream || v.is_inside("stream"),
                            ))
                            .or_insert(d);
                    }
                    continue;
                }
                let is_server =
                    d.name == "server" && v.parent().is_some_and(|p| p.name == "upstream");
                if let (true, Some(u)) = (is_server, v.parent()) {
                    server_upstream.insert(d.span, u.span);
                }
                if (is_server || PassKind::from_name(&d.name).is_some()) && !d.args.is_empty() {
                    found.push((i, d, v.parents.clone()));
                }
            }
        }

        let mut targets: Vec<Target<'a>> = Vec::new();
        for (i, d, parents) in found {
            let cfg = self.configs[i].cfg;
            let misplaced = self.configs[i].misplaced;
            let contexts = self.contexts[i].clone();
            let chains: Vec<Vec<Level<'a>>> = contexts
                .into_iter()
                .map(|mut ctx| {
                    ctx.extend(parents.iter().map(|p| Level::Block(p)));
                    ctx
                })
                .collect();
            let Some(first_chain) = chains.first().cloned() else {
                continue;
            };
            let in_stream = first_chain.iter().any(|l| l.name() == "stream");
            let kind = PassKind::from_name(&d.name).unwrap_or(PassKind::UpstreamServer);
            let Some(arg) = d.args.first() else {
                continue;
            };
            let mut resolver = None;
            for chain in &chains {
                if let Some(r) = self.resolver_of(chain) {
                    resolver = Some(r);
                    break;
                }
            }
            let has_var = has_variable(&arg.value);
            let resolution = if kind == PassKind::UpstreamServer {
                if d.args[1..].iter().any(|a| a.value == "resolve") {
                    Resolution::Resolve
                } else {
                    Resolution::Startup
                }
            } else if has_var {
                Resolution::Runtime
            } else {
                Resolution::Startup
            };
            let mut sets = Vec::new();
            let value = if has_var && kind != PassKind::UpstreamServer {
                self.substitute(&first_chain, &arg.value, &mut sets, 0)
            } else {
                arg.value.clone()
            };
            let addr = parse_address(kind, &value, in_stream);
            let raw = self.sources.get(arg.span.file).slice(&arg.span);
            let secret = variable_names(raw).any(crate::analysis::secrets::is_secret_key)
                || sets.iter().any(|s| {
                    variable_names(assigned_var(s)).any(crate::analysis::secrets::is_secret_key)
                });
            let upstream = addr
                .host
                .as_ref()
                .filter(|_| kind != PassKind::UpstreamServer)
                .and_then(|h| upstreams.get(&(h.clone(), in_stream)).copied());
            targets.push(Target {
                cfg,
                misplaced,
                directive: d,
                arg,
                kind,
                resolution,
                scheme: addr.scheme,
                host: addr.host,
                host_text: addr.host_text,
                unix: addr.unix,
                port: addr.port,
                port_written: addr.port_written,
                upstream,
                implicit_upstream: false,
                resolver,
                sets,
                secret,
                used_by: Vec::new(),
                pass_resolvers: Vec::new(),
            });
        }

        // Runtime addresses equal to a literal one reuse its implicit upstream.
        let literal: HashSet<(String, Option<u16>)> = targets
            .iter()
            .filter(|t| t.resolution == Resolution::Startup && t.kind != PassKind::UpstreamServer)
            .filter_map(|t| Some((t.host.clone()?, t.port)))
            .collect();
        for t in targets.iter_mut() {
            if t.resolution == Resolution::Runtime {
                if let Some(h) = &t.host {
                    t.implicit_upstream = literal.contains(&(h.clone(), t.port));
                }
            }
        }

        // Which passes use each upstream block.
        let mut users: HashMap<Span, (Vec<&'a Directive>, Vec<&'a Directive>)> = HashMap::new();
        for t in &targets {
            if let Some(u) = t.upstream {
                let e = users.entry(u.span).or_default();
                e.0.push(t.directive);
                if let Some(r) = t.resolver {
                    if !e.1.iter().any(|x| x.span == r.span) {
                        e.1.push(r);
                    }
                }
            }
        }
        for t in targets.iter_mut() {
            let around = server_upstream.get(&t.directive.span);
            if let Some((by, res)) = around.and_then(|s| users.get(s)) {
                t.used_by = by.clone();
                t.pass_resolvers = res.clone();
            }
        }
        targets
    }
}

fn implicit_levels<'a>(context: &[String]) -> Vec<Level<'a>> {
    (1..=context.len())
        .map(|k| Level::Implicit(context[..k].to_vec()))
        .collect()
}

/// `$name` / `${name}` → `name`.
fn var_name(s: &str) -> Option<&str> {
    let name = s.strip_prefix('$')?;
    let name = name.trim_start_matches('{').trim_end_matches('}');
    (!name.is_empty()).then_some(name)
}

/// The variable a `set` or `map` directive gives a value.
pub fn assigned_var(d: &Directive) -> &str {
    let i = if d.name == "map" { 1 } else { 0 };
    d.arg(i).unwrap_or("")
}

fn add_set<'a>(
    sets: &mut HashMap<String, Vec<(&'a Directive, bool)>>,
    d: &'a Directive,
    cond: bool,
) {
    if let Some(name) = d.arg(0).and_then(|n| n.strip_prefix('$')) {
        let name = name.trim_start_matches('{').trim_end_matches('}');
        sets.entry(name.to_string()).or_default().push((d, cond));
    }
}

/// The names of the `$name` / `${name}` references of a text.
fn variable_names(s: &str) -> impl Iterator<Item = &str> {
    s.split('$').skip(1).filter_map(|rest| {
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// Whether nginx sees a variable in this value (`$name` or `${name}`).
pub fn has_variable(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'$'
            && b.get(i + 1)
                .is_some_and(|&n| n.is_ascii_alphanumeric() || n == b'_' || n == b'{')
    })
}

pub fn is_ip(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.parse::<Ipv4Addr>().is_ok() || h.parse::<Ipv6Addr>().is_ok()
}

/// `localhost` resolves from /etc/hosts at startup, whatever the stack does.
pub fn is_localhost(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    h == "localhost" || h.ends_with(".localhost")
}

#[derive(Debug, Default, PartialEq)]
struct Address {
    scheme: Option<String>,
    host: Option<String>,
    host_text: Option<String>,
    unix: bool,
    port: Option<u16>,
    port_written: bool,
}

/// Splits an address into scheme, host and port, as far as it is known.
fn parse_address(kind: PassKind, value: &str, in_stream: bool) -> Address {
    let mut a = Address::default();
    // Variables that always start the path end the authority before them.
    let mut v = value.to_string();
    for (var, with) in [
        ("$request_uri", "/"),
        ("${request_uri}", "/"),
        ("$document_uri", "/"),
        ("$uri", "/"),
        ("$is_args", "?"),
    ] {
        v = v.replace(var, with);
    }
    let lower = v.to_ascii_lowercase();
    let schemes: &[&str] = match kind {
        PassKind::Proxy if !in_stream => &["http", "https"],
        PassKind::Grpc => &["grpc", "grpcs"],
        PassKind::Uwsgi => &["uwsgi", "suwsgi"],
        _ => &[],
    };
    let mut rest = v.as_str();
    for s in schemes {
        let prefix = format!("{s}://");
        if lower.starts_with(&prefix) {
            a.scheme = Some((*s).to_string());
            rest = &v[prefix.len()..];
            break;
        }
    }
    if kind == PassKind::Proxy && !in_stream && a.scheme.is_none() {
        // `proxy_pass $upstream;` whose value is unknown.
        return a;
    }
    if rest.starts_with("unix:") {
        a.unix = true;
        return a;
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('$') {
        return a;
    }
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        match r.split_once(']') {
            Some((h, p)) => (format!("[{h}]"), p.strip_prefix(':')),
            None => return a,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() || host.contains(['@', ' ', '"', '\'']) {
        return a;
    }
    match port {
        Some(p) => match p.parse::<u16>() {
            Ok(n) => {
                a.port = Some(n);
                a.port_written = true;
            }
            Err(_) => return a,
        },
        None => {
            a.port = match (kind, a.scheme.as_deref()) {
                (PassKind::UpstreamServer, _) => Some(80),
                (PassKind::Proxy, Some("http")) | (PassKind::Grpc, Some("grpc")) => Some(80),
                (PassKind::Proxy, Some("https")) | (PassKind::Grpc, Some("grpcs")) => Some(443),
                _ => None,
            }
        }
    }
    a.host = Some(host.to_ascii_lowercase());
    a.host_text = Some(host);
    a
}

/// How a name is known to the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Service,
    Alias,
    ContainerName,
    Hostname,
    Link,
    ExternalLink,
}

impl std::fmt::Display for NameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameKind::Service => "service",
            NameKind::Alias => "network alias",
            NameKind::ContainerName => "container_name",
            NameKind::Hostname => "hostname",
            NameKind::Link => "link alias",
            NameKind::ExternalLink => "external link",
        })
    }
}

/// A name the stack gives a container.
#[derive(Clone, Debug)]
pub struct Known<'a> {
    /// The service behind it (`None` for an external link).
    pub service: Option<&'a Service>,
    pub kind: NameKind,
    pub span: Span,
}

/// The names containers of the stack answer to, as seen from one proxy service.
pub struct StackNames<'a> {
    names: HashMap<String, Known<'a>>,
    /// `extra_hosts` of the proxy: /etc/hosts entries, resolved at startup.
    pub extra_hosts: HashSet<String>,
    /// The proxy reaches networks (or a network namespace) the stack does not
    /// describe: a name not in the stack may still resolve.
    pub open_world: bool,
    /// `network_mode: host`: service names do not resolve at all.
    pub host_network: bool,
}

impl<'a> StackNames<'a> {
    pub fn new(p: &'a Project, proxy: Option<&'a Service>) -> Self {
        let mut names: HashMap<String, Known<'a>> = HashMap::new();
        let mut add = |name: &str, known: Known<'a>| {
            names.entry(name.to_ascii_lowercase()).or_insert(known);
        };
        for svc in &p.model.services {
            add(
                &svc.name.value,
                Known {
                    service: Some(svc),
                    kind: NameKind::Service,
                    span: svc.name.span,
                },
            );
        }
        for svc in &p.model.services {
            for net in &svc.networks {
                for a in &net.aliases {
                    add(
                        &a.value,
                        Known {
                            service: Some(svc),
                            kind: NameKind::Alias,
                            span: a.span,
                        },
                    );
                }
            }
            for (field, kind) in [
                (&svc.container_name, NameKind::ContainerName),
                (&svc.hostname, NameKind::Hostname),
            ] {
                if let Some(n) = field {
                    add(
                        &n.value,
                        Known {
                            service: Some(svc),
                            kind,
                            span: n.span,
                        },
                    );
                }
            }
        }
        let mut extra_hosts = HashSet::new();
        let mut open_world = false;
        let mut host_network = false;
        if let Some(proxy) = proxy {
            // `links: [app:backend]`: `backend` reaches app from the proxy.
            for l in &proxy.links {
                let (svc, alias) = match l.value.split_once(':') {
                    Some((s, a)) => (s, a),
                    None => (l.value.as_str(), l.value.as_str()),
                };
                if let Some(target) = p.model.service(svc) {
                    add(
                        alias,
                        Known {
                            service: Some(target),
                            kind: NameKind::Link,
                            span: l.span,
                        },
                    );
                }
            }
            let node = p
                .tree
                .as_ref()
                .and_then(|t| t.get("services"))
                .and_then(|s| s.get(&proxy.name.value));
            if let Some(node) = node {
                if let Some(hosts) = node.get("extra_hosts") {
                    extra_hosts.extend(hosts.keys().map(|k| k.to_ascii_lowercase()));
                }
                if let Some(ext) = node.get("external_links") {
                    for item in ext.as_seq().unwrap_or(&[]) {
                        if let Some(s) = item.as_str() {
                            let (c, alias) = s.split_once(':').unwrap_or((s, s));
                            for n in [c, alias] {
                                add(
                                    n,
                                    Known {
                                        service: None,
                                        kind: NameKind::ExternalLink,
                                        span: item.span,
                                    },
                                );
                            }
                        }
                    }
                }
            }
            match proxy.network_mode.as_ref().map(|m| m.value.as_str()) {
                Some("host") => {
                    host_network = true;
                    open_world = true;
                }
                Some("none") | None => {}
                // Another container's namespace, or the default bridge: its DNS is not ours.
                Some(_) => open_world = true,
            }
            let external = |name: &str| p.model.network(name).is_some_and(|n| n.external);
            if proxy.networks.is_empty() {
                open_world |= external("default");
            } else {
                open_world |= proxy.networks.iter().any(|n| external(&n.name.value));
            }
        }
        StackNames {
            names,
            extra_hosts,
            open_world,
            host_network,
        }
    }

    pub fn get(&self, host: &str) -> Option<&Known<'a>> {
        self.names.get(&host.to_ascii_lowercase())
    }

    /// Every service name, sorted, for help texts.
    pub fn service_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .names
            .values()
            .filter(|k| k.kind == NameKind::Service)
            .filter_map(|k| k.service.map(|s| s.name.value.as_str()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Compose's own container names, `<project>-<service>-<n>` (v2) and
    /// `<project>_<service>_<n>` (v1), resolve too.
    pub fn is_default_container_name(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.service_names().iter().any(|s| {
            let svc = s.to_ascii_lowercase();
            ['-', '_'].iter().any(|&sep| {
                host.rsplit_once(sep).is_some_and(|(head, n)| {
                    !n.is_empty()
                        && n.chars().all(|c| c.is_ascii_digit())
                        && head
                            .strip_suffix(&svc)
                            .is_some_and(|proj| proj.ends_with(sep) && proj.len() > 1)
                })
            })
        })
    }

    /// The known name nearest to `host`, when it is close enough to be a typo.
    pub fn nearest(&self, host: &str) -> Option<&str> {
        let host = host.to_ascii_lowercase();
        crate::names::nearest(&host, self.names.keys().map(String::as_str))
    }
}

/// The services that answer for `svc`'s name: itself and those sharing its
/// network namespace (`network_mode: service:<svc>`).
pub fn same_namespace<'a>(p: &'a Project, svc: &'a Service) -> Vec<&'a Service> {
    let mut out = vec![svc];
    let own = format!("service:{}", svc.name.value);
    for other in &p.model.services {
        if other.network_mode.as_ref().is_some_and(|m| m.value == own) {
            out.push(other);
        }
    }
    out
}

/// A hostname written literally, which nginx resolves once, when it loads its config.
pub struct StartupName<'t, 'a> {
    pub target: &'t Target<'a>,
    pub host: String,
    /// A resolver in scope, which does nothing for this name (SL202).
    pub resolver: Option<&'a Directive>,
    /// What the stack calls this name.
    pub known: Option<Known<'a>>,
}

/// The literal hostnames of a group that depend on a container being up when
/// nginx starts: the stack's names, and single-label names nginx cannot
/// resolve otherwise. `localhost`, `extra_hosts`, IPs, sockets and dotted
/// external names are left out, and so is a `*_pass` name that is not the
/// stack's when some config is not visible (it may name an upstream block there).
pub fn startup_names<'t, 'a>(g: &'t Group<'a>, names: &StackNames<'a>) -> Vec<StartupName<'t, 'a>> {
    let mut out = Vec::new();
    for t in &g.targets {
        if t.resolution != Resolution::Startup || t.upstream.is_some() || !t.is_hostname() {
            continue;
        }
        let Some(host) = t.host.clone() else {
            continue;
        };
        if is_localhost(&host) || names.extra_hosts.contains(&host) {
            continue;
        }
        let known = names.get(&host).cloned();
        if known.is_none() && (host.contains('.') || !may_be_host(g, t)) {
            continue;
        }
        // A name no container of a closed stack answers to never resolves:
        // that is SL204's finding (one cause, one finding), not a matter of
        // start order or stale addresses.
        if known.is_none() && !names.open_world && !names.is_default_container_name(&host) {
            continue;
        }
        let resolver = t.resolver.or_else(|| t.pass_resolvers.first().copied());
        out.push(StartupName {
            target: t,
            host,
            resolver,
            known,
        });
    }
    out
}

/// Addresses with variables whose host nginx must resolve per request, with no
/// `resolver` in scope: each such request fails.
pub fn runtime_without_resolver<'t, 'a>(
    g: &'t Group<'a>,
    names: &StackNames<'a>,
) -> Vec<&'t Target<'a>> {
    g.targets
        .iter()
        .filter(|t| {
            t.resolution == Resolution::Runtime
                && t.upstream.is_none()
                && !t.implicit_upstream
                && t.resolver.is_none()
                && t.is_hostname()
                && t.host.as_deref().is_some_and(|h| {
                    !is_localhost(h) && (names.get(h).is_some() || may_be_host(g, t))
                })
        })
        .collect()
}

/// The incident a startup-resolved name describes when its container may not
/// be running as nginx starts: SL201, SL202 and SL207 report it once.
pub const STARTUP_CRASH: &str = "nginx-startup-crash";

/// What a name nginx resolves once, at startup, does to the stack: the effect
/// for a message, whether it is a possible startup crash, and the evidence.
pub struct StartupEffect {
    /// Whether nginx may exit at startup (`host not found`); otherwise the
    /// address goes stale when the target is recreated.
    pub crash: bool,
    /// Completes "nginx resolves `x` once, at startup: ...".
    pub text: String,
    pub related: Vec<(Span, String)>,
    /// A fix besides resolving per request.
    pub order_fix: Option<String>,
}

impl StartupEffect {
    /// The finding's severity: an error for a possible startup crash, a warning
    /// for an address that goes stale.
    pub fn severity(&self) -> Severity {
        if self.crash {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

/// What happens with a startup-resolved name: `None` when nothing goes wrong
/// (compose starts the target first and restarts the proxy when it recreates it).
pub fn startup_effect(
    graph: &StackGraph,
    proxy: Option<&Service>,
    t: &Target<'_>,
    host: &str,
    known: Option<&Known<'_>>,
) -> Option<StartupEffect> {
    let name = t.nginx_upstream_name();
    let hnf = format!("(`host not found in upstream \"{name}\"`)");
    let (Some(proxy), Some(target)) = (proxy, known.and_then(|k| k.service)) else {
        return Some(StartupEffect {
            crash: true,
            text: format!(
                "if `{host}` is not up yet, nginx refuses to start {hnf}, and it keeps the old address when the container is recreated"
            ),
            related: Vec::new(),
            order_fix: None,
        });
    };
    let (pn, tn) = (&proxy.name.value, &target.name.value);
    if pn == tn {
        // nginx proxies to its own container: its name is there when nginx starts.
        return None;
    }
    match graph.startup_risk(proxy, target) {
        StartupRisk::Restarted { .. } => None,
        StartupRisk::Stale { via } => Some(StartupEffect {
            crash: false,
            text: format!(
                "compose starts `{tn}` before `{pn}`, so nginx starts, but it keeps the address it found: when `{tn}` is recreated (`docker compose up -d {tn}` after a change) it usually gets a new address, and requests then fail with 502 until nginx restarts"
            ),
            related: vec![(via, format!("`{pn}` starts after `{tn}` through this"))],
            order_fix: Some(format!(
                "or make compose restart nginx with it: `depends_on: {{{tn}: {{condition: service_started, restart: true}}}}` in `{pn}`"
            )),
        }),
        StartupRisk::Crash { order, absent } => {
            let mut related = Vec::new();
            let why = match order {
                StartOrder::AfterIfPresent { via } => {
                    related.push((
                        via,
                        format!("`required: false`: `{pn}` starts without `{tn}` when `{tn}` is not enabled"),
                    ));
                    format!(
                        "`{tn}` runs only under its profiles and `{pn}` does not require it, so compose can start `{pn}` without `{tn}`, and nginx exits {hnf}"
                    )
                }
                _ => {
                    related.push((
                        proxy.name.span,
                        format!("no `depends_on` path leads from `{pn}` to `{tn}`"),
                    ));
                    match absent {
                        Some(_) => format!(
                            "nothing makes `{pn}` start after `{tn}`, and `{tn}` runs only under its profiles: nginx exits {hnf} when it starts first or without `{tn}`"
                        ),
                        None => format!(
                            "nothing makes `{pn}` start after `{tn}`, so on `docker compose up` nginx can start first and exit {hnf}"
                        ),
                    }
                }
            };
            if let Some(span) = absent {
                related.push((span, format!("`{tn}` runs only when one of these profiles is active")));
            }
            // A target that may not run at all is fixed only by resolving per request.
            let order_fix = absent.is_none().then(|| {
                format!("or add `depends_on: [{tn}]` to `{pn}` (Docker's DNS knows the name once the container has started)")
            });
            Some(StartupEffect {
                crash: true,
                text: format!("{why}; it also keeps the old address when `{tn}` is recreated"),
                related,
                order_fix,
            })
        }
    }
}

/// Whether a name that is no upstream block of the visible configs is a host:
/// always for an upstream `server`; for a `*_pass`, only when every config
/// nginx reads is visible (an unseen file may define an upstream of that name).
pub fn may_be_host(g: &Group<'_>, t: &Target<'_>) -> bool {
    t.kind == PassKind::UpstreamServer || g.complete
}

/// Every `resolver` of the group's configs, in or out of scope.
pub fn all_resolvers<'a>(g: &Group<'a>) -> Vec<&'a Directive> {
    let mut out: Vec<&'a Directive> = Vec::new();
    for c in &g.configs {
        for v in c.parsed.find_all("resolver") {
            if !out.iter().any(|d| d.span == v.directive.span) {
                out.push(v.directive);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = parse_address(PassKind::Proxy, "http://App:5000/api", false);
        assert_eq!(a.host.as_deref(), Some("app"));
        assert_eq!(a.host_text.as_deref(), Some("App"));
        assert_eq!((a.port, a.port_written), (Some(5000), true));
        let a = parse_address(PassKind::Proxy, "https://api.example.com", false);
        assert_eq!(
            (a.host.as_deref(), a.port),
            (Some("api.example.com"), Some(443))
        );
        let a = parse_address(PassKind::Proxy, "http://app:5000$request_uri", false);
        assert_eq!((a.host.as_deref(), a.port), (Some("app"), Some(5000)));
        let a = parse_address(PassKind::Proxy, "http://$host", false);
        assert_eq!(a.host, None);
        let a = parse_address(PassKind::Proxy, "$upstream", false);
        assert_eq!(a.host, None);
        let a = parse_address(PassKind::Proxy, "http://unix:/tmp/app.sock:/", false);
        assert!(a.unix && a.host.is_none());
        let a = parse_address(PassKind::FastCgi, "php:9000", false);
        assert_eq!((a.host.as_deref(), a.port), (Some("php"), Some(9000)));
        let a = parse_address(PassKind::FastCgi, "php", false);
        assert_eq!((a.host.as_deref(), a.port), (Some("php"), None));
        let a = parse_address(PassKind::UpstreamServer, "app", false);
        assert_eq!(a.port, Some(80));
        let a = parse_address(PassKind::Proxy, "http://[::1]:8080", false);
        assert_eq!(a.host.as_deref(), Some("[::1]"));
        assert!(is_ip("[::1]") && is_ip("10.0.0.2") && !is_ip("app"));
        let a = parse_address(PassKind::Proxy, "app:5000", true);
        assert_eq!(a.host.as_deref(), Some("app"));
    }

    #[test]
    fn variables() {
        assert!(has_variable("http://$backend"));
        assert!(has_variable("${u}"));
        assert!(!has_variable("http://app:5000/$"));
        assert!(!has_variable("http://app"));
    }

    #[test]
    fn variable_names_of_a_text() {
        let names: Vec<&str> = variable_names("http://${API_TOKEN}:$port/$").collect();
        assert_eq!(names, ["API_TOKEN", "port"]);
    }
}
