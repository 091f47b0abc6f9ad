// The palette: every kind of the engine's registry, grouped in the engine's order, with a
// search box; drag one onto the canvas to add it.
import { el } from "./dom.js";

// Palette symbols by the kinds' `icon` names: DejaVu Sans has them all, so they render without
// an emoji font. An unknown icon shows as a small square.
const ICONS = {
  users: "☻", split: "⇶", server: "▤", bolt: "⚡", database: "⛁", inbox: "✉",
  globe: "◍", cloud: "☁", door: "⇥", gauge: "◔", lambda: "λ", "fan-out": "⋔", funnel: "▽", bucket: "▭",
  shards: "☷", broadcast: "⇉", stream: "≋", handshake: "⇄",
};

export function buildPalette(container, editor, size) {
  const groups = {};
  for (const kind of Object.values(editor.kinds)) (groups[kind.group] ||= []).push(kind);
  const search = Object.assign(el("input"), { type: "search", placeholder: "Search components" });
  search.addEventListener("input", () => {
    for (const item of container.querySelectorAll("[data-kind]")) {
      item.hidden = !item.textContent.toLowerCase().includes(search.value.toLowerCase());
    }
  });
  container.replaceChildren(search);
  // The groups in the engine's order (edge, compute, data, messaging, external).
  for (const group of editor.catalogue.groups || Object.keys(groups)) {
    const kinds = groups[group];
    if (!kinds) continue;
    container.append(el("h3", group));
    for (const kind of kinds) {
      const item = Object.assign(el("div", `${ICONS[kind.icon] || "▪"} ${kind.title}`, "palette-item"), { title: kind.summary, draggable: true });
      item.dataset.kind = kind.kind;
      item.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", kind.kind));
      container.append(item);
    }
  }
  const paperEl = editor.paper.el;
  paperEl.addEventListener("dragover", (e) => e.preventDefault());
  paperEl.addEventListener("drop", (e) => {
    e.preventDefault();
    const kind = e.dataTransfer.getData("text/plain");
    if (!editor.kinds[kind]) return;
    const at = editor.paper.clientToLocalPoint(e.clientX, e.clientY);
    editor.select(editor.addNode({ id: editor.freshId(kind), kind, params: {}, position: { x: at.x - size.width / 2, y: at.y - size.height / 2 } }));
  });
}
