//! SL101 `healthcheck-port-mismatch`: a healthcheck probes a port the service does not listen on.
//!
//! The probed port comes from the healthcheck's test: a URL given to curl, wget or
//! a Python / Node / PHP one-liner (80 or 443 when the URL has none), `nc host
//! port`, `pg_isready -p`, `redis-cli -p` / `-u`, `mysqladmin -P` over TCP,
//! `mongosh --port`, `grpc_health_probe -addr`. Only probes of the container
//! itself count (localhost, a loopback address, the service's own name). The
//! listening side is [`crate::analysis::ports::listening`]; the rule fires only when that
//! side is known and complete, and every local probe misses it.

use crate::analysis::ports::server::{port_text, Found};
use crate::analysis::ports::{self, CommandSrc, EvidenceKind, Listening, RuntimeEnv};
use crate::compose::stack::Project;
use crate::finding::Finding;
use crate::parse::shell::{split_addr, Invocation, Text};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct HealthcheckPortMismatch;

pub static META: RuleMeta = RuleMeta {
    code: "SL101",
    name: "healthcheck-port-mismatch",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "A healthcheck probes a port the service does not listen on",
};

impl Rule for HealthcheckPortMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let p = cx.project;
        for svc in &p.model.services {
            let name = &svc.name.value;
            let Some(hc) = &svc.healthcheck else { continue };
            if hc.disabled() {
                continue;
            }
            if shares_network(p, svc) {
                continue;
            }
            let Some(node) = ports::service_node(p, name) else {
                continue;
            };
            let Some(test) = node.get("healthcheck").and_then(|h| h.get("test")) else {
                continue;
            };
            let Some(cmd) = test_command(test, &p.sources) else {
                continue;
            };
            let env = RuntimeEnv::of(p, svc, Some(node));
            let own_names = own_names(svc);
            let mut probes: Vec<Probe> = cmd
                .invocations()
                .iter()
                .flat_map(|inv| probes_of(inv, &env))
                .collect();
            probes.extend(dev_tcp(&cmd, &env));
            // A probe whose host stacklint cannot read might be a local one.
            if probes.iter().any(|pr| pr.host.is_none()) {
                continue;
            }
            let local: Vec<&Probe> = probes
                .iter()
                .filter(|pr| pr.host.as_deref().is_some_and(|h| is_local(h, &own_names)))
                .collect();
            if local.is_empty() || local.iter().any(|pr| pr.port.is_none()) {
                continue;
            }
            if let Some(w) = ports::worker(p, svc) {
                if let Some(f) = worker_finding(p, svc, node, &w, &local, &env) {
                    out.push(f);
                }
                continue;
            }
            let l = cx.analysis.listening(svc);
            if !l.is_known() {
                continue;
            }
            if local
                .iter()
                .any(|pr| pr.port.is_some_and(|port| l.contains(port)))
            {
                continue;
            }
            let mut reported: Vec<u16> = Vec::new();
            for pr in local {
                let Some(port) = pr.port else { continue };
                if reported.contains(&port) {
                    continue;
                }
                reported.push(port);
                out.push(finding(svc, pr, port, &l));
            }
        }
    }
}

/// Shares a network namespace with another container, whose ports `localhost` reaches too.
fn shares_network(p: &Project, svc: &crate::compose::model::Service) -> bool {
    if let Some(m) = &svc.network_mode {
        let m = m.value.trim();
        if m == "host" || m.starts_with("service:") || m.starts_with("container:") {
            return true;
        }
    }
    let mine: Vec<String> = std::iter::once(format!("service:{}", svc.name.value))
        .chain(
            svc.container_name
                .iter()
                .map(|c| format!("container:{}", c.value)),
        )
        .collect();
    p.model.services.iter().any(|o| {
        o.network_mode
            .as_ref()
            .is_some_and(|m| mine.iter().any(|x| x == m.value.trim()))
    })
}

/// The healthcheck's test as a command: `CMD` exec form, or a shell string.
fn test_command(
    test: &crate::parse::yaml::Node,
    sources: &crate::source::Sources,
) -> Option<CommandSrc> {
    if let Some(items) = test.as_seq() {
        let first = items.first()?.as_str()?;
        let rest: Vec<Text> = items[1..]
            .iter()
            .filter(|i| i.as_str().is_some())
            .map(|i| Text::from_node(i, sources))
            .collect();
        return match first {
            "CMD" => Some(CommandSrc::Exec(rest)),
            "CMD-SHELL" => rest.into_iter().next().map(CommandSrc::Shell),
            _ => None,
        };
    }
    test.as_str()?;
    Some(CommandSrc::Shell(Text::from_node(test, sources)))
}

