#!/usr/bin/env python3
"""Exit codes and messages of the `mmi` command line (docs/cli.md).

Usage: cli_behaviour.py MMI   (run from the source root)"""
import json
import os
import subprocess
import sys
import tempfile

from clitest import MMI, expect, failures, finish, run  # noqa: E402


tmp = tempfile.mkdtemp()
case = os.path.join(tmp, "c.yaml")
with open(case, "w") as f:
    # No as_of and no injury.date: both supplied on the command line below.
    f.write("id: CLI-1\nbenefits: {income_start: 2024-01-23}\n")
tx = "policies/us-tx.yaml"

expect("version", ["--version"], 0, out_has=["mmi "])
expect("no subcommand is a usage error", [], 2)
expect("unknown flag", ["check", "--nope", tx], 2,
       err_has=["mmi check: unknown flag `--nope` (see `mmi check --help`)"])
expect("check a top policy", ["check", "--format", "text", tx], 0, out_has=[tx + ": ok"])
expect("check a module on its own", ["check", "--format", "text", "policies/jurisdictions/us-tx.yaml"], 0,
       out_has=["0 errors"])
expect("check a missing file", ["check", "nope.yaml"], 2, err_has=["cannot read policy `nope.yaml`"])
expect("eval a module", ["eval", "-p", "policies/std/max-potential.yaml", "-c", case], 1,
       err_has=["is a module"])
expect("eval a missing case file", ["eval", "-p", tx, "-c", "nope.json"], 2, err_has=["cannot read case"])
expect("bad --set value", ["eval", "-p", tx, "-c", case, "--set", "tx_sib_threshold=abc"], 2,
       err_has=["must be a literal"])
expect("unknown --set name", ["eval", "-p", tx, "-c", case, "--set", "tx_sib_treshold=10"], 2,
       err_has=["did you mean `tx_sib_threshold`"])
expect("bad --as-of", ["eval", "-p", tx, "-c", case, "--as-of", "2025-02-30"], 2)
# as_of and injury.date come from the command line; 2024-01-23 + 104 weeks = 2026-01-20.
rc, out, err = run(["eval", "-p", tx, "-c", case, "--as-of", "2026-03-01", "--fact", "injury.date=2024-01-15",
                    "--format", "json"])
if rc != 0:
    failures.append(f"--as-of/--fact supply missing facts: exit {rc}: {err}")
else:
    r = json.loads(out)
    if (r["status"], r["mmi_date"], r["basis"]) != ("reached", "2026-01-20", "statutory"):
        failures.append(f"--as-of/--fact: got {r['status']} {r['mmi_date']} {r['basis']}")
expect("a case missing a required fact is an error result", ["eval", "-p", tx, "-c", case, "--as-of", "2026-03-01",
       "--format", "json"], 1, out_has=['"status":"error"', "required fact `injury.date` is absent"])
expect("test a missing suite", ["test", "nope.test.yaml"], 2)
expect("graph as dot", ["graph", "-p", tx, "--format", "dot"], 0, out_has=["digraph", "rule:statutory"])

finish("CLI behaviour")
