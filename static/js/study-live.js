// What a study has found so far, in the evidence panel while it goes (the document of the runs
// finished so far, GET /api/v1/studies/{id}?partial=true): a sweep's points on its knee figure
// against the swept parameter, each with its 95% interval, one more as each point's runs finish;
// a run over seeds or an A/B comparison, its headline figures so far in a sentence. The full
// charts are the report's (study-report.js) once it is over.
/* global Plotly */
import { loadPlotly } from "./charts.js";
import { el } from "./dom.js";
import { CONFIG, LAYOUT, interval, metricName } from "./study-format.js";

export async function drawSoFar(box, study) {
  const doc = study.document;
  box.hidden = false;
  if (doc.format === "archlab.sweep") {
    await loadPlotly();
    sweepPoints(box, doc, study.progress);
    return;
  }
  const p99 = doc.format === "archlab.comparison" ? null : doc.metrics && doc.metrics.latency_p99_ms;
  const text = p99
    ? `So far, over ${p99.n} seeds: p99 ${interval(p99)} ms.`
    : `So far: ${(doc.verdicts || []).join(" ") || "the first pairs are in."}`;
  box.replaceChildren(el("p", text, "study-so-far"));
}

function sweepPoints(box, doc, progress) {
  const axis = doc.axes[0];
  const metric = (doc.knee && doc.knee.metric) || "latency_p99_ms";
  const points = doc.points.filter((p) => p.runs > 0 && p.metrics[metric] && p.metrics[metric].mean !== null);
  let chart = box.querySelector("#study-live-points");
  if (!chart) {
    chart = el("div", null, "study-plot study-live-plot");
    chart.id = "study-live-points";
    box.replaceChildren(chart);
  }
  chart.dataset.points = String(points.length);
  const figure = (p) => p.metrics[metric];
  const title = axis.node ? `${axis.node}.${axis.param}` : `${axis.label}${axis.unit ? ` (${axis.unit})` : ""}`;
  Plotly.react(chart, [{
    x: points.map((p) => p.values[axis.name]), y: points.map((p) => figure(p).mean), mode: "markers",
    name: metricName(metric), marker: { color: "#2457d6", size: 8 },
    error_y: { type: "data", symmetric: false, color: "#2457d688",
      array: points.map((p) => (figure(p).high === null ? 0 : figure(p).high - figure(p).mean)),
      arrayminus: points.map((p) => (figure(p).low === null ? 0 : figure(p).mean - figure(p).low)) },
  }], { ...LAYOUT, height: 200, showlegend: false,
    title: { text: `${metricName(metric)} so far: ${progress.done} of ${progress.total} runs`, font: { size: 11 } },
    xaxis: { title: { text: title } }, yaxis: { title: { text: metricName(metric) } } }, CONFIG);
}