fn own_names(svc: &crate::compose::model::Service) -> Vec<String> {
    let mut v = vec![svc.name.value.to_ascii_lowercase()];
    v.extend(
        svc.container_name
            .iter()
            .map(|c| c.value.to_ascii_lowercase()),
    );
    v.extend(svc.hostname.iter().map(|c| c.value.to_ascii_lowercase()));
    v
}

/// A host that is the container itself.
fn is_local(host: &str, own: &[String]) -> bool {
    let h = host
        .trim_matches(|c| c == '[' || c == ']')
        .to_ascii_lowercase();
    if matches!(
        h.as_str(),
        "localhost" | "0.0.0.0" | "::1" | "::" | "ip6-localhost" | "localhost.localdomain"
    ) {
        return true;
    }
    if let Some(rest) = h.strip_prefix("127.") {
        let parts: Vec<&str> = rest.split('.').collect();
        return parts.len() == 3 && parts.iter().all(|p| p.parse::<u8>().is_ok());
    }
    own.contains(&h)
}

/// One connection a healthcheck makes.
#[derive(Clone, Debug, PartialEq)]
struct Probe {
    /// `None` when the host cannot be read.
    host: Option<String>,
    /// `None` when the port cannot be read (a variable, a placeholder).
    port: Option<u16>,
    /// The port text, or the URL when the port is the scheme's default.
    span: Span,
    /// Why the port is what it is when the probe does not write it (the URL's
    /// scheme, the client's default).
    implied: Option<String>,
    /// The client's port option, when the probe relies on the client's default.
    flag: Option<&'static str>,
}

/// Options of a command line: positional words, and each option with its value.
struct Opts {
    positional: Vec<usize>,
    /// (option as written without `=value`, value: word index and byte offset)
    opts: Vec<(String, Option<(usize, usize)>)>,
}

impl Opts {
    /// `short_arg`: letters whose option takes a value; `attached_only`: letters whose
    /// value, if any, is glued to them (`mysql -pSECRET`); `long_arg`: long options
    /// that take the next word when written without `=`.
    fn parse(args: &[Text], short_arg: &str, attached_only: &str, long_arg: &[&str]) -> Opts {
        let mut o = Opts {
            positional: Vec::new(),
            opts: Vec::new(),
        };
        let mut i = 0;
        while i < args.len() {
            let w = args[i].s.as_str();
            if w == "--" {
                o.positional.extend(i + 1..args.len());
                break;
            }
            if let Some(long) = w.strip_prefix("--") {
                match long.split_once('=') {
                    Some((name, _)) => o
                        .opts
                        .push((format!("--{name}"), Some((i, name.len() + 3)))),
                    None if long_arg.contains(&w) => {
                        o.opts
                            .push((w.to_string(), (i + 1 < args.len()).then_some((i + 1, 0))));
                        i += 1;
                    }
                    None => o.opts.push((w.to_string(), None)),
                }
            } else if w.len() > 1 && w.starts_with('-') {
                for (k, c) in w.char_indices().skip(1) {
                    if attached_only.contains(c) {
                        o.opts
                            .push((format!("-{c}"), (k + 1 < w.len()).then_some((i, k + 1))));
                        break;
                    }
                    if short_arg.contains(c) {
                        if k + c.len_utf8() < w.len() {
                            o.opts.push((format!("-{c}"), Some((i, k + c.len_utf8()))));
                        } else {
                            o.opts.push((
                                format!("-{c}"),
                                (i + 1 < args.len()).then_some((i + 1, 0)),
                            ));
                            i += 1;
                        }
                        break;
                    }
                    o.opts.push((format!("-{c}"), None));
                }
            } else {
                o.positional.push(i);
            }
            i += 1;
        }
        o
    }

    fn has(&self, names: &[&str]) -> bool {
        self.opts.iter().any(|(n, _)| names.contains(&n.as_str()))
    }

    /// The last value of an option (the one a program keeps).
    fn value(&self, names: &[&str]) -> Option<(usize, usize)> {
        self.opts
            .iter()
            .rev()
            .find(|(n, v)| names.contains(&n.as_str()) && v.is_some())
            .and_then(|(_, v)| *v)
    }
}

