#!/usr/bin/env python3
"""Latency of `mmi lsp` on the largest shipped policy (not part of CTest: no timing assertions).

usage: bench/lsp_bench.py [MMI_BINARY]   (default build/cli/mmi; run from the repository root)

Measures, with the server's default debounce (a change after a quiet spell is checked at once):
  - diagnostics after a change to the policy (us-tx.yaml): didChange sent → publishDiagnostics read;
  - diagnostics of the policy after a change to its open module (jurisdictions/us-tx.yaml);
  - completion round trips inside an expression (after `benefits.`).
"""
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

MMI = sys.argv[1] if len(sys.argv) > 1 else "build/cli/mmi"
ROUNDS = 40


def uri(path):
    return "file://" + urllib.parse.quote(os.path.abspath(path))


class Server:
    def __init__(self):
        self.proc = subprocess.Popen([MMI, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.q = queue.Queue()
        self.id = 0
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        out = self.proc.stdout
        while True:
            n = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            self.q.put((time.perf_counter(), json.loads(out.read(n))))

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.id += 1
        t0 = time.perf_counter()
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        t, m = self.wait(lambda m: m.get("id") == self.id and "method" not in m)
        return t - t0, m.get("result")

    def wait(self, pred):
        while True:
            t, m = self.q.get(timeout=30)
            if pred(m):
                return t, m


def stats(name, samples):
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print("%-48s median %6.2f ms   p95 %6.2f ms   max %6.2f ms   (n=%d)"
          % (name, statistics.median(ms), p95, ms[-1], len(ms)))


def main():
    policy = "policies/us-tx.yaml"
    module = "policies/jurisdictions/us-tx.yaml"
    ptext, mtext = open(policy, encoding="utf-8").read(), open(module, encoding="utf-8").read()
    pu, mu = uri(policy), uri(module)
    s = Server()
    s.request("initialize", {"processId": None, "capabilities": {}})
    s.notify("initialized", {})
    s.notify("textDocument/didOpen", {"textDocument": {"uri": mu, "languageId": "yaml", "version": 1, "text": mtext}})
    s.notify("textDocument/didOpen", {"textDocument": {"uri": pu, "languageId": "yaml", "version": 1, "text": ptext}})
    s.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == pu)
    size = len(ptext) + len(mtext) + len(open("policies/std/facts.yaml").read())

    # A change to the policy: toggle one character of its title.
    line = ptext[:ptext.index("title:")].count("\n")
    own = []
    for v in range(2, ROUNDS + 2):
        time.sleep(0.2)  # a quiet spell longer than the debounce
        t0 = time.perf_counter()
        s.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": v}, "contentChanges": [
            {"range": {"start": {"line": line, "character": 7}, "end": {"line": line, "character": 8}},
             "text": "T" if v % 2 else "t"}]})
        t, _ = s.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == pu and m["params"].get("version") == v)
        own.append(t - t0)

    # A change to the module: the policy including it is re-checked too.
    mline = mtext[:mtext.index("title:")].count("\n")
    dependent = []
    for v in range(2, ROUNDS + 2):
        time.sleep(0.2)
        t0 = time.perf_counter()
        s.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": v}, "contentChanges": [
            {"range": {"start": {"line": mline, "character": 7}, "end": {"line": mline, "character": 8}},
             "text": "T" if v % 2 else "t"}]})
        t, _ = s.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == pu)
        dependent.append(t - t0)

    # Completion after `benefits.` in the module's `tx_statutory_date` let.
    cline = mtext[:mtext.index("tx_statutory_date: benefits.")].count("\n")
    col = len("  tx_statutory_date: benefits.")
    completion, count = [], 0
    for _ in range(100):
        dt, res = s.request("textDocument/completion", {"textDocument": {"uri": mu},
                                                        "position": {"line": cline, "character": col}})
        completion.append(dt)
        count = len(res["items"])
    # And a general completion (every name in scope) at the start of the same expression.
    general = []
    for _ in range(100):
        dt, res = s.request("textDocument/completion", {"textDocument": {"uri": mu},
                                                        "position": {"line": cline, "character": len("  tx_statutory_date: ")}})
        general.append(dt)
    hover = []
    for _ in range(100):
        dt, res = s.request("textDocument/hover", {"textDocument": {"uri": mu},
                                                   "position": {"line": cline, "character": col + 2}})
        hover.append(dt)

    print("us-tx.yaml with its includes: %d bytes of policy text, %d CPUs" % (size, os.cpu_count()))
    stats("diagnostics after a change to the policy", own)
    stats("policy diagnostics after a change to its module", dependent)
    stats("completion after `benefits.` (%d items)" % count, completion)
    stats("completion of every name in scope", general)
    stats("hover", hover)
    s.request("shutdown", None)
    s.notify("exit", None)
    s.proc.wait(timeout=10)


if __name__ == "__main__":
    main()
