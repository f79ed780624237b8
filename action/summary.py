#!/usr/bin/env python3
"""The job summary and the count outputs of the stacklint action, read from the SARIF report.

Writes Markdown to $GITHUB_STEP_SUMMARY and `name=value` lines to $GITHUB_OUTPUT. Standard
library only: it runs on any runner with a Python 3.8+.

Exit status: 0, or 1 when stacklint exited 0 or 1 but its SARIF report cannot be read
(that is a bug worth failing on, not a clean run).
"""

import argparse
import json
import os
import re
import sys
import urllib.parse

# A summary is capped at 1 MiB per step; the SARIF file has every finding anyway.
MAX_ROWS = 100
MAX_MESSAGE = 300

# SARIF message links to related locations: `[text](1)`; `\[` and `\]` are literal brackets.
EMBEDDED_LINK = re.compile(r"(?<!\\)\[((?:[^\]\\]|\\.)*)\]\((\d+)\)")

SEVERITIES = [
    # SARIF level, our name, output name
    ("error", "error", "errors"),
    ("warning", "warning", "warnings"),
    ("note", "info", "infos"),
]


def read_sarif(path):
    """The findings of a SARIF log as dicts, suppressed ones flagged."""
    with open(path, encoding="utf-8") as f:
        log = json.load(f)
    findings = []
    for run in log.get("runs") or []:
        rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
        for result in run.get("results") or []:
            rule = {}
            index = result.get("ruleIndex")
            if isinstance(index, int) and 0 <= index < len(rules):
                rule = rules[index] or {}
            # SARIF: a result without a level has its rule's default level, else warning.
            level = result.get("level") or (
                (rule.get("defaultConfiguration") or {}).get("level") or "warning"
            )
            # SARIF: a suppression without a status is accepted.
            suppressed = any(
                (s or {}).get("status", "accepted") == "accepted"
                for s in result.get("suppressions") or []
            )
            path, line = "", None
            locations = result.get("locations") or []
            if locations:
                physical = (locations[0] or {}).get("physicalLocation") or {}
                uri = (physical.get("artifactLocation") or {}).get("uri") or ""
                path = urllib.parse.unquote(uri)
                line = (physical.get("region") or {}).get("startLine")
            findings.append(
                {
                    "level": level,
                    "rule": result.get("ruleId") or rule.get("id") or "",
                    "name": rule.get("name") or "",
                    "message": first_line((result.get("message") or {}).get("text") or ""),
                    "path": path,
                    "line": line,
                    "suppressed": suppressed,
                }
            )
    return findings


def first_line(text):
    """The finding itself: the first line of a SARIF message (the evidence and the help
    follow on their own lines), its embedded links `[text](n)` reduced to their text."""
    line = text.split("\n", 1)[0]
    line = EMBEDDED_LINK.sub(lambda m: m.group(1), line)
    return line.replace("\\[", "[").replace("\\]", "]")


def cell(text):
    """Text for a Markdown table cell: one line, no table break, no raw HTML."""
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1]
        if text.count("`") % 2:
            text += "`"  # close the code span the cut opened
        text += "…"
    parts = text.split("`")
    if len(parts) % 2 == 0:
        # An unbalanced backtick: no code spans at all.
        parts = [text.replace("`", "'")]
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            # Outside code spans: HTML would be rendered (or stripped) by GitHub, and
            # brackets could form a link.
            part = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            part = part.replace("[", "\\[").replace("]", "\\]")
        out.append(part)
    # Escaped everywhere, code spans included (GFM tables split on `|` first).
    return "`".join(out).replace("|", "\\|")


def link(path, line):
    """A link to the file at this commit, when the run is on GitHub and the path is ours."""
    server = os.environ.get("GITHUB_SERVER_URL")
    repo = os.environ.get("GITHUB_REPOSITORY")
    sha = os.environ.get("GITHUB_SHA")
    if not (server and repo and sha and path) or path.startswith(("/", "../")) or ":" in path:
        return None
    url = "{}/{}/blob/{}/{}".format(server, repo, sha, urllib.parse.quote(path))
    return url + ("#L{}".format(line) if line else "")


def location(f):
    text = f["path"] + (":{}".format(f["line"]) if f["line"] else "")
    if not text:
        return ""
    # A code span (nothing inside is markup); the URL is percent-encoded.
    shown = "`{}`".format(text.replace("`", "'")).replace("|", "\\|")
    url = link(f["path"], f["line"])
    return "[{}]({})".format(shown, url) if url else shown


