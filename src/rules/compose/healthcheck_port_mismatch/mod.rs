//! SL101 `healthcheck-port-mismatch`: a healthcheck probes a port the service does not listen on.
//!
//! The probed port comes from the healthcheck's test: a URL given to curl, wget or
//! a Python / Node / PHP one-liner (80 or 443 when the URL has none), `nc host
//! port`, `pg_isready -p`, `redis-cli -p` / `-u`, `mysqladmin -P` over TCP,
//! `mongosh --port`, `grpc_health_probe -addr`. Only probes of the container
//! itself count (localhost, a loopback address, the service's own name,
//! `container_name` or `hostname`). The listening side is
//! [`crate::analysis::ports::listening`]; the rule fires only when that side is
//! known and complete, and every local probe misses it.

use crate::analysis::ports::{self, CommandSrc, EvidenceKind, Listening, RuntimeEnv};
use crate::compose::model::Spanned;
use crate::compose::stack::Project;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;
use compact_str::CompactString;

mod probes;

use probes::{dev_tcp, probes_of, Probe};

pub struct HealthcheckPortMismatch;

pub static META: RuleMeta = RuleMeta {
    code: "SL101",
    name: "healthcheck-port-mismatch",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "A healthcheck probes a port the service does not listen on",
    fix: crate::finding::FixAvailability::Sometimes,
};

impl Rule for HealthcheckPortMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        // `localhost` in a shared namespace reaches another container's ports too.
        let shared = crate::analysis::network::shared_namespaces(p);
        cx.each_service(out, |i, svc, out| {
            let name = &svc.name.value;
            let Some(hc) = &svc.healthcheck else { return };
            if hc.disabled() || shared.get(i).copied().unwrap_or(false) {
                return;
            }
            let Some(node) = ports::service_node(p, name) else {
                return;
            };
            let Some(test) = node.get("healthcheck").and_then(|h| h.get("test")) else {
                return;
            };
            let Some(cmd) = CommandSrc::of_healthcheck(test, &p.sources) else {
                return;
            };
            let env = cx.analysis.runtime_env(svc);
            let own_names = own_names(svc);
            let mut probes: Vec<Probe> = cmd
                .invocations()
                .iter()
                .flat_map(|inv| probes_of(inv, &env))
                .collect();
            probes.extend(dev_tcp(&cmd, &env));
            // A probe whose host stacklint cannot read might be a local one.
            if probes.iter().any(|pr| pr.host.is_none()) {
                return;
            }
            let local: Vec<&Probe> = probes
                .iter()
                .filter(|pr| pr.host.as_deref().is_some_and(|h| is_local(h, &own_names)))
                .collect();
            if local.is_empty() || local.iter().any(|pr| pr.port.is_none()) {
                return;
            }
            if let Some(w) = cx.analysis.worker(svc) {
                if let Some(f) = worker_finding(p, svc, node, &w, &local, &env) {
                    out.push(f);
                }
                return;
            }
            let l = cx.analysis.listening(svc);
            if !l.is_known() {
                return;
            }
            if local
                .iter()
                .any(|pr| pr.port.is_some_and(|port| l.contains(port)))
            {
                return;
            }
            let mut reported: Vec<u16> = Vec::new();
            for pr in local {
                let Some(port) = pr.port else { continue };
                if reported.contains(&port) {
                    continue;
                }
                reported.push(port);
                let mut f = finding(svc, pr, port, &l);
                // The fix: the probe's port, written as a number, becomes the one
                // port the evidence names.
                let listened = distinct_ports(&l);
                let written = p.sources.get(pr.span.file).slice(&pr.span);
                if let ([only], None, true) = (
                    listened.as_slice(),
                    &pr.implied,
                    written == port.to_string(),
                ) {
                    f = f.fix(crate::finding::Fix::safe(
                        format!("probe port {only}"),
                        vec![crate::finding::Edit {
                            span: pr.span,
                            replacement: only.to_string(),
                        }],
                    ));
                }
                out.push(f);
            }
        });
    }
}

/// The names the service gives its container, with the key that gives each.
fn given_names(
    svc: &crate::compose::model::Service,
) -> impl Iterator<Item = (&'static str, &Spanned<CompactString>)> {
    let u = svc.uncommon();
    [
        ("container_name", &u.container_name),
        ("hostname", &u.hostname),
    ]
    .into_iter()
    .filter_map(|(key, n)| Some((key, n.as_ref()?)))
}

/// The names the container answers to: its service's, and those it is given.
fn own_names(svc: &crate::compose::model::Service) -> Vec<&str> {
    std::iter::once(svc.name.value.as_str())
        .chain(given_names(svc).map(|(_, n)| n.value.as_str()))
        .collect()
}

