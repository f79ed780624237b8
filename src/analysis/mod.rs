//! Facts derived once per project and shared by every rule: what each service
//! runs, which NGINX files its proxy loads (with their scopes and targets), and
//! the dependency graph. Reads the model; knows nothing of rules or findings'
//! presentation.

pub mod graph;
pub mod identity;
pub mod network;
pub mod nginx;
pub mod ports;
pub mod secrets;
pub mod uses;
pub mod workers;

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::parse::shell::Invocation;

/// Everything the rules read besides the model, computed once per project.
pub struct Analysis<'a> {
    project: &'a Project,
    /// The NGINX configs of each proxy, with their scopes and targets.
    pub nginx: Vec<nginx::Group<'a>>,
    /// The dependency graph.
    pub graph: graph::StackGraph,
    /// Per-service facts, in the model's order ([`Analysis::cell`]): read on
    /// first use, then shared.
    services: Vec<PerService>,
    /// What the kept [`ports::Running`]s may still take ([`RUNNING_BUDGET`]).
    running_budget: AtomicUsize,
    /// Every variable use of the merged tree.
    uses: Vec<uses::PlacedUse<'a>>,
}

/// The most the kept [`ports::Running`]s of one project may take, as estimated
/// by [`kept_size`]. A word of a command costs about a hundred bytes kept, so a
/// generated file of 8 MiB of two-byte words (`a a a …`) would keep 50 times its
/// size; past the budget a service's is computed on each call instead, as it
/// was before any was kept. Real stacks stay far below it (2,000 services of
/// four words each: 1 MB).
const RUNNING_BUDGET: usize = 16 << 20;

/// What `r` costs kept: each invocation, its words (a `Text`, its one run and its
/// bytes) and its program's name.
fn kept_size(r: &ports::Running) -> usize {
    const RUN: usize = 16;
    let word = |w: &crate::parse::shell::Text| RUN + w.len();
    r.invocations
        .iter()
        .map(|i| {
            std::mem::size_of::<Invocation>()
                + i.prog.len()
                + word(&i.prog_word)
                + i.args
                    .iter()
                    .map(|w| std::mem::size_of_val(w) + word(w))
                    .sum::<usize>()
        })
        .sum()
}

/// Facts about one service that several rules (or several facts) read. Boxed:
/// most services never need them, and inline they were 500 bytes a service.
#[derive(Default)]
struct PerService {
    /// The ports it listens on.
    listening: OnceLock<Box<ports::Listening>>,
    /// The variables of its container: read by the listening ports and by rules.
    env: OnceLock<Box<ports::RuntimeEnv>>,
    /// What it runs first: read by four rules and the worker fact, which each
    /// parsed it again before (8% of a large stack's instructions).
    running: OnceLock<Box<ports::Running>>,
}

impl<'a> Analysis<'a> {
    pub fn of(p: &'a Project) -> Self {
        let nginx = nginx::analyze(p);
        // The uses are found while the graph is built (two rules read them, and
        // each walked the whole tree).
        let (graph, uses) = rayon::join(
            || graph::StackGraph::build_with(p, &nginx),
            || p.root().map(uses::tree_uses).unwrap_or_default(),
        );
        let services = p
            .model
            .services
            .iter()
            .map(|_| PerService::default())
            .collect();
        Analysis {
            project: p,
            nginx,
            graph,
            services,
            running_budget: AtomicUsize::new(RUNNING_BUDGET),
            uses,
        }
    }

    /// Every variable use of the merged tree, with its path ([`uses::tree_uses`]).
    pub fn tree_uses(&self) -> &[uses::PlacedUse<'a>] {
        &self.uses
    }

