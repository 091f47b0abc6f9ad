// The embeddable view: a design drawn read-only, with Run. Runs go through the REST API's /api/v1/runs
// with the design's topology and never change the design.
import { postJSON } from "./api.js";
import { causeCodes, kindsByName } from "./catalogue.js";
import { Charts, loadPlotly } from "./charts.js";
import { $, pageData } from "./dom.js";
import { Editor } from "./editor.js";
import { RunSocket } from "./run-socket.js";

const topology = pageData("design-topology");
const kinds = kindsByName();
const editor = new Editor({ paperEl: $("canvas"), paletteEl: $("palette"), readOnly: true,
  onChange() {}, onSelect() {} });
editor.load(topology);
const charts = new Charts(causeCodes());
let socket = null;
const pending = [];

function over(status) {
  return ["done", "stopped", "failed"].includes(status);
}

// Windows arriving within one animation frame are drawn together, as in the lab.
function draw() {
  const batch = pending.splice(0);
  if (!batch.length) return;
  charts.append(batch);
  const last = batch[batch.length - 1];
  editor.showWindow(last);
  editor.showEdgeRates(last);
  $("status").textContent = `Running: ${last.t_end.toFixed(0)} s simulated.`;
}

async function run() {
  $("run").disabled = true;
  const response = await postJSON("/api/v1/runs", { topology, speed: Number($("speed").value) });
  if (!response.ok) {
    // Framed by another site, the browser keeps this site's cookies away, and with them the
    // CSRF token a run needs: the link in the header opens the design in Archlab itself.
    $("status").textContent = response.status === 403
      ? "This page cannot start a run from inside another site: open it in Archlab with the link above."
      : `The run was refused: ${((response.body.problems || [])[0] || { message: "unknown" }).message}`;
    $("run").disabled = false;
    return;
  }
  await loadPlotly();
  $("charts").hidden = false;
  charts.reset((topology.nodes || []).filter((n) => kinds[n.kind] && !kinds[n.kind].is_source).map((n) => n.id));
  if (socket) socket.close();
  pending.length = 0;
  socket = new RunSocket(response.body.id, {
    snapshot(msg) {
      pending.length = 0;
      charts.reset(charts.nodeIds);
      charts.append(msg.windows);
    },
    window(msg) {
      pending.push(msg.window);
      if (pending.length === 1) requestAnimationFrame(draw);
    },
    status(msg) {
      if (msg.status === "queued") $("status").textContent = "Waiting for a simulation worker...";
      if (over(msg.status)) {
        draw();
        $("status").textContent = msg.status === "failed" ? `The run failed: ${msg.error || "unknown error"}` : `Run ${msg.status}.`;
        $("stop").disabled = true;
        $("run").disabled = false;
      }
    },
    ack() {},
    error(msg) {
      $("status").textContent = msg.message;
    },
  });
  $("stop").disabled = false;
}

$("run").addEventListener("click", run);
$("stop").addEventListener("click", () => socket && socket.control({ op: "stop" }));
$("speed").addEventListener("change", () => socket && socket.control({ op: "speed", value: Number($("speed").value) }));
