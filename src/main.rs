use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use stacklint::cli::{self, Cli, Command};

// jemalloc: see Cargo.toml for the figures.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    quiet_yaml_reader_panics();
    #[cfg(not(target_env = "msvc"))]
    stacklint::memory::set(stacklint::memory::Allocator {
        keep_freed: keep_freed_pages,
        give_back: give_back_freed_pages,
    });
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Rules) => Ok(cli::Outcome::text(cli::rules_table())),
        Some(Command::Explain { rule }) => stacklint::report::docs::page(rule)
            .map(|text| cli::Outcome::text(text.to_string()))
            .ok_or_else(|| format!("no rule named `{rule}`; `stacklint rules` lists them")),
        Some(Command::Graph(args)) => cli::graph(args),
        Some(Command::Completions { shell }) => Ok(cli::Outcome::text(cli::completions(*shell))),
        Some(Command::Server) => {
            stacklint::server::run().map(|()| cli::Outcome::text(String::new()))
        }
        None => {
            // The main thread is one of rayon's threads: it runs jobs while it
            // waits for them (a project's load, the rules) instead of sleeping,
            // and one thread fewer is started.
            let _ = rayon::ThreadPoolBuilder::new()
                .use_current_thread()
                .build_global();
            cli::run_then_exit(&cli.lint)
        }
    };
    match result {
        Ok(outcome) => {
            for w in &outcome.warnings {
                eprintln!("stacklint: warning: {w}");
            }
            if let Some((path, text)) = &outcome.file {
                if let Err(e) = std::fs::write(path, text) {
                    eprintln!("stacklint: error: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            let mut out = std::io::stdout().lock();
            // A closed pipe (`stacklint | head`) is not an error worth a panic.
            let _ = out.write_all(outcome.stdout.as_bytes());
            let _ = out.flush();
            ExitCode::from(outcome.exit_code as u8)
        }
        Err(message) => {
            eprintln!("stacklint: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// jemalloc's one arena (`narenas:1`) is built to give freed pages back at once
/// (`dirty_decay_ms:0`, `.cargo/config.toml`); from here on it keeps them for
/// its default ten seconds, longer than a run.
#[cfg(not(target_env = "msvc"))]
fn keep_freed_pages() {
    use tikv_jemalloc_ctl::{Access, AsName};
    let _ = b"arena.0.dirty_decay_ms\0".name().write(10_000isize);
}

/// Setting the arena's decay to zero gives back every freed page at once; the
/// setting it had is then restored.
#[cfg(not(target_env = "msvc"))]
fn give_back_freed_pages() {
    use tikv_jemalloc_ctl::{Access, AsName};
    let decay = b"arena.0.dirty_decay_ms\0".name();
    if let Ok(kept) = Access::<isize>::read(decay) {
        let _ = decay.write(0isize);
        let _ = decay.write(kept);
    }
}

/// The YAML reader (libyaml-safer) panics on a few rare inputs; parse::yaml turns
/// that into a parse-error finding, so its panic message would only look like a
/// crash. Every other panic is reported as usual.
fn quiet_yaml_reader_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let from_reader = info.location().is_some_and(|l| {
            l.file().contains("libyaml-safer") || l.file().contains("libyaml_safer")
        });
        if !from_reader {
            default(info);
        }
    }));
}
