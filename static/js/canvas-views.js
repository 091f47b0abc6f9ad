// What the canvas shows beyond the topology itself: zone groups, problems, live load and
// request rates, a default layout, and exports. Each function takes the Editor. Which part of
// the design is in view (fitting, pan and zoom) is canvas-viewport.js's.
/* global joint */
import { fitView } from "./canvas-viewport.js";
import { el } from "./dom.js";

// Regions and zones as labelled boxes behind their nodes, redrawn whenever nodes move.
export function drawGroups(editor) {
  editor.loading = true;
  for (const group of editor.graph.getElements().filter((e) => e.get("isGroup"))) group.remove();
  const byZone = {};
  for (const element of editor.graph.getElements()) {
    const place = element.get("zone") || element.get("region");
    if (place) (byZone[place] ||= []).push(element);
  }
  for (const [place, members] of Object.entries(byZone)) {
    const box = editor.graph.getCellsBBox(members).inflate(14);
    const group = new joint.shapes.standard.Rectangle({
      position: { x: box.x, y: box.y - 14 }, size: { width: box.width, height: box.height + 14 }, z: -1,
      attrs: { body: { fill: "#eef2fb", stroke: "#b7c3e0", strokeDasharray: "4 3", rx: 8, ry: 8, pointerEvents: "none" },
               label: { text: place, refY: 10, textVerticalAnchor: "top", fontSize: 13, fill: "#5b6577" } },
    });
    group.set("isGroup", true);
    group.addTo(editor.graph);
  }
  editor.loading = false;
}

// Validation problems on the nodes they concern: a red outline and the sentences as a tooltip.
export function showProblems(editor, problems) {
  const byNode = {};
  for (const p of problems) {
    const match = /^\$\.nodes\[(\d+)\]/.exec(p.path);
    const node = match && (editor.doc.nodes || [])[Number(match[1])];
    if (node) (byNode[node.id] ||= []).push(p.message);
  }
  const links = editor.graph.getLinks();
  (editor.doc.edges || []).forEach((edge, i) => {
    const messages = problems.filter((p) => p.path === `$.edges[${i}]` || p.path.startsWith(`$.edges[${i}].`)).map((p) => p.message);
    const link = links.find((l) => l.source().id === edge.from && l.target().id === edge.to);
    if (!link) return;
    link.attr("line/stroke", messages.length ? "#a1261a" : "#5b6577");
    link.attr("root/title", messages.join("\n"));
  });
  for (const element of editor.graph.getElements().filter((e) => !e.get("isGroup"))) {
    const messages = byNode[element.id];
    element.attr("body/stroke", messages ? "#a1261a" : "#2457d6");
    element.attr("body/strokeWidth", messages ? 4 : 2);
    const kind = editor.kinds[element.get("kind")];
    element.attr("root/title", [nodeTooltip(element.get("label"), kind ? kind.title : element.get("kind")), ...(messages || [])].join("\n"));
  }
}

export function nodeTooltip(label, kindTitle) {
  return `${label} (${kindTitle})`;
}

// Columns by depth in the call graph (sources first), rows in order: a readable default.
export function autoLayout(editor) {
  const depth = {};
  const elements = editor.graph.getElements().filter((e) => !e.get("isGroup"));
  for (const e of elements) depth[e.id] = 0;
  for (let pass = 0; pass < elements.length; pass += 1) {
    for (const link of editor.graph.getLinks()) {
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
  fitView(editor);
  editor.changed();
}

// A node's box is 150 px wide: about 18 characters of its label at 14 px.
const LABEL_CHARS = 18;

export function shorten(text, max) {
  const value = String(text ?? "");
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

// During a run each node shows its utilization as colour and its load as text.
export function showWindow(editor, window) {
  for (const element of editor.graph.getElements()) {
    const m = !element.get("isGroup") && window.nodes[element.id];
    if (!m) continue;
    const util = m.utilization;
    element.attr("body/fill", util === undefined ? "#ffffff" : `hsl(${120 - 120 * Math.min(1, util)}, 70%, 85%)`);
    // Three short lines fit the node's box at the lab's 14 px: its name, its load, its backlog.
    const load = [`${m.arrival_rate_per_s.toFixed(0)}/s`];
    if (util !== undefined) load.push(`${Math.round(util * 100)}%`);
    const backlog = [];
    if (m.queue_length !== undefined) backlog.push(`q ${m.queue_length < 10 ? m.queue_length.toFixed(1) : Math.round(m.queue_length)}`);
    if (m.errors) backlog.push(`${m.errors} err`);
    const lines = [shorten(element.get("label"), LABEL_CHARS), load.join(" · ")];
    if (backlog.length) lines.push(backlog.join(" · "));
    element.attr("label/text", lines.join("\n"));
  }
}

// Request rates on the edges (attempts, retries included, on an edge with a resilience policy).
export function showEdgeRates(editor, window) {
  const rates = {};
  for (const edge of Object.values(window.edges || {})) rates[`${edge.from}>${edge.to}`] = edge.rate_per_s;
  for (const link of editor.graph.getLinks()) {
    const rate = rates[`${link.source().id}>${link.target().id}`];
    link.labels(rate === undefined || rate === null ? [] : [{ attrs: { text: { text: `${rate.toFixed(0)}/s`, fontSize: 12 } } }]);
  }
}

export function exportSVG(editor) {
  return new XMLSerializer().serializeToString(editor.paper.svg);
}

// PNG: the SVG drawn onto a canvas at twice the size, for slides and reports.
export async function exportPNG(editor) {
  const box = editor.paper.svg.getBoundingClientRect();
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(editor.exportSVG())}`;
  await image.decode();
  const canvas = Object.assign(el("canvas"), { width: box.width * 2, height: box.height * 2 });
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}
