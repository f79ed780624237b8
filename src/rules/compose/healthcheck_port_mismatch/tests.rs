use super::*;
use crate::parse::shell::Text;
use crate::source::FileId;

fn t(s: &str) -> Text {
    Text::exact(s, Span::new(FileId(0), 0, s.len()), 0)
}

/// (host, port, text of the span) of each probe of a shell test.
fn probes(test: &str) -> Vec<(Option<String>, Option<u16>, String)> {
    let env = RuntimeEnv::default();
    CommandSrc::Shell(t(test))
        .invocations()
        .iter()
        .flat_map(|i| probes_of(i, &env))
        .map(|pr| (pr.host, pr.port, test[pr.span.range()].to_string()))
        .collect()
}

fn one(test: &str) -> (Option<String>, Option<u16>, String) {
    let v = probes(test);
    assert_eq!(v.len(), 1, "{test}: {v:?}");
    v.into_iter().next().unwrap_or((None, None, String::new()))
}

fn lh(port: u16, text: &str) -> (Option<String>, Option<u16>, String) {
    (Some("localhost".into()), Some(port), text.into())
}

#[test]
fn urls_of_curl_and_wget() {
    assert_eq!(
        one("curl -f http://localhost:8000/health"),
        lh(8000, "8000")
    );
    assert_eq!(
        one("curl -fsS -o /dev/null -w '%{http_code}' localhost:3000/api || exit 1"),
        lh(3000, "3000")
    );
    assert_eq!(
        one("curl -f https://localhost/health"),
        lh(443, "https://localhost")
    );
    assert_eq!(
        one("curl --silent --fail localhost/health"),
        lh(80, "localhost")
    );
    assert_eq!(
        one("curl -H 'Host: example.com' -u admin:1234 http://127.0.0.1:9000/"),
        (Some("127.0.0.1".into()), Some(9000), "9000".into())
    );
    assert!(probes("curl --unix-socket /var/run/app.sock http://localhost/health").is_empty());
    assert!(probes("curl -x http://proxy:3128 http://localhost:8000/").is_empty());
    assert_eq!(
        one("wget -qO- http://127.0.0.1:80/ >/dev/null 2>&1 || exit 1").1,
        Some(80)
    );
    assert_eq!(
        one("wget --no-verbose --tries=1 --spider http://localhost:8123/ping").1,
        Some(8123)
    );
    assert_eq!(one("wget -nv -t1 --spider localhost:3001").1, Some(3001));
    assert_eq!(one("busybox wget -q -O - http://[::1]:8080/").2, "8080");
    // A port from a runtime variable the container does not set: unknown.
    assert_eq!(one("curl -f http://localhost:$PORT/health").1, None);
    // Another host.
    assert_eq!(one("curl -f http://api:8000/").0.as_deref(), Some("api"));
}

#[test]
fn one_liners() {
    assert_eq!(
        one("python -c \"import urllib.request; urllib.request.urlopen('http://localhost:8000/health')\"").1,
        Some(8000)
    );
    assert_eq!(
        one("node -e \"require('http').get('http://127.0.0.1:3000/health', r => process.exit(r.statusCode == 200 ? 0 : 1))\"").1,
        Some(3000)
    );
    assert_eq!(
        one("python3 -c \"import requests; requests.get('http://localhost:' + port)\"").1,
        None
    );
    assert_eq!(
        one("php -r \"exit(file_get_contents('http://localhost:9000/ping') ? 0 : 1);\"").1,
        Some(9000)
    );
    assert!(probes("python /app/healthcheck.py").is_empty());
}