def summary_markdown(findings, exit_code, fail_on):
    active = [f for f in findings if not f["suppressed"]]
    counts = {name: 0 for _, _, name in SEVERITIES}
    for f in active:
        counts[output_name(f["level"])] += 1
    suppressed = len(findings) - len(active)
    threshold = "`{}`".format(fail_on) if fail_on else "the configured `fail-on` (default `warning`)"

    lines = ["## stacklint", ""]
    if exit_code == 1:
        lines.append(":x: **Failed**: findings at or above {}.".format(threshold))
    elif active:
        lines.append(
            ":white_check_mark: **Passed**: {}, none at or above {}.".format(
                plural(len(active), "finding"), threshold
            )
        )
    else:
        lines.append(":white_check_mark: **Passed**: no findings.")
    lines += [
        "",
        "| errors | warnings | infos | suppressed |",
        "|---:|---:|---:|---:|",
        "| {} | {} | {} | {} |".format(
            counts["errors"], counts["warnings"], counts["infos"], suppressed
        ),
        "",
    ]
    if active:
        order = {level: i for i, (level, _, _) in enumerate(SEVERITIES)}
        active.sort(
            key=lambda f: (order.get(f["level"], len(order)), f["path"], f["line"] or 0, f["rule"])
        )
        lines += ["| severity | rule | location | message |", "|---|---|---|---|"]
        for f in active[:MAX_ROWS]:
            rule = "`{}`".format(f["rule"]) + (" {}".format(f["name"]) if f["name"] else "")
            lines.append(
                "| {} | {} | {} | {} |".format(
                    severity_name(f["level"]), cell(rule), location(f), cell(f["message"])
                )
            )
        if len(active) > MAX_ROWS:
            lines += [
                "",
                "_The first {} of {} findings; the SARIF report has them all._".format(
                    MAX_ROWS, len(active)
                ),
            ]
        lines.append("")
    return "\n".join(lines) + "\n", counts, len(active), suppressed


def error_markdown(exit_code, stderr):
    lines = [
        "## stacklint",
        "",
        ":x: **stacklint could not run** (exit code {}).".format(exit_code),
        "",
    ]
    if stderr.strip():
        # A fence longer than any backtick run inside, so the text cannot close it.
        fence = "`" * max(3, longest_run(stderr, "`") + 1)
        lines += [fence, stderr.strip()[-4000:], fence, ""]
    return "\n".join(lines) + "\n"


def longest_run(text, ch):
    best = run = 0
    for c in text:
        run = run + 1 if c == ch else 0
        best = max(best, run)
    return best


def output_name(level):
    for sarif_level, _, name in SEVERITIES:
        if sarif_level == level:
            return name
    return "infos"  # level "none"


def severity_name(level):
    for sarif_level, name, _ in SEVERITIES:
        if sarif_level == level:
            return name
    return "info"


def plural(n, word):
    return "{} {}{}".format(n, word, "" if n == 1 else "s")


def append(env, text):
    path = os.environ.get(env)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sarif", required=True)
    p.add_argument("--exit-code", type=int, required=True)
    p.add_argument("--fail-on", default="")
    p.add_argument("--stderr", default=None)
    a = p.parse_args()

    stderr = ""
    if a.stderr:
        try:
            with open(a.stderr, encoding="utf-8", errors="replace") as f:
                stderr = f.read()
        except OSError:
            pass

    if a.exit_code not in (0, 1):
        append("GITHUB_STEP_SUMMARY", error_markdown(a.exit_code, stderr))
        return 0

    try:
        findings = read_sarif(a.sarif)
    except (OSError, ValueError, AttributeError, TypeError) as e:
        print(
            "::error title=stacklint::cannot read the SARIF report {}: {}".format(a.sarif, e)
            .replace("%", "%25")
            .replace("\r", "%0D")
            .replace("\n", "%0A")
        )
        append("GITHUB_STEP_SUMMARY", error_markdown(a.exit_code, stderr))
        return 1

    markdown, counts, total, suppressed = summary_markdown(findings, a.exit_code, a.fail_on)
    append("GITHUB_STEP_SUMMARY", markdown)
    append(
        "GITHUB_OUTPUT",
        "".join(
            "{}={}\n".format(k, v)
            for k, v in [
                ("errors", counts["errors"]),
                ("warnings", counts["warnings"]),
                ("infos", counts["infos"]),
                ("total", total),
                ("suppressed", suppressed),
            ]
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
