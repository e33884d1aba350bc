#!/usr/bin/env python3
"""Golden-output tests for the `mmi` command line.

Runs each command below from the source root (so every path in the output is relative), and
compares stdout, stderr and the exit code with tests/golden/expected/<name>.txt.

    python3 tests/golden/run.py --mmi build/cli/mmi              # compare
    python3 tests/golden/run.py --mmi build/cli/mmi --update-golden  # rewrite the expected files
    python3 tests/golden/run.py --mmi build/cli/mmi check-bad-types  # only some commands

`sha256:…` policy digests are replaced by `sha256:<digest>` and `"engine_version":"…"` by
`"engine_version":"<version>"` before comparing, so that editing a shipped policy's comments or
releasing a version does not churn every golden file; everything else must match byte for byte.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPECTED = os.path.join(HERE, "expected")
P = "tests/golden/policies/"
C = "tests/golden/cases/"

# name -> arguments of `mmi`
COMMANDS = {
    # mmi check: good policies
    "check-good-text": ["check", "--format", "text", P + "good.yaml", "policies/us-tx.yaml"],
    "check-good-json": ["check", "--format", "json", P + "good.yaml", "policies/us-tx.yaml"],
    "check-good-sarif": ["check", "--format", "sarif", P + "good.yaml"],
    # mmi check: bad policies, each format
    "check-bad-syntax-text": ["check", "--format", "text", P + "bad-syntax.yaml"],
    "check-bad-syntax-json": ["check", "--format", "json", P + "bad-syntax.yaml"],
    "check-bad-syntax-sarif": ["check", "--format", "sarif", P + "bad-syntax.yaml"],
    "check-bad-types-text": ["check", "--format", "text", P + "bad-types.yaml"],
    "check-bad-types-json": ["check", "--format", "json", P + "bad-types.yaml"],
    "check-bad-types-sarif": ["check", "--format", "sarif", P + "bad-types.yaml"],
    "check-bad-structure-text": ["check", "--format", "text", P + "bad-structure.yaml"],
    "check-bad-structure-json": ["check", "--format", "json", P + "bad-structure.yaml"],
    "check-cycle-text": ["check", "--format", "text", P + "cycle-top.yaml"],
    "check-empty-text": ["check", "--format", "text", P + "empty.yaml"],
    "check-missing-file-text": ["check", "--format", "text", P + "does-not-exist.yaml"],
    "check-warnings-text": ["check", "--format", "text", P + "warnings.yaml"],
    "check-warnings-werror": ["check", "--format", "text", "--werror", P + "warnings.yaml"],
    "check-warnings-sarif": ["check", "--format", "sarif", P + "warnings.yaml"],
    "check-several-text": ["check", "--format", "text", P + "good.yaml", P + "bad-types.yaml"],
    # mmi eval --explain on shipped policies
    "eval-tx-statutory-explain-text": ["eval", "-p", "policies/us-tx.yaml", "-c",
                                       C + "tx-statutory.yaml", "--explain", "--format", "text"],
    "eval-tx-statutory-explain-json": ["eval", "-p", "policies/us-tx.yaml", "-c",
                                       C + "tx-statutory.yaml", "--explain", "--format", "json"],
    "eval-tx-certified-explain-text": ["eval", "-p", "policies/us-tx.yaml", "-c",
                                       C + "tx-certified.json", "--explain", "--format", "text"],
    "eval-tx-certified-explain-json": ["eval", "-p", "policies/us-tx.yaml", "-c",
                                       C + "tx-certified.json", "--explain", "--format", "json"],
    "eval-tx-unknown-explain-text": ["eval", "-p", "policies/us-tx.yaml", "-c",
                                     C + "tx-unknown.yaml", "--explain", "--format", "text"],
    "eval-tx-unknown-json": ["eval", "-p", "policies/us-tx.yaml", "-c", C + "tx-unknown.yaml",
                             "--format", "json"],
    "eval-tx-bad-json": ["eval", "-p", "policies/us-tx.yaml", "-c", C + "tx-bad.yaml",
                         "--format", "json"],
    "eval-good-plateau-explain-text": ["eval", "-p", P + "good.yaml", "-c",
                                       C + "good-plateau.yaml", "--explain", "--format", "text"],
}

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
ENGINE_VERSION = re.compile(r'"engine_version":"[^"]*"')


def run(mmi, args):
    proc = subprocess.run([mmi] + args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    out = "$ mmi " + " ".join(args) + "\n"
    out += proc.stdout
    if proc.stderr:
        out += "--- stderr ---\n" + proc.stderr
    out += "--- exit %d ---\n" % proc.returncode
    out = ENGINE_VERSION.sub('"engine_version":"<version>"', out)
    return DIGEST.sub("sha256:<digest>", out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mmi", required=True, help="path of the built mmi binary")
    parser.add_argument("--update-golden", action="store_true",
                        help="rewrite the expected outputs instead of comparing")
    parser.add_argument("names", nargs="*", help="only these commands")
    opts = parser.parse_args()
    mmi = os.path.abspath(opts.mmi)
    names = opts.names or sorted(COMMANDS)
    failed = []
    for name in names:
        if name not in COMMANDS:
            print("unknown golden command %s" % name, file=sys.stderr)
            return 2
        actual = run(mmi, COMMANDS[name])
        path = os.path.join(EXPECTED, name + ".txt")
        if opts.update_golden:
            os.makedirs(EXPECTED, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(actual)
            continue
        try:
            with open(path, encoding="utf-8") as f:
                expected = f.read()
        except FileNotFoundError:
            expected = ""
        if actual != expected:
            failed.append(name)
            sys.stdout.writelines(difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True),
                "expected/" + name + ".txt", "actual"))
    if opts.update_golden:
        print("updated %d golden files in %s" % (len(names), os.path.relpath(EXPECTED, ROOT)))
        return 0
    print("%d of %d golden outputs match" % (len(names) - len(failed), len(names)))
    if failed:
        print("differ: " + ", ".join(failed))
        print("(after checking the differences are intended: run.py --update-golden)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
