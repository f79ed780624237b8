#!/usr/bin/env bash
# Installs stacklint's wheel from PyPI into a virtualenv of its own and hands the binary's
# path to the next steps: no Rust toolchain and no build, so it takes seconds. The version
# is the `version` input, else the action's own (its Cargo.toml), so a workflow pinned to
# a ref of the action runs the stacklint of that ref. `install: source` skips this step
# and builds from the action's checkout instead (build.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "${INPUT_INSTALL:-wheel}" != "wheel" ]; then
  echo "::error title=stacklint::install must be wheel or source, not '${INPUT_INSTALL}'"
  exit 1
fi

version="${INPUT_VERSION:-}"
if [ -z "$version" ]; then
  version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
fi
# A version, nothing else: the value ends up on pip's command line.
if ! printf '%s' "$version" | grep -Eq '^[0-9]+(\.[0-9]+)*([._+-]?[A-Za-z0-9]+)*$'; then
  echo "::error title=stacklint::version must be a stacklint release such as 0.1.0, not '${version}'"
  exit 1
fi

python="$(command -v python3 || command -v python || true)"
if [ -z "$python" ]; then
  echo "::error title=stacklint::python3 not found: use actions/setup-python first, or set install: source"
  exit 1
fi

venv="${RUNNER_TEMP:?RUNNER_TEMP is not set: this script runs as a GitHub Actions step}/stacklint-venv"
rm -rf "$venv"
"$python" -m venv "$venv"
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
  echo "::error title=stacklint::could not install stacklint $version from PyPI; set install: source to build it from the action's checkout (needs a Rust toolchain)"
  exit 1
fi
echo "::endgroup::"
"$bin" --version

delim="stacklint_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf 'bin<<%s\n%s\n%s\n' "$delim" "$bin" "$delim" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
