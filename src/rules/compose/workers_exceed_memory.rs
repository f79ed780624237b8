//! SL112 `workers-exceed-memory`: a server starts more workers than its
//! container's memory limit can hold, or counts its workers from the host's CPUs.

use crate::analysis::workers::{memory_limit_mib, workers, Count};
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct WorkersExceedMemory;

pub static META: RuleMeta = RuleMeta {
    code: "SL112",
    name: "workers-exceed-memory",
    severity: Severity::Warning,
    category: Category::Correctness,
    summary: "A server starts more workers than the memory limit holds, or counts workers from the host's CPUs",
    fix: crate::finding::FixAvailability::None,
};

/// What one worker of a Python or Ruby web server takes at least, in MiB,
/// unless `memory-per-worker` says otherwise.
const MIB_PER_WORKER: u64 = 64;

impl Rule for WorkersExceedMemory {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let per_worker = cx.options.memory_per_worker_mib.unwrap_or(MIB_PER_WORKER);
        cx.each_service(out, |_, svc, out| {
            if !svc.runs_as_written() {
                return;
            }
            let Some(res) = svc.resources.as_deref() else {
                return;
            };
            let limit = memory_limit_mib(svc);
            if limit.is_none() && res.cpus_limit.is_none() {
                return;
            }
            let env = cx.analysis.runtime_env(svc);
            let name = &svc.name.value;
            for w in workers(p, svc, &env, &cx.analysis.running(svc)) {
                let f = match (&w.count, limit) {
                    (Count::Fixed(n), Some((mib, m))) if n.saturating_mul(per_worker) > mib => {
                        Finding::new(
                            &META,
                            w.span,
                            format!(
                                "`{name}` starts {n} {} workers (`{}`): at about {per_worker} MiB each that is {} MiB, more than its {mib} MiB memory limit, so the kernel kills them under load",
                                w.program,
                                w.written,
                                n.saturating_mul(per_worker)
                            ),
                        )
                        .label("too many workers")
                        .related(m.span, "the memory limit")
                        .help(format!(
                            "start at most {} workers (memory limit / {per_worker} MiB), or raise the limit",
                            (mib / per_worker).max(1)
                        ))
                    }
                    (Count::PerCpu, _) => {
                        let mut f = Finding::new(
                            &META,
                            w.span,
                            format!(
                                "`{name}` computes its {} worker count from the CPU count (`{}`), which in a container is the host's, not its limit: on a 16-core host that is dozens of workers in a container sized for a few",
                                w.program, w.written
                            ),
                        )
                        .label("counts the host's CPUs")
                        .help(format!(
                            "set a fixed worker count that fits the container (memory limit / {per_worker} MiB at most), or compute it from the limits"
                        ));
                        if let Some((_, m)) = limit {
                            f = f.related(m.span, "the memory limit");
                        }
                        if let Some(c) = &res.cpus_limit {
                            f = f.related(c.span, "the CPU limit");
                        }
                        f
                    }
                    _ => continue,
                };
                out.push(f.place(format!("services.{name}")));
            }
        });
    }
}