/// The probes one program of the test makes.
fn probes_of(inv: &Invocation, env: &RuntimeEnv) -> Vec<Probe> {
    let args = &inv.args;
    let prog = inv.prog.as_str();
    match prog {
        "curl" => curl(args, env),
        "wget" => wget(args, env),
        "busybox" if args.first().is_some_and(|w| w.s == "wget") => wget(&args[1..], env),
        "busybox" if args.first().is_some_and(|w| w.s == "nc") => nc(&args[1..], env),
        "nc" | "ncat" | "netcat" => nc(args, env),
        "pg_isready" => pg_isready(&inv.prog_word, args, env),
        "redis-cli" | "valkey-cli" | "keydb-cli" => redis_cli(&inv.prog_word, args, env),
        "mysqladmin" | "mariadb-admin" | "mysql" | "mariadb" => mysql(args, env),
        "mongosh" | "mongo" => mongosh(&inv.prog_word, args, env),
        "grpc_health_probe" | "grpc-health-probe" => grpc(args, env),
        "deno" if args.first().is_some_and(|w| w.s == "eval") => code_urls(args.get(1), env),
        p if is_interpreter(p) => {
            let flags: &[&str] = match p {
                "node" | "nodejs" | "bun" => &["-e", "--eval", "-p", "--print"],
                "php" => &["-r"],
                "ruby" | "perl" => &["-e", "-E"],
                _ => &["-c"],
            };
            let code = args
                .iter()
                .position(|w| flags.contains(&w.s.as_str()))
                .and_then(|k| args.get(k + 1));
            code_urls(code, env)
        }
        _ => Vec::new(),
    }
}

fn is_interpreter(p: &str) -> bool {
    matches!(
        p,
        "node" | "nodejs" | "bun" | "php" | "ruby" | "perl" | "python" | "pypy3"
    ) || p
        .strip_prefix("python")
        .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// A URL in bytes `[a, b)` of `w`. Without a scheme (`localhost:8000/health`, as
/// curl and wget take it) the scheme is `default_scheme`.
fn url_probe(
    w: &Text,
    a: usize,
    b: usize,
    default_scheme: Option<&str>,
    env: &RuntimeEnv,
) -> Option<Probe> {
    let s = w.s.get(a..b)?;
    let (scheme, _) = match s.find("://") {
        Some(i) => (s[..i].to_ascii_lowercase(), i),
        None => (default_scheme?.to_string(), 0),
    };
    let implied_port = match scheme.as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    };
    probe_at(w, a, b, implied_port, env)
}

/// A probe of the address in bytes `[a, b)` of `w`; `implied_port` when it names none.
fn probe_at(
    w: &Text,
    a: usize,
    b: usize,
    implied_port: Option<u16>,
    env: &RuntimeEnv,
) -> Option<Probe> {
    let ((ha, hb), port) = split_addr(w, a, b)?;
    let host_s = &w.s[ha..hb];
    // A host stacklint cannot read: from a variable or a command substitution.
    // An empty host is left by an unset variable (`http://${HOST}:8000`); `-addr=:50051`
    // is handled by its caller.
    let host = (!w.tainted(ha, hb) && !host_s.is_empty() && !host_s.contains(['$', '`', '{', '%']))
        .then(|| host_s.to_string());
    // The URL (without its path) when its port is implied.
    let url_end = port.map(|(_, pb)| pb).unwrap_or(hb);
    match port {
        Some((pa, pb)) => {
            let (port, span) = match port_text(w, pa, pb, env) {
                Found::Port(p, s) => (Some(p), s),
                Found::Unknown(_, s) => (None, s),
            };
            Some(Probe {
                host,
                port,
                span,
                implied: None,
                flag: None,
            })
        }
        None => Some(Probe {
            host,
            port: implied_port,
            span: w.span(a, url_end),
            implied: Some("the URL's default".into()),
            flag: None,
        }),
    }
    .filter(|pr| pr.port.is_some() || pr.implied.is_none())
}

