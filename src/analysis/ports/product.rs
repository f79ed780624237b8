//! Well-known images: the ports a product listens on by default, moved by its
//! port variables and flags, from `knowledge` (`[[ports]]` in images.toml).

use super::*;
use crate::knowledge::{ArgsOnly, PortProduct as Product, VarForm};

/// `docker.io/library/redis:7-alpine@sha256:..` → `redis`; `quay.io/minio/minio` →
/// `minio/minio`. `None` when the name is not a plain, fully known reference.
pub fn image_path(image: &str) -> Option<String> {
    crate::image::ImageRef::parse(image).map(|i| i.path.into())
}

/// The well-known product an image is, if it is clearly one.
pub fn product_for_image(image: &str) -> Option<&'static Product> {
    let path = image_path(image)?;
    crate::knowledge::port_product(&path)
}

/// The port behaviour of what the service runs ([`crate::compose::base::base_image`]):
/// its image, or the base image of the Dockerfile it builds.
pub(super) fn product_of(
    p: &Project,
    svc: &Service,
    node: Option<NodeRef<'_>>,
) -> Option<(&'static Product, Span)> {
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
pub(super) fn covers(target: &str, path: &str) -> bool {
    let t = target.trim_end_matches('/');
    if t.is_empty() {
        return true;
    }
    t == path || path.starts_with(&format!("{t}/")) || t.starts_with(&format!("{path}/"))
}

/// Where the service puts files into its container: mounts, compose `configs`,
/// and the Dockerfile's COPY / ADD (container path, span, host path if readable).
pub(super) fn placements(
    p: &Project,
    svc: &Service,
    node: Option<NodeRef<'_>>,
    df: Option<&Dockerfile>,
) -> Vec<(String, Span, bool)> {
    let mut out = Vec::new();
    for m in &svc.volumes {
        let readable =
            m.kind == MountKind::Bind && m.host_path.as_ref().is_some_and(|h| h.exists());
        out.push((m.target.value.to_string(), m.span, readable));
    }
    let configs = node
        .and_then(|n| n.get("configs"))
        .and_then(NodeRef::as_seq)
        .unwrap_or_default();
    for c in configs {
        if let Some(t) = c.get("target").and_then(NodeRef::as_str) {
            out.push((t.to_string(), c.span(), false));
        } else if let Some(name) = c
            .as_str()
            .or_else(|| c.get("source").and_then(NodeRef::as_str))
        {
            // A config without a target lands at `/<name>`.
            out.push((format!("/{name}"), c.span(), false));
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
pub(super) fn run_mentions(df: Option<&Dockerfile>, paths: &[impl AsRef<str>]) -> Option<Span> {
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

pub(super) fn var_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((a, b)) => name.len() > a.len() + b.len() && name.starts_with(a) && name.ends_with(b),
        None => pattern == name,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn product_ports(
    p: &Project,
    svc: &Service,
    node: Option<NodeRef<'_>>,
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
            // In order: `names()` gives them by name.
            for name in env.names().filter(|k| var_matches(pattern, k)) {
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
pub(super) fn read_product_cmd(
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
            prog: name.into(),
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
