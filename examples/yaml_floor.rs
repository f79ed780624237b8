//! The floor stacklint's speed is measured against (`benches/scale.py`): read a YAML
//! file and walk its parse events with saphyr-parser, building nothing. Prints the
//! number of events so the work cannot be optimised away.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: yaml_floor FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("yaml_floor: {path}: {e}");
            std::process::exit(2);
        }
    };
    let mut events = 0usize;
    for ev in saphyr_parser::Parser::new_from_str(&text) {
        if ev.is_err() {
            break;
        }
        events += 1;
    }
    println!("{events}");
}
