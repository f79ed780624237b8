//! What stacklint knows about the world, as data: `images.toml`, embedded in the
//! binary and read once. This is the only place that names images; rules and
//! analyses ask through the functions here.
//!
//! Depends on nothing but image-reference parsing, so loading may consult it too
//! (which services are NGINX proxies).

use std::sync::LazyLock;

use foldhash::HashMap;

use serde::Deserialize;

use crate::image::ImageRef;

/// A well-known product, and the images that run it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    /// `postgres`, `redis`, `nginx`.
    pub name: String,
    /// What it is, for messages (`a database`); `None` for a product that serves
    /// people or proxies (nginx, grafana).
    pub kind: Option<String>,
    /// Image paths (registry, `library/` and tag removed); `ns/*` is any image of
    /// the namespace.
    pub images: Vec<String>,
    /// Last path segments that name the product under any namespace (a mirror,
    /// `bitnami/`, a team's registry): `postgresql` in `bitnami/postgresql`.
    pub names: Vec<String>,
    /// Ports that serve people (a management UI), not data.
    #[serde(default)]
    pub ui_ports: Vec<u16>,
    #[serde(default)]
    pub ui_ports_source: Option<String>,
    /// Where the fact comes from.
    pub source: String,
}

/// An official image that ships without a HEALTHCHECK.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoHealthcheck {
    pub image: String,
    pub source: String,
}

/// How a product's port variable is written.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarForm {
    /// `PGPORT=5433`
    Port,
    /// `MINIO_CONSOLE_ADDRESS=:9001`
    Addr,
}

/// Which commands the image's entrypoint hands to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgsOnly {
    /// Any command is a program.
    No,
    /// A command whose first word starts with `-` is passed to the server.
    Flags,
    /// Every command is passed to the server unless it starts with the server itself.
    Always,
}

/// A variable that sets a port.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortVar {
    pub name: String,
    pub form: VarForm,
}

/// How a product's server chooses its ports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortProduct {
    pub name: String,
    /// Image paths without registry, `library/` and tag (`postgres`, `bitnami/redis`).
    pub images: Vec<String>,
    /// Documented ports; the first is the one a port flag or variable replaces.
    pub ports: Vec<u16>,
    /// Programs that are this product's server, as `analysis::ports::server` names them.
    pub servers: Vec<String>,
    /// The image's entrypoint runs the server with a command that is only flags
    /// (`command: ["--appendonly", "yes"]`), or with any command that is not a
    /// program (`server /data` for MinIO).
    pub args_only: ArgsOnly,
    /// Variables that set the main port (`*` matches any text).
    #[serde(default)]
    pub vars: Vec<PortVar>,
    /// Variables that add ports.
    #[serde(default)]
    pub extra_vars: Vec<PortVar>,
    /// Files the server reads by itself in which a port may be set; a mount there
    /// makes the port unknown unless a flag or variable sets it.
    #[serde(default)]
    pub config_paths: Vec<String>,
    /// A port the product picks at random unless this flag sets it.
    pub random_unless: Option<String>,
    /// The image ships `/etc/nginx/conf.d/default.conf` (the official layout).
    #[serde(default)]
    pub nginx_default_conf: bool,
    pub source: String,
}

/// Which NGINX distribution an image is: it decides where the main config lives
/// and what the image's own main config includes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NginxFlavor {
    /// The official image (and nginxinc/*): /etc/nginx, conf.d, templates.
    Official,
    /// openresty/*: its nginx.conf lives under /usr/local/openresty and includes conf.d.
    OpenResty,
    /// bitnami/nginx: /opt/bitnami/nginx/conf, server_blocks.
    Bitnami,
}

/// An NGINX image that is not laid out like the official one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavorRule {
    /// Matched as a substring of the lower-cased image reference.
    pub contains: String,
    pub flavor: NginxFlavor,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knowledge {
    pub product: Vec<Known>,
    pub no_healthcheck: Vec<NoHealthcheck>,
    pub ports: Vec<PortProduct>,
    pub nginx_flavor: Vec<FlavorRule>,
    pub socket_proxy: Vec<SocketProxy>,
    pub runs_as_root: Vec<RunsAsRoot>,
    pub image_tools: Vec<ImageTools>,
}

/// Programs an image is known not to ship.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageTools {
    pub image: String,
    #[serde(default)]
    pub variant: Option<String>,
    /// The entry holds for every tag without this part, and for no tag at all
    /// (`latest`); not for a tag stacklint cannot read.
    #[serde(default)]
    pub except_variant: Option<String>,
    pub lacks: Vec<String>,
    /// A probe the image does ship, for the finding's help.
    #[serde(default)]
    pub probe_with: Option<String>,
    pub source: String,
}

