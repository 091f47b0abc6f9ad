// Live Plotly charts. New windows are appended with extendTraces (no redraw of the whole
// chart); a snapshot rebuilds them. Control changes are marked on the time axis.
/* global Plotly */
import { el } from "./dom.js";

const LAYOUT = { margin: { l: 48, r: 8, t: 28, b: 28 }, legend: { orientation: "h", y: -0.2 }, xaxis: { title: { text: "s" } } };

// Plotly (its cartesian bundle) is 1.5 MB, 0.5 MB compressed: the page becomes interactive
// without it and fetches it in the background; a run waits for it only if it has not arrived yet.
let plotlyLoading = null;
export function loadPlotly() {
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = el("script");
      script.src = document.body.dataset.plotlySrc;
      script.onload = resolve;
      script.onerror = () => reject(new Error("the chart library did not load"));
      document.head.append(script);
    });
  }
  return plotlyLoading;
}

const CHARTS = ["chart-throughput", "chart-latency", "chart-errors", "chart-utilization", "chart-cost"];

export class Charts {
  // `causes` are the engine's failure cause codes (the catalogue lists them), one bar each.
  constructor(causes) {
    this.nodeIds = [];
    this.causes = causes;
  }

  reset(nodeIds) {
    this.nodeIds = nodeIds;
    this.shapes = [];
    const line = (name) => ({ x: [], y: [], mode: "lines", name });
    Plotly.newPlot("chart-throughput", [line("completed/s"), line("errors/s")], { ...LAYOUT, title: { text: "Throughput" } }, { responsive: true });
    Plotly.newPlot("chart-latency", [line("p50"), line("p95"), line("p99")], { ...LAYOUT, title: { text: "Latency (ms)" } }, { responsive: true });
    // One bar series per cause that has occurred, added when it first does: a legend of every
    // possible cause would be long and mostly empty.
    this.shownCauses = [];
    Plotly.newPlot("chart-errors", [], { ...LAYOUT, barmode: "stack", title: { text: "Errors by cause" } }, { responsive: true });
    Plotly.newPlot("chart-utilization", nodeIds.map(line), { ...LAYOUT, title: { text: "Utilization" }, yaxis: { range: [0, 1.05] } }, { responsive: true });
    Plotly.newPlot("chart-cost", [line("USD per hour")], { ...LAYOUT, title: { text: "Cost rate (USD/h)" } }, { responsive: true });
  }

  append(windows) {
    if (!windows.length) return;
    const x = windows.map((w) => w.t_end);
    const o = windows.map((w) => w.overall);
    Plotly.extendTraces("chart-throughput", { x: [x, x], y: [o.map((m) => m.throughput_per_s), o.map((m) => m.errors / Math.max(1e-9, windowLength(windows[0])))] }, [0, 1]);
    Plotly.extendTraces("chart-latency", { x: [x, x, x], y: ["p50", "p95", "p99"].map((q) => o.map((m) => m.latency_ms[q])) }, [0, 1, 2]);
    const seen = new Set(o.flatMap((m) => Object.keys(m.failures)));
    const fresh = this.causes.filter((c) => seen.has(c) && !this.shownCauses.includes(c));
    if (fresh.length) {
      Plotly.addTraces("chart-errors", fresh.map((c) => ({ x: [], y: [], type: "bar", name: c })));
      this.shownCauses.push(...fresh);
    }
    const causes = this.shownCauses;
    if (causes.length) {
      Plotly.extendTraces("chart-errors", { x: causes.map(() => x), y: causes.map((c) => o.map((m) => m.failures[c] || 0)) }, causes.map((_, i) => i));
    }
    Plotly.extendTraces("chart-cost", { x: [x], y: [o.map((m) => m.cost_per_hour_usd || 0)] }, [0]);
    Plotly.extendTraces("chart-utilization", {
      x: this.nodeIds.map(() => x),
      y: this.nodeIds.map((id) => windows.map((w) => (w.nodes[id] && w.nodes[id].utilization) || 0)),
    }, this.nodeIds.map((_, i) => i));
    const marks = windows.flatMap((w) => w.events.filter((e) => e.type !== "health_check"));
    if (marks.length) this.mark(marks);
  }

  // A dotted line on every chart's time axis where something changed.
  mark(events) {
    for (const e of events) {
      this.shapes.push({ type: "line", x0: e.t, x1: e.t, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", width: 1, color: "#a1261a" } });
    }
    for (const id of CHARTS) {
      Plotly.relayout(id, { shapes: this.shapes });
    }
  }
}

function windowLength(w) {
  return w.t_end - w.t_start;
}
