//! The image a service's container starts from: its `image`, or the base image
//! of the last stage of the Dockerfile it builds (following `FROM <stage>` back
//! to an image, with `ARG` defaults and compose `build.args`). Part of loading:
//! the loader uses it to find the NGINX proxies whose configs it reads.
//! [`crate::analysis::identity`] names the product it runs.

use std::sync::OnceLock;

use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::image::ImageRef;
use crate::knowledge::parse_ref;
use crate::parse::dockerfile::Dockerfile;
use crate::parse::yaml::NodeRef;
use crate::source::Span;
use compact_str::CompactString;

/// Where the base image was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The service's `image:` (no `build`).
    Image,
    /// The `FROM` of the Dockerfile's last stage (or the stage it names).
    Dockerfile,
    /// `image:` of a service with a `build` whose Dockerfile stacklint cannot read:
    /// the name the build is tagged with, which usually (not surely) names its base.
    BuildTag,
}

/// The image a service's container starts from.
#[derive(Clone, Debug)]
pub struct Base {
    pub image: ImageRef,
    /// The reference with build arguments replaced (`postgres:16`).
    pub text: CompactString,
    /// The text that names it: the `image:` value or the `FROM` word.
    pub span: Span,
    pub origin: Origin,
}

/// The image the service's container starts from. Found once per service and
/// kept: the loader (to find the proxies), the analysis and several rules ask
/// for it, and reading an image reference was 3% of a large stack's run.
pub fn base_image<'s>(p: &Project, svc: &'s Service) -> Option<&'s Base> {
    svc.base
        .0
        .get_or_init(|| find_base(p, svc).map(Box::new))
        .as_deref()
}

/// Where [`Service`] keeps its [`base_image`]. Asked for only once the
/// project's Dockerfiles are read (the loader reads them first). Not part of
/// what the service is: any two compare equal.
#[derive(Clone, Default)]
pub struct BaseCell(OnceLock<Option<Box<Base>>>);

impl PartialEq for BaseCell {
    fn eq(&self, _: &BaseCell) -> bool {
        true
    }
}

impl std::fmt::Debug for BaseCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BaseCell")
    }
}

fn find_base(p: &Project, svc: &Service) -> Option<Base> {
    if svc.build.is_some() {
        if let Some((_, d)) = p.dockerfiles.get(svc.name.value.as_str()) {
            return dockerfile_base(d);
        }
        let i = svc.image.as_ref()?;
        return Some(Base {
            image: parse_ref(&i.value)?,
            text: i.value.clone(),
            span: i.span,
            origin: Origin::BuildTag,
        });
    }
    let i = svc.image.as_ref()?;
    Some(Base {
        image: parse_ref(&i.value)?,
        text: i.value.clone(),
        span: i.span,
        origin: Origin::Image,
    })
}