const CURL_SHORT_ARG: &str = "AbcCdDeEFHKmoPQrtTuUwxXyYz";
const CURL_LONG_ARG: &[&str] = &[
    "--url",
    "--output",
    "--header",
    "--user",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-urlencode",
    "--data-ascii",
    "--json",
    "--request",
    "--max-time",
    "--connect-timeout",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "--user-agent",
    "--referer",
    "--cookie",
    "--cookie-jar",
    "--cacert",
    "--capath",
    "--cert",
    "--key",
    "--cert-type",
    "--key-type",
    "--form",
    "--form-string",
    "--write-out",
    "--proxy",
    "--proxy-user",
    "--resolve",
    "--connect-to",
    "--unix-socket",
    "--abstract-unix-socket",
    "--interface",
    "--local-port",
    "--limit-rate",
    "--range",
    "--upload-file",
    "--config",
    "--dns-servers",
    "--expect100-timeout",
    "--keepalive-time",
    "--max-filesize",
    "--max-redirs",
    "--noproxy",
    "--oauth2-bearer",
    "--pass",
    "--pinnedpubkey",
    "--proto",
    "--proto-redir",
    "--speed-limit",
    "--speed-time",
    "--stderr",
    "--trace",
    "--trace-ascii",
    "--tls-max",
    "--ciphers",
    "--dump-header",
    "--variable",
    "--proxy-header",
    "--socks4",
    "--socks4a",
    "--socks5",
    "--socks5-hostname",
    "--preproxy",
    "--output-dir",
    "--aws-sigv4",
    "--doh-url",
    "--url-query",
    "--time-cond",
    "--happy-eyeballs-timeout-ms",
    "--mail-from",
    "--mail-rcpt",
    "--netrc-file",
    "--request-target",
    "--hsts",
    "--alt-svc",
    "--etag-save",
    "--etag-compare",
    "--parallel-max",
    "--retry-all-errors-max",
];

fn curl(args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(args, CURL_SHORT_ARG, "", CURL_LONG_ARG);
    // The connection goes elsewhere than the URL says, or the URLs are in a file.
    if o.has(&[
        "--unix-socket",
        "--abstract-unix-socket",
        "--connect-to",
        "--resolve",
        "-x",
        "--proxy",
        "--preproxy",
        "--socks4",
        "--socks4a",
        "--socks5",
        "--socks5-hostname",
        "-K",
        "--config",
    ]) {
        return Vec::new();
    }
    let mut urls: Vec<(usize, usize)> = o.positional.iter().map(|&i| (i, 0)).collect();
    urls.extend(
        o.opts
            .iter()
            .filter(|(n, _)| n == "--url")
            .filter_map(|(_, v)| *v),
    );
    urls.iter()
        .filter_map(|&(i, off)| url_probe(&args[i], off, args[i].s.len(), Some("http"), env))
        .collect()
}

fn wget(args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(
        args,
        "oaeiBtOTwQPUlARDIXY",
        "",
        &[
            "--output-document",
            "--output-file",
            "--append-output",
            "--execute",
            "--tries",
            "--timeout",
            "--wait",
            "--quota",
            "--directory-prefix",
            "--user-agent",
            "--input-file",
            "--base",
            "--level",
            "--accept",
            "--reject",
            "--domains",
            "--header",
            "--user",
            "--password",
            "--http-user",
            "--http-password",
            "--post-data",
            "--post-file",
            "--body-data",
            "--method",
            "--bind-address",
            "--dns-timeout",
            "--connect-timeout",
            "--read-timeout",
            "--ca-certificate",
            "--certificate",
            "--private-key",
            "--referer",
            "--load-cookies",
            "--save-cookies",
            "--limit-rate",
            "--proxy-user",
            "--proxy-password",
        ],
    );
    if o.has(&["-i", "--input-file", "-e", "--execute"]) {
        return Vec::new();
    }
    o.positional
        .iter()
        .filter_map(|&i| url_probe(&args[i], 0, args[i].s.len(), Some("http"), env))
        .collect()
}

fn nc(args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(args, "wipsqxXWTIOVGgMmPec", "", &[]);
    // Listening, UDP, a unix socket or a proxy: not a TCP probe of the port.
    if o.has(&[
        "-l",
        "-u",
        "-U",
        "-x",
        "-X",
        "--listen",
        "--udp",
        "--unixsock",
        "--proxy",
    ]) {
        return Vec::new();
    }
    let [h, port, ..] = o.positional[..] else {
        return Vec::new();
    };
    let (hw, pw) = (&args[h], &args[port]);
    // `nc host 80-90` scans a range: not one port.
    if pw.s.contains(['-', ',']) {
        return Vec::new();
    }
    let host = (!hw.any_taint() && !hw.s.contains('$')).then(|| hw.s.clone());
    let (port, span) = match port_text(pw, 0, pw.s.len(), env) {
        Found::Port(p, s) => (Some(p), s),
        Found::Unknown(_, s) => (None, s),
    };
    vec![Probe {
        host,
        port,
        span,
        implied: None,
        flag: None,
    }]
}

