// A sweep's document drawn (docs/evidence.md, archlab.sweep): any figure against the swept
// parameter with its 95% band across seeds, the knee in words, each node's utilization curve,
// a heat map when two parameters were swept, and cost against p99 with the Pareto front marked.
/* global Plotly */
import { el } from "./dom.js";
import { CONFIG, LAYOUT, chartBox, interval, metricName, table } from "./study-format.js";

export function renderSweep(box, doc) {
  const knee = el("p", doc.knee ? doc.knee.sentence : "", "study-knee");
  knee.id = "study-knee";
  box.append(knee);
  const axis = doc.axes[0];
  if (doc.grid) {
    heatMap(box, doc);
  } else {
    const pick = el("select");
    pick.id = "sweep-metric";
    pick.setAttribute("aria-label", "figure to plot");
    const names = Object.keys(doc.points[0] ? doc.points[0].metrics : {});
    pick.append(...names.map((n) => new Option(metricName(n), n, false, n === (doc.knee ? doc.knee.metric : ""))));
    const label = el("label", "Figure ");
    label.append(pick);
    box.append(label);
    const chart = chartBox(box, "study-sweep-metric", "figure against the parameter");
    const draw = () => metricChart(chart, doc, axis, pick.value);
    pick.addEventListener("change", draw);
    draw();
    utilizationChart(chartBox(box, "study-sweep-utilization", "utilization per node"), doc, axis);
  }
  paretoChart(chartBox(box, "study-sweep-pareto", "cost against p99"), doc);
  box.append(pointsTable(doc));
}

function xs(doc, axis) {
  return doc.points.map((p) => p.values[axis.name]);
}

function axisTitle(axis) {
  return axis.node ? `${axis.node}.${axis.param}` : `${axis.label}${axis.unit ? ` (${axis.unit})` : ""}`;
}

// The mean with its band: the band is the 95% interval of the mean at each point. Only the
// first curve of a chart names its band in the legend ("... 95% band"), not every node's.
let legendBand = null;
function bandTraces(x, figures, name, color) {
  if (legendBand === null || color === COLORS[0]) legendBand = name;
  const low = figures.map((f) => (f && f.low !== null ? f.low : f ? f.mean : null));
  const high = figures.map((f) => (f && f.high !== null ? f.high : f ? f.mean : null));
  return [
    { x, y: high, mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip", name: `${name} high` },
    { x, y: low, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: `${color}33`, name: `${name} 95% band`, hoverinfo: "skip", showlegend: name === legendBand },
    { x, y: figures.map((f) => (f ? f.mean : null)), mode: "lines+markers", line: { color }, name },
  ];
}

function metricChart(chart, doc, axis, metric) {
  const x = xs(doc, axis);
  const traces = bandTraces(x, doc.points.map((p) => p.metrics[metric]), metricName(metric), "#2457d6");
  const layout = { ...LAYOUT, title: { text: `${metricName(metric)} against ${axisTitle(axis)}`, font: { size: 12 } },
    xaxis: { title: { text: axisTitle(axis) } }, yaxis: { title: { text: metricName(metric) } }, shapes: [] };
  if (doc.knee && doc.knee.metric === metric && doc.knee.value !== null) {
    layout.shapes.push({ type: "line", x0: doc.knee.value, x1: doc.knee.value, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#a1261a" } });
  }
  if (doc.knee && doc.knee.metric === metric) {
    layout.shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: doc.knee.threshold, y1: doc.knee.threshold, line: { dash: "dash", color: "#999" } });
  }
  Plotly.react(chart, traces, layout, CONFIG);
}

const COLORS = ["#2457d6", "#d6452a", "#2a9d4b", "#9b4dca", "#d69a00", "#1b9aaa", "#6b6b6b", "#c2185b"];

function utilizationChart(chart, doc, axis) {
  const x = xs(doc, axis);
  const ids = Object.keys(doc.points[0] ? doc.points[0].nodes : {}).filter((id) => doc.points[0].nodes[id].utilization);
  const traces = ids.flatMap((id, i) => bandTraces(x, doc.points.map((p) => p.nodes[id] && p.nodes[id].utilization), id, COLORS[i % COLORS.length]));
  Plotly.react(chart, traces, { ...LAYOUT, title: { text: "Utilization per node", font: { size: 12 } },
    xaxis: { title: { text: axisTitle(axis) } }, yaxis: { range: [0, 1.05] } }, CONFIG);
}

function heatMap(box, doc) {
  const chart = chartBox(box, "study-sweep-heatmap", "heat map");
  const metric = doc.knee ? doc.knee.metric : "latency_p99_ms";
  const z = doc.grid.z[metric] || Object.values(doc.grid.z)[0];
  Plotly.react(chart, [{ type: "heatmap", x: doc.grid.x.values.map(String), y: doc.grid.y.values.map(String), z, colorscale: "YlOrRd",
    colorbar: { title: { text: metricName(metric) } } }], { ...LAYOUT, height: 300,
    title: { text: `${metricName(metric)} (mean over seeds)`, font: { size: 12 } },
    xaxis: { title: { text: doc.grid.x.name }, type: "category" }, yaxis: { title: { text: doc.grid.y.name }, type: "category" } }, CONFIG);
}

function paretoChart(chart, doc) {
  const { x: xm, y: ym, front } = doc.pareto;
  const label = (p) => Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(", ");
  const mean = (p, m) => (p.metrics[m] ? p.metrics[m].mean : null);
  const onFront = front.map((i) => doc.points[i]);
  Plotly.react(chart, [
    { x: doc.points.map((p) => mean(p, xm)), y: doc.points.map((p) => mean(p, ym)), text: doc.points.map(label), mode: "markers", name: "points", marker: { color: "#9aa5b8", size: 8 } },
    { x: onFront.map((p) => mean(p, xm)), y: onFront.map((p) => mean(p, ym)), text: onFront.map(label), mode: "lines+markers", name: "Pareto front", marker: { color: "#d6452a", size: 10 } },
  ], { ...LAYOUT, title: { text: "Cost against p99, the Pareto front marked", font: { size: 12 } },
    xaxis: { title: { text: metricName(xm) } }, yaxis: { title: { text: metricName(ym) } } }, CONFIG);
}

function pointsTable(doc) {
  const names = doc.axes.map((a) => a.name);
  const shown = ["latency_p99_ms", "throughput_per_s", "error_rate", "cost_per_hour_usd"];
  const rows = doc.points.map((p) => [...names.map((n) => String(p.values[n])), String(p.runs), ...shown.map((m) => interval(p.metrics[m]))]);
  const t = table([...names, "runs", ...shown.map(metricName)], rows, "study-table");
  t.id = "sweep-points";
  return t;
}


