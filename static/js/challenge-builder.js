// The challenge builder: the form <-> the challenge document (docs/challenges.md), Check (every
// problem beside its field: challenge-problems.js), and Save (then the class's assignment form
// with the challenge chosen). The goal vocabulary comes from the page (builder-data), never from
// this file.
import { getJSON, postJSON } from "./api.js";
import { startCapture } from "./challenge-capture.js";
import { showProblems } from "./challenge-problems.js";
import { $, el, pageData } from "./dom.js";

const data = pageData("builder-data");
const vocab = data.vocabulary;
const metrics = Object.fromEntries(vocab.metrics.map((m) => [m.name, m]));
const goalRows = $("c-goals").tBodies[0];
const faultRows = $("c-faults").tBodies[0];

function option(select, value, label) {
  const o = el("option");
  o.value = value; o.textContent = label ?? value;
  select.append(o);
}

for (const id of ["c-start-design", "c-ref-design"]) for (const d of data.designs) option($(id), d.id, d.name);

function faultIds() {
  return [...faultRows.rows].map((r) => r.querySelector("[name=id]").value.trim()).filter(Boolean);
}

function fillSpans(row, chosen) {
  const span = row.querySelector("[name=span]");
  span.replaceChildren();
  for (const s of vocab.spans) option(span, s, s === "measured" ? "after the warm-up" : "worst window");
  for (const f of faultIds()) option(span, `fault:${f}`, `while ${f} is active`);
  if (chosen) span.value = chosen;
}

function fillScopes(row, chosen) {
  const metric = metrics[row.querySelector("[name=metric]").value];
  const scope = row.querySelector("[name=scope]");
  scope.replaceChildren();
  for (const s of metric.scopes) option(scope, s);
  if (chosen && metric.scopes.includes(chosen)) scope.value = chosen;
  row.querySelector("[name=unit]").value = metric.unit;
  row.querySelector("[name=scope_name]").hidden = scope.value === "overall";
}

export function addGoal(goal = {}) {
  const row = $("goal-row").content.firstElementChild.cloneNode(true);
  const metric = row.querySelector("[name=metric]");
  for (const m of vocab.metrics) option(metric, m.name, `${m.label} (${m.unit})`);
  for (const c of vocab.compares) option(row.querySelector("[name=compare]"), c);
  metric.value = goal.metric && metrics[goal.metric] ? goal.metric : vocab.metrics[0].name;
  const [kind, name] = Object.entries(goal.scope || { overall: true })[0];
  fillScopes(row, kind);
  row.querySelector("[name=scope_name]").value = kind === "overall" ? "" : name;
  const span = goal.span && typeof goal.span === "object" && goal.span.fault ? `fault:${goal.span.fault}` : goal.span;
  fillSpans(row, span || "measured");
  if (goal.compare) row.querySelector("[name=compare]").value = goal.compare;
  if (goal.value !== undefined) row.querySelector("[name=value]").value = goal.value;
  if (goal.points !== undefined) row.querySelector("[name=points]").value = goal.points;
  if (goal.id) row.dataset.id = goal.id;
  if (goal.text) row.dataset.text = goal.text;
  metric.addEventListener("change", () => fillScopes(row));
  row.querySelector("[name=scope]").addEventListener("change", () => fillScopes(row, row.querySelector("[name=scope]").value));
  row.querySelector(".remove").addEventListener("click", () => row.remove());
  goalRows.append(row);
}

function addFault(fault = {}) {
  const row = $("fault-row").content.firstElementChild.cloneNode(true);
  const kind = row.querySelector("[name=kind]");
  for (const f of vocab.faults) option(kind, f.kind, f.title);
  const { id, node, kind: k, start_s: at, duration_s: dur, ...more } = fault;
  row.querySelector("[name=id]").value = id || `fault-${faultRows.rows.length + 1}`;
  row.querySelector("[name=node]").value = node || "";
  if (k) kind.value = k;
  if (at !== undefined) row.querySelector("[name=start_s]").value = at;
  if (dur !== undefined) row.querySelector("[name=duration_s]").value = dur;
  if (Object.keys(more).length) row.querySelector("[name=more]").value = JSON.stringify(more);
  row.querySelector(".remove").addEventListener("click", () => { row.remove(); refreshSpans(); });
  row.querySelector("[name=id]").addEventListener("change", refreshSpans);
  faultRows.append(row);
  refreshSpans();
}

function refreshSpans() {
  for (const row of goalRows.rows) fillSpans(row, row.querySelector("[name=span]").value);
}

const number = (input) => (input.value.trim() === "" ? input.value : Number(input.value));
// A field that does not parse is sent as written: the server says what is wrong with it, there.
const json = (text) => { try { return JSON.parse(text); } catch { return text; } };

