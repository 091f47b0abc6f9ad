// The lab's toolbar buttons that act on the design itself: New, Undo, Redo, Layout, Fit, the
// exports (PNG, SVG, JSON), Import, and Apply in the JSON view. Running and checking a design
// are run-start.js's. Kept apart from lab.js so the page's wiring reads in one screen and each
// button's action is found by its name.
import { $, download, downloadBlob } from "./dom.js";
import { fitView } from "./canvas-viewport.js";

const BLANK = { format: "archlab.topology", version: 1, name: "Untitled",
  settings: { duration_s: 300, warmup_s: 0, window_s: 1, seed: 1 }, nodes: [], edges: [] };

// lab: {editor, setTopology, currentTopology, showProblems}, from lab.js.
export function bindToolbar({ editor, setTopology, currentTopology, showProblems }) {
  $("new").addEventListener("click", () => setTopology(structuredClone(BLANK)));
  $("undo").addEventListener("click", () => editor.undo());
  $("redo").addEventListener("click", () => editor.redo());
  $("layout").addEventListener("click", () => editor.autoLayout());
  $("export-png").addEventListener("click", async () => downloadBlob(await editor.exportPNG(), "topology.png"));
  $("fit").addEventListener("click", () => fitView(editor));
  $("export-svg").addEventListener("click", () => download(editor.exportSVG(), "image/svg+xml", "topology.svg"));
  $("apply-json").addEventListener("click", () => {
    const doc = currentTopology();
    if (!doc) return;
    editor.load(doc, { keepHistory: true }); // an edit like any other: Undo takes it back
    editor.changed();
  });
  $("export").addEventListener("click", () => download($("topology").value, "application/json", "topology.json"));
  $("import").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      setTopology(JSON.parse(await file.text()), true);
    } catch (error) {
      showProblems([{ path: "$", message: `${file.name} is not valid JSON: ${error.message}`, severity: "error" }]);
    }
  });
}
