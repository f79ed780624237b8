use stacklint::compose::schema_view::YamlJson;
use std::time::Instant;
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let s = stacklint::compose::schema::SCHEMA.as_ref().unwrap();
    let t = Instant::now();
    match mode.as_str() {
        "fancy" => {
            let _ = jsonschema::options_for::<YamlJson>().build(s).ok();
        }
        "std" => {
            let _ = jsonschema::options_for::<YamlJson>()
                .with_pattern_options(jsonschema::PatternOptions::regex())
                .build(s)
                .ok();
        }
        _ => {
            let _ = jsonschema::options_for::<YamlJson>()
                .with_pattern_options(jsonschema::PatternOptions::regex())
                .build(s)
                .ok();
        }
    }
    eprintln!("{mode} {:?}", t.elapsed());
}
