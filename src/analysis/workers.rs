//! How many worker processes a service's server starts, and how much memory
//! its container may use: the facts behind workers-exceed-memory (SL112).

use crate::analysis::ports::RuntimeEnv;
use crate::compose::model::{CompactString, Service, Spanned};
use crate::compose::stack::Project;
use crate::parse::shell::{Invocation, Text};
use crate::source::Span;

/// How a worker count is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// A number written out (after interpolation).
    Fixed(u64),
    /// Computed from the CPU count the process sees (`$(nproc)`): the host's,
    /// not the container's limit.
    PerCpu,
}

/// The worker count of one server, and where it is set.
#[derive(Clone, Debug)]
pub struct Workers {
    /// `gunicorn`, `uvicorn`, `celery`, `puma`, or the variable an app reads.
    pub program: String,
    pub count: Count,
    /// How it is written (`-w 33`, `WEB_CONCURRENCY=8`), for messages.
    pub written: String,
    pub span: Span,
}

/// Options that set the worker count, by program.
fn count_options(prog: &str) -> &'static [&'static str] {
    match prog {
        "gunicorn" => &["-w", "--workers"],
        "uvicorn" => &["--workers"],
        "celery" => &["-c", "--concurrency"],
        "puma" => &["-w", "--workers"],
        _ => &[],
    }
}

/// Variables the servers themselves read for their worker count.
const SERVER_VARS: &[(&str, &[&str])] = &[
    ("WEB_CONCURRENCY", &["gunicorn", "uvicorn", "puma"]),
    ("GUNICORN_WORKERS", &["gunicorn"]),
];

/// Variables that announce a worker count to an app's own start script.
const APP_VARS: &[&str] = &["WEB_WORKERS", "GUNICORN_WORKERS", "UVICORN_WORKERS"];

fn parse_count(s: &str) -> Option<Count> {
    let t = s.trim();
    if t.contains("nproc") || t.contains("cpu_count") {
        return Some(Count::PerCpu);
    }
    t.parse::<u64>().ok().filter(|n| *n > 0).map(Count::Fixed)
}

/// The worker count an invocation's arguments set: `-w 4`, `-w4`, `--workers=4`.
fn from_args(prog: &str, args: &[Text]) -> Option<(Count, String, Span)> {
    let opts = count_options(prog);
    let mut found = None;
    for (i, a) in args.iter().enumerate() {
        for opt in opts {
            let value = if a.s == *opt {
                args.get(i + 1).map(|v| (v.s.as_str(), v.full_span()))
            } else if let Some(v) = a.s.strip_prefix(opt).and_then(|r| r.strip_prefix('=')) {
                Some((v, a.full_span()))
            } else if opt.len() == 2 && a.s.starts_with(opt) && a.s.len() > 2 {
                Some((&a.s[2..], a.full_span()))
            } else {
                None
            };
            if let Some((v, span)) = value {
                if let Some(c) = parse_count(v) {
                    // The last one wins, as in the servers' option parsers.
                    found = Some((c, format!("{opt} {v}"), span));
                }
            }
        }
    }
    found
}

/// The worker counts the service sets: on its server's command line, in the
/// variables the server reads, or in variables an app reads.
/// `running` is what the service runs first ([`super::ports::running`]).
pub fn workers(
    p: &Project,
    svc: &Service,
    env: &RuntimeEnv,
    running: &[Invocation],
) -> Vec<Workers> {
    let mut out = Vec::new();
    let mut programs = Vec::new();
    let mut config_elsewhere = false;
    for inv in running {
        let prog = inv.prog.clone();
        if count_options(&prog).is_empty() {
            continue;
        }
        programs.push(prog.clone());
        // `-c other.py`: gunicorn reads that file, not ./gunicorn.conf.py.
        if prog == "gunicorn" {
            let named = inv.args.iter().enumerate().find_map(|(i, a)| {
                let v = match a.s.as_str() {
                    "-c" | "--config" => inv.args.get(i + 1).map(|v| v.s.as_str()),
                    s => s.strip_prefix("--config="),
                }?;
                Some(v.rsplit('/').next().unwrap_or(v).to_string())
            });
            config_elsewhere |= named.is_some_and(|n| n != "gunicorn.conf.py");
        }
        if let Some((count, written, span)) = from_args(&prog, &inv.args) {
            out.push(Workers {
                program: prog.to_string(),
                count,
                written,
                span,
            });
        }
    }
    if out.is_empty() {
        for (var, progs) in SERVER_VARS {
            let Some(prog) = programs.iter().find(|p| progs.contains(&p.as_str())) else {
                continue;
            };
            if let Some((Some(v), span)) = env.get(var) {
                if let Some(count) = parse_count(v) {
                    out.push(Workers {
                        program: prog.to_string(),
                        count,
                        written: format!("{var}={}", v.trim()),
                        span,
                    });
                    break;
                }
            }
        }
    }
    if out.is_empty() && programs.iter().any(|p| p == "gunicorn") {
        if let Some((Some(v), span)) = env.get("GUNICORN_CMD_ARGS") {
            let words: Vec<Text> = v
                .split_whitespace()
                .map(|w| Text::plain(w.to_string(), span))
                .collect();
            if let Some((count, written, _)) = from_args("gunicorn", &words) {
                out.push(Workers {
                    program: "gunicorn".into(),
                    count,
                    written: format!("GUNICORN_CMD_ARGS: {written}"),
                    span,
                });
            }
        }
    }
    if out.is_empty() && !config_elsewhere && programs.iter().any(|p| p == "gunicorn") {
        if let Some(w) = config_workers(p, svc) {
            out.push(w);
        }
    }
    if out.is_empty() {
        for var in APP_VARS {
            if let Some((Some(v), span)) = env.get(var) {
                if let Some(count) = parse_count(v) {
                    out.push(Workers {
                        program: format!("the app (`{var}`)"),
                        count,
                        written: format!("{var}={}", v.trim()),
                        span,
                    });
                    break;
                }
            }
        }
    }
    out
}

