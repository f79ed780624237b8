#!/usr/bin/env bash
# Builds stacklint from the action's own checkout into its own target directory (the one
# the cache step restores), and hands the binary's path to the next steps.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=action/lib.sh
. "$root/action/lib.sh"

if ! command -v cargo >/dev/null 2>&1; then
  echo "::error title=stacklint::cargo not found: install a Rust toolchain (1.88 or newer) before this action"
  exit 1
fi

# Set here, not taken from the job: the cache step saves exactly this directory.
export CARGO_TARGET_DIR="$root/target"

echo "::group::cargo build --release --locked"
# From the checkout, so that cargo reads its .cargo/config.toml (how jemalloc is built).
(cd "$root" && cargo build --release --locked --bin stacklint)
echo "::endgroup::"

bin="$CARGO_TARGET_DIR/release/stacklint"
if [ -f "$bin.exe" ]; then
  bin="$bin.exe" # Windows runners
fi
"$bin" --version

output bin "$bin"
