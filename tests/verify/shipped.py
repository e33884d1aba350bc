#!/usr/bin/env python3
"""Runs `mmi verify` on a shipped policy and compares every finding that is not `proved` with
tests/verify/shipped.expected (lines `POLICY FINDING RESULT`); a finding not listed must be proved.

usage: shipped.py MMI POLICY EXPECTED
"""
import json
import subprocess
import sys

mmi, policy, expected_file = sys.argv[1:4]
expected = {}
for line in open(expected_file):
    line = line.split("#")[0].strip()
    if line:
        p, finding, result = line.split()
        if p == policy.split("policies/")[-1]:
            expected[finding] = result
out = subprocess.run([mmi, "verify", policy, "--format", "json"], capture_output=True, text=True)
findings = json.loads(out.stdout)
got = {f["id"]: f["result"] for f in findings if f["result"] != "proved"}
bad = False
for fid, result in sorted(set(got.items()) ^ set(expected.items())):
    print(f"MISMATCH {fid}: expected {expected.get(fid, 'proved')}, got {got.get(fid, 'proved')}")
    bad = True
want_exit = 1 if any(r in ("violated", "unknown") for r in got.values()) else 0
if out.returncode != want_exit:
    print(f"exit {out.returncode}, expected {want_exit}")
    bad = True
print(f"{policy}: {len(findings)} findings, {len(got)} not proved")
sys.exit(1 if bad else 0)
