//! SL111 `memory-setting-exceeds-limit`: a program's own memory setting is at or
//! above its container's memory limit, so the kernel kills it before the
//! program limits itself.

use crate::analysis::workers::memory_limit_mib;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct MemorySettingExceedsLimit;

pub static META: RuleMeta = RuleMeta {
    code: "SL111",
    name: "memory-setting-exceeds-limit",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "A program's own memory setting (-Xmx, --max-old-space-size, maxmemory) is at or above the container's memory limit",
    fix: crate::finding::FixAvailability::None,
};

/// Variables the JVM (or a launcher script) reads its options from.
const JVM_VARS: &[&str] = &[
    "JAVA_OPTS",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "ES_JAVA_OPTS",
    "OPENSEARCH_JAVA_OPTS",
    "CATALINA_OPTS",
    "KAFKA_HEAP_OPTS",
];

/// Variables that announce a memory budget to an app, in MiB.
const APP_VARS_MIB: &[&str] = &["MEMORY_LIMIT_MB", "MAX_MEMORY_MB"];

/// A memory setting found: what it is, its size in MiB, and where.
struct Setting {
    what: String,
    mib: u64,
    span: Span,
    /// A budget the app divides (its container's limit is the right value for
    /// it): reported only above the limit. A heap or cache limit leaves the
    /// rest of the process no room even at the limit.
    budget: bool,
}

/// A JVM size (`-Xmx512m`'s `512m`): k, m, g, t are powers of 1024; no unit is bytes.
fn jvm_mib(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let (num, shift) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 10),
        'm' => (&t[..t.len() - 1], 20),
        'g' => (&t[..t.len() - 1], 30),
        't' => (&t[..t.len() - 1], 40),
        c if c.is_ascii_digit() => (t.as_str(), 0),
        _ => return None,
    };
    let n: u64 = num.parse().ok()?;
    Some(n.checked_shl(shift)? >> 20)
}

/// A redis size (`512mb`, `1gb`, `100m`, bytes): `kb`/`mb`/`gb` are powers of
/// 1024, `k`/`m`/`g` powers of 1000 (redis.conf's own notes).
fn redis_mib(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    let n: u64 = t[..digits].parse().ok()?;
    let bytes = match &t[digits..] {
        "" | "b" => n,
        "k" => n.checked_mul(1000)?,
        "kb" => n.checked_mul(1 << 10)?,
        "m" => n.checked_mul(1_000_000)?,
        "mb" => n.checked_mul(1 << 20)?,
        "g" => n.checked_mul(1_000_000_000)?,
        "gb" => n.checked_mul(1 << 30)?,
        _ => return None,
    };
    Some(bytes >> 20)
}

/// `-Xmx2g` and `--max-old-space-size=1024` among whitespace-separated options.
fn in_options(words: &[(&str, Span)], out: &mut Vec<Setting>) {
    for (i, (w, span)) in words.iter().enumerate() {
        if let Some(size) = w.strip_prefix("-Xmx") {
            if let Some(mib) = jvm_mib(size) {
                out.push(Setting {
                    what: format!("the JVM's heap limit `{w}`"),
                    mib,
                    span: *span,
                    budget: false,
                });
            }
        } else if let Some(v) = w.strip_prefix("--max-old-space-size") {
            let v = match v.strip_prefix('=') {
                Some(v) => Some(v),
                None if v.is_empty() => words.get(i + 1).map(|(n, _)| *n),
                None => None,
            };
            if let Some(mib) = v.and_then(|v| v.parse::<u64>().ok()) {
                out.push(Setting {
                    what: format!("Node's heap limit `--max-old-space-size={mib}`"),
                    mib,
                    span: *span,
                    budget: false,
                });
            }
        }
    }
}

