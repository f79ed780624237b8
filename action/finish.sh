#!/usr/bin/env bash
# The last step: fails the job according to stacklint's exit code, after the SARIF upload.
set -euo pipefail

code="${STACKLINT_EXIT_CODE:-}"
threshold="${INPUT_FAIL_ON:-}"
[ -n "$threshold" ] || threshold="the configured fail-on"

case "$code" in
  0)
    echo "stacklint: no finding at or above $threshold (${STACKLINT_TOTAL:-0} in all)"
    ;;
  1)
    echo "::error title=stacklint::a finding is at or above $threshold (in all: ${STACKLINT_ERRORS:-?} errors, ${STACKLINT_WARNINGS:-?} warnings, ${STACKLINT_INFOS:-?} infos); see the job summary"
    exit 1
    ;;
  "")
    echo "::error title=stacklint::stacklint did not run (no exit code from the run step)"
    exit 2
    ;;
  *)
    echo "::error title=stacklint::stacklint could not run (exit code $code): see the log of the run step"
    exit 2
    ;;
esac
