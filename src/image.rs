//! Image references (`docker.io/library/redis:7-alpine@sha256:…`): every rule that
//! asks "which product is this image?" reads them the same way.

use compact_str::CompactString;

/// An image reference without its tag and digest, lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// As written, without tag and digest: `registry:5000/acme/db`.
    pub full: CompactString,
    /// Without the registry and Docker Hub's `library/` (or a mirror's
    /// `docker/library/`): `redis`, `bitnami/postgresql`, `mssql/server`.
    pub path: CompactString,
}

impl ImageRef {
    /// `None` when the reference is not a plain, fully known name (empty, an
    /// unresolved `$VAR`, whitespace, an empty path segment).
    pub fn parse(image: &str) -> Option<ImageRef> {
        let name = checked_name(image)?;
        // Lowered in place: `to_ascii_lowercase` copies a long name once more.
        let mut full = CompactString::from(name);
        full.make_ascii_lowercase();
        // Slices of `full`, not a list of its segments: every service's image is
        // read by several rules.
        let mut path = full.as_str();
        if let Some((first, rest)) = path.split_once('/') {
            if first.contains('.') || first.contains(':') || first == "localhost" {
                path = rest;
            }
        }
        // Mirrors of Docker Hub's official images (segments are never empty, so
        // what follows the prefix is at least one segment).
        for prefix in ["docker/library/", "dockerhub/library/"] {
            path = path.strip_prefix(prefix).unwrap_or(path);
        }
        path = path.strip_prefix("library/").unwrap_or(path);
        let path = CompactString::from(path);
        Some(ImageRef { full, path })
    }

    /// The last segment of the path: `postgresql` for `bitnami/postgresql`.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The segments before the last: `bitnami`, `mssql`, or empty.
    pub fn namespace(&self) -> &str {
        self.path.rsplit_once('/').map(|(ns, _)| ns).unwrap_or("")
    }
}

/// The name of `image` (without tag and digest, as written) when [`ImageRef::parse`]
/// reads it, found without a copy: whether a reference is plain is asked of every
/// service's image.
fn checked_name(image: &str) -> Option<&str> {
    let image = image.trim();
    if image.is_empty() || !plain(image) {
        return None;
    }
    let name = image.split('@').next().unwrap_or(image);
    // Drop the tag, keeping a registry port (`host:5000/redis`) intact.
    let name = match name.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => n,
        _ => name,
    };
    // An empty path segment.
    let n = name.as_bytes();
    if n.is_empty() || n[0] == b'/' || n[n.len() - 1] == b'/' || n.windows(2).any(|w| w == b"//") {
        return None;
    }
    Some(name)
}

/// Whether `image` holds no `$` and no whitespace. A byte loop for an ASCII
/// reference (nearly all): a reference is read several times for each service,
/// and `char::is_whitespace` decoded each character.
fn plain(image: &str) -> bool {
    for &b in image.as_bytes() {
        if !b.is_ascii() {
            return !image.contains('$') && !image.contains(char::is_whitespace);
        }
        // The ASCII characters `char::is_whitespace` takes: tab to carriage return, space.
        if b == b'$' || matches!(b, b'\t'..=b'\r' | b' ') {
            return false;
        }
    }
    true
}

/// Whether the name or tag of an image reference as written (its last path
/// segment) comes from a variable (`app:${TAG:-latest}`, `${IMAGE}`): it is
/// then chosen where the stack is deployed, not in the file.
pub fn named_by_variable(written: &str) -> bool {
    // `${IMAGE-docker.io/team/app:latest}`: the expression ends in the last
    // segment even when its `$` is before a `/`.
    written
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('$') || last.contains('}'))
}

/// How an image reference fixes what is pulled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pin<'a> {
    /// No tag and no digest: Docker pulls `latest`.
    Untagged,
    /// A tag and no digest (`latest` included).
    Tag(&'a str),
    /// A digest (`@sha256:…`), with or without a tag.
    Digest,
}

/// The tag of an image reference (`16-alpine` of `postgres:16-alpine@sha256:…`),
/// when it has one.
pub fn tag(image: &str) -> Option<&str> {
    let name = image.trim().split('@').next()?;
    match name.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') && !tag.is_empty() => Some(tag),
        _ => None,
    }
}