/// An official image whose main process runs as root unless `user:` is set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsAsRoot {
    pub image: String,
    pub source: String,
}

/// An image made to hold the Docker socket and filter the API calls through it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocketProxy {
    pub image: String,
    pub source: String,
}

/// The embedded data, parsed on first use: `images.toml` as JSON (build.rs
/// writes it; reading it takes a tenth of the TOML's instructions). It ships
/// inside the binary and a unit test parses it, so a failure here is a build
/// defect, not bad input.
static DATA: LazyLock<Knowledge> =
    LazyLock::new(|| serde_json::from_str(EMBEDDED).expect("src/knowledge/images.toml is valid"));

/// `images.toml`, as build.rs wrote it in JSON.
const EMBEDDED: &str = include_str!(concat!(env!("OUT_DIR"), "/images.json"));

/// Every fact, for tests and listings.
pub fn all() -> &'static Knowledge {
    &DATA
}

/// Where [`known`] looks a product up: the first product, in the file's order,
/// of each image path, namespace (`ns/*`) and name. Built once: `known` is asked
/// for each service several times, and searching every product's images each
/// time was 1% of a large stack's run.
struct KnownIndex<'a> {
    path: HashMap<&'a str, usize>,
    namespace: HashMap<&'a str, usize>,
    name: HashMap<&'a str, usize>,
}

impl<'a> KnownIndex<'a> {
    fn of(products: &'a [Known]) -> KnownIndex<'a> {
        let mut ix = KnownIndex {
            path: HashMap::default(),
            namespace: HashMap::default(),
            name: HashMap::default(),
        };
        for (at, k) in products.iter().enumerate() {
            for i in &k.images {
                let table = match i.strip_suffix("/*") {
                    Some(ns) => ix.namespace.entry(ns),
                    None => ix.path.entry(i.as_str()),
                };
                table.or_insert(at);
            }
            for n in &k.names {
                ix.name.entry(n.as_str()).or_insert(at);
            }
        }
        ix
    }

    /// The place of `image`'s product: the first product with the image's path
    /// or namespace among its images, else the first with its name.
    fn find(&self, image: &ImageRef) -> Option<usize> {
        let by_path = self.path.get(image.path.as_str());
        let by_namespace = self.namespace.get(image.namespace());
        let exact = match (by_path, by_namespace) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        exact.or_else(|| self.name.get(image.name())).copied()
    }
}

static KNOWN: LazyLock<KnownIndex<'static>> = LazyLock::new(|| KnownIndex::of(&DATA.product));

/// The product an image runs, if it is clearly one.
pub fn known(image: &ImageRef) -> Option<&'static Known> {
    DATA.product.get(KNOWN.find(image)?)
}

/// [`known`] for an image reference as written.
pub fn known_image(image: &str) -> Option<&'static Known> {
    known(&parse_ref(image)?)
}

/// The port behaviour of the product whose images include `path`, exactly.
pub fn port_product(path: &str) -> Option<&'static PortProduct> {
    DATA.ports
        .iter()
        .find(|p| p.images.iter().any(|i| i == path))
}

/// The NGINX distribution of an image (the official layout unless known otherwise).
pub fn nginx_flavor(image: &str) -> NginxFlavor {
    let lower = image.to_ascii_lowercase();
    DATA.nginx_flavor
        .iter()
        .find(|f| lower.contains(f.contains.as_str()))
        .map_or(NginxFlavor::Official, |f| f.flavor)
}

/// Is this image an NGINX (official, nginxinc, openresty, bitnami)?
pub fn is_nginx(image: &ImageRef) -> bool {
    known(image).is_some_and(|k| k.name == "nginx")
}

/// Does the official image at `path` (`postgres`) ship without a HEALTHCHECK?
pub fn ships_without_healthcheck(path: &str) -> bool {
    DATA.no_healthcheck.iter().any(|n| n.image == path)
}

/// Is the image at `path` (`tecnativa/docker-socket-proxy`) a Docker socket proxy?
pub fn is_socket_proxy(path: &str) -> bool {
    DATA.socket_proxy.iter().any(|s| s.image == path)
}

/// Does the image at `path` (`python`) run its main process as root by default?
pub fn runs_as_root(path: &str) -> bool {
    DATA.runs_as_root.iter().any(|r| r.image == path)
}

