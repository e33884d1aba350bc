#!/usr/bin/env python3
"""Round trip: every counterexample `mmi verify` writes is fed to `mmi eval`, which must give the
decision the solver predicted (the `# predicted:` line) and show the violation.

usage: round_trip.py MMI OUT_DIR POLICY...
"""
import json
import pathlib
import shutil
import subprocess
import sys


def main():
    mmi, out_dir, policies = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
    shutil.rmtree(out_dir, ignore_errors=True)
    checked = 0
    failures = []
    for policy in policies:
        sub = out_dir / pathlib.Path(policy).stem
        subprocess.run([mmi, "verify", policy, "--counterexamples", str(sub), "--format", "json"],
                       capture_output=True, text=True, timeout=600)
        for case in sorted(sub.glob("*.yaml")):
            if case.name.endswith(".unknown.yaml"):
                continue  # the case behind an encoding gap: it does not show a violation
            lines = case.read_text().splitlines()
            predicted = [l for l in lines if l.startswith("# predicted: ")]
            if not predicted:
                failures.append(f"{case}: no predicted line")
                continue
            status, mmi_date, basis, cutoff = predicted[0][len("# predicted: "):].split(" ")
            r = subprocess.run([mmi, "eval", "-p", policy, "-c", str(case), "--format", "json"],
                               capture_output=True, text=True)
            result = json.loads(r.stdout.splitlines()[0])
            got = [result.get("status"), result.get("mmi_date"), result.get("basis"),
                   result.get("coverage_cutoff")]
            got = ["null" if g is None else str(g) for g in got]
            want = [status, mmi_date, basis, cutoff]
            if got != want:
                failures.append(f"{case}: predicted {want}, eval gives {got}")
            # The violation itself: a cutoff before the injury, or an error, shows in the result.
            why = lines[0]
            injury = next((l.split(": ")[1] for l in lines if l.startswith("  date: ")), None)
            if "is before injury.date" in why and not (got[3] != "null" and injury and got[3] < injury):
                failures.append(f"{case}: eval shows no cutoff before the injury")
            if case.stem.endswith("no_evaluation_error") and got[0] != "error":
                failures.append(f"{case}: eval shows no error")
            checked += 1
    for f in failures:
        print("FAIL", f)
    print(f"{checked} counterexamples replayed, {len(failures)} failures")
    if checked == 0:
        print("FAIL no counterexample was produced")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
