//! What nginx does at startup, with every rule on: a startup crash that SL201
//! and SL207 both describe is reported once; an ordered target leaves only the
//! stale address, as a warning.

use serde_json::Value;

mod common;

fn findings(files: &[(&str, &str)]) -> Vec<Value> {
    let dir = common::tree(files);
    let (_, out, _) = common::stacklint_in(
        &dir,
        &[
            ".",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--ignore",
            "SL103",
        ],
    );
    let v: Value = serde_json::from_str(&out).expect("JSON");
    v["findings"].as_array().expect("findings").clone()
}

const NGINX: &str =
    "server {\n    listen 80;\n    location / {\n        proxy_pass http://app:5000;\n    }\n}\n";

fn compose(depends_on: &str) -> String {
    format!(
        "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n      - ./nginx.conf:/etc/nginx/conf.d/default.conf:ro\n{depends_on}  app:\n    image: example/app:1.0\n    command: gunicorn -b 0.0.0.0:5000 app:app\n"
    )
}

#[test]
fn one_finding_for_one_startup_crash() {
    let c = compose("");
    let f = findings(&[("compose.yaml", &c), ("nginx.conf", NGINX)]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["code"], "SL201");
    assert_eq!(f[0]["severity"], "error");
    // SL207's evidence is a note of the one finding, named by its rule.
    let text = serde_json::to_string(&f[0]).unwrap();
    assert!(text.contains("SL207 proxy-starts-before-target"), "{text}");
}

#[test]
fn sl207_alone_when_sl201_is_off() {
    let c = compose("");
    let dir = common::tree(&[("compose.yaml", &c), ("nginx.conf", NGINX)]);
    let (_, out, _) = common::stacklint_in(
        &dir,
        &[
            ".",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--select",
            "SL207",
        ],
    );
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let f = v["findings"].as_array().expect("findings");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["code"], "SL207");
}

#[test]
fn ordered_through_another_service_leaves_a_stale_address_warning() {
    // proxy -> ui -> app: app starts first whatever the condition.
    let c = compose("    depends_on: [ui]\n  ui:\n    image: example/ui:1.0\n    depends_on:\n      app:\n        condition: service_started\n");
    let f = findings(&[("compose.yaml", &c), ("nginx.conf", NGINX)]);
    let ours: Vec<&Value> = f
        .iter()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with("SL2")))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    assert_eq!(ours[0]["code"], "SL201");
    assert_eq!(ours[0]["severity"], "warning");
}

#[test]
fn restart_true_leaves_nothing() {
    let c = compose(
        "    depends_on:\n      app:\n        condition: service_started\n        restart: true\n",
    );
    let f = findings(&[("compose.yaml", &c), ("nginx.conf", NGINX)]);
    assert!(
        f.iter()
            .all(|f| !f["code"].as_str().unwrap_or("").starts_with("SL2")),
        "{f:#?}"
    );
}

#[test]
fn an_unused_resolver_and_no_order_are_one_finding_too() {
    let c = compose("");
    let conf = "server {\n    listen 80;\n    resolver 127.0.0.11 valid=10s;\n    location / {\n        proxy_pass http://app:5000;\n    }\n}\n";
    let f = findings(&[("compose.yaml", &c), ("nginx.conf", conf)]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["code"], "SL202");
    assert_eq!(f[0]["severity"], "error");
    let text = serde_json::to_string(&f[0]).unwrap();
    assert!(text.contains("SL207 proxy-starts-before-target"), "{text}");
}