/// The programs an image (its path and tag) is known not to ship, when known.
pub fn lacks(image: &ImageRef, tag: Option<&str>) -> Option<&'static ImageTools> {
    // `alpine` or `alpine3.20` as a dash-separated part of the tag.
    let has_part = |tag: &str, v: &str| {
        tag.to_ascii_lowercase().split('-').any(|part| {
            part == v
                || part
                    .strip_prefix(v)
                    .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
        })
    };
    DATA.image_tools.iter().find(|t| {
        let path_hit = match t.image.strip_suffix("/*") {
            Some(ns) => image.namespace() == ns,
            None => t.image == image.path,
        };
        // The tag is read only for the image's own entries (it is lowercased).
        if !path_hit {
            return false;
        }
        let variant_hit = match &t.variant {
            None => true,
            Some(v) => tag.is_some_and(|tag| has_part(tag, v)),
        };
        let except_hit = match (&t.except_variant, tag) {
            (None, _) => true,
            (Some(_), None) => true,
            (Some(v), Some(tag)) => {
                let readable = !tag.is_empty()
                    && tag
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
                readable && !has_part(tag, v)
            }
        };
        variant_hit && except_hit
    })
}

/// Is `port` one of `product`'s ports that serve people (a management UI)?
pub fn is_ui_port(product: &str, port: u16) -> bool {
    DATA.product
        .iter()
        .any(|k| k.name == product && k.ui_ports.contains(&port))
}

