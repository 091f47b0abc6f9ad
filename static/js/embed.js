// The embeddable view: a design drawn read-only, with Run. Runs go through the REST API's /api/v1/runs
// with the design's topology and never change the design; they are watched as on the lab page
// (run-watch.js), with the charts under the canvas.
import { postJSON } from "./api.js";
import { causeCodes, kindsByName } from "./catalogue.js";
import { Charts } from "./charts.js";
import { $, pageData } from "./dom.js";
import { Editor } from "./editor.js";
import { RunWatch } from "./run-watch.js";

// The embed's one addition: the charts appear with the first run, and Run waits for it to end.
class EmbedRun extends RunWatch {
  started() {
    $("charts").hidden = false;
  }

  enable(on) {
    super.enable(on);
    $("run").disabled = on;
  }
}

const topology = pageData("design-topology");
const editor = new Editor({ paperEl: $("canvas"), paletteEl: $("palette"), readOnly: true,
  onChange() {}, onSelect() {} });
editor.load(topology);
const view = new EmbedRun({ editor, kinds: kindsByName(), charts: new Charts(causeCodes()) });

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
  await view.watch(response.body.id, topology);
}

$("run").addEventListener("click", run);
