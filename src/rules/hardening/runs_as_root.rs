//! SL504 `runs-as-root`: a service runs as root, by `user:` or by its image's default.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct RunsAsRoot;

pub static META: RuleMeta = RuleMeta {
    code: "SL504",
    name: "runs-as-root",
    severity: Severity::Warning,
    category: Category::Hardening,
    summary: "A service runs as root: `user: root`, or no `user` with an image that runs as root",
    fix: crate::finding::FixAvailability::None,
};

/// Whether a `user:` value (`user`, `uid`, `user:group`) names root.
fn is_root(user: &str) -> bool {
    let who = user.trim().split(':').next().unwrap_or("").trim();
    who == "root" || who == "0"
}

impl Rule for RunsAsRoot {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        for svc in &cx.project.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            let name = &svc.name.value;
            match &svc.uncommon().user {
                Some(u) if is_root(&u.value) => {
                    out.push(
                    Finding::new(
                        &META,
                        u.span,
                        format!("`{name}` runs as root (`user: {}`): a flaw in it runs with root's rights in the container, a step from the host", u.value.trim()),
                    )
                    .label("root")
                    .help("run as an unprivileged user (`user: \"1000:1000\"`) and give it the files it needs")
                    .place(format!("services.{name}.user")),
                    );
                }
                Some(_) => {}
                None => {
                    // Only a pulled image is judged: a build's Dockerfile may set USER.
                    let (Some(image), None) = (&svc.image, &svc.build) else {
                        continue;
                    };
                    let Some(r) = crate::image::ImageRef::parse(&image.value) else {
                        continue;
                    };
                    if !crate::knowledge::runs_as_root(&r.path) {
                        continue;
                    }
                    out.push(
                        Finding::new(
                            &META,
                            svc.name.span,
                            format!("`{name}` runs as root: it sets no `user` and `{}` runs its process as root", r.path),
                        )
                        .label("no `user`")
                        .related(image.span, "an image that runs as root")
                        .help("set `user:` to an unprivileged user the image has, or build an image with a USER")
                        .place(format!("services.{name}")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_users() {
        for u in ["root", "0", "0:0", "root:root", " root:1000 "] {
            assert!(is_root(u), "{u}");
        }
        for u in ["1000", "1000:0", "node", "nobody", "rootless", "10"] {
            assert!(!is_root(u), "{u}");
        }
    }
}
