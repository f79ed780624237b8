//! SL109 `duplicate-host-port`: two services that run together publish the same
//! host address, port and protocol.

use foldhash::{HashMap, HashMapExt};

use crate::compose::model::{Port, Service};
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::FileId;

pub struct DuplicateHostPort;

pub static META: RuleMeta = RuleMeta {
    code: "SL109",
    name: "duplicate-host-port",
    severity: Severity::Error,
    category: Category::Correctness,
    summary:
        "Two services publish the same host port: the second fails with `port is already allocated`",
    fix: crate::finding::FixAvailability::None,
};

/// Wider published ranges are not compared port by port (a hostile range of
/// 65,535 ports on every service would cost too much); they are left out.
const MAX_RANGE: u16 = 4096;

/// How many earlier entries of one host port are compared with a later one:
/// enough for profiles that split them, bounded for a hostile file.
const MAX_COMPARED: usize = 16;

/// How many (address, host port) pairs a project's entries are expanded to at
/// most. Honest stacks publish tens; 2,000 services each publishing a range of
/// 4,095 ports took 6.5 s and 389 MB before this bound. Past it the rest of
/// the project is not compared (silent).
const MAX_EXPANDED: usize = 100_000;

/// A host port of one compose file: (file, address index, port, protocol).
type HostPort<'a> = (FileId, usize, u16, &'a str);

/// One port of a service that another already publishes: (this port entry, the
/// other's port entry, host port, address).
type Clash = (usize, usize, u16, String);

/// The host addresses Docker binds for a port: both wildcards when none is
/// given, else the one given (brackets of an IPv6 address dropped).
fn addresses(port: &Port) -> Vec<String> {
    match port.host_ip.as_deref().map(str::trim) {
        None | Some("") => vec!["0.0.0.0".into(), "::".into()],
        Some(ip) => {
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            vec![if ip == "::0" {
                "::".into()
            } else {
                ip.to_string()
            }]
        }
    }
}

impl Rule for DuplicateHostPort {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let services = &cx.project.model.services;
        // (file, address, port, protocol) → the (service, port entry) that publish
        // it, in file order. Only entries of one file are compared: a second
        // compose file beside the base is as often an alternative stack (run
        // instead of the base's services) as an overlay, and laradock-style
        // kits include a hundred services that are never started together.
        let mut taken: HashMap<HostPort<'_>, Vec<(usize, usize)>> = HashMap::new();
        // Each address once, as an index into `ips`.
        let mut ips: Vec<String> = Vec::new();
        let mut ip_index: HashMap<String, usize> = HashMap::new();
        let mut expanded = 0usize;
        'services: for (si, svc) in services.iter().enumerate() {
            if !svc.runs_as_written() {
                continue;
            }
            // Each other service this one clashes with, in order: (its service,
            // [(this port entry, its port entry, host port, address)]).
            let mut clashes: Vec<(usize, Vec<Clash>)> = Vec::new();
            let mut clash_of: HashMap<usize, usize> = HashMap::new();
            for (pi, port) in svc.ports.iter().enumerate() {
                let Some(range) = port.published.as_ref() else {
                    continue;
                };
                if port.uncertain()
                    || range.end < range.start
                    || range.end - range.start >= MAX_RANGE
                {
                    continue;
                }
                let addrs = addresses(port);
                expanded += addrs.len() * (usize::from(range.end - range.start) + 1);
                if expanded > MAX_EXPANDED {
                    // Report what was found so far, compare no further.
                    emit(cx, svc, clashes, out);
                    break 'services;
                }
                let mut clash = None;
                for ip in addrs {
                    let ii = *ip_index.entry(ip.clone()).or_insert_with(|| {
                        ips.push(ip);
                        ips.len() - 1
                    });
                    for n in range.start..=range.end {
                        let key = (port.span.file, ii, n, port.protocol.as_str());
                        let earlier = taken.entry(key).or_default();
                        if clash.is_none() {
                            clash = earlier
                                .iter()
                                .find(|&&(sj, _)| sj != si && services[sj].runs_with(svc))
                                .map(|&(sj, pj)| (sj, pj, n, ii));
                        }
                        if earlier.len() < MAX_COMPARED {
                            earlier.push((si, pi));
                        }
                    }
                }
                if let Some((sj, pj, n, ii)) = clash {
                    let ip = ips[ii].clone();
                    match clash_of.get(&sj) {
                        Some(&k) => clashes[k].1.push((pi, pj, n, ip)),
                        None => {
                            clash_of.insert(sj, clashes.len());
                            clashes.push((sj, vec![(pi, pj, n, ip)]));
                        }
                    }
                }
            }
            emit(cx, svc, clashes, out);
        }
    }
}

/// One finding per other service `svc` clashes with, listing every shared port.
fn emit(cx: &Context<'_>, svc: &Service, clashes: Vec<(usize, Vec<Clash>)>, out: &mut Findings) {
    let services = &cx.project.model.services;
    for (sj, list) in clashes {
        let (name, other) = (&svc.name.value, &services[sj].name.value);
        let Some(&(pi, _, _, _)) = list.first() else {
            continue;
        };
        let Some(primary) = svc.ports.get(pi) else {
            continue;
        };
        let shown: Vec<String> = list
            .iter()
            .map(|(pi, _, n, ip)| {
                let proto = svc.ports.get(*pi).map_or("tcp", |p| p.protocol.as_str());
                let given = svc.ports.get(*pi).and_then(|p| p.host_ip.as_deref());
                match given.map(str::trim) {
                    None | Some("") => format!("{n}/{proto}"),
                    Some(_) => format!("{n}/{proto} on {ip}"),
                }
            })
            .collect();
        let (what, them) = match shown.as_slice() {
            [one] => (format!("host port {one}"), "it"),
            many => (format!("host ports {}", many.join(", ")), "them"),
        };
        let mut f = Finding::new(
            &META,
            primary.span,
            format!(
                "`{name}` publishes {what}, which `{other}` already publishes: the second to start fails with `port is already allocated`"
            ),
        )
        .label("host port taken");
        let mut shared_said = false;
        for (k, (pi, pj, _, _)) in list.iter().enumerate() {
            let (Some(mine), Some(theirs)) = (svc.ports.get(*pi), services[sj].ports.get(*pj))
            else {
                continue;
            };
            if mine.span == theirs.span {
                // One entry written once and given to both services: said once.
                if shared_said {
                    continue;
                }
                shared_said = true;
                f = f.related(
                    theirs.span,
                    format!("`{other}` publishes this entry too: `{name}` gets it through `extends` or a YAML anchor"),
                );
                continue;
            }
            if k > 0 {
                f = f.related(mine.span, "another host port taken");
            }
            f = f.related(theirs.span, format!("`{other}` publishes {them}"));
        }
        out.push(
            f.help("publish another host port (the container port can stay), or put the two services in different profiles if they never run together")
                .place(format!("services.{name}.ports")),
        );
    }
}
