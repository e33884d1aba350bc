#!/usr/bin/env python3
"""Outputs, threads and exit codes of `mmi` (issue 15, docs/cli.md "Outputs, threads and exit codes"):
every write checked (a full disk is exit 2, never success), outputs atomic, temporary files removed on
signals and never mistaken for output, -o through symbolic links, --threads bounded, empty and
out-of-range flag values refused, text output escaping control characters.

Usage: outputs.py MMI   (run from the source root)"""
import errno
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

from clitest import MMI, check, expect, failures, finish, run, skipped  # noqa: E402

TX = "policies/us-tx.yaml"


def entries(d):
    return sorted(os.listdir(d))


tmp = tempfile.mkdtemp()
book = os.path.join(tmp, "book.jsonl")
subprocess.run([sys.executable, "tools/gen_book.py", "300", "--seed", "5", "-o", book], check=True)
suite = "policies/tests/us-tx.test.yaml"
case_yaml = "policies/examples/cases/c-1001.yaml"
example_policy = "policies/examples/acme-tx-plateau.yaml"
variant = ["--set", "tx_statutory_period=100 weeks"]

# --- Resources: --threads is bounded, thread creation failure is a clean exit 2 -----------------
cores = os.sysconf("SC_NPROCESSORS_ONLN")
most = max(64, 4 * cores)
for cmd in (["batch", "-p", TX, book], ["whatif", "-p", TX, book] + variant):
    out_dir = os.path.join(tmp, "threads-" + cmd[0])
    os.mkdir(out_dir)
    target = ["-o", os.path.join(out_dir, "r.jsonl")] if cmd[0] == "batch" else \
        ["--report", os.path.join(out_dir, "r.html")]
    expect(f"{cmd[0]} --threads 40000", cmd + ["--threads", "40000"] + target, 2,
           err_has=[f"--threads takes 1 to {most} (the maximum: 4 × the {cores} cores, at least 64), not `40000`"],
           one_line=True)
    check(f"{cmd[0]} --threads 40000 leaves nothing", entries(out_dir) == [], entries(out_dir))
    for bad in ["", "0", "-1", "4x", " 4", str(most + 1), "18446744073709551617"]:
        expect(f"{cmd[0]} --threads {bad!r}", cmd + ["--threads", bad], 2, err_has=["--threads"], one_line=True)
rc1, one, _ = run(["batch", "-p", TX, book, "--threads", "1"])
rcm, many, err = run(["batch", "-p", TX, book, "--threads", str(most)])
check("--threads at the maximum runs and gives the same results", (rc1, rcm) == (0, 0) and one == many
      and f"{most} threads" in err, err)

# Thread creation refused by the system: an address-space limit leaves room for some 8 MiB thread
# stacks, not for `most` of them. (AddressSanitizer cannot start under such a limit: skipped there.)
def limit_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (250 << 20, 250 << 20))


if run(["--version"], preexec=limit_address_space)[0] != 0:
    skipped.append("thread creation failure (the binary cannot start under an address-space limit: a sanitizer build)")
else:
    for cmd in (["batch", "-p", TX, book], ["whatif", "-p", TX, book] + variant):
        out_dir = os.path.join(tmp, "nothreads-" + cmd[0])
        os.mkdir(out_dir)
        target = ["-o", os.path.join(out_dir, "r.jsonl")] if cmd[0] == "batch" else \
            ["--csv", os.path.join(out_dir, "c.csv"), "--report", os.path.join(out_dir, "r.html")]
        rc, out, err = expect(f"{cmd[0]}: the system refuses a thread", cmd + ["--threads", str(most)] + target, 2,
                              err_has=[f"mmi: cannot start {most} threads: the system refused thread ",
                                       "(Resource temporarily unavailable); use fewer --threads"], one_line=True,
                              preexec=limit_address_space)
        check(f"{cmd[0]}: no thread, no output", out == "" and entries(out_dir) == [], (out[:200], entries(out_dir)))

