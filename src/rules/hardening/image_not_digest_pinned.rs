//! SL505 `image-not-digest-pinned`: an image pinned by tag, not by digest.

use crate::finding::{Finding, Findings};
use crate::image::Pin;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct ImageNotDigestPinned;

pub static META: RuleMeta = RuleMeta {
    code: "SL505",
    name: "image-not-digest-pinned",
    severity: Severity::Warning,
    category: Category::Hardening,
    summary: "An image is pinned by tag, not by digest: the tag can be moved to other content",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for ImageNotDigestPinned {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for svc in &p.model.services {
            let (Some(image), None) = (&svc.image, &svc.build) else {
                continue;
            };
            // A name or tag from a variable is chosen where the stack is deployed.
            let written = p.sources.get(image.span.file).slice(&image.span);
            if crate::image::named_by_variable(written) {
                continue;
            }
            // No tag or `latest`: image-not-pinned (SL407) says so already.
            let Some(Pin::Tag(tag)) = crate::image::pin(&image.value) else {
                continue;
            };
            if tag.eq_ignore_ascii_case("latest") {
                continue;
            }
            let name = &svc.name.value;
            out.push(
                Finding::new(
                    &META,
                    image.span,
                    format!("the image of `{name}` is pinned by its tag `{tag}` only: whoever controls the repository can push other content under it"),
                )
                .label("no digest")
                .help(format!("add the digest of the image you tested: `{}@sha256:<digest>` (`docker buildx imagetools inspect` prints it)", image.value.trim()))
                .place(format!("services.{name}.image")),
            );
        }
    }
}
