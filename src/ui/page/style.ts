// The dashboard's styles: system fonts, colours from variables that follow prefers-color-scheme,
// visible focus for keyboard users. Log rows have a fixed height: the virtual list relies on it.
export const pageCss = `
:root {
  --bg: #f7f7f9; --panel: #ffffff; --fg: #1d1f24; --muted: #5b6270; --line: #d9dce3;
  --accent: #0b62c4; --ok: #1a7f37; --warn: #9a6700; --err: #c0262d; --focus: #0b62c4;
  --code: #eef0f4; --row: 18px;
  --t0: #0b62c4; --t1: #8250df; --t2: #9a6700; --t3: #1a7f37; --t4: #bf3989; --t5: #0a7b83; --t6: #c0262d; --t7: #6e7781;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1115; --panel: #171a21; --fg: #e6e8ec; --muted: #9aa3b2; --line: #2b303b;
    --accent: #6cb6ff; --ok: #57d37a; --warn: #e3b341; --err: #ff7b72; --focus: #6cb6ff;
    --code: #222733;
    --t0: #6cb6ff; --t1: #d2a8ff; --t2: #e3b341; --t3: #57d37a; --t4: #ff9bce; --t5: #56d4dd; --t6: #ff7b72; --t7: #b1bac4;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { background: var(--bg); color: var(--fg); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; display: flex; flex-direction: column; }
code, .mono, .log-row { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
a { color: var(--accent); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--panel); padding: 4px 8px; z-index: 10; }
.top { display: flex; align-items: center; gap: 12px; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
.top h1 { font-size: 16px; margin: 0; }
.brand { color: var(--accent); }
.conn { margin-left: auto; color: var(--muted); }
.conn.down { color: var(--err); font-weight: 600; }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 1fr); grid-template-rows: minmax(0, 1fr) minmax(0, 1.2fr); gap: 8px; padding: 8px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-height: 0; overflow: auto; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 6px; }
.logs { grid-column: 1 / -1; display: flex; flex-direction: column; overflow: hidden; }
#apps { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: flex-start; }
.app h3 { font-size: 13px; margin: 4px 0; color: var(--muted); font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { width: 320px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px; display: flex; flex-direction: column; gap: 4px; }
.card[data-phase="error"] { border-color: var(--err); }
.card header { display: flex; align-items: baseline; gap: 8px; }
.card header h4 { margin: 0; font-size: 14px; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 0; }
.card dt { color: var(--muted); }
.card dd { margin: 0; overflow-wrap: anywhere; }
.reason { color: var(--err); font-weight: 600; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; border: 1px solid currentColor; font-size: 12px; }
.s-running, .s-in-sync, .s-forwarding, .s-idle, .s-ok, .s-following { color: var(--ok); }
.s-deploying, .s-waiting-for-pod, .s-reconnecting, .s-syncing, .s-initial, .s-connecting, .s-starting, .s-stopping { color: var(--warn); }
.s-error, .s-failed { color: var(--err); }
.s-stopped, .s-closed, .s-off { color: var(--muted); }
.actions { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
button { font: inherit; font-size: 12px; color: var(--fg); background: var(--code); border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: not-allowed; }
button.danger { color: var(--err); }
button[aria-pressed="true"] { background: var(--accent); color: var(--panel); }
input, select { font: inherit; font-size: 12px; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 2px 6px; }
.muted { color: var(--muted); }
.history-list { list-style: none; margin: 0; padding: 0; font-size: 12px; }
.history-list li { padding: 1px 0; border-bottom: 1px dotted var(--line); overflow-wrap: anywhere; }
.history-list li.error { color: var(--err); }
.history-list li.action { color: var(--accent); }
.history-list time { color: var(--muted); margin-right: 6px; }
.log-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-bottom: 6px; }
.log-toolbar h2 { margin: 0; }
.log-scroll { flex: 1; min-height: 0; overflow: auto; position: relative; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; contain: strict; }
.log-spacer { position: relative; width: 100%; }
.log-row { position: absolute; left: 0; right: 0; height: var(--row); line-height: var(--row); white-space: pre; overflow: hidden; text-overflow: ellipsis; padding: 0 6px; }
.log-row .ts { color: var(--muted); }
.c0 { color: var(--t0); } .c1 { color: var(--t1); } .c2 { color: var(--t2); } .c3 { color: var(--t3); }
.c4 { color: var(--t4); } .c5 { color: var(--t5); } .c6 { color: var(--t6); } .c7 { color: var(--t7); }
dialog { background: var(--panel); color: var(--fg); border: 1px solid var(--line); border-radius: 8px; max-width: 560px; }
dialog::backdrop { background: rgb(0 0 0 / .4); }
dialog h2 { font-size: 16px; margin-top: 0; }
.row { display: flex; gap: 8px; justify-content: flex-end; }
.commands { list-style: none; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.commands li { display: flex; gap: 6px; align-items: center; }
.commands input { flex: 1; font-family: ui-monospace, monospace; }
.toast { position: fixed; right: 16px; bottom: 16px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; max-width: 420px; opacity: 0; transition: opacity .2s; pointer-events: none; }
.toast.show { opacity: 1; }
.toast.error { border-color: var(--err); color: var(--err); }
@media (max-width: 800px) { main { grid-template-columns: 1fr; grid-template-rows: auto auto minmax(400px, 1fr); } }
`;
