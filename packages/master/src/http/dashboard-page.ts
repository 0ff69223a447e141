/**
 * The dashboard: one self-contained page (no build step, no framework, nothing fetched but `/events`) that draws the
 * pipeline as a graph: node types as boxes with their rate, backlog, failures and running/desired counts; queues as
 * edges between them (fan-out, routes, and each type's fail queue); inputs and outputs as small end boxes. Below it,
 * the workers with their nodes and last heartbeat. It redraws on every `snapshot` event (about once a second).
 *
 * Elements carry data attributes (`data-stage`, `data-field`, `data-queue`) so tests and scripts can read the page.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Monomyth cluster</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7fa; min-width: max-content; }
  header { display: flex; gap: 24px; align-items: baseline; padding: 12px 20px; background: #1d2330; color: #fff; }
  header h1 { font-size: 18px; margin: 0; }
  header span { opacity: .8; }
  #status.down { color: #ff8080; }
  main { padding: 16px 20px; }
  svg { background: #fff; border: 1px solid #d8dce5; border-radius: 6px; }
  .stage rect { fill: #eef3ff; stroke: #4866c4; stroke-width: 1.5; rx: 6; }
  .stage.idle rect { fill: #f2f2f2; stroke: #999; }
  .stage.short rect { stroke: #d08a00; stroke-width: 2.5; }
  .stage text { font-size: 12px; }
  .stage .name { font-weight: 600; font-size: 13px; }
  .muted { fill: #667; }
  .end rect { fill: #fafafa; stroke: #aaa; stroke-dasharray: 4 3; rx: 10; }
  .end text { font-size: 11px; fill: #555; }
  .edge path { fill: none; stroke: #6b7891; stroke-width: 1.6; marker-end: url(#arrow); }
  .edge.fail path { stroke: #c0392b; stroke-dasharray: 5 4; }
  .edge.route path { stroke: #7d4bc0; }
  .edge text { font-size: 11px; fill: #333; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
  .edge.fail text { fill: #c0392b; }
  .bad { fill: #c0392b; font-weight: 600; }
  table { border-collapse: collapse; margin-top: 16px; background: #fff; min-width: 600px; }
  th, td { border: 1px solid #d8dce5; padding: 4px 10px; text-align: left; font-size: 13px; }
  th { background: #eef0f5; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<header><h1>Monomyth</h1><span id="master"></span><span id="status">connecting...</span></header>
<main>
<svg id="graph" width="900" height="300" role="img" aria-label="pipeline graph">
  <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
  <path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7891"/></marker></defs>
  <g id="edges"></g><g id="nodes"></g>
</svg>
<h2>Workers</h2>
<table id="workers"><thead><tr><th>worker</th><th>host</th><th>state</th><th>nodes</th><th>capacity</th>
<th>last heartbeat</th><th>lag</th></tr></thead><tbody></tbody></table>
</main>
<script>
"use strict";
const W = 210, H = 104, ROW = 136, PAD = 30, END_W = 150, END_H = 30;
let COL = 300;
const NS = "http://www.w3.org/2000/svg";
const fmt = (n) => n === null || n === undefined ? "-" : n >= 100 ? Math.round(n).toLocaleString() : (Math.round(n * 10) / 10).toString();
function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
/** Columns by longest path from the inputs; a cycle stops growing after as many steps as there are stages. */
function layers(snapshot) {
  const layer = new Map(snapshot.stages.map((s) => [s.type, 0]));
  for (let round = 0; round < snapshot.stages.length; round++) {
    let moved = false;
    for (const q of snapshot.queues) {
      if (q.from === null || q.kind === "fail") continue;
      for (const to of q.to) {
        const next = (layer.get(q.from) || 0) + 1;
        if (layer.has(to) && layer.get(to) < next && to !== q.from) { layer.set(to, next); moved = true; }
      }
    }
    if (!moved) break;
  }
  return layer;
}
function draw(snapshot) {
  // Columns wide enough for the longest queue label between them (about 6.5 px a character at 11 px).
  const longest = Math.max(0, ...snapshot.queues.filter((q) => q.kind !== "fail").map((q) => q.queue.length + (q.route ? q.route.length + 2 : 0) + 8));
  COL = W + Math.max(90, Math.ceil(longest * 6.5) + 24);
  const layer = layers(snapshot);
  const hasInputs = snapshot.queues.some((q) => q.from === null);
  const offset = hasInputs ? 1 : 0;
  const rows = new Map(), pos = new Map();
  for (const s of snapshot.stages) {
    const col = layer.get(s.type) + offset, row = rows.get(col) || 0;
    rows.set(col, row + 1);
    pos.set(s.type, { x: PAD + col * COL, y: PAD + row * ROW, w: W, h: H });
  }
  let maxCol = Math.max(0, ...[...pos.values()].map((p) => (p.x - PAD) / COL));
  const ends = [];
  for (const q of snapshot.queues) {
    if (q.kind === "fail") continue;
    if (q.from === null) {
      const first = pos.get(q.to[0]);
      ends.push({ key: "in:" + q.queue, x: PAD, y: first ? first.y + (H - END_H) / 2 : PAD, w: END_W, h: END_H, label: "input" });
    } else if (q.to.length === 0) {
      const from = pos.get(q.from), col = (from.x - PAD) / COL + 1;
      maxCol = Math.max(maxCol, col);
      const row = rows.get(col) || 0; rows.set(col, row + 1);
      ends.push({ key: "out:" + q.queue, x: PAD + col * COL, y: PAD + row * ROW + (H - END_H) / 2, w: END_W, h: END_H, label: "output" });
    }
  }
  const endPos = new Map(ends.map((e) => [e.key, e]));
  const height = PAD * 2 + Math.max(1, ...rows.values()) * ROW + 40;
  const svg = document.getElementById("graph");
  svg.setAttribute("width", String(PAD * 2 + (maxCol + 1) * COL));
  svg.setAttribute("height", String(height));
  const edges = document.getElementById("edges"), nodes = document.getElementById("nodes");
  edges.replaceChildren(); nodes.replaceChildren();
  const curve = (a, b, label, q, cls) => {
    const x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2, mx = (x1 + x2) / 2;
    const g = el("g", { class: "edge " + cls, "data-queue": q.queue });
    g.append(el("path", { d: "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2 }));
    g.append(el("text", { x: mx, y: (y1 + y2) / 2 - 6, "text-anchor": "middle" }, label));
    edges.append(g);
  };
  for (const q of snapshot.queues) {
    const depth = q.ready === null ? "" : " [" + fmt(q.ready) + (q.unacked ? "+" + fmt(q.unacked) : "") + "]";
    const name = (q.route ? q.route + ": " : "") + q.queue + depth;
    if (q.kind === "fail") {
      const a = pos.get(q.from);
      const g = el("g", { class: "edge fail", "data-queue": q.queue });
      g.append(el("path", { d: "M" + (a.x + a.w / 2) + "," + (a.y + a.h) + " l0,22" }));
      g.append(el("text", { x: a.x + a.w / 2 + 6, y: a.y + a.h + 20 }, q.queue));
      edges.append(g);
      continue;
    }
    const from = q.from === null ? endPos.get("in:" + q.queue) : pos.get(q.from);
    const targets = q.to.length === 0 ? [endPos.get("out:" + q.queue)] : q.to.map((t) => pos.get(t));
    for (const to of targets) if (from && to) curve(from, to, name, q, q.kind);
  }
  for (const e of ends) {
    const g = el("g", { class: "end", "data-end": e.key });
    g.append(el("rect", { x: e.x, y: e.y, width: e.w, height: e.h }));
    g.append(el("text", { x: e.x + e.w / 2, y: e.y + 19, "text-anchor": "middle" }, e.label));
    nodes.append(g);
  }
  for (const s of snapshot.stages) {
    const p = pos.get(s.type);
    const short = s.running + s.starting < s.desired;
    const g = el("g", { class: "stage" + (s.running === 0 ? " idle" : "") + (short ? " short" : ""), "data-stage": s.type });
    g.append(el("rect", { x: p.x, y: p.y, width: W, height: H }));
    const line = (i, label, value, field, bad) => {
      const t = el("text", { x: p.x + 10, y: p.y + 38 + i * 16 });
      t.append(el("tspan", {}, label + " "));
      t.append(el("tspan", { "data-field": field, class: bad ? "bad" : "" }, value));
      g.append(t);
    };
    g.append(el("text", { x: p.x + 10, y: p.y + 20, class: "name" }, s.type));
    line(0, "rate", fmt(s.rate) + " msg/s", "rate");
    line(1, "backlog", s.backlog ? fmt(s.backlog.ready + s.backlog.unacked) : "-", "backlog");
    line(2, "failures", fmt(s.totals.failed) + (s.failRate > 0 ? " (" + fmt(s.failRate) + "/s)" : ""), "failures", s.totals.failed > 0);
    line(3, "running", s.running + "/" + s.desired + (s.starting ? " (+" + s.starting + " starting)" : ""), "running", short);
    const done = el("text", { x: p.x + W - 10, y: p.y + 20, "text-anchor": "end" });
    done.append(el("tspan", { class: "muted" }, "done "));
    done.append(el("tspan", { "data-field": "processed" }, fmt(s.totals.processed)));
    g.append(done);
    nodes.append(g);
  }
  const body = document.querySelector("#workers tbody");
  body.replaceChildren();
  for (const w of snapshot.workers) {
    const tr = document.createElement("tr");
    tr.dataset.worker = w.workerId;
    const kinds = new Map();
    for (const n of w.nodes) kinds.set(n.type, (kinds.get(n.type) || 0) + 1);
    const cells = [w.workerId, w.host, w.state, [...kinds].map(([t, c]) => t + " x" + c).join(", ") || "-", w.capacity,
      (w.lastSeenMsAgo / 1000).toFixed(1) + " s ago", (w.eventLoopLagMs || 0) + " ms"];
    cells.forEach((c, i) => { const td = document.createElement("td"); td.textContent = String(c); if (i >= 4) td.className = "num"; tr.append(td); });
    body.append(tr);
  }
  document.getElementById("master").textContent = snapshot.endpoint + " (epoch " + snapshot.epoch + ")";
  const st = document.getElementById("status");
  st.textContent = "live, " + new Date(snapshot.at).toLocaleTimeString(); st.className = "";
  window.lastSnapshot = snapshot;
}
const token = new URLSearchParams(location.search).get("access_token");
const events = new EventSource("events" + (token ? "?access_token=" + encodeURIComponent(token) : ""));
events.addEventListener("snapshot", (e) => draw(JSON.parse(e.data)));
events.onerror = () => { const st = document.getElementById("status"); st.textContent = "disconnected: retrying"; st.className = "down"; };
</script>
</body>
</html>
`;
