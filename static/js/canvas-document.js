// The mapping between the topology document (docs/topology.md: nodes, edges, their parameters
// and placement) and the JointJS graph on the canvas: a document drawn as boxes and links, and
// the graph read back as a document. It is separate from the editor's interaction (selection,
// shortcuts, undo) so the one place that knows which document field lives on which graph cell
// is this file: a new node or edge field is added here, in both directions.
/* global joint */
import { nodeTooltip, shorten } from "./canvas-views.js";

export const NODE = { width: 150, height: 56 };

// A node box's text: its label (cut to fit the box) above its kind's title.
export function nodeText(label, kindTitle) {
  return `${shorten(label, 18)}\n${kindTitle}`;
}

export function addNode(editor, node) {
  const kind = editor.kinds[node.kind];
  const element = new joint.shapes.standard.Rectangle({
    id: node.id,
    position: node.position || { x: 0, y: 0 },
    size: NODE,
    attrs: {
      body: { rx: 6, ry: 6, fill: "#ffffff", stroke: "#2457d6", strokeWidth: 2 },
      label: { text: nodeText(node.label || node.id, kind ? kind.title : node.kind), fontSize: 12, fill: "#1d2430" },
      // The whole label on hover (SVG <title>, set as text): long labels are cut on the box.
      root: { title: nodeTooltip(node.label || node.id, kind ? kind.title : node.kind) },
    },
    ports: {
      groups: { out: { position: "right", attrs: { circle: { r: 7, magnet: true, fill: "#2457d6", stroke: "#fff", "port-group": "out" } } } },
      items: kind && kind.max_callees !== 0 ? [{ group: "out", id: "out" }] : [],
    },
  });
  element.set({ kind: node.kind, label: node.label || node.id, params: node.params || {}, region: node.region ?? null, zone: node.zone ?? null });
  element.addTo(editor.graph);
  return element;
}

// The document's nodes and edges drawn as the graph (an edge whose end is missing is left out).
export function drawDocument(editor, doc) {
  editor.graph.clear();
  for (const node of doc.nodes || []) addNode(editor, node);
  for (const edge of doc.edges || []) {
    if (!editor.graph.getCell(edge.from) || !editor.graph.getCell(edge.to)) continue;
    const link = new joint.shapes.standard.Link({ source: { id: edge.from, port: "out" }, target: { id: edge.to } });
    link.set({ edgeId: edge.id, latency_ms: edge.latency_ms ?? null, classes: edge.classes ?? null, policy: edge.policy ?? null });
    link.addTo(editor.graph);
  }
}

// The document as the canvas shows it: the loaded document's other fields, with the graph's
// nodes and edges.
export function readDocument(editor) {
  const doc = { ...(editor.doc || { version: 1 }) };
  doc.nodes = editor.graph.getElements().filter((e) => !e.get("isGroup")).map((e) => {
    const node = { id: e.id, kind: e.get("kind"), label: e.get("label"), position: e.position(), params: e.get("params") };
    if (e.get("region")) node.region = e.get("region");
    if (e.get("zone")) node.zone = e.get("zone");
    return node;
  });
  const links = editor.graph.getLinks().filter((l) => l.source().id && l.target().id);
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
