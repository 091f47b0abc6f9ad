// The canvas: JointJS (vendored, global `joint`) draws the topology. Drag a kind from the
// palette to add it, drag from a node's right-hand port to another node to connect them,
// click a node or an edge to edit it, Delete removes it, the wheel zooms and dragging the
// background pans. Every change is written back to the topology document (`onChange`).
/* global joint */
import * as views from "./canvas-views.js";
import { copySelection, pasteClipboard } from "./clipboard.js";
import { buildPalette } from "./palette.js";

const NODE = { width: 150, height: 56 };
export class Editor {
  // readOnly: a picture to look at (the embeddable view): no palette, dragging or keys.
  constructor({ paperEl, paletteEl, catalogue, onChange, onSelect, onMessage, readOnly = false }) {
    this.catalogue = catalogue;
    this.kinds = Object.fromEntries(catalogue.kinds.map((k) => [k.kind, k]));
    this.onMessage = onMessage || (() => {});
    this.refusal = "";
    this.onChange = onChange;
    this.onSelect = onSelect;
    this.doc = null;
    this.history = [];
    this.future = [];
    this.selection = [];
    this.clipboard = null;
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
    // Dragging one of several selected nodes moves them all.
    this.graph.on("change:position", (cell, position, opt) => {
      if (opt.together || this.loading || !this.selection.includes(cell) || this.selection.length < 2) return;
      const before = cell.previous("position");
      const dx = position.x - before.x;
      const dy = position.y - before.y;
      for (const other of this.selection) {
        if (other !== cell && other.isElement()) other.translate(dx, dy, { together: true });
      }
    });
    views.enablePanAndZoom(this, paperEl);
    if (readOnly) return;
    buildPalette(paletteEl, this, NODE);
    document.addEventListener("keydown", (event) => {
      const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
      if (typing) return;
      const mod = event.ctrlKey || event.metaKey;
      if (this.selection.length && (event.key === "Delete" || event.key === "Backspace")) {
        for (const cell of this.selection) cell.remove();
        this.select(null);
      } else if (mod && event.key.toLowerCase() === "c") {
        this.copy();
      } else if (mod && event.key.toLowerCase() === "v") {
        this.paste();
      } else if (mod && event.key.toLowerCase() === "z") {
        event.preventDefault();
        if (event.shiftKey) this.redo(); else this.undo();
      } else if (mod && event.key.toLowerCase() === "y") {
        event.preventDefault();
        this.redo();
      }
    });
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
    const kind = this.kinds[node.kind];
    const element = new joint.shapes.standard.Rectangle({
      id: node.id,
      position: node.position || { x: 0, y: 0 },
      size: NODE,
      attrs: {
        body: { rx: 6, ry: 6, fill: "#ffffff", stroke: "#2457d6", strokeWidth: 2 },
        label: { text: `${views.shorten(node.label || node.id, 18)}\n${kind ? kind.title : node.kind}`, fontSize: 12, fill: "#1d2430" },
        // The whole label on hover (SVG <title>, set as text): long labels are cut on the box.
        root: { title: views.nodeTooltip(node.label || node.id, kind ? kind.title : node.kind) },
      },
      ports: {
        groups: { out: { position: "right", attrs: { circle: { r: 7, magnet: true, fill: "#2457d6", stroke: "#fff", "port-group": "out" } } } },
        items: kind && kind.max_callees !== 0 ? [{ group: "out", id: "out" }] : [],
      },
    });
    element.set({ kind: node.kind, label: node.label || node.id, params: node.params || {}, region: node.region ?? null, zone: node.zone ?? null });
    element.addTo(this.graph);
    return element;
  }

  drawGroups() {
    return views.drawGroups(this);
  }

  load(doc, { keepHistory = false } = {}) {
    this.doc = doc;
    if (!keepHistory) {
      this.history = [JSON.stringify(doc)];
      this.future = [];
    }
    this.loading = true;
    this.graph.clear();
    for (const node of doc.nodes || []) this.addNode(node);
    for (const edge of doc.edges || []) {
      if (!this.graph.getCell(edge.from) || !this.graph.getCell(edge.to)) continue;
      const link = new joint.shapes.standard.Link({ source: { id: edge.from, port: "out" }, target: { id: edge.to } });
      link.set({ edgeId: edge.id, latency_ms: edge.latency_ms ?? null, classes: edge.classes ?? null, policy: edge.policy ?? null });
      link.addTo(this.graph);
    }
    this.loading = false;
    this.drawGroups();
    if (!keepHistory) this.paper.transformToFitContent({ padding: 20, maxScale: 1 });
  }

  toTopology() {
    const doc = { ...(this.doc || { version: 1 }) };
    doc.nodes = this.graph.getElements().filter((e) => !e.get("isGroup")).map((e) => {
      const node = { id: e.id, kind: e.get("kind"), label: e.get("label"), position: e.position(), params: e.get("params") };
      if (e.get("region")) node.region = e.get("region");
      if (e.get("zone")) node.zone = e.get("zone");
      return node;
    });
    const links = this.graph.getLinks().filter((l) => l.source().id && l.target().id);
    // Edges keep their ids (faults and metrics name them); a new edge gets the first free one.
    const used = new Set(links.map((l) => l.get("edgeId")).filter(Boolean));
    let next = 1;
    for (const l of links) {
      if (l.get("edgeId")) continue;
      while (used.has(`e${next}`)) next += 1;
      used.add(`e${next}`);
      l.set("edgeId", `e${next}`, { silent: true });
    }
    doc.edges = links.map((l) => {
      const edge = { id: l.get("edgeId"), from: l.source().id, to: l.target().id };
      // No latency: the engine derives it from where the two nodes are placed.
      if (l.get("latency_ms") !== null && l.get("latency_ms") !== undefined) edge.latency_ms = l.get("latency_ms");
      if (l.get("classes")) edge.classes = l.get("classes");
      if (l.get("policy")) edge.policy = l.get("policy");
      return edge;
    });
    return doc;
  }

  changed() {
    if (this.loading) return;
    this.drawGroups();
    const doc = this.toTopology();
    const text = JSON.stringify(doc);
    if (this.history[this.history.length - 1] !== text) {
      this.history.push(text);
      if (this.history.length > 200) this.history.shift();
      this.future = [];
    }
    this.onChange(doc);
  }

  // Undo and redo step through the topology as it was after each change.
  undo() {
    if (this.history.length < 2) return;
    this.future.push(this.history.pop());
    this.restore(this.history[this.history.length - 1]);
  }

  redo() {
    if (!this.future.length) return;
    const text = this.future.pop();
    this.history.push(text);
    this.restore(text);
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
    for (const selected of this.selection) this.paper.findViewByModel(selected)?.unhighlight();
    this.selection = cell ? [cell] : [];
    this.selected = cell;
    if (cell) this.paper.findViewByModel(cell).highlight();
    this.onSelect(cell);
  }

  // Shift+click adds a node to the selection (or takes it out).
  toggle(cell) {
    const view = this.paper.findViewByModel(cell);
    if (this.selection.includes(cell)) {
      this.selection = this.selection.filter((c) => c !== cell);
      view.unhighlight();
    } else {
      this.selection.push(cell);
      view.highlight();
    }
    this.selected = this.selection.length === 1 ? this.selection[0] : null;
    this.onSelect(this.selected);
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
    cell.attr("label/text", `${views.shorten(label, 18)}\n${kind.title}`);
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