    /// The ports `svc` listens on ([`ports::listening`]), computed once per service.
    pub fn listening(&self, svc: &Service) -> Cow<'_, ports::Listening> {
        match self.cell(svc) {
            Some(cell) => Cow::Borrowed(cell.listening.get_or_init(|| {
                let env = self.env_of(cell, svc);
                Box::new(ports::listening_with(self.project, svc, env))
            })),
            // Not a service of this project: nothing to share.
            None => Cow::Owned(ports::listening(self.project, svc)),
        }
    }

    /// The variables of `svc`'s container ([`ports::RuntimeEnv::of`]), computed once per service.
    pub fn runtime_env(&self, svc: &Service) -> Cow<'_, ports::RuntimeEnv> {
        match self.cell(svc) {
            Some(cell) => Cow::Borrowed(self.env_of(cell, svc)),
            None => Cow::Owned(ports::RuntimeEnv::of(
                self.project,
                svc,
                self.project.service_node(&svc.name.value),
            )),
        }
    }

    /// The programs `svc` runs first ([`ports::running`]), computed once per service.
    pub fn running(&self, svc: &Service) -> Cow<'_, [Invocation]> {
        match self.running_of(svc) {
            Cow::Borrowed(r) => Cow::Borrowed(&r.invocations),
            Cow::Owned(r) => Cow::Owned(r.invocations),
        }
    }

    /// The worker `svc` runs instead of a server ([`ports::worker`]). Not kept:
    /// one rule asks, once per service.
    pub fn worker(&self, svc: &Service) -> Option<ports::Worker> {
        ports::worker(&self.running_of(svc))
    }

    fn running_of(&self, svc: &Service) -> Cow<'_, ports::Running> {
        let Some(cell) = self.cell(svc) else {
            return Cow::Owned(ports::running(self.project, svc));
        };
        if let Some(kept) = cell.running.get() {
            return Cow::Borrowed(kept);
        }
        let r = ports::running(self.project, svc);
        let size = kept_size(&r);
        let afforded = self
            .running_budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(size)
            })
            .is_ok();
        // (Two rules asking at once may both pay: the budget errs low, never high.)
        match afforded {
            true => Cow::Borrowed(cell.running.get_or_init(|| Box::new(r))),
            false => Cow::Owned(r),
        }
    }

    /// The facts kept for `svc` when it is one of the project's services (that
    /// value itself, found by its place in the model's list: a map by name cost a
    /// hash of the name at each of the rules' questions); None for any other.
    fn cell(&self, svc: &Service) -> Option<&PerService> {
        let all = &self.project.model.services;
        let from = (svc as *const Service as usize).checked_sub(all.as_ptr() as usize)?;
        let i = from / std::mem::size_of::<Service>().max(1);
        all.get(i)
            .filter(|s| std::ptr::eq(*s, svc))
            .and_then(|_| self.services.get(i))
    }

    fn env_of<'s>(&self, cell: &'s PerService, svc: &Service) -> &'s ports::RuntimeEnv {
        cell.env.get_or_init(|| {
            Box::new(ports::RuntimeEnv::of(
                self.project,
                svc,
                self.project.service_node(&svc.name.value),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kept or not, `running` and `worker` answer what parsing again answers, and
    /// a command past the budget left is not kept.
    #[test]
    fn running_answers_as_parsing_again_kept_or_not() {
        let big = vec!["a"; 2_000].join(" ");
        let p = crate::compose::stack::project_of_text(&format!(
            "services:\n  web:\n    image: python\n    command: sh -c \"gunicorn -w 4 --workers=${{W:-2}} -b 0.0.0.0:$$PORT app\"\n  \
             jobs:\n    image: python\n    command: [celery, -A, proj, worker]\n  \
             big:\n    image: python\n    command: \"{big}\"\n  none:\n    image: redis\n"
        ));
        let a = Analysis::of(&p);
        let small = kept_size(&ports::running(&p, &p.model.services[0]));
        // Room for the first two services, not for the third.
        a.running_budget.store(3 * small, Ordering::Relaxed);
        for svc in &p.model.services {
            let again = ports::running(&p, svc);
            for _ in 0..2 {
                assert_eq!(
                    format!("{:?}", a.running(svc)),
                    format!("{:?}", again.invocations),
                    "{}",
                    svc.name.value
                );
                assert_eq!(
                    format!("{:?}", a.worker(svc)),
                    format!("{:?}", ports::worker(&again)),
                );
            }
            let kept = a.cell(svc).and_then(|c| c.running.get());
            assert_eq!(
                kept.is_some(),
                svc.name.value != "big",
                "{}",
                svc.name.value
            );
        }
        assert!(a.worker(&p.model.services[1]).is_some());
    }

    /// Each of the project's services has facts of its own, found by its place
    /// in the model; a copy of one (the same name, another value) has none kept
    /// and is answered as the service itself is.
    #[test]
    fn each_service_has_its_own_facts_and_a_copy_none() {
        let p = crate::compose::stack::project_of_text(
            "services:\n  web:\n    image: python\n    command: gunicorn -b 0.0.0.0:8001 app\n    \
             environment: {PORT: '8001'}\n  jobs:\n    image: python\n    \
             command: [celery, -A, proj, worker]\n  cache:\n    image: redis\n",
        );
        let a = Analysis::of(&p);
        assert_eq!(p.model.services.len(), 3);
        for (i, svc) in p.model.services.iter().enumerate() {
            let cell = a.cell(svc).expect("a service of the project");
            assert!(std::ptr::eq(cell, &a.services[i]), "{}", svc.name.value);
            let copy = svc.clone();
            assert!(a.cell(&copy).is_none(), "{}", svc.name.value);
            let same = |f: &dyn Fn(&Service) -> String| assert_eq!(f(&copy), f(svc));
            same(&|s| format!("{:?}", a.listening(s)));
            same(&|s| format!("{:?}", a.runtime_env(s)));
            same(&|s| format!("{:?}", a.running(s)));
            same(&|s| format!("{:?}", a.worker(s)));
        }
        // Each service's facts were kept in its own cell.
        for (i, svc) in p.model.services.iter().enumerate() {
            let kept = a.services[i].listening.get().expect("kept");
            assert_eq!(
                format!("{kept:?}"),
                format!("{:?}", ports::listening(&p, svc)),
                "{}",
                svc.name.value
            );
        }
    }
}
