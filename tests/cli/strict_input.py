#!/usr/bin/env python3
"""Strict case input (docs/cli.md "Case input rules"), through `mmi batch` and `mmi eval`.

1. The findings of issue 15, with their exact inputs: non-JSON tokens, two objects on a line,
   trailing text, duplicate keys, a BOM on stdin, JSON Lines named *.yaml, YAML cases
   concatenated without `---`, /dev/zero, numbers, a lone surrogate.
2. A differential check against Python's json module made strict (duplicate keys and
   NaN/Infinity rejected): a line Python rejects must be an error result; a line Python accepts
   must give exactly the result of Python's own reading of it written back as plain JSON, or an
   error that this plain form gives too (a value error such as a bad date) — never other facts.

Usage: strict_input.py MMI   (run from the source root)"""
import json
import os
import re
import subprocess
import sys
import tempfile

MMI = sys.argv[1]
TX = "policies/us-tx.yaml"
failures = []
tmp = tempfile.mkdtemp()


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}")


def batch(lines_bytes, args=(), name="book.jsonl"):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(lines_bytes)
    p = subprocess.run([MMI, "batch", "-p", TX, path, *args], capture_output=True)
    return p.returncode, [json.loads(l) for l in p.stdout.decode().splitlines()], p.stderr.decode()


BASE = ('{"id":"H","as_of":"2025-06-01","injury":{"date":"2021-07-29"},'
        '"benefits":{"disability_start":"2021-07-29","income_start":"2021-08-05"},'
        '"opinions":[{"date":"2025-05-31","source":"designated","served":"2025-06-01",'
        '"mmi":true,"mmi_date":"2025-05-01"}]}')

# --- 1. The findings -------------------------------------------------------------------

rc, results, err = batch((BASE + "\n").encode())
check("clean case", rc == 0 and results[0]["status"] == "reached"
      and results[0]["rules"]["certified"]["state"] == "fired", str(results))

TOKENS = {
    '"mmi":TRUE': ("TRUE", "opinions[0].mmi"),
    '"mmi":true,"impairment":NaN': ("NaN", "opinions[0].impairment"),
    '"mmi":Infinity': ("Infinity", "opinions[0].mmi"),
    '"mmi":nul': ("nul", "opinions[0].mmi"),
    "\"mmi\":'x'": ("'x'", "opinions[0].mmi"),
    '"mmi":@@@': ("@@@", "opinions[0].mmi"),
}
lines = [BASE.replace('"mmi":true', t) for t in TOKENS]
lines.append(BASE.replace('"income_start":"2021-08-05"', '"income_start":undefined'))
rc, results, err = batch(("\n".join(lines) + "\n").encode())
expected = list(TOKENS.values()) + [("undefined", "benefits.income_start")]
for k, (r, (token, path)) in enumerate(zip(results, expected)):
    e = r.get("error") or {}
    check(f"token {token}", r["status"] == "error" and e.get("code") == "E403"
          and f"found `{token}`, which is not a JSON value" in e.get("message", "")
          and e.get("at") == f"line {k + 1}: {path}" and "invalid JSON at column " in e["message"],
          json.dumps(r))
check("token lines: one result each", len(results) == len(lines) and rc == 0, f"{rc} {len(results)}")

# Two objects on a line, trailing text, a comment: an error naming the column, the next line goes on.
col = len(BASE) + 1
rc, results, err = batch((BASE + BASE + "\n" + BASE + " trailing garbage\n" + BASE + " // c\n"
                          + BASE + "\n").encode())
for r, found, line in zip(results, ["{", "trailing", "//"], [1, 2, 3]):
    e = r.get("error") or {}
    check(f"after the case: {found}", r["status"] == "error" and e.get("code") == "E403"
          and e.get("message") == f"invalid JSON at column {col + (1 if line > 1 else 0)}: "
          f"`{found}` after the end of the case (one case per line)"
          and e.get("at") == f"line {line}", json.dumps(r))
