"""What the command-line test scripts share: running `mmi`, recording failed checks, and the verdict.

A script does `from clitest import *` after putting this folder on sys.path (Python does that for
a script run from here); MMI is its first argument."""
import subprocess
import sys

MMI = sys.argv[1]
failures = []
skipped = []


def run(args, stdin=None, stdout=subprocess.PIPE, preexec=None, umask=None):
    """(exit code, stdout, stderr) of `mmi ARGS`; stdin as bytes or text."""
    import os

    def setup():
        if umask is not None:
            os.umask(umask)
        if preexec:
            preexec()
    if isinstance(stdin, str):
        stdin = stdin.encode()
    p = subprocess.run([MMI] + list(args), stdout=stdout, stderr=subprocess.PIPE, input=stdin,
                       preexec_fn=setup if (umask is not None or preexec) else None)
    out = p.stdout.decode() if p.stdout is not None else ""
    return p.returncode, out, p.stderr.decode()


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}")


def expect(name, args, code, err_has=(), out_has=(), one_line=False, **kw):
    """Runs `mmi ARGS` and checks its exit code, what stdout and stderr contain, and (one_line)
    that stderr is exactly one line; never std::terminate."""
    rc, out, err = run(args, **kw)
    problems = []
    if rc != code:
        problems.append(f"exit {rc}, expected {code}")
    for s in err_has:
        if s not in err:
            problems.append(f"stderr lacks {s!r}")
    for s in out_has:
        if s not in out:
            problems.append(f"stdout lacks {s!r}")
    if one_line and err.count("\n") != 1:
        problems.append("stderr is not exactly one line")
    if "terminate called" in err:
        problems.append("std::terminate")
    check(name, not problems, "; ".join(problems) + f"\n  stdout: {out[:300]!r}\n  stderr: {err[:300]!r}")
    return rc, out, err


def finish(what):
    """Prints the skipped and failed checks; exits 1 when any failed."""
    for s in skipped:
        print("skipped: " + s)
    if failures:
        print("\n".join(failures))
        print(f"{len(failures)} {what} check(s) failed")
        sys.exit(1)
    print(f"all {what} checks passed")