/// compose `build.args` (map or `KEY=VALUE` list); a key without a value is left out.
pub fn build_args(node: Option<NodeRef<'_>>) -> Vec<(String, String)> {
    let Some(args) = node
        .and_then(|n| n.get("build"))
        .and_then(|b| b.get("args"))
    else {
        return Vec::new();
    };
    if let Some(m) = args.as_map() {
        return m
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect();
    }
    args.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| {
            let (k, v) = i.as_str()?.split_once('=')?;
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// The base image of the last stage: `FROM <stage>` is followed to that stage's
/// `FROM`; `${ARG}` takes a build argument or the global `ARG` default.
pub fn dockerfile_base(d: &Dockerfile) -> Option<Base> {
    stage_chain(d).1
}

/// The instructions the final image is made of: those of the last stage and of
/// every stage it builds on (`FROM base` inherits `base`'s HEALTHCHECK, CMD, ...),
/// the last stage first.
pub fn final_instructions(d: &Dockerfile) -> Vec<&[crate::parse::dockerfile::Instruction]> {
    stage_chain(d).0
}

type Chain<'a> = (
    Vec<&'a [crate::parse::dockerfile::Instruction]>,
    Option<Base>,
);

fn stage_chain(d: &Dockerfile) -> Chain<'_> {
    let build_args = &d.build_args;
    // Global `ARG`s (before the first FROM) are the only ones FROM can use.
    let mut defaults: Vec<(String, Option<String>)> = Vec::new();
    // (alias, image word, index of the FROM)
    let mut stages: Vec<(Option<String>, &crate::parse::dockerfile::Word, usize)> = Vec::new();
    for (n, ins) in d.instructions.iter().enumerate() {
        match ins.name.as_str() {
            "ARG" if stages.is_empty() => {
                for w in &ins.args {
                    let (k, v) = match w.value.split_once('=') {
                        Some((k, v)) => (k, Some(v.trim_matches(['"', '\'']).to_string())),
                        None => (w.value.as_str(), None),
                    };
                    defaults.push((k.to_string(), v));
                }
            }
            "FROM" => {
                let words: Vec<&crate::parse::dockerfile::Word> = ins
                    .args
                    .iter()
                    .filter(|a| !a.value.starts_with("--"))
                    .collect();
                let Some(image) = words.first() else { continue };
                let alias = match words.as_slice() {
                    [_, as_, name] if as_.value.eq_ignore_ascii_case("as") => {
                        Some(name.value.to_ascii_lowercase())
                    }
                    _ => None,
                };
                stages.push((alias, image, n));
            }
            _ => {}
        }
    }
    let lookup = |name: &str| -> Option<String> {
        build_args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| {
                defaults
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.clone())
            })
    };
    let mut chain = Vec::new();
    // compose `build.target` names the stage that is built; by default the last.
    let target = d.target.as_deref().map(str::to_ascii_lowercase);
    let targeted = target.and_then(|t| {
        stages
            .iter()
            .position(|(alias, _, _)| alias.as_deref() == Some(t.as_str()))
    });
    let Some(mut at) = targeted.or(stages.len().checked_sub(1)) else {
        return (chain, None);
    };
    // Each step goes to an earlier stage, so this ends.
    loop {
        let (_, word, start) = stages[at];
        let end = stages
            .get(at + 1)
            .map(|s| s.2)
            .unwrap_or(d.instructions.len());
        chain.push(&d.instructions[start..end]);
        let text = substitute(&word.value, &lookup);
        let lower = text.to_ascii_lowercase();
        match stages[..at]
            .iter()
            .rposition(|(alias, _, _)| alias.as_deref() == Some(lower.as_str()))
        {
            Some(earlier) => at = earlier,
            None => {
                let base = parse_ref(&text).map(|image| Base {
                    image,
                    text: text.into(),
                    span: word.span,
                    origin: Origin::Dockerfile,
                });
                return (chain, base);
            }
        }
    }
}

