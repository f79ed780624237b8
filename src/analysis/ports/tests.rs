use super::server::Found;
use super::*;
use crate::parse::shell::{self, Text};
use crate::source::FileId;

fn t(s: &str) -> Text {
    Text::exact(s, Span::new(FileId(0), 0, s.len()), 0)
}

fn ports_of(cmd: &str) -> Vec<Found> {
    let env = RuntimeEnv::default();
    shell::invocations(&t(cmd))
        .iter()
        .filter_map(|i| server::parse(i, &env))
        .flat_map(|i| i.found)
        .collect()
}

fn port_list(cmd: &str) -> Vec<u16> {
    ports_of(cmd)
        .into_iter()
        .filter_map(|f| match f {
            Found::Port(p, _) => Some(p),
            Found::Unknown(..) => None,
        })
        .collect()
}

fn span_text(cmd: &str) -> Vec<String> {
    ports_of(cmd)
        .into_iter()
        .map(|f| match f {
            Found::Port(_, s) | Found::Unknown(_, s) => cmd[s.range()].to_string(),
        })
        .collect()
}

#[test]
fn splits_like_a_shell() {
    let cmds = shell::split(&t(
        "FOO=1 gunicorn -b '0.0.0.0:5000' \"app:app\" 2>&1 >/dev/null && echo ok; x & y",
    ));
    let words: Vec<Vec<String>> = cmds
        .iter()
        .map(|c| c.words.iter().map(|w| w.s.to_string()).collect())
        .collect();
    assert_eq!(
        words,
        vec![
            vec!["FOO=1", "gunicorn", "-b", "0.0.0.0:5000", "app:app"],
            vec!["echo", "ok"],
            vec!["x"],
            vec!["y"]
        ]
    );
    assert!(cmds[2].background && !cmds[0].background);
    let w = shell::split(&t("echo x > /etc/nginx/conf.d/default.conf"));
    assert!(w[0].writes_file);
    assert_eq!(w[0].words.len(), 2);
    // A quoted word keeps the positions of its characters.
    let src = "gunicorn -b '0.0.0.0:5000'";
    let c = shell::split(&t(src));
    let word = &c[0].words[2];
    let s = word.span(8, 12);
    assert_eq!(&src[s.range()], "5000");
}

#[test]
fn wrappers_are_seen_through() {
    let progs = |s: &str| -> Vec<String> {
        shell::invocations(&t(s))
            .into_iter()
            .map(|i| i.prog.to_string())
            .collect()
    };
    assert_eq!(progs("exec gosu app tini -- gunicorn app"), ["gunicorn"]);
    assert_eq!(
        progs("sh -c \"python manage.py migrate && exec python -m uvicorn main:app\""),
        ["manage.py", "uvicorn"]
    );
    assert_eq!(
        progs("/bin/bash -ec 'poetry run hypercorn app'"),
        ["hypercorn"]
    );
    assert_eq!(
        progs("./wait-for-it.sh db:5432 -- npx next start -p 3000"),
        ["next"]
    );
    assert_eq!(progs("node node_modules/.bin/next start"), ["next"]);
    assert_eq!(progs("node server.js --port 3000"), ["node"]);
    assert_eq!(progs("python3 -u app.py"), ["app.py"]);
}

