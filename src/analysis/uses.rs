//! Every variable use in a project's merged compose tree, with the path to it
//! (`services.app.command.0`): read by the rules on undefined and placeholder
//! variables, found once per project ([`crate::analysis::Analysis::tree_uses`]).

use crate::parse::interpolate::VarUse;
use crate::parse::yaml::{Kind, NodeRef};

/// Bound on the depth of the walk (the YAML parser bounds it already).
const MAX_DEPTH: usize = 200;

/// A variable use of the merged tree and where it sits (`services.app.command`).
pub struct PlacedUse<'a> {
    pub use_: &'a VarUse,
    pub path: Vec<Step<'a>>,
}

/// One step of a path into the tree: a mapping key or a sequence index. Kept
/// borrowed, so that walking a big tree allocates only for the uses it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Step<'_> {
    /// Whether this step is the mapping key `key`.
    pub fn is(&self, key: &str) -> bool {
        matches!(self, Step::Key(k) if *k == key)
    }
}

/// A path as messages and fingerprints show it: `services.app.command.0`.
pub fn dotted(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for (i, step) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match step {
            Step::Key(k) => out.push_str(k),
            Step::Index(n) => out.push_str(&n.to_string()),
        }
    }
    out
}

/// Every variable use in the merged tree, with its path.
pub fn tree_uses(tree: NodeRef<'_>) -> Vec<PlacedUse<'_>> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(tree, &mut path, &mut out, 0);
    out
}

fn walk<'a>(n: NodeRef<'a>, path: &mut Vec<Step<'a>>, out: &mut Vec<PlacedUse<'a>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match n.kind() {
        Kind::Map(entries) => {
            for (k, v) in entries.iter() {
                // Only a collection or a scalar with a `${...}` adds to `out`.
                if !may_hold_uses(v) {
                    continue;
                }
                path.push(Step::Key(k.as_str().unwrap_or("?")));
                walk(v, path, out, depth + 1);
                path.pop();
            }
        }
        Kind::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                if !may_hold_uses(v) {
                    continue;
                }
                path.push(Step::Index(i));
                walk(v, path, out, depth + 1);
                path.pop();
            }
        }
        Kind::Scalar(_) => {
            for u in n.vars() {
                out.push(PlacedUse {
                    use_: u,
                    path: path.clone(),
                });
            }
        }
        Kind::Null => {}
    }
}

/// Whether walking `n` can find a use: a collection, or a scalar with one.
fn may_hold_uses(n: NodeRef<'_>) -> bool {
    match n.kind() {
        Kind::Map(_) | Kind::Seq(_) => true,
        Kind::Scalar(_) => !n.vars().is_empty(),
        Kind::Null => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::Analysis;
    use crate::compose::stack::project_of_text;

    /// Each use is found once, at the path messages show, in a mapping, a list and
    /// a nested mapping; a value without `${` adds nothing.
    #[test]
    fn uses_are_found_with_their_paths() {
        let p = project_of_text(
            "services:\n  app:\n    image: \"nginx:${TAG:-1}\"\n    command: [run, \"${MODE}\"]\n    \
             environment:\n      LEVEL: ${LEVEL}\n      PLAIN: x\n",
        );
        let a = Analysis::of(&p);
        let mut found: Vec<(String, String)> = a
            .tree_uses()
            .iter()
            .map(|u| (u.use_.name.to_string(), super::dotted(&u.path)))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("LEVEL", "services.app.environment.LEVEL"),
                ("MODE", "services.app.command.1"),
                ("TAG", "services.app.image"),
            ]
            .map(|(n, p)| (n.to_string(), p.to_string()))
        );
    }
}
