// What is selected on the canvas: one node or edge by a click (the inspector edits it), several
// nodes by Shift+click (to copy, delete or drag together). Selected cells are highlighted, and
// dragging one of several selected nodes moves them all. Separate from the editor because the
// rules of the selection (what `editor.selected` is when several are picked) belong together.

// Only `cell` (or nothing) selected.
export function selectOnly(editor, cell) {
  for (const selected of editor.selection) editor.paper.findViewByModel(selected)?.unhighlight();
  editor.selection = cell ? [cell] : [];
  editor.selected = cell;
  if (cell) editor.paper.findViewByModel(cell).highlight();
  editor.onSelect(cell);
}

// Shift+click adds a node to the selection (or takes it out); the inspector shows a cell only
// while it is the one selected.
export function toggleSelected(editor, cell) {
  const view = editor.paper.findViewByModel(cell);
  if (editor.selection.includes(cell)) {
    editor.selection = editor.selection.filter((c) => c !== cell);
    view.unhighlight();
  } else {
    editor.selection.push(cell);
    view.highlight();
  }
  editor.selected = editor.selection.length === 1 ? editor.selection[0] : null;
  editor.onSelect(editor.selected);
}

// Dragging one of several selected nodes moves them all.
export function moveSelectionTogether(editor) {
  editor.graph.on("change:position", (cell, position, opt) => {
    if (opt.together || editor.loading || !editor.selection.includes(cell) || editor.selection.length < 2) return;
    const before = cell.previous("position");
    const dx = position.x - before.x;
    const dy = position.y - before.y;
    for (const other of editor.selection) {
      if (other !== cell && other.isElement()) other.translate(dx, dy, { together: true });
    }
  });
}