check("after the case: the batch goes on", len(results) == 4 and results[3]["status"] == "reached",
      json.dumps(results[-1:]))

# Duplicate keys: "id":"DUP","id":"DUP2" is not evaluated as DUP2.
rc, results, err = batch((BASE.replace('"id":"H"', '"id":"DUP","id":"DUP2"') + "\n").encode())
e = results[0].get("error") or {}
check("duplicate id", results[0]["status"] == "error" and e.get("code") == "E406"
      and e.get("message") == "duplicate key `id` at column 13 (first at column 2)"
      and e.get("at") == "line 1: id", json.dumps(results[0]))

# A JSON Lines book with a UTF-8 BOM, from stdin and as a file named *.yaml: 1,000 results.
book = subprocess.run([sys.executable, "tools/gen_book.py", "1000"], capture_output=True).stdout
p = subprocess.run([MMI, "batch", "-p", TX, "-"], input=b"\xef\xbb\xbf" + book, capture_output=True)
out = p.stdout.decode().splitlines()
check("BOM stdin: 1000 results", p.returncode == 0 and len(out) == 1000
      and all(json.loads(l)["status"] != "error" for l in out)
      and "mmi batch: 1,000 cases read, 1,000 results written in" in p.stderr.decode(),
      f"{p.returncode} {len(out)} {p.stderr.decode()}")
for name, data in [("book.yaml", book), ("bom.yaml", b"\xef\xbb\xbf" + book)]:
    rc, results, err = batch(data, name=name)
    check(f"JSON Lines named {name}: 1000 results", rc == 0 and len(results) == 1000
          and "1,000 cases read, 1,000 results written in" in err, f"{rc} {len(results)} {err}")

# Two YAML cases concatenated without `---`: the duplicate keys are reported, not the second case.
with open("policies/examples/cases/c-1001.yaml") as f:
    c1 = "".join(l for l in f if not l.startswith("#"))
c2 = c1.replace("C-1001", "C-2002")
p = subprocess.run([MMI, "batch", "-p", TX, "-"], input=(c1 + c2).encode(), capture_output=True)
r = [json.loads(l) for l in p.stdout.decode().splitlines()]
n1 = c1.count("\n")
check("cat c1.yaml c2.yaml", p.returncode == 0 and len(r) == 1 and r[0]["status"] == "error"
      and r[0]["error"]["code"] == "E406"
      and r[0]["error"]["message"] == f"duplicate key `id` at line {n1 + 1}, column 1 (first at line 1, column 1)",
      json.dumps(r))
# A YAML document with content after it is an error, not a truncation.
rc, results, err = batch(b"{id: A, as_of: 2025-06-01, injury: {date: 2024-01-01}}\n{id: B}\n", name="f.yaml")
check("YAML trailing content", len(results) == 1 and results[0]["status"] == "error"
      and results[0]["line"] == 2 and "content after the end of the case" in results[0]["error"]["message"],
      json.dumps(results))

# Input without a line end: the batch ends with an error (exit 2) instead of spinning.
p = subprocess.run(["timeout", "60", MMI, "batch", "-p", TX, "/dev/zero"], capture_output=True)
check("/dev/zero", p.returncode == 2 and b"no line end within 64 MiB" in p.stderr, f"{p.returncode} {p.stderr[:300]}")

# Numbers: one rule. 1e18 reads as 10^18; 1e-400 and 00012 are errors with the path.
def number_case(v):
    return BASE.replace('"mmi_date":"2025-05-01"', '"mmi_date":"2025-05-01","impairment":' + v)
rc, results, err = batch(("\n".join(number_case(v) for v in ["1e-400", "00012", "1.5e1", "15"]) + "\n").encode())
check("1e-400", results[0]["error"]["code"] == "E400" and results[0]["error"]["at"] == "line 1: opinions[0].impairment"
      and results[0]["error"]["message"].startswith("`1e-400` is out of range"), json.dumps(results[0]))
