#!/usr/bin/env bash
# Installs stacklint's wheel from PyPI into a virtualenv of its own and hands the binary's
# path to the next steps: no Rust toolchain and no build, so it takes seconds. The version
# is the `version` input, else the action's own (its Cargo.toml), so a workflow pinned to
# a ref of the action runs the stacklint of that ref. `install: source` skips this step
# and builds from the action's checkout instead (build.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=action/lib.sh
. "$root/action/lib.sh"

fail() {
  printf '::error title=stacklint::%s\n' "$(escape "$1")"
  exit 1
}

if [ "${INPUT_INSTALL:-wheel}" != "wheel" ]; then
  fail "install must be wheel or source, not '${INPUT_INSTALL}'"
fi

version="${INPUT_VERSION:-}"
if [ -z "$version" ]; then
  version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
fi
# A version, nothing else (the whole value, not one of its lines): it ends up on pip's
# command line.
version_re='^[0-9]+(\.[0-9]+)*([._+-]?[A-Za-z0-9]+)*$'
if ! [[ "$version" =~ $version_re ]]; then
  fail "version must be a stacklint release such as 0.1.0, not '${version}'"
fi

# The first interpreter that runs (on Windows, `python3` may be a stub that does not).
python=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
    python="$candidate"
    break
  fi
done
[ -n "$python" ] || fail "python3 not found: use actions/setup-python first, or set install: source"

venv="${RUNNER_TEMP:?RUNNER_TEMP is not set: this script runs as a GitHub Actions step}/stacklint-venv"
rm -rf "$venv"
"$python" -m venv "$venv" \
  || fail "could not create a virtualenv with $python (Debian: apt-get install python3-venv), or set install: source"
if [ -x "$venv/bin/python" ]; then
  vpython="$venv/bin/python"
  bin="$venv/bin/stacklint"
else
  vpython="$venv/Scripts/python.exe" # Windows runners
  bin="$venv/Scripts/stacklint.exe"
fi

echo "::group::pip install stacklint==$version"
if ! "$vpython" -m pip install --disable-pip-version-check --quiet "stacklint==$version"; then
  echo "::endgroup::"
  fail "could not install stacklint $version from PyPI; set install: source to build it from the action's checkout (needs a Rust toolchain)"
fi
echo "::endgroup::"
"$bin" --version

output bin "$bin"
