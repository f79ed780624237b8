//! The port flags of common servers.

use super::{parse_port_number, runtime_var_name, RuntimeEnv};
use crate::parse::shell::{split_addr, Invocation, Text};
use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    Port(u16, Span),
    Unknown(String, Span),
}

/// What a server's command line says about its ports.
#[derive(Clone, Debug)]
pub struct Info {
    /// The canonical program name (`redis-server` for `valkey-server` too).
    pub program: &'static str,
    pub found: Vec<Found>,
    /// The config file it is told to read, when it is.
    pub config: Option<Span>,
    /// Whether a flag set the server's main port (`--port`, `-b`).
    pub main_port: bool,
    /// The main port set to 0 (TCP off).
    pub port_zero: bool,
    /// Flags seen that matter to products (`--console-address`).
    pub flags_seen: Vec<&'static str>,
    /// The program word.
    pub span: Span,
}

/// A reader over a program's arguments.
struct Args<'a> {
    args: &'a [Text],
    env: &'a RuntimeEnv,
}

/// Where an option's value is: word index and byte offset in that word.
type ValueAt = (usize, usize);

impl<'a> Args<'a> {
    /// The values of an option in any of its spellings: `-p 80`, `-p80` (single
    /// letter), `--port 80`, `--port=80`, `-addr=:80`.
    fn values(&self, names: &[&str]) -> Vec<ValueAt> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.args.len() {
            let w = &self.args[i].s;
            if w == "--" {
                break;
            }
            let mut matched = false;
            for n in names {
                if w == n {
                    if i + 1 < self.args.len() {
                        out.push((i + 1, 0));
                    }
                    i += 1;
                    matched = true;
                    break;
                }
                if w.len() > n.len() && w.starts_with(n) && w.as_bytes()[n.len()] == b'=' {
                    out.push((i, n.len() + 1));
                    matched = true;
                    break;
                }
                let short = n.len() == 2 && n.starts_with('-') && !n.starts_with("--");
                if short && w.len() > 2 && w.starts_with(n) && !w.starts_with("--") {
                    out.push((i, 2));
                    matched = true;
                    break;
                }
            }
            let _ = matched;
            i += 1;
        }
        out
    }

    fn has(&self, names: &[&str]) -> Option<Span> {
        self.args
            .iter()
            .find(|w| {
                names.iter().any(|n| {
                    w.s == *n || (w.s.starts_with(n) && w.s.as_bytes().get(n.len()) == Some(&b'='))
                })
            })
            .map(Text::full_span)
    }

    fn word(&self, at: ValueAt) -> (&'a Text, usize) {
        (&self.args[at.0], at.1)
    }

    /// A port value at `at`.
    fn port(&self, at: ValueAt) -> Found {
        let (w, off) = self.word(at);
        port_text(w, off, w.s.len(), self.env)
    }

    /// An address value at `at` (`HOST:PORT`, `tcp://...`); `None` when it has no port.
    fn addr(&self, at: ValueAt) -> Option<Found> {
        let (w, off) = self.word(at);
        addr_text(w, off, w.s.len(), self.env)
    }

    /// Positional words (not options, not option values for `with_arg`).
    fn positionals(&self, with_arg: &[&str]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.args.len() {
            let w = &self.args[i].s;
            if w.starts_with('-') && w.len() > 1 {
                i += if with_arg.contains(&w.as_str()) { 2 } else { 1 };
                continue;
            }
            out.push(i);
            i += 1;
        }
        out
    }
}

/// The port written in bytes `[a, b)` of `w`.
pub fn port_text(w: &Text, a: usize, b: usize, env: &RuntimeEnv) -> Found {
    let span = w.span(a, b);
    let s = w.s.get(a..b).unwrap_or("");
    if w.tainted(a, b) {
        return Found::Unknown("a port from an unset variable".into(), span);
    }
    if let Some(p) = parse_port_number(s) {
        return Found::Port(p, span);
    }
    if runtime_var_name(s).is_some() {
        return match env.resolve(s) {
            Some(p) => Found::Port(p, span),
            None => Found::Unknown("a port from a variable stacklint cannot read".into(), span),
        };
    }
    Found::Unknown("a port stacklint cannot read".into(), span)
}