/// Where the probe's host is declared as the container's own name, when that is
/// not obvious: its `container_name` or `hostname`, not loopback nor the service
/// name every reader knows.
fn own_name_evidence(svc: &crate::compose::model::Service, pr: &Probe) -> Option<(Span, String)> {
    let host = pr.host.as_deref()?;
    // Loopback, or the service's name: no line to point at.
    if is_local(host, &[svc.name.value.as_str()]) {
        return None;
    }
    given_names(svc).find_map(|(key, n)| {
        if !is_local(host, &[n.value.as_str()]) {
            return None;
        }
        Some((
            n.span,
            format!(
                "`{}` is the `{key}` of `{name}`, so the probe reaches `{name}` itself",
                n.value,
                name = svc.name.value
            ),
        ))
    })
}

/// A host that is the container itself.
/// (Names compare ignoring ASCII case, without a lowered copy of each.)
fn is_local(host: &str, own: &[&str]) -> bool {
    let h = host.trim_matches(|c| c == '[' || c == ']');
    const LOOPBACK: [&str; 6] = [
        "localhost",
        "0.0.0.0",
        "::1",
        "::",
        "ip6-localhost",
        "localhost.localdomain",
    ];
    if LOOPBACK.iter().any(|l| l.eq_ignore_ascii_case(h)) {
        return true;
    }
    if let Some(rest) = h.strip_prefix("127.") {
        let parts: Vec<&str> = rest.split('.').collect();
        return parts.len() == 3 && parts.iter().all(|p| p.parse::<u8>().is_ok());
    }
    own.iter().any(|n| n.eq_ignore_ascii_case(h))
}

// ---------------------------------------------------------------------------
// The finding

fn finding(svc: &crate::compose::model::Service, pr: &Probe, port: u16, l: &Listening) -> Finding {
    let name = &svc.name.value;
    let summary = summarize(l);
    let msg = format!("healthcheck probes port {port}, but `{name}` listens on {summary}");
    let label = if let Some(why) = &pr.implied {
        format!("probes port {port}, {why}")
    } else {
        format!("probes port {port}")
    };
    let listened: Vec<u16> = distinct_ports(l);
    let shown = short_list(&listened);
    // The classic slip: the host side of `ports` used inside the container.
    let published = svc.ports.iter().find(|pt| {
        pt.published.as_ref().is_some_and(|r| r.contains(port)) && !pt.target.contains(port)
    });
    let help = match published {
        Some(pt) => format!(
            "port {port} is the host side of a `ports` mapping; inside the container `{name}` listens on {}: probe that port in the healthcheck",
            pt.target.start
        ),
        None if pr.flag.is_some() && listened.len() == 1 => format!(
            "give the client the port (`{} {shown}`), or make `{name}` listen on {port}",
            pr.flag.unwrap_or("-p")
        ),
        None if listened.len() == 1 => format!(
            "probe port {shown} in the healthcheck, or make `{name}` listen on {port}"
        ),
        None => format!(
            "probe one of the ports `{name}` listens on ({shown}) in the healthcheck, or make it listen on {port}"
        ),
    };
    let mut f = Finding::new(&META, pr.span, msg)
        .label(label)
        .help(help)
        .place(format!("services.{name}.healthcheck.test"));
    for (span, text) in related(l) {
        f = f.related(span, text);
    }
    if let Some((span, text)) = own_name_evidence(svc, pr) {
        f = f.related(span, text);
    }
    // The probed port is set in the environment, but the command binds another.
    for e in l.outweighed.iter().filter(|e| e.port == port) {
        if let Some(span) = e.span {
            f = f.related(
                span,
                format!("{port} is set in the environment, but the command binds its own port"),
            );
        }
    }
    f
}

/// Ports a worker may serve a health endpoint on: `sidekiq_alive`'s default.
const WORKER_HEALTH_PORTS: &[u16] = &[7433];

/// A worker listens on no port, so a local probe always fails; unless the worker
/// declares the port itself (`ports`, `expose`, a `*HEALTH*` / `*ALIVE*` variable).
fn worker_finding(
    p: &Project,
    svc: &crate::compose::model::Service,
    node: crate::parse::yaml::NodeRef<'_>,
    w: &ports::Worker,
    local: &[&Probe],
    env: &RuntimeEnv,
) -> Option<Finding> {
    let name = &svc.name.value;
    let declared = |port: u16| {
        svc.ports.iter().any(|pt| pt.target.contains(port))
            || svc.expose.iter().any(|e| {
                e.value
                    .split('/')
                    .next()
                    .and_then(|v| v.trim().parse::<u16>().ok())
                    == Some(port)
            })
            || WORKER_HEALTH_PORTS.contains(&port)
            || env.known().any(|(k, v)| {
                let k = k.to_ascii_uppercase();
                ["HEALTH", "ALIVE", "PROBE", "METRICS"]
                    .iter()
                    .any(|x| k.contains(x))
                    && v.trim() == port.to_string()
            })
    };
    if local.iter().any(|pr| pr.port.is_none_or(declared)) {
        return None;
    }
    let pr = local.first()?;
    let port = pr.port?;
    // Written outside the service: it came through an anchor, a merge key or `extends`.
    let inherited = p.sources.get(pr.span.file).path != p.sources.get(node.span().file).path
        || pr.span.start() < node.span().start()
        || pr.span.end() > node.span().end();
    let mut label = format!("probes port {port} of the container itself");
    if inherited {
        label.push_str(&format!(
            "; this healthcheck is written outside `{name}` and reaches it through an anchor, merge key or `extends`"
        ));
    }
    let check = match w.check {
        Some(c) => format!(" (`{c}`)"),
        None => String::new(),
    };
    let mut f = Finding::new(
        &META,
        w.span,
        format!(
            "`{name}` runs `{}`, which listens on no port, but its healthcheck probes port {port}: the probe always fails and `{name}` never becomes healthy",
            w.name
        ),
    )
    .label(format!("runs `{}`, which serves no port", w.name))
    .related(pr.span, label)
    .help(format!(
        "give `{name}` a healthcheck that asks the worker itself{check}, or turn it off with `healthcheck: {{disable: true}}`"
    ))
    .place(format!("services.{name}.healthcheck.test"));
    if let Some((span, text)) = own_name_evidence(svc, pr) {
        f = f.related(span, text);
    }
    Some(f)
}

