// The scrubber's cursor on a run's charts (charts.js): a solid line across each chart at the
// moment's time, after the dotted marks of the run's changes. Once the line is there, a move
// edits only its two ends, which Plotly redraws without redrawing the rest of the chart.
/* global Plotly */
import { $ } from "./dom.js";

export const CHART_IDS = ["chart-throughput", "chart-latency", "chart-errors", "chart-utilization", "chart-cost"];
const LINE = { type: "line", yref: "paper", y0: 0, y1: 1, line: { width: 2, color: "#1d2430" } };

// `charts` is the page's Charts: its `shapes` are the marks every chart carries.
export function moveCursor(charts, t) {
  const n = charts.shapes.length;
  for (const id of CHART_IDS) {
    const chart = $(id);
    if (!chart || !chart.layout) continue;
    const shapes = chart.layout.shapes || [];
    if (shapes.length === n + 1) Plotly.relayout(chart, { [`shapes[${n}].x0`]: t, [`shapes[${n}].x1`]: t });
    else Plotly.relayout(chart, { shapes: [...charts.shapes, { ...LINE, x0: t, x1: t }] });
  }
}

// The charts follow the run again: only its marks.
export function removeCursor(charts) {
  for (const id of CHART_IDS) {
    const chart = $(id);
    if (chart && chart.layout && (chart.layout.shapes || []).length > charts.shapes.length) {
      Plotly.relayout(chart, { shapes: charts.shapes });
    }
  }
}

// Points on the charts now (the throughput chart's): a long run's are condensed once it is over.
export function pointsDrawn() {
  const chart = $("chart-throughput");
  return chart && chart.data && chart.data.length ? chart.data[0].x.length : 0;
}