check("00012", results[1]["error"]["code"] == "E403" and results[1]["error"]["at"] == "line 2: opinions[0].impairment"
      and "`00012` is not a JSON number: leading zeros are not allowed" in results[1]["error"]["message"],
      json.dumps(results[1]))
check("1.5e1 = 15", {k: v for k, v in results[2].items() if k != "line"} ==
      {k: v for k, v in results[3].items() if k != "line"}, json.dumps(results[2:]))

# A lone surrogate is an invalid-text error, not "`id` must be text, found text".
rc, results, err = batch((BASE.replace('"id":"H"', '"id":"\\ud800"') + "\n").encode())
check("lone surrogate", results[0]["error"]["message"] ==
      "invalid JSON at column 7: `\\ud800` is a lone UTF-16 surrogate, not a character"
      and results[0]["error"]["at"] == "line 1: id", json.dumps(results[0]))

# `eval -c file.json` reads as strictly.
path = os.path.join(tmp, "c.json")
with open(path, "w") as f:
    f.write(BASE.replace('"mmi":true', '"mmi":TRUE'))
p = subprocess.run([MMI, "eval", "-p", TX, "-c", path, "--format", "json"], capture_output=True, text=True)
check("eval -c TRUE", p.returncode == 1 and '"code":"E403"' in p.stdout and "`TRUE`" in p.stdout, p.stdout[-300:])

# `to` before `from` (case model v2).
line = BASE.replace('"injury"', '"periods":[{"kind":"ttd","from":"2024-01-01"},'
                   '{"kind":"tpd","from":"2024-03-01","to":"2024-02-01"}],"injury"')
rc, results, err = batch((line + "\n").encode())
column = line.index('"2024-02-01"') + 1
check("to before from", results[0]["error"]["code"] == "E400" and results[0]["error"]["at"] == "line 1: periods[1].to"
      and results[0]["error"]["message"] == f"`to` 2024-02-01 is before `from` 2024-03-01 (at column {column})",
      json.dumps(results[0]))

# A line over 4 MiB is reported and skipped; the next line is read.
rc, results, err = batch(('{"id":"L","x":"' + "x" * (5 << 20) + '"}\n' + BASE + "\n").encode())
check("over-long line", rc == 0 and len(results) == 2 and results[0]["error"]["code"] == "E403"
      and "longer than 4 MiB" in results[0]["error"]["message"] and results[1]["status"] == "reached",
      json.dumps(results)[:400])

# YAML cases with large unknown lists: refused by the node budget before yaml-cpp builds them
# (they took ~500 MB each), within a memory comparable to JSON.
big = "".join("---\nid: Y%d\nas_of: 2025-06-01\ninjury: {date: 2024-01-01}\nextra:\n" % k
              + "  - 1\n" * 650_000 for k in range(4))
p = subprocess.run([MMI, "batch", "-p", TX, "--threads", "2", "-"], input=big.encode(), capture_output=True)
import resource
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
r = [json.loads(l) for l in p.stdout.decode().splitlines()]
check("YAML node budget", p.returncode == 0 and len(r) == 4 and all(
    x["error"]["code"] == "E403" and "more than 100000 YAML nodes" in x["error"]["message"] for x in r),
    json.dumps(r)[:400])
# Without the budget the four cases took ~2 GB. Under AddressSanitizer (MMI_SANITIZED, set by
# tests/strict_input.cmake) the same run peaks near 400 MiB: its shadow memory and quarantine.
memory_bound = 1000 if os.environ.get("MMI_SANITIZED") else 400
check("YAML node budget: memory", peak_mib < memory_bound,
      f"peak RSS {peak_mib:.0f} MiB (bound {memory_bound} MiB)")

