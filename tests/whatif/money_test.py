#!/usr/bin/env python3
"""What-if in money (tests/whatif_money.cmake; run in docs/examples/whatif): measures, segments, transitions and grids over the
hand-made book.jsonl under policy.yaml, every figure worked by hand below.

usage: money_test.py MMI

The book (baseline statutory_period 100 days; MMI = the earliest of a certification and
injury.date + statutory_period; coverage_cutoff = mmi_date):
  case body  injury      disability  rate  certified   baseline cutoff       paid = days × rate / 7
  A1   knee  2024-01-01  2024-01-01  700   -           2024-04-10 statutory  100 × 100 = 10000
  A2   knee  2024-03-01  2024-03-11  350   -           2024-06-09 statutory   90 ×  50 =  4500
  A3   back  2025-02-01  2025-02-01  1400  2025-02-21  2025-02-21 certified   20 × 200 =  4000
  A4   back  2025-06-01  2025-06-01  70    2025-11-29  2025-09-09 statutory  100 ×  10 =  1000
  A5   back  2025-04-01  2025-04-01  -     -           2025-07-10 statutory  (no rate: missing)
  A6   -     2024-05-01  2024-05-01  7     -           2024-08-09 statutory  100 ×   1 =   100
  A7   knee  2025-11-01  2025-11-01  140   -           2026-02-09 statutory  100 ×  20 =  2000
  A8   knee  -           -           700   -           error (injury.date is required): missing
Baseline paid = 10000+4500+4000+1000+100+2000 = 21600, missing in A5 and A8.
"""
import json
import subprocess
import sys

MMI = sys.argv[1]
PAID = "paid = days_between(benefits.disability_start, coverage_cutoff) * benefits.weekly_rate / 7"
DAYS = "days = coverage_cutoff - injury.date"
failures = []


def run(*args, code=0):
    p = subprocess.run([MMI, "whatif", "-p", "policy.yaml", "book.jsonl", "--no-progress", "-q",
                        *args], capture_output=True, text=True)
    if p.returncode != code:
        failures.append(f"{args}: exit {p.returncode}, wanted {code}: {p.stderr}")
    return p


