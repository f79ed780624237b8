//! SL407 `image-not-pinned`: an image pulled without a tag, or with `latest`.

use crate::finding::{Finding, Findings};
use crate::image::Pin;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ImageNotPinned;

pub static META: RuleMeta = RuleMeta {
    code: "SL407",
    name: "image-not-pinned",
    severity: Severity::Warning,
    category: Category::Correctness,
    summary: "An image has no tag or the `latest` tag: each pull may run different software",
    fix: crate::finding::FixAvailability::None,
};

/// Tags that name a release channel rather than a release: they move with
/// every push to the channel, as `latest` does.
const CHANNELS: &[&str] = &[
    "stable", "edge", "nightly", "dev", "develop", "canary", "beta", "unstable", "main", "master",
];

fn is_channel(tag: &str) -> bool {
    CHANNELS.iter().any(|c| c.eq_ignore_ascii_case(tag))
}

impl Rule for ImageNotPinned {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for svc in &p.model.services {
            // With `build`, `image` names what the build produces, not what is pulled.
            let (Some(image), None) = (&svc.image, &svc.build) else {
                continue;
            };
            // A name or tag from a variable is set where the stack is deployed
            // (`app:${TAG:-latest}`): the file does not say what runs.
            let written = p.sources.get(image.span.file).slice(&image.span);
            if crate::image::named_by_variable(written) {
                continue;
            }
            let what = match crate::image::pin(&image.value) {
                Some(Pin::Untagged) => "has no tag, so it means `latest`".to_string(),
                Some(Pin::Tag(tag)) if tag.eq_ignore_ascii_case("latest") => {
                    "uses the `latest` tag".to_string()
                }
                Some(Pin::Tag(tag)) if is_channel(tag) => {
                    format!("uses `{tag}`, a tag that moves to each new release of its channel")
                }
                _ => continue,
            };
            let name = &svc.name.value;
            let repo = image.value.trim();
            let repo = match repo.rsplit_once(':') {
                Some((r, tag)) if !tag.contains('/') => r,
                _ => repo,
            };
            out.push(
                Finding::new(
                    &META,
                    image.span,
                    format!("the image of `{name}` {what}: each pull may bring a new major version, and two hosts may run different software"),
                )
                .label("not pinned")
                .help(format!("pin a version tag (`{repo}:<version>`), or a digest for a reproducible deployment (`{repo}:<version>@sha256:<digest>`)"))
                .place(format!("services.{name}.image")),
            );
        }
    }
}