function goalOf(row) {
  const get = (n) => row.querySelector(`[name=${n}]`);
  const scope = get("scope").value === "overall" ? { overall: true } : { [get("scope").value]: get("scope_name").value.trim() };
  const span = get("span").value.startsWith("fault:") ? { fault: get("span").value.slice(6) } : get("span").value;
  const goal = { metric: get("metric").value, scope, span, compare: get("compare").value, value: number(get("value")),
                 unit: metrics[get("metric").value].unit, points: number(get("points")) };
  if (row.dataset.id) goal.id = row.dataset.id;
  if (row.dataset.text) goal.text = row.dataset.text;
  return goal;
}

function faultOf(row) {
  const get = (n) => row.querySelector(`[name=${n}]`);
  const more = get("more").value.trim() ? json(get("more").value) : {};
  return { ...(typeof more === "object" && more ? more : {}), id: get("id").value.trim(), kind: get("kind").value,
           node: get("node").value.trim(), start_s: number(get("start_s")), duration_s: number(get("duration_s")) };
}

export function documentOf() {
  const scenario = { duration_s: number($("c-duration")), warmup_s: number($("c-warmup")),
                     seeds: $("c-seeds").value.split(/[\s,]+/).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
                     faults: [...faultRows.rows].map(faultOf) };
  if (!$("c-keep-traffic").checked) scenario.traffic = [{ source: $("c-source").value.trim(), params: { rate_per_s: number($("c-rate")) } }];
  const doc = { title: $("c-title").value, narrative: $("c-narrative").value, start: json($("c-start-json").value),
                scenario, goals: [...goalRows.rows].map(goalOf) };
  if ($("c-summary-text").value.trim()) doc.summary = $("c-summary-text").value;
  if ($("c-ref-json").value.trim()) doc.reference = json($("c-ref-json").value);
  return doc;
}

function load(doc) {
  $("c-title").value = doc.title || ""; $("c-narrative").value = doc.narrative || "";
  $("c-summary-text").value = doc.summary || "";
  if (doc.start) $("c-start-json").value = JSON.stringify(doc.start, null, 1);
  if (doc.reference) $("c-ref-json").value = JSON.stringify(doc.reference, null, 1);
  const s = doc.scenario || {};
  if (s.duration_s !== undefined) $("c-duration").value = s.duration_s;
  if (s.warmup_s !== undefined) $("c-warmup").value = s.warmup_s;
  if (s.seeds) $("c-seeds").value = s.seeds.join(", ");
  $("c-keep-traffic").checked = !s.traffic;
  if (s.traffic?.[0]) { $("c-source").value = s.traffic[0].source; $("c-rate").value = s.traffic[0].params?.rate_per_s ?? ""; }
  for (const f of s.faults || []) addFault(f);
  for (const g of doc.goals || []) addGoal(g);
}

async function check() {
  const answer = await postJSON("/api/v1/lessons/authored/challenges/check", documentOf());
  showProblems(answer.body.problems || []);
  return answer;
}

async function save(event) {
  event.preventDefault();
  const answer = await postJSON("/api/v1/lessons/authored/challenges", documentOf());
  if (!answer.ok) { showProblems(answer.body.problems || []); return; }
  const query = new URLSearchParams({ lesson: answer.body.key, step: vocab.step });
  window.location.assign(`${data.assign}?${query}${data.classroom ? "#new-assignment" : ""}`);
}

async function useDesign(select, textarea) {
  if (!select.value) return;
  const design = await getJSON(`/api/v1/designs/${encodeURIComponent(select.value)}`);
  textarea.value = JSON.stringify(design.topology, null, 1);
}

function readFile(input, textarea) {
  const file = input.files[0];
  if (file) file.text().then((text) => { textarea.value = text; });
}

$("c-start-design").addEventListener("change", () => useDesign($("c-start-design"), $("c-start-json")));
$("c-ref-design").addEventListener("change", () => useDesign($("c-ref-design"), $("c-ref-json")));
$("c-start-file").addEventListener("change", () => readFile($("c-start-file"), $("c-start-json")));
$("c-ref-file").addEventListener("change", () => readFile($("c-ref-file"), $("c-ref-json")));
$("c-add-goal").addEventListener("click", () => addGoal());
$("c-add-fault").addEventListener("click", () => addFault());
$("c-check").addEventListener("click", check);
$("challenge-form").addEventListener("submit", save);
if (data.document) load(data.document); else addGoal({ metric: "latency_p95_ms", compare: "<=" });
startCapture({ documentOf, addGoal });