/// A probe given as `-h HOST` and `-p PORT` options; without `-h` the host is local.
/// The port a client uses when none is given: (port, when known; the program
/// word; why, for the label).
type ClientDefault = (Option<u16>, Span, String, &'static str);

/// The port a client dials when its port flag is absent: its documented default,
/// pointed at the client's name.
fn client_default(prog: &Text, port: u16, flag: &'static str) -> ClientDefault {
    let name = shell_basename(&prog.s);
    (
        Some(port),
        prog.full_span(),
        format!("the default of `{name}`"),
        flag,
    )
}

fn host_and_port(
    args: &[Text],
    o: &Opts,
    host: &[&str],
    port: &[&str],
    env: &RuntimeEnv,
    default: Option<ClientDefault>,
) -> Vec<Probe> {
    let host = match o.value(host) {
        Some((hi, hoff)) => {
            let hw = &args[hi];
            let h = &hw.s[hoff..];
            (!hw.tainted(hoff, hw.s.len()) && !h.is_empty() && !h.contains('$'))
                .then(|| h.to_string())
        }
        None => Some("localhost".to_string()),
    };
    let Some((pi, poff)) = o.value(port) else {
        return match default {
            Some((port, span, why, flag)) => vec![Probe {
                host,
                port,
                span,
                implied: Some(why),
                flag: Some(flag),
            }],
            None => Vec::new(),
        };
    };
    let pw = &args[pi];
    let (port, span) = match port_text(pw, poff, pw.s.len(), env) {
        Found::Port(p, s) => (Some(p), s),
        Found::Unknown(_, s) => (None, s),
    };
    vec![Probe {
        host,
        port,
        span,
        implied: None,
        flag: None,
    }]
}

fn pg_isready(prog: &Text, args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(
        args,
        "hpdUt",
        "",
        &["--host", "--port", "--dbname", "--username", "--timeout"],
    );
    // A connection string in `-d` may name its own host and port.
    if let Some((i, off)) = o.value(&["-d", "--dbname"]) {
        let d = &args[i].s[off..];
        if d.contains('=') || d.contains("://") {
            return Vec::new();
        }
    }
    // Without `-p`: `PGPORT` from the container's environment, else 5432.
    let default = match env.get("PGPORT") {
        Some((v, _)) => (v.and_then(|v| v.trim().parse().ok()), "`PGPORT`"),
        None => (Some(5432), "the default of `pg_isready`"),
    };
    let mut probes = host_and_port(
        args,
        &o,
        &["-h", "--host"],
        &["-p", "--port"],
        env,
        Some((default.0, prog.full_span(), default.1.to_string(), "-p")),
    );
    let pghost = env.get("PGHOST");
    for pr in &mut probes {
        if o.value(&["-h", "--host"]).is_none() {
            if let Some((h, _)) = pghost {
                pr.host = h.map(str::to_string);
            }
        }
        // A socket directory is the local server.
        if pr.host.as_deref().is_some_and(|h| h.starts_with('/')) {
            pr.host = Some("localhost".into());
        }
    }
    probes
}

fn redis_cli(prog: &Text, args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(
        args,
        "hpsaunri",
        "",
        &[
            "--user",
            "--pass",
            "--cacert",
            "--cacertdir",
            "--cert",
            "--key",
            "--sni",
            "--tls-ciphers",
            "--tls-ciphersuites",
        ],
    );
    if o.has(&["-s"]) {
        return Vec::new();
    }
    if let Some((i, off)) = o.value(&["-u"]) {
        let w = &args[i];
        return url_probe(w, off, w.s.len(), None, env)
            .or_else(|| probe_at(w, off, w.s.len(), None, env))
            .filter(|pr| pr.implied.is_none())
            .into_iter()
            .collect();
    }
    // Without `-p` the client dials 6379, whatever the server's port.
    let default = client_default(prog, 6379, "-p");
    host_and_port(args, &o, &["-h"], &["-p"], env, Some(default))
}

fn mysql(args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(
        args,
        "hPuSDe",
        "p",
        &[
            "--host",
            "--port",
            "--user",
            "--socket",
            "--protocol",
            "--database",
            "--execute",
            "--defaults-file",
        ],
    );
    if o.has(&["-S", "--socket", "--defaults-file", "--defaults-extra-file"]) {
        return Vec::new();
    }
    let tcp = o
        .value(&["--protocol"])
        .is_some_and(|(i, off)| args[i].s[off..].eq_ignore_ascii_case("tcp"));
    let probes = host_and_port(args, &o, &["-h", "--host"], &["-P", "--port"], env, None);
    // `localhost` (and no host) means the unix socket, where the port is ignored.
    probes
        .into_iter()
        .filter(|pr| {
            tcp || pr
                .host
                .as_deref()
                .is_none_or(|h| !h.eq_ignore_ascii_case("localhost"))
        })
        .collect()
}

fn mongosh(prog: &Text, args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(
        args,
        "upf",
        "",
        &[
            "--host",
            "--port",
            "--eval",
            "--username",
            "--password",
            "--authenticationDatabase",
            "--file",
            "--tlsCAFile",
            "--tlsCertificateKeyFile",
        ],
    );
    let host_has_port = o
        .value(&["--host"])
        .is_some_and(|(i, off)| args[i].s[off..].contains([':', '/', ',']));
    // `mongosh localhost:27017/test` or `mongodb://localhost:27017`.
    if let Some(&i) = o.positional.first() {
        let w = &args[i];
        if w.s.contains(',') || o.value(&["--port"]).is_some() || host_has_port {
            return Vec::new();
        }
        // `mongosh test` names a database on the default host and port.
        if w.s.contains(':') || w.s.contains("://") {
            return probe_at(w, 0, w.s.len(), None, env)
                .filter(|pr| pr.implied.is_none())
                .into_iter()
                .collect();
        }
    }
    if host_has_port {
        return Vec::new();
    }
    let default = client_default(prog, 27017, "--port");
    host_and_port(args, &o, &["--host"], &["--port"], env, Some(default))
}

fn grpc(args: &[Text], env: &RuntimeEnv) -> Vec<Probe> {
    let o = Opts::parse(args, "", "", &[]);
    let _ = o;
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let (wi, off) = if w.s == "-addr" || w.s == "--addr" {
            (k + 1, 0)
        } else if let Some(rest) =
            w.s.strip_prefix("-addr=")
                .or_else(|| w.s.strip_prefix("--addr="))
        {
            (k, w.s.len() - rest.len())
        } else {
            k += 1;
            continue;
        };
        let Some(aw) = args.get(wi) else { break };
        let mut probes: Vec<Probe> = probe_at(aw, off, aw.s.len(), None, env)
            .into_iter()
            .collect();
        for pr in &mut probes {
            // `-addr=:50051` dials the local host.
            if aw.s[off..].starts_with(':') && !aw.tainted(off, aw.s.len()) {
                pr.host = Some("localhost".into());
            }
        }
        return probes
            .into_iter()
            .filter(|pr| pr.implied.is_none())
            .collect();
    }
    Vec::new()
}

