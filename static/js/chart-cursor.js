// The scrubber's cursor on a run's charts (charts.js): a line over each chart's plot area at the
// moment's time. It is an element of the page laid over the chart, not a Plotly shape: moving a
// shape makes Plotly redraw the chart (tens of milliseconds for each of the five), moving an
// element costs next to nothing. Its place comes from the chart's own x axis (the pixel of a
// time), so it stays right as long as the chart keeps its size and zoom; the scrubber places it
// again after each move and when the page is resized.
import { $, el } from "./dom.js";

export const CHART_IDS = ["chart-throughput", "chart-latency", "chart-errors", "chart-utilization", "chart-cost"];

function lineOf(chart) {
  const box = chart.parentElement; // the chart's figure (chart-export.js), positioned
  let line = box.querySelector(":scope > .chart-cursor");
  if (!line) {
    line = el("div", null, "chart-cursor");
    line.setAttribute("aria-hidden", "true");
    box.append(line);
  }
  return line;
}

// Stand the cursor of every drawn chart at time `t`.
export function moveCursor(t) {
  for (const id of CHART_IDS) {
    const chart = $(id);
    const layout = chart && chart._fullLayout; // Plotly's computed layout: its axes map data to pixels
    if (!layout || !layout.xaxis || !layout.yaxis) continue;
    const x = layout.xaxis;
    const y = layout.yaxis;
    const line = lineOf(chart);
    const [lo, hi] = x.range;
    line.dataset.t = String(t);
    line.hidden = !(t >= Math.min(lo, hi) && t <= Math.max(lo, hi));
    line.style.left = `${chart.offsetLeft + x._offset + x.l2p(t)}px`;
    line.style.top = `${chart.offsetTop + y._offset}px`;
    line.style.height = `${y._length}px`;
  }
}

// The charts follow the run again: no cursor.
export function removeCursor() {
  for (const id of CHART_IDS) {
    const chart = $(id);
    const line = chart && chart.parentElement.querySelector(":scope > .chart-cursor");
    if (line) line.remove();
  }
}

// Points on the charts now (the throughput chart's): a long run's are condensed once it is over.
export function pointsDrawn() {
  const chart = $("chart-throughput");
  return chart && chart.data && chart.data.length ? chart.data[0].x.length : 0;
}
