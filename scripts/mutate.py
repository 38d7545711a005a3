#!/usr/bin/env python3
"""Mutation check: do the tests notice a realistic bug?

Applies each mutation of a list (tests/mutations.txt by default) one at a
time to a scratch copy of the source tree, rebuilds the test binaries it
names (ccache makes all but the mutated file's objects hits), runs them,
reverts, and prints each mutant's fate and the kill rate. See
docs/testing.md for the list format and how to read the result.

Fates:
  killed    a test binary failed (or timed out) with the mutant in
  survived  every test binary passed: the tests cannot see this bug
  stale     the original text is not in the file (the code moved or changed:
            update the list); not counted in the rate
  no-build  the mutant does not compile; not counted in the rate

Usage: scripts/mutate.sh [--list FILE] [--only REGEX] [--scratch DIR]
                         [--keep-going-on-baseline-failure]
"""
import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What a mutation in each module runs by default: the test binaries of the
# module (a `run:` line in the list overrides it with a narrower choice).
DEFAULT_RUNS = {
    "sim-core": ["sim_core_tests"],
    "nand": ["nand_tests"],
    "controller": ["controller_tests"],
    # The host's models are exercised through jobs: its token graph in
    # host_tests, its executors and caches in the job tests.
    "host": ["host_tests", "job_tests --gtest_filter=-Reproduce*"],
    "partition": ["partition_tests"],
    "coordinator": ["job_tests --gtest_filter=-Reproduce*"],
    "reproduce": ["job_tests --gtest_filter=Reproduce*"],
}


@dataclasses.dataclass
class Mutation:
    name: str
    module: str = ""
    file: str = ""
    original: str = ""
    replacement: str = None  # None until a "+" line is read
    why: str = ""
    runs: list = dataclasses.field(default_factory=list)
    line: int = 0  # in the list file, for messages

    def commands(self):
        return self.runs or DEFAULT_RUNS.get(self.module, [])


def parse_list(path):
    """Blocks separated by blank lines; each block:
        name: <id>
        module: sim-core|nand|controller|host|partition|coordinator|reproduce
        file: <path from the repository root>
        why: <one line: the bug this stands for>        (optional)
        run: <test binary> [gtest args]                  (optional, repeatable)
        - <exact original text, spaces kept after "- "; several lines: several "- " lines>
        + <replacement text; several "+ " lines for several lines; "+" alone: empty>
    Lines starting with # are comments."""
    muts, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if cur:
                    muts.append(cur)
                    cur = None
                continue
            if cur is None:
                cur = Mutation(name="", line=n)
            # Several "- " (or "+ ") lines in a row are one text of several lines.
            if line.startswith("- "):
                cur.original = line[2:] if cur.original == "" else cur.original + "\n" + line[2:]
            elif line.startswith("+ ") or line == "+":
                cur.replacement = line[2:] if cur.replacement is None else cur.replacement + "\n" + line[2:]
            else:
                key, _, value = line.partition(":")
                value = value.strip()
                if key == "name":
                    cur.name = value
                elif key == "module":
                    cur.module = value
                elif key == "file":
                    cur.file = value
                elif key == "why":
                    cur.why = value
                elif key == "run":
                    cur.runs.append(value)
                else:
                    sys.exit(f"{path}:{n}: unknown key '{key}'")
    if cur:
        muts.append(cur)
    for m in muts:
        for field in ("name", "module", "file", "original", "replacement"):
            if getattr(m, field) is None or (field != "replacement" and not getattr(m, field)):
                sys.exit(f"{path}:{m.line}: mutation '{m.name}' has no {field}")
        if m.module not in DEFAULT_RUNS:
            sys.exit(f"{path}:{m.line}: module = {m.module}; allowed: {', '.join(DEFAULT_RUNS)}")
    return muts


def sh(cmd, cwd, log, timeout=None, env=None):
    with open(log, "a") as out:
        out.write(f"\n$ {cmd}\n")
        out.flush()
        try:
            return subprocess.run(cmd, shell=True, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout, env=env).returncode
        except subprocess.TimeoutExpired:
            out.write(f"timed out after {timeout} s\n")
            return "timeout"