/// URLs with a scheme inside one-liner code (`urllib.request.urlopen('http://...')`).
fn code_urls(code: Option<&Text>, env: &RuntimeEnv) -> Vec<Probe> {
    let Some(w) = code else { return Vec::new() };
    let mut out = Vec::new();
    let s = w.s.as_str();
    let mut from = 0;
    while let Some(i) = find_scheme(&s[from..]).map(|i| from + i) {
        let end = s[i..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '\'' | '"' | '`' | ')' | ',' | ';' | '+')
            })
            .map(|k| i + k)
            .unwrap_or(s.len());
        // `'http://localhost:' + port`: the URL goes on in code stacklint does not run.
        let cut_short = s[end..]
            .trim_start_matches(['\'', '"', '`', ' '])
            .starts_with('+');
        if let Some(mut pr) = url_probe(w, i, end, None, env) {
            if cut_short && (pr.implied.is_some() || s[i..end].ends_with(':')) {
                pr.port = None;
            }
            out.push(pr);
        }
        from = end.max(i + 1);
    }
    out
}

/// Bash's `exec 3<>/dev/tcp/HOST/PORT` (and `</dev/tcp/...`): a TCP connection.
fn dev_tcp(cmd: &CommandSrc, env: &RuntimeEnv) -> Vec<Probe> {
    let texts: Vec<Text> = match cmd {
        CommandSrc::Shell(t) => vec![t.clone()],
        CommandSrc::Exec(words) => words.clone(),
    };
    let mut out = Vec::new();
    for w in &texts {
        let s = w.s.as_str();
        let mut from = 0;
        while let Some(i) = s[from..].find("/dev/tcp/").map(|k| from + k) {
            let h0 = i + "/dev/tcp/".len();
            let Some(h1) = s[h0..].find('/').map(|k| h0 + k) else {
                break;
            };
            let p0 = h1 + 1;
            let p1 = s[p0..]
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '{' | '}' | ':' | '-'))
                })
                .map(|k| p0 + k)
                .unwrap_or(s.len());
            let host_s = &s[h0..h1];
            let host = (!w.tainted(h0, h1) && !host_s.is_empty() && !host_s.contains(['$', '`']))
                .then(|| host_s.to_string());
            let (port, span) = match port_text(w, p0, p1, env) {
                Found::Port(p, sp) => (Some(p), sp),
                Found::Unknown(_, sp) => (None, sp),
            };
            out.push(Probe {
                host,
                port,
                span,
                implied: None,
                flag: None,
            });
            from = p1.max(i + 1);
        }
    }
    out
}

