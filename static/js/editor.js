// The canvas: JointJS (vendored, global `joint`) draws the topology. Drag a kind from the
// palette to add it, drag from a node's right-hand port to another node to connect them,
// click a node or an edge to edit it, Delete removes it, the wheel zooms and dragging the
// background pans. Every change is written back to the topology document (`onChange`).
// This file is the editor's wiring; what it delegates lives beside it: the document <-> graph
// mapping (canvas-document.js), undo and redo (editor-history.js), the selection
// (editor-selection.js), the keys (editor-shortcuts.js), the palette, copy and paste, pan and
// zoom (canvas-viewport.js), and what a run paints (canvas-views.js).
/* global joint */
import * as views from "./canvas-views.js";
import { catalogue, kindsByName } from "./catalogue.js";
import { NODE, addNode, drawDocument, nodeText, readDocument } from "./canvas-document.js";
import { enablePanAndZoom } from "./canvas-viewport.js";
import { copySelection, pasteClipboard } from "./clipboard.js";
import { History } from "./editor-history.js";
import { moveSelectionTogether, selectOnly, toggleSelected } from "./editor-selection.js";
import { bindShortcuts } from "./editor-shortcuts.js";
import { buildPalette } from "./palette.js";

export class Editor {
  // readOnly: a picture to look at (the embeddable view): no palette, dragging or keys.
  // The kinds come from the page's catalogue (catalogue.js).
  constructor({ paperEl, paletteEl, onChange, onSelect, onMessage, readOnly = false }) {
    this.catalogue = catalogue();
    this.kinds = kindsByName();
    this.onMessage = onMessage || (() => {});
    this.refusal = "";
    this.onChange = onChange;
    this.onSelect = onSelect;
    this.doc = null;
    this.history = new History();
    this.selection = [];
    this.clipboard = null;
    this.viewFitted = false; // the view follows the design until the user zooms or pans (canvas-viewport.js)
    this.graph = new joint.dia.Graph({}, { cellNamespace: joint.shapes });
    this.paper = new joint.dia.Paper({
      el: paperEl, model: this.graph, width: "100%", height: 420, gridSize: 10, drawGrid: true,
      cellViewNamespace: joint.shapes, linkPinning: false, snapLinks: { radius: 30 },
      defaultLink: () => new joint.shapes.standard.Link({ attrs: { line: { stroke: "#5b6577", strokeWidth: 2 } } }),
      validateMagnet: (view, magnet) => magnet.getAttribute("port-group") === "out",
      validateConnection: (sourceView, sourceMagnet, targetView) => this.canConnect(sourceView, targetView),
      markAvailable: true, interactive: !readOnly,
    });
    this.paper.on("element:pointerclick", (view, event) => {
      if (view.model.get("isGroup")) return;
      if (event.shiftKey) this.toggle(view.model);
      else this.select(view.model);
    });
    this.paper.on("link:pointerclick", (view) => this.select(view.model));
    this.paper.on("blank:pointerclick", () => this.select(null));
    // A connection dropped where it is not allowed vanishes; say why.
    this.paper.on("link:pointerup", (view) => {
      if (!view.model.target().id && this.refusal) this.onMessage(`Not connected: ${this.refusal}.`);
      else if (view.model.target().id) this.onMessage("");
      this.refusal = "";
    });
    this.graph.on("add remove change:position change:source change:target", () => this.changed());
    moveSelectionTogether(this);
    enablePanAndZoom(this, paperEl);
    if (readOnly) return;
    buildPalette(paletteEl, this, NODE);
    bindShortcuts(this);
  }

  canConnect(sourceView, targetView) {
    this.refusal = this.whyNot(sourceView, targetView);
    return !this.refusal;
  }

  // Why a connection would be refused, in the words validation uses, or "" if it is fine.
  whyNot(sourceView, targetView) {
    if (!targetView || !targetView.model.isElement() || targetView.model.get("isGroup")) return "";
    const target = targetView.model;
    if (sourceView === targetView) return `a node cannot call itself: a request would loop forever`;
    const kind = this.kinds[target.get("kind")];
    if (kind && kind.is_source) return `'${target.id}' is a traffic source: nothing can call it`;
    const exists = this.graph.getLinks().some((l) => l.source().id === sourceView.model.id && l.target().id === target.id);
    if (exists) return `'${sourceView.model.id}' already calls '${target.id}'`;
    return "";
  }

  freshId(kind) {
    const taken = new Set(this.graph.getElements().map((e) => String(e.id)));
    for (let i = 1; ; i += 1) if (!taken.has(`${kind}-${i}`)) return `${kind}-${i}`;
  }

  addNode(node) {
    return addNode(this, node);
  }

  drawGroups() {
    return views.drawGroups(this);
  }

  load(doc, { keepHistory = false } = {}) {
    this.doc = doc;
    if (!keepHistory) this.history.reset(JSON.stringify(doc));
    this.loading = true;
    drawDocument(this, doc);
    this.loading = false;
    this.drawGroups();
    if (!keepHistory) this.paper.transformToFitContent({ padding: 20, maxScale: 1 });
  }

  toTopology() {
    return readDocument(this);
  }

  changed() {
    if (this.loading) return;
    this.drawGroups();
    const doc = this.toTopology();
    this.history.record(JSON.stringify(doc));
    this.onChange(doc);
  }

  // Undo and redo step through the topology as it was after each change.
  undo() {
    const text = this.history.undo();
    if (text !== null) this.restore(text);
  }

  redo() {
    const text = this.history.redo();
    if (text !== null) this.restore(text);
  }

  restore(text) {
    const doc = JSON.parse(text);
    const view = { scale: this.paper.scale(), translate: this.paper.translate() };
    this.load(doc, { keepHistory: true });
    this.paper.scale(view.scale.sx, view.scale.sy);
    this.paper.translate(view.translate.tx, view.translate.ty);
    this.onChange(doc);
  }

  showProblems(problems) {
    return views.showProblems(this, problems);
  }

  autoLayout() {
    return views.autoLayout(this);
  }

  select(cell) {
    selectOnly(this, cell);
  }

  // Shift+click adds a node to the selection (or takes it out).
  toggle(cell) {
    toggleSelected(this, cell);
  }

  copy() {
    this.clipboard = copySelection(this);
  }

  paste() {
    pasteClipboard(this, this.clipboard);
  }

  setParam(cell, name, value) {
    cell.set("params", { ...cell.get("params"), [name]: value });
    this.changed();
  }

  setLabel(cell, label) {
    cell.set("label", label);
    const kind = this.kinds[cell.get("kind")];
    cell.attr("label/text", nodeText(label, kind.title));
    cell.attr("root/title", views.nodeTooltip(label, kind.title));
    this.changed();
  }

  showWindow(window) {
    return views.showWindow(this, window);
  }

  showEdgeRates(window) {
    return views.showEdgeRates(this, window);
  }

  exportSVG() {
    return views.exportSVG(this);
  }

  async exportPNG() {
    return views.exportPNG(this);
  }
}
