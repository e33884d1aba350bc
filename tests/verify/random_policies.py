#!/usr/bin/env python3
"""Property test: random small policies and cases. Whenever `mmi verify` says a property is
proved, `mmi batch` must find it true on every random case within the bounds; whenever it says
violated, its counterexample must make the property false or missing under `mmi eval`. The
property is also an output of the policy, so the engine computes it.

usage: random_policies.py MMI WORK_DIR [SEED] [POLICIES] [CASES]
"""
import datetime
import json
import pathlib
import random
import subprocess
import sys

FIRST, LAST = datetime.date(2000, 1, 1), datetime.date(2001, 12, 31)


def bool_expr(r, depth=0):
    atoms = ["a.b", "a.n > t", "a.d <= injury.date + k", "any(items where v > t)",
             "count(items) >= 2", "a.d is present", "a.n is missing", "as_of >= injury.date + k",
             "(a.d between injury.date and as_of)", "last(items).v >= a.n",
             "sum(items.v) > 3 * t", "a.d + 1 month > as_of", "days_between(injury.date, as_of) > 30",
             "year(a.d) >= 2001", "month(a.d + 1 month) == 3", "round(a.n / 4, 0) >= t",
             "median(items.v) >= t", "avg(items.v) > t", "a.d + 1 year > as_of"]
    if depth > 2 or r.random() < 0.4:
        return r.choice(atoms)
    op = r.choice(["and", "or", "implies", "not", "??"])
    if op == "not":
        return f"not ({bool_expr(r, depth + 1)})"
    return f"({bool_expr(r, depth + 1)}) {op} ({bool_expr(r, depth + 1)})"


def date_expr(r):
    return r.choice(["injury.date + k", "a.d", "a.d ?? injury.date", "earliest(a.d, injury.date + 30 days)",
                     "last(items).date", "first(items where v > t).date",
                     "if a.b then a.d else injury.date", "a.d + 1 month", "a.d - 2 months",
                     "latest(items.date)", "injury.date + a.n * 1 day", "as_of", "a.d - 1 year"])


def policy(r, index):
    rules = []
    for i in range(r.randint(1, 3)):
        rule = {"id": f"r{i}", "when": bool_expr(r), "mmi_date": date_expr(r)}
        if r.random() < 0.3:
            rule["unless"] = bool_expr(r)
        rules.append(rule)
    holds = r.choice([
        "coverage_cutoff is missing or coverage_cutoff >= injury.date",
        'status == "reached" implies mmi_date is present',
        "mmi_date is missing or mmi_date >= injury.date",
        f"({bool_expr(r)}) or status != \"reached\"",
        bool_expr(r),
    ])
    cutoff = date_expr(r)
    return {
        "policy": f"random-{index}", "version": "1", "definition": "max-potential",
        "facts": {"injury": {"date": "date required"},
                  "a": {"d": "date", "n": "number", "b": "bool"},
                  "items": [{"date": "date required", "v": "number"}]},
        "parameters": {"k": f"{r.choice([7, 14, 30])} days", "t": r.choice([1, 5, 10])},
        "rules": rules,
        "decision": {"hit": r.choice(["earliest", "first"]), "coverage_cutoff": cutoff},
        # Outputs cannot read coverage_cutoff: the engine's copy of `p` inlines it.
        "outputs": {"p": holds.replace("coverage_cutoff", f"({cutoff})")},
        "properties": [{"id": "p", "holds": holds}],
    }


def day(r):
    return (FIRST + datetime.timedelta(days=r.randint(0, (LAST - FIRST).days))).isoformat()


def case(r, i):
    c = {"id": f"c{i}", "as_of": day(r), "injury": {"date": day(r)}, "a": {}}
    if r.random() < 0.7: c["a"]["d"] = day(r)
    if r.random() < 0.7: c["a"]["n"] = r.choice([0, 1, 2.5, 5, 10, 12, 40])
    if r.random() < 0.7: c["a"]["b"] = r.random() < 0.5
    c["items"] = []
    for _ in range(r.randint(0, 3)):
        item = {"date": day(r)}
        if r.random() < 0.8: item["v"] = r.choice([0, 1, 3, 5, 7.5, 11])
        c["items"].append(item)
    return c


def main():
    mmi, work = sys.argv[1], pathlib.Path(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 13
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 25
    cases_per = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    r = random.Random(seed)
    work.mkdir(parents=True, exist_ok=True)
    failures, verdicts = [], {}
    for index in range(count):
        path = work / f"random-{index}.yaml"
        path.write_text(json.dumps(policy(r, index), indent=1))
        out = subprocess.run([mmi, "verify", str(path), "--format", "json", "--timeout", "5",
                              "--date-range", f"{FIRST}..{LAST}",
                              "--counterexamples", str(work / f"cx-{index}")],
                             capture_output=True, text=True, timeout=300)
        if out.returncode == 2:
            failures.append(f"{path}: verify usage error {out.stderr}")
            continue
        finding = next(f for f in json.loads(out.stdout) if f["id"] == "property:p")
        verdicts[finding["result"]] = verdicts.get(finding["result"], 0) + 1
        if finding["result"] == "proved":
            cases = work / f"cases-{index}.jsonl"
            cases.write_text("".join(json.dumps(case(r, i)) + "\n" for i in range(cases_per)))
            res = subprocess.run([mmi, "batch", "-p", str(path), str(cases), "--no-progress",
                                  "--threads", "1"], capture_output=True, text=True)
            for line in res.stdout.splitlines():
                result = json.loads(line)
                if result["status"] == "error":
                    continue  # outputs are not given for an error; the error check covers it
                if result["outputs"].get("p") is not True:
                    failures.append(f"{path}: verify proved `p`, eval gives {result['outputs'].get('p')}"
                                    f" on case {result['case']}")
                    break
        elif finding["result"] == "violated":
            cx = finding.get("counterexample_file")
            res = subprocess.run([mmi, "eval", "-p", str(path), "-c", cx, "--format", "json"],
                                 capture_output=True, text=True)
            result = json.loads(res.stdout.splitlines()[0])
            if result["status"] != "error" and result["outputs"].get("p") is True:
                failures.append(f"{path}: counterexample {cx} does not refute `p` under eval")
    for f in failures:
        print("FAIL", f)
    print(f"{count} random policies: {verdicts}; {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