# A key given twice in a test suite's expectations fails the test, naming both places.
suite = os.path.join(tmp, "dup.test.yaml")
with open(suite, "w") as f:
    f.write(f"policy: {os.path.abspath(TX)}\ntests:\n  - name: dup\n    case:\n      id: D\n"
            "      as_of: 2025-03-01\n      injury: {date: 2024-01-15}\n    expect:\n"
            "      status: reached\n      status: not_reached\n")
p = subprocess.run([MMI, "test", "--format", "text", suite], capture_output=True, text=True)
check("suite duplicate expectation", p.returncode == 1 and
      f"{suite}:10:7: duplicate key `expect.status` (first at line 9, column 7) [E406]" in p.stdout,
      p.stdout[-400:])

# --- 2. Differential: Python's strict json ------------------------------------------------------


def strict_loads(b):
    def pairs(items):
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(items)

    def constant(name):
        raise ValueError("not JSON: " + name)

    return json.loads(b, object_pairs_hook=pairs, parse_constant=constant)


hostile = [
    BASE, BASE.replace('"H"', '"\\u0048"'), BASE.replace('"id"', '"\\u0069d"'),
    BASE.replace('"id":"H"', '"id":"H","id":"H"'), BASE.replace('"id"', '"\\u0069d":"X","id"'),
    BASE.replace('"mmi":true', '"mmi":true '), " " + BASE + " \t", BASE.replace(":", " : "),
    BASE.replace("true", "tru"), BASE.replace("true", "true1"), BASE.replace("true", "truee"),
    BASE.replace('"mmi":true', '"mmi":null'), BASE.replace('"mmi":true', '"mmi":nulll'),
    BASE.replace('"mmi":true', '"mmi":-'), BASE.replace('"mmi":true', '"mmi":-0'),
    BASE.replace('"mmi":true', '"x":1.'), BASE.replace('"mmi":true', '"x":.5'),
    BASE.replace('"mmi":true', '"x":+1'), BASE.replace('"mmi":true', '"x":0x10'),
    BASE.replace('"mmi":true', '"x":1e5'), BASE.replace('"mmi":true', '"x":1E+5'),
    BASE.replace('"mmi":true', '"x":[1,2,]'), BASE.replace('"mmi":true', '"x":[,]'),
    BASE.replace('"mmi":true', '"x":{"a":1,}'), BASE.replace('"mmi":true', '"x":{"a" 1}'),
    BASE.replace('"mmi":true', '"x":{"a":1 "b":2}'), BASE.replace('"mmi":true', '"x":[1 2]'),
    BASE.replace('"mmi":true', '"x":{"a":{"a":1},"b":{"a":2}}'),
    BASE.replace('"mmi":true', '"x":{"a":{"a":1,"a":2}}'),
    BASE.replace('"mmi":true', '"x":[{"k":1},{"k":1,"k":2}]'),
    BASE.replace('"mmi":true', '"x":"tab\there"'), BASE.replace('"mmi":true', '"x":"\\q"'),
    BASE.replace('"mmi":true', '"x":"\\ud83d\\ude00"'), BASE.replace('"mmi":true', '"x":"\\udc00"'),
    BASE.replace('"mmi":true', '"x":"\\u00e9t\\u00e9"'), BASE.replace('"mmi":true', '"x":"\\u00"'),
    BASE.replace('"mmi":true', '"x":Infinity'), BASE.replace('"mmi":true', '"x":-Infinity'),
    BASE.replace('"mmi":true', '"x":NaN'), BASE.replace('"mmi":true', '"mmi":false'),
    BASE.replace('"mmi_date":"2025-05-01"', '"mmi_date":"2025-02-30"'),
    BASE.replace('"mmi_date":"2025-05-01"', '"impairment":12.50'),
    BASE.replace('"mmi_date":"2025-05-01"', '"impairment":1250e-2'),
    BASE.replace('"mmi_date":"2025-05-01"', '"impairment":0.1250E2'),
    BASE.replace('"mmi_date":"2025-05-01"', '"impairment":"12"'),
    BASE.replace('"source":"designated"', '"source":"Designated"'),
    BASE.replace('"injury":{"date":"2021-07-29"}', '"injury":{"date":"2021-07-29","date":"2021-07-30"}'),
    BASE[:-1], BASE + "}", BASE + "]", BASE + ",", "[" + BASE + "]", '"' + BASE + '"',
    BASE.replace('{"id"', '{ "id"'), BASE.replace("}]}", "} ] }"), "{}", "{ }", "null", "1",
    BASE.replace('"opinions":[', '"opinions":[[],'), BASE.replace('"opinions":[', '"opinions":[null,'),
    BASE.replace('"benefits":{', '"benefits":null,"x":{'),
]
lines = [h.encode() for h in hostile] + [
    BASE.replace('"H"', '"\x01"').encode(), BASE.encode().replace(b'"H"', b'"\xff"'),
    BASE.encode().replace(b'"H"', b'"\xc3\xa9"'), BASE.encode().replace(b'"mmi":true', b'"mmi":\x00'),
]
rc, results, err = batch(b"\n".join(lines) + b"\n")
check("differential: one result per line", len(results) == len(lines), f"{len(results)} of {len(lines)}")
plain_lines, plain_of = [], {}
for k, line in enumerate(lines):
    try:
        value = strict_loads(line)
    except (ValueError, UnicodeDecodeError):
        value = None
    r = results[k] if k < len(results) else {}
    if value is None:
        check(f"differential line {k + 1}: Python rejects, mmi must too",
              r.get("status") == "error" and r["error"]["code"] in ("E403", "E406"), line[:200])
        continue
    plain_of[k] = len(plain_lines)
    plain_lines.append(json.dumps(value).encode())