/// The port of an address in bytes `[a, b)` of `w`; `None` when it names none.
pub fn addr_text(w: &Text, a: usize, b: usize, env: &RuntimeEnv) -> Option<Found> {
    if w.tainted(a, b) {
        return Some(Found::Unknown(
            "an address from an unset variable".into(),
            w.span(a, b),
        ));
    }
    match split_addr(w, a, b) {
        None => Some(Found::Unknown("a unix socket".into(), w.span(a, b))),
        Some((_, Some((pa, pb)))) => Some(port_text(w, pa, pb, env)),
        Some((_, None)) => None,
    }
}

fn info(program: &'static str, inv: &Invocation) -> Info {
    Info {
        program,
        found: Vec::new(),
        config: None,
        main_port: false,
        port_zero: false,
        flags_seen: Vec::new(),
        span: inv.prog_word.full_span(),
    }
}

impl Info {
    fn push(&mut self, f: Found, main: bool) {
        if let Found::Port(0, _) = f {
            self.port_zero |= main;
            return;
        }
        if main {
            self.main_port = true;
        }
        self.found.push(f);
    }
}

/// Reads the ports of a known server; `None` when the program is not one.
pub fn parse(inv: &Invocation, env: &RuntimeEnv) -> Option<Info> {
    let a = Args {
        args: &inv.args,
        env,
    };
    let first = inv.args.first().map(|w| w.s.as_str());
    let prog = inv.prog.as_str();
    // (canonical name, port options, address options, config options)
    let ports = |i: &mut Info, names: &[&str]| {
        for at in a.values(names) {
            i.push(a.port(at), true);
        }
    };
    let addrs = |i: &mut Info, names: &[&str]| {
        for at in a.values(names) {
            match a.addr(at) {
                Some(f) => i.push(f, true),
                None => {
                    let (w, _) = a.word(at);
                    i.push(
                        Found::Unknown("an address without a port".into(), w.full_span()),
                        true,
                    );
                }
            }
        }
    };
    let config = |i: &mut Info, names: &[&str]| {
        if let Some(s) = a.has(names) {
            i.config = Some(s);
        }
    };
    let unknown_if = |i: &mut Info, names: &[&str], why: &str| {
        if let Some(s) = a.has(names) {
            i.push(Found::Unknown(why.into(), s), true);
        }
    };
    let mut i;
    match prog {
        "gunicorn" | "gunicorn3" => {
            i = info("gunicorn", inv);
            addrs(&mut i, &["-b", "--bind"]);
            config(&mut i, &["-c", "--config"]);
        }
        "uvicorn" => {
            i = info("uvicorn", inv);
            ports(&mut i, &["--port"]);
            unknown_if(&mut i, &["--uds", "--fd"], "a unix socket");
        }
        "hypercorn" => {
            i = info("hypercorn", inv);
            addrs(&mut i, &["-b", "--bind", "--insecure-bind"]);
            config(&mut i, &["-c", "--config"]);
        }
        "daphne" => {
            i = info("daphne", inv);
            ports(&mut i, &["-p", "--port"]);
            for at in a.values(&["-e", "--endpoint"]) {
                let (w, off) = a.word(at);
                match w.s[off..].find("port=") {
                    Some(k) => {
                        let s = off + k + 5;
                        let e = w.s[s..].find(':').map(|x| s + x).unwrap_or(w.s.len());
                        i.push(port_text(w, s, e, env), true);
                    }
                    None => i.push(
                        Found::Unknown("an endpoint stacklint cannot read".into(), w.full_span()),
                        true,
                    ),
                }
            }
            unknown_if(&mut i, &["-u", "--unix-socket", "--fd"], "a unix socket");
        }
        "granian" => {
            i = info("granian", inv);
            ports(&mut i, &["--port"]);
            unknown_if(&mut i, &["--uds"], "a unix socket");
        }
        "waitress-serve" => {
            i = info("waitress-serve", inv);
            ports(&mut i, &["--port"]);
            addrs(&mut i, &["--listen"]);
            unknown_if(&mut i, &["--unix-socket"], "a unix socket");
        }
        "fastapi" if matches!(first, Some("run" | "dev")) => {
            i = info("fastapi", inv);
            ports(&mut i, &["--port"]);
        }
        "flask" if inv.args.iter().any(|w| w.s == "run") => {
            i = info("flask", inv);
            ports(&mut i, &["-p", "--port"]);
            if !i.main_port {
                if let Some((v, span)) = env.get("FLASK_RUN_PORT") {
                    let f = match v.and_then(parse_port_number) {
                        Some(p) => Found::Port(p, span),
                        None => Found::Unknown("`FLASK_RUN_PORT` cannot be read".into(), span),
                    };
                    i.push(f, true);
                }
            }
        }
        "manage.py" | "django-admin" => {
            let k = inv
                .args
                .iter()
                .position(|w| w.s == "runserver" || w.s == "runserver_plus")?;
            i = info("django runserver", inv);
            if let Some(w) = inv.args[k + 1..].iter().find(|w| !w.s.starts_with('-')) {
                let f = if w.s.contains(':') {
                    addr_text(w, 0, w.s.len(), env)
                } else {
                    Some(port_text(w, 0, w.s.len(), env))
                };
                if let Some(f) = f {
                    i.push(f, true);
                }
            }
        }
        "http.server" => {
            i = info("http.server", inv);
            match a
                .positionals(&["-b", "--bind", "-d", "--directory", "-p", "--protocol"])
                .first()
            {
                Some(&k) => i.push(a.port((k, 0)), true),
                // Documented default of `python -m http.server`.
                None => i.push(Found::Port(8000, inv.prog_word.full_span()), true),
            }
        }
        "php" => {
            if first == Some("artisan") && inv.args.get(1).is_some_and(|w| w.s == "serve") {
                i = info("artisan serve", inv);
                ports(&mut i, &["--port"]);
            } else if a.has(&["-S"]).is_some() || inv.args.iter().any(|w| w.s.starts_with("-S")) {
                i = info("php -S", inv);
                addrs(&mut i, &["-S"]);
            } else {
                return None;
            }
        }
        "rails" if matches!(first, Some("s" | "server")) => {
            i = info("rails server", inv);
            ports(&mut i, &["-p", "--port"]);
        }
        "puma" => {
            i = info("puma", inv);
            ports(&mut i, &["-p", "--port"]);
            addrs(&mut i, &["-b", "--bind"]);
            config(&mut i, &["-C", "--config"]);
        }
        "unicorn" | "unicorn_rails" => {
            i = info("unicorn", inv);
            ports(&mut i, &["-p", "--port"]);
            addrs(&mut i, &["-l", "--listen"]);
            config(&mut i, &["-c", "--config-file"]);
        }
        "thin" | "rackup" => {
            i = info(if prog == "thin" { "thin" } else { "rackup" }, inv);
            ports(&mut i, &["-p", "--port"]);
        }
        "next" if matches!(first, Some("start" | "dev")) => {
            i = info("next", inv);
            ports(&mut i, &["-p", "--port"]);
        }
        "vite"
            if first
                .is_none_or(|f| matches!(f, "dev" | "serve" | "preview") || f.starts_with('-')) =>
        {
            i = info("vite", inv);
            ports(&mut i, &["--port"]);
        }
        "nuxt" | "nuxi" if matches!(first, Some("dev" | "start" | "preview")) => {
            i = info("nuxt", inv);
            ports(&mut i, &["-p", "--port"]);
        }
        "ng" if first == Some("serve") => {
            i = info("ng serve", inv);
            ports(&mut i, &["--port"]);
        }
        "serve" => {
            i = info("serve", inv);
            ports(&mut i, &["-p", "--port"]);
            for at in a.values(&["-l", "--listen"]) {
                let (w, off) = a.word(at);
                let f = if w.s[off..].contains(':') {
                    addr_text(w, off, w.s.len(), env)
                } else {
                    Some(port_text(w, off, w.s.len(), env))
                };
                if let Some(f) = f {
                    i.push(f, true);
                }
            }
        }
        "http-server" | "json-server" => {
            i = info(
                if prog == "http-server" {
                    "http-server"
                } else {
                    "json-server"
                },
                inv,
            );
            ports(&mut i, &["-p", "--port"]);
        }
        "webpack-dev-server" => {
            i = info("webpack-dev-server", inv);
            ports(&mut i, &["--port"]);
        }
        "webpack" if first == Some("serve") => {
            i = info("webpack serve", inv);
            ports(&mut i, &["--port"]);
        }
        "astro" if matches!(first, Some("dev" | "preview")) => {
            i = info("astro", inv);
            ports(&mut i, &["--port"]);
        }
        "streamlit" if first == Some("run") => {
            i = info("streamlit", inv);
            ports(&mut i, &["--server.port"]);
        }
        "jupyter" if matches!(first, Some("lab" | "notebook" | "server")) => {
            i = info("jupyter", inv);
            ports(
                &mut i,
                &["--port", "--ServerApp.port", "--NotebookApp.port"],
            );
        }
        "mkdocs" if first == Some("serve") => {
            i = info("mkdocs", inv);
            addrs(&mut i, &["-a", "--dev-addr"]);
        }
        "hugo" if matches!(first, Some("server" | "serve")) => {
            i = info("hugo", inv);
            ports(&mut i, &["-p", "--port"]);
        }
        "mlflow" if matches!(first, Some("server" | "ui")) => {
            i = info("mlflow", inv);
            ports(&mut i, &["-p", "--port"]);
        }
        "flower" => {
            i = info("flower", inv);
            ports(&mut i, &["--port"]);
        }
        "celery" if inv.args.iter().any(|w| w.s == "flower") => {
            i = info("flower", inv);
            ports(&mut i, &["--port"]);
        }
        "java"
            if inv.args.iter().any(|w| {
                w.s.starts_with("-Dserver.port=") || w.s.starts_with("--server.port=")
            }) =>
        {
            i = info("java", inv);
            for w in inv.args.iter() {
                for pre in ["-Dserver.port=", "--server.port="] {
                    if w.s.starts_with(pre) {
                        i.push(port_text(w, pre.len(), w.s.len(), env), true);
                    }
                }
            }
        }
        "redis-server" | "valkey-server" | "redis-stack-server" | "keydb-server" => {
            i = info("redis-server", inv);
            ports(&mut i, &["--port"]);
            for at in a.values(&["--tls-port"]) {
                i.push(a.port(at), false);
            }
            // `redis-server /path/redis.conf [--opts]`: a config file first.
            if let Some(w) = inv.args.first().filter(|w| !w.s.starts_with("--")) {
                i.config = Some(w.full_span());
            }
            config(&mut i, &["--include"]);
        }
        "postgres" | "postmaster" => {
            i = info("postgres", inv);
            ports(&mut i, &["-p", "--port"]);
            for at in a.values(&["-c"]) {
                let (w, off) = a.word(at);
                let v = &w.s[off..];
                if let Some(rest) = v.strip_prefix("port=") {
                    let _ = rest;
                    i.push(port_text(w, off + 5, w.s.len(), env), true);
                } else if v.starts_with("config_file=") {
                    i.config = Some(w.full_span());
                }
            }
            config(&mut i, &["--config_file", "--config-file"]);
        }
        "mysqld" | "mariadbd" | "mysqld_safe" | "mariadbd-safe" => {
            i = info("mysqld", inv);
            ports(&mut i, &["-P", "--port"]);
            config(&mut i, &["--defaults-file", "--defaults-extra-file"]);
            unknown_if(&mut i, &["--skip-networking"], "networking is off");
        }
        "mongod" => {
            i = info("mongod", inv);
            ports(&mut i, &["--port"]);
            config(&mut i, &["--config", "-f"]);
            if !i.main_port {
                // A shard or config server listens on 27018 / 27019.
                unknown_if(
                    &mut i,
                    &["--shardsvr", "--configsvr"],
                    "a shard or config server listens on another port",
                );
            }
        }
        "memcached" => {
            i = info("memcached", inv);
            ports(&mut i, &["-p", "--port"]);
            unknown_if(&mut i, &["-s", "--unix-socket"], "a unix socket");
        }
        "nginx" | "nginx-debug" | "openresty" => {
            i = info("nginx", inv);
            config(&mut i, &["-c"]);
            // The ports come from the config; an NGINX service reads them there.
            i.found.clear();
            if i.config.is_some() {
                i.push(
                    Found::Unknown(
                        "NGINX reads another config".into(),
                        i.config.unwrap_or(i.span),
                    ),
                    true,
                );
            }
        }
        "httpd" | "httpd-foreground" | "apache2-foreground" | "apachectl" => {
            i = info("httpd", inv);
            config(&mut i, &["-f"]);
        }
        "traefik" => {
            i = info("traefik", inv);
            for (k, w) in inv.args.iter().enumerate() {
                let lower = w.s.as_str().to_ascii_lowercase();
                if lower.starts_with("--entrypoints.") {
                    let (key, off) = match w.s.split_once('=') {
                        Some((k, _)) => (k.to_ascii_lowercase(), k.len() + 1),
                        None => (lower.clone(), usize::MAX),
                    };
                    if !key.ends_with(".address") {
                        continue;
                    }
                    let (w, off) = if off == usize::MAX {
                        match inv.args.get(k + 1) {
                            Some(n) => (n, 0),
                            None => continue,
                        }
                    } else {
                        (w, off)
                    };
                    if w.s[off..].to_ascii_lowercase().ends_with("/udp") {
                        continue;
                    }
                    let end = w.s[off..].find('/').map(|x| off + x).unwrap_or(w.s.len());
                    if let Some(f) = addr_text(w, off, end, env) {
                        i.push(f, true);
                    }
                }
            }
            config(&mut i, &["--configfile", "--configFile", "--configFile"]);
        }
        "prometheus" | "alertmanager" | "node_exporter" => {
            i = info(
                match prog {
                    "prometheus" => "prometheus",
                    "alertmanager" => "alertmanager",
                    _ => "node_exporter",
                },
                inv,
            );
            addrs(&mut i, &["--web.listen-address"]);
        }
        "minio" if inv.args.iter().any(|w| w.s == "server") => {
            i = info("minio", inv);
            addrs(&mut i, &["--address"]);
            for at in a.values(&["--console-address"]) {
                i.flags_seen.push("--console-address");
                if let Some(f) = a.addr(at) {
                    i.push(f, false);
                }
            }
        }
        "grafana-server" => {
            i = info("grafana", inv);
            config(&mut i, &["--config", "-config"]);
        }
        "grafana" if first == Some("server") => {
            i = info("grafana", inv);
            config(&mut i, &["--config", "-config"]);
        }
        "rabbitmq-server" => i = info("rabbitmq-server", inv),
        "elasticsearch" => {
            i = info("elasticsearch", inv);
            for at in a.values(&["-E"]) {
                let (w, off) = a.word(at);
                if let Some(rest) = w.s[off..].strip_prefix("http.port=") {
                    let _ = rest;
                    i.push(port_text(w, off + 10, w.s.len(), env), true);
                }
            }
        }
        "opensearch" => i = info("opensearch", inv),
        "influxd" => {
            i = info("influxd", inv);
            addrs(&mut i, &["--http-bind-address"]);
        }
        _ => return None,
    }
    Some(i)
}