# --- Every write checked: a full device is exit 2 with one line, never success ---------------------
full = open("/dev/full", "w")
for args in (["check", "--format", "text", TX], ["check", "--format", "json", TX], ["check", "--format", "sarif", TX],
             ["eval", "-p", example_policy, "-c", case_yaml, "--format", "text"],
             ["eval", "-p", example_policy, "-c", case_yaml, "--format", "json", "--explain"],
             ["graph", "-p", TX, "--format", "dot"], ["graph", "-p", TX, "--format", "json"],
             ["test", "--format", "text", suite], ["test", "--format", "json", suite],
             ["batch", "-p", TX, book], ["batch", "-p", TX, book, "--format", "text"],
             ["whatif", "-p", TX, book, "--format", "json"] + variant,
             ["whatif", "-p", TX, book, "--format", "text"] + variant,
             ["whatif", "-p", TX, book, "--format", "csv"] + variant,
             ["--version"], ["batch", "--help"]):
    expect(f"{' '.join(args[:3])} > /dev/full", args, 2, err_has=["mmi: cannot write stdout"], one_line=True,
           stdout=full)
# Output files onto a full device. A private node of /dev/full's device where one can be made: a
# regression that renamed over its target must not break the machine's /dev/full.
def private_full_device():
    path = os.path.join(tmp, "full")
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        with open(path, "w", buffering=1) as f:
            f.write("x\n")
    except OSError as e:
        return path if e.errno == errno.ENOSPC else "/dev/full"
    return "/dev/full"


full_path = private_full_device()
for name, args in (("batch -o FULL", ["batch", "-p", TX, book, "-o", full_path]),
                   ("whatif --report FULL", ["whatif", "-p", TX, book, "--report", full_path] + variant),
                   ("whatif --csv FULL", ["whatif", "-p", TX, book, "--csv", full_path] + variant),
                   ("test --junit FULL", ["test", "--format", "text", suite, "--junit", full_path])):
    expect(name, args, 2, err_has=[f"mmi: cannot write {full_path}: No space left on device"], one_line=True)
    check(f"{name}: the device stays a device", stat.S_ISCHR(os.stat(full_path).st_mode))
check("/dev/full is still a device", stat.S_ISCHR(os.stat("/dev/full").st_mode))

# A closed pipe: with SIGPIPE ignored the write fails with EPIPE (exit 2, one line); by default the
# process dies of SIGPIPE as any Unix filter does.
for ignored in (True, False):
    p = subprocess.Popen([MMI, "batch", "-p", TX, book], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=(lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)) if ignored else None)
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    rc = p.wait()
    if ignored:
        check("stdout closed, SIGPIPE ignored: exit 2", rc == 2 and err == "mmi: cannot write stdout: Broken pipe\n",
              (rc, err))
    else:
        check("stdout closed: SIGPIPE", rc == -signal.SIGPIPE, (rc, err))

# whatif writes stdout before it renames its files: a reader gone (SIGPIPE) leaves no file behind.
d = os.path.join(tmp, "whatif-pipe")
os.mkdir(d)
read_end, write_end = os.pipe()
os.close(read_end)
p = subprocess.Popen([MMI, "whatif", "-p", TX, book, "--csv", os.path.join(d, "c.csv"), "--report",
                      os.path.join(d, "r.html")] + variant, stdout=write_end, stderr=subprocess.PIPE)
os.close(write_end)
err = p.stderr.read().decode()
rc = p.wait()
check("whatif into a closed pipe: SIGPIPE, neither --csv nor --report written", rc == -signal.SIGPIPE
      and entries(d) == [], (rc, err, entries(d)))

# -o onto a full file system (a 32 KiB tmpfs, smaller than any output here; skipped where none can be mounted): exit 2, the old
# file stays, no temporary file.
mnt = os.path.join(tmp, "small")
os.mkdir(mnt)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", mnt], capture_output=True).returncode != 0:
    skipped.append("-o onto a full file system (cannot mount a tmpfs)")
else:
    try:
        with open(os.path.join(mnt, "r.jsonl"), "w") as f:
            f.write("old\n")
        for args in (["batch", "-p", TX, book, "-o", os.path.join(mnt, "r.jsonl")],
                     ["whatif", "-p", TX, book, "--top", "0", "--report", os.path.join(mnt, "r.jsonl")] + variant):
            expect(f"{args[0]} onto a full file system", args, 2,
                   err_has=[f"mmi: cannot write {mnt}/r.jsonl: No space left on device"], one_line=True)
            check(f"{args[0]}: a full file system keeps the old file", entries(mnt) == ["r.jsonl"]
                  and open(os.path.join(mnt, "r.jsonl")).read() == "old\n", entries(mnt))
    finally:
        subprocess.run(["umount", mnt])

