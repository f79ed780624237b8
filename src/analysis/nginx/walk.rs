//! The walk over a proxy's loaded configs: the blocks around each directive
//! across `include`s, the `set` variables in scope, and the targets found.

use super::*;

/// A block around a directive, across files.
#[derive(Clone, Debug)]
pub(super) enum Level<'a> {
    Block(&'a Directive),
    /// A block of the image's own main config (`http` around conf.d files):
    /// the first `k` block names of an entry's context.
    Implicit(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum LevelKey {
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
pub(super) struct LevelInfo<'a> {
    resolver: Option<&'a Directive>,
    /// `set $name value` directly in the level (false) or in an `if` in it (true).
    sets: HashMap<String, Vec<(&'a Directive, bool)>>,
    /// `map $source $name { ... }` blocks (http level): nginx computes `$name`
    /// per request from the map.
    maps: HashMap<String, Vec<&'a Directive>>,
}

pub(super) struct Analyzer<'a> {
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
    pub(super) fn new(
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

    pub(super) fn run(mut self, complete: bool) -> Group<'a> {
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
        // Each pattern matched once, against the paths under its literal prefix.
        let mut index = PathIndex::new(
            self.configs
                .iter()
                .enumerate()
                .filter_map(|(i, e)| Some((e.path.clone()?, i))),
        );
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
                // In the order of the configs, as the rest of the walk expects.
                let mut matched: Vec<usize> = index.matches(&full).to_vec();
                matched.sort_unstable();
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

pub(super) fn implicit_levels<'a>(context: &[String]) -> Vec<Level<'a>> {
    (1..=context.len())
        .map(|k| Level::Implicit(context[..k].to_vec()))
        .collect()
}

/// `$name` / `${name}` → `name`.
pub(super) fn var_name(s: &str) -> Option<&str> {
    let name = s.strip_prefix('$')?;
    let name = name.trim_start_matches('{').trim_end_matches('}');
    (!name.is_empty()).then_some(name)
}

/// The variable a `set` or `map` directive gives a value.
pub fn assigned_var(d: &Directive) -> &str {
    let i = if d.name == "map" { 1 } else { 0 };
    d.arg(i).unwrap_or("")
}

pub(super) fn add_set<'a>(
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
pub(super) fn variable_names(s: &str) -> impl Iterator<Item = &str> {
    s.split('$').skip(1).filter_map(|rest| {
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}
