// The study form of the lab's evidence panel: which parameters can be swept (every node's
// number, whole number, choice or switch, and the workload's rate), what B of an A/B can be
// (the canvas as it is now, another revision of this design, or another design of yours such as
// a fork), and the request body the form makes for POST /api/v1/designs/{id}/studies (docs/evidence.md, "The sweep spec").
import { getJSON } from "./api.js";
import { $ } from "./dom.js";

const SWEEPABLE = new Set(["number", "integer", "choice", "boolean"]);

// Fill the parameter selects from the saved revision's nodes and the catalogue's kinds.
export function fillTargets(topology, kinds) {
  const options = [new Option("workload rate (requests/s)", "workload")];
  for (const node of topology.nodes || []) {
    const kind = kinds[node.kind];
    if (!kind || kind.is_source) continue;
    for (const p of kind.params) {
      if (SWEEPABLE.has(p.type)) options.push(new Option(`${node.label || node.id} · ${p.name}${p.unit ? ` (${p.unit})` : ""}`, `${node.id}:${p.name}`));
    }
  }
  $("sweep-target").replaceChildren(...options.map((o) => o.cloneNode(true)));
  $("sweep-target-2").replaceChildren(new Option("(none)", ""), ...options.map((o) => o.cloneNode(true)));
}

// B: the canvas as it is now (a proposed change, unsaved), this design's other revisions, then
// the caller's other designs (a fork among them).
export async function fillSides(design) {
  const select = $("ab-b");
  const options = [new Option("the canvas as it is now (unsaved changes)", "canvas")];
  try {
    const revisions = await getJSON(`/api/v1/designs/${design.id}/revisions?page_size=100`);
    for (const r of revisions.results || []) {
      if (r.number !== design.revision) options.push(new Option(`revision ${r.number}${r.message ? `: ${r.message}` : ""}`, `rev:${r.number}`));
    }
  } catch { /* no revisions to offer */ }
  try {
    const mine = await getJSON("/api/v1/designs?page_size=100");
    for (const d of mine.results || []) {
      if (d.id !== design.id) options.push(new Option(`design ${d.name}`, `design:${d.id}`));
    }
  } catch { /* a visitor has no designs */ }
  select.replaceChildren(...options);
}

function axis(target, text, path) {
  const raw = text.trim();
  if (!raw) throw new Error(`${path}: give values, e.g. 500, 1000, 1500 or 100:1200:12`);
  const [node, param] = target === "workload" ? [null, "rate_per_s"] : target.split(":");
  const out = node ? { node, param } : { workload: "rate_per_s" };
  const range = raw.match(/^\s*([-\d.e]+)\s*:\s*([-\d.e]+)\s*:\s*(\d+)\s*$/);
  if (range) return { ...out, range: { start: Number(range[1]), stop: Number(range[2]), steps: Number(range[3]) } };
  out.values = raw.split(",").map((v) => v.trim()).filter(Boolean).map(value);
  return out;
}

function value(text) {
  if (text === "true" || text === "false") return text === "true";
  const n = Number(text);
  return Number.isNaN(n) ? text : n;
}

// The canvas as it is now: the lab's JSON view mirrors it (lab.js keeps the two in step).
function canvasTopology() {
  try {
    return JSON.parse($("topology").value);
  } catch (error) {
    throw new Error(`the canvas's design is not valid JSON (see the JSON view): ${error.message}`);
  }
}

// The request body of the form as filled, for `kind`; throws an Error with a sentence.
export function requestBody(kind, design) {
  const seeds = Number($("study-seeds").value) || 3;
  const body = { kind };
  const duration = Number($("study-duration").value);
  if (duration > 0) body.duration_s = duration;
  if (kind === "sweep") {
    const axes = [axis($("sweep-target").value, $("sweep-values").value, "values")];
    if ($("sweep-target-2").value) axes.push(axis($("sweep-target-2").value, $("sweep-values-2").value, "2nd values"));
    body.spec = { axes, seeds };
    body.revision = design.revision;
  } else if (kind === "replications") {
    body.seeds = seeds;
    body.revision = design.revision;
  } else {
    const b = $("ab-b").value;
    if (!b) throw new Error("pick B: the canvas as it is now, another revision of this design, or another design of yours");
    body.seeds = seeds;
    body.a = { revision: design.revision };
    if (b === "canvas") body.b = { topology: canvasTopology() };
    else body.b = b.startsWith("rev:") ? { revision: Number(b.slice(4)) } : { design: b.slice(7) };
  }
  return body;
}
