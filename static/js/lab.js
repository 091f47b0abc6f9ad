// The lab page: pick or edit a topology, run it, watch it live, change it while it runs.
// User strings always go into the page as text (textContent), never as HTML.
import { getJSON, postJSON } from "./api.js";
import { Charts, loadPlotly } from "./charts.js";
import * as drafts from "./drafts.js";
import { Editor } from "./editor.js";
import { faultMenu } from "./fault-menu.js";
import { renderInspector } from "./inspector.js";
import { DesignBar } from "./lab-designs.js";
import { liveEdit } from "./live-edit.js";
import { showNodePanel } from "./node-panel.js";
import { fitView } from "./canvas-views.js";
import { Panels } from "./panels.js";
import { RunSocket, isOver } from "./run-socket.js";

const $ = (id) => document.getElementById(id);
const catalogue = JSON.parse($("catalogue-data").textContent);
const examples = JSON.parse($("examples-data").textContent);
const kinds = Object.fromEntries(catalogue.kinds.map((k) => [k.kind, k]));
const charts = new Charts(catalogue.causes.map((c) => c.code));
const fillEditor = liveEdit(kinds, () => socket);
const editor = new Editor({
  paperEl: $("canvas"), paletteEl: $("palette"), catalogue,
  onChange: (doc) => writeJSON(doc),
  onMessage: (text) => { $("canvas-message").textContent = text; },
  onSelect: (cell) => {
    renderInspector($("inspector"), cell, editor);
    if (cell && cell.isElement()) showNodePanel($("inspector"), cell.id, seen);
    // A fault from the node or edge itself, while the run goes on.
    if (cell && running() && (cell.isLink() || !kinds[cell.get("kind")].is_source)) {
      faultMenu($("inspector"), cell, catalogue, (command) => socket.control(command));
    }
  },
});
renderInspector($("inspector"), null, editor);
// The canvas fills its part of the page (the stylesheet sizes it), and is fitted at a readable zoom.
editor.paper.setDimensions("100%", "100%");
// The workspace fills the screen under the bars above it, however many lines they take.
const workspace = document.querySelector(".workspace");
const fillScreen = () => document.documentElement.style.setProperty("--above", `${workspace.offsetTop}px`);
fillScreen();
const bars = new ResizeObserver(fillScreen);
for (const bar of document.querySelectorAll("header.site, #design-bar, main.lab > .toolbar")) bars.observe(bar);
// Charts drawn while their panel was closed take their width when it opens; the JSON view,
// below the canvas, scrolls into sight.
new Panels(document, {
  onOpen(name, body) {
    if (name === "charts") window.dispatchEvent(new Event("resize"));
    if (name === "json") body.scrollIntoView({ block: "nearest" });
  },
});
// Saving: as a new design, as a revision of the design being edited, or as a fork of another's.
const bar = new DesignBar({ context: JSON.parse($("lab-context").textContent), topology: currentTopology, showProblems });
let socket = null;
let runId = null;
let paused = false;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function currentTopology() {
  try {
    return JSON.parse($("topology").value);
  } catch (error) {
    showProblems([{ path: "$", message: `this is not valid JSON: ${error.message}`, severity: "error" }]);
    return null;
  }
}

function running() {
  return Boolean(socket) && !$("stop").disabled;
}

function showProblems(problems) {
  editor.showProblems(problems);
  const list = $("problems");
  list.replaceChildren(...problems.map((p) => el("li", `${p.path}: ${p.message}`, p.severity)));
}

async function loadExample(id) {
  const doc = await getJSON(`/api/examples/${encodeURIComponent(id)}`);
  setTopology(doc);
  const info = examples.find((e) => e.id === id);
  $("example-description").textContent = info ? info.description : "";
}

// `edited`: the document is the user's own work (an import), not an example or a saved design.
function setTopology(doc, edited = false) {
  if (doc.settings && doc.settings.duration_s) $("duration").value = doc.settings.duration_s;
  if (doc.settings && doc.settings.seed !== undefined) $("seed").value = doc.settings.seed;
  editor.load(doc);
  fitView(editor);
  writeJSON(doc, edited);
}

// The JSON view mirrors the canvas; it is also the work in progress kept across reloads.
function writeJSON(doc, edited = true) {
  $("topology").value = JSON.stringify(doc, null, 2);
  bar.keep($("topology").value, edited);
  fillEditor(doc);
}

