// A lesson's charts: each step's comparison (the design the learner started the step with
// against their graded design, on the step's traffic) and the whole lesson, step by step.
// The figures come from the grade's `comparison` (lab/lessons/services.py).
/* global Plotly */
import { loadPlotly } from "./charts.js";

const START = { name: "start", color: "#9aa3b2" };
const YOURS = { name: "yours", color: "#2457d6" };
// The four panels of a step's chart: latency percentiles, error rate, cost per 1,000 requests
// and monthly cost, side by side, each on its own scale.
const PANELS = [
  { title: "latency (ms)", fields: [["p50_ms", "p50"], ["p95_ms", "p95"], ["p99_ms", "p99"]] },
  { title: "errors (%)", fields: [["error_rate_pct", "errors"]] },
  { title: "$ per 1k requests", fields: [["cost_per_1k_requests", "$/1k"]] },
  { title: "$ per month", fields: [["monthly_cost", "$/month"]] },
];

function layout(extra) {
  return { margin: { l: 40, r: 6, t: 30, b: 28 }, barmode: "group", showlegend: true,
    legend: { orientation: "h", y: -0.18 }, font: { size: 11 }, ...extra };
}

function axes(count, titles) {
  const out = { grid: { rows: 1, columns: count, pattern: "independent" }, annotations: [] };
  titles.forEach((text, i) => {
    const n = i === 0 ? "" : String(i + 1);
    out[`yaxis${n}`] = { rangemode: "tozero", automargin: true };
    out.annotations.push({ text, xref: `x${n} domain`, yref: `y${n} domain`, x: 0.5, y: 1.12, showarrow: false, font: { size: 11 } });
  });
  return out;
}

function value(figures, field) {
  return figures && typeof figures[field] === "number" ? figures[field] : null;
}

// `comparison`: {start: figures|null, design: figures}. Draws into element `id`.
export async function drawComparison(id, comparison) {
  await loadPlotly();
  const traces = [];
  PANELS.forEach((panel, i) => {
    const n = i === 0 ? "" : String(i + 1);
    for (const [side, style] of [["start", START], ["design", YOURS]]) {
      traces.push({ type: "bar", name: style.name, legendgroup: style.name, showlegend: i === 0, marker: { color: style.color },
        x: panel.fields.map(([, label]) => label), y: panel.fields.map(([field]) => value(comparison[side], field)),
        xaxis: `x${n}`, yaxis: `y${n}`, hovertemplate: "%{y:.3~f}<extra>%{fullData.name}</extra>" });
    }
  });
  Plotly.react(id, traces, layout(axes(PANELS.length, PANELS.map((p) => p.title))), { responsive: true, displayModeBar: false });
}

// `rows`: [{title, comparison}] in step order, for the steps graded so far.
export async function drawOverview(id, rows) {
  await loadPlotly();
  const titles = rows.map((r, i) => `${i + 1}. ${r.title}`);
  const traces = [];
  [["p95_ms", "p95 (ms)"], ["monthly_cost", "$ per month"]].forEach(([field], i) => {
    const n = i === 0 ? "" : String(i + 1);
    for (const [side, style] of [["start", START], ["design", YOURS]]) {
      traces.push({ type: "bar", name: style.name, legendgroup: style.name, showlegend: i === 0, marker: { color: style.color },
        x: titles, y: rows.map((r) => value(r.comparison && r.comparison[side], field)), xaxis: `x${n}`, yaxis: `y${n}` });
    }
  });
  const look = layout(axes(2, ["p95 (ms)", "$ per month"]));
  look.grid = { rows: 2, columns: 1, pattern: "independent" };
  look.annotations.forEach((a) => { a.y = 1.06; });
  look.xaxis = { showticklabels: false };
  look.xaxis2 = { tickangle: -30, automargin: true };
  Plotly.react(id, traces, look, { responsive: true, displayModeBar: false });
}
