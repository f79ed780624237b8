#!/usr/bin/env python3
"""Whole-binary speed and memory of stacklint on generated stacks, against a floor.

Generates, in a temporary directory: one compose file of N services sharing an
anchored block (N = 1k, 2k, 4k, 8k, 16k), the same split over a base file and an
override, an NGINX config of N servers mounted into a proxy, and a .env of N keys.
For each it prints stacklint's median wall time over several runs, its peak RSS,
the time of a bare saphyr event parse of the same YAML (examples/yaml_floor.rs),
their ratio (the two take turns run by run, so a drift in the machine's speed
moves both), and the time per service, so growth faster than N shows (the sizes
of a YAML input take turns too, round by round, for the same reason). The time
per item includes the fixed cost of a run (starting the process, finding the
files: a few milliseconds), which weighs most on the smallest input; `+us/item`
is what each item added since the size before costs, without it. With
dotenv-linter on PATH (`cargo install dotenv-linter`) it also times the peer on
the generated .env.

It ends with issue 11's goals, each judged on the figures of this run: the
time per service counts the fixed cost of a run, so it also prints what each
further service costs, the time per service without the time of a run on the
same stack with one service, and, with `--instructions`, the instructions per
service, which machine noise does not move.

With `--instructions` (and valgrind installed) it also counts the instructions
each YAML input takes, stacklint's and the floor's (callgrind; all threads), and
their ratio. Unlike time, the count does not drift with the machine: it tells
apart changes of a percent or two, which timings on a shared machine cannot.
It says nothing of page faults, cache misses or how well the cores are used.

    cargo build --release && cargo build --release --example yaml_floor
    python3 benches/scale.py [--runs 7] [--sizes 1000,2000,...] [--corpus ../shared/corpus]
                             [--instructions]
"""

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "stacklint")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "yaml_floor")
# How the benchmark lints a generated stack, from inside its directory
# (benches/symbol_order.py runs it the same way).
LINT_ARGS = [".", "--fail-on", "never", "--format", "json"]


def services(n, start=0):
    out = []
    for i in range(start, start + n):
        out.append(
            f"  svc{i}:\n"
            f"    <<: *defaults\n"
            f"    image: registry.example.com/team/app{i % 50}:1.{i % 9}\n"
            f"    command: [\"gunicorn\", \"-b\", \"0.0.0.0:{8000 + i % 100}\", \"app:wsgi\"]\n"
            f"    environment:\n"
            f"      SERVICE_NAME: svc{i}\n"
            f"      DB_HOST: db{i % 10}\n"
            f"      LOG_LEVEL: ${{LOG_LEVEL:-info}}\n"
            f"    healthcheck:\n"
            f"      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:{8000 + i % 100}/health\"]\n"
            f"    depends_on: [svc{max(i - 1, 0)}]\n"
        )
    return "".join(out)


DEFAULTS = (
    "x-defaults: &defaults\n"
    "  restart: unless-stopped\n"
    "  logging:\n    driver: json-file\n    options: {max-size: 10m, max-file: \"3\"}\n"
    "  deploy:\n    resources:\n      limits: {memory: 256M, cpus: \"0.5\"}\n"
    "  networks: [backend]\n"
)