#[test]
fn database_clients() {
    assert_eq!(one("redis-cli -p 6380 ping"), lh(6380, "6380"));
    assert_eq!(
        one("redis-cli -h 127.0.0.1 -a secret -p 6381 ping").1,
        Some(6381)
    );
    assert_eq!(
        one("redis-cli -u redis://:pw@localhost:6382 ping").2,
        "6382"
    );
    // Without a port the client dials its default.
    assert_eq!(one("redis-cli ping"), lh(6379, "redis-cli"));
    assert_eq!(one("pg_isready -U app"), lh(5432, "pg_isready"));
    assert!(probes("redis-cli -s /run/redis.sock ping").is_empty());
    assert_eq!(one("pg_isready -U app -p 5433").1, Some(5433));
    assert_eq!(
        one("pg_isready --host=/var/run/postgresql --port=5434")
            .0
            .as_deref(),
        Some("localhost")
    );
    assert!(probes("pg_isready -d postgresql://u@db:5432/x -p 5432").is_empty());
    assert_eq!(
        one("mysqladmin ping -h 127.0.0.1 -P 3307 -psecret").1,
        Some(3307)
    );
    assert_eq!(one("mysqladmin ping -h127.0.0.1 -P3308").1, Some(3308));
    // `localhost` is the unix socket: the port does not matter.
    assert!(probes("mysqladmin ping -h localhost -P 3307").is_empty());
    assert!(probes("mysqladmin ping -P 3307").is_empty());
    assert_eq!(one("mysqladmin ping --protocol=tcp -P 3309").1, Some(3309));
    assert_eq!(
        one("echo 'db.stats().ok' | mongosh localhost:27018/test --quiet").1,
        Some(27018)
    );
    assert_eq!(
        one("mongosh --port 27019 --eval \"db.adminCommand('ping')\"").1,
        Some(27019)
    );
    assert_eq!(
        one("mongosh --quiet --eval \"db.adminCommand('ping')\""),
        lh(27017, "mongosh")
    );
    assert!(probes("mongosh --host db:27018 --eval 1").is_empty());
    assert_eq!(one("nc -z localhost 81"), lh(81, "81"));
    assert_eq!(one("nc -zv -w 2 127.0.0.1 5432").1, Some(5432));
    assert!(probes("nc -z localhost 80-90").is_empty());
    assert!(probes("nc -l 80").is_empty());
    assert_eq!(one("grpc_health_probe -addr=:50051").1, Some(50051));
}

#[test]
fn exec_form_and_nested_shells() {
    let env = RuntimeEnv::default();
    let words = vec![
        t("sh"),
        t("-c"),
        t("curl -f http://localhost:5000/ || exit 1"),
    ];
    let pr: Vec<Probe> = CommandSrc::Exec(words)
        .invocations()
        .iter()
        .flat_map(|i| probes_of(i, &env))
        .collect();
    assert_eq!(pr.len(), 1);
    assert_eq!(pr[0].port, Some(5000));
}

#[test]
fn bash_dev_tcp() {
    let env = RuntimeEnv::default();
    let src = "exec 3<>/dev/tcp/localhost/9000 && echo -e 'GET / HTTP/1.1' >&3";
    let pr = dev_tcp(&CommandSrc::Shell(t(src)), &env);
    assert_eq!(pr.len(), 1);
    assert_eq!(
        (pr[0].host.as_deref(), pr[0].port),
        (Some("localhost"), Some(9000))
    );
    assert_eq!(&src[pr[0].span.start()..pr[0].span.end()], "9000");
    let pr = dev_tcp(
        &CommandSrc::Shell(t("bash -c '</dev/tcp/127.0.0.1/$PORT'")),
        &env,
    );
    assert_eq!(pr[0].port, None);
}

#[test]
fn local_hosts() {
    let own = ["App"];
    for h in [
        "localhost",
        "127.0.0.1",
        "127.0.1.1",
        "0.0.0.0",
        "::1",
        "[::1]",
        "app",
        "LOCALHOST",
    ] {
        assert!(is_local(h, &own), "{h}");
    }
    for h in [
        "api",
        "db",
        "127.0.0",
        "example.com",
        "host.docker.internal",
        "",
    ] {
        assert!(!is_local(h, &own), "{h}");
    }
}

#[test]
fn lists() {
    assert_eq!(runs(&[8000, 8001, 8002, 9000]), ["8000-8002", "9000"]);
    assert_eq!(
        join_and(&["a".into(), "b".into(), "c".into()]),
        "a, b and c"
    );
}

/// The line that names the container is evidence only for a probe through its
/// `container_name` or `hostname`: not for loopback (even set as the hostname),
/// not for the service's own name, not for another host.
#[test]
fn own_name_evidence_is_the_line_that_names_the_container() {
    let p = crate::compose::stack::project_of_text(
        "services:\n  web:\n    image: nginx\n    container_name: web-ctr\n    hostname: localhost\n  \
         api:\n    image: python\n    hostname: api\n",
    );
    let svc = |name: &str| p.model.services.iter().find(|s| s.name.value == name);
    let (Some(web), Some(api)) = (svc("web"), svc("api")) else {
        panic!("both services are read");
    };
    let probe = |host: &str| Probe {
        host: Some(host.into()),
        port: Some(80),
        span: Span::new(FileId(0), 0, 0),
        implied: None,
        flag: None,
    };
    let Some((span, text)) = own_name_evidence(web, &probe("WEB-CTR")) else {
        panic!("a probe by container_name names it");
    };
    assert_eq!(p.sources.get(span.file).slice(&span), "web-ctr");
    assert_eq!(
        text,
        "`web-ctr` is the `container_name` of `web`, so the probe reaches `web` itself"
    );
    for (svc, host) in [
        (web, "localhost"),
        (web, "[::1]"),
        (web, "web"),
        (web, "db"),
        (api, "api"),
    ] {
        assert!(own_name_evidence(svc, &probe(host)).is_none(), "{host}");
    }
}
