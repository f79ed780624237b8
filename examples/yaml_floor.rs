//! The floor stacklint's speed is measured against (`benches/scale.py`): read a YAML
//! file and walk its parse events, building nothing. Prints the number of events
//! so the work cannot be optimised away. With saphyr-parser by default; with
//! `--libyaml`, with libyaml-safer, the parser stacklint reads YAML with (it
//! accepts exactly what libyaml, and so docker compose, accepts).

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let libyaml = args.first().is_some_and(|a| a == "--libyaml");
    if libyaml {
        args.remove(0);
    }
    let Some(path) = args.first() else {
        eprintln!("usage: yaml_floor [--libyaml] FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("yaml_floor: {path}: {e}");
            std::process::exit(2);
        }
    };
    let mut events = 0usize;
    if libyaml {
        let mut bytes = text.as_bytes();
        let mut parser = libyaml_safer::Parser::new();
        parser.set_input_string(&mut bytes);
        for ev in parser {
            if ev.is_err() {
                break;
            }
            events += 1;
        }
    } else {
        for ev in saphyr_parser::Parser::new_from_str(&text) {
            if ev.is_err() {
                break;
            }
            events += 1;
        }
    }
    println!("{events}");
}
