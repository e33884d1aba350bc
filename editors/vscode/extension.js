// A minimal client for `mmi lsp`: starts the server over stdio for YAML files and passes the
// settings as initialization options. Everything else (diagnostics, completion, hover,
// navigation, quick fixes, code lenses, the mmi.runSuite / mmi.runCase commands) is the server's.
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function startClient() {
  const config = vscode.workspace.getConfiguration('mmi');
  const serverOptions = {
    command: config.get('path') || 'mmi',
    args: ['lsp'],
    transport: TransportKind.stdio,
  };
  const initializationOptions = { debounceMs: config.get('debounceMs') };
  const referenceDate = config.get('referenceDate');
  if (referenceDate) initializationOptions.referenceDate = referenceDate;
  const clientOptions = {
    // The server answers only for files that declare `policy:`; other YAML is left alone.
    documentSelector: [{ scheme: 'file', language: 'yaml' }],
    initializationOptions,
  };
  client = new LanguageClient('mmi', 'mmi policy language', serverOptions, clientOptions);
  return client.start();
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('mmi.restartServer', async () => {
      if (client) await client.stop();
      await startClient();
    }),
    // Picks a case file and evaluates it against the policy in the editor (unsaved text included).
    vscode.commands.registerCommand('mmi.runCaseFile', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { 'Cases': ['yaml', 'yml', 'json'] },
      });
      if (!picked || picked.length === 0) return;
      await vscode.commands.executeCommand(
        'mmi.runCase', editor.document.uri.toString(), picked[0].toString());
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('mmi') && client) {
        await client.stop();
        await startClient();
      }
    }),
  );
  return startClient();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