def copy_tree(scratch):
    """The working tree's tracked files (uncommitted edits included) into scratch."""
    os.makedirs(scratch, exist_ok=True)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for rel in files.decode().split("\0"):
        if not rel or not os.path.isfile(os.path.join(ROOT, rel)):
            continue
        dst = os.path.join(scratch, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        src = os.path.join(ROOT, rel)
        # Keep an unchanged file's mtime so make does not rebuild it.
        if os.path.exists(dst) and open(dst, "rb").read() == open(src, "rb").read():
            continue
        shutil.copy2(src, dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", default=os.path.join(ROOT, "tests", "mutations.txt"))
    ap.add_argument("--only", default="", help="run only mutations whose name matches this regex")
    ap.add_argument("--scratch", default=os.environ.get("STRATA_MUTATE_DIR", "/tmp/strata-mutate"))
    ap.add_argument("--timeout", type=float, default=3.0,
                    help="a test run longer than this many times its baseline counts as killed (a hang)")
    ap.add_argument("--keep-going-on-baseline-failure", action="store_true")
    a = ap.parse_args()

    muts = [m for m in parse_list(a.list) if re.search(a.only, m.name)]
    scratch = os.path.abspath(a.scratch)
    build = os.path.join(scratch, "build")
    log = os.path.join(scratch, "mutate.log")
    copy_tree(scratch)
    open(log, "w").close()
    # -Werror as CI builds (scripts/setup.sh with CI=true): the same flags
    # make the checkout's cached objects hits here; a mutant that only
    # draws a warning is then "no-build".
    # ccache: paths under the scratch copy hash as relative ones, so objects
    # built from unchanged sources are hits, whatever the checkout's path.
    env = dict(os.environ, CCACHE_BASEDIR=scratch)
    launcher = "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache" if shutil.which("ccache") else ""
    if sh(f"cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=ON {launcher}", scratch, log,
          env=env) != 0:
        sys.exit(f"mutate: cmake failed; see {log}")
    binaries = sorted({c.split()[0] for m in muts for c in m.commands()})
    jobs = os.environ.get("STRATA_JOBS", "1")
    build_cmd = f"cmake --build build -j{jobs} --target {' '.join(binaries)}"
    print(f"mutate: {len(muts)} mutations; scratch {scratch}; building {' '.join(binaries)}", flush=True)
    if sh(build_cmd, scratch, log, env=env) != 0:
        sys.exit(f"mutate: the unmutated tree does not build; see {log}")

    # Baseline: every command must pass unmutated, and its time sets the
    # hang timeout.
    baseline = {}
    for cmd in sorted({c for m in muts for c in m.commands()}):
        t0 = time.monotonic()
        rc = sh(f"build/bin/{cmd}", scratch, log)
        baseline[cmd] = time.monotonic() - t0
        print(f"mutate: baseline {cmd}: {'pass' if rc == 0 else 'FAIL'} in {baseline[cmd]:.0f} s", flush=True)
        if rc != 0 and not a.keep_going_on_baseline_failure:
            sys.exit(f"mutate: the unmutated tests fail ({cmd}); see {log}")

    fates = []
    for i, m in enumerate(muts, 1):
        path = os.path.join(scratch, m.file)
        original_text = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if original_text is None or original_text.count(m.original) != 1:
            why = "file missing" if original_text is None else (
                "original text not found" if m.original not in original_text else "original text not unique")
            fates.append((m, "stale", why))
            print(f"[{i}/{len(muts)}] {m.name}: stale ({why})", flush=True)
            continue
        t0 = time.monotonic()
        with open(path, "w", encoding="utf-8") as f:
            f.write(original_text.replace(m.original, m.replacement, 1))
        try:
            with open(log, "a") as out:
                out.write(f"\n===== {m.name}: {m.file}: '{m.original}' -> '{m.replacement}'\n")
            targets = sorted({c.split()[0] for c in m.commands()})
            if sh(f"cmake --build build -j{jobs} --target {' '.join(targets)}", scratch, log, env=env) != 0:
                fate, detail = "no-build", "the mutant does not compile"
            else:
                fate, detail = "survived", "every test passed"
                for cmd in m.commands():
                    rc = sh(f"build/bin/{cmd}", scratch, log, timeout=max(60.0, a.timeout * baseline[cmd]))
                    if rc != 0:
                        fate, detail = "killed", f"{cmd}: {'timed out' if rc == 'timeout' else f'exit {rc}'}"
                        break
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original_text)
            # Restore the mtime order so the next build recompiles this file.
            os.utime(path, None)
        fates.append((m, fate, detail))
        print(f"[{i}/{len(muts)}] {m.name}: {fate} ({detail}; {time.monotonic() - t0:.0f} s)", flush=True)

    counted = [f for f in fates if f[1] in ("killed", "survived")]
    killed = sum(1 for f in counted if f[1] == "killed")
    width = max([len(m.name) for m, _, _ in fates] + [6]) + 2
    print(f"\n{'mutant':<{width}}{'module':<13}fate")
    for m, fate, detail in fates:
        print(f"{m.name:<{width}}{m.module:<13}{fate}  {detail}")
    for kind in ("stale", "no-build"):
        n = sum(1 for f in fates if f[1] == kind)
        if n:
            print(f"{n} {kind} (not counted)")
    if counted:
        print(f"\nkill rate: {killed}/{len(counted)} = {100.0 * killed / len(counted):.1f}%")
    survivors = [m for m, fate, _ in fates if fate == "survived"]
    for m in survivors:
        print(f"survivor {m.name}: {m.file}: '{m.original.strip()}' -> '{m.replacement.strip()}'"
              + (f" ({m.why})" if m.why else ""))
    return 1 if survivors or any(f[1] == "stale" for f in fates) else 0


if __name__ == "__main__":
    sys.exit(main())