/// `$NAME`, `${NAME}`, `${NAME:-x}`, `${NAME-x}` replaced where `lookup` (or the
/// fallback) gives a value; anything else is kept as written.
fn substitute(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (expr, len) = if let Some(b) = after.strip_prefix('{') {
            match b.find('}') {
                Some(e) => (&b[..e], e + 2),
                None => {
                    out.push_str(&rest[i..]);
                    return out;
                }
            }
        } else {
            let e = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..e], e)
        };
        let (name, fallback) = match expr.split_once(":-").or_else(|| expr.split_once('-')) {
            Some((n, f)) => (n, Some(f)),
            None => (expr, None),
        };
        match lookup(name)
            .filter(|v| !v.is_empty())
            .or(fallback.map(str::to_string))
        {
            Some(v) if !name.is_empty() => out.push_str(&v),
            _ => out.push_str(&rest[i..i + 1 + len]),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, FileKind, SourceFile};

    fn base(text: &str, args: &[(&str, &str)]) -> Option<String> {
        let f = SourceFile::new("Dockerfile", FileKind::Dockerfile, text.into());
        let mut d = crate::parse::dockerfile::parse(FileId(0), &f);
        d.build_args = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        dockerfile_base(&d).map(|b| b.image.path.into())
    }

    fn product(image: &str) -> Option<&'static str> {
        crate::knowledge::known_image(image).map(|k| k.name.as_str())
    }

    #[test]
    fn last_stage_and_aliases() {
        assert_eq!(
            base("FROM postgres:16-alpine\n", &[]).as_deref(),
            Some("postgres")
        );
        let multi = "FROM node:20 AS build\nRUN npm ci\nFROM postgres:16 AS db\nRUN x\nFROM db\nCOPY --from=build /a /b\n";
        assert_eq!(base(multi, &[]).as_deref(), Some("postgres"));
        assert_eq!(
            base("FROM python:3.12 AS Base\nFROM base AS final\n", &[]).as_deref(),
            Some("python")
        );
        let args = "ARG PG_VERSION=16\nARG BASE=postgres\nFROM ${BASE}:${PG_VERSION}\n";
        assert_eq!(base(args, &[]).as_deref(), Some("postgres"));
        assert_eq!(
            base(args, &[("BASE", "postgis/postgis")]).as_deref(),
            Some("postgis/postgis")
        );
        // An unknown tag still names the image; an unknown name does not.
        assert_eq!(
            base("FROM postgres:${PG_VERSION:-16}\n", &[]).as_deref(),
            Some("postgres")
        );
        assert_eq!(base("FROM postgres:$V\n", &[]).as_deref(), Some("postgres"));
        assert_eq!(base("FROM ${REGISTRY}/app:1\n", &[]), None);
        assert_eq!(base("RUN x\n", &[]), None);
        for t in [
            "FROM $\n",
            "FROM ${\n",
            "FROM ${}\n",
            "FROM ${A:-}\n",
            "FROM é:${é}\n",
        ] {
            let _ = base(t, &[]);
        }
        // A stage named like an image is the stage.
        assert_eq!(
            base("FROM golang AS nginx\nFROM nginx\n", &[]).as_deref(),
            Some("golang")
        );
    }

    #[test]
    fn inherited_stages() {
        let text = "FROM python:3.12 AS base\nHEALTHCHECK CMD true\nFROM node AS assets\nFROM base\nCMD x\n";
        let f = SourceFile::new("Dockerfile", FileKind::Dockerfile, text.into());
        let d = crate::parse::dockerfile::parse(FileId(0), &f);
        let chain = final_instructions(&d);
        let names: Vec<Vec<&str>> = chain
            .iter()
            .map(|s| s.iter().map(|i| i.name.as_str()).collect())
            .collect();
        assert_eq!(names, [vec!["FROM", "CMD"], vec!["FROM", "HEALTHCHECK"]]);
        // `build.target` builds an earlier stage.
        let mut d = d;
        d.target = Some("assets".into());
        assert_eq!(
            dockerfile_base(&d).map(|b| b.image.path).as_deref(),
            Some("node")
        );
        assert_eq!(d.final_stage().len(), 1);
    }

    #[test]
    fn derivatives() {
        assert_eq!(product("postgres:16"), Some("postgres"));
        assert_eq!(
            product("pgautoupgrade/pgautoupgrade:16-alpine"),
            Some("postgres")
        );
        assert_eq!(product("postgis/postgis:16-3.4"), Some("postgres"));
        assert_eq!(
            product("timescale/timescaledb:latest-pg16"),
            Some("postgres")
        );
        assert_eq!(product("bitnami/postgresql:16"), Some("postgres"));
        assert_eq!(product("docker.io/bitnami/mongodb:7.0"), Some("mongo"));
        assert_eq!(product("bitnami/redis"), Some("redis"));
        assert_eq!(
            product("mcr.microsoft.com/mssql/server:2022-latest"),
            Some("mssql")
        );
        assert_eq!(product("nginxinc/nginx-unprivileged"), Some("nginx"));
        assert_eq!(product("bitnami/nginx:1.25"), Some("nginx"));
        assert_eq!(product("example/nginx"), None);
        assert_eq!(product("example/server"), None);
        assert_eq!(product("dpage/pgadmin4"), None);
        assert_eq!(product("redis-commander"), None);
        assert_eq!(product("bitnami/wordpress"), None);
    }
}
