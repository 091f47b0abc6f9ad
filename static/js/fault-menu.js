import { el } from "./dom.js";
import { field, inputFor, problem, read } from "./inspector-fields.js";

// Inject a fault into the selected node or edge while a run goes on: the fault kinds that can
// hit it, each with its own fields, generated from the engine's catalogue. The run's timeline
// and the charts' time axis show when it starts and ends.

export function faultMenu(container, cell, catalogue, send) {
  const target = cell.isLink() ? "edge" : "node";
  const usable = catalogue.faults.filter((f) => f.target === target || f.target === "node_or_edge");
  if (!usable.length) return;
  const box = el("fieldset", null, "fault-menu");
  box.append(el("legend", "inject a fault now"));
  const kind = Object.assign(el("select"), { name: "fault-kind" });
  kind.append(...usable.map((f) => new Option(f.title, f.kind)));
  const fields = el("div");
  const note = el("span", null, "field-problem");
  const inputs = new Map();
  const fill = () => {
    const spec = usable.find((f) => f.kind === kind.value);
    fields.replaceChildren();
    inputs.clear();
    for (const param of spec.params.filter((p) => p.name !== "start_s")) {
      const value = param.name === "duration_s" ? 30 : param.default;
      const input = inputFor(param, value);
      input.name = `fault-${param.name}`;
      inputs.set(param, input);
      fields.append(field(`${param.name}${param.unit ? ` (${param.unit})` : ""} `, input, param.help));
    }
    kind.title = spec.help;
  };
  kind.addEventListener("change", fill);
  fill();
  const inject = Object.assign(el("button", "Inject"), { type: "button", id: "inject-fault" });
  inject.addEventListener("click", () => {
    const fault = { kind: kind.value, [target]: target === "edge" ? cell.get("edgeId") : cell.id };
    for (const [param, input] of inputs) {
      const value = read(param, input);
      const wrong = problem(param, value);
      if (wrong) { note.textContent = `${param.name} ${wrong}`; return; }
      fault[param.name] = value;
    }
    note.textContent = "";
    send({ op: "inject_fault", fault });
  });
  box.append(field("kind ", kind), fields, inject, note);
  container.append(box);
}
