//! SL108 `healthcheck-tool-missing`: the healthcheck runs a program the image
//! does not ship (curl in `python:*-slim`, any `CMD-SHELL` in a distroless image),
//! so it always fails and the container never becomes healthy.

use crate::compose::model::HealthTest;
use crate::finding::{Finding, Findings};
use crate::parse::shell::{self, Text};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct HealthcheckToolMissing;

pub static META: RuleMeta = RuleMeta {
    code: "SL108",
    name: "healthcheck-tool-missing",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "The healthcheck runs a program the image does not ship (curl in a slim image, a shell in distroless)",
    fix: crate::finding::FixAvailability::None,
};

/// Whether the Dockerfile that builds the image adds `tool`: a `RUN` that
/// installs it with a package manager, or a `COPY --from` of it.
fn build_adds(d: &crate::parse::dockerfile::Dockerfile, tool: &str) -> bool {
    crate::compose::base::final_instructions(d)
        .into_iter()
        .flatten()
        .any(|ins| {
            let words: Vec<&str> = ins.args.iter().map(|w| w.value.as_str()).collect();
            let names_tool = words.iter().any(|w| {
                w.trim_matches(|c: char| c == '\\' || c == ';' || c == '&')
                    .rsplit('/')
                    .next()
                    .is_some_and(|n| n == tool || n.starts_with(&format!("{tool}=")))
            });
            match ins.name.as_str() {
                "RUN" => names_tool,
                "COPY" | "ADD" => names_tool && words.iter().any(|w| w.starts_with("--from")),
                _ => false,
            }
        })
}

impl Rule for HealthcheckToolMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for svc in &p.model.services {
            let Some(hc) = svc.healthcheck.as_deref() else {
                continue;
            };
            let Some(test) = hc.test.as_ref().filter(|_| !hc.disable) else {
                continue;
            };
            // What the container runs from: the image, or the build's base.
            let Some((base, _)) = crate::analysis::identity::software(p, svc) else {
                continue;
            };
            // A tag from an unset variable may name any variant of the image.
            let written = p.sources.get(base.span.file).slice(&base.span);
            let tag = crate::image::tag(&base.text);
            if base.text.trim_end().ends_with(':')
                || (tag.is_none() && crate::image::named_by_variable(written))
            {
                continue;
            }
            let Some(facts) = crate::knowledge::lacks(&base.image, tag) else {
                continue;
            };
            let df = p.dockerfiles.get(svc.name.value.as_str()).map(|(_, d)| d);
            // The programs the check runs, with their spans.
            let mut programs: Vec<(String, Span)> = Vec::new();
            match &test.value {
                HealthTest::None => continue,
                HealthTest::Cmd(exec) => {
                    if let Some(first) = exec.iter().next() {
                        programs.push((shell::basename(first.value), first.span));
                    }
                }
                HealthTest::Shell(s) => {
                    programs.push(("sh".into(), test.span));
                    let t = Text::from_word(&s.value, s.span, &p.sources);
                    for inv in shell::invocations(&t) {
                        programs.push((inv.prog.to_string(), inv.prog_word.full_span()));
                    }
                }
            }
            let name = &svc.name.value;
            for (prog, span) in programs {
                if !facts.lacks.contains(&prog) {
                    continue;
                }
                if df.is_some_and(|d| build_adds(d, &prog)) {
                    continue;
                }
                let (message, help) = if prog == "sh" {
                    (
                        format!("the healthcheck of `{name}` needs a shell (`CMD-SHELL` or a string), which `{}` does not have: the check always fails and the container never becomes healthy", base.text),
                        "use the exec form with a program the image has (`[\"CMD\", \"/app/healthcheck\"]`), e.g. a small check built into the application".to_string(),
                    )
                } else {
                    (
                        format!("the healthcheck of `{name}` runs `{prog}`, which `{}` does not ship: the check always fails and the container never becomes healthy", base.text),
                        match &facts.probe_with {
                            Some(probe) => format!("probe with what the image ships: `test: {probe}`"),
                            None => format!("probe with a program the image has (`python -c \"import urllib.request; urllib.request.urlopen('http://localhost:PORT/health')\"` in a Python image, `wget -q --spider` where busybox is), or install {prog} in the Dockerfile"),
                        },
                    )
                };
                let mut f = Finding::new(&META, span, message)
                    .label(format!("not in the image: {prog}"))
                    .related(base.span, format!("the image, which has no {prog}"))
                    .help(help)
                    .place(format!("services.{name}.healthcheck.test"));
                if let Some(d) = df {
                    if let Some(from) = crate::compose::base::final_instructions(d)
                        .first()
                        .and_then(|s| s.first())
                    {
                        f = f.related(
                            from.span,
                            format!("no instruction of this build adds {prog}"),
                        );
                    }
                }
                out.push(f);
            }
        }
    }
}