# --- Temporary files: removed on every catchable signal, unmistakable after SIGKILL -------------
def start_with_stdin(args, temps_expected, directory):
    """Starts `mmi` reading cases from a pipe kept open, so it waits with its outputs open."""
    p = subprocess.Popen([MMI] + args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(book, "rb") as f:
        p.stdin.write(f.read())  # 300 cases, then no end of input
    p.stdin.flush()
    deadline = time.time() + 20
    while time.time() < deadline and len([n for n in entries(directory) if ".tmp-" in n]) < temps_expected:
        time.sleep(0.02)
    return p


for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGQUIT):
    d = os.path.join(tmp, "sig-" + sig.name)
    os.mkdir(d)
    p = start_with_stdin(["batch", "-p", TX, "-", "-o", os.path.join(d, "r.jsonl")], 1, d)
    during = entries(d)
    p.send_signal(sig)
    rc = p.wait()
    p.stdin.close()
    check(f"batch -o, {sig.name}: the temporary file existed",
          len(during) == 1 and re.fullmatch(rf"\.r\.jsonl\.tmp-{p.pid}-[A-Za-z0-9]{{6}}", during[0]), during)
    check(f"batch -o, {sig.name}: dies of it, nothing left", rc == -sig and entries(d) == [], (rc, entries(d)))

d = os.path.join(tmp, "sig-whatif")
os.mkdir(d)
p = start_with_stdin(["whatif", "-p", TX, "-", "--csv", os.path.join(d, "c.csv"), "--report",
                      os.path.join(d, "r.html")] + variant, 2, d)
during = entries(d)
p.send_signal(signal.SIGINT)
rc = p.wait()
p.stdin.close()
check("whatif --csv --report, SIGINT: both temporary files existed", len(during) == 2, during)
check("whatif --csv --report, SIGINT: both removed", rc == -signal.SIGINT and entries(d) == [], (rc, entries(d)))

# SIGKILL cannot be caught: the leftover is hidden, named after the killed process, never the
# output's name or extension, and the next run neither reads nor reuses it.
d = os.path.join(tmp, "sigkill")
os.mkdir(d)
target = os.path.join(d, "results.jsonl")
p = start_with_stdin(["batch", "-p", TX, "-", "-o", target], 1, d)
p.kill()
p.wait()
p.stdin.close()
left = entries(d)
check("SIGKILL: the leftover is .results.jsonl.tmp-PID-XXXXXX",
      len(left) == 1 and re.fullmatch(rf"\.results\.jsonl\.tmp-{p.pid}-[A-Za-z0-9]{{6}}", left[0]), left)
rc, _, _ = run(["batch", "-q", "-p", TX, book, "-o", target])
_, direct, _ = run(["batch", "-q", "-p", TX, book])
check("after SIGKILL: the next run writes the complete output beside the leftover",
      rc == 0 and open(target).read() == direct and entries(d) == sorted(left + ["results.jsonl"]), entries(d))

# --- -o through symbolic links: the target is replaced, its mode kept ------------------------------
d = os.path.join(tmp, "links")
os.mkdir(d)
real = os.path.join(d, "real.jsonl")
with open(real, "w") as f:
    f.write("old\n")
os.chmod(real, 0o640)
os.symlink("real.jsonl", os.path.join(d, "link.jsonl"))
os.symlink("link.jsonl", os.path.join(d, "link2.jsonl"))
rc, _, err = run(["batch", "-q", "-p", TX, book, "-o", os.path.join(d, "link2.jsonl")], umask=0o022)
check("-o onto a chain of links: exit 0", rc == 0, err)
check("-o onto a link: the links stay links", os.path.islink(os.path.join(d, "link.jsonl"))
      and os.path.islink(os.path.join(d, "link2.jsonl")))
check("-o onto a link: the target holds the results", open(real).read() == direct)
check("-o onto a link: the target keeps mode 0640", stat.S_IMODE(os.stat(real).st_mode) == 0o640,
      oct(os.stat(real).st_mode))
check("-o onto a link: nothing else in the directory", entries(d) == ["link.jsonl", "link2.jsonl", "real.jsonl"],
      entries(d))