async function startRun() {
  const topology = currentTopology();
  if (!topology) return;
  const body = { topology, seed: Number($("seed").value), duration_s: Number($("duration").value), speed: Number($("speed").value),
    ...bar.runFields($("topology").value) };
  const response = await postJSON("/api/runs", body);
  if (response.status === 429) { // over a quota: the design is fine, the server says "not now"
    const why = (response.body.problems || [])[0]?.message || "too many runs at once";
    const wait = response.retryAfter ? ` Try again in about ${response.retryAfter} s.` : "";
    $("status").textContent = `Not started: ${why}.${wait}`;
    // The status line is the running run's; the refusal stays listed until the next start.
    $("problems").replaceChildren(el("li", `Not started: ${why}.${wait}`, "warning"));
    return;
  }
  if (!response.ok) {
    showProblems(response.body.problems || []);
    $("status").textContent = "The run was refused: see the problems listed under the canvas.";
    return;
  }
  showProblems([]);
  // The new run replaces the one on screen, once it is accepted: a refused start (a quota, a
  // problem) leaves the current run going. (A visitor's new run waits in the queue until the
  // old one has stopped.)
  if (running()) socket.control({ op: "stop" });
  await loadPlotly();
  $("charts-hint").hidden = true;
  if (socket) socket.close();
  runId = response.body.id;
  paused = false;
  charts.reset((topology.nodes || []).filter((n) => kinds[n.kind] && !kinds[n.kind].is_source).map((n) => n.id));
  $("failures").replaceChildren();
  $("downloads").hidden = true;
  for (const id of ["pause", "stop", "edit-apply"]) $(id).disabled = false;
  $("pause").textContent = "Pause";
  socket = new RunSocket(runId, {
    snapshot(msg) {
      pending.length = 0;
      seen.splice(0, seen.length, ...msg.windows);
      charts.reset(charts.nodeIds);
      charts.append(msg.windows);
      if (msg.windows.length) showNodes(msg.windows[msg.windows.length - 1]);
      showStatus(msg);
    },
    window(msg) {
      pending.push(msg.window);
      if (pending.length === 1) requestAnimationFrame(drawPending);
    },
    status: showStatus,
    ack() {},
    error(msg) {
      $("status").textContent = msg.message;
    },
    connection: showConnection,
  });
}

// The socket reconnects by itself for a while; then the user decides. Text only, in the status line.
const reconnect = el("button", "Reconnect");
reconnect.type = "button";
reconnect.hidden = true;
$("status").after(reconnect);
reconnect.addEventListener("click", () => {
  reconnect.hidden = true;
  $("status").textContent = "Reconnecting...";
  if (socket) socket.retry();
});

function showConnection(state, delayMs) {
  reconnect.hidden = state !== "gave-up";
  if (state === "reconnecting") {
    $("status").textContent = `Lost the connection to the server; trying again in ${Math.ceil(delayMs / 1000)} s...`;
  } else if (state === "gave-up") {
    $("status").textContent = "Lost the connection to the server and could not get it back. The run goes on without you watching; press Reconnect to try again.";
  } else if (state === "gone") {
    $("status").textContent = "This run does not exist any more, or it is not yours to watch.";
    for (const id of ["pause", "stop", "edit-apply"]) $(id).disabled = true;
  }
}

// Windows that arrived since the last animation frame are drawn together: a run going as fast
// as possible sends hundreds a second, and one chart update per frame keeps the page responsive.
const pending = [];
const seen = []; // every window of the current run, for a node's own charts
function drawPending() {
  const batch = pending.splice(0);
  if (!batch.length) return;
  seen.push(...batch);
  charts.append(batch);
  const last = batch[batch.length - 1];
  showNodes(last);
  editor.showWindow(last);
  editor.showEdgeRates(last);
  $("status").textContent = `Running: ${last.t_end.toFixed(0)} s simulated.`;
}

function showStatus(msg) {
  if (msg.status === "queued") $("status").textContent = "Waiting for a simulation worker...";
  if (msg.status === "running" && paused) $("status").textContent = "Paused.";
  if (isOver(msg.status)) {
    drawPending();
    $("status").textContent = endText(msg);
    for (const id of ["pause", "stop", "edit-apply"]) $(id).disabled = true;
    if (msg.results) showResults(msg.results);
    else if (msg.results_omitted) showDownloads(); // too large for the socket: download them
  }
}

function endText(msg) {
  if (msg.status === "failed") return `The run failed: ${msg.error || "unknown error"}`;
  if (msg.status === "limited") return `The run reached its budget and ended early${msg.reason ? `: ${msg.reason}` : ""}. Its results so far are below.`;
  return `Run ${msg.status}.`;
}

