// The lab's Run and Validate buttons: the design in the JSON view sent to the server, to be
// checked, or to start a run with the toolbar's seed, duration and speed. A run the server
// accepts is handed to the run view (run-view.js) to watch; a refusal (a problem in the design,
// or a quota: "not now") is listed under the canvas and the run on screen goes on. Apart from
// run-view.js, which only watches runs, because a lesson or a live session starts its runs its
// own way and hands them to the same view.
import { postJSON } from "./api.js";
import { $, el } from "./dom.js";

// lab: {view, bar, currentTopology, showProblems}, from lab.js.
export function bindRunButtons({ view, bar, currentTopology, showProblems }) {
  async function startRun() {
    const topology = currentTopology();
    if (!topology) return;
    const body = { topology, seed: Number($("seed").value), duration_s: Number($("duration").value), speed: Number($("speed").value),
      ...bar.runFields($("topology").value) };
    const response = await postJSON("/api/v1/runs", body);
    if (response.status === 429) { // over a quota: the design is fine, the server says "not now"
      const why = (response.body.problems || [])[0]?.message || "too many runs at once";
      const wait = response.retryAfter ? ` Try again in about ${response.retryAfter} s.` : "";
      $("status").textContent = `Not started: ${why}.${wait}`;
      // The status line is the running run's; the refusal stays listed until the next start.
      $("problems").replaceChildren(el("li", `Not started: ${why}.${wait}`, "warning"));
      return;
    }
    if (!response.ok) {
      showProblems(response.body.problems || []);
      $("status").textContent = "The run was refused: see the problems listed under the canvas.";
      return;
    }
    showProblems([]);
    // The new run replaces the one on screen, once it is accepted: a refused start (a quota, a
    // problem) leaves the current run going. (A visitor's new run waits in the queue until the
    // old one has stopped.)
    await view.watch(response.body.id, topology);
  }

  $("run").addEventListener("click", startRun);
  $("validate").addEventListener("click", async () => {
    const topology = currentTopology();
    if (!topology) return;
    const response = await postJSON("/api/v1/topologies/check", topology);
    showProblems(response.body.problems || []);
    if (!(response.body.problems || []).length) $("problems").replaceChildren(el("li", "No problems found.", "ok"));
  });
}