def one_file(d, n):
    text = DEFAULTS + "services:\n" + services(n) + "networks:\n  backend: {}\n"
    path = os.path.join(d, "compose.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def with_override(d, n):
    one_file(d, n)
    over = "services:\n" + "".join(
        f"  svc{i}:\n    environment:\n      LOG_LEVEL: debug\n" for i in range(0, n, 2)
    )
    with open(os.path.join(d, "compose.override.yaml"), "w") as f:
        f.write(over)
    return os.path.join(d, "compose.yaml")


def nginx(d, n):
    with open(os.path.join(d, "compose.yaml"), "w") as f:
        f.write(
            "services:\n  proxy:\n    image: nginx:1.27\n"
            "    volumes: [\"./nginx.conf:/etc/nginx/nginx.conf:ro\"]\n"
            "    depends_on: [app]\n"
            "  app:\n    image: example/app:1\n"
        )
    servers = "".join(
        f"  server {{\n    listen {10000 + i};\n    server_name s{i}.example.com;\n"
        f"    location / {{ proxy_pass http://app:{8000 + i % 100}; }}\n  }}\n"
        for i in range(n)
    )
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("events {}\nhttp {\n" + servers + "}\n")
    return None


def dotenv(d, n):
    with open(os.path.join(d, "compose.yaml"), "w") as f:
        f.write("services:\n  app:\n    image: example/app:1\n    env_file: .env\n")
    with open(os.path.join(d, ".env"), "w") as f:
        f.write("".join(f"KEY_{i}=value_{i}\n" for i in range(n)))
    return None


def run(cmd, cwd, runs):
    """Median wall time (s) of `cmd` over `runs` runs."""
    return run_alternating([cmd], cwd, runs)[0]


def run_alternating(cmds, cwd, runs):
    """`run` of each of `cmds`, their runs taking turns: on a machine whose speed
    drifts, a ratio of two medians is then measured under the same conditions.
    (Peak memory is measured apart, by `peak_rss`: the rusage of children is a
    maximum over all of them.)"""
    return run_rounds([(cmd, cwd) for cmd in cmds], runs)


def run_rounds(jobs, runs):
    """Median wall time (s) of each job, a command and the directory it runs in,
    over `runs` rounds in which every job runs once, in turn."""
    times = [[] for _ in jobs]
    for _ in range(runs):
        for k, (cmd, cwd) in enumerate(jobs):
            t = time.perf_counter()
            p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times[k].append(time.perf_counter() - t)
            if p.returncode not in (0, 1):
                sys.exit(f"{cmd} failed ({p.returncode}): {p.stderr.decode()[:500]}")
    return [statistics.median(ts) for ts in times]


def parse_errors(cmd, cwd):
    """SL001 findings of one run: a generated stack must load, or its time means nothing."""
    import json
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        return sum(f["code"] == "SL001" for f in json.loads(p.stdout)["findings"])
    except (ValueError, KeyError):
        return -1


def peak_rss(cmd, cwd):
    """Peak RSS (KiB) of one run, measured by GNU time when present."""
    if os.path.exists("/usr/bin/time"):
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            return int(p.stderr.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            return 0
    return 0


def instructions(cmd, cwd):
    """Instructions one run of `cmd` executes, all threads together (callgrind's
    `Collected`). Exits with valgrind's last lines when the run fails (valgrind
    passes on the program's exit status) or prints no count."""
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                       cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace").splitlines()
    counts = [int(l.split(":")[-1].strip()) for l in err if "Collected :" in l]
    if p.returncode not in (0, 1) or not counts:
        tail = "\n".join(err[-15:])
        sys.exit(f"{cmd} under valgrind failed ({p.returncode}), or printed no count:\n{tail}")
    return counts[-1]


def dotenv_linter():
    """The peer's command for one .env file when dotenv-linter is on PATH (its 4.x
    takes a `check` subcommand, 3.x the file itself), with its version."""
    exe = shutil.which("dotenv-linter")
    if not exe:
        return None, ""
    p = subprocess.run([exe, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    version = p.stdout.decode().split()[-1] if p.stdout.split() else "?"
    sub = ["check"] if version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 4 else []
    return [exe] + sub, version


def timings(lint, make, dirs, sizes, runs):
    """Median times of one input at every size: N -> (stacklint, floor or None).

    For a YAML input the sizes take turns round by round, each with its floor
    (and the one-service stack, "fixed"), so the time per service compares sizes
    measured under the same conditions: measured one size after the other, a
    slow spell of the machine (the floor itself then runs up to 1.5 times
    slower) falls on some sizes only, and the ratio of their times per service
    measured the spell rather than stacklint."""
    if make not in (one_file, with_override):
        return {n: (run(lint, dirs[n], runs), None) for n in sizes}
    jobs, at = [(lint, dirs["fixed"])], {}
    for n in sizes:
        at[n] = len(jobs)
        jobs.append((lint, dirs[n]))
        jobs.append(([FLOOR, dirs[n, "yaml"]], dirs[n]))
    got = run_rounds(jobs, runs)
    times = {n: (got[at[n]], got[at[n] + 1]) for n in sizes}
    times["fixed"] = (got[0], None)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sizes", default="1000,2000,4000,8000,16000")
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions with valgrind (slow: about 2 s per 1,000 services)")
    a = ap.parse_args()
    if a.instructions and not shutil.which("valgrind"):
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    for b in (BIN, FLOOR):
        if not os.path.exists(b):
            sys.exit(f"missing {b}: run `cargo build --release && cargo build --release --example yaml_floor`")
    sizes = [int(s) for s in a.sizes.split(",")]
    peer, peer_version = dotenv_linter()
    lint = [BIN] + LINT_ARGS
    print(f"{'input':<22}{'N':>7}{'KiB in':>9}{'stacklint':>11}{'floor':>9}{'ratio':>7}"
          f"{'us/item':>9}{'+us/item':>9}{'MiB rss':>9}{'rss/in':>8}  SL001")
    # What the goals below are judged on: (input, N) -> figures of this run.
    seen = {}
    for name, make in [("anchored services", one_file), ("base + override", with_override),
                       ("nginx servers", nginx), (".env keys", dotenv)]:
        with contextlib.ExitStack() as stack:
            dirs = {}
            yaml_input = make in (one_file, with_override)
            for n in (["fixed"] if yaml_input else []) + sizes:
                dirs[n] = stack.enter_context(tempfile.TemporaryDirectory())
                dirs[n, "yaml"] = make(dirs[n], 1 if n == "fixed" else n)
            times = timings(lint, make, dirs, sizes, a.runs)
            if yaml_input:
                # The fixed cost of a run (start, walk, output) is that of the same
                # stack with one service: the goals below show the time per service
                # without it too.
                seen[name, "fixed"] = times["fixed"][0]
            before = None
            for n in sizes:
                d, yaml = dirs[n], dirs[n, "yaml"]
                size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
                t, ft = times[n]
                floor = ratio = ""
                if yaml:
                    # Two decimals: the goal is a bound (2.0), and 1.97 and 2.04 differ there.
                    floor, ratio = f"{ft * 1000:.1f}", f"{t / ft:.2f}"
                rss = peak_rss(lint, d)
                errors = parse_errors(lint, d)
                more_us = None
                if before and n > before[0]:
                    more_us = (t - before[1]) / (n - before[0]) * 1e6
                more = "" if more_us is None else f"{more_us:.1f}"
                before = (n, t)
                seen[name, n] = {"t": t, "ratio": t / ft if yaml else None, "rss": rss,
                                 "size": size, "more": more_us}
                print(f"{name:<22}{n:>7}{size / 1024:>9.0f}{t * 1000:>9.1f}ms{floor:>9}"
                      f"{ratio:>7}{t / n * 1e6:>9.1f}{more:>9}{rss / 1024:>9.1f}"
                      f"{rss * 1024 / size:>8.1f}  {errors or ''}")
                if make is dotenv and peer:
                    # The peer reads the .env alone; stacklint above lints the project.
                    pt, st = run_alternating(
                        [peer + [".env"], [BIN, ".env", "--fail-on", "never"]], d, a.runs)
                    seen["dotenv-linter", n] = {"peer": pt, "mine": st}
                    print(f"{'  dotenv-linter ' + peer_version:<22}{n:>7}{'':>9}{pt * 1000:>9.1f}ms"
                          f"   stacklint .env alone {st * 1000:.1f}ms, peer/stacklint {pt / st:.1f}")
    if a.instructions:
        # The floor reads the base file only: with an override, stacklint does more.
        print(f"\n{'instructions':<22}{'N':>7}{'stacklint':>14}{'floor':>14}{'ratio':>7}"
              f"{'/service':>10}")
        for name, make in [("anchored services", one_file), ("base + override", with_override)]:
            for n in sizes:
                with tempfile.TemporaryDirectory() as d:
                    yaml = make(d, n)
                    mine, floor = instructions(lint, d), instructions([FLOOR, yaml], d)
                    seen.setdefault((name, n), {})["instructions"] = mine
                    print(f"{name:<22}{n:>7}{mine / 1e6:>13.1f}M{floor / 1e6:>13.1f}M"
                          f"{mine / floor:>7.2f}{mine / n:>10.0f}")
    if os.path.isdir(a.corpus):
        t = run(lint, a.corpus, a.runs)
        rss = peak_rss(lint, a.corpus)
        print(f"{'corpus':<22}{'':>7}{'':>9}{t * 1000:>9.1f}ms{'':>9}{'':>7}{'':>9}{'':>9}"
              f"{rss / 1024:>9.1f}")
        seen["corpus"] = {"t": t}
    print()
    for line in goals(seen, sizes):
        print(line)
    print(symbol_order())
    print(relocations())


def functions(binary):
    """The functions `binary` defines (`nm`: text symbols, local and weak ones
    included), by name, at each name's lowest address: a generic function can be
    copied into several objects."""
    out = subprocess.run(["nm", binary], stdout=subprocess.PIPE, check=True).stdout
    at = {}
    for p in (l.split() for l in out.decode(errors="replace").splitlines()):
        if len(p) == 3 and p[1] in "tTwW":
            a = int(p[0], 16)
            at[p[2]] = min(at.get(p[2], a), a)
    return at


def symbol_order():
    """Whether benches/symbol-order.txt still fits the binary (a new toolchain or
    dependency renames functions) and was laid out (build.rs passes it to LLD):
    either way, code scattered over the text makes more of it resident."""
    path = os.path.join(ROOT, "benches", "symbol-order.txt")
    if not os.path.exists(path) or not shutil.which("nm"):
        return "symbol order: not checked (no list, or no nm)"
    with open(path) as f:
        listed = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    at = functions(BIN)
    # The layout is judged on Rust functions: C runtime objects are not split
    # into a section per function, and the allocator shim is an object of its own.
    rust = {n: a for n, a in at.items() if n.startswith(("_ZN", "_R")) and "___rustc" not in n}
    found = sum(n in at for n in listed)
    wanted = set(listed)
    mine = [a for n, a in rust.items() if n in wanted]
    others = [a for n, a in rust.items() if n not in wanted]
    first = bool(mine) and bool(others) and max(mine) < min(others)
    # A fresh list names no function the binary lacks; 25 renamed functions
    # (the tree's `Arc<[T]>`) left 1 MB more code resident on 2,000 services.
    # Names with LLVM's numeric suffix (`.1883`) are left out of the count:
    # those numbers move with unrelated changes.
    steady = [n for n in listed if not re.search(r"\.\d+$", n)]
    stale = sum(n not in at for n in steady) > 0.005 * len(steady)
    return (f"symbol order: {found} of {len(listed)} listed functions are in the binary, "
            + ("laid out first" if first else "NOT laid out first")
            + (" (stale: run benches/symbol_order.py)" if stale else ""))


def goals(seen, sizes):
    """Issue 11's goals, judged on this run's figures (a goal whose input this run
    did not measure is left out)."""
    out = ["goals (issue 11), judged on this run:"]

    def verdict(ok):
        return "met" if ok else "NOT met"

    two = seen.get(("anchored services", 2000))
    if two:
        out.append(f"  2,000 services in at most 120 ms: {two['t'] * 1000:.1f} ms, "
                   + verdict(two["t"] <= 0.12))
        out.append(f"  at most 2x the floor on 2,000 services: {two['ratio']:.2f}, "
                   + verdict(two["ratio"] <= 2.0))
        bound = 5 * two["size"] + 10 * 1024 * 1024
        if two["rss"]:
            out.append(f"  peak RSS at most 5x the input + 10 MiB on 2,000 services: "
                       f"{two['rss'] / 1024:.1f} MiB against {bound / 1048576:.1f}, "
                       + verdict(two["rss"] * 1024 <= bound))
        else:
            out.append("  peak RSS: not measured (no GNU time at /usr/bin/time)")
    wide = sorted(n for n in sizes if 1000 <= n <= 16000)
    if len(wide) > 1:
        for name in ("anchored services", "base + override"):
            rows = [(n, seen[name, n]) for n in wide if (name, n) in seen]
            per = [r["t"] / n for n, r in rows]
            # The time per service counts the run's fixed cost (start, walk: a few
            # ms), most at 1,000; what each further service costs leaves it out
            # (from the second size on, so within the range; noise can make it
            # negative, and then no ratio is shown).
            more = [r["more"] for n, r in rows[1:] if r.get("more") is not None]
            line = (f"  time per service flat within 20%, {wide[0]:,} to {wide[-1]:,} ({name}): "
                    f"highest/lowest {max(per) / min(per):.2f}, " + verdict(max(per) <= 1.2 * min(per)))
            if len(more) > 1 and min(more) > 0:
                line += f"; per further service {max(more) / min(more):.2f}"
            fixed = seen.get((name, "fixed"))
            net = [(r["t"] - fixed) / n for n, r in rows] if fixed is not None else []
            if len(net) > 1 and min(net) > 0:
                line += (f"; without a one-service run's {fixed * 1000:.1f} ms, "
                         f"{max(net) / min(net):.2f}")
            ins = [r["instructions"] / n for n, r in rows if "instructions" in r]
            if len(ins) > 1:
                line += f"; instructions per service {max(ins) / min(ins):.2f}"
            out.append(line)
    if "corpus" in seen:
        t = seen["corpus"]["t"]
        out.append(f"  the corpus in at most 80 ms: {t * 1000:.1f} ms, " + verdict(t <= 0.08))
    env = [seen["dotenv-linter", n] for n in sizes if ("dotenv-linter", n) in seen]
    if env:
        slower = sum(e["mine"] >= e["peer"] for e in env)
        out.append(f"  .env faster than dotenv-linter: at {len(env) - slower} of {len(env)} sizes, "
                   + verdict(slower == 0))
    return out


def relocations():
    """Whether the binary's relative relocations are packed (build.rs asks LLD to,
    for glibc 2.36 or later): unpacked, the loader reads 340 KB of them at every
    start, and they stay resident."""
    if not shutil.which("readelf"):
        return "relocations: not checked (no readelf)"
    out = subprocess.run(["readelf", "-d", BIN], capture_output=True, text=True).stdout
    if "(RELR)" in out:
        return "relocations: packed (DT_RELR)"
    return "relocations: NOT packed (another linker, or glibc before 2.36)"


if __name__ == "__main__":
    main()