#[test]
fn server_flags() {
    assert_eq!(port_list("gunicorn -b 0.0.0.0:5000 app:app"), [5000]);
    assert_eq!(
        port_list("gunicorn --bind=[::]:8001 --bind unix:/tmp/s app"),
        [8001]
    );
    assert_eq!(span_text("gunicorn -b 0.0.0.0:5000 app:app"), ["5000"]);
    assert_eq!(
        port_list("uvicorn main:app --host 0.0.0.0 --port 8080"),
        [8080]
    );
    assert_eq!(port_list("uvicorn main:app --port=8081"), [8081]);
    assert_eq!(port_list("hypercorn -b 0.0.0.0:9000 app:app"), [9000]);
    assert_eq!(port_list("flask run --host 0.0.0.0 -p 5001"), [5001]);
    assert_eq!(port_list("python -m flask run --port=5002"), [5002]);
    assert_eq!(port_list("python manage.py runserver 0.0.0.0:8002"), [8002]);
    assert_eq!(port_list("python manage.py runserver 8003"), [8003]);
    assert_eq!(port_list("python -m http.server 8004"), [8004]);
    assert_eq!(port_list("python3 -m http.server --bind 0.0.0.0"), [8000]);
    assert_eq!(port_list("php -S 0.0.0.0:8005 -t public"), [8005]);
    assert_eq!(
        port_list("php artisan serve --host=0.0.0.0 --port=8006"),
        [8006]
    );
    assert_eq!(port_list("bundle exec rails s -p 3001 -b 0.0.0.0"), [3001]);
    assert_eq!(port_list("puma -b tcp://0.0.0.0:3002"), [3002]);
    assert_eq!(port_list("npx next start -p 3003"), [3003]);
    assert_eq!(port_list("vite preview --port 4173 --host"), [4173]);
    assert_eq!(port_list("serve -s build -l 3004"), [3004]);
    assert_eq!(
        port_list("redis-server --port 6380 --appendonly yes"),
        [6380]
    );
    assert_eq!(port_list("postgres -c port=5433"), [5433]);
    assert_eq!(port_list("postgres -p 5434"), [5434]);
    assert_eq!(port_list("mysqld --port=3307"), [3307]);
    assert_eq!(port_list("mongod --port 27018 --bind_ip_all"), [27018]);
    assert_eq!(port_list("memcached -p 11212"), [11212]);
    assert_eq!(
        port_list("traefik --entrypoints.web.address=:8081 --entryPoints.dns.address=:53/udp"),
        [8081]
    );
    assert_eq!(port_list("java -Dserver.port=8082 -jar app.jar"), [8082]);
    // Not recognizably a server: node's own flags, npm scripts, unknown scripts.
    assert!(port_list("node server.js --port 3000").is_empty());
    assert!(port_list("npm run dev -- --port 3000").is_empty());
    assert!(port_list("next build").is_empty());
    // A port from a variable the container does not define is unknown.
    assert!(matches!(
        ports_of("uvicorn app --port $PORT")[..],
        [Found::Unknown(..)]
    ));
}

/// A few variables are looked through, many searched by halves: each way finds
/// every name set, and none that is not (a prefix, a longer name, another case).
#[test]
fn a_variable_is_found_among_few_and_among_many() {
    let at = |n: usize| Span::new(FileId(0), n, n + 1);
    for count in [0, 1, 5, 16, 17, 40] {
        let mut settings = Settings::default();
        for i in (0..count).rev() {
            settings.set(format!("VAR_{i}"), Some(i.to_string().into()), at(i));
        }
        let env = settings.finish();
        for i in 0..count {
            let value = i.to_string();
            assert_eq!(
                env.get(&format!("VAR_{i}")),
                Some((Some(value.as_str()), at(i)))
            );
        }
        for absent in ["VAR_", "VAR_1000", "var_1", "", "VAR_0 "] {
            assert_eq!(env.get(absent), None, "{count} variables: {absent:?}");
        }
    }
}