fn shell_basename(s: &str) -> String {
    crate::parse::shell::basename(s)
}

fn find_scheme(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    match (lower.find("http://"), lower.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
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
    node: &crate::parse::yaml::Node,
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
    let inherited = p.sources.get(pr.span.file).path != p.sources.get(node.span.file).path
        || pr.span.start < node.span.start
        || pr.span.end > node.span.end;
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
    Some(
        Finding::new(
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
        .place(format!("services.{name}.healthcheck.test")),
    )
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
mod tests {
    use super::*;
    use crate::source::FileId;

    fn t(s: &str) -> Text {
        Text::exact(s, Span::new(FileId(0), 0, s.len()), 0)
    }

    /// (host, port, text of the span) of each probe of a shell test.
    fn probes(test: &str) -> Vec<(Option<String>, Option<u16>, String)> {
        let env = RuntimeEnv::default();
        CommandSrc::Shell(t(test))
            .invocations()
            .iter()
            .flat_map(|i| probes_of(i, &env))
            .map(|pr| {
                (
                    pr.host,
                    pr.port,
                    test[pr.span.start..pr.span.end].to_string(),
                )
            })
            .collect()
    }

    fn one(test: &str) -> (Option<String>, Option<u16>, String) {
        let v = probes(test);
        assert_eq!(v.len(), 1, "{test}: {v:?}");
        v.into_iter().next().unwrap_or((None, None, String::new()))
    }

    fn lh(port: u16, text: &str) -> (Option<String>, Option<u16>, String) {
        (Some("localhost".into()), Some(port), text.into())
    }

    #[test]
    fn urls_of_curl_and_wget() {
        assert_eq!(
            one("curl -f http://localhost:8000/health"),
            lh(8000, "8000")
        );
        assert_eq!(
            one("curl -fsS -o /dev/null -w '%{http_code}' localhost:3000/api || exit 1"),
            lh(3000, "3000")
        );
        assert_eq!(
            one("curl -f https://localhost/health"),
            lh(443, "https://localhost")
        );
        assert_eq!(
            one("curl --silent --fail localhost/health"),
            lh(80, "localhost")
        );
        assert_eq!(
            one("curl -H 'Host: example.com' -u admin:1234 http://127.0.0.1:9000/"),
            (Some("127.0.0.1".into()), Some(9000), "9000".into())
        );
        assert!(probes("curl --unix-socket /var/run/app.sock http://localhost/health").is_empty());
        assert!(probes("curl -x http://proxy:3128 http://localhost:8000/").is_empty());
        assert_eq!(
            one("wget -qO- http://127.0.0.1:80/ >/dev/null 2>&1 || exit 1").1,
            Some(80)
        );
        assert_eq!(
            one("wget --no-verbose --tries=1 --spider http://localhost:8123/ping").1,
            Some(8123)
        );
        assert_eq!(one("wget -nv -t1 --spider localhost:3001").1, Some(3001));
        assert_eq!(one("busybox wget -q -O - http://[::1]:8080/").2, "8080");
        // A port from a runtime variable the container does not set: unknown.
        assert_eq!(one("curl -f http://localhost:$PORT/health").1, None);
        // Another host.
        assert_eq!(one("curl -f http://api:8000/").0.as_deref(), Some("api"));
    }

    #[test]
    fn one_liners() {
        assert_eq!(
            one("python -c \"import urllib.request; urllib.request.urlopen('http://localhost:8000/health')\"").1,
            Some(8000)
        );
        assert_eq!(
            one("node -e \"require('http').get('http://127.0.0.1:3000/health', r => process.exit(r.statusCode == 200 ? 0 : 1))\"").1,
            Some(3000)
        );
        assert_eq!(
            one("python3 -c \"import requests; requests.get('http://localhost:' + port)\"").1,
            None
        );
        assert_eq!(
            one("php -r \"exit(file_get_contents('http://localhost:9000/ping') ? 0 : 1);\"").1,
            Some(9000)
        );
        assert!(probes("python /app/healthcheck.py").is_empty());
    }

    #[test]
    fn database_clients() {
        assert_eq!(one("redis-cli -p 6380 ping"), lh(6380, "6380"));
        assert_eq!(
            one("redis-cli -h 127.0.0.1 -a secret -p 6381 ping").1,
            Some(6381)
        );
        assert_eq!(
            one("redis-cli -u redis://:pw@localhost:6382 ping").2,
            "6382"
        );
        // Without a port the client dials its default.
        assert_eq!(one("redis-cli ping"), lh(6379, "redis-cli"));
        assert_eq!(one("pg_isready -U app"), lh(5432, "pg_isready"));
        assert!(probes("redis-cli -s /run/redis.sock ping").is_empty());
        assert_eq!(one("pg_isready -U app -p 5433").1, Some(5433));
        assert_eq!(
            one("pg_isready --host=/var/run/postgresql --port=5434")
                .0
                .as_deref(),
            Some("localhost")
        );
        assert!(probes("pg_isready -d postgresql://u@db:5432/x -p 5432").is_empty());
        assert_eq!(
            one("mysqladmin ping -h 127.0.0.1 -P 3307 -psecret").1,
            Some(3307)
        );
        assert_eq!(one("mysqladmin ping -h127.0.0.1 -P3308").1, Some(3308));
        // `localhost` is the unix socket: the port does not matter.
        assert!(probes("mysqladmin ping -h localhost -P 3307").is_empty());
        assert!(probes("mysqladmin ping -P 3307").is_empty());
        assert_eq!(one("mysqladmin ping --protocol=tcp -P 3309").1, Some(3309));
        assert_eq!(
            one("echo 'db.stats().ok' | mongosh localhost:27018/test --quiet").1,
            Some(27018)
        );
        assert_eq!(
            one("mongosh --port 27019 --eval \"db.adminCommand('ping')\"").1,
            Some(27019)
        );
        assert_eq!(
            one("mongosh --quiet --eval \"db.adminCommand('ping')\""),
            lh(27017, "mongosh")
        );
        assert!(probes("mongosh --host db:27018 --eval 1").is_empty());
        assert_eq!(one("nc -z localhost 81"), lh(81, "81"));
        assert_eq!(one("nc -zv -w 2 127.0.0.1 5432").1, Some(5432));
        assert!(probes("nc -z localhost 80-90").is_empty());
        assert!(probes("nc -l 80").is_empty());
        assert_eq!(one("grpc_health_probe -addr=:50051").1, Some(50051));
    }

    #[test]
    fn exec_form_and_nested_shells() {
        let env = RuntimeEnv::default();
        let words = vec![
            t("sh"),
            t("-c"),
            t("curl -f http://localhost:5000/ || exit 1"),
        ];
        let pr: Vec<Probe> = CommandSrc::Exec(words)
            .invocations()
            .iter()
            .flat_map(|i| probes_of(i, &env))
            .collect();
        assert_eq!(pr.len(), 1);
        assert_eq!(pr[0].port, Some(5000));
    }

    #[test]
    fn bash_dev_tcp() {
        let env = RuntimeEnv::default();
        let src = "exec 3<>/dev/tcp/localhost/9000 && echo -e 'GET / HTTP/1.1' >&3";
        let pr = dev_tcp(&CommandSrc::Shell(t(src)), &env);
        assert_eq!(pr.len(), 1);
        assert_eq!(
            (pr[0].host.as_deref(), pr[0].port),
            (Some("localhost"), Some(9000))
        );
        assert_eq!(&src[pr[0].span.start..pr[0].span.end], "9000");
        let pr = dev_tcp(
            &CommandSrc::Shell(t("bash -c '</dev/tcp/127.0.0.1/$PORT'")),
            &env,
        );
        assert_eq!(pr[0].port, None);
    }

    #[test]
    fn local_hosts() {
        let own = vec!["app".to_string()];
        for h in [
            "localhost",
            "127.0.0.1",
            "127.0.1.1",
            "0.0.0.0",
            "::1",
            "[::1]",
            "app",
            "LOCALHOST",
        ] {
            assert!(is_local(h, &own), "{h}");
        }
        for h in [
            "api",
            "db",
            "127.0.0",
            "example.com",
            "host.docker.internal",
            "",
        ] {
            assert!(!is_local(h, &own), "{h}");
        }
    }

    #[test]
    fn lists() {
        assert_eq!(runs(&[8000, 8001, 8002, 9000]), ["8000-8002", "9000"]);
        assert_eq!(
            join_and(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }
}
