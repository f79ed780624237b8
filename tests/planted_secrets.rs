//! A stack full of planted secrets, each a distinct token, with findings placed
//! next to them so that every output format renders the lines around them: no
//! format may print a token, nor any 6-character piece of one (a message that
//! quotes a cut excerpt, a snippet wrapped across lines).

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

const COMPOSE: &str = r#"services:
  proxy:
    image: nginx:1.27
    ports:
      - "80:80"
    volumes:
      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro
  app:
    build: ./app
    environment:
      MYSQL_PASS: PLANTED-01-zq
      DB_PASS: PLANTED-02-zq
      SMTP_PASS: PLANTED-03-zq
      ADMIN_PWD: PLANTED-04-zq
      SENTRY_DSN: https://PLANTED-05-zq@o1.ingest.sentry.io/1
      DATABASE_URL: postgres://app:PLANTED-06-zq@db/app
      REDIS_URL: redis://:PLANTED-07-zq@cache:6379
      API_TOKEN: "${API_TOKEN:-PLANTED-08-zq"
      JWT_SECRET: ${JWT_SECRET:?PLANTED-09-zq}
      SESSION_SECRET: "${SESSION_SECRET:?PLANTED-47-zq"
      DB_PASS: duplicate
    depends_on: [db, cache, ghost]
  db:
    image: postgres:16
    environment:
      - POSTGRES_PASSWORD=PLANTED-10-zq
      - PGPASSWORD=PLANTED-11-zq
    ports:
      - "5432:5432"
    healthcheck:
      test: ["CMD-SHELL", "PGPASSWORD=PLANTED-12-zq psql -h localhost -p 5433 -U app -c 'select 1'"]
  cache:
    image: redis:7
    command: redis-server --requirepass PLANTED-13-zq
    ports:
      - "6379:6379"
    healthcheck:
      test: ["CMD", "redis-cli", "-p", "6380", "-a", "PLANTED-14-zq", "ping"]
  cache2:
    image: redis:7
    ports:
      - "6379:6379"
    healthcheck:
      test: redis-cli -p 6381 --pass PLANTED-15-zq ping
  mysql:
    image: mysql:8
    ports:
      - "3306:3306"
    healthcheck:
      test: mysqladmin ping -P 3307 -pPLANTED-16-zq --password=PLANTED-17-zq
  mysql2:
    image: mysql:8
    ports:
      - "3306:3306"
    healthcheck:
      test: mysql -P 3308 --password PLANTED-18-zq -e 'select 1'
  worker:
    build: https://ci:PLANTED-43-zq@git.example.com/repo.git
    environment:
      DB_PASSWORD: ${DB_PASSWORD=PLANTED-46-zq}
"#;

const OVERRIDE: &str = r#"services:
  app:
    environment:
      OPENAI_API_KEY: PLANTED-19-zq
      AWS_SECRET_ACCESS_KEY: PLANTED-20-zq
      OPENAI_API_KEY: again
      UNDEFINED_REF: ${NOPE_NOT_SET}
"#;

const ENV: &str = "POSTGRES_PASSWORD=PLANTED-21-zq
STRIPE_SECRET_KEY=PLANTED-22-zq
BROKEN LINE WITH SPACE PLANTED-23-zq
SENTRY_DSN=https://PLANTED-24-zq@sentry.io/2
MAIL_URL=smtp://mailer:PLANTED-25-zq@mail:25
DB PASSWORD=PLANTED-45-zq
";

const ENV_EXAMPLE: &str = "POSTGRES_PASSWORD=PLANTED-26-zq
ONLY_IN_EXAMPLE_TOKEN=PLANTED-27-zq
";

