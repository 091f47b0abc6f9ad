import { el } from "./dom.js";
import { field, inputFor, problem, read } from "./inspector-fields.js";

// The inspector for an edge: its latency (blank: it follows from where the two nodes are
// placed), which request classes it carries, and its resilience policy (timeout, retries,
// circuit breaker, bulkhead), generated from the engine's declarations like node forms.

export function renderEdgeInspector(container, cell, editor) {
  container.append(el("h3", `Edge ${cell.source().id} → ${cell.target().id}`));
  const latency = Object.assign(el("input"), {
    type: "number", min: 0, max: 60000, step: "any", name: "latency_ms", placeholder: "auto (from placement)",
    value: cell.get("latency_ms") === null || cell.get("latency_ms") === undefined ? "" : String(cell.get("latency_ms")),
  });
  const latencyNote = el("span", null, "field-problem");
  latency.addEventListener("change", () => {
    const value = latency.value === "" ? null : Number(latency.value);
    latencyNote.textContent = value === null || (Number.isFinite(value) && value >= 0 && value <= 60000) ? "" : "must be 0 to 60000 ms, or blank";
    if (latencyNote.textContent) return;
    cell.set("latency_ms", value);
    editor.changed();
  });
  const latencyField = field("latency (ms) ", latency, "One-way network latency of the call, paid again by the response. Blank: it follows from the regions and zones of its two ends.");
  latencyField.append(latencyNote);
  container.append(latencyField);
  classFilter(container, cell, editor);
  policyForm(container, cell, editor);
}

function classFilter(container, cell, editor) {
  const classes = ((editor.doc && editor.doc.workload && editor.doc.workload.classes) || [{ name: "read" }]).map((c) => c.name);
  if (classes.length < 2) return;
  const box = el("fieldset", null, "edge-classes");
  box.append(el("legend", "request classes it carries"));
  const chosen = cell.get("classes");
  for (const name of classes) {
    const check = Object.assign(el("input"), { type: "checkbox", name: `class-${name}`, checked: !chosen || chosen.includes(name) });
    check.addEventListener("change", () => {
      const picked = [...box.querySelectorAll("input:checked")].map((i) => i.name.slice(6));
      if (!picked.length) { check.checked = true; return; } // an edge carrying nothing is refused anyway
      cell.set("classes", picked.length === classes.length ? null : picked);
      editor.changed();
    });
    box.append(field(`${name} `, check));
  }
  container.append(box);
}

function policyForm(container, cell, editor) {
  const declared = editor.catalogue.edge_policy || [];
  const box = Object.assign(el("details", null, "edge-policy"), { open: Boolean(cell.get("policy")) });
  box.append(el("summary", "resilience policy"));
  const values = { ...Object.fromEntries(declared.map((p) => [p.name, p.default])), ...(cell.get("policy") || {}) };
  for (const param of declared) {
    const input = inputFor(param, values[param.name]);
    input.name = `policy-${param.name}`;
    const note = el("span", null, "field-problem");
    input.addEventListener("change", () => {
      const value = read(param, input);
      note.textContent = problem(param, value);
      if (note.textContent) return;
      cell.set("policy", { ...(cell.get("policy") || {}), [param.name]: value });
      editor.changed();
    });
    const label = field(`${param.name}${param.unit ? ` (${param.unit})` : ""} `, input, param.help);
    label.append(note);
    box.append(label);
  }
  if (cell.get("policy")) {
    const clear = Object.assign(el("button", "remove policy"), { type: "button" });
    clear.addEventListener("click", () => { cell.set("policy", null); editor.changed(); box.remove(); policyForm(container, cell, editor); });
    box.append(clear);
  }
  container.append(box);
}
