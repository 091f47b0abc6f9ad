// The lab page: pick or edit a topology, run it, watch it live, change it while it runs.
// This file wires the page together and keeps the design's one text form, the JSON view; the
// parts live beside it: the canvas (editor.js), the toolbar (lab-toolbar.js), Run and Validate
// (run-start.js), watching a run (run-view.js), saving (lab-designs.js), the layout
// (lab-layout.js), and a lesson's or live session's panel.
// User strings always go into the page as text (textContent), never as HTML.
import { getJSON } from "./api.js";
import { fitView, keepFitted } from "./canvas-viewport.js";
import { causeCodes, catalogue, kindsByName } from "./catalogue.js";
import { Charts, loadPlotly } from "./charts.js";
import { $, el, pageData } from "./dom.js";
import * as drafts from "./drafts.js";
import { Editor } from "./editor.js";
import { faultMenu } from "./fault-menu.js";
import { renderInspector } from "./inspector.js";
import { DesignBar } from "./lab-designs.js";
import { layOutLab } from "./lab-layout.js";
import { bindToolbar } from "./lab-toolbar.js";
import { liveEdit } from "./live-edit.js";
import { showNodePanel } from "./node-panel.js";
import { bindRunButtons } from "./run-start.js";
import { RunView } from "./run-view.js";

const examples = pageData("examples-data");
const kinds = kindsByName();
const charts = new Charts(causeCodes());
const fillEditor = liveEdit(kinds, () => view.socket);
const editor = new Editor({
  paperEl: $("canvas"), paletteEl: $("palette"),
  onChange: (doc) => writeJSON(doc),
  onMessage: (text) => { $("canvas-message").textContent = text; },
  onSelect: (cell) => {
    renderInspector($("inspector"), cell, editor);
    if (cell && cell.isElement()) showNodePanel($("inspector"), cell.id, view.seen, view);
    // A fault from the node or edge itself, while the run goes on.
    if (cell && view.running() && (cell.isLink() || !kinds[cell.get("kind")].is_source)) {
      faultMenu($("inspector"), cell, catalogue(), (command) => view.control(command));
    }
  },
});
renderInspector($("inspector"), null, editor);
// The canvas fills its part of the page (the stylesheet sizes it), and each design is fitted at
// a readable zoom, again whenever the canvas changes size, until the user zooms or pans.
editor.paper.setDimensions("100%", "100%");
keepFitted(editor);
const panels = layOutLab();
// Saving: as a new design, as a revision of the design being edited, or as a fork of another's.
const context = pageData("lab-context");
const bar = new DesignBar({ context, topology: currentTopology, showProblems });
const view = new RunView({ editor, kinds, charts });
// On a lesson page the lesson keeps the work in progress (per step), not the lab's draft.
let lesson = null;

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
  const doc = await getJSON(`/api/v1/examples/${encodeURIComponent(id)}`);
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

$("example")?.addEventListener("change", (e) => loadExample(e.target.value));
bindToolbar({ editor, setTopology, currentTopology, showProblems });
bindRunButtons({ view, bar, currentTopology, showProblems });
$("topology").addEventListener("input", () => keep(true));

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
    setTopology(pageData("first-example"));
    $("example-description").textContent = examples[0].description;
  }
}