os.chmod(real, 0o600)
run(["batch", "-q", "-p", TX, book, "-o", real], umask=0o022)
check("-o onto an existing file keeps its mode 0600", stat.S_IMODE(os.stat(real).st_mode) == 0o600)
os.symlink("sub/new.jsonl", os.path.join(d, "dangling.jsonl"))
os.mkdir(os.path.join(d, "sub"))
rc, _, err = run(["batch", "-q", "-p", TX, book, "-o", os.path.join(d, "dangling.jsonl")], umask=0o027)
new = os.path.join(d, "sub", "new.jsonl")
check("-o onto a dangling link creates its target with the umask's mode",
      rc == 0 and os.path.islink(os.path.join(d, "dangling.jsonl")) and os.path.isfile(new)
      and stat.S_IMODE(os.stat(new).st_mode) == 0o640, (rc, err))
report = os.path.join(d, "report.html")
with open(report, "w") as f:
    f.write("old")
os.chmod(report, 0o604)
os.symlink("report.html", os.path.join(d, "report-link.html"))
rc, _, err = run(["whatif", "-p", TX, book, "--report", os.path.join(d, "report-link.html")] + variant)
check("--report onto a link: target replaced, mode kept", rc == 0 and os.path.islink(os.path.join(d, "report-link.html"))
      and open(report).read().startswith("<!DOCTYPE html>") and stat.S_IMODE(os.stat(report).st_mode) == 0o604, err)
# /dev/stdout leads through /proc to an open file, not a path: written in place (appending).
redirected = os.path.join(d, "redirected.jsonl")
with open(redirected, "w") as f:
    f.write("first\n")
with open(redirected, "a") as f:
    rc, _, err = run(["batch", "-q", "-p", TX, book, "-o", "/dev/stdout"], stdout=f)
check("-o /dev/stdout >> FILE appends to FILE", rc == 0 and open(redirected).read() == "first\n" + direct
      and not [n for n in entries(d) if ".tmp" in n], (rc, err))
junit = os.path.join(d, "junit.xml")
rc, _, err = run(["test", "--format", "text", suite, "--junit", junit])
check("--junit writes XML and no temporary file", rc == 0 and open(junit).read().startswith("<?xml")
      and not [n for n in entries(d) if ".tmp" in n], (rc, err, entries(d)))
expect("--junit into a missing directory fails before the tests run",
       ["test", "--format", "text", suite, "--junit", os.path.join(d, "nope", "j.xml")], 2,
       err_has=["does not exist"], one_line=True)
if os.geteuid() != 0:
    ro = os.path.join(d, "readonly.jsonl")
    with open(ro, "w") as f:
        f.write("keep\n")
    os.chmod(ro, 0o444)
    expect("-o onto a read-only file is refused", ["batch", "-p", TX, book, "-o", ro], 2,
           err_has=["Permission denied"], one_line=True)
    check("-o onto a read-only file keeps it", open(ro).read() == "keep\n")
else:
    skipped.append("-o onto a read-only file (root may write anything)")

# --- Usage errors: empty values, numbers out of range ---------------------------------------------
for args in (["eval", "-p", TX, "-c", case_yaml, "--as-of", ""], ["batch", "-p", TX, book, "--as-of", ""],
             ["whatif", "-p", TX, book, "--as-of", ""] + variant, ["batch", "-p", TX, book, "-o", ""],
             ["whatif", "-p", TX, book, "--report", ""] + variant, ["whatif", "-p", TX, book, "--csv", ""] + variant,
             ["test", suite, "--junit", ""]):
    flag = next(a for a in args if a.startswith("-") and args[args.index(a) + 1] == "")
    expect(f"{args[0]} {flag} ''", args, 2, err_has=["needs a value, not ''"], one_line=True)
expect("--format ''", ["batch", "-p", TX, book, "--format", ""], 2, err_has=["--format"], one_line=True)
for value in ("18446744073709551616", "0", "-1", "9007199254740993", "1e3"):
    expect(f"--first-line {value}", ["batch", "-p", TX, book, "--first-line", value], 2,
           err_has=[f"--first-line takes a whole number from 1 to 9007199254740992, not `{value}`"], one_line=True)
for value in ("18446744073709551616", "-1", ""):
    expect(f"whatif --top {value!r}", ["whatif", "-p", TX, book, "--top", value] + variant, 2, err_has=["--top"],
           one_line=True)
rc, out, err = run(["batch", "-p", TX, "-", "--first-line", "9007199254740992"], stdin=b"not json\n")
check("--first-line 2^53 numbers the first line exactly",
      rc == 0 and '"line":9007199254740992,' in out, (rc, out[:300], err))