impl Rule for MemorySettingExceedsLimit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        cx.each_service(out, |_, svc, out| {
            if !svc.runs_as_written() {
                return;
            }
            let Some((limit_mib, limit)) = memory_limit_mib(svc) else {
                return;
            };
            let mut settings = Vec::new();
            for inv in cx.analysis.running(svc).iter() {
                let words: Vec<(&str, Span)> = inv
                    .args
                    .iter()
                    .map(|a| (a.s.as_str(), a.full_span()))
                    .collect();
                in_options(&words, &mut settings);
                if inv.prog == "redis-server" {
                    for (i, (w, _)) in words.iter().enumerate() {
                        if *w == "--maxmemory" {
                            if let Some((v, span)) = words.get(i + 1) {
                                if let Some(mib) = redis_mib(v) {
                                    settings.push(Setting {
                                        what: format!("redis's `--maxmemory {v}`"),
                                        mib,
                                        span: *span,
                                        budget: false,
                                    });
                                }
                            }
                        }
                    }
                }
            }
            let env = cx.analysis.runtime_env(svc);
            for var in JVM_VARS.iter().chain(["NODE_OPTIONS"].iter()) {
                if let Some((Some(v), span)) = env.get(var) {
                    // Each option's own span when the value is written as it reads.
                    let exact = p.sources.get(span.file).slice(&span) == v;
                    let words: Vec<(&str, Span)> = v
                        .split_whitespace()
                        .map(|w| {
                            let at = w.as_ptr() as usize - v.as_ptr() as usize;
                            let wspan = if exact {
                                span.sub(at, at + w.len())
                            } else {
                                span
                            };
                            (w, wspan)
                        })
                        .collect();
                    let before = settings.len();
                    in_options(&words, &mut settings);
                    for s in &mut settings[before..] {
                        s.what = format!("{} in `{var}`", s.what);
                    }
                }
            }
            for var in APP_VARS_MIB {
                if let Some((Some(v), span)) = env.get(var) {
                    if let Ok(mib) = v.trim().parse::<u64>() {
                        settings.push(Setting {
                            what: format!("the app's memory budget `{var}={mib}`"),
                            mib,
                            span,
                            budget: true,
                        });
                    }
                }
            }
            let name = &svc.name.value;
            for s in settings {
                if s.mib < limit_mib || s.mib == 0 || (s.budget && s.mib == limit_mib) {
                    continue;
                }
                out.push(
                    Finding::new(
                        &META,
                        s.span,
                        format!(
                            "`{name}` sets {} ({} MiB), {} its {limit_mib} MiB memory limit: the kernel kills the process before it reaches its own limit",
                            s.what,
                            s.mib,
                            if s.mib > limit_mib { "above" } else { "at" }
                        ),
                    )
                    .label("not below the memory limit")
                    .related(limit.span, "the container's memory limit")
                    .help("keep the program's setting well below the limit (a JVM heap at about 75% of it leaves room for the rest of the process), or raise the limit")
                    .place(format!("services.{name}")),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(jvm_mib("512m"), Some(512));
        assert_eq!(jvm_mib("2g"), Some(2048));
        assert_eq!(jvm_mib("2G"), Some(2048));
        assert_eq!(jvm_mib("1048576k"), Some(1024));
        assert_eq!(jvm_mib("x"), None);
        assert_eq!(redis_mib("512mb"), Some(512));
        assert_eq!(redis_mib("1gb"), Some(1024));
        assert_eq!(redis_mib("1g"), Some(953));
        assert_eq!(redis_mib("lots"), None);
    }

    /// Node's heap limit is read with `=` or from the next word; the JVM's from
    /// its own word. Each setting keeps the span of the word that names it.
    #[test]
    fn options_in_their_written_forms() {
        let at = |i: usize| Span::new(crate::source::FileId(0), i, i + 1);
        let words = [
            ("--max-old-space-size", at(0)),
            ("1024", at(1)),
            ("--max-old-space-size=512", at(2)),
            ("-Xmx2g", at(3)),
            ("--max-old-space-size", at(4)),
        ];
        let mut out = Vec::new();
        in_options(&words, &mut out);
        let got: Vec<(u64, Span)> = out.iter().map(|s| (s.mib, s.span)).collect();
        assert_eq!(got, [(1024, at(0)), (512, at(2)), (2048, at(3))]);
    }
}
