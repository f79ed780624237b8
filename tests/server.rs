//! `stacklint server` driven through its stdio with real JSON-RPC messages, as an editor
//! drives it: initialize, didOpen, publishDiagnostics, didChange, a code action, shutdown
//! and exit.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stacklint"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        // `Content-Length: N`, a blank line, N bytes of JSON: one message.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let msg: Value = serde_json::from_slice(&body).expect("a JSON message");
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let msg = self.next();
            if msg["id"] == id {
                return msg;
            }
        }
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers within 30 s")
    }

    /// The next diagnostics published for each of `names` (file names), in one batch.
    fn diagnostics(&self, names: &[&str]) -> Vec<(String, Vec<Value>)> {
        let mut got: Vec<(String, Vec<Value>)> = Vec::new();
        while got.len() < names.len() {
            let msg = self.next();
            if msg["method"] != "textDocument/publishDiagnostics" {
                continue;
            }
            let uri = msg["params"]["uri"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if names.iter().any(|n| uri.ends_with(n)) && !got.iter().any(|(u, _)| *u == uri) {
                let d = msg["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                got.push((uri, d));
            }
        }
        got.sort_by(|a, b| a.0.cmp(&b.0));
        got
    }
}

impl Client {
    /// A server started in the stack `dir` and initialized with it as its root;
    /// the root's URI.
    fn initialized(dir: &Path) -> (Client, String) {
        let root = std::fs::canonicalize(dir).expect("the stack");
        let root_uri = format!("file://{}", root.display());
        let mut client = Client::start(&root);
        client.request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "capabilities": {}}),
        );
        client.notify("initialized", json!({}));
        (client, root_uri)
    }

    /// `shutdown`, then `exit`: the process must end successfully.
    fn stop(mut self) {
        let down = self.request("shutdown", Value::Null);
        assert!(down.get("error").is_none(), "{down}");
        self.notify("exit", Value::Null);
        drop(self.stdin);
        let status = self.child.wait().expect("the server exits");
        assert!(status.success(), "{status:?}");
    }
}

/// The diagnostics published for the file whose URI ends with `name`.
fn of<'a>(published: &'a [(String, Vec<Value>)], name: &str) -> &'a [Value] {
    published
        .iter()
        .find(|(u, _)| u.ends_with(name))
        .map(|(_, d)| d.as_slice())
        .unwrap_or_else(|| panic!("no diagnostics for {name}: {published:#?}"))
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().filter_map(|d| d["code"].as_str()).collect()
}