function showNodes(window) {
  const rows = Object.entries(window.nodes).map(([id, m]) => {
    const row = el("tr");
    row.dataset.node = id;
    const util = m.utilization === undefined ? "" : m.utilization.toFixed(2);
    const cells = [id, m.kind, m.arrival_rate_per_s.toFixed(1), util, m.queue_length === undefined ? "" : m.queue_length.toFixed(1), String(m.errors), m.latency_ms.p99.toFixed(1)];
    row.append(...cells.map((text) => el("td", text)));
    if (util) {
      const cell = row.children[3];
      cell.className = "util";
      cell.style.background = `hsl(${120 - 120 * Math.min(1, m.utilization)}, 70%, 85%)`;
    }
    return row;
  });
  $("nodes").tBodies[0].replaceChildren(...rows);
}

function showResults(results) {
  const overall = results.measured.overall;
  const box = $("failures");
  const causes = Object.entries(overall.failures);
  box.replaceChildren(el("p", causes.length ? causes.map(([c, n]) => `${c}: ${n}`).join(", ") : "No request failed."));
  for (const [cause, traces] of Object.entries(results.traces.failed)) {
    const sample = traces.slice(-3).map((t) => `${t.latency_ms} ms, failed at ${t.failed_at}: ` + t.hops.map((h) => `${h.node} (queue ${h.queue_ms} ms, service ${h.service_ms} ms)`).join(" -> "));
    box.append(el("h3", cause), el("pre", sample.join("\n")));
  }
  showDownloads();
}

function showDownloads() {
  $("download-json").href = `/api/runs/${runId}/results.json`;
  $("download-csv").href = `/api/runs/${runId}/results.csv`;
  $("downloads").hidden = false;
}

$("example").addEventListener("change", (e) => loadExample(e.target.value));
$("new").addEventListener("click", () => setTopology({ format: "archlab.topology", version: 1, name: "Untitled",
  settings: { duration_s: 300, warmup_s: 0, window_s: 1, seed: 1 }, nodes: [], edges: [] }));
$("undo").addEventListener("click", () => editor.undo());
$("redo").addEventListener("click", () => editor.redo());
$("layout").addEventListener("click", () => editor.autoLayout());
$("export-png").addEventListener("click", async () => {
  const link = el("a");
  link.href = URL.createObjectURL(await editor.exportPNG());
  link.download = "topology.png";
  link.click();
});
$("fit").addEventListener("click", () => fitView(editor));
$("export-svg").addEventListener("click", () => download(editor.exportSVG(), "image/svg+xml", "topology.svg"));
$("apply-json").addEventListener("click", () => {
  const doc = currentTopology();
  if (!doc) return;
  editor.load(doc, { keepHistory: true }); // an edit like any other: Undo takes it back
  editor.changed();
});
$("run").addEventListener("click", startRun);
$("stop").addEventListener("click", () => socket && socket.control({ op: "stop" }));
$("pause").addEventListener("click", () => {
  if (!socket) return;
  paused = !paused;
  socket.control({ op: paused ? "pause" : "resume" });
  $("pause").textContent = paused ? "Resume" : "Pause";
});
$("speed").addEventListener("change", () => socket && socket.control({ op: "speed", value: Number($("speed").value) }));
$("validate").addEventListener("click", async () => {
  const topology = currentTopology();
  if (!topology) return;
  const response = await postJSON("/api/topologies/check", topology);
  showProblems(response.body.problems || []);
  if (!(response.body.problems || []).length) $("problems").replaceChildren(el("li", "No problems found.", "ok"));
});
$("topology").addEventListener("input", () => bar.keep($("topology").value, true));
$("export").addEventListener("click", () => download($("topology").value, "application/json", "topology.json"));

function download(text, type, name) {
  const link = el("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
}
$("import").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try {
    setTopology(JSON.parse(await file.text()), true);
  } catch (error) {
    showProblems([{ path: "$", message: `${file.name} is not valid JSON: ${error.message}`, severity: "error" }]);
  }
});

// Fetch the chart library once the page is usable.
window.addEventListener("load", () => setTimeout(() => loadPlotly().catch(() => {}), 0));

// A design opens as saved (or with its unsaved changes); otherwise work in progress survives a
// reload, and a first visit starts from the first example.
const opened = bar.initial();
const draft = drafts.readDraft();
if (opened) {
  setTopology(opened);
} else if (draft) {
  $("topology").value = draft;
  try { setTopology(JSON.parse(draft), drafts.unsavedDraft() !== null); } catch { /* an unfinished edit: leave it as it is */ }
} else if (examples.length) {
  setTopology(JSON.parse($("first-example").textContent));
  $("example-description").textContent = examples[0].description;
}
