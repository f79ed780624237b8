//! compose-go's own template tests (extracted to JSON), run against our
//! interpolation. The corpus lives outside the crate; without it the test
//! prints a note and passes.

use std::collections::HashMap;

use serde_json::Value;
use stacklint::parse::interpolate::{interpolate, Interpolated, Lookup, Op};
use stacklint::source::Span;

mod common;

const CASES: &str = "corpus/compose-go/_extracted/template_cases.json";

/// Cases about compose-go features we intentionally leave out: (template, reason).
/// Empty today: the extracted file holds only default-pattern cases.
const SKIPPED: &[(&str, &str)] = &[];

struct Map(HashMap<String, String>);

impl Lookup for Map {
    fn lookup(&self, name: &str) -> Option<(String, Option<Span>)> {
        self.0.get(name).map(|v| (v.clone(), None))
    }
}

fn string_map(v: Option<&Value>) -> HashMap<String, String> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn load() -> Option<Value> {
    let path = common::shared(CASES, "compose-go's interpolation cases")?;
    let text = std::fs::read_to_string(&path).ok()?;
    Some(serde_json::from_str(&text).expect("template_cases.json is valid JSON"))
}

/// compose's `MissingRequiredError` text for the first failing `?` use.
fn missing_required(i: &Interpolated) -> Option<String> {
    i.uses.iter().find_map(|u| match &u.op {
        Op::Required { message, .. } if !u.defined => Some(if message.is_empty() {
            format!("required variable {} is missing a value", u.name)
        } else {
            format!("required variable {} is missing a value: {message}", u.name)
        }),
        _ => None,
    })
}

#[test]
fn compose_go_template_cases() {
    let Some(data) = load() else { return };
    let defaults = string_map(data.get("env"));
    let cases = data["cases"].as_array().expect("cases is an array");
    let (mut passed, mut skipped) = (0, 0);
    let mut failures = Vec::new();

    for case in cases {
        let template = case["template"].as_str().expect("template is a string");
        if let Some((_, why)) = SKIPPED.iter().find(|(t, _)| *t == template) {
            println!("skipped {template:?}: {why}");
            skipped += 1;
            continue;
        }
        // env_only: the case's mapping is env_override alone, not the defaults.
        let mut env = if case["env_only"].as_bool() == Some(true) {
            HashMap::new()
        } else {
            defaults.clone()
        };
        env.extend(string_map(case.get("env_override")));
        let got = interpolate(template, &Map(env));

        let problem = match (case["expected"].as_str(), case["error_kind"].as_str(), &got) {
            (Some(expected), _, Ok(i)) => {
                // compose warns for each plain use of an unset variable.
                let warnings = i
                    .uses
                    .iter()
                    .filter(|u| u.op == Op::Plain && !u.defined)
                    .count();
                if i.value != expected {
                    Some(format!("value {:?}, expected {expected:?}", i.value))
                } else if case["warnings"]
                    .as_u64()
                    .is_some_and(|w| w as usize != warnings)
                {
                    Some(format!(
                        "{warnings} warnings, expected {}",
                        case["warnings"]
                    ))
                } else {
                    None
                }
            }
            (Some(_), _, Err(e)) => Some(format!("unexpected error {e:?}")),
            // Compose fails on a missing required variable; we record the use.
            (None, Some("MissingRequiredError"), Ok(i)) => {
                let want = case["error_contains"].as_str().unwrap_or_default();
                match missing_required(i) {
                    Some(msg) if msg.contains(want) => None,
                    other => Some(format!("required message {other:?}, expected {want:?}")),
                }
            }
            (None, Some("InvalidTemplateError"), Err(e)) => {
                let in_range = e.range.start <= e.range.end
                    && template
                        .get(e.range.clone())
                        .is_some_and(|s| s.starts_with("${"));
                (!in_range || !e.message.starts_with("invalid template"))
                    .then(|| format!("poor error {e:?}"))
            }
            (None, kind, got) => Some(format!("expected {kind:?}, got {got:?}")),
        };
        match problem {
            None => passed += 1,
            Some(p) => failures.push(format!("{template:?}: {p}")),
        }
    }

    println!("compose-go template cases: {passed} passed, {skipped} skipped");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(passed + skipped, cases.len());
}

/// `TestSubstitutionFunctionChoice`: the operator is the first one after the name.
#[test]
fn compose_go_operator_choice() {
    let Some(data) = load() else { return };
    let choices = data["operator_choice"].as_array().expect("an array");
    assert!(!choices.is_empty());
    for choice in choices {
        let inner = choice["inner"].as_str().expect("inner is a string");
        let want = choice["operator"].as_str().expect("operator is a string");
        let template = format!("${{{inner}}}");
        let got = interpolate(&template, &Map(HashMap::new()))
            .unwrap_or_else(|e| panic!("{template:?}: {e:?}"));
        let op = match &got.uses[0].op {
            Op::Default { colon: true } => ":-",
            Op::Default { colon: false } => "-",
            Op::Required { colon: true, .. } => ":?",
            Op::Required { colon: false, .. } => "?",
            Op::Alternative { colon: true } => ":+",
            Op::Alternative { colon: false } => "+",
            Op::Plain => "plain",
        };
        assert_eq!(op, want, "{template:?}");
        // And the argument is everything after that operator.
        let arg = &inner["VARNAME".len() + want.len()..];
        match &got.uses[0].op {
            Op::Default { .. } => assert_eq!(got.value, arg, "{template:?}"),
            Op::Required { message, .. } => assert_eq!(message, arg, "{template:?}"),
            _ => assert_eq!(got.value, "", "{template:?}"),
        }
    }
    println!("operator choice: {} cases", choices.len());
}