/// A reference whose tag or digest is left unknown by a variable
/// (`postgres:${PG_VERSION}`) still names its image; one whose name is not is `None`.
pub fn parse_ref(s: &str) -> Option<ImageRef> {
    if !s.contains('$') {
        return ImageRef::parse(s);
    }
    let s = s.trim();
    let name = s.split('@').next().unwrap_or(s);
    let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    let name = match name[last_slash..].find(':') {
        Some(i) => &name[..last_slash + i],
        None => name,
    };
    ImageRef::parse(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where products overlap (none of images.toml's do today), the first in
    /// order wins, whether by exact path, by namespace or by name.
    #[test]
    fn the_first_overlapping_product_wins() {
        let products = |text: &str| -> Vec<Known> {
            #[derive(Deserialize)]
            struct File {
                product: Vec<Known>,
            }
            toml::from_str::<File>(text)
                .map(|f| f.product)
                .unwrap_or_default()
        };
        let p = |name: &str, images: &str, names: &str| {
            format!("[[product]]\nname = \"{name}\"\nimages = [{images}]\nnames = [{names}]\nsource = \"test\"\n")
        };
        let cases = [
            // (products, image, the product found)
            (
                p("exact", "\"x/y\"", "") + &p("ns", "\"x/*\"", ""),
                "x/y",
                Some("exact"),
            ),
            (
                p("ns", "\"x/*\"", "") + &p("exact", "\"x/y\"", ""),
                "x/y",
                Some("ns"),
            ),
            (
                p("a", "\"x/y\"", "") + &p("b", "\"x/y\"", ""),
                "x/y",
                Some("a"),
            ),
            (
                p("a", "\"x/*\"", "") + &p("b", "\"x/*\"", ""),
                "x/z",
                Some("a"),
            ),
            (
                p("n1", "", "\"y\"") + &p("n2", "", "\"y\""),
                "other/y",
                Some("n1"),
            ),
            (
                p("n", "", "\"y\"") + &p("e", "\"x/y\"", ""),
                "x/y",
                Some("e"),
            ),
            (
                p("n", "", "\"y\"") + &p("e", "\"q/y\"", ""),
                "x/y",
                Some("n"),
            ),
            (p("a", "\"x/y\"", "\"z\""), "w/v", None),
        ];
        for (text, image, want) in cases {
            let list = products(&text);
            assert!(!list.is_empty(), "{text}");
            let ix = KnownIndex::of(&list);
            let r = parse_ref(image).expect("a reference");
            let got = ix
                .find(&r)
                .and_then(|at| list.get(at))
                .map(|k| k.name.as_str());
            assert_eq!(got, want, "{image} in\n{text}");
        }
    }

    /// The index finds what searching every product in order finds: for each
    /// image path, namespace and name of the file, under other namespaces and
    /// registries too, and for images of no product.
    #[test]
    fn known_finds_what_a_search_in_order_finds() {
        let search = |image: &ImageRef| -> Option<&'static Known> {
            let exact = DATA.product.iter().find(|k| {
                k.images.iter().any(|i| match i.strip_suffix("/*") {
                    Some(ns) => image.namespace() == ns,
                    None => *i == *image.path,
                })
            });
            exact.or_else(|| {
                DATA.product
                    .iter()
                    .find(|k| k.names.iter().any(|n| n == image.name()))
            })
        };
        let mut written: Vec<String> = vec!["nothing-known".into(), "acme/app".into()];
        for k in &DATA.product {
            for i in k.images.iter().chain(&k.names) {
                let i = i.replace('*', "some-image");
                written.push(i.clone());
                written.push(format!("registry.example.com/{i}:1"));
                written.push(format!("mirror/{i}"));
                written.push(format!("{i}/sub"));
            }
        }
        let mut found = 0;
        for w in &written {
            let Some(r) = parse_ref(w) else { continue };
            let (a, b) = (known(&r), search(&r));
            assert_eq!(a.map(|k| &k.name), b.map(|k| &k.name), "{w}");
            assert!(
                a.is_none_or(|k| b.is_some_and(|b| std::ptr::eq(k, b))),
                "{w}"
            );
            found += usize::from(a.is_some());
        }
        assert!(found > DATA.product.len(), "{found}");
    }

    #[test]
    fn tools_by_variant_and_except_variant() {
        let lacked = |image: &str| {
            let r = parse_ref(image).expect("a reference");
            lacks(&r, crate::image::tag(image)).map(|t| t.lacks.join(","))
        };
        assert_eq!(lacked("postgres:16.4").as_deref(), Some("curl,wget"));
        assert_eq!(lacked("postgres:16-bookworm").as_deref(), Some("curl,wget"));
        assert_eq!(lacked("postgres").as_deref(), Some("curl,wget"));
        assert_eq!(lacked("postgres:16-alpine3.20").as_deref(), Some("curl"));
        assert_eq!(lacked("postgres:alpine").as_deref(), Some("curl"));
        // A tag stacklint cannot read (from a variable) is no tag of the entry.
        assert_eq!(lacked("postgres:${PG}"), None);
        assert_eq!(lacked("python:3.12").as_deref(), None);
        assert_eq!(
            lacked("python:3.12-slim-bookworm").as_deref(),
            Some("curl,wget")
        );
    }

    /// The binary reads the JSON that build.rs wrote: it holds what the TOML says,
    /// fact for fact and in the same order.
    #[test]
    fn the_embedded_json_is_the_toml() {
        let from_toml: Knowledge = toml::from_str(include_str!("images.toml"))
            .unwrap_or_else(|e| panic!("src/knowledge/images.toml: {e}"));
        let shown = |k: &Knowledge| format!("{k:#?}");
        assert_eq!(shown(all()), shown(&from_toml));
        assert!(from_toml.product.len() > 20 && from_toml.image_tools.len() > 1);
    }

    #[test]
    fn the_data_parses_and_every_fact_has_a_source() {
        let k = all();
        assert!(k.product.len() > 20);
        assert!(k.product.iter().all(|p| !p.source.is_empty()));
        assert!(k
            .product
            .iter()
            .all(|p| p.ui_ports.is_empty() || p.ui_ports_source.is_some()));
        assert!(k.no_healthcheck.iter().all(|n| !n.source.is_empty()));
        assert!(k.ports.len() > 20);
        assert!(k
            .ports
            .iter()
            .all(|p| !p.source.is_empty() && !p.ports.is_empty()));
    }

    #[test]
    fn queries() {
        assert!(is_nginx(
            &ImageRef::parse("nginxinc/nginx-unprivileged").unwrap()
        ));
        assert!(!is_nginx(&ImageRef::parse("someone/nginx").unwrap()));
        assert!(ships_without_healthcheck("postgres"));
        assert!(!ships_without_healthcheck("bitnami/postgresql"));
        assert_eq!(
            nginx_flavor("openresty/openresty:alpine"),
            NginxFlavor::OpenResty
        );
        assert_eq!(
            nginx_flavor("docker.io/bitnami/nginx:1.25"),
            NginxFlavor::Bitnami
        );
        assert_eq!(nginx_flavor("nginx:1.27"), NginxFlavor::Official);
        assert!(is_ui_port("rabbitmq", 15672));
        assert!(!is_ui_port("rabbitmq", 5672));
        assert_eq!(
            known_image("bitnami/postgresql:${V}").map(|k| k.name.as_str()),
            Some("postgres")
        );
    }
}