#[test]
fn the_language_server_lints_the_stack_of_an_edited_file() {
    let dir = common::fixture_copy("proxy-stack-before");
    let root = std::fs::canonicalize(&*dir).expect("the stack");
    let root_uri = format!("file://{}", root.display());
    let compose_uri = format!("{root_uri}/docker-compose.yml");
    let compose_text = std::fs::read_to_string(root.join("docker-compose.yml")).expect("text");

    let mut client = Client::start(&root);
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": root_uri, "capabilities": {},
               "workspaceFolders": [{"uri": root_uri, "name": "stack"}]}),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16", "{init}");
    assert_eq!(caps["textDocumentSync"]["change"], 1, "full sync: {init}");
    assert_eq!(init["result"]["serverInfo"]["name"], "stacklint");
    client.notify("initialized", json!({}));

    // Opening the compose file lints the whole stack: its own findings, and the NGINX
    // config's, whose related information points back into the compose file.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": compose_uri, "languageId": "yaml", "version": 1,
                                "text": compose_text}}),
    );
    let published = client.diagnostics(&["docker-compose.yml", "nginx/default.conf"]);
    let compose = &published[0].1;
    let nginx = &published[1].1;
    assert!(published[0].0.ends_with("docker-compose.yml"));
    for code in ["SL101", "SL108", "SL203"] {
        assert!(codes(compose).contains(&code), "{code}: {compose:#?}");
    }
    assert_eq!(codes(nginx), ["SL201"], "{nginx:#?}");
    let related = nginx[0]["relatedInformation"].as_array().expect("related");
    assert!(
        related
            .iter()
            .any(|r| r["location"]["uri"] == compose_uri.as_str()),
        "{related:#?}"
    );
    // A diagnostic is placed exactly: SL101 on the healthcheck's URL, line 22 (0-based 21).
    let sl101 = compose
        .iter()
        .find(|d| d["code"] == "SL101")
        .expect("SL101");
    assert_eq!(sl101["range"]["start"]["line"], 21);
    assert_eq!(sl101["severity"], 1);
    assert_eq!(sl101["source"], "stacklint");
    assert!(sl101["codeDescription"]["href"]
        .as_str()
        .is_some_and(|h| h.ends_with("rules/healthcheck-port-mismatch.md")));

    // Its fix, as a code action on its range.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": compose_uri}, "range": sl101["range"],
               "context": {"diagnostics": [sl101]}}),
    );
    let actions = actions["result"].as_array().expect("actions").clone();
    let fix = actions
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.contains("SL101")))
        .unwrap_or_else(|| panic!("a fix for SL101: {actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    let edits = fix["edit"]["changes"][compose_uri.as_str()]
        .as_array()
        .expect("edits in the compose file");
    assert_eq!(edits[0]["newText"], "5000", "{edits:#?}");

    // An unsaved edit that fixes the port: linted from the buffer, not from disk.
    let fixed = compose_text.replace("localhost:8000", "localhost:5000");
    assert_ne!(fixed, compose_text);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": compose_uri, "version": 2},
               "contentChanges": [{"text": fixed}]}),
    );
    let published = client.diagnostics(&["docker-compose.yml"]);
    let compose = &published[0].1;
    assert!(!codes(compose).contains(&"SL101"), "{compose:#?}");
    assert!(codes(compose).contains(&"SL203"), "{compose:#?}");

    // Shutdown, then exit: the process ends, successfully.
    client.stop();
}

/// An NGINX config and an `.env` are linted with their stack too; a closed buffer gives
/// way to the file on disk, and files whose findings are gone are cleared.
#[test]
fn nginx_and_env_buffers_relint_their_stack_and_closing_restores_the_disk() {
    let dir = common::tree(&[
        (
            "compose.yaml",
            "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n      - ./default.conf:/etc/nginx/conf.d/default.conf:ro\n  app:\n    image: ${APP_IMAGE}\n",
        ),
        (".env", "APP_IMAGE=registry.example.com/app:1\n"),
        (
            "default.conf",
            "server {\n  listen 80;\n  location / { proxy_pass http://app:8000; }\n}\n",
        ),
    ]);
    let root = std::fs::canonicalize(&*dir).expect("the stack");
    let root_uri = format!("file://{}", root.display());
    let conf_uri = format!("{root_uri}/default.conf");
    let env_uri = format!("{root_uri}/.env");
    // Started elsewhere (a sibling directory): the stack's paths are `../...` from there,
    // and the URIs published must still be the documents' own.
    let elsewhere = common::tree(&[]);
    let mut client = Client::start(&elsewhere);
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": root_uri, "capabilities": {}}),
    );
    client.notify("initialized", json!({}));

    // A broken buffer of the NGINX config: a parse error in it, nothing on disk changed.
    let broken = "server {\n  listen 80;\n  location / { proxy_pass http://app:8000; }\n";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": conf_uri, "languageId": "nginx", "version": 1, "text": broken}}),
    );
    let published = client.diagnostics(&["default.conf", "compose.yaml"]);
    assert!(
        published
            .iter()
            .all(|(u, _)| u.starts_with(&root_uri) && !u.contains("..")),
        "{published:#?}"
    );
    let conf = of(&published, "default.conf");
    assert!(codes(conf).contains(&"SL001"), "{conf:#?}");
    // (And the stack's own problem: nginx resolves `app` only at startup.)
    assert!(codes(conf).contains(&"SL201"), "{conf:#?}");
    // Closed unsaved: the file on disk counts again, and it parses.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": conf_uri}}),
    );
    let published = client.diagnostics(&["default.conf"]);
    let conf = &published[0].1;
    assert!(
        !codes(conf).contains(&"SL001") && codes(conf).contains(&"SL201"),
        "{conf:#?}"
    );

    // The .env loses the variable the compose file needs: the finding is in compose.yaml.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": env_uri, "languageId": "dotenv", "version": 1, "text": "OTHER=1\n"}}),
    );
    let published = client.diagnostics(&["compose.yaml", ".env"]);
    let compose = of(&published, "compose.yaml");
    assert!(codes(compose).contains(&"SL301"), "{compose:#?}");
    // Saved with the variable back: cleared.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": env_uri, "version": 2},
               "contentChanges": [{"text": "APP_IMAGE=registry.example.com/app:1\n"}]}),
    );
    let published = client.diagnostics(&["compose.yaml"]);
    assert!(!codes(&published[0].1).contains(&"SL301"), "{published:#?}");

    client.stop();
}