rc, plain, err = batch(b"\n".join(plain_lines) + b"\n", name="plain.jsonl")
for k, i in plain_of.items():
    r, p = dict(results[k]), dict(plain[i])
    r.pop("line", None), p.pop("line", None)
    if r.get("status") == "error" and p.get("status") == "error" and r["error"]["code"] == "E403":
        check(f"differential line {k + 1}: mmi rejects a JSON line Python reads only for a shape error",
              p["error"]["code"] == "E403", f"{lines[k][:200]} -> {r['error']}")
        continue
    if "error" in r and "error" in p:  # positions and line numbers differ between the spellings
        for e in (r["error"], p["error"]):
            e.pop("message")
            e["at"] = re.sub(r"^line \d+(: )?", "", e["at"])
    check(f"differential line {k + 1}: same result as Python's reading", r == p,
          f"{lines[k][:200]}\n  mmi:    {json.dumps(r)[:400]}\n  python: {json.dumps(p)[:400]}")

# A quoted YAML scalar is text, as a JSON string is: "12" is not a number, 'true' not a boolean.
for body, at, found in [('benefits: {weekly_rate: "12"}', "benefits.weekly_rate", "a number, found `12`"),
                        ("injury: {date: 2021-07-29, catastrophic: 'true'}", "injury.catastrophic",
                         "true or false")]:
    text = "id: Q\nas_of: 2025-06-01\n" + ("injury: {date: 2021-07-29}\n" if "injury" not in body else "") + body + "\n"
    for doc in (text, text.replace('"12"', "12").replace("'true'", "true")):
        path = os.path.join(tmp, "quoted.yaml")
        with open(path, "w") as f:
            f.write(doc)
        p = subprocess.run([MMI, "eval", "-p", TX, "-c", path, "--format", "json"], capture_output=True)
        r = json.loads(p.stdout.decode())
        e = r.get("error") or {}
        if doc == text:
            check(f"quoted YAML scalar at {at} is text", r["status"] == "error" and e.get("code") == "E400"
                  and e.get("at") == at and found in e.get("message", ""), json.dumps(r)[:400])
        else:
            check(f"plain YAML scalar at {at} is read", r["status"] != "error", json.dumps(r)[:400])

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("strict input: all checks passed")