/// `workers = ...` at the top level of the service's `gunicorn.conf.py`: a
/// number, or an expression of the CPU count alone
/// (`multiprocessing.cpu_count() * 2 + 1`). An expression that also weighs
/// memory (`min(...)`) or reads the environment is not judged.
fn config_workers(p: &Project, svc: &Service) -> Option<Workers> {
    let id = *p.gunicorn_configs.get(svc.name.value.as_str())?;
    let file = p.sources.get(id);
    let mut found = None;
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(rest) = line.strip_prefix("workers") else {
            continue;
        };
        let Some(expr) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        if expr.starts_with('=') {
            continue;
        }
        let expr_text = expr.split('#').next().unwrap_or("").trim();
        let at = start + line.len() - expr.len() + (expr.len() - expr.trim_start().len());
        let span = Span::new(id, at, at + expr_text.len());
        let count = if expr_text.contains("cpu_count") || expr_text.contains("nproc") {
            let weighed = ["min(", "environ", "getenv", "mem"]
                .iter()
                .any(|w| expr_text.contains(w));
            (!weighed).then_some(Count::PerCpu)
        } else {
            expr_text
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(Count::Fixed)
        };
        // The last assignment wins, as when Python runs the file.
        found = count.map(|count| Workers {
            program: "gunicorn".into(),
            count,
            written: format!("workers = {expr_text}"),
            span,
        });
    }
    found
}

/// The service's memory limit in MiB (`deploy.resources.limits.memory` or
/// `mem_limit`), with where it is set; `None` without one or when it cannot be read.
pub fn memory_limit_mib(svc: &Service) -> Option<(u64, &Spanned<CompactString>)> {
    let m = svc.resources.as_deref()?.mem_limit.as_ref()?;
    Some((memory_bytes(&m.value)? >> 20, m))
}

/// Bytes of a compose memory size (`512m`, `1g`, `1.5GB`, `512Mi`, `1073741824`),
/// as docker reads it: units are powers of 1024.
pub fn memory_bytes(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('b').trim_end_matches('i');
    let (num, mult) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1u64 << 10),
        'm' => (&t[..t.len() - 1], 1 << 20),
        'g' => (&t[..t.len() - 1], 1 << 30),
        't' => (&t[..t.len() - 1], 1 << 40),
        c if c.is_ascii_digit() => (t, 1),
        _ => return None,
    };
    let n: f64 = num.trim().parse().ok()?;
    (n.is_finite() && n > 0.0).then_some((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(memory_bytes("512m"), Some(512 << 20));
        assert_eq!(memory_bytes("512M"), Some(512 << 20));
        assert_eq!(memory_bytes("512Mi"), Some(512 << 20));
        assert_eq!(memory_bytes("1g"), Some(1 << 30));
        assert_eq!(memory_bytes("1.5GB"), Some(3 << 29));
        assert_eq!(memory_bytes("1073741824"), Some(1 << 30));
        assert_eq!(memory_bytes("lots"), None);
        assert_eq!(memory_bytes(""), None);
        assert_eq!(memory_bytes("-1m"), None);
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("4"), Some(Count::Fixed(4)));
        assert_eq!(parse_count("$(nproc)"), Some(Count::PerCpu));
        assert_eq!(parse_count("0"), None);
        assert_eq!(parse_count("${WORKERS}"), None);
    }

    #[test]
    fn options() {
        let t = |s: &[&str]| -> Vec<Text> {
            s.iter()
                .map(|w| Text::plain(w.to_string(), Span::new(crate::source::FileId(0), 0, 0)))
                .collect()
        };
        let c = |prog, s: &[&str]| from_args(prog, &t(s)).map(|(c, _, _)| c);
        assert_eq!(
            c("gunicorn", &["-w", "8", "app:app"]),
            Some(Count::Fixed(8))
        );
        assert_eq!(c("gunicorn", &["-w8"]), Some(Count::Fixed(8)));
        assert_eq!(c("gunicorn", &["--workers=3"]), Some(Count::Fixed(3)));
        assert_eq!(
            c("gunicorn", &["--workers", "$(nproc)"]),
            Some(Count::PerCpu)
        );
        assert_eq!(
            c("celery", &["worker", "--concurrency", "16"]),
            Some(Count::Fixed(16))
        );
        assert_eq!(c("uvicorn", &["--workers", "4"]), Some(Count::Fixed(4)));
        assert_eq!(c("gunicorn", &["--bind", "0.0.0.0:8000"]), None);
        assert_eq!(
            c(
                "gunicorn",
                &["-b", "0.0.0.0:8000", "--worker-class", "gevent"]
            ),
            None
        );
    }
}
