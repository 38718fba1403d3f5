/**
 * The run viewer's page: one self-contained HTML document (inline style and script, no external requests), served
 * at `/_flows/`. It lists the flows, draws the selected flow's graph (the SVG of `flows/graph`), starts a run or
 * follows one by id, and colours each node as its events arrive over SSE, with per-node timings and errors.
 * The state of the page is also written to `data-*` attributes, so a browser test can wait on it.
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
  .muted { color: #777; }
</style>
</head>
<body data-run-status="idle">
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
  <table id="timings"><thead><tr><th>node</th><th>state</th><th>ms</th><th>attempts</th><th>error</th></tr></thead><tbody></tbody></table>
</main>
<script>
(() => {
  const BASE = ${JSON.stringify(base)};
  const $ = (id) => document.getElementById(id);
  let flowId = null, source = null;
  const rows = new Map();

  const text = (value) => document.createTextNode(value == null ? "" : String(value));
  function cell(tr, value, cls) { const td = document.createElement("td"); if (cls) td.className = cls; td.append(text(value)); tr.append(td); return td; }

  async function api(path, init) {
    const response = await fetch(BASE + path, init);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ? body.error.code + ": " + body.error.message : response.status);
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
      r = { tr, name: cell(tr, id), state: cell(tr, ""), ms: cell(tr, ""), attempts: cell(tr, ""), error: cell(tr, "", "error") };
      $("timings").tBodies[0].append(tr); rows.set(id, r);
    }
    return r;
  }
  function set(r, key, value) { r[key].textContent = value == null ? "" : String(value); }

  function follow(runId) {
    if (source) source.close();
    rows.clear(); $("timings").tBodies[0].textContent = "";
    for (const g of document.querySelectorAll("#graph g.node")) { g.classList.remove("st-running", "st-done", "st-error", "st-skipped", "st-retry"); delete g.dataset.state; }
    $("current").textContent = runId; $("status").textContent = "running"; $("status").className = "";
    document.body.dataset.runStatus = "running"; document.body.dataset.runId = runId;
    source = new EventSource(BASE + "/api/runs/" + encodeURIComponent(runId) + "/events");
    const on = (type, handler) => source.addEventListener(type, (e) => handler(JSON.parse(e.data)));
    on("node.start", (e) => { mark(e.nodeId, "running"); set(row(e.nodeId), "state", "running"); });
    on("node.retry", (e) => { mark(e.nodeId, "retry"); const r = row(e.nodeId); set(r, "state", "retrying"); set(r, "attempts", e.attempt); });
    on("node.end", (e) => { mark(e.nodeId, "done"); const r = row(e.nodeId); set(r, "state", "done"); set(r, "ms", e.durationMs); set(r, "attempts", e.attempts); });
    on("node.skipped", (e) => { mark(e.nodeId, "skipped"); set(row(e.nodeId), "state", "skipped (" + e.reason + ")"); });
    on("node.error", (e) => { mark(e.nodeId, "error"); const r = row(e.nodeId); set(r, "state", "error"); set(r, "ms", e.durationMs); set(r, "attempts", e.attempts); set(r, "error", e.error.code + ": " + e.error.message); });
    on("run.end", (e) => {
      $("status").textContent = e.status + " in " + e.durationMs + " ms"; $("status").className = e.status;
      document.body.dataset.runStatus = e.status;
      source.close(); source = null;
    });
    source.onerror = () => {
      if (!source) return;
      source.close(); source = null;
      if (document.body.dataset.runStatus === "running") { $("status").textContent = "not found or disconnected"; document.body.dataset.runStatus = "lost"; }
    };
  }

  $("run").onclick = async () => {
    let trigger;
    try { trigger = JSON.parse($("trigger").value || "{}"); }
    catch (error) { $("status").textContent = "the trigger is not valid JSON: " + error.message; return; }
    try {
      const { runId } = await api("/api/flows/" + encodeURIComponent(flowId) + "/runs", {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ trigger }),
      });
      $("runId").value = runId;
      follow(runId);
    } catch (error) { $("status").textContent = String(error.message); }
  };
  $("follow").onclick = () => { const id = $("runId").value.trim(); if (id) follow(id); };

  loadFlows().catch((error) => { $("flows").textContent = "could not load the flows: " + error.message; });
})();
</script>
</body>
</html>
`;
}
