// The canvas: JointJS (vendored, global `joint`) draws the topology. Drag a kind from the
// palette to add it, drag from a node's right-hand port to another node to connect them,
// click a node or an edge to edit it, Delete removes it, the wheel zooms and dragging the
// background pans. Every change is written back to the topology document (`onChange`).
/* global joint */

const NODE = { width: 150, height: 56 };

export class Editor {
  constructor({ paperEl, paletteEl, catalogue, onChange, onSelect }) {
    this.kinds = Object.fromEntries(catalogue.kinds.map((k) => [k.kind, k]));
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
      markAvailable: true,
    });
    this.paper.on("element:pointerclick", (view, event) => {
      if (view.model.get("isGroup")) return;
      if (event.shiftKey) this.toggle(view.model);
      else this.select(view.model);
    });
    this.paper.on("link:pointerclick", (view) => this.select(view.model));
    this.paper.on("blank:pointerclick", () => this.select(null));
    this.graph.on("add remove change:position change:source change:target", () => this.changed());
    this.enablePanAndZoom(paperEl);
    this.buildPalette(paletteEl);
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
    if (!targetView || sourceView === targetView || !targetView.model.isElement()) return false;
    const kind = this.kinds[targetView.model.get("kind")];
    return Boolean(kind) && !kind.is_source;
  }

  buildPalette(el) {
    const groups = {};
    for (const kind of Object.values(this.kinds)) (groups[kind.group] ||= []).push(kind);
    const search = Object.assign(document.createElement("input"), { type: "search", placeholder: "Search components" });
    search.addEventListener("input", () => {
      for (const item of el.querySelectorAll("[data-kind]")) {
        item.hidden = !item.textContent.toLowerCase().includes(search.value.toLowerCase());
      }
    });
    el.replaceChildren(search);
    for (const [group, kinds] of Object.entries(groups)) {
      el.append(Object.assign(document.createElement("h3"), { textContent: group }));
      for (const kind of kinds) {
        const item = Object.assign(document.createElement("div"), { textContent: kind.title, title: kind.summary, draggable: true });
        item.className = "palette-item";
        item.dataset.kind = kind.kind;
        item.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", kind.kind));
        el.append(item);
      }
    }
    const paperEl = this.paper.el;
    paperEl.addEventListener("dragover", (e) => e.preventDefault());
    paperEl.addEventListener("drop", (e) => {
      e.preventDefault();
      const kind = e.dataTransfer.getData("text/plain");
      if (!this.kinds[kind]) return;
      const at = this.paper.clientToLocalPoint(e.clientX, e.clientY);
      this.select(this.addNode({ id: this.freshId(kind), kind, params: {}, position: { x: at.x - NODE.width / 2, y: at.y - NODE.height / 2 } }));
    });
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
        label: { text: `${node.label || node.id}\n${kind ? kind.title : node.kind}`, fontSize: 12, fill: "#1d2430" },
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

  // Regions and zones as labelled boxes behind their nodes, redrawn whenever nodes move.
  drawGroups() {
    this.loading = true;
    for (const group of this.graph.getElements().filter((e) => e.get("isGroup"))) group.remove();
    const byZone = {};
    for (const element of this.graph.getElements()) {
      const place = element.get("zone") || element.get("region");
      if (place) (byZone[place] ||= []).push(element);
    }
    for (const [place, members] of Object.entries(byZone)) {
      const box = this.graph.getCellsBBox(members).inflate(14);
      const group = new joint.shapes.standard.Rectangle({
        position: { x: box.x, y: box.y - 14 }, size: { width: box.width, height: box.height + 14 }, z: -1,
        attrs: { body: { fill: "#eef2fb", stroke: "#b7c3e0", strokeDasharray: "4 3", rx: 8, ry: 8, pointerEvents: "none" },
                 label: { text: place, refY: 10, textVerticalAnchor: "top", fontSize: 11, fill: "#5b6577" } },
      });
      group.set("isGroup", true);
      group.addTo(this.graph);
    }
    this.loading = false;
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
      link.set({ edgeId: edge.id, latency_ms: edge.latency_ms ?? 0, classes: edge.classes ?? null });
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
    doc.edges = this.graph.getLinks().filter((l) => l.source().id && l.target().id).map((l) => {
      const edge = { from: l.source().id, to: l.target().id, latency_ms: l.get("latency_ms") ?? 0 };
      if (l.get("classes")) edge.classes = l.get("classes");
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

  // Validation problems on the nodes they concern: a red outline and the sentences as a tooltip.
  showProblems(problems) {
    const byNode = {};
    for (const p of problems) {
      const match = /^\$\.nodes\[(\d+)\]/.exec(p.path);
      const node = match && (this.doc.nodes || [])[Number(match[1])];
      if (node) (byNode[node.id] ||= []).push(p.message);
    }
    const links = this.graph.getLinks();
    (this.doc.edges || []).forEach((edge, i) => {
      const messages = problems.filter((p) => p.path === `$.edges[${i}]` || p.path.startsWith(`$.edges[${i}].`)).map((p) => p.message);
      const link = links.find((l) => l.source().id === edge.from && l.target().id === edge.to);
      if (!link) return;
      link.attr("line/stroke", messages.length ? "#a1261a" : "#5b6577");
      link.attr("root/title", messages.join("\n"));
    });
    for (const element of this.graph.getElements().filter((e) => !e.get("isGroup"))) {
      const messages = byNode[element.id];
      element.attr("body/stroke", messages ? "#a1261a" : "#2457d6");
      element.attr("body/strokeWidth", messages ? 4 : 2);
      element.attr("root/title", messages ? messages.join("\n") : "");
    }
  }

  // Columns by depth in the call graph (sources first), rows in order: a readable default.
  autoLayout() {
    const depth = {};
    const elements = this.graph.getElements().filter((e) => !e.get("isGroup"));
    for (const e of elements) depth[e.id] = 0;
    for (let pass = 0; pass < elements.length; pass += 1) {
      for (const link of this.graph.getLinks()) {
        const from = link.source().id;
        const to = link.target().id;
        if (from in depth && to in depth && depth[to] < depth[from] + 1) depth[to] = depth[from] + 1;
      }
    }
    const rows = {};
    for (const e of elements) {
      const column = depth[e.id];
      rows[column] = (rows[column] || 0) + 1;
      e.position(40 + column * 220, 40 + (rows[column] - 1) * 90);
    }
    this.paper.transformToFitContent({ padding: 20, maxScale: 1 });
    this.changed();
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

  // Copy the selected nodes and the edges between them; paste them with new ids, offset.
  copy() {
    const ids = new Set(this.selection.filter((c) => c.isElement()).map((c) => c.id));
    if (!ids.size) return;
    const doc = this.toTopology();
    this.clipboard = {
      nodes: doc.nodes.filter((n) => ids.has(n.id)),
      edges: doc.edges.filter((e) => ids.has(e.from) && ids.has(e.to)),
    };
  }

  paste() {
    if (!this.clipboard) return;
    const renamed = {};
    const pasted = [];
    this.loading = true;
    for (const node of this.clipboard.nodes) {
      renamed[node.id] = this.freshId(node.kind);
      pasted.push(this.addNode({ ...structuredClone(node), id: renamed[node.id], label: `${node.label} copy`,
        position: { x: node.position.x + 30, y: node.position.y + 30 } }));
    }
    for (const edge of this.clipboard.edges) {
      const link = new joint.shapes.standard.Link({ source: { id: renamed[edge.from], port: "out" }, target: { id: renamed[edge.to] } });
      link.set({ latency_ms: edge.latency_ms ?? 0, classes: edge.classes ?? null });
      link.addTo(this.graph);
    }
    this.loading = false;
    this.changed();
    this.select(null);
    for (const cell of pasted) this.toggle(cell);
  }

  setParam(cell, name, value) {
    cell.set("params", { ...cell.get("params"), [name]: value });
    this.changed();
  }

  setLabel(cell, label) {
    cell.set("label", label);
    const kind = this.kinds[cell.get("kind")];
    cell.attr("label/text", `${label}\n${kind.title}`);
    this.changed();
  }

  // During a run each node shows its utilization as colour and its load as text.
  showWindow(window) {
    for (const element of this.graph.getElements()) {
      const m = !element.get("isGroup") && window.nodes[element.id];
      if (!m) continue;
      const util = m.utilization;
      element.attr("body/fill", util === undefined ? "#ffffff" : `hsl(${120 - 120 * Math.min(1, util)}, 70%, 85%)`);
      const stats = [`${m.arrival_rate_per_s.toFixed(0)}/s`];
      if (util !== undefined) stats.push(`${Math.round(util * 100)}%`, `q ${m.queue_length.toFixed(1)}`);
      if (m.errors) stats.push(`${m.errors} err`);
      element.attr("label/text", `${element.get("label")}\n${stats.join(" · ")}`);
    }
  }

  // Request rates on the edges, where the engine could determine them.
  showEdgeRates(window) {
    const rates = {};
    for (const edge of Object.values(window.edges || {})) rates[`${edge.from}>${edge.to}`] = edge.rate_per_s;
    for (const link of this.graph.getLinks()) {
      const rate = rates[`${link.source().id}>${link.target().id}`];
      link.labels(rate === undefined || rate === null ? [] : [{ attrs: { text: { text: `${rate.toFixed(0)}/s`, fontSize: 10 } } }]);
    }
  }

  exportSVG() {
    return new XMLSerializer().serializeToString(this.paper.svg);
  }

  // PNG: the SVG drawn onto a canvas at twice the size, for slides and reports.
  async exportPNG() {
    const box = this.paper.svg.getBoundingClientRect();
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(this.exportSVG())}`;
    await image.decode();
    const canvas = Object.assign(document.createElement("canvas"), { width: box.width * 2, height: box.height * 2 });
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  enablePanAndZoom(el) {
    let start = null;
    this.paper.on("blank:pointerdown", (event) => {
      const t = this.paper.translate();
      start = { x: event.clientX - t.tx, y: event.clientY - t.ty };
    });
    el.addEventListener("mousemove", (event) => {
      if (start && event.buttons === 1) this.paper.translate(event.clientX - start.x, event.clientY - start.y);
    });
    el.addEventListener("mouseup", () => { start = null; });
    this.paper.on("blank:mousewheel", (event, x, y, delta) => {
      event.preventDefault();
      const scale = Math.min(2, Math.max(0.3, this.paper.scale().sx * (delta > 0 ? 1.1 : 0.9)));
      this.paper.scale(scale, scale);
    });
  }
}