const NGINX: &str = r#"events {}
http {
  server {
    listen 80;
    set $secret_token PLANTED-28-zq;
    location / {
      proxy_set_header Authorization "Bearer PLANTED-29-zq";
      proxy_pass http://app:8081;
    }
    location /b {
      proxy_set_header Authorization "Basic PLANTED-30-zq";
      proxy_set_header Cookie "session=PLANTED-31-zq";
      proxy_set_header X-Api-Key PLANTED-32-zq;
      proxy_pass http://nowhere:9000;
    }
    location /c {
      add_header X-Api-Key PLANTED-33-zq;
      more_set_headers "Authorization: Bearer PLANTED-34-zq";
      grpc_set_header Authorization "Bearer PLANTED-35-zq";
      proxy_pass http://db:5432;
    } location /d { proxy_pass http://u:PLANTED-44-zq@db:5432; }
  }
}
"#;

const DOCKERFILE: &str = r#"FROM python:3.12
ARG DB_PASSWORD=PLANTED-37-zq
ENV DATABASE_URL=postgres://u:PLANTED-38-zq@db/x
EXPOSE 8080
ENV API_SECRET=PLANTED-36-zq
CMD ["gunicorn", "-b", "0.0.0.0:8080", "app:app"]
"#;

/// A YAML syntax error in the middle: the parser gives up, the snippet still shows
/// the lines around it.
const BROKEN: &str = "services:
  web:
    image: nginx
    environment:
      DATABASE_URL: postgres://u:PLANTED-41-zq@db/x
      AWS_SECRET_ACCESS_KEY: PLANTED-39-zq
      BAD: [unclosed
      OPENAI_API_KEY: PLANTED-40-zq
      - LIST_PASSWORD=PLANTED-42-zq
";

const FILES: [(&str, &str); 7] = [
    ("compose.yaml", COMPOSE),
    ("compose.override.yaml", OVERRIDE),
    (".env", ENV),
    (".env.example", ENV_EXAMPLE),
    ("nginx/nginx.conf", NGINX),
    ("app/Dockerfile", DOCKERFILE),
    ("broken/compose.yaml", BROKEN),
];

/// Every planted token with the file and 1-based line it sits on.
fn planted() -> Vec<(String, &'static str, usize)> {
    let mut out = Vec::new();
    for (path, text) in FILES {
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("PLANTED-") {
                let token: String = rest[i..].chars().take("PLANTED-00-zq".len()).collect();
                assert!(token.ends_with("-zq"), "malformed token in {path}: {line}");
                out.push((token, path, n + 1));
                rest = &rest[i + 1..];
            }
        }
    }
    out
}

/// Every 6-character piece of every token.
fn pieces(tokens: &[(String, &str, usize)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (t, _, _) in tokens {
        let c: Vec<char> = t.chars().collect();
        for w in c.windows(6) {
            out.insert(w.iter().collect());
        }
    }
    out
}

fn run(dir: &std::path::Path, args: &[&str]) -> String {
    let (code, out, err) = common::stacklint_within(Duration::from_secs(60), dir, args);
    assert!(code == 0 || code == 1, "{args:?} exited {code}: {err}");
    format!("{out}\n{err}")
}

/// The source lines the text report shows, by file: (path, line number) → text.
fn shown_lines(report: &str) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut file = String::new();
    for line in report.lines() {
        if let Some(i) = line.find("╭─[") {
            let rest = &line[i + "╭─[".len()..];
            file = rest.split(':').next().unwrap_or_default().to_string();
            continue;
        }
        let Some((num, text)) = line.split_once(" │ ") else {
            continue;
        };
        if let Ok(n) = num.trim().parse::<usize>() {
            out.push((file.clone(), n, text.to_string()));
        }
    }
    out
}

#[test]
fn no_format_prints_a_planted_secret() {
    let dir = common::tree(&FILES);
    let tokens = planted();
    assert_eq!(tokens.len(), 47, "every token is found once");
    let pieces = pieces(&tokens);

    let mut runs: Vec<(String, String)> = Vec::new();
    for format in ["text", "json", "sarif", "github", "gitlab"] {
        let args = [
            ".",
            "--fail-on",
            "never",
            "--format",
            format,
            "--color",
            "never",
        ];
        runs.push((format.to_string(), run(&dir, &args)));
    }
    for format in ["mermaid", "dot", "json"] {
        let args = ["graph", ".", "--format", format];
        runs.push((format!("graph {format}"), run(&dir, &args)));
    }
    for (name, output) in &runs {
        let leaked: Vec<&String> = pieces
            .iter()
            .filter(|p| output.contains(p.as_str()))
            .collect();
        assert!(
            leaked.is_empty(),
            "{name} prints pieces of planted secrets {leaked:?}:\n{output}"
        );
    }

    // The report really shows the lines that hold the secrets (masked): a test that
    // rendered nothing near them would pass for the wrong reason.
    let text = &runs[0].1;
    let shown = shown_lines(text);
    let mut rendered = BTreeSet::new();
    for (token, path, n) in &tokens {
        if let Some((_, _, line)) = shown.iter().find(|(f, l, _)| f == path && l == n) {
            assert!(
                line.contains("***"),
                "{token} ({path}:{n}) shown unmasked: {line}"
            );
            rendered.insert(token.as_str());
        }
    }
    for must in [
        // compose: next to a duplicate key, an invalid interpolation, a SL101, a SL102
        "PLANTED-01-zq",
        "PLANTED-02-zq",
        "PLANTED-05-zq",
        "PLANTED-06-zq",
        "PLANTED-07-zq",
        "PLANTED-08-zq",
        "PLANTED-09-zq",
        "PLANTED-47-zq",
        "PLANTED-10-zq",
        "PLANTED-11-zq",
        "PLANTED-13-zq",
        "PLANTED-14-zq",
        "PLANTED-15-zq",
        "PLANTED-16-zq",
        "PLANTED-17-zq",
        "PLANTED-18-zq",
        "PLANTED-46-zq",
        // the override's duplicate key
        "PLANTED-19-zq",
        "PLANTED-20-zq",
        // .env: a parse error on the line, and the lines of related spans
        "PLANTED-21-zq",
        "PLANTED-22-zq",
        "PLANTED-23-zq",
        "PLANTED-45-zq",
        // .env.example, nginx, Dockerfile, the broken YAML file
        "PLANTED-26-zq",
        "PLANTED-27-zq",
        "PLANTED-29-zq",
        "PLANTED-32-zq",
        "PLANTED-35-zq",
        "PLANTED-44-zq",
        "PLANTED-36-zq",
        "PLANTED-38-zq",
        "PLANTED-39-zq",
        "PLANTED-40-zq",
        "PLANTED-42-zq",
    ] {
        assert!(
            rendered.contains(must),
            "no snippet shows the line of {must}:\n{text}"
        );
    }

    // The messages that used to quote a value are there, without it.
    let json = &runs[1].1;
    for message in [
        "invalid template `${API_TOKEN:-…`",
        "invalid template `${SESSION_SECRET:?…`",
        "invalid template `${DB_PASSWORD=…`",
        "`JWT_SECRET` is not set in .env, and its `?` operator makes compose refuse to start",
    ] {
        assert!(json.contains(message), "no finding says {message}:\n{json}");
    }
}
