// Copy and paste on the canvas: the selected nodes and the edges between them, pasted with new
// ids, offset, and selected. The clipboard lives in the page (not the system clipboard).
/* global joint */

export function copySelection(editor) {
  const ids = new Set(editor.selection.filter((c) => c.isElement()).map((c) => c.id));
  if (!ids.size) return editor.clipboard;
  const doc = editor.toTopology();
  return {
    nodes: doc.nodes.filter((n) => ids.has(n.id)),
    edges: doc.edges.filter((e) => ids.has(e.from) && ids.has(e.to)),
  };
}

export function pasteClipboard(editor, clipboard) {
  if (!clipboard) return;
  const renamed = {};
  const pasted = [];
  editor.loading = true;
  for (const node of clipboard.nodes) {
    renamed[node.id] = editor.freshId(node.kind);
    pasted.push(editor.addNode({ ...structuredClone(node), id: renamed[node.id], label: `${node.label} copy`,
      position: { x: node.position.x + 30, y: node.position.y + 30 } }));
  }
  for (const edge of clipboard.edges) {
    const link = new joint.shapes.standard.Link({ source: { id: renamed[edge.from], port: "out" }, target: { id: renamed[edge.to] } });
    link.set({ latency_ms: edge.latency_ms ?? null, classes: edge.classes ?? null, policy: edge.policy ?? null });
    link.addTo(editor.graph);
  }
  editor.loading = false;
  editor.changed();
  editor.select(null);
  for (const cell of pasted) editor.toggle(cell);
}
