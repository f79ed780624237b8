#!/usr/bin/env bash
# Runs stacklint once: SARIF to a file, annotations (or the text report) to stdout. Writes
# the job summary and the step outputs. Never fails because of findings: the SARIF upload
# comes first, and finish.sh fails the job afterwards according to fail-on.
#
# Inputs come from the environment only (INPUT_*; STACKLINT_BIN is the binary to run).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=action/lib.sh
. "$here/lib.sh"

die() {
  printf '::error title=stacklint::%s\n' "$(escape "$1")"
  exit 2
}

trim() {
  local s="$1"
  s="${s#"${s%%[![:space:]]*}"}"
  printf '%s' "${s%"${s##*[![:space:]]}"}"
}

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs as a GitHub Actions step}"
: "${GITHUB_WORKSPACE:?GITHUB_WORKSPACE is not set}"

bin="${STACKLINT_BIN:-}"
[ -n "$bin" ] || die "no stacklint binary: STACKLINT_BIN is empty (did the build step run?)"
[ -x "$bin" ] || die "the stacklint binary is not executable: $bin"

fail_on="$(trim "${INPUT_FAIL_ON:-}")"
case "$fail_on" in
  "" | error | warning | info | never) ;;
  *) die "input fail-on must be error, warning, info or never, not '$fail_on'" ;;
esac

annotations="$(trim "${INPUT_ANNOTATIONS:-github}")"
case "$annotations" in
  github) stdout_format=github ;;
  none) stdout_format=text ;;
  *) die "input annotations must be github or none, not '$annotations'" ;;
esac

workdir="$(trim "${INPUT_WORKING_DIRECTORY:-}")"
cd "$GITHUB_WORKSPACE"
if [ -n "$workdir" ]; then
  cd -- "$workdir" 2>/dev/null || die "working-directory not found: $workdir"
fi
root="$PWD"

sarif="$(trim "${INPUT_SARIF_FILE:-}")"
[ -n "$sarif" ] || sarif=stacklint.sarif
case "$sarif" in
  /* | [A-Za-z]:[\\/]*) ;;
  *) sarif="$root/$sarif" ;;
esac
mkdir -p -- "$(dirname -- "$sarif")" || die "cannot create the directory of sarif-file: $sarif"
# A report left by an earlier run must never be uploaded as this run's.
rm -f -- "$sarif"

# One path per line, so that paths may contain spaces; `--` keeps a path that starts
# with '-' from being read as a flag.
paths=()
while IFS= read -r line || [ -n "$line" ]; do
  line="$(trim "$line")"
  [ -z "$line" ] || paths+=("$line")
done <<<"${INPUT_PATHS:-}"
[ "${#paths[@]}" -gt 0 ] || paths=(.)

args=(--format sarif --output "$sarif" --stdout-format "$stdout_format")
[ -z "$fail_on" ] || args+=(--fail-on "$fail_on")
config="$(trim "${INPUT_CONFIG:-}")"
[ -z "$config" ] || args+=(--config "$config")
# The report's own category (automationDetails.id): upload-sarif keeps the one it finds.
category="$(trim "${INPUT_CATEGORY:-}")"
[ -z "$category" ] || args+=(--sarif-category "$category")

stderr_file="$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/stacklint-stderr.XXXXXX")"
trap 'rm -f -- "$stderr_file"' EXIT

code=0
"$bin" "${args[@]}" -- "${paths[@]}" 2>"$stderr_file" || code=$?
cat -- "$stderr_file" >&2

output exit-code "$code"
output root "$root"
if [ -s "$sarif" ]; then
  output sarif-file "$sarif"
else
  output sarif-file ""
fi

python="$(command -v python3 || command -v python || true)"
[ -n "$python" ] || die "python3 not found: it writes the job summary"
"$python" "$here/summary.py" \
  --sarif "$sarif" \
  --exit-code "$code" \
  --fail-on "$fail_on" \
  --stderr "$stderr_file"
