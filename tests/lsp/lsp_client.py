#!/usr/bin/env python3
"""Drives `mmi lsp` as an editor does: a scripted JSON-RPC client over stdio.

usage: lsp_client.py MMI_BINARY SOURCE_DIR

Checks exact ranges (UTF-16 columns, with non-ASCII text before the names), completion items,
hover text, definitions and references across an include, diagnostics as the buffers change
(a module's change re-checks the policy that includes it), code actions, cancellation, malformed
messages, the fuzz corpus replayed through didChange, and a clean exit.
"""
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.parse

MMI, SRC = sys.argv[1], os.path.abspath(sys.argv[2])
HERE = os.path.join(SRC, "tests", "lsp")
TIMEOUT = 20
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def uri(path):
    return "file://" + urllib.parse.quote(os.path.abspath(path))


def utf16(s):
    return len(s.encode("utf-16-le")) // 2


def pos_of(text, needle, nth=0, after=False):
    """LSP position (UTF-16) of the nth occurrence of needle (its end when after)."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    if after:
        i += len(needle)
    line = text.count("\n", 0, i)
    start = text.rfind("\n", 0, i) + 1
    return {"line": line, "character": utf16(text[start:i])}


def range_of(text, needle, nth=0):
    s = pos_of(text, needle, nth)
    return {"start": s, "end": {"line": s["line"], "character": s["character"] + utf16(needle)}}


class Client:
    def __init__(self, init_options=None):
        self.proc = subprocess.Popen([MMI, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=SRC)
        self.messages = queue.Queue()
        self.pending = []
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.decode().strip()
                if not line:
                    break
                k, v = line.split(":", 1)
                headers[k.lower()] = v.strip()
            body = out.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def write_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def frame(self, msg):
        body = json.dumps(msg).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def send(self, msg):
        self.write_raw(self.frame(msg))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request_async(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    def wait(self, pred, what):
        deadline = time.time() + TIMEOUT
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        while time.time() < deadline:
            try:
                m = self.messages.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            if m is None:
                raise SystemExit("FAIL: the server closed its output while waiting for " + what)
            if pred(m):
                return m
            self.pending.append(m)
        raise SystemExit("FAIL: timed out waiting for " + what)

    def response(self, rid):
        return self.wait(lambda m: m.get("id") == rid and "method" not in m, "response %s" % rid)

    def request(self, method, params):
        m = self.response(self.request_async(method, params))
        check("error" not in m, "%s answered an error: %s" % (method, m.get("error")))
        return m.get("result")

    def diagnostics(self, doc_uri, version):
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == doc_uri and m["params"].get("version") == version,
                      "diagnostics of %s v%s" % (doc_uri, version))
        return m["params"]["diagnostics"]

    def latest_diagnostics(self, doc_uri, pred, what):
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == doc_uri and pred(m["params"]["diagnostics"]), what)
        return m["params"]["diagnostics"]


def labels(result):
    items = result["items"] if isinstance(result, dict) else result
    return [i["label"] for i in sorted(items, key=lambda i: i.get("sortText", i["label"]))]


def main():
    module_path = os.path.join(HERE, "module.yaml")
    policy_path = os.path.join(HERE, "policy.yaml")
    module_text = open(module_path, encoding="utf-8").read()
    policy_text = open(policy_path, encoding="utf-8").read()
    mu, pu = uri(module_path), uri(policy_path)

    c = Client()
    init = c.request("initialize", {"processId": None, "rootUri": uri(SRC), "capabilities": {},
                                    "initializationOptions": {"referenceDate": "2015-06-01",
                                                              "debounceMs": 20}})
    caps = init["capabilities"]
    check(caps["textDocumentSync"]["change"] == 2, "incremental sync advertised")
    check(caps.get("positionEncoding") == "utf-16", "UTF-16 positions")
    c.notify("initialized", {})

    # ---- diagnostics on open: the test policy is clean ----
    c.notify("textDocument/didOpen", {"textDocument": {"uri": mu, "languageId": "yaml",
                                                       "version": 1, "text": module_text}})
    c.notify("textDocument/didOpen", {"textDocument": {"uri": pu, "languageId": "yaml",
                                                       "version": 1, "text": policy_text}})
    check(c.diagnostics(pu, 1) == [], "the test policy has no diagnostics")
    check(c.diagnostics(mu, 1) == [], "the module has no diagnostics")

    # ---- an error after non-ASCII text: exact UTF-16 range, code, help, fix ----
    # `"Café ☕ 😀"` precedes `plateau` on the line: 😀 is 2 UTF-16 units, 4 bytes.
    text = policy_text
    target = range_of(text, "plateau) then", 0)
    target["end"]["character"] = target["start"]["character"] + 7
    c.notify("textDocument/didChange", {
        "textDocument": {"uri": pu, "version": 2},
        "contentChanges": [{"range": target, "text": "platau"}]})
    text = text.replace("fired(plateau) then", "fired(platau) then")
    diags = c.diagnostics(pu, 2)
    check(len(diags) == 1, "one diagnostic for the misspelt rule: %s" % diags)
    d = diags[0]
    want = range_of(text, "platau")
    check(d["range"] == want, "E208 range in UTF-16 columns: %s != %s" % (d["range"], want))
    check(d["code"] == "E208" and d["severity"] == 1, "code E208, severity error: %s" % d)
    check(d["message"] == "no rule `platau`\nhelp: did you mean `plateau`?", "message: %r" % d["message"])
    actions = c.request("textDocument/codeAction", {"textDocument": {"uri": pu}, "range": d["range"],
                                                    "context": {"diagnostics": [d]}})
    check(len(actions) == 1 and actions[0]["kind"] == "quickfix", "one quick fix: %s" % actions)
    edit = actions[0]["edit"]["changes"][pu][0]
    check(edit == {"range": want, "newText": "plateau"}, "the fix replaces the name: %s" % edit)
    # Apply the fix as the editor would.
    c.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": 3},
                                        "contentChanges": [{"range": edit["range"], "text": "plateau"}]})
    text = text.replace("fired(platau) then", "fired(plateau) then")
    check(c.diagnostics(pu, 3) == [], "the fix clears the diagnostic")

    # ---- hover and definition on a name after the emoji ----
    h = c.request("textDocument/hover", {"textDocument": {"uri": pu},
                                         "position": pos_of(text, "plateau) then")})
    plateau = range_of(text, "plateau) then")
    plateau["end"]["character"] = plateau["start"]["character"] + 7
    check(h is not None and h["range"] == plateau,
          "hover range of `plateau` after the emoji: %s" % (h and h.get("range")))
    check(h is not None and "**rule** `plateau`" in h["contents"]["value"], "rule hover: %s" % h)
    defn = c.request("textDocument/definition", {"textDocument": {"uri": pu},
                                                 "position": pos_of(text, "plateau) then")})
    decl = range_of(text, "plateau\n")
    decl["end"]["character"] -= 1
    check(defn == {"uri": pu, "range": decl},
          "definition of the rule: %s" % defn)

    # ---- hover: a rule's cites, a parameter's dated entries, a built-in, a fact ----
    h = c.request("textDocument/hover", {"textDocument": {"uri": pu},
                                         "position": pos_of(text, "statutory) then")})
    check(h and "Statutory MMI (café ☕)" in h["contents"]["value"]
          and "*Cites:* Lab. Code § 1" in h["contents"]["value"], "rule cites: %s" % h)
    h = c.request("textDocument/hover", {"textDocument": {"uri": pu},
                                         "position": pos_of(text, "cap and")})
    value = h["contents"]["value"] if h else ""
    check("**parameter** `cap`: number" in value, "parameter type: %r" % value)
    check("| **2000-01-01** | `10` ← in force |" in value and "| 2020-01-01 | `20` |" in value,
          "dated entries with the one in force on 2015-06-01: %r" % value)
    check("On 2015-06-01: `10`." in value, "value on the reference date: %r" % value)
    h = c.request("textDocument/hover", {"textDocument": {"uri": pu},
                                         "position": pos_of(text, "count(")})
    summary = builtin_summary("count")
    check(h and h["contents"]["value"] == "```\n%s\n```\n%s" % (summary[0], summary[1]),
          "built-in hover from the table: %s" % h)
    h = c.request("textDocument/hover", {"textDocument": {"uri": pu},
                                         "position": pos_of(text, "function >=")})
    check(h and h["contents"]["value"].startswith("**field** `function` of the items of `assessments`: number"),
          "item field hover: %s" % h)
    h = c.request("textDocument/hover", {"textDocument": {"uri": mu},
                                         "position": pos_of(module_text, "period_weeks", 1)})
    check(h and "Statutory period before MMI." in h["contents"]["value"]
          and "value: `104 weeks` (= 728 days)" in h["contents"]["value"], "parameter comment as doc: %s" % h)

    # ---- definition and references across the include ----
    defn = c.request("textDocument/definition", {"textDocument": {"uri": pu},
                                                 "position": pos_of(text, "statutory_date", 0)})
    check(defn == {"uri": mu, "range": range_of(module_text, "statutory_date")},
          "definition in the included module: %s" % defn)
    defn = c.request("textDocument/definition", {"textDocument": {"uri": pu},
                                                 "position": pos_of(text, "status ==")})
    check(defn == {"uri": mu, "range": range_of(module_text, "status")},
          "definition of a list item's field: %s" % defn)
    defn = c.request("textDocument/definition", {"textDocument": {"uri": pu},
                                                 "position": pos_of(text, "module.yaml")})
    check(defn == {"uri": mu, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}},
          "definition of an include: %s" % defn)
    refs = c.request("textDocument/references", {"textDocument": {"uri": pu},
                                                 "position": pos_of(text, "statutory_date", 1),
                                                 "context": {"includeDeclaration": True}})
    got = sorted((r["uri"], r["range"]["start"]["line"], r["range"]["start"]["character"]) for r in refs)
    want = sorted([(mu, range_of(module_text, "statutory_date")["start"]["line"], 2)] +
                  [(pu, range_of(text, "statutory_date", i)["start"]["line"],
                    range_of(text, "statutory_date", i)["start"]["character"]) for i in range(3)])
    check(got == want, "references across files: %s != %s" % (got, want))

    # ---- completion ----
    def complete_after(new_line, what):
        """Appends `new_line` as a let and completes at its end (an incremental insert)."""
        nonlocal text, version
        anchor = pos_of(text, "\nrules:")
        c.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": version + 1},
                                            "contentChanges": [{"range": {"start": anchor, "end": anchor},
                                                                "text": "\n  " + new_line}]})
        version += 1
        line_no = anchor["line"] + 1
        res = c.request("textDocument/completion", {"textDocument": {"uri": pu},
                                                    "position": {"line": line_no,
                                                                 "character": utf16("  " + new_line)}})
        # Undo the insertion (incremental delete).
        c.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": version + 1},
                                            "contentChanges": [{"range": {"start": anchor, "end": {"line": line_no, "character": utf16("  " + new_line)}},
                                                                "text": ""}]})
        version += 1
        check(res is not None, what + ": no result")
        return res or {"items": []}

    version = 3
    res = complete_after("probe: injury.", "fields after `injury.`")
    check(sorted(labels(res)) == ["date", "kind"], "after `injury.` only its fields: %s" % labels(res))
    res = complete_after("probe: assessments where ", "items of a where")
    check(labels(res)[:3] == ["date", "function", "status"], "the item's fields first: %s" % labels(res)[:6])
    check("statutory_date" in labels(res) and "median" in labels(res), "lets and built-ins too")
    res = complete_after("probe: count(assessments where status == ", "enum after ==")
    items = res["items"]
    check(sorted((i["label"], i.get("insertText")) for i in items) ==
          [("closed", '"closed"'), ("open", '"open"')], "enum literals after `==`: %s" % items)
    res = complete_after('probe: injury.kind in ["', "enum inside a list")
    check(sorted(labels(res)) == ["back", "knee"], "enum literals in `in [\"`: %s" % labels(res))
    res = complete_after("probe: fired(", "rule ids")
    check(sorted(labels(res)) == ["plateau", "statutory"], "rule ids in fired(): %s" % labels(res))
    res = complete_after("probe: injury.date + 3 ", "units")
    check({"days", "weeks", "months", "years"} <= set(labels(res)), "units after a number: %s" % labels(res))
    res = complete_after("probe: med", "built-ins")
    median = [i for i in res["items"] if i["label"] == "median"]
    summary = builtin_summary("median")
    check(median and median[0]["detail"] == summary[0] and
          median[0]["documentation"]["value"] == summary[1], "median with its signature and doc: %s" % median)
    res = complete_after('probe: "é😀" == "x" and last_by(assessments, ', "list_and_field")
    check(sorted(labels(res)) == ["date", "function", "status"], "fields of a list_and_field call after non-ASCII: %s" % labels(res))
    res = complete_after("probe: statutory_date > injury.date and ca", "parameters and lets")
    check("cap" in labels(res) and "statutory_date" in labels(res) and "good_scores" in labels(res),
          "parameters and lets: %s" % labels(res)[:10])
    # The decision's `order:` lists rule ids.
    anchor = pos_of(text, "  hit: earliest", after=True)
    c.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": version + 1},
                                        "contentChanges": [{"range": {"start": anchor, "end": anchor},
                                                            "text": "\n  order: [statutory, "}]})
    res = c.request("textDocument/completion", {"textDocument": {"uri": pu},
                                                "position": {"line": anchor["line"] + 1, "character": 21}})
    check(sorted(labels(res)) == ["plateau", "statutory"], "rule ids in order: %s" % labels(res))
    c.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": version + 2},
                                        "contentChanges": [{"range": {"start": anchor, "end": {"line": anchor["line"] + 1, "character": 21}},
                                                            "text": ""}]})
    version += 2
    # A key position in YAML: left to the schemas.
    res = c.request("textDocument/completion", {"textDocument": {"uri": pu}, "position": {"line": 1, "character": 0}})
    check(res == [], "no completion outside expressions: %s" % res)

    # ---- document symbols ----
    syms = c.request("textDocument/documentSymbol", {"textDocument": {"uri": pu}})
    check([s["name"] for s in syms] == ["cap", "good_scores", "statutory", "plateau", "decision", "label",
                                         "basis_rule"],
          "document symbols: %s" % [s["name"] for s in syms])

    # Wait for the check of the policy as it is now; no older one can be published after it.
    check(c.diagnostics(pu, version) == [], "the policy is clean after the completion probes")
    c.pending = [m for m in c.pending if m.get("method") != "textDocument/publishDiagnostics"]

    # ---- a module's change re-checks the policy that includes it ----
    renamed = module_text.replace("  statutory_date:", "  statutory_day:")
    c.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": 2},
                                        "contentChanges": [{"text": renamed}]})
    diags = c.latest_diagnostics(pu, lambda ds: len(ds) > 0, "policy re-checked after its module changed")
    check(len(diags) == 3 and all(d["code"] == "E200" for d in diags)
          and diags[0]["message"] == "unknown name `statutory_date`\nhelp: did you mean `statutory_day`?",
          "the policy sees the module's unsaved rename: %s" % diags)
    check(diags[0]["range"] == range_of(text, "statutory_date", 0), "range of the first: %s" % diags[0]["range"])
    c.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": 3},
                                        "contentChanges": [{"text": module_text}]})
    c.latest_diagnostics(pu, lambda ds: ds == [], "policy clean again after the module is restored")

    # ---- running cases: code lenses on the suite and above `decision:`, commands ----
    suite_path = os.path.join(HERE, "policy.test.yaml")
    suite_text = open(suite_path, encoding="utf-8").read()
    su = uri(suite_path)
    c.notify("textDocument/didOpen", {"textDocument": {"uri": su, "languageId": "yaml",
                                                       "version": 1, "text": suite_text}})
    check(c.diagnostics(su, 1) == [], "the suite has no diagnostics")
    bad = suite_text.replace("    expect:", "    expcet:", 1)
    c.notify("textDocument/didChange", {"textDocument": {"uri": su, "version": 2},
                                        "contentChanges": [{"text": bad}]})
    diags = c.diagnostics(su, 2)
    key = range_of(bad, "expcet")
    check(len(diags) == 1 and diags[0]["code"] == "E010" and diags[0]["range"] == key
          and diags[0]["message"] == "unknown test key `expcet`\nhelp: did you mean `expect`?"
          and diags[0]["data"]["fix"]["newText"] == "expect",
          "a misspelt suite key: %s" % diags)
    # A suite whose policy no longer compiles (an unsaved module edit) says so at `policy:`.
    c.notify("textDocument/didChange", {"textDocument": {"uri": su, "version": 3},
                                        "contentChanges": [{"text": suite_text}]})
    check(c.diagnostics(su, 3) == [], "the suite is clean again")
    c.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": 6},
                                        "contentChanges": [{"text": module_text.replace("injury.date +", "injury.dat +")}]})
    diags = c.latest_diagnostics(su, lambda ds: len(ds) > 0, "the suite re-checked after the module changed")
    check([(d["code"], d["range"]["start"]["line"], d["message"]) for d in diags] ==
          [("E600", 1, "the policy does not compile: %s:16:19: injury has no field `dat`" % os.path.join(HERE, "module.yaml"))],
          "suite diagnostics for a broken policy: %s" % diags)
    c.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": 7},
                                        "contentChanges": [{"text": module_text}]})
    c.latest_diagnostics(su, lambda ds: ds == [], "the suite clean again after the module is restored")
    lenses = c.request("textDocument/codeLens", {"textDocument": {"uri": su}})
    got = [(l["range"]["start"]["line"], l["command"]["title"]) for l in lenses]
    want = [(0, "▶ Run all 2 tests (mmi test, saved files)"),
            (pos_of(suite_text, "- name: statutory")["line"],
             "✓ reached · MMI 2012-01-02 · cutoff 2012-01-02 (statutory)"),
            (pos_of(suite_text, "- name: before")["line"], "✓ not_reached · MMI — · cutoff 2012-01-02")]
    check(got == want, "suite lenses: %s" % got)
    lenses = c.request("textDocument/codeLens", {"textDocument": {"uri": pu}})
    got = [(l["range"]["start"]["line"], l["command"]["title"], l["command"]["arguments"]) for l in lenses]
    check(got == [(pos_of(text, "decision:")["line"],
                   "▶ policy.test.yaml: 2 cases, 1 reached, 0 differ from the expected status/MMI/cutoff",
                   [su])], "policy lens above decision: %s" % got)
    # An unsaved change to the module (52 weeks): the lenses evaluate the buffers.
    c.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": 8},
                                        "contentChanges": [{"range": range_of(module_text, "104 weeks"),
                                                            "text": "52 weeks"}]})
    lenses = c.request("textDocument/codeLens", {"textDocument": {"uri": su}})
    got = [l["command"]["title"] for l in lenses][1:]
    check(got == ["✗ reached · MMI 2011-01-03 · cutoff 2011-01-03 (statutory) (expected mmi_date 2012-01-02)",
                  "✗ reached · MMI 2011-01-03 · cutoff 2011-01-03 (statutory) (expected status not_reached)"],
          "lenses follow the unsaved module: %s" % got)
    r = c.request("workspace/executeCommand", {"command": "mmi.runCase",
                                               "arguments": [pu, os.path.join(HERE, "case.yaml")]})
    check(r and r["status"] == "reached" and r["mmi_date"] == "2011-01-03" and r["case"] == "L3",
          "mmi.runCase on the unsaved policy: %s" % r)
    m = c.wait(lambda m: m.get("method") == "window/showMessage", "showMessage after runCase")
    check(m["params"]["message"] == "case.yaml: reached · MMI 2011-01-03 · cutoff 2011-01-03 (statutory)",
          "runCase message: %s" % m["params"])
    c.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": 9},
                                        "contentChanges": [{"text": module_text}]})
    r = c.request("workspace/executeCommand", {"command": "mmi.runSuite", "arguments": [su]})
    check(r and r["passed"] == 2 and r["failed"] == 0, "mmi.runSuite (saved files): %s" % r)
    m = c.wait(lambda m: m.get("method") == "window/showMessage", "showMessage after runSuite")
    check(m["params"]["message"] == "policy.test.yaml: 2 passed, 0 failed", "runSuite message: %s" % m["params"])

    # ---- protocol errors ----
    c.write_raw(b"Content-Length: 9\r\n\r\n{not json")
    m = c.wait(lambda m: "error" in m and m.get("id") is None, "parse error response")
    check(m["error"]["code"] == -32700, "malformed JSON gets -32700: %s" % m)
    c.send({"jsonrpc": "2.0", "id": "no-method", "params": {}})
    m = c.response("no-method")
    check(m.get("error", {}).get("code") == -32600, "a request without a method gets -32600: %s" % m)
    c.write_raw(b"Content-Type: application/json\r\n\r\n")  # a frame without Content-Length
    m = c.wait(lambda m: "error" in m and m.get("id") is None, "error for a frame without length")
    check(m["error"]["code"] == -32700, "a frame without Content-Length gets -32700: %s" % m)
    m = c.response(c.request_async("mmi/noSuchMethod", {}))
    check(m.get("error", {}).get("code") == -32601, "unknown method gets -32601: %s" % m)
    # Cancellation: requests wait behind a slow one (testRequestDelayMs is set by a second client
    # below); here a request cancelled in the same write as itself is answered -32800 or served.
    cancel_test()

    # ---- the fuzz corpus through didChange: no crash, no hang ----
    corpus = os.path.join(SRC, "fuzz", "corpus", "policy_fuzz")
    files = sorted(os.listdir(corpus)) if os.path.isdir(corpus) else []
    # And a few pathological texts: a very long expression, a very long line, deep nesting.
    head = policy_text.split("\nlet:")[0] + "\nlet:\n"
    generated = {
        "long-expression": head + "  big: " + " + ".join(["injury.date"] * 20000) + "\n",
        "long-line": head + "  big: " + "a" * 300000 + "\n",
        "deep-nesting": head + "  big: " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        "long-block": head + "  big: >-\n" + "    count(assessments where function > 1) +\n" * 3000 + "    1\n",
    }
    v = 100
    for name in files + sorted(generated):
        started = time.time()
        data = (generated[name] if name in generated else
                open(os.path.join(corpus, name), "rb").read().decode("utf-8", "replace"))
        v += 1
        c.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": v},
                                            "contentChanges": [{"text": data}]})
        # Requests on the garbage too, at a few places.
        lines = data.split("\n")
        for ln in (0, len(lines) // 2, len(lines) - 1):
            for method in ("textDocument/completion", "textDocument/hover", "textDocument/definition"):
                m = c.response(c.request_async(method, {"textDocument": {"uri": pu},
                                                        "position": {"line": ln, "character": utf16(lines[ln]) // 2}}))
                check("error" not in m, "%s on fuzz input %s: %s" % (method, name, m.get("error")))
        # And an incremental edit in the middle of it.
        v += 1
        c.notify("textDocument/didChange", {"textDocument": {"uri": pu, "version": v},
                                            "contentChanges": [{"range": {"start": {"line": len(lines) // 2, "character": 0},
                                                                          "end": {"line": len(lines) // 2, "character": 3}},
                                                                "text": "é😀\n"}]})
        c.diagnostics(pu, v)
        check(time.time() - started < 10, "input %s took %.1f s" % (name, time.time() - started))
    check(len(files) > 0, "the fuzz corpus is there")
    print("replayed %d fuzz inputs" % len(files))

    # ---- shutdown and exit ----
    check(c.request("shutdown", None) is None, "shutdown answers null")
    c.notify("exit", None)
    try:
        code = c.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        c.proc.kill()
        raise SystemExit("FAIL: the server did not exit after `exit`")
    check(code == 0, "exit code 0 after shutdown: %s" % code)

    dead_client_test(pu, policy_text)

    # ---- the client dies: stdin closed ----
    c2 = Client()
    m = c2.response(c2.request_async("textDocument/hover", {"textDocument": {"uri": pu},
                                                            "position": {"line": 0, "character": 0}}))
    check(m.get("error", {}).get("code") == -32002, "a request before initialize gets -32002: %s" % m)
    c2.request("initialize", {"processId": None, "capabilities": {}})
    c2.proc.stdin.close()
    try:
        code = c2.proc.wait(timeout=10)
        check(code == 1, "exit code 1 without shutdown when stdin closes: %s" % code)
    except subprocess.TimeoutExpired:
        c2.proc.kill()
        check(False, "the server did not exit when stdin closed")


def dead_client_test(policy_uri, policy_text):
    """A client that dies (both pipes closed) while the server writes: no SIGPIPE death."""
    proc = subprocess.Popen([MMI, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=SRC)
    frame = Client.frame
    proc.stdout.close()
    try:
        proc.stdin.write(frame(None, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                      "params": {"capabilities": {}}}))
        proc.stdin.write(frame(None, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": policy_uri, "languageId": "yaml", "version": 1, "text": policy_text}}}))
        proc.stdin.flush()
        time.sleep(0.5)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = "hung"
    check(code == 1, "a dead client: the server exits with 1, not by a signal: %s" % code)


def cancel_test():
    """With every request delayed (a test option), a queued request that is cancelled gets -32800
    and the one before it is still answered."""
    c3 = Client()
    c3.request("initialize", {"processId": None, "capabilities": {},
                              "initializationOptions": {"testRequestDelayMs": 300}})
    doc = {"textDocument": {"uri": uri(os.path.join(HERE, "policy.yaml"))},
           "position": {"line": 0, "character": 0}}
    first = c3.request_async("textDocument/hover", doc)
    second = c3.request_async("textDocument/hover", doc)
    c3.notify("$/cancelRequest", {"id": second})
    r1, r2 = c3.response(first), c3.response(second)
    check("error" not in r1, "the first request is answered: %s" % r1)
    check(r2.get("error", {}).get("code") == -32800, "the cancelled request gets -32800: %s" % r2)
    c3.request("shutdown", None)
    c3.notify("exit", None)
    c3.proc.wait(timeout=10)


def builtin_summary(name):
    """(signature, summary) of a built-in from rules/builtins.cpp, the table completion uses."""
    src = open(os.path.join(SRC, "rules", "builtins.cpp"), encoding="utf-8").read()
    m = re.search(r'\{\s*Builtin::%s,\s*"%s",\s*"([^"]*)",\s*"((?:[^"\\]|\\.)*)"' % (name, name), src)
    if not m:
        raise SystemExit("FAIL: cannot find %s in rules/builtins.cpp" % name)
    return m.group(1), m.group(2).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


if __name__ == "__main__":
    main()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("ok")
