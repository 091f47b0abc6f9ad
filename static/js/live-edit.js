// Changing a running simulation: a node, one of its live parameters (from the engine's
// declarations) and a value, sent as a set_param command over the run's websocket.
import { $ } from "./dom.js";

export function liveEdit(kinds, getSocket) {
  function editableParams() {
    const option = $("edit-node").selectedOptions[0];
    return option ? kinds[option.dataset.kind].params.filter((p) => p.live && ["number", "integer", "choice", "boolean"].includes(p.type)) : [];
  }

  function fillParams() {
    $("edit-param").replaceChildren(...editableParams().map((p) => {
      const o = new Option(p.unit ? `${p.name} (${p.unit})` : p.name, p.name);
      o.title = p.help;
      return o;
    }));
    showParamHelp();
  }

  function showParamHelp() {
    const param = editableParams().find((p) => p.name === $("edit-param").value);
    $("edit-help").textContent = param ? `${param.help}${param.choices ? ` (${param.choices.join(", ")})` : ""}` : "";
  }

  function parseValue(text, param) {
    if (param.type === "boolean") return text === "true";
    if (param.type === "choice") return text;
    return Number(text);
  }

  $("edit-node").addEventListener("change", fillParams);
  $("edit-param").addEventListener("change", showParamHelp);
  $("edit-apply").addEventListener("click", () => {
    const option = $("edit-node").selectedOptions[0];
    const param = option && kinds[option.dataset.kind].params.find((p) => p.name === $("edit-param").value);
    const socket = getSocket();
    if (!socket || !param) return;
    socket.control({ op: "set_param", node: option.value, param: param.name, value: parseValue($("edit-value").value, param) });
  });

  // The nodes of the current topology, offered for editing.
  return function fillNodes(doc) {
    const nodes = (doc.nodes || []).filter((n) => kinds[n.kind]);
    const current = $("edit-node").value;
    $("edit-node").replaceChildren(...nodes.map((n) => {
      const option = new Option(`${n.label || n.id} (${n.kind})`, n.id, false, n.id === current);
      option.dataset.kind = n.kind;
      return option;
    }));
    fillParams();
  };
}