/// How `image` is pinned; `None` when it is not a plain, fully known reference
/// (see [`ImageRef::parse`]) or its tag is empty.
pub fn pin(image: &str) -> Option<Pin<'_>> {
    checked_name(image)?;
    let image = image.trim();
    if let Some((_, digest)) = image.split_once('@') {
        return (!digest.is_empty()).then_some(Pin::Digest);
    }
    match image.rsplit_once(':') {
        Some((_, t)) if !t.contains('/') => tag(image).map(Pin::Tag),
        _ => Some(Pin::Untagged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> Option<String> {
        ImageRef::parse(s).map(|i| i.path.into())
    }

    /// `plain` says what the character tests it stands for say, ASCII or not.
    #[test]
    fn plain_is_no_dollar_and_no_whitespace() {
        let mut texts: Vec<String> = [
            "a", "$", "\u{b}", "\u{c}", "\u{1c}", "\u{85}", "\u{a0}", "é", "\u{3000}",
        ]
        .iter()
        .flat_map(|a| {
            ["x", " ", "\t", "\r", "$", "\u{7f}", "\u{2009}"].map(|b| format!("{a}{b}{a}"))
        })
        .collect();
        texts.extend((0u8..128).map(|c| format!("r{}s", char::from(c))));
        for t in &texts {
            let by_char = !t.contains('$') && !t.contains(char::is_whitespace);
            assert_eq!(plain(t), by_char, "{t:?}");
        }
    }

    /// A name with an empty segment is no reference, however it is spelled.
    #[test]
    fn empty_segments() {
        for s in [
            "/redis",
            "redis/",
            "a//b",
            ":7",
            "@sha256:ab",
            "host:5000/",
            "//",
        ] {
            assert_eq!(path(s), None, "{s}");
        }
        assert_eq!(path("host:5000/a/b:1").as_deref(), Some("a/b"));
    }

    #[test]
    fn references() {
        assert_eq!(path("redis").as_deref(), Some("redis"));
        assert_eq!(
            path("docker.io/library/redis:7-alpine@sha256:ab").as_deref(),
            Some("redis")
        );
        assert_eq!(
            path("registry:5000/team/redis:1").as_deref(),
            Some("team/redis")
        );
        assert_eq!(
            path("public.ecr.aws/docker/library/postgres:16").as_deref(),
            Some("postgres")
        );
        assert_eq!(path("quay.io/minio/minio").as_deref(), Some("minio/minio"));
        assert_eq!(path("${IMAGE}"), None);
        assert_eq!(path(""), None);
        assert_eq!(path("a//b"), None);
        let i = ImageRef::parse("mcr.microsoft.com/mssql/server:2022-latest")
            .unwrap_or_else(|| unreachable!());
        assert_eq!((i.namespace(), i.name()), ("mssql", "server"));
        assert_eq!(i.full, "mcr.microsoft.com/mssql/server");
    }

    #[test]
    fn pins() {
        assert_eq!(pin("redis"), Some(Pin::Untagged));
        assert_eq!(pin("registry:5000/team/app"), Some(Pin::Untagged));
        assert_eq!(pin("redis:7"), Some(Pin::Tag("7")));
        assert_eq!(
            pin("registry:5000/team/app:latest"),
            Some(Pin::Tag("latest"))
        );
        assert_eq!(pin("redis@sha256:abc"), Some(Pin::Digest));
        assert_eq!(pin("redis:7@sha256:abc"), Some(Pin::Digest));
        assert_eq!(pin("redis:"), None);
        assert_eq!(pin("redis@"), None);
        assert_eq!(pin("${IMAGE}"), None);
        assert_eq!(pin(""), None);
    }

    #[test]
    fn names_from_variables() {
        assert!(named_by_variable("app:${TAG:-latest}"));
        assert!(named_by_variable("${IMAGE}"));
        assert!(named_by_variable("${IMAGE-docker.io/team/app:latest}"));
        assert!(!named_by_variable("${REGISTRY:-ghcr.io}/team/app:latest"));
        assert!(!named_by_variable("postgres:16"));
    }

    #[test]
    fn tags() {
        assert_eq!(tag("postgres:16-alpine@sha256:abc"), Some("16-alpine"));
        assert_eq!(tag("registry:5000/team/app"), None);
        assert_eq!(tag("redis:"), None);
        assert_eq!(tag("node:22-alpine"), Some("22-alpine"));
    }
}