#[test]
fn runtime_variables_resolve_from_the_environment() {
    let mut settings = Settings::default();
    let at = |n: usize| Span::new(FileId(0), n, n + 1);
    // The `environment` entry comes after the env file's: the later setting wins,
    // whatever the names set between them.
    settings.set("PORT", Some("4000".into()), at(1));
    settings.set("A", None, at(2));
    settings.set("ZED", Some("1".into()), at(3));
    settings.set("PORT", Some("5000".into()), at(4));
    settings.set("B", Some("2".into()), at(5));
    settings.set("A", Some("3".into()), at(6));
    let env = settings.finish();
    assert_eq!(
        env.names().collect::<Vec<_>>(),
        ["A", "B", "PORT", "ZED"],
        "each name once, in order"
    );
    assert_eq!(env.get("PORT"), Some((Some("5000"), at(4))));
    assert_eq!(env.get("A"), Some((Some("3"), at(6))));
    assert_eq!(env.get("ZED"), Some((Some("1"), at(3))));
    assert_eq!(env.get("PORTS"), None);
    assert_eq!(
        env.known().collect::<Vec<_>>(),
        [("A", "3"), ("B", "2"), ("PORT", "5000"), ("ZED", "1")]
    );
    // Many settings of a few names, taking turns: the last of each still wins.
    let mut many = Settings::default();
    for i in 0..200 {
        many.set(["X", "Y", "Z"][i % 3], Some(i.to_string().into()), at(i));
    }
    let many = many.finish();
    for (k, i) in [("X", 198), ("Y", 199), ("Z", 197)] {
        assert_eq!(
            many.get(k),
            Some((Some(i.to_string().as_str()), at(i))),
            "{k}"
        );
    }
    let inv = shell::invocations(&t("gunicorn -b 0.0.0.0:${PORT:-8000} app"));
    let info = server::parse(&inv[0], &env).unwrap();
    assert!(matches!(info.found[..], [Found::Port(5000, _)]));
    assert_eq!(env.resolve("$PORT"), Some(5000));
    assert_eq!(env.resolve("${NOPE}"), None);
}

#[test]
fn interpolated_values_map_to_their_source() {
    use crate::parse::interpolate::{Op, VarUse};
    use crate::parse::yaml::{Node, Style};
    use crate::source::{FileKind, SourceFile, Sources};
    let src = "x: \"http://localhost:${PORT:-8000}/h $$HOME\"\n";
    let mut sources = Sources::new();
    let id = sources.add(SourceFile::new("c.yaml", FileKind::Compose, src.into()));
    let start = src.find('"').unwrap_or(0);
    let end = src.rfind('"').unwrap_or(0) + 1;
    let expr = src.find("${").unwrap_or(0);
    let use_ = |op, defined| VarUse {
        name: "PORT".into(),
        op,
        range: expr - start - 1..expr - start - 1 + "${PORT:-8000}".len(),
        span: Some(Span::new(id, expr, expr + "${PORT:-8000}".len())),
        defined,
        source: None,
    };
    let node = |value: &str, u: VarUse| {
        let mut n = Node::scalar(Span::new(id, start, end), value, Style::DoubleQuoted);
        n.set_vars(vec![u]);
        n
    };
    let n = node(
        "http://localhost:8000/h $HOME",
        use_(Op::Default { colon: true }, false),
    );
    let t = Text::from_node(n.read(), &sources);
    let at = t.s.find("8000").unwrap_or(0);
    let s = t.span(at, at + 4);
    assert_eq!(&src[s.range()], "${PORT:-8000}");
    assert!(!t.tainted(at, at + 4));
    // Literal text keeps its own position, `$$` maps to its first `$`.
    let h = t.s.find("/h").unwrap_or(0);
    let s = t.span(h, h + 2);
    assert_eq!(&src[s.range()], "/h");
    let d = t.s.find('$').unwrap_or(0);
    let s = t.span(d, t.s.len());
    assert_eq!(&src[s.range()], "$$HOME");
    // `${PORT:+9000}` may leave anything: tainted.
    let n = node(
        "http://localhost:9000/h $HOME",
        use_(Op::Alternative { colon: true }, true),
    );
    let t = Text::from_node(n.read(), &sources);
    let at = t.s.find("9000").unwrap_or(0);
    assert!(t.tainted(at, at + 4));
}

#[test]
fn image_names() {
    let name = |s: &str| product_for_image(s).map(|p| p.name.as_str());
    assert_eq!(name("postgres:16-alpine"), Some("postgres"));
    assert_eq!(name("docker.io/library/redis:7@sha256:abc"), Some("redis"));
    assert_eq!(name("public.ecr.aws/docker/library/mysql:8"), Some("mysql"));
    assert_eq!(name("quay.io/minio/minio:latest"), Some("minio"));
    assert_eq!(
        name("docker.elastic.co/elasticsearch/elasticsearch:8.15.0"),
        Some("elasticsearch")
    );
    assert_eq!(name("localhost:5000/nginx"), Some("nginx"));
    assert_eq!(
        name("nginxinc/nginx-unprivileged:alpine"),
        Some("nginx-unprivileged")
    );
    assert_eq!(name("myorg/postgres-backup"), None);
    assert_eq!(name("ghcr.io/foo/postgres"), None);
    assert_eq!(name("prometheuscommunity/postgres-exporter"), None);
    assert_eq!(name("/postgres:16"), None);
}