fn distinct_ports(l: &Listening) -> Vec<u16> {
    let mut seen = std::collections::HashSet::new();
    l.evidence
        .iter()
        .map(|e| e.port)
        .filter(|p| seen.insert(*p))
        .collect()
}

/// `80, 443 and 8000-8010`, at most a handful.
fn short_list(ports: &[u16]) -> String {
    let groups = runs(ports);
    let shown: Vec<String> = groups.iter().take(6).cloned().collect();
    let more = groups.len().saturating_sub(6);
    let mut s = join_and(&shown);
    if more > 0 {
        s = format!("{}, and {more} more", shown.join(", "));
    }
    s
}

/// Consecutive ports as ranges: `[8000, 8001, 8002, 9000]` → `8000-8002`, `9000`.
fn runs(ports: &[u16]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ports.len() {
        let mut j = i;
        while j + 1 < ports.len() && u32::from(ports[j + 1]) == u32::from(ports[j]) + 1 {
            j += 1;
        }
        out.push(if j > i {
            format!("{}-{}", ports[i], ports[j])
        } else {
            ports[i].to_string()
        });
        i = j + 1;
    }
    out
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `5000 (command, Dockerfile EXPOSE) and 9090 (ports)`.
fn summarize(l: &Listening) -> String {
    // Ports in order of first evidence, each with its kinds.
    let mut groups: Vec<(u16, Vec<EvidenceKind>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for e in &l.evidence {
        let i = *index.entry(e.port).or_insert_with(|| {
            groups.push((e.port, Vec::new()));
            groups.len() - 1
        });
        // One entry per kind at most: a short list.
        if !groups[i].1.contains(&e.kind) {
            groups[i].1.push(e.kind);
        }
    }
    // Merge consecutive ports with the same kinds into ranges.
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < groups.len() {
        let mut j = i;
        while j + 1 < groups.len()
            && u32::from(groups[j + 1].0) == u32::from(groups[j].0) + 1
            && groups[j + 1].1 == groups[i].1
        {
            j += 1;
        }
        let ports = if j > i {
            format!("{}-{}", groups[i].0, groups[j].0)
        } else {
            groups[i].0.to_string()
        };
        let kinds: Vec<String> = groups[i].1.iter().map(|k| k.to_string()).collect();
        parts.push(format!("{ports} ({})", kinds.join(", ")));
        i = j + 1;
    }
    if parts.len() > 6 {
        let more = parts.len() - 6;
        parts.truncate(6);
        return format!("{}, and {more} more", parts.join(", "));
    }
    join_and(&parts)
}

/// One labelled span per piece of evidence (ranges and repeats merged).
fn related(l: &Listening) -> Vec<(Span, String)> {
    // Evidence is unique per (port, kind, span) already.
    let mut groups: Vec<(Option<Span>, EvidenceKind, Vec<u16>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for e in &l.evidence {
        let i = *index.entry((e.span, e.kind)).or_insert_with(|| {
            groups.push((e.span, e.kind, Vec::new()));
            groups.len() - 1
        });
        groups[i].2.push(e.port);
    }
    let mut out = Vec::new();
    let mut defaults: Vec<u16> = Vec::new();
    for (span, kind, ports) in groups {
        match (span, kind) {
            (_, EvidenceKind::ImageDefault) => defaults.extend(ports),
            (Some(span), kind) => {
                out.push((span, format!("listens on {} ({kind})", short_list(&ports))))
            }
            (None, _) => {}
        }
    }
    if let (false, Some(span)) = (defaults.is_empty(), l.product_span) {
        let product = l.product.unwrap_or("this");
        out.push((
            span,
            format!(
                "the `{product}` image listens on {} by default (image default)",
                short_list(&defaults)
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests;
