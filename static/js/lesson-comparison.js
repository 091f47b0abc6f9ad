// How a lesson's designs compare with where they started: a step's comparison chart (its start
// design against the learner's best graded one: p95 latency, errors, cost), and the lesson's
// overview, a table and chart of every step's comparison, opened from the panel's header.
// Apart from the step's checklist because it reads the learner's best results, not the
// attempt in progress.
import { $, el } from "./dom.js";
import { drawComparison, drawOverview } from "./lesson-charts.js";
import { fmt } from "./lesson-predictions.js";

export function showComparison(comparison) {
  $("comparison").hidden = !comparison;
  if (comparison) drawComparison("comparison-chart", comparison).catch(() => {});
}

export function toggleOverview(panel) {
  const open = $("lesson-overview").hidden;
  $("lesson-overview").hidden = !open;
  $("lesson-step").hidden = open;
  $("overview-toggle").setAttribute("aria-expanded", String(open));
  if (open) showOverview(panel);
}

function showOverview(panel) {
  const rows = panel.lesson.steps.map((s) => ({ title: s.title, passed: panel.passed(s), comparison: (s.best || panel.local(s.id)?.best || {}).comparison }));
  const arrow = (c, field) => (c ? `${fmt(c.start && c.start[field])} → ${fmt(c.design && c.design[field])}` : "–");
  $("overview-table").tBodies[0].replaceChildren(...rows.map((r, i) => {
    const tr = el("tr");
    tr.append(el("td", `${i + 1}. ${r.title}`), el("td", r.passed ? "✓" : ""), el("td", arrow(r.comparison, "p95_ms")),
      el("td", arrow(r.comparison, "error_rate_pct")), el("td", arrow(r.comparison, "monthly_cost")));
    return tr;
  }));
  const graded = rows.filter((r) => r.comparison);
  $("overview-chart").hidden = !graded.length;
  if (graded.length) drawOverview("overview-chart", graded).catch(() => {});
}
