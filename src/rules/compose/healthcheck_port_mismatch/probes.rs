//! The probes of a healthcheck's test: which host and port each client program
//! (curl, wget, nc, database clients, one-liners, `/dev/tcp`) connects to.

use crate::analysis::ports::server::{port_text, Found};
use crate::analysis::ports::{CommandSrc, RuntimeEnv};
use crate::parse::shell::{split_addr, Invocation, Text};
use crate::source::Span;

/// One connection a healthcheck makes.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Probe {
    /// `None` when the host cannot be read.
    pub(super) host: Option<String>,
    /// `None` when the port cannot be read (a variable, a placeholder).
    pub(super) port: Option<u16>,
    /// The port text, or the URL when the port is the scheme's default.
    pub(super) span: Span,
    /// Why the port is what it is when the probe does not write it (the URL's
    /// scheme, the client's default).
    pub(super) implied: Option<String>,
    /// The client's port option, when the probe relies on the client's default.
    pub(super) flag: Option<&'static str>,
}

impl Probe {
    /// A probe whose port is written in `w[a..b]` (a number, or a variable that may
    /// not be known): the port where it can be read, and its text as the place.
    fn written(host: Option<String>, w: &Text, a: usize, b: usize, env: &RuntimeEnv) -> Probe {
        let (port, span) = match port_text(w, a, b, env) {
            Found::Port(p, s) => (Some(p), s),
            Found::Unknown(_, s) => (None, s),
        };
        Probe {
            host,
            port,
            span,
            implied: None,
            flag: None,
        }
    }
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
pub(super) fn probes_of(inv: &Invocation, env: &RuntimeEnv) -> Vec<Probe> {
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
    let (scheme, _) = match crate::parse::find_str(s, "://") {
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
        Some((pa, pb)) => Some(Probe::written(host, w, pa, pb, env)),
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
    let host = (!hw.any_taint() && !hw.s.contains('$')).then(|| hw.s.to_string());
    vec![Probe::written(host, pw, 0, pw.s.len(), env)]
}

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

/// A probe given as `-h HOST` and `-p PORT` options; without `-h` the host is local.
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
    vec![Probe::written(host, pw, poff, pw.s.len(), env)]
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
pub(super) fn dev_tcp(cmd: &CommandSrc, env: &RuntimeEnv) -> Vec<Probe> {
    // Borrowed, not copied: a test can be a list of a million words.
    let texts: &[Text] = match cmd {
        CommandSrc::Shell(t) => std::slice::from_ref(t),
        CommandSrc::Exec(words) => words,
    };
    let mut out = Vec::new();
    for w in texts {
        let s = w.s.as_str();
        let mut from = 0;
        while let Some(i) = crate::parse::find_str(&s[from..], "/dev/tcp/").map(|k| from + k) {
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
            out.push(Probe::written(host, w, p0, p1, env));
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
    match (
        crate::parse::find_str(&lower, "http://"),
        crate::parse::find_str(&lower, "https://"),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
