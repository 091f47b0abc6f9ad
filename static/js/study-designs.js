// The evidence panel's Designs view: several saved designs side by side, cost per hour against
// p99, the Pareto front marked and named in a sentence (GET /api/v1/studies/frontier). The
// designs offered are the caller's own, the one on screen (it may be someone else's, shared by a
// link), and any added by its address or id. Each design's point is its latest finished run over
// seeds; those without one are listed with what to do. User strings go in as text, never HTML.
/* global Plotly */
import { getJSON } from "./api.js";
import { loadPlotly } from "./charts.js";
import { $, el } from "./dom.js";
import { CONFIG, LAYOUT, interval, metricName } from "./study-format.js";

const MAX = 20;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function choice(design, checked) {
  const box = el("input");
  Object.assign(box, { type: "checkbox", value: design.id, checked, name: "designs" });
  const label = el("label", null, "design-choice");
  label.append(box, ` ${design.name}`);
  if (design.owner && !design.mine) label.append(el("span", ` (${design.owner})`, "hint"));
  return label;
}

export async function fillDesigns(current) {
  const list = $("designs-list");
  const shown = [{ id: current.id, name: current.name || "this design", mine: Boolean(current.editable) }];
  try {
    const mine = await getJSON(`/api/v1/designs?page_size=100`);
    for (const d of mine.results || []) if (d.id !== current.id) shown.push({ id: d.id, name: d.name, mine: true });
  } catch { /* a visitor has no designs of their own */ }
  list.replaceChildren(...shown.map((d, i) => choice(d, i < 4)));
}

function addByAddress(event) {
  event.preventDefault();
  const input = $("designs-add");
  const id = (input.value.match(UUID) || [])[0];
  $("designs-problems").replaceChildren();
  if (!id) {
    $("designs-problems").append(el("li", "Paste a design's address (…/designs/<id>/…) or its id."));
    return;
  }
  if (!$("designs-list").querySelector(`input[value="${id.toLowerCase()}"]`)) {
    $("designs-list").append(choice({ id: id.toLowerCase(), name: id.toLowerCase() }, true));
  }
  input.value = "";
}

async function compare(event) {
  event.preventDefault();
  const ids = [...$("designs-list").querySelectorAll("input:checked")].map((b) => b.value);
  const problems = $("designs-problems");
  problems.replaceChildren();
  if (ids.length < 2 || ids.length > MAX) {
    problems.append(el("li", `Pick 2 to ${MAX} designs to compare; ${ids.length} ${ids.length === 1 ? "is" : "are"} picked.`));
    return;
  }
  const response = await fetch(`/api/v1/studies/frontier?designs=${ids.join(",")}`, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    problems.append(...(body.problems || [{ message: `the server answered ${response.status}` }]).map((p) => el("li", p.message)));
    return;
  }
  await loadPlotly();
  show(body);
}

function show(doc) {
  const box = $("designs-result");
  box.replaceChildren();
  const sentence = el("p", doc.sentence, "study-knee");
  sentence.id = "designs-sentence";
  box.append(sentence);
  if (doc.points.length) box.append(chart(doc));
  const notes = el("ul", null, "study-advice");
  notes.id = "designs-without";
  for (const w of doc.without) notes.append(el("li", `${w.design.name}: ${w.reason}`));
  if (doc.not_found.length) notes.append(el("li", `${doc.not_found.length} of the designs picked do not exist, or are not yours to see.`));
  box.append(notes);
}

function chart(doc) {
  const div = el("div", null, "study-plot");
  div.id = "designs-pareto";
  const { x, y } = doc;
  const bars = (axis) => ({ type: "data", symmetric: false, color: "#9aa5b8",
    array: doc.points.map((p) => (p[axis].high === null ? 0 : p[axis].high - p[axis].mean)),
    arrayminus: doc.points.map((p) => (p[axis].low === null ? 0 : p[axis].mean - p[axis].low)) });
  const label = (p) => `${p.design.name} (revision ${p.revision}, ${p.study.seeds} seeds)<br>cost ${interval(p[x])}<br>p99 ${interval(p[y])}`;
  const front = doc.front.map((id) => doc.points.find((p) => p.design.id === id));
  const top = Math.max(...doc.points.map((p) => (p[y].high === null ? p[y].mean : p[y].high)));
  requestAnimationFrame(() => Plotly.react(div, [
    { x: doc.points.map((p) => p[x].mean), y: doc.points.map((p) => p[y].mean), text: doc.points.map(label), hoverinfo: "text",
      mode: "markers", name: "designs", marker: { color: "#9aa5b8", size: 9 }, error_x: bars(x), error_y: bars(y) },
    { x: front.map((p) => p[x].mean), y: front.map((p) => p[y].mean), text: front.map(label), hoverinfo: "text",
      mode: "lines+markers", name: "Pareto front", marker: { color: "#d6452a", size: 11 } },
  ], { ...LAYOUT, height: 280, title: { text: "Cost against p99, the Pareto front marked", font: { size: 12 } },
    // A p99 cannot be below zero, whatever a wide interval over two seeds says.
    xaxis: { title: { text: metricName(x) } }, yaxis: { title: { text: metricName(y) }, range: [0, 1.1 * top] } }, CONFIG));
  return div;
}

export function initDesigns(current) {
  $("designs-form").addEventListener("submit", compare);
  $("designs-add-form").addEventListener("submit", addByAddress);
  return fillDesigns(current);
}
