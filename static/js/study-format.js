// How a study's figures read: names of the engine's metrics, a figure with its 95% interval,
// and every study chart's PNG and SVG buttons (Plotly's own downloadImage, as a run's charts).
/* global Plotly */
import { button, el } from "./dom.js";

export const METRICS = {
  latency_p99_ms: "p99 latency (ms)", latency_p95_ms: "p95 latency (ms)", latency_p50_ms: "p50 latency (ms)",
  latency_mean_ms: "mean latency (ms)", throughput_per_s: "throughput (requests/s)", error_rate: "error rate",
  cost_per_hour_usd: "cost per hour (USD)", cost_per_million_usd: "cost per million requests (USD)",
  utilization: "utilization", queue_length: "queue length", instances: "instances",
  arrival_rate_per_s: "arrivals (requests/s)", errors: "errors",
};

export const metricName = (name) => METRICS[name] || name.replaceAll("_", " ");

export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "n/a";
  const a = Math.abs(value);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 4;
  return value.toLocaleString("en", { maximumFractionDigits: digits });
}

// "12.3 (10.1 to 14.5)": the mean and its 95% interval; the median alone with one run.
export function interval(figure) {
  if (!figure || figure.mean === null || figure.mean === undefined) return "n/a";
  if (figure.low === null || figure.low === undefined) return `${num(figure.mean)} (one run)`;
  return `${num(figure.mean)} (${num(figure.low)} to ${num(figure.high)})`;
}

// A table of `rows` (arrays of text) under `head`.
export function table(head, rows, className) {
  const t = el("table", null, className);
  const tr = el("tr");
  tr.append(...head.map((h) => el("th", h)));
  t.append(el("thead"), el("tbody"));
  t.tHead.append(tr);
  for (const cells of rows) {
    const row = el("tr");
    row.append(...cells.map((c) => (c instanceof Node ? td(c) : el("td", c))));
    t.tBodies[0].append(row);
  }
  return t;
}

function td(node) {
  const cell = el("td");
  cell.append(node);
  return cell;
}

// A chart box: the chart's <div> and, under it, its PNG and SVG buttons.
export function chartBox(parent, id, title) {
  const box = el("figure", null, "study-chart");
  const chart = el("div", null, "study-plot");
  chart.id = id;
  chart.dataset.title = title;
  const tools = el("div", null, "chart-tools");
  for (const format of ["png", "svg"]) {
    const b = button(format.toUpperCase(), () => saveChart(chart, format), "small");
    b.dataset.export = format;
    b.setAttribute("aria-label", `Save the ${title} chart as ${format.toUpperCase()}`);
    tools.append(b);
  }
  box.append(chart, tools);
  parent.append(box);
  return chart;
}

export function saveChart(chart, format) {
  if (!chart.data) return Promise.resolve();
  const name = `archlab-${chart.id}`;
  return Plotly.downloadImage(chart, { format, filename: name, width: chart.offsetWidth || 640,
    height: chart.offsetHeight || 320, scale: format === "png" ? 2 : 1 });
}

export const LAYOUT = { margin: { l: 52, r: 12, t: 30, b: 40 }, height: 260, legend: { orientation: "h", y: -0.3 } };
export const CONFIG = { responsive: true, displayModeBar: false };
