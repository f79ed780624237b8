#!/usr/bin/env bash
# A short fuzzing run for CI: every target for FUZZ_SECONDS (default 20) from its seed
# corpus. Exits non-zero when any target finds a crash, a timeout (-timeout, seconds per
# input) or memory over -rss_limit_mb; the input is in fuzz/artifacts/<target>/.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Only a stable toolchain is
# required: RUSTC_BOOTSTRAP lets it take the -Z flags cargo fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"

secs="${FUZZ_SECONDS:-20}"
export RUSTC_BOOTSTRAP=1
# -s none: no sanitizer (safe Rust; AddressSanitizer would only slow the run down).
cargo fuzz build -s none -O

failed=()
for target in $(cargo fuzz list); do
  # New inputs go to a scratch directory, so the committed seeds stay as they are.
  scratch="$(mktemp -d)"
  echo "fuzz: $target for ${secs}s"
  if ! cargo fuzz run "$target" -s none -O "$scratch" "corpus/$target" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=32768 \
    -print_final_stats=1 2>"$scratch.log"; then
    failed+=("$target")
    tail -n 60 "$scratch.log"
  else
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$scratch.log" || true
  fi
  rm -rf "$scratch" "$scratch.log"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}; inputs under fuzz/artifacts/ (reproduce with \`RUSTC_BOOTSTRAP=1 cargo fuzz run <target> -s none -O <file>\`)" >&2
  ls -l artifacts/*/ >&2 || true
  exit 1
fi
echo "fuzz: no findings"