def expect(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


def measure(baseline, variant, pct, missing):
    return {"baseline": baseline, "variant": variant, "delta": variant - baseline,
            "delta_pct": pct, "missing": missing}


# 1. statutory_period 100 → 120 days: every statutory case moves 20 days; A3 stays certified.
#    paid: A1 120×100=12000, A2 110×50=5500, A3 4000, A4 120×10=1200, A6 120, A7 120×20=2400
#    = 25220; delta 3620 = 16.759…% → 16.76. days (cutoff − injury): 100 each statutory case,
#    20 for A3: 6×100 + 20 = 620 → 6×120 + 20 = 740, missing only in A8.
out = json.loads(run("--format", "json", "--set", "statutory_period=120 days", "--measure", PAID,
                     "--measure", DAYS, "--by", "injury.body_part", "--by",
                     "year(injury.date)").stdout)
expect("measures", out["measures"], {"paid": measure(21600, 25220, 16.76, 2),
                                     "days": measure(620, 740, 19.35, 1)})
expect("measure order", list(out["measures"]), ["paid", "days"])
# Segments, keyed by each --by text, in key order (JSON text: "back" < "knee" < null):
#   back·2025 A3 A4 A5: paid 4000+1000 → 4000+1200 (A5 missing), days 20+100+100 → 20+120+120
#   knee·2024 A1 A2:    paid 14500 → 17500, days 200 → 240
#   knee·2025 A7:       paid 2000 → 2400, days 100 → 120
#   null·2024 A6:       paid 100 → 120, days 100 → 120
#   null·null A8:       error, both missing
segs = {(s["key"]["injury.body_part"], s["key"]["year(injury.date)"]):
        (s["cases"], s["changed"], s["measures"]["paid"], s["measures"]["days"])
        for s in out["segments"]}
ch = lambda n: {"status": 0, "mmi_date": n, "coverage_cutoff": n}
expect("segments", segs, {
    ("back", 2025): (3, ch(2), measure(5000, 5200, 4, 1), measure(220, 260, 18.18, 0)),
    ("knee", 2024): (2, ch(2), measure(14500, 17500, 20.69, 0), measure(200, 240, 20, 0)),
    ("knee", 2025): (1, ch(1), measure(2000, 2400, 20, 0), measure(100, 120, 20, 0)),
    (None, 2024): (1, ch(1), measure(100, 120, 20, 0), measure(100, 120, 20, 0)),
    (None, None): (1, ch(0), measure(0, 0, None, 1), measure(0, 0, None, 1)),
})
expect("segment order", [list(s["key"].values()) for s in out["segments"]],
       [["back", 2025], ["knee", 2024], ["knee", 2025], [None, 2024], [None, None]])
# Transitions: the six statutory cases stay statutory, A3 certified, A8 in error.
st = lambda s, b: {"status": s, "basis": b}
expect("transitions", out["transitions"], [
    {"from": st("reached", "certified"), "to": st("reached", "certified"), "count": 1},
    {"from": st("reached", "statutory"), "to": st("reached", "statutory"), "count": 6},
    {"from": st("error", None), "to": st("error", None), "count": 1}])

# 2. certification_allowed false: A3 falls back to statutory 2025-02-01 + 100 = 2025-05-12,
#    paid 100 × 200 = 20000 (+16000): 21600 → 37600, +74.07%.
out = json.loads(run("--format", "json", "--set", "certification_allowed=false",
                     "--measure", PAID).stdout)
expect("no certification", out["measures"]["paid"], measure(21600, 37600, 74.07, 2))
expect("transitions without certification", out["transitions"], [
    {"from": st("reached", "certified"), "to": st("reached", "statutory"), "count": 1},
    {"from": st("reached", "statutory"), "to": st("reached", "statutory"), "count": 6},
    {"from": st("error", None), "to": st("error", None), "count": 1}])
text = run("--format", "text", "--set", "certification_allowed=false", "--measure", PAID).stdout
expect("text: measures first", text.splitlines()[1],
       "  paid             21,600 → 37,600 (+16,000, +74.07%; missing in 2)")
expect("text: transition", "  transition       reached/certified → reached/statutory: 1" in text,
       True)

# 3. A 2 × 2 grid, the last --sweep varying fastest; values are objects. paid with A3 statutory
#    at 120 days: A3 2025-06-01, 120 × 200 = 24000; 25220 − 4000 + 24000 = 45220.
out = json.loads(run("--format", "json", "--sweep", "statutory_period=100 days,120 days",
                     "--sweep", "certification_allowed=true,false", "--measure", PAID).stdout)
expect("grid", [(v["value"], v["measures"]["paid"]["variant"]) for v in out], [
    ({"statutory_period": "100 days", "certification_allowed": "true"}, 21600),
    ({"statutory_period": "100 days", "certification_allowed": "false"}, 37600),
    ({"statutory_period": "120 days", "certification_allowed": "true"}, 25220),
    ({"statutory_period": "120 days", "certification_allowed": "false"}, 45220)])

# 4. Errors before any case is read, located in the command-line text (columns count in the
#    whole argument), exit 2.
p = run("--set", "statutory_period=120 days", "--measure", "paid = benefits.weekly_rat * 2",
        code=2)
expect("unknown field located", p.stderr.splitlines()[0],
       "--measure paid:1:8: error[E202]: benefits has no field `weekly_rat`")
p = run("--set", "statutory_period=120 days", "--by", "year(injury.dat)", code=2)
expect("--by located", p.stderr.splitlines()[0],
       "--by year(injury.dat):1:6: error[E202]: injury has no field `dat`")
p = run("--set", "statutory_period=120 days", "--measure", "paid = injury.body_part", code=2)
expect("text measure refused", "a measure is text; a measure is a number or a duration"
       in p.stderr, True)
p = run("--set", "statutory_period=120 days", "--by", "opinions", code=2)
expect("list --by refused", "a --by expression is" in p.stderr, True)
sweep = ",".join(f"{d} days" for d in range(1, 101))
p = run("--sweep", "statutory_period=" + sweep, "--sweep",
        "certification_allowed=true,false,true,false,true,false,true,false,true,false,true",
        code=2)
expect("grid too large", p.stderr.strip(),
       "mmi: the --sweep grid has more than 1000 variants; sweep fewer values")

p = run("--set", "statutory_period=120 days", "--by", "a", "--by", "b", "--by", "c", "--by", "d",
        code=2)
expect("four --by", p.stderr, "mmi: at most 3 --by expressions\n")
p = run("--set", "statutory_period=120 days", "--measure", "x=1", "--measure", "x = 2", code=2)
expect("measure twice", p.stderr, "mmi: --measure `x` is given twice\n")
# CSV: four columns per measure after the summary's.
csv = run("--format", "csv", "--sweep", "statutory_period=120 days", "--measure", PAID).stdout
expect("csv", csv.splitlines()[0].split(",")[-4:],
       ["paid_baseline", "paid_variant", "paid_delta", "paid_missing"])
expect("csv row", csv.splitlines()[1], "120 days,8,1,6,0,6,6,6,120,20,20,20,617,737,21600,25220,3620,2")

# 5. Totals do not depend on the order of the cases: the book reversed, with a measure whose
#    per-case values have 34 digits (rate / 3), gives the same measures and segments.
import os
import tempfile
THIRD = "third = benefits.weekly_rate / 3"
with tempfile.TemporaryDirectory() as tmp:
    lines = open("book.jsonl").read().splitlines()
    reversed_book = os.path.join(tmp, "reversed.jsonl")
    open(reversed_book, "w").write("\n".join(reversed(lines)) + "\n")
    def totals(book):
        p = subprocess.run([MMI, "whatif", "-p", "policy.yaml", book, "-q", "--format", "json",
                            "--set", "statutory_period=120 days", "--measure", THIRD, "--by",
                            "injury.body_part"], capture_output=True, text=True)
        d = json.loads(p.stdout, parse_float=str)
        return d["measures"], d["segments"]
    forward, backward = totals("book.jsonl"), totals(reversed_book)
    expect("order independence", backward, forward)
    # Each case rounded to 12 decimals (A5 has no rate, A8 is in error): 233.333333333333 +
    # 116.666666666667 + 466.666666666667 + 23.333333333333 + 2.333333333333 + 46.666666666667
    # = 889 exactly.
    expect("thirds", forward[0]["third"]["baseline"], 889)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
