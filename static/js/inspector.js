import { postJSON } from "./api.js";
import { $, el } from "./dom.js";
import { renderEdgeInspector } from "./edge-inspector.js";
import { field, inputFor, problem, read } from "./inspector-fields.js";

// The inspector: a form for the selected node or edge, generated from the engine's parameter
// declarations (type, unit, default, range, help). Out-of-range values are flagged as typed and
// not applied; parameters that only matter for another choice are hidden.

export function renderInspector(container, cell, editor) {
  container.replaceChildren();
  if (!cell) {
    container.append(el("p", "Select a node or an edge to edit it.", "hint"));
    return;
  }
  if (cell.isLink()) {
    renderEdgeInspector(container, cell, editor);
    return;
  }
  const kind = editor.kinds[cell.get("kind")];
  container.append(el("h3", `${kind.title}: ${cell.id}`));
  const label = Object.assign(el("input"), { value: cell.get("label"), name: "label" });
  label.addEventListener("change", () => editor.setLabel(cell, label.value.slice(0, 100)));
  container.append(field("label ", label));
  placement(container, cell, editor);
  const params = { ...Object.fromEntries(kind.params.map((p) => [p.name, p.default])), ...cell.get("params") };
  for (const param of kind.params) {
    const shown = Object.entries(param.when || {}).every(([other, values]) => values.includes(params[other]));
    if (!shown) continue;
    const input = inputFor(param, params[param.name]);
    input.name = param.name;
    const note = el("span", null, "field-problem");
    input.addEventListener("change", () => {
      let value;
      try { value = read(param, input); } catch { note.textContent = "is not valid JSON"; return; }
      note.textContent = problem(param, value);
      if (note.textContent) return;
      editor.setParam(cell, param.name, value);
      if (param.type === "choice") renderInspector(container, cell, editor); // other fields may appear
      else if (cell.get("kind") === "traffic_source") drawRateCurve(container, cell);
    });
    const label = field(`${param.name}${param.unit ? ` (${param.unit})` : ""} `, input, param.help);
    label.append(note);
    container.append(label);
  }
  if (cell.get("kind") === "traffic_source") drawRateCurve(container, cell);
}

// Region and zone, from the topology's list of regions (shown as groups on the canvas).
function placement(container, cell, editor) {
  const regions = (editor.doc && editor.doc.regions) || [];
  if (!regions.length) return;
  const region = el("select");
  region.name = "region";
  region.append(new Option("(none)", ""), ...regions.map((r) => new Option(r.label || r.id, r.id, false, r.id === cell.get("region"))));
  const zone = el("select");
  zone.name = "zone";
  const fillZones = () => {
    const zones = (regions.find((r) => r.id === region.value) || { zones: [] }).zones || [];
    zone.replaceChildren(new Option("(none)", ""), ...zones.map((z) => new Option(z, z, false, z === cell.get("zone"))));
  };
  fillZones();
  region.addEventListener("change", () => {
    cell.set({ region: region.value || null, zone: null });
    fillZones();
    editor.changed();
  });
  zone.addEventListener("change", () => {
    cell.set("zone", zone.value || null);
    editor.changed();
  });
  container.append(field("region ", region), field("zone ", zone));
}

// The source's rate over the run, as the engine computes it, so a ramp or a spike is seen
// before it is run.
async function drawRateCurve(container, cell) {
  const until = Number($("duration").value) || 300;
  const response = await postJSON("/api/v1/sources/preview", { params: cell.get("params"), until_s: until });
  container.querySelector(".rate-preview")?.remove();
  if (!response.ok) return;
  const points = response.body.points;
  const peak = Math.max(1, ...points.map(([, r]) => r));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 200 50");
  svg.setAttribute("class", "rate-preview");
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map(([t, r]) => `${(200 * t) / until},${48 - (44 * r) / peak}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#2457d6");
  const caption = document.createElementNS(ns, "title");
  caption.textContent = `rate over ${until} s; peak ${peak.toFixed(0)} requests/s`;
  svg.append(caption, line);
  container.append(svg);
}
