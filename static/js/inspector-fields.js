// Form fields generated from the engine's parameter declarations, shared by the node and edge
// inspectors.
import { el } from "./dom.js";

export function field(labelText, input, help) {
  const label = el("label");
  label.append(document.createTextNode(labelText), input);
  if (help) label.title = help;
  return label;
}

export function inputFor(param, value) {
  if (param.type === "choice") {
    const select = el("select");
    for (const choice of param.choices) select.append(new Option(choice, choice, false, choice === value));
    return select;
  }
  if (param.type === "boolean") {
    return Object.assign(el("input"), { type: "checkbox", checked: Boolean(value) });
  }
  if (param.type === "number" || param.type === "integer") {
    const input = Object.assign(el("input"), { type: "number", value: String(value) });
    if (param.minimum !== undefined) input.min = param.minimum;
    if (param.maximum !== undefined) input.max = param.maximum;
    input.step = param.type === "integer" ? "1" : "any";
    return input;
  }
  return Object.assign(el("textarea"), { rows: 2, value: JSON.stringify(value) });
}

export function read(param, input) {
  if (param.type === "boolean") return input.checked;
  if (param.type === "choice" || param.type === "text") return input.value;
  if (param.type === "number" || param.type === "integer") return input.value === "" ? NaN : Number(input.value);
  return JSON.parse(input.value);
}

export function problem(param, value) {
  if (param.type === "number" || param.type === "integer") {
    if (!Number.isFinite(value)) return "must be a number";
    if (param.type === "integer" && !Number.isInteger(value)) return "must be a whole number";
    if (param.minimum !== undefined && value < param.minimum) return `must be at least ${param.minimum}`;
    if (param.maximum !== undefined && value > param.maximum) return `must be at most ${param.maximum}`;
  }
  return "";
}