/// An `.env` that exists only as an unsaved buffer is read as the stack's `.env`.
#[test]
fn an_unsaved_env_buffer_counts_as_the_stacks_env() {
    let dir = common::tree(&[(
        "compose.yaml",
        "services:\n  app:\n    image: ${APP_IMAGE}\n",
    )]);
    let root = std::fs::canonicalize(&*dir).expect("the stack");
    let (mut client, root_uri) = Client::initialized(&root);
    let compose_uri = format!("{root_uri}/compose.yaml");
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": compose_uri, "languageId": "yaml", "version": 1,
                                "text": "services:\n  app:\n    image: ${APP_IMAGE}\n"}}),
    );
    let published = client.diagnostics(&["compose.yaml"]);
    assert!(codes(&published[0].1).contains(&"SL301"), "{published:#?}");
    // A new .env, not saved: the variable is defined now.
    assert!(!root.join(".env").exists());
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": format!("{root_uri}/.env"), "languageId": "dotenv",
                                "version": 1, "text": "APP_IMAGE=registry.example.com/app:1\n"}}),
    );
    let published = client.diagnostics(&["compose.yaml", ".env"]);
    let compose = of(&published, "compose.yaml");
    assert!(!codes(compose).contains(&"SL301"), "{compose:#?}");
    client.stop();
}

#[test]
fn a_buffer_that_starts_with_a_byte_order_mark_is_read_as_the_file_on_disk() {
    // The mark is no part of the YAML (a file on disk loses it when read): the
    // stack loads, two top-level keys and all. The client counts the mark as
    // the first character of line 0, so a finding there is placed past it.
    let text = "\u{feff}services: {web: {image: nginx:latest}}\nvolumes: {data: {}}\n";
    let dir = common::tree(&[("compose.yaml", text)]);
    let (mut client, root_uri) = Client::initialized(&dir);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": format!("{root_uri}/compose.yaml"), "languageId": "yaml",
                                "version": 1, "text": text}}),
    );
    let published = client.diagnostics(&["compose.yaml"]);
    let diags = of(&published, "compose.yaml");
    assert!(!codes(diags).contains(&"SL001"), "{diags:#?}");
    let latest = diags
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.contains("latest")))
        .unwrap_or_else(|| panic!("no finding on the `latest` tag: {diags:#?}"));
    let (start, end) = (&latest["range"]["start"], &latest["range"]["end"]);
    assert_eq!(
        (start["line"].as_u64(), end["line"].as_u64()),
        (Some(0), Some(0))
    );
    // What the range covers of the client's line, in UTF-16 units.
    let line: Vec<u16> = text
        .lines()
        .next()
        .unwrap_or_default()
        .encode_utf16()
        .collect();
    let unit = |p: &Value| p["character"].as_u64().unwrap_or(u64::MAX) as usize;
    let covered = line
        .get(unit(start)..unit(end))
        .map(String::from_utf16_lossy)
        .unwrap_or_default();
    assert!(
        covered.contains("latest") && !covered.contains('{'),
        "{covered:?}: {latest}"
    );
    client.stop();
}
