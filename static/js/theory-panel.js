// Theory beside the measurement, in a node's panel once its run is over: the closed form the
// engine chose for the node (M/M/c, M/G/1, Erlang B, Che's approximation, ...), each predicted
// figure beside the measured one with the departure between them (marked when it is large), each
// assumption the model makes with whether it held in this run and why, and the verdict sentence.
// A node with no model says why not. The document is GET /api/v1/runs/{id}/theory
// (docs/theory-overlay.md); a finished run's does not change, so it is fetched once per run.
// It goes first in the inspector, under the node's name and above its parameters, summary first
// (the model, the verdict, predicted beside measured) and the assumptions folded below: on a
// 1366x768 laptop the inspector shows about 200 px, and after a run the prediction is what a
// learner selected the node to see.
// User strings always go into the page as text (textContent), never as HTML.
import { getJSON } from "./api.js";
import { el } from "./dom.js";

// The overlay's own tolerance (TOLERANCE in lab/sim/theory/overlay_doc.py): past it, the verdict
// no longer says "agrees", so the panel marks the figure too.
export const LARGE_DEPARTURE = 0.1;

const overlays = new Map(); // run id -> Promise of {node id: overlay}

function overlayOf(runId) {
  if (!overlays.has(runId)) {
    const loading = getJSON(`/api/v1/runs/${runId}/theory`).then((body) => {
      if (!body.nodes) overlays.delete(runId); // no results yet: ask again next time
      return body.nodes;
    });
    loading.catch(() => overlays.delete(runId));
    overlays.set(runId, loading);
  }
  return overlays.get(runId);
}

// Adds the theory of node `nodeId` in run `runId` to `container` (the inspector), replacing any
// shown before. Says nothing while the run has no results.
export async function showTheory(container, runId, nodeId) {
  let nodes;
  try {
    nodes = await overlayOf(runId);
  } catch {
    return; // the run is gone or not readable: the panel simply has no theory
  }
  const doc = nodes && nodes[nodeId];
  if (!doc || !container.isConnected) return;
  // The selection may have moved on while the document came: only the node shown gets it.
  const panel = container.querySelector(".node-panel");
  if (!panel || panel.dataset.node !== nodeId) return;
  container.querySelector(".theory")?.remove();
  const heading = container.querySelector("h3");
  if (heading) heading.after(theoryBox(doc));
  else container.prepend(theoryBox(doc));
}

export function theoryBox(doc) {
  const box = el("section", null, "theory");
  box.dataset.node = doc.node;
  box.dataset.model = doc.model;
  box.setAttribute("aria-label", `Theory for ${doc.node}`);
  box.append(el("h4", "Theory beside the measurement"));
  if (doc.model === "none") {
    const why = (doc.assumptions || []).find((a) => a.name === "has_model");
    box.append(el("p", "No model for this node.", "theory-model"), el("p", why ? why.why : doc.verdict, "theory-why"));
    return box;
  }
  const model = el("p", null, "theory-model");
  model.append(el("strong", doc.model));
  if (doc.arrival_rate_per_s !== null && doc.arrival_rate_per_s !== undefined) {
    const from = doc.rate_from === "topology" ? "from the design" : "as measured";
    model.append(` at ${number(doc.arrival_rate_per_s)} requests/s (${from})`);
  }
  box.append(model, el("p", doc.verdict, "theory-verdict"));
  if ((doc.figures || []).length) box.append(figuresTable(doc.figures));
  if ((doc.assumptions || []).length) box.append(assumptionList(doc.assumptions));
  return box;
}

function figuresTable(figures) {
  const table = el("table", null, "theory-figures");
  const head = el("tr");
  head.append(...["figure", "predicted", "measured", "off by"].map((t) => el("th", t)));
  table.append(el("thead"), el("tbody"));
  table.tHead.append(head);
  for (const f of figures) {
    const row = el("tr");
    row.dataset.figure = f.name;
    const departure = el("td", f.departure === null || f.departure === undefined ? "" : percent(f.departure));
    if (f.checked && Math.abs(f.departure || 0) > LARGE_DEPARTURE) {
      row.classList.add("large");
      departure.title = `more than ${LARGE_DEPARTURE * 100}% from the prediction`;
    }
    if (!f.checked) row.classList.add("unchecked");
    row.append(el("td", label(f.name)), el("td", number(f.predicted)), el("td", number(f.measured)), departure);
    if (!f.checked) row.title = f.name === "in_node"
      ? "Little's law (L = lambda W): a check of the measurement, not a prediction"
      : "too small to compare: not counted in the verdict";
    table.tBodies[0].append(row);
  }
  return table;
}

// Folded, with the ones that break named on the fold: they are why the verdict says what it does.
function assumptionList(assumptions) {
  const broken = assumptions.filter((a) => !a.holds).map((a) => a.name.replaceAll("_", " "));
  const fold = el("details", null, "theory-detail");
  fold.append(el("summary", broken.length
    ? `Assumptions: ${broken.length} of ${assumptions.length} break (${broken.join(", ")})`
    : `Assumptions: all ${assumptions.length} hold`));
  const list = el("ul", null, "theory-assumptions");
  for (const a of assumptions) {
    const item = el("li", null, a.holds ? "holds" : "breaks");
    item.dataset.assumption = a.name;
    item.append(el("span", a.holds ? "holds" : "breaks", "theory-mark"), " ", el("strong", a.name.replaceAll("_", " ")), `: ${a.why}`);
    list.append(item);
  }
  fold.append(list);
  return fold;
}

const LABELS = {
  wait_ms_mean: "mean wait (ms)", time_in_node_ms_mean: "mean time in node (ms)", utilization: "utilization",
  wait_probability: "P(wait)", queue_length: "queue length", in_node: "in node (Little)",
  blocking_probability: "P(blocked)", cold_start_ratio: "cold starts", throttled_share: "throttled", hit_ratio: "hit ratio",
};

function label(name) {
  if (LABELS[name]) return LABELS[name];
  const [figure, target] = name.split(":");
  return target ? `${figure.replaceAll("_", " ")} to ${target}` : name.replaceAll("_", " ");
}

function number(value) {
  if (value === null || value === undefined) return "not measured";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString("en", { maximumFractionDigits: digits });
}

function percent(share) {
  const p = Math.round(share * 1000) / 10;
  return `${p > 0 ? "+" : ""}${p}%`;
}
