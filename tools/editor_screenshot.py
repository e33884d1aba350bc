#!/usr/bin/env python3
"""Takes docs/editor-screenshot.png: Monaco (VS Code's editor) in headless Chromium showing what
`mmi lsp` answers for an edited policy — its diagnostics as squiggles with the message, and its
completion list after `injury.`.

usage: tools/editor_screenshot.py MMI MONACO_DIR OUT.png
  MONACO_DIR: an installed npm `monaco-editor` (e.g. `npm install monaco-editor@0.52.2` somewhere,
  then .../node_modules/monaco-editor). Not run in CI.

The script talks to the real server over stdio (initialize, didOpen with unsaved text, the
published diagnostics, a completion request), then writes a page that gives Monaco exactly those
answers, and has Chromium render it.
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

MMI, MONACO, OUT = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICY = os.path.join(SRC, "policies", "examples", "acme-tx-plateau.yaml")

# The example policy with an edit in progress (never saved): a misspelt field and `injury.`.
text = open(POLICY, encoding="utf-8").read()
text = text.replace("\ndecision:", """
let:
  # Pain at the last assessment of the past quarter.
  recent_pain: last(assessments where date >= as_of - 90 days).pan
  surgery_free: injury.

decision:""")


def frame(msg):
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read(out):
    n = None
    while True:
        line = out.readline().strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    return json.loads(out.read(n))


uri = "file://" + urllib.parse.quote(POLICY)
proc = subprocess.Popen([MMI, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
lines = text.split("\n")
row = next(i for i, l in enumerate(lines) if l.endswith("surgery_free: injury."))
for m in [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
          {"jsonrpc": "2.0", "method": "initialized", "params": {}},
          {"jsonrpc": "2.0", "method": "textDocument/didOpen",
           "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}}]:
    proc.stdin.write(frame(m))
proc.stdin.flush()
diagnostics = None
while diagnostics is None:
    m = read(proc.stdout)
    if m.get("method") == "textDocument/publishDiagnostics":
        diagnostics = m["params"]["diagnostics"]
proc.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "textDocument/completion",
                        "params": {"textDocument": {"uri": uri},
                                   "position": {"line": row, "character": len(lines[row])}}}))
proc.stdin.flush()
completion = None
while completion is None:
    m = read(proc.stdout)
    if m.get("id") == 2:
        completion = m["result"]["items"]
proc.stdin.write(frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": None}))
proc.stdin.flush()
while read(proc.stdout).get("id") != 3:
    pass
proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
proc.stdin.flush()
proc.wait(timeout=10)

page = """<!doctype html>
<html><head><meta charset="utf-8">
<style>html,body{margin:0;height:100%%;background:#fff} #editor{height:100%%}</style>
</head><body><div id="editor"></div>
<script src="file://%(monaco)s/min/vs/loader.js"></script>
<script>
const text = %(text)s, diagnostics = %(diagnostics)s, items = %(items)s, row = %(row)d, col = %(col)d;
require.config({ paths: { vs: 'file://%(monaco)s/min/vs' } });
require(['vs/editor/editor.main'], function () {
  const K = monaco.languages.CompletionItemKind;
  const kinds = { 3: K.Function, 5: K.Field, 6: K.Variable, 11: K.Unit, 14: K.Keyword,
                  18: K.Reference, 20: K.EnumMember, 21: K.Constant };
  const editor = monaco.editor.create(document.getElementById('editor'), {
    value: text, language: 'yaml', fontSize: 14, minimap: { enabled: false },
    automaticLayout: true, scrollBeyondLastLine: false, renderLineHighlight: 'none' });
  const model = editor.getModel();
  monaco.editor.setModelMarkers(model, 'mmi', diagnostics.map(d => ({
    startLineNumber: d.range.start.line + 1, startColumn: d.range.start.character + 1,
    endLineNumber: d.range.end.line + 1, endColumn: d.range.end.character + 1,
    message: d.message, code: d.code, source: d.source,
    severity: d.severity === 1 ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning })));
  monaco.languages.registerCompletionItemProvider('yaml', {
    triggerCharacters: ['.'],
    provideCompletionItems: (m, p) => ({ suggestions: items.map(i => ({
      label: i.label, kind: kinds[i.kind] ?? K.Text, detail: i.detail,
      documentation: i.documentation ? { value: i.documentation.value } : undefined,
      sortText: i.sortText, insertText: i.insertText || i.label,
      range: new monaco.Range(p.lineNumber, p.column, p.lineNumber, p.column) })) }) });
  const first = diagnostics.find(d => d.code === 'E202') || diagnostics[0];
  editor.revealLineInCenter(row - 3);
  // The diagnostic's message inline (the "next problem" widget), then completion at `injury.`.
  editor.setPosition({ lineNumber: first.range.start.line + 1, column: first.range.start.character + 1 });
  editor.focus();
  editor.trigger('shot', 'editor.action.marker.next', {});
  setTimeout(() => {
    editor.setPosition({ lineNumber: row + 1, column: col + 1 });
    editor.trigger('shot', 'editor.action.triggerSuggest', {});
  }, 300);
});
</script></body></html>
""" % {"monaco": MONACO, "text": json.dumps(text), "diagnostics": json.dumps(diagnostics),
       "items": json.dumps(completion), "row": row, "col": len(lines[row])}

work = tempfile.mkdtemp()
html = os.path.join(work, "editor.html")
open(html, "w", encoding="utf-8").write(page)
subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--allow-file-access-from-files", "--user-data-dir=" + os.path.join(work, "profile"),
                "--window-size=1100,640", "--virtual-time-budget=8000",
                "--screenshot=" + OUT, "file://" + html], check=True, timeout=120,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("diagnostics:", [(d["code"], d["message"]) for d in diagnostics])
print("completion:", [i["label"] for i in completion])
print("wrote", OUT)