# --- Text output escapes control characters as JSON strings do -------------------------------------
lines = [
    {"id": "A\nB", "as_of": "2025-06-01", "injury": {"date": "2024-01-05"}, "benefits": {"income_start": "2024-01-15"}},
    {"id": "T\tU\u0000V", "as_of": "2025-06-01", "injury": {"date": "2024-01-05"}},
    {"id": "back\\slash\r", "as_of": "2025-06-01", "injury": {"date": "2024-\n01-05"}},
    {"id": "sep\u2028\u0085end\u007f\u0001\b\f\"q\"", "as_of": "2025-06-01", "injury": {"date": "2024-01-05"}},
]
cases = "".join(json.dumps(c) + "\n" for c in lines).encode()
rc, out, err = run(["batch", "-p", TX, "-", "--format", "text"], stdin=cases)
rows = out.split("\n")
check("batch --format text: one line per case", rc == 0 and len(rows) == 5 and rows[4] == "", (rc, out, err))
if len(rows) == 5:
    check("batch text: a newline in an id", rows[0] == "A\\nB\tnot_reached\t-\t-\t2026-01-12", rows[0])
    check("batch text: a tab and NUL in an id", rows[1].split("\t")[0] == "T\\tU\\u0000V" and
          rows[1].split("\t")[1] == "undetermined", rows[1])
    check("batch text: backslash, CR, and a newline quoted in an error message",
          rows[2] == "back\\\\slash\\r\terror\t-\t-\t-\tline 3: expected a date YYYY-MM-DD, found `2024-\\n01-05`",
          rows[2])
    check("batch text: separators, C1, DEL, other controls; a quote as it is",
          rows[3].split("\t")[0] == 'sep\\u2028\\u0085end\\u007f\\u0001\\b\\f"q"', rows[3])
case_json = os.path.join(tmp, "nl.json")
with open(case_json, "w") as f:
    json.dump(lines[0], f)
rc, out, err = run(["eval", "-p", TX, "-c", case_json, "--format", "text"])
check("eval text: a newline in the id stays on the first line",
      rc == 0 and out.startswith("case A\\nB under us-tx ") and out.split("\n")[1].strip().startswith("status"),
      (rc, out[:200], err))
whatif_book = (json.dumps({"id": "W\n1", "as_of": "2025-06-01", "injury": {"date": "2021-12-25"},
                           "benefits": {"disability_start": "2021-12-27", "income_start": "2022-01-03"}}) + "\n").encode()
rc, out, err = run(["whatif", "-p", TX, "-", "--format", "text"] + variant, stdin=whatif_book)
row = [ln for ln in out.split("\n") if "2023-12-04" in ln]
check("whatif text: the changed case's id escaped in its row", rc == 0 and len(row) == 1
      and row[0].strip().startswith("W\\n1 ") and "not_reached" not in row[0], (rc, out, err))

# --- check --format json|sarif: an unreadable file is a diagnostic on stdout too ------------------
rc, out, err = run(["check", "--format", "json", "nope.yaml", TX])
try:
    doc = json.loads(out)
    check("check json, unreadable file: E001 on stdout, exit 2", rc == 2 and doc["errors"] == 1 and
          doc["diagnostics"] == [{"code": "E001", "severity": "error", "file": "nope.yaml", "line": 0, "column": 0,
                                  "message": "cannot read policy `nope.yaml`: no such file"}]
          and err == "mmi: cannot read policy `nope.yaml`: no such file\n", (rc, out, err))
except ValueError:
    check("check json, unreadable file: stdout is JSON", False, out[:300])
rc, out, err = run(["check", "--format", "sarif", "policies"])
try:
    results = json.loads(out)["runs"][0]["results"]
    check("check sarif, a directory: E001 result, exit 2", rc == 2 and len(results) == 1 and
          results[0]["ruleId"] == "E001" and results[0]["message"]["text"] ==
          "cannot read policy `policies`: it is a directory", (rc, out[:500]))
except (ValueError, KeyError, IndexError):
    check("check sarif, a directory: stdout is SARIF", False, out[:300])
expect("check text, unreadable file: one stderr line", ["check", "--format", "text", "nope.yaml"], 2,
       err_has=["cannot read policy `nope.yaml`: no such file"], one_line=True)

shutil.rmtree(tmp, ignore_errors=True)
finish("output")
