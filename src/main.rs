use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = stacklint::cli::Args::parse();
    match stacklint::cli::run(&args) {
        Ok(outcome) => {
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
