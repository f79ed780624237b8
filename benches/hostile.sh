#!/usr/bin/env bash
# The hostile-input suites held to the bound stacklint promises for each case:
# the release binary, 2 s and 256 MiB of peak resident memory per run. `cargo test` runs the
# same suites on the debug binary with looser deadlines.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
suites=()
for t in tests/hostile*.rs tests/planted_secrets.rs tests/fuzz_regressions.rs; do
    [ -f "$t" ] && suites+=(--test "$(basename "$t" .rs)")
done
STACKLINT_BIN="$PWD/target/release/stacklint" STACKLINT_LIMIT_MS="${STACKLINT_LIMIT_MS:-2000}" \
    cargo test --quiet "${suites[@]}"
