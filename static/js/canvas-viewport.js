// What part of the design the canvas shows. A design is fitted when it is loaded (an example, a
// saved design, a draft, a lesson's step), by Fit and by Auto layout, and it stays fitted while
// the canvas changes size (the page settling after the first paint, a window resized, a panel
// closed), until the user zooms or pans: from then on the view is theirs, until the next
// design or Fit. Dragging the background pans; the wheel zooms (0.3x to 2x).

// The lab draws node labels at 14 px (lab.css); below 0.8x they would shrink under 11 px, too
// small to read, so a large design is shown at 0.8x from its top-left corner (the traffic
// sources) and the rest is a drag away, rather than fitted whole and unreadable.
export const MIN_SCALE = 0.8;

export function fitView(editor, { padding = 24, minScale = MIN_SCALE, maxScale = 1 } = {}) {
  const paper = editor.paper;
  editor.viewFitted = true;
  const width = paper.el.clientWidth;
  const height = paper.el.clientHeight;
  const box = editor.graph.getElements().length ? editor.graph.getBBox() : null;
  if (!box || !width || !height) {
    paper.scale(1, 1);
    paper.translate(0, 0);
    return;
  }
  const fit = Math.min((width - 2 * padding) / box.width, (height - 2 * padding) / box.height);
  const scale = Math.max(minScale, Math.min(maxScale, fit));
  // Centred along an axis where it fits (in less than the padding if need be: a design a little
  // too wide for the padding is still shown whole), from the padding where it does not.
  const offset = (size, start, room) => (size * scale <= room ? (room - size * scale) / 2 : padding) - start * scale;
  paper.scale(scale, scale);
  paper.translate(offset(box.width, box.x, width), offset(box.height, box.y, height));
}

// The canvas keeps the design fitted as its size changes, while the view is not the user's own.
export function keepFitted(editor) {
  new ResizeObserver(() => {
    if (editor.viewFitted) fitView(editor);
  }).observe(editor.paper.el);
}

export function enablePanAndZoom(editor, paperEl) {
  let start = null;
  editor.paper.on("blank:pointerdown", (event) => {
    const t = editor.paper.translate();
    start = { x: event.clientX - t.tx, y: event.clientY - t.ty };
  });
  paperEl.addEventListener("mousemove", (event) => {
    if (!start || event.buttons !== 1) return;
    const [tx, ty] = [event.clientX - start.x, event.clientY - start.y];
    const t = editor.paper.translate();
    if (tx === t.tx && ty === t.ty) return; // a click on the background, not a pan
    editor.viewFitted = false;
    editor.paper.translate(tx, ty);
  });
  paperEl.addEventListener("mouseup", () => { start = null; });
  editor.paper.on("blank:mousewheel", (event, x, y, delta) => {
    event.preventDefault();
    editor.viewFitted = false;
    const scale = Math.min(2, Math.max(0.3, editor.paper.scale().sx * (delta > 0 ? 1.1 : 0.9)));
    editor.paper.scale(scale, scale);
  });
}
