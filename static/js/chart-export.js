// Every chart of a run can be saved as PNG (twice its size on screen, for slides) or SVG (for
// documents and print), drawn by Plotly's own toImage: each chart gets its two buttons, under
// it, shown once it has been drawn.
/* global Plotly */
import { $, button, el } from "./dom.js";

// Wrap each chart with its buttons; `filename(id)` names the file (without its extension).
export function addChartExports(ids, filename) {
  const tools = [];
  for (const id of ids) {
    const chart = $(id);
    if (!chart) continue;
    const title = chart.dataset.title || id.replace(/^chart-/, "");
    const box = el("figure", null, "chart-box");
    chart.before(box);
    const bar = el("div", null, "chart-tools");
    bar.hidden = true;
    for (const format of ["png", "svg"]) {
      const b = button(format.toUpperCase(), () => save(chart, format, filename(id)), "small");
      b.dataset.export = format;
      b.setAttribute("aria-label", `Save the ${title} chart as ${format.toUpperCase()}`);
      bar.append(b);
    }
    box.append(chart, bar);
    tools.push(bar);
  }
  // Shown while the charts show a run.
  return (on) => { for (const bar of tools) bar.hidden = !on; };
}

function save(chart, format, filename) {
  if (!chart.data) return Promise.resolve(); // nothing drawn yet
  const width = chart.offsetWidth || 600;
  const height = chart.offsetHeight || 300;
  return Plotly.downloadImage(chart, { format, filename, width, height, scale: format === "png" ? 2 : 1 });
}
