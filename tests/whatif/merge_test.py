#!/usr/bin/env python3
"""`mmi whatif --partial` per part of a book, `mmi whatif --merge` of the parts: the same bytes
as one run over the whole book, in text, JSON, CSV and HTML, with measures, --by and a 2-D grid
(tests/whatif_money.cmake; run in docs/examples/whatif).

usage: merge_test.py MMI SOURCE_DIR

Also: the most affected cases are ordered by |cutoff shift| then case id (worked by hand below),
several CASES in one run, and the usage errors of --merge.
"""
import json
import os
import subprocess
import sys
import tempfile

MMI, SRC = sys.argv[1], sys.argv[2]
PAID = "paid = days_between(benefits.disability_start, coverage_cutoff) * benefits.weekly_rate / 7"
DAYS = "days = coverage_cutoff - injury.date"
THIRD = "third = benefits.weekly_rate / 3"
failures = []


def mmi(*args, code=0):
    p = subprocess.run([MMI, "whatif", "-q", "--no-progress", *args], capture_output=True)
    if p.returncode != code:
        failures.append(f"{args}: exit {p.returncode}, wanted {code}: {p.stderr.decode()}")
    return p


def expect(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r:.600}, want {want!r:.600}")


def split(book, sizes, tmp, name):
    """The book in parts of `sizes` lines: [(path, first line in the book)]."""
    lines = open(book, "rb").read().splitlines(keepends=True)
    assert sum(sizes) == len(lines), (sizes, len(lines))
    parts, first = [], 0
    for i, n in enumerate(sizes):
        path = os.path.join(tmp, f"{name}-{i}.jsonl")
        open(path, "wb").write(b"".join(lines[first:first + n]))
        parts.append((path, first + 1))
        first += n
    return parts


def same_as_one_run(what, policy, book, parts, analysis, tmp):
    """Partials of `parts` merged (in order, and reversed) print what one run prints."""
    partials = []
    for i, (path, first) in enumerate(parts):
        out = os.path.join(tmp, f"{what}-{i}.partial.json")
        mmi("-p", policy, path, "--first-line", str(first), *analysis, "--format", "json",
            "--partial", "-o", out)
        partials.append(out)
    for fmt in ("text", "json", "csv", "html"):
        one = mmi("-p", policy, book, *analysis, "--format", fmt).stdout
        merged = mmi("--merge", *partials, "--format", fmt).stdout
        expect(f"{what}: merged {fmt} = one run's", merged, one)
        backwards = mmi("--merge", *reversed(partials), "--format", fmt).stdout
        expect(f"{what}: merged backwards {fmt} = one run's", backwards, one)
        if fmt == "html":  # the --report page of one run is the same page
            report = os.path.join(tmp, f"{what}.html")
            mmi("-p", policy, book, *analysis, "--report", report, "-o", os.devnull)
            expect(f"{what}: --report = merged html", open(report, "rb").read(), merged)
    # A merge of merges (a tree, as a cluster would do it) is the same partial as one run's.
    whole = mmi("-p", policy, book, *analysis, "--format", "json", "--partial").stdout
    first_two = os.path.join(tmp, f"{what}-01.partial.json")
    mmi("--merge", *partials[:2], "--format", "json", "--partial", "-o", first_two)
    tree = json.loads(mmi("--merge", first_two, *partials[2:], "--format", "json",
                          "--partial").stdout)
    one = json.loads(whole)
    tree["inputs"] = one["inputs"]  # the inputs read differ: the parts, or the book
    expect(f"{what}: a merge of merges", tree, one)
    return partials


