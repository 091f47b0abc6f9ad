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
import { RunView } from "./run-view.js";

const $ = (id) => document.getElementById(id);
const catalogue = JSON.parse($("catalogue-data").textContent);
const examples = JSON.parse($("examples-data").textContent);
const kinds = Object.fromEntries(catalogue.kinds.map((k) => [k.kind, k]));
const charts = new Charts(catalogue.causes.map((c) => c.code));
const fillEditor = liveEdit(kinds, () => view.socket);
const editor = new Editor({
  paperEl: $("canvas"), paletteEl: $("palette"), catalogue,
  onChange: (doc) => writeJSON(doc),
  onMessage: (text) => { $("canvas-message").textContent = text; },
  onSelect: (cell) => {
    renderInspector($("inspector"), cell, editor);
    if (cell && cell.isElement()) showNodePanel($("inspector"), cell.id, view.seen);
    // A fault from the node or edge itself, while the run goes on.
    if (cell && view.running() && (cell.isLink() || !kinds[cell.get("kind")].is_source)) {
      faultMenu($("inspector"), cell, catalogue, (command) => view.control(command));
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
const panels = new Panels(document, {
  onOpen(name, body) {
    if (name === "charts") window.dispatchEvent(new Event("resize"));
    if (name === "json") body.scrollIntoView({ block: "nearest" });
  },
});
// Saving: as a new design, as a revision of the design being edited, or as a fork of another's.
const context = JSON.parse($("lab-context").textContent);
const bar = new DesignBar({ context, topology: currentTopology, showProblems });
const view = new RunView({ editor, kinds, charts });
// On a lesson page the lesson keeps the work in progress (per step), not the lab's draft.
let lesson = null;

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
function keep(edited) {
  if (context.live) return; // a live session's design is the session's, not a draft
  if (!context.lesson) bar.keep($("topology").value, edited);
  else if (lesson && edited) lesson.keep($("topology").value);
}

function writeJSON(doc, edited = true) {
  $("topology").value = JSON.stringify(doc, null, 2);
  keep(edited);
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
  await view.watch(response.body.id, topology);
}

$("example")?.addEventListener("change", (e) => loadExample(e.target.value));
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
$("validate").addEventListener("click", async () => {
  const topology = currentTopology();
  if (!topology) return;
  const response = await postJSON("/api/topologies/check", topology);
  showProblems(response.body.problems || []);
  if (!(response.body.problems || []).length) $("problems").replaceChildren(el("li", "No problems found.", "ok"));
});
$("topology").addEventListener("input", () => keep(true));
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

// A lesson page opens on the learner's step (lesson-panel.js). Otherwise a design opens as
// saved (or with its unsaved changes); work in progress survives a reload, and a first visit
// starts from the first example.
if (context.live) {
  const { LivePanel } = await import("./live-panel.js");
  new LivePanel(context.live, { view, setTopology, currentTopology, showProblems });
} else if (context.lesson) {
  const { LessonPanel } = await import("./lesson-panel.js");
  lesson = new LessonPanel(context.lesson, { editor, view, panels, setTopology, currentTopology, showProblems });
} else {
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
}
