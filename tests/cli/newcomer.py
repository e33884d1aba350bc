#!/usr/bin/env python3
"""A newcomer's first hour (issue 10): the tutorial of docs/language.md run as written, the
command-line conventions of docs/cli.md, the messages for common mistakes, explanations an
auditor can read, and `cmake --install`.

Usage: newcomer.py MMI SECTION [BUILD_DIR]   (run from the source root)
SECTION: tutorial | conventions | inputs | messages | explain | install"""
import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

MMI = os.path.abspath(sys.argv[1])
SECTION = sys.argv[2]
ROOT = os.getcwd()
TX = "policies/us-tx.yaml"
ACME = "docs/examples/tutorial/acme.yaml"
C1 = "docs/examples/tutorial/cases/c-1.yaml"
BOOK = "policies/examples/book.jsonl"
failures = []


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}" if detail else name)


def run(args, stdin=None, cwd=None, env=None):
    p = subprocess.run([MMI] + args, capture_output=True, text=True, input=stdin, cwd=cwd or ROOT,
                       env=env)
    return p.returncode, p.stdout, p.stderr


def run_on_terminal(args, env=None):
    """Runs with stdout and stderr on a pseudo-terminal; returns (exit code, output)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([MMI] + args, stdout=slave, stderr=slave, cwd=ROOT, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(), b"".join(chunks).decode().replace("\r\n", "\n")


def tmpdir():
    return tempfile.mkdtemp(prefix="mmi-newcomer-")


# ---- the tutorial ------------------------------------------------------------------------------

def blocks(markdown, language):
    """The fenced blocks of one language, with the text before each (for finding them)."""
    out = []
    for m in re.finditer(r"^```" + language + r"\n(.*?)^```$", markdown, re.S | re.M):
        out.append((markdown[:m.start()], m.group(1)))
    return out


def lines_match(expected, got):
    """Line by line; a line `...` (indented or not) stands for any number of lines."""
    if not expected:
        return not got
    if expected[0].strip() == "...":
        return any(lines_match(expected[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and lines_match(expected[1:], got[1:])


def tutorial():
    doc = open("docs/language.md").read()
    tutorial_part = doc[doc.index("## Tutorial"):doc.index("## Reference")]

    # The listings are the files.
    listings = blocks(tutorial_part, "yaml")
    check("tutorial: Step 1 lists acme.yaml as it is", listings and listings[0][1] == open(ACME).read())
    check("tutorial: Step 3 lists c-1.yaml as it is", len(listings) > 1 and listings[1][1] == open(C1).read())

    # Every console command runs as written from the top of the clone and prints what is shown;
    # a last line `...` means "the rest is left out".
    consoles = blocks(tutorial_part, "console")
    check("tutorial: has its console blocks", len(consoles) >= 5, str(len(consoles)))
    for _, block in consoles:
        lines = block.rstrip("\n").split("\n")
        # A command may continue on the next lines after a trailing backslash, as in a shell.
        while lines[0].endswith("\\") and len(lines) > 1:
            lines[0:2] = [lines[0][:-1] + " " + lines[1].strip()]
        command = lines[0]
        check("tutorial: a console block starts with `$ mmi`", command.startswith("$ mmi "), command)
        argv = shlex.split(command[2:])
        expected = lines[1:]
        rc, out, err = run(argv[1:])
        got = out.rstrip("\n").split("\n")
        ok = lines_match(expected, got)
        check(f"tutorial: `{command}` prints what the page shows", rc == 0 and ok,
              f"exit {rc}\n--- page\n" + "\n".join(expected) + "\n--- mmi\n" + out + err[-300:])

    # The typo of Step 2, made in a copy of the clone's layout: the message is the page's.
    before, typo_text = next((b, t) for b, t in blocks(tutorial_part, "text") if "error[E200]" in t)
    check("tutorial: the typo is the one the page names", "`when: as_of >= statutory_dat`" in before[-300:])
    work = tmpdir()
    os.makedirs(os.path.join(work, "docs/examples"))
    shutil.copytree("docs/examples/tutorial", os.path.join(work, "docs/examples/tutorial"))
    os.symlink(os.path.join(ROOT, "policies"), os.path.join(work, "policies"))
    path = os.path.join(work, ACME)
    text = open(path).read()
    check("tutorial: acme.yaml has the line the typo changes",
          text.count("    when: as_of >= statutory_date\n") == 1)
    open(path, "w").write(text.replace("    when: as_of >= statutory_date\n",
                                       "    when: as_of >= statutory_dat\n"))
    rc, out, err = run(["check", ACME], cwd=work)
    check("tutorial: the typo's message is the page's (line:column included)",
          rc == 1 and out == typo_text, f"exit {rc}\n--- page\n{typo_text}--- mmi\n{out}")

    # "5 tests": the count the page gives is the suite's.
    suite = open("docs/examples/tutorial/acme.test.yaml").read()
    n = len(re.findall(r"^  - name:", suite, re.M))
    check("tutorial: the page's test count is the suite's", f"({n} tests, " in tutorial_part, str(n))
    # The book the what-if step reads: 50 cases, one per line.
    with open(BOOK) as f:
        book = [json.loads(line) for line in f]
    check("tutorial: the example book has 50 cases", len(book) == 50 and f"{len(book)} synthetic claims" in tutorial_part)

    # Engine choices say what the rules section says about a fired rule without a date.
    check("language.md: no second rule for a fired rule without a date",
          "counts as unknown" not in doc and "reported as **fired** with a null date" in doc)
    # ... and the engine does it: `late` fires with no date (no opinion), `early` decides.
    work = tmpdir()
    policy = os.path.join(work, "p.yaml")
    open(policy, "w").write(
        "policy: undated\nversion: '1'\ndefinition: max-potential\n"
        f"include: [{os.path.join(ROOT, 'policies/std/facts.yaml')}]\n"
        "rules:\n"
        "  - id: late\n    when: true\n    mmi_date: last(opinions).date\n"
        "  - id: early\n    when: benefits.income_start is present\n    mmi_date: injury.date + 10 days\n"
        "decision:\n  hit: earliest\n")
    case = os.path.join(work, "c.yaml")
    open(case, "w").write("id: U-1\nas_of: 2025-01-01\ninjury: {date: 2024-03-01}\n"
                          "benefits: {income_start: 2024-03-05}\n")
    rc, out, err = run(["eval", "-p", policy, "-c", case, "--format", "json"])
    r = json.loads(out) if rc == 0 else {}
    check("a fired rule without a date is reported as fired and does not decide",
          r.get("rules", {}).get("late") == {"state": "fired", "mmi_date": None}
          and (r.get("status"), r.get("basis"), r.get("mmi_date")) == ("reached", "early", "2024-03-11"),
          out + err)
    # Alone, it leaves the decision undetermined and `missing` names what its date needs.
    open(case, "w").write("id: U-2\nas_of: 2025-01-01\ninjury: {date: 2024-03-01}\nbenefits: {}\n")
    rc, out, err = run(["eval", "-p", policy, "-c", case, "--format", "json"])
    r = json.loads(out) if out else {}
    check("a fired rule without a date alone: undetermined",
          r.get("status") == "undetermined" and r.get("rules", {}).get("late") == {"state": "fired", "mmi_date": None}
          and r.get("rules", {}).get("early", {}).get("state") == "not_fired" and r.get("mmi_date") is None, out + err)


# ---- command-line conventions ------------------------------------------------------------------

def conventions():
    # The format never depends on whether stdout is a terminal.
    rc, piped, _ = run(["check", TX])
    rc2, terminal = run_on_terminal(["check", "--color", "never", TX])
    check("check: text when piped", rc == 0 and piped == f"{TX}: ok\n0 errors, 0 warnings\n", piped)
    check("check: the same text on a terminal", rc2 == 0 and terminal == piped, repr(terminal))
    rc, out, _ = run(["eval", "-p", ACME, "-c", C1])
    check("eval: text when piped", rc == 0 and out.startswith("case C-1 under acme-tutorial 1.0.0"), out[:200])
    rc, out, _ = run(["test", "docs/examples/tutorial/acme.test.yaml"])
    check("test: text when piped", rc == 0 and out.endswith("5 passed, 0 failed\n"), out[-200:])
    rc, out, _ = run(["graph", "-p", ACME])
    check("graph: DOT when piped", rc == 0 and out.startswith("digraph"), out[:100])
    rc, out, _ = run(["whatif", "-p", ACME, "--set", "attainment=100%", BOOK])
    check("whatif: text when piped", rc == 0 and out.startswith("what-if: baseline acme-tutorial"), out[:200])
    rc, out, _ = run(["batch", "-p", ACME, BOOK])
    lines = out.splitlines()
    check("batch: JSON Lines when piped", rc == 0 and len(lines) == 50 and all(json.loads(l)["case"] for l in lines))

    # Help: the default of each --format, no CLI11 artefacts, examples at the end.
    defaults = {"check": "text", "eval": "text", "test": "text", "whatif": "text", "batch": "json",
                "graph": "dot"}
    for command, default in defaults.items():
        rc, out, _ = run([command, "--help"])
        lines = out.splitlines()
        at = next((k for k, l in enumerate(lines) if l.strip().startswith("--format")), None)
        fmt_line = " ".join(lines[at:at + 2]) if at is not None else ""  # a long one wraps
        check(f"{command} --help shows the default format", f"(default: {default}" in fmt_line, fmt_line)
        check(f"{command} --help: no CLI11 artefacts", "{false}" not in out and "{true}" not in out, out)
        tail = out.rstrip("\n").split("\n")
        examples = tail[tail.index("Examples:") + 1:] if "Examples:" in tail else []
        check(f"{command} --help ends with 2-3 examples",
              2 <= len(examples) <= 3 and all(re.match(r"  (mmi|cat) ", e) for e in examples), out[-400:])
    rc, out, _ = run(["serve", "--help"])
    check("serve --help ends with examples", "Examples:\n  mmi serve " in out, out[-300:])
    rc, help_cmd, _ = run(["help", "eval"])
    rc2, help_flag, _ = run(["eval", "--help"])
    check("`mmi help eval` is `mmi eval --help`", rc == 0 and help_cmd == help_flag and "Usage: mmi eval" in help_cmd)
    rc, out, err = run(["help"])
    check("`mmi help` is `mmi --help`", rc == 0 and "Subcommands:" in out, out + err)
    rc, out, err = run([])
    check("bare `mmi`: the usage on stderr, exit 2", rc == 2 and out == "" and "Usage: mmi" in err, err)

    # Typos.
    rc, out, err = run(["chek", TX])
    check("unknown command", rc == 2 and err == "mmi: unknown command `chek`; did you mean `check`? (see `mmi --help`)\n", err)
    rc, out, err = run(["help", "evl"])
    check("mmi help of an unknown command", rc == 2 and "unknown command `evl`; did you mean `eval`?" in err, err)
    rc, out, err = run(["frobnicate"])
    check("unknown command, nothing close", rc == 2 and err == "mmi: unknown command `frobnicate` (see `mmi --help`)\n", err)
    rc, out, err = run(["check", "--formt", "json", TX])
    check("unknown flag", rc == 2 and err == "mmi check: unknown flag `--formt`; did you mean `--format`? (see `mmi check --help`)\n", err)
    rc, out, err = run(["eval", "-p", TX, "-c", C1, "--explian"])
    check("unknown flag of eval", rc == 2 and "mmi eval: unknown flag `--explian`; did you mean `--explain`?" in err, err)
    rc, out, err = run(["eval", "-p", TX])
    check("a usage error points at the command's help", rc == 2 and err.endswith("(see `mmi eval --help`)\n"), err)

    # One argument per --set/--fact/--sweep; the same name twice is a usage error.
    rc, out, err = run(["whatif", "-p", ACME, "--set", "attainment=100%", BOOK])
    check("whatif --set NAME=VALUE CASES reads CASES", rc == 0 and "cases            50" in out, err)
    rc, out, err = run(["whatif", "-p", ACME, "--sweep", "attainment=90%,100%", BOOK])
    check("whatif --sweep NAME=V1,V2 CASES reads CASES", rc == 0, err)
    rc, out, err = run(["eval", "-p", ACME, "-c", C1, "--set", "attainment=90%", "notice=7"])
    check("--set takes one argument", rc == 2 and "unexpected argument `notice=7`" in err, err)
    rc, out, err = run(["eval", "-p", ACME, "-c", C1, "--set", "attainment=90%", "--set", "attainment=100%"])
    check("--set: the same name twice", rc == 2 and "--set `attainment` is given twice" in err, err)
    rc, out, err = run(["eval", "-p", ACME, "-c", C1, "--fact", "prognosis.expected_function=75",
                        "--fact", "prognosis.expected_function=70"])
    check("--fact: the same path twice", rc == 2 and "--fact `prognosis.expected_function` is given twice" in err, err)
    rc, out, err = run(["eval", "-p", ACME, "-c", C1, "--set", "attainment=100%", "--set", "notice=7 days"])
    check("--set repeated for two names", rc == 0 and "coverage_cutoff  2026-01-27" in out, out + err)

    # Colour: --color and NO_COLOR; never on a pipe under auto.
    broken = os.path.join(tmpdir(), "broken.yaml")
    open(broken, "w").write(open(ACME).read().replace("statutory_date\n", "statutory_dat\n", 1).replace(
        "../../../policies/std/facts.yaml", os.path.join(ROOT, "policies/std/facts.yaml")))
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    rc, out = run_on_terminal(["check", broken], env=env)
    check("colour on a terminal", rc == 1 and "\x1b[" in out, repr(out[:200]))
    rc, out = run_on_terminal(["check", broken], env=dict(env, NO_COLOR="1"))
    check("NO_COLOR: no colour on a terminal", rc == 1 and "\x1b[" not in out and "error[E200]" in out, repr(out[:200]))
    rc, out = run_on_terminal(["check", "--color", "never", broken], env=env)
    check("--color never", rc == 1 and "\x1b[" not in out, repr(out[:200]))
    rc, out, _ = run(["check", broken], env=env)
    check("no colour on a pipe", rc == 1 and "\x1b[" not in out)
    rc, out, _ = run(["check", "--color", "always", broken], env=dict(env, NO_COLOR="1"))
    check("--color always wins over NO_COLOR", rc == 1 and "\x1b[" in out)
    rc, out, err = run(["check", "--color", "sometimes", TX])
    check("--color takes auto|always|never", rc == 2, err)

    # The rule-coverage gate is an exit code (and a JSON flag), not a display string.
    work = tmpdir()
    open(os.path.join(work, "p.yaml"), "w").write(open(ACME).read().replace(
        "../../../policies/std/facts.yaml", os.path.join(ROOT, "policies/std/facts.yaml")))
    open(os.path.join(work, "p.test.yaml"), "w").write(
        "policy: p.yaml\ntests:\n  - name: one\n    case: " + os.path.join(ROOT, C1) +
        "\n    expect: {status: reached}\n")
    suite = os.path.join(work, "p.test.yaml")
    rc, out, _ = run(["test", "--coverage", suite])
    check("--coverage alone does not fail", rc == 0, out)
    rc, out, _ = run(["test", "--fail-uncovered", suite])
    check("--fail-uncovered fails on a rule not exercised both ways",
          rc == 1 and out.endswith("1 passed, 0 failed\n3 rules not exercised both ways (--fail-uncovered)\n"), out)
    rc, out, _ = run(["test", "--fail-uncovered", "--format", "json", suite])
    r = json.loads(out)
    check("coverage in JSON: covered flags and uncovered_rules",
          rc == 1 and r["uncovered_rules"] == 3
          and [c["covered"] for c in r["suites"][0]["coverage"]] == [False, False, False], out)
    rc, out, _ = run(["test", "--fail-uncovered", "docs/examples/tutorial/acme.test.yaml"])
    check("--fail-uncovered passes the tutorial suite", rc == 0, out)


# ---- several inputs ----------------------------------------------------------------------------

def inputs():
    work = tmpdir()
    d = os.path.join(work, "cases")
    os.makedirs(os.path.join(d, "nested"))
    with open(BOOK) as f:
        book = f.read().splitlines()
    open(os.path.join(d, "a.jsonl"), "w").write("\n".join(book[:2] + ['{"id":"BAD","as_of":"2025-13-01"}']) + "\n")
    shutil.copy(C1, os.path.join(d, "b.yaml"))
    shutil.copy("docs/examples/tutorial/cases/c-2.json", os.path.join(d, "c.json"))  # one case, many lines
    open(os.path.join(d, "d.ndjson"), "w").write(book[2] + "\n")
    open(os.path.join(d, "notes.txt"), "w").write("not a case\n")
    open(os.path.join(d, "nested", "e.jsonl"), "w").write(book[3] + "\n")
    rc, out, err = run(["batch", "-p", ACME, d])
    rows = [json.loads(l) for l in out.splitlines()]
    ids = [r["case"] for r in rows]
    check("a directory: its case files in name order, not recursive",
          rc == 0 and ids == [json.loads(book[0])["id"], json.loads(book[1])["id"], "BAD", "C-1", "C-2",
                              json.loads(book[2])["id"]], f"{ids} {err}")
    bad = rows[2] if len(rows) > 2 else {}
    check("several inputs: an error result names its file and its line in that file",
          bad.get("file") == os.path.join(d, "a.jsonl") and bad.get("line") == 3 and bad.get("status") == "error"
          and list(bad)[0] == "file", json.dumps(bad))
    check("several inputs: results that are not errors have no file field",
          all("file" not in r for r in rows if r["status"] != "error"))
    check("a .json file is one case over several lines",
          len(rows) > 4 and rows[4]["case"] == "C-2" and rows[4]["status"] == "reached")
    rc, out, err = run(["batch", "-p", ACME, os.path.join(d, "a.jsonl")])
    rows = [json.loads(l) for l in out.splitlines()]
    check("one input: no file field", rc == 0 and rows[2]["status"] == "error" and "file" not in rows[2]
          and rows[2]["line"] == 3)
    rc, out, err = run(["batch", "-p", ACME, os.path.join(d, "b.yaml"), os.path.join(d, "a.jsonl"), "--format", "text"])
    check("several files, text: the file before `line N`",
          rc == 0 and out.splitlines()[3] == "BAD\terror\t-\t-\t-\t" + os.path.join(d, "a.jsonl") +
          ": line 3: `as_of` must be a date YYYY-MM-DD, found `2025-13-01`", out)
    rc, out, err = run(["batch", "-p", ACME, "--first-line", "7", os.path.join(d, "b.yaml"), os.path.join(d, "a.jsonl")])
    check("--first-line with several inputs is a usage error", rc == 2 and out == "" and "--first-line" in err, err)
    rc, out, err = run(["batch", "-p", ACME, "-", os.path.join(d, "b.yaml")], stdin=book[0] + "\n")
    check("stdin and a file", rc == 0 and len(out.splitlines()) == 2, out + err)
    empty = os.path.join(work, "empty")
    os.makedirs(empty)
    rc, out, err = run(["batch", "-p", ACME, empty])
    check("a directory without cases is a usage error",
          rc == 2 and out == "" and "no case files (*.jsonl, *.ndjson, *.yaml, *.yml, *.json) in" in err, err)
    rc, out, err = run(["batch", "-p", ACME, os.path.join(d, "b.yaml"), os.path.join(work, "nope.jsonl")])
    check("a missing second input fails before any output", rc == 2 and out == "" and "nope.jsonl" in err, err)
    # Every result carries engine_version beside policy_digest.
    rc, out, _ = run(["batch", "-p", ACME, os.path.join(d, "b.yaml")])
    version = run(["--version"])[1].split()[1]
    check("batch results carry engine_version after policy_digest",
          re.search(r'"policy_digest":"sha256:[0-9a-f]{64}","engine_version":"' + re.escape(version) + '"', out), out[:300])


# ---- messages ----------------------------------------------------------------------------------

def messages():
    work = tmpdir()
    header = "policy: p\nversion: '1'\ndefinition: max-potential\n"
    def policy(name, text):
        path = os.path.join(work, name)
        open(path, "w").write(text)
        return path
    # E016: the resolved path, relative to the including file, no cascade of E200.
    p = policy("missing.yaml", header + "include: [std/facts.yaml]\nrules:\n  - id: r\n"
               "    when: as_of >= benefits.income_start + 104 weeks\n    mmi_date: injury.date\n"
               "decision:\n  hit: earliest\n")
    rc, out, err = run(["check", p])
    check("E016 names the path looked for and why there",
          rc == 1 and f"error[E016]: included file `std/facts.yaml` not found: looked for `{work}/std/facts.yaml`" in out
          and f"= help: includes are relative to the including file (`{p}`)" in out, out)
    check("E016 is not followed by E200 for the names the include would declare",
          "E200" not in out and out.endswith("1 error, 0 warnings\n"), out)
    # Names used only in an expression that failed to parse are not "never used".
    p = policy("syntax.yaml", header + "parameters:\n  grace: 2 weeks\nlet:\n  start: as_of - 3 days\n"
               "rules:\n  - id: r\n    when: start >= >= as_of - grace\n    mmi_date: as_of\n"
               "decision:\n  hit: earliest\n")
    rc, out, err = run(["check", p])
    check("no unused warning for names in a broken expression",
          rc == 1 and "error[E100]" in out and "never used" not in out and out.endswith("1 error, 0 warnings\n"), out)
    # YAML structure errors: indentation and the enclosing block.
    p = policy("indent.yaml", header + "rules:\n  - id: r\n    when: true\n     mmi_date: as_of\n"
               "decision:\n  hit: earliest\n")
    rc, out, err = run(["check", p])
    check("illegal map value: help about indentation and the enclosing block",
          rc == 1 and f"{p}:7:14: error[E002]: YAML syntax error: illegal map value" in out
          and "= help: check the indentation" in out
          and "line 7 is indented deeper than line 6 (`when: true`), which already has a value" in out
          and "the enclosing block starts at line 5: `- id: r`" in out, out)
    p = policy("block.yaml", header + "rules:\n  - id: r\n    when: true\n    mmi_date: as_of\n"
               "  decision:\n   hit: earliest\n")
    rc, out, err = run(["check", p])
    check("end of map not found: help naming the enclosing block",
          rc == 1 and "end of map not found" in out and "the enclosing block starts at line 4: `rules:`" in out, out)
    # A quoted date.
    p = policy("quoted.yaml", header + f"include: [{ROOT}/policies/std/facts.yaml]\nrules:\n  - id: r\n"
               "    when: injury.date > \"2024-01-01\"\n    mmi_date: injury.date\ndecision:\n  hit: earliest\n")
    rc, out, err = run(["check", p])
    check("a quoted date: help that dates have no quotes",
          rc == 1 and "error[E201]" in out
          and "= help: dates are written without quotes: `2024-01-01`, not `\"2024-01-01\"`" in out, out)


# ---- explanations ------------------------------------------------------------------------------

def explain():
    rc, out, err = run(["eval", "-p", ACME, "-c", C1, "--explain", "--format", "json"])
    r = json.loads(out)
    check("eval JSON carries engine_version beside policy_digest",
          list(r)[3:5] == ["policy_digest", "engine_version"] and r["engine_version"] == run(["--version"])[1].split()[1])
    rules = {e["expr"]: e for e in r["explain"]["rules"]}
    potential = rules["rule potential"]
    check("a rule's node: its state, file:line", potential["value"] == "fired" and potential["at"] == f"{ACME}:35",
          json.dumps(potential)[:300])
    statutory = rules["rule statutory"]
    check("a rule's node: its citation", statutory["cites"] == "Tex. Lab. Code 401.011(30)(B)")
    when = potential["parts"][0]
    check("values are typed JSON: a bool", when["value"] is True and when["text"] == "true" and when["at"] == f"{ACME}:37")
    best = when["parts"][0]
    check("values are typed JSON: a number", best["expr"] == "max(assessments.function)" and best["value"] == 77
          and isinstance(best["value"], int), json.dumps(best)[:200])
    date = potential["parts"][1]
    check("values are typed JSON: a date as a string", date["value"] == "2024-09-02" and date["at"] == f"{ACME}:38")
    certified = rules["rule certified"]
    doctor = certified["parts"][0]["parts"][0]["parts"][0]["value"]
    check("values are typed JSON: a record (absent fields null)",
          {k: doctor.get(k) for k in ("date", "source", "mmi", "mmi_date")} ==
          {"date": "2024-10-01", "source": "treating", "mmi": False, "mmi_date": None}, json.dumps(doctor))
    params = {p["name"]: p for p in r["explain"]["parameters"]}
    check("the parameters the decision used", sorted(params) == ["attainment", "notice", "statutory_period"], str(params))
    check("a parameter's value, place and description",
          params.get("notice") == {"name": "notice", "value": "P14D", "text": "P14D", "in_force_from": None,
                                   "read_on": "2025-03-01", "at": f"{ACME}:16",
                                   "description": "Benefits continue this long after the MMI date."},
          json.dumps(params.get("notice")))
    check("a percentage is a number", params.get("attainment", {}).get("value") == 0.95)
    # A dated series: the entry in force on the date it was read (us-tx, injury 2024-01-15).
    rc, out, err = run(["eval", "-p", TX, "-c", "policies/examples/cases/c-1001.yaml", "--explain", "--format", "json"])
    params = {p["name"]: p for p in json.loads(out)["explain"]["parameters"]}
    ext = params.get("tx_spinal_extension_available", {})
    check("a dated parameter: the entry in force and the date read",
          ext.get("value") is True and ext.get("in_force_from") == "1998-01-01" and ext.get("read_on") == "2024-01-15"
          and ext.get("at") == "policies/jurisdictions/us-tx.yaml:29", json.dumps(ext))
    rc, out, err = run(["eval", "-p", TX, "-c", "policies/examples/cases/c-1001.yaml", "--explain"])
    check("text: the parameters used, with the entry in force",
          "\nparameters used:\n" in out and
          "  tx_spinal_extension_available  true  (entry of 1998-01-01, read on 2024-01-15)  [policies/jurisdictions/us-tx.yaml:29]" in out,
          out[-1500:])
    check("text: a rule names its file:line and citation",
          re.search(r"^rule statutory  →  fired  \[policies/jurisdictions/us-tx.yaml:\d+\]  cites Tex\. Lab\. Code 401\.011\(30\)\(B\)",
                    out, re.M), out[:2000])


# ---- cmake --install ---------------------------------------------------------------------------

def install():
    build = sys.argv[3]
    prefix = tmpdir()
    p = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
    check("cmake --install runs", p.returncode == 0, p.stderr)
    exe = os.path.join(prefix, "bin", "mmi")
    share = os.path.join(prefix, "share", "mmi")
    check("mmi is installed in bin/", os.access(exe, os.X_OK))
    for f in ["policies/us-tx.yaml", "policies/std/facts.yaml", "policies/examples/book.jsonl",
              "policies/tests/us-tx.test.yaml", "schemas/case.schema.json", "schemas/policy.schema.json"]:
        check(f"installed: share/mmi/{f}", os.path.isfile(os.path.join(share, f)))
    if os.access(exe, os.X_OK):
        env = dict(os.environ, PATH=os.path.join(prefix, "bin") + os.pathsep + os.environ.get("PATH", ""))
        q = subprocess.run(["mmi", "check", os.path.join(share, "policies/us-tx.yaml")], capture_output=True,
                           text=True, env=env, cwd=prefix)
        check("the installed mmi, found on the PATH, checks an installed policy",
              q.returncode == 0 and q.stdout.endswith("0 errors, 0 warnings\n"), q.stdout + q.stderr)
        q = subprocess.run(["mmi", "test", os.path.join(share, "policies/tests/us-tx.test.yaml")],
                           capture_output=True, text=True, env=env, cwd=prefix)
        check("an installed suite passes", q.returncode == 0, q.stdout[-300:])
    shutil.rmtree(prefix, ignore_errors=True)


{"tutorial": tutorial, "conventions": conventions, "inputs": inputs, "messages": messages,
 "explain": explain, "install": install}[SECTION]()
if failures:
    print("\n".join(failures))
    print(f"{len(failures)} newcomer check(s) failed in {SECTION}")
    sys.exit(1)
print(f"newcomer {SECTION}: all checks passed")