with tempfile.TemporaryDirectory() as tmp:
    # 1. The hand-made book (8 cases, one in error) in parts of 3, 3 and 2 lines: measures, two
    #    --by, a 2-D grid; then a --set variant with --top 2 (the top 2 of 6 changed cases).
    parts = split("book.jsonl", [3, 3, 2], tmp, "money")
    grid = ["--sweep", "statutory_period=100 days,120 days", "--sweep",
            "certification_allowed=true,false", "--measure", PAID, "--measure", THIRD, "--by",
            "injury.body_part", "--by", "year(injury.date)"]
    partials = same_as_one_run("grid", "policy.yaml", "book.jsonl", parts, grid, tmp)
    top2 = same_as_one_run("top2", "policy.yaml", "book.jsonl", parts,
                    ["--set", "statutory_period=120 days", "--measure", DAYS, "--measure",
                     "owed = 0 - benefits.weekly_rate / 3", "--top", "2"], tmp)

    # The partial: versioned, exact decimal sums (rate / 3 has 34 digits per case; the sum of the
    # first part, A1 233.333333333333 + A2 116.666666666667 + A3 466.666666666667 = 816.666666666667),
    # the full histogram of shifts, segment keys as JSON text.
    p0 = json.load(open(partials[0]))
    expect("format", p0["format"], "mmi-whatif-partial/1")
    expect("measures", p0["measures"], [{"name": "paid", "expr": PAID[7:]},
                                        {"name": "third", "expr": THIRD[8:]}])
    expect("exact sum", p0["impacts"][0]["measures"][1],
           {"baseline": "816.666666666667", "variant": "816.666666666667", "missing": 0})
    # statutory 120 days, certification allowed: A1 and A2 move 20 days, A3 stays certified.
    expect("shifts", p0["impacts"][2]["cutoff_shifts"], [[20, 2]])
    expect("segment key", p0["impacts"][0]["segments"][0]["key"], ['"back"', "2025"])

    # Negative sums keep their sign and every decimal: A7 −46.666666666667 (A8 is in error).
    expect("negative exact sum", json.load(open(top2[2]))["impacts"][0]["measures"][1],
           {"baseline": "-46.666666666667", "variant": "-46.666666666667", "missing": 1})

    # 2. A generated book under us-tx (300 cases, bad lines) in 3 shards of 100 lines: a sweep,
    #    a measure and --by, the top 5 of many changed cases; medians over every shard's shifts.
    book = os.path.join(tmp, "tx.jsonl")
    subprocess.run([sys.executable, os.path.join(SRC, "tools/gen_book.py"), "300", "--seed", "7",
                    "--bad-rate", "0.03", "-o", book], check=True, capture_output=True)
    tx = os.path.join(SRC, "policies/us-tx.yaml")
    sweep = ["--sweep", "tx_statutory_period=52 weeks,78 weeks,130 weeks", "--measure",
             "paid = days_between(benefits.disability_start, coverage_cutoff) * "
             "benefits.weekly_rate / 7", "--by", "injury.body_part", "--top", "5"]
    same_as_one_run("tx", tx, book, split(book, [100, 100, 100], tmp, "tx"), sweep, tmp)
    one = json.loads(mmi("-p", tx, book, *sweep, "--format", "json").stdout)
    expect("tx: many changed cases, 5 listed",
           [(v["cases_changed"] > 50, len(v["changed_cases"])) for v in one], [(True, 5)] * 3)

    # 3. Most affected: |shift| descending, then case id — not input order. Statutory 120 days
    #    without certification: A3 leaves its certified 2025-02-21 for 2025-02-01 + 120 days =
    #    2025-06-01, +100 days; A1 A2 A4 A5 A6 A7 move +20 (statutory 100 → 120 days; A4's
    #    statutory date stays before its certification); A8 is in error under both. The book
    #    reversed gives the same order, with lines counted backwards (A1 on line 8).
    rev = os.path.join(tmp, "reversed.jsonl")
    open(rev, "w").write("".join(reversed(open("book.jsonl").read().splitlines(True))))
    for path, lines in (("book.jsonl", [3, 1, 2, 4, 5, 6, 7]), (rev, [6, 8, 7, 5, 4, 3, 2])):
        out = json.loads(mmi("-p", "policy.yaml", path, "--set", "statutory_period=120 days",
                             "--set", "certification_allowed=false", "--format", "json").stdout)
        expect(f"order in {os.path.basename(path)}",
               [(c["case"], c["line"], c["cutoff_shift_days"]) for c in out["changed_cases"]],
               list(zip(["A3", "A1", "A2", "A4", "A5", "A6", "A7"], lines,
                        [100, 20, 20, 20, 20, 20, 20])))

    # 4. Several CASES: one run over the parts (files and a directory) adds up as one run over
    #    the book; each changed case names its file and its line there.
    analysis = ["--set", "statutory_period=120 days", "--measure", PAID, "--by", "injury.body_part"]
    whole = json.loads(mmi("-p", "policy.yaml", "book.jsonl", *analysis, "--format", "json").stdout)
    os.mkdir(os.path.join(tmp, "dir"))
    os.rename(parts[2][0], os.path.join(tmp, "dir", "money-2.jsonl"))
    several = json.loads(mmi("-p", "policy.yaml", parts[0][0], parts[1][0],
                             os.path.join(tmp, "dir"), *analysis, "--format", "json").stdout)
    for key in ("cases", "errors", "cases_changed", "measures", "segments", "transitions",
                "cutoff_shift_days", "covered_days"):
        expect(f"several inputs: {key}", several[key], whole[key])
    expect("several inputs: file and line",
           [(c["case"], os.path.basename(c["file"]), c["line"]) for c in several["changed_cases"]],
           [("A1", "money-0.jsonl", 1), ("A2", "money-0.jsonl", 2), ("A4", "money-1.jsonl", 1),
            ("A5", "money-1.jsonl", 2), ("A6", "money-1.jsonl", 3), ("A7", "money-2.jsonl", 1)])
    text = mmi("-p", "policy.yaml", parts[0][0], parts[1][0], *analysis, "--format",
               "text").stdout.decode()
    expect("several inputs: text names file:line", f"{parts[1][0]}:3" in text, True)
    csv = os.path.join(tmp, "changed.csv")
    mmi("-p", "policy.yaml", parts[0][0], parts[1][0], *analysis, "--csv", csv, "-o", os.devnull)
    rows = open(csv).read().splitlines()
    expect("several inputs: CSV file column", (rows[0].split(",")[:4], rows[1].split(",")[1:4]),
           (["value", "case", "file", "line"], ["A1", parts[0][0], "1"]))
    p = mmi("-p", "policy.yaml", parts[0][0], parts[1][0], "--first-line", "4", *analysis, code=2)
    expect("--first-line with several inputs", b"cannot be used with several inputs" in p.stderr,
           True)

    # 5. --merge usage errors: exit 2 and a clear message.
    def refused(what, args, message):
        p = mmi(*args, code=2)
        expect(what, p.stderr.decode(), "mmi: " + message + "\n")
    refused("merge with a policy", ["--merge", partials[0], "-p", "policy.yaml"],
            "--merge takes no policy (-p): the partials' own runs chose the policy, the cases "
            "and the analysis")
    refused("merge with --by", ["--merge", partials[0], "--by", "injury.body_part"],
            "--merge takes no --by: the partials' own runs chose the policy, the cases and the "
            "analysis")
    other = os.path.join(tmp, "other.partial.json")
    mmi("-p", "policy.yaml", parts[0][0], *grid[:-2], "--format", "json", "--partial", "-o", other)
    refused("partials disagree", ["--merge", partials[0], other],
            f"{other} and {partials[0]} disagree on the segments (--by); merge only partials of "
            "one analysis")
    top = os.path.join(tmp, "top.partial.json")
    mmi("-p", "policy.yaml", parts[0][0], *grid, "--top", "3", "--format", "json", "--partial",
        "-o", top)
    refused("partials disagree on --top", ["--merge", partials[0], top],
            f"{top} and {partials[0]} disagree on --top; merge only partials of one analysis")
    refused("a partial twice", ["--merge", partials[0], partials[1], partials[0]],
            f"--merge is given {partials[0]} twice; its cases would count twice")
    refused("not a partial", ["--merge", "book.jsonl"],
            "book.jsonl: not a what-if partial (`mmi whatif --format json --partial` writes them)")
    refused("--partial as text", ["-p", "policy.yaml", "book.jsonl", "--set", "statutory_period=1 days",
                                  "--partial", "--format", "text"],
            "--partial writes JSON; use it with --format json")
    refused("no policy", ["book.jsonl", "--set", "statutory_period=1 days"],
            "whatif needs a baseline policy: -p POLICY (or --merge PARTIAL…)")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
