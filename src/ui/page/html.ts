// The dashboard's one HTML page: landmarks, the log toolbar and the two dialogs. Everything inside
// is filled in by app.ts from the live channel.
export function pageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>kloop dev</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<a class="skip" href="#log-scroll">Skip to logs</a>
<header class="top">
  <h1><span class="brand">kloop dev</span> <span id="project"></span></h1>
  <span id="phase" class="badge"></span>
  <span id="conn" class="conn" role="status" aria-live="polite">connecting…</span>
</header>
<main>
  <section class="targets" aria-labelledby="targets-title">
    <h2 id="targets-title">Dev targets</h2>
    <div id="apps"></div>
    <div id="deployed-box" hidden>
      <h3>apps deployed</h3>
      <ul id="deployed" class="hybrid" aria-label="Every app the session deployed, dependencies included"></ul>
    </div>
    <div id="hybrid-box" hidden>
      <h3>connect / intercept</h3>
      <ul id="hybrid" class="hybrid" aria-label="kloop connect and intercept processes"></ul>
    </div>
  </section>
  <section class="history" aria-labelledby="history-title">
    <h2 id="history-title">History</h2>
    <ol id="deploys" class="history-list" aria-label="Deploys"></ol>
    <ol id="history" class="history-list" aria-label="Session events, newest first"></ol>
  </section>
  <section class="logs" aria-labelledby="logs-title">
    <div class="log-toolbar">
      <h2 id="logs-title">Logs</h2>
      <label>Target <select id="log-target"><option value="">all targets</option></select></label>
      <label>Filter <input id="log-filter" type="search" placeholder="text in the line" autocomplete="off" spellcheck="false"></label>
      <button id="log-follow" type="button" aria-pressed="true">Follow</button>
      <button id="log-clear" type="button">Clear</button>
      <span id="log-count" class="muted" aria-live="off"></span>
    </div>
    <div id="log-scroll" class="log-scroll" tabindex="0" role="region" aria-label="Log lines (arrow keys and Page Up/Down scroll)">
      <div id="log-spacer" class="log-spacer"></div>
    </div>
  </section>
</main>
<dialog id="confirm" aria-labelledby="confirm-title">
  <form method="dialog">
    <h2 id="confirm-title"></h2>
    <p id="confirm-text"></p>
    <p class="muted">Same as <code id="confirm-cli"></code></p>
    <div class="row">
      <button value="cancel" autofocus>Cancel</button>
      <button value="ok" class="danger" id="confirm-ok">Purge</button>
    </div>
  </form>
</dialog>
<dialog id="command" aria-labelledby="command-title">
  <form method="dialog">
    <h2 id="command-title">Terminal</h2>
    <p>Run in a terminal in the project directory:</p>
    <ul id="command-list" class="commands"></ul>
    <div class="row"><button value="close">Close</button></div>
  </form>
</dialog>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
</body>
</html>
`;
}
