/**
 * The run viewer's page: one self-contained HTML document (inline style and script, no external requests), served
 * at `/_flows/`. It lists the flows, draws the selected flow's graph (the SVG of `flows/graph`), starts a run or
 * follows one by id, and colours each node as its events arrive over SSE, with per-node timings and errors. Its
 * history lists the flow's recent runs (from the run store when the Worker has one); a run picked there is shown
 * from its record: each node's state, time, attempts and error.
 * The state of the page is also written to `data-*` attributes, so a browser test can wait on it.
 * The page holds no data: everything comes from the API with `Authorization: Bearer <token>`. The token is taken from
 * the URL fragment (`/_flows/#token=…`: a fragment is never sent to a server, and the page removes it from the
 * address bar and the history at once) or typed into the page's form, and kept in `sessionStorage` (this tab only).
 * Events are read with `fetch` (an EventSource cannot send a header), so no credential is ever ambient: another
 * site cannot make the browser start a run.
 */
export function viewerPage(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flows · run viewer</title>
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d1d1f; }
  body { margin: 0; display: grid; grid-template-columns: 260px 1fr; min-height: 100vh; }
  aside { background: #f4f4f6; border-right: 1px solid #ddd; padding: 12px; }
  aside h1 { font-size: 18px; margin: 0 0 12px; }
  aside button.flow { display: block; width: 100%; text-align: left; border: 0; background: none; padding: 6px 8px;
    border-radius: 6px; cursor: pointer; font: inherit; }
  aside button.flow:hover { background: #e6e6ea; }
  aside button.flow.selected { background: #d9e4ff; }
  aside small { color: #666; display: block; }
  main { padding: 16px 20px; overflow: auto; }
  #graph svg { max-width: 100%; height: auto; }
  #graph g.node > rect { transition: stroke 0.15s, stroke-width 0.15s; }
  #graph g.node.st-running > rect { stroke: #f5a623; stroke-width: 4px; }
  #graph g.node.st-done > rect { stroke: #1a9e4b; stroke-width: 4px; }
  #graph g.node.st-error > rect { stroke: #d62c2c; stroke-width: 5px; }
  #graph g.node.st-skipped { opacity: 0.4; }
  #graph g.node.st-retry > rect { stroke: #b05cff; stroke-width: 4px; }
  .row { display: flex; gap: 8px; align-items: flex-start; flex-wrap: wrap; margin: 12px 0; }
  textarea { width: 420px; height: 70px; font: 12px ui-monospace, monospace; }
  input { font: inherit; padding: 4px 6px; width: 320px; }
  button.action { font: inherit; padding: 5px 14px; cursor: pointer; }
  #status { font-weight: 600; }
  #status.ok { color: #1a9e4b; } #status.failed, #status.cancelled, #status.deadline_exceeded { color: #d62c2c; }
  table { border-collapse: collapse; margin-top: 8px; }
  td, th { border-bottom: 1px solid #e3e3e3; padding: 3px 10px; text-align: left; font-size: 13px; }
  td.error { color: #d62c2c; }
  td.items { max-width: 28em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .muted { color: #777; }
  #login { position: fixed; inset: 0; background: rgba(244,244,246,0.97); display: flex; align-items: center; justify-content: center; }
  #login[hidden] { display: none; }
  #login form { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 20px 24px; max-width: 440px; }
  #login p { margin: 0 0 10px; }
  #loginError { color: #d62c2c; min-height: 1.4em; }
</style>
</head>
<body data-run-status="idle">
<div id="login" hidden>
  <form id="loginForm">
    <p><strong>flows run viewer</strong></p>
    <p class="muted">Paste the viewer's token (the Worker's <code>FLOWS_ADMIN_TOKEN</code> secret).</p>
    <p id="loginError"></p>
    <input id="token" type="password" autocomplete="current-password" aria-label="token" required>
    <button class="action" type="submit">Open</button>
  </form>
</div>
<aside>
  <h1>flows</h1>
  <div id="flows" class="muted">loading…</div>
</aside>
<main>
  <h2 id="title" class="muted">Pick a flow</h2>
  <div id="summary" class="muted"></div>
  <div id="graph"></div>
  <div class="row">
    <textarea id="trigger" aria-label="trigger (JSON)">{ "body": {}, "params": {}, "query": {} }</textarea>
    <button id="run" class="action" disabled>Run</button>
  </div>
  <div class="row">
    <input id="runId" placeholder="run id (x-flow-run-id)" aria-label="run id">
    <button id="follow" class="action">Follow</button>
  </div>
  <div>Run <code id="current">–</code>: <span id="status">idle</span></div>
  <table id="timings"><thead><tr><th>node</th><th>state</th><th>ms</th><th>attempts</th><th>error</th><th>items</th></tr></thead><tbody></tbody></table>
  <h3>Recent runs <small id="historySource" class="muted"></small></h3>
  <table id="history"><thead><tr><th>started</th><th>status</th><th>ms</th><th>trigger</th><th>run id</th></tr></thead><tbody></tbody></table>
</main>
<script>
(() => {
  const BASE = ${JSON.stringify(base)};
  const KEY = "flows-viewer-token";
  const $ = (id) => document.getElementById(id);
  let flowId = null, source = null;

  // The token: from the fragment (then removed from the address bar and history), else this tab's storage.
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromFragment) { sessionStorage.setItem(KEY, fromFragment); history.replaceState(null, "", location.pathname + location.search); }
  const auth = () => ({ authorization: "Bearer " + (sessionStorage.getItem(KEY) || "") });
  function login(message) {
    sessionStorage.removeItem(KEY);
    $("loginError").textContent = message || "";
    $("login").hidden = false; document.body.dataset.login = "shown";
    $("token").focus();
  }
  $("loginForm").onsubmit = (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = ""; $("login").hidden = true; document.body.dataset.login = "hidden";
    start();
  };
  class Unauthorized extends Error {}
  const rows = new Map();

  const text = (value) => document.createTextNode(value == null ? "" : String(value));
  function cell(tr, value, cls) { const td = document.createElement("td"); if (cls) td.className = cls; td.append(text(value)); tr.append(td); return td; }

  async function api(path, init) {
    const response = await fetch(BASE + path, { ...init, headers: { ...(init && init.headers), ...auth() } });
    const body = await response.json();
    const message = body.error ? body.error.code + ": " + body.error.message : String(response.status);
    if (response.status === 401) { login(message); throw new Unauthorized(message); }
    if (!response.ok) throw new Error(message);
    return body;
  }

  async function loadFlows() {
    const { flows } = await api("/api/flows");
    const list = $("flows"); list.textContent = ""; list.classList.remove("muted");
    for (const flow of flows) {
      const button = document.createElement("button");
      button.className = "flow"; button.dataset.flow = flow.id;
      button.append(text(flow.id));
      const small = document.createElement("small");
      small.append(text(flow.triggers.map((t) => t.label).join(" · ") || "subflow"));
      button.append(small);
      button.onclick = () => selectFlow(flow);
      list.append(button);
    }
    document.body.dataset.flows = String(flows.length);
    const wanted = new URLSearchParams(location.search).get("flow");
    const first = flows.find((f) => f.id === wanted) || flows[0];
    if (first) await selectFlow(first);
  }

  async function selectFlow(flow) {
    flowId = flow.id;
    for (const b of document.querySelectorAll("button.flow")) b.classList.toggle("selected", b.dataset.flow === flow.id);
    $("title").textContent = flow.id + " " + flow.version; $("title").classList.remove("muted");
    $("summary").textContent = (flow.description || "") + " — effect " + flow.effect + ", determinism " + flow.determinism;
    const { svg } = await api("/api/flows/" + encodeURIComponent(flow.id) + "/graph");
    $("graph").innerHTML = svg;
    $("run").disabled = false;
    document.body.dataset.flow = flow.id;
    await loadHistory();
  }
  // The flow's recent runs: the run store's when the Worker has one (every isolate's, kept across restarts).
  async function loadHistory() {
    const { runs, source } = await api("/api/runs?flow=" + encodeURIComponent(flowId));
    const body = $("history").tBodies[0]; body.textContent = "";
    $("historySource").textContent = source === "store" ? "(run store)" : "(this isolate only: no FLOWS_RUNS binding)";
    for (const run of runs) {
      const tr = document.createElement("tr"); tr.dataset.run = run.runId; tr.style.cursor = "pointer";
      cell(tr, run.startedAt ? new Date(run.startedAt).toLocaleString() : "");
      const status = run.status === "waiting" ? "waiting for " + waitsText(run.waitingFor) : run.status || (run.ended ? "ended" : "running");
      cell(tr, status, run.status && !["ok", "running", "waiting"].includes(run.status) ? "error" : "");
      cell(tr, run.endedAt ? run.endedAt - run.startedAt : "");
      cell(tr, run.trigger ? run.trigger.type + ":" + run.trigger.id : "");
      cell(tr, run.runId);
      tr.onclick = () => showRun(run.runId);
      body.append(tr);
    }
    if (runs.length === 0) {
      const tr = document.createElement("tr");
      cell(tr, "none recorded yet (a flow records its failed runs unless its runs: says otherwise)", "muted").colSpan = 5;
      body.append(tr);
    }
    document.body.dataset.history = String(runs.length);
  }

  function node(id) { return document.querySelector('#graph g.node[data-id="' + CSS.escape(id) + '"]'); }
  function mark(id, state) {
    const g = node(id);
    if (g) { g.classList.remove("st-running", "st-done", "st-error", "st-skipped", "st-retry"); g.classList.add("st-" + state); g.dataset.state = state; }
  }
  function row(id) {
    let r = rows.get(id);
    if (!r) {
      const tr = document.createElement("tr"); tr.dataset.node = id;
      r = { tr, name: cell(tr, id), state: cell(tr, ""), ms: cell(tr, ""), attempts: cell(tr, ""), error: cell(tr, "", "error"), items: cell(tr, "", "items") };
      $("timings").tBodies[0].append(tr); rows.set(id, r);
    }
    return r;
  }
  function set(r, key, value) { r[key].textContent = value == null ? "" : String(value); }
  // A map node's items: its list (or, with stream: true, its chunks as they come), shortened for the table.
  const kinds = new Map(); const chunks = new Map();
  function showItems(id, list) {
    const shown = JSON.stringify(list); const r = row(id);
    set(r, "items", list.length + (list.length === 1 ? " item: " : " items: ") + (shown.length > 160 ? shown.slice(0, 159) + "…" : shown));
    r.items.title = shown.slice(0, 4000);
  }

  function reset() {
    if (source) { source.abort(); source = null; }
    rows.clear(); kinds.clear(); chunks.clear(); $("timings").tBodies[0].textContent = "";
    for (const g of document.querySelectorAll("#graph g.node")) { g.classList.remove("st-running", "st-done", "st-error", "st-skipped", "st-retry"); delete g.dataset.state; }
  }
  // What a durable run waits for: "event decision until …", "sleep until …".
  function waitsText(waits) {
    return (waits || []).map((w) => (w.kind === "event" ? "event " + w.event : "sleep") + " until " + new Date(w.until).toLocaleString()).join(", ");
  }
  // A recorded run from the run store: each node's state, time, attempts and error; else follow its events. A durable
  // run going on (its record is written by its Workflow instance) is read again every 2 s while it is shown.
  let polling = null;
  async function showRun(runId) {
    if (polling) { clearTimeout(polling); polling = null; }
    let record;
    try { record = await api("/api/runs/" + encodeURIComponent(runId)); }
    catch (error) { if (!(error instanceof Unauthorized)) follow(runId); return; }
    reset();
    const state = { ok: "done", failed: "error", skipped: "skipped" };
    for (const [id, n] of Object.entries(record.nodes)) {
      mark(id, state[n.status] || n.status);
      const r = row(id);
      set(r, "state", n.status); set(r, "ms", n.durationMs); set(r, "attempts", n.attempts);
      if (n.error) set(r, "error", n.error.truncated ? "(cut)" : n.error.code + ": " + n.error.message);
    }
    $("current").textContent = runId;
    const going = record.status === "running" || record.status === "waiting";
    $("status").textContent = record.status === "waiting" ? "waiting for " + waitsText(record.waitingFor)
      : going ? "running (durable, started " + new Date(record.startedAt).toLocaleString() + ")"
      : record.status + " in " + record.durationMs + " ms" + (record.error ? " — " + record.error.code + ": " + record.error.message : "");
    $("status").className = record.status;
    if (going && record.durable) polling = setTimeout(() => { if (document.body.dataset.runId === runId) showRun(runId).catch(() => {}); }, 2000);
    else if (record.durable) loadHistory().catch(() => {});
    // A map node's items are in the run's stored events (kept for record: all, SSE and continuing runs).
    if (record.events && record.events.stored > 0) {
      const controller = new AbortController(); source = controller;
      try { await readEvents(runId, itemHandlers, controller.signal); } catch (error) { if (error instanceof Unauthorized) return; }
      if (source === controller) source = null;
    }
    document.body.dataset.runStatus = record.status; document.body.dataset.runId = runId;
  }
  // What shows a map node's items: its kind from node.start, then its list (node.output) or chunks (node.chunk).
  const itemHandlers = {
    "node.start": (e) => { kinds.set(e.nodeId, e.kind); },
    "node.output": (e) => { const out = e.outputs && e.outputs.out; if (kinds.get(e.nodeId) === "map" && Array.isArray(out)) showItems(e.nodeId, out); },
    "node.chunk": (e) => { if (kinds.get(e.nodeId) !== "map") return; const list = chunks.get(e.nodeId) || []; list.push(e.chunk); chunks.set(e.nodeId, list); showItems(e.nodeId, list); },
  };
  // A run's events (SSE) read with fetch, so that the token goes as a header; each frame to its handler.
  async function readEvents(runId, handlers, signal) {
    const response = await fetch(BASE + "/api/runs/" + encodeURIComponent(runId) + "/events", { headers: auth(), signal });
    if (response.status === 401) { login("the token was refused"); throw new Unauthorized(); }
    if (!response.ok || !response.body) throw new Error(String(response.status));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let cut = buffer.indexOf("\\n\\n"); cut >= 0; cut = buffer.indexOf("\\n\\n")) {
        const frame = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        let type = "message", data = "";
        for (const line of frame.split("\\n")) {
          if (line.startsWith("event: ")) type = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        if (data && handlers[type]) handlers[type](JSON.parse(data));
      }
    }
  }
  // Follows a run live: its events light the graph and fill the table as they come.
  async function follow(runId) {
    reset();
    const controller = new AbortController(); source = controller;
    $("current").textContent = runId; $("status").textContent = "running"; $("status").className = "";
    document.body.dataset.runStatus = "running"; document.body.dataset.runId = runId;
    const handlers = {
      "node.start": (e) => { itemHandlers["node.start"](e); mark(e.nodeId, "running"); set(row(e.nodeId), "state", "running"); },
      "node.output": itemHandlers["node.output"],
      "node.chunk": itemHandlers["node.chunk"],
      "node.retry": (e) => { mark(e.nodeId, "retry"); const r = row(e.nodeId); set(r, "state", "retrying"); set(r, "attempts", e.attempt); },
      "node.end": (e) => { mark(e.nodeId, "done"); const r = row(e.nodeId); set(r, "state", "done"); set(r, "ms", e.durationMs); set(r, "attempts", e.attempts); },
      "node.skipped": (e) => { mark(e.nodeId, "skipped"); set(row(e.nodeId), "state", "skipped (" + e.reason + ")"); },
      "node.error": (e) => { mark(e.nodeId, "error"); const r = row(e.nodeId); set(r, "state", "error"); set(r, "ms", e.durationMs); set(r, "attempts", e.attempts); set(r, "error", e.error.code + ": " + e.error.message); },
      "run.end": (e) => {
        $("status").textContent = e.status + " in " + e.durationMs + " ms"; $("status").className = e.status;
        document.body.dataset.runStatus = e.status;
        // The store has it once the Worker recorded it (after the run): refresh the list a moment later.
        setTimeout(() => loadHistory().catch(() => {}), 300);
      },
    };
    try {
      await readEvents(runId, handlers, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    if (source === controller) source = null;
    if (document.body.dataset.runStatus === "running") { $("status").textContent = "not found or disconnected"; document.body.dataset.runStatus = "lost"; }
  }

  $("run").onclick = async () => {
    let trigger;
    try { trigger = JSON.parse($("trigger").value || "{}"); }
    catch (error) { $("status").textContent = "the trigger is not valid JSON: " + error.message; return; }
    try {
      const { runId, durable } = await api("/api/flows/" + encodeURIComponent(flowId) + "/runs", {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ trigger }),
      });
      $("runId").value = runId;
      if (!durable) { follow(runId); return; }
      // Its instance writes its record when it starts: look for it every 500 ms, for up to 10 s.
      document.body.dataset.runId = runId; $("current").textContent = runId; $("status").textContent = "starting (durable)";
      const look = async (tries) => {
        if (document.body.dataset.runId !== runId) return;
        try { await api("/api/runs/" + encodeURIComponent(runId)); }
        catch (error) {
          if (error instanceof Unauthorized) return;
          if (tries > 0) { setTimeout(() => look(tries - 1), 500); return; }
        }
        await showRun(runId); await loadHistory();
      };
      look(20).catch(() => {});
    } catch (error) { if (!(error instanceof Unauthorized)) $("status").textContent = String(error.message); }
  };
  $("follow").onclick = () => { const id = $("runId").value.trim(); if (id) follow(id); };

  function start() {
    if (!sessionStorage.getItem(KEY)) { login(""); return; }
    loadFlows().catch((error) => { if (!(error instanceof Unauthorized)) $("flows").textContent = "could not load the flows: " + error.message; });
  }
  start();
})();
</script>
</body>
</html>
`;
}
