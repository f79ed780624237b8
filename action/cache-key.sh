#!/usr/bin/env bash
# The cache key of the stacklint build: runner OS and architecture, the action's Cargo.lock
# and the Rust toolchain. A key with another Cargo.lock still restores as a fallback
# (restore-key): cargo rebuilds only what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -c1-64
  else
    shasum -a 256 | cut -c1-64 # macOS
  fi
}

lock="$(sha256 <"$root/Cargo.lock")"
toolchain="$(rustc -V 2>/dev/null || echo none)"
toolchain="$(printf '%s' "$toolchain" | sha256)"
prefix="stacklint-build-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-"

{
  echo "key=${prefix}${lock:0:16}-${toolchain:0:8}"
  echo "restore-key=${prefix}"
} >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs as a GitHub Actions step}"
