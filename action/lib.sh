# Shared by the action's scripts (sourced, not run): writing workflow commands and step
# outputs safely.

# Workflow-command text: '%', CR and LF must be escaped or they end the command (an input
# is text from the workflow and must not become a command of its own).
escape() {
  local s="${1//%/%25}"
  s="${s//$'\r'/%0D}"
  printf '%s' "${s//$'\n'/%0A}"
}

# A step output in the `name<<delimiter` form: safe whatever the value holds.
output() {
  local delim
  delim="stacklint_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s<<%s\n%s\n%s\n' "$1" "$delim" "$2" "$delim" \
    >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs as a GitHub Actions step}"
}
