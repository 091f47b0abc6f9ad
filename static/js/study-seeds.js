// Replications over seeds and A/B comparisons drawn (docs/evidence.md): every headline figure
// with its 95% interval and the seeds its precision needs, the median line and 95% band per
// window; a comparison's per-figure difference with its interval and the verdict sentences.
/* global Plotly */
import { el } from "./dom.js";
import { CONFIG, LAYOUT, chartBox, interval, metricName, table } from "./study-format.js";

export function renderReplications(box, doc) {
  const needed = (doc.precision && doc.precision.seeds_needed) || {};
  const rows = Object.entries(doc.metrics).map(([m, f]) => [metricName(m), interval(f), needed[m] === null || needed[m] === undefined ? "n/a" : String(needed[m])]);
  const t = table(["figure", "mean (95% interval)", "seeds needed"], rows, "study-table");
  t.id = "seeds-figures";
  box.append(el("p", `${doc.seeds.length} seeds: ${doc.seeds.join(", ")}`, "hint"), t);
  const advice = el("ul", null, "study-advice");
  advice.id = "seeds-advice";
  for (const sentence of (doc.precision && doc.precision.advice) || []) advice.append(el("li", sentence));
  box.append(advice);
  windowCharts(box, doc.windows, "study-seeds");
}

// One chart per overall figure: the median over seeds per window, and the 95% band.
function windowCharts(box, windows, prefix) {
  if (!windows || !windows.t_end) return;
  for (const [metric, series] of Object.entries(windows.overall)) {
    const chart = chartBox(box, `${prefix}-${metric}`, `${metricName(metric)} per window`);
    const x = windows.t_end;
    Plotly.react(chart, [
      { x, y: series.high, mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { x, y: series.low, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: "#2457d633", name: "95% band" },
      { x, y: series.median, mode: "lines", line: { color: "#2457d6" }, name: "median" },
    ], { ...LAYOUT, height: 220, title: { text: `${metricName(metric)} per window`, font: { size: 12 } },
      xaxis: { title: { text: "s" } } }, CONFIG);
  }
}

const pct = (share) => (share === null || share === undefined ? "n/a" : `${(100 * share).toFixed(1)}%`);

// `sides`: how the study names A and B ("Shop, revision 2", "proposed change (unsaved)"), else the
// topologies' own names.
export function renderComparison(box, doc, sides = null) {
  const [nameA, nameB] = sides || [doc.a.name, doc.b.name];
  const names = el("p", `A: ${nameA} · B: ${nameB} · ${doc.pairs} pairs on the same seeds (${doc.seeds.join(", ")})`, "hint");
  const rows = Object.entries(doc.metrics).map(([m, f]) => {
    const verdict = el("span", f.verdict, f.significant ? "verdict significant" : "verdict");
    const rel = f.relative && f.relative.mean !== null ? `${pct(f.relative.mean)} (${pct(f.relative.low)} to ${pct(f.relative.high)})` : "n/a";
    return [metricName(m), interval(f.a), interval(f.b), interval(f.difference), rel, verdict];
  });
  const t = table(["figure", "A", "B", "B - A (95%)", "relative", "verdict"], rows, "study-table");
  t.id = "ab-table";
  const verdicts = el("ul", null, "study-verdicts");
  verdicts.id = "ab-verdicts";
  for (const sentence of doc.verdicts || []) verdicts.append(el("li", sentence));
  box.append(names, verdicts, t);
  if (doc.a.windows && doc.b.windows) windowCharts(box, doc.b.windows, "study-ab-b");
}
