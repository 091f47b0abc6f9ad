// The charts of a report page (a study's, templates/studies/report.html, or a run's,
// templates/runs/report.html), drawn with the vendored Plotly (loaded by the page before this
// module) from the series the server put in the page as report-data. Every figure they show is
// also in the page's text, so the page reads and prints without them. PNG and SVG under each
// chart save it (study-format.js's saveChart); Print prints the page, and the charts are redrawn
// at the paper's width when it is printed. A study still running is followed (its API, every
// 2 s) and the page reloads once it is over, to show what it found.
/* global Plotly */
import { getJSON } from "./api.js";
import { $, pageData } from "./dom.js";
import { saveChart } from "./study-format.js";

const COLORS = ["#2457d6", "#d6452a", "#2a9d4b", "#9b4dca", "#d69a00", "#1b9aaa", "#6b6b6b", "#c2185b"];
// No height here: each chart fills its box, whose height the stylesheet sets for screen and paper.
const LAYOUT = { margin: { l: 60, r: 16, t: 36, b: 40 }, autosize: true,
  legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" } };
const CONFIG = { responsive: true, displayModeBar: false };
const OVER = ["done", "cancelled", "failed"];

// The x axis's title sits just under its numbers, and the legend under it.
function layout(chart, extra = {}) {
  return { ...LAYOUT, title: { text: chart.title, font: { size: 13 } },
    xaxis: { title: { text: chart.xtitle || "", standoff: 4 }, automargin: true }, yaxis: { title: { text: chart.ytitle || "" } }, ...extra };
}

// A line per series, each with its 95% band when it has one (low and high): only the first
// series names its band in the legend.
function bandTraces(chart) {
  return chart.series.flatMap((s, i) => {
    const color = COLORS[i % COLORS.length];
    const x = s.x || chart.x;
    const line = { x, y: s.y, mode: x.length > 60 ? "lines" : "lines+markers", line: { color }, name: s.name };
    if (!s.low || !s.high) return [line];
    return [
      { x, y: s.high, mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { x, y: s.low, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: `${color}33`, hoverinfo: "skip",
        name: i === 0 ? "95% band" : `${s.name} 95% band`, showlegend: i === 0 },
      line,
    ];
  });
}

const DRAW = {
  band(div, chart) {
    const shapes = [];
    const marks = chart.marks || {};
    if (marks.x !== null && marks.x !== undefined) shapes.push({ type: "line", x0: marks.x, x1: marks.x, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#a1261a" } });
    if (marks.y !== null && marks.y !== undefined) shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: marks.y, y1: marks.y, line: { dash: "dash", color: "#999" } });
    return Plotly.react(div, bandTraces(chart), layout(chart, { shapes }), CONFIG);
  },
  stack(div, chart) {
    const traces = chart.series.map((s, i) => ({ type: "bar", x: chart.x, y: s.y, name: s.name, marker: { color: COLORS[i % COLORS.length] } }));
    return Plotly.react(div, traces, layout(chart, { barmode: "stack" }), CONFIG);
  },
  heatmap(div, chart) {
    return Plotly.react(div, [{ type: "heatmap", x: chart.x.map(String), y: chart.y.map(String), z: chart.z, colorscale: "YlOrRd",
      colorbar: { title: { text: chart.ztitle } } }], layout(chart, {
      xaxis: { title: { text: chart.xtitle }, type: "category" }, yaxis: { title: { text: chart.ytitle }, type: "category" } }), CONFIG);
  },
  pareto(div, chart) {
    return Plotly.react(div, [
      { ...chart.points, mode: "markers", name: "points", marker: { color: "#9aa5b8", size: 8 } },
      { ...chart.front, mode: "lines+markers", name: "Pareto front", marker: { color: "#d6452a", size: 10 } },
    ], layout(chart), CONFIG);
  },
  // B relative to A per figure, each with its 95% interval as an error bar.
  bars(div, chart) {
    const error = { type: "data", symmetric: false,
      array: chart.high.map((h, i) => (h === null ? 0 : h - chart.y[i])), arrayminus: chart.low.map((l, i) => (l === null ? 0 : chart.y[i] - l)) };
    div.style.height = `${100 + 26 * chart.labels.length}px`;
    return Plotly.react(div, [{ type: "bar", orientation: "h", x: chart.y, y: chart.labels, error_x: error, marker: { color: "#2457d6" }, name: "B relative to A" }],
      layout(chart, { margin: { ...LAYOUT.margin, l: 200 }, yaxis: { automargin: true },
        xaxis: { title: { text: chart.xtitle }, zeroline: true } }), CONFIG);
  },
};

async function drawAll(charts) {
  if (typeof Plotly === "undefined") return; // the page stays readable: its figures are in the text
  for (const chart of charts) {
    const div = $(`chart-${chart.id}`);
    if (!div || !DRAW[chart.type]) continue;
    await DRAW[chart.type](div, chart);
    div.closest(".report-chart").classList.add("drawn");
    div.nextElementSibling.hidden = false;
  }
}

function bindExports() {
  for (const b of document.querySelectorAll("[data-export]")) {
    b.setAttribute("aria-label", `Save this chart as ${b.dataset.export.toUpperCase()}`);
    b.addEventListener("click", () => saveChart($(b.dataset.chart), b.dataset.export));
  }
}

// On paper the page is narrower than on screen: each chart is fitted to its box again when
// printing starts and ends (a window resize, which Plotly follows by itself, does not happen).
function fitOnPrint() {
  const fit = () => {
    for (const div of document.querySelectorAll(".report-chart.drawn .report-plot")) Plotly.Plots.resize(div);
  };
  window.matchMedia("print").addEventListener("change", fit);
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);
}

function follow(url) {
  const bar = $("report-progress");
  const tick = async () => {
    try {
      const study = await getJSON(url);
      if (bar) bar.value = study.progress.done;
      if (OVER.includes(study.status)) {
        location.reload();
        return;
      }
    } catch {
      // A lost request is retried at the next tick; the page is still right, just not updated.
    }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
}

const data = pageData("report-data");
const print = $("report-print");
print.hidden = false;
print.addEventListener("click", () => window.print());
$("report-link").addEventListener("focus", (e) => e.target.select());
bindExports();
if (data.poll) follow(data.poll);
drawAll(data.charts).then(() => {
  if (typeof Plotly !== "undefined") fitOnPrint();
  document.body.dataset.chartsDrawn = "true";
});