#[test]
fn addresses() {
    let port = |s: &str| {
        let x = t(s);
        shell::split_addr(&x, 0, s.len())
            .and_then(|(_, p)| p)
            .map(|(a, b)| s[a..b].to_string())
    };
    assert_eq!(port("0.0.0.0:5000").as_deref(), Some("5000"));
    assert_eq!(port("[::]:80").as_deref(), Some("80"));
    assert_eq!(port("tcp://0.0.0.0:3000/x").as_deref(), Some("3000"));
    assert_eq!(
        port("0.0.0.0:${PORT:-8000}").as_deref(),
        Some("${PORT:-8000}")
    );
    assert_eq!(port("localhost").as_deref(), None);
    assert_eq!(shell::split_addr(&t("unix:/tmp/x"), 0, 11), None);
    assert!(matches!(
        listen_port(&t("[::]:8080")),
        Some(Ok((8080, 8080, _)))
    ));
    assert!(matches!(
        listen_port(&t("127.0.0.1")),
        Some(Ok((80, 80, _)))
    ));
    assert!(matches!(listen_port(&t("443")), Some(Ok((443, 443, _)))));
    assert!(matches!(listen_port(&t("${PORT}")), Some(Err(()))));
}

/// Dropping repeated evidence keeps what a set of the items seen keeps, in the
/// same order, below and above the length where it changes method.
#[test]
fn repeated_evidence_is_dropped_in_order() {
    let kinds = [EvidenceKind::Ports, EvidenceKind::Command];
    let spans = [
        None,
        Some(Span::new(FileId(0), 1, 4)),
        Some(Span::new(FileId(1), 1, 4)),
    ];
    let mut seed: u32 = 7;
    let mut next = |n: u32| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        ((seed >> 16) % n) as usize
    };
    for len in 0..48 {
        let v: Vec<PortEvidence> = (0..len)
            .map(|_| PortEvidence {
                port: 8000 + next(4) as u16,
                kind: kinds[next(2)],
                span: spans[next(3)],
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut want = v.clone();
        want.retain(|e| seen.insert((e.port, e.kind, e.span)));
        let mut got = v;
        dedup_evidence(&mut got);
        assert_eq!(got, want, "{len}");
    }
}

/// `<SERVICE>_PORT` is recognised exactly when it is the name built from the
/// service's (upper case, `-` and `.` as `_`).
#[test]
fn own_port_variables() {
    let names = ["api", "my-app", "my.app", "My_App", "web2", "ünï", "a"];
    let vars = [
        "API_PORT",
        "MY_APP_PORT",
        "my_app_PORT",
        "MY-APP_PORT",
        "WEB2_PORT",
        "ÜNÏ_PORT",
        "üNÏ_PORT",
        "A_PORT",
        "_PORT",
        "API_PORTS",
        "APIPORT",
        "PORT",
    ];
    for name in names {
        let built = format!(
            "{}_PORT",
            name.to_ascii_uppercase().replace(['-', '.'], "_")
        );
        for var in vars.iter().copied().chain([built.as_str()]) {
            assert_eq!(is_own_port_var(var, name), var == built, "{var} of {name}");
        }
    }
}

/// A service's own `<SERVICE>_PORT` is read as its port; another service's is not.
#[test]
fn the_own_port_variable_is_evidence() {
    let p = crate::compose::stack::project_of_text(
        "services:\n  my-app:\n    image: python\n    environment:\n      MY_APP_PORT: \"9000\"\n      DB_PORT: \"5432\"\n",
    );
    let Some(svc) = p.model.services.first() else {
        panic!("the service is read");
    };
    let l = listening(&p, svc);
    let env: Vec<u16> = l
        .evidence
        .iter()
        .filter(|e| e.kind == EvidenceKind::Environment)
        .map(|e| e.port)
        .collect();
    assert_eq!(env, [9000]);
}
