// Watching a run on the lab page: its websocket, the charts, the canvas lit by each window, the
// node table, the failures and the downloads, and the Pause/Step/Stop/Speed controls. The lab's Run
// button starts a run and hands it here; a lesson's graded attempt hands over its first run the
// same way, so a learner sees their graded design come alive like any run.
// User strings always go into the page as text (textContent), never as HTML.
import { loadPlotly } from "./charts.js";
import { $, el } from "./dom.js";
import { RunSocket, isOver } from "./run-socket.js";

const CONTROLS = ["pause", "step", "stop", "edit-apply"];

export class RunView {
  constructor({ editor, kinds, charts }) {
    this.editor = editor;
    this.kinds = kinds;
    this.charts = charts;
    this.socket = null;
    this.runId = null;
    this.paused = false;
    this.pending = []; // windows arrived since the last animation frame
    this.seen = []; // every window of the current run, for a node's own charts
    this.listeners = [];
    // The socket reconnects by itself for a while; then the user decides.
    this.reconnect = el("button", "Reconnect");
    this.reconnect.type = "button";
    this.reconnect.hidden = true;
    $("status").after(this.reconnect);
    this.reconnect.addEventListener("click", () => {
      this.reconnect.hidden = true;
      $("status").textContent = "Reconnecting...";
      if (this.socket) this.socket.retry();
    });
    $("stop").addEventListener("click", () => this.control({ op: "stop" }));
    $("pause").addEventListener("click", () => {
      if (!this.socket) return;
      this.paused = !this.paused;
      this.control({ op: this.paused ? "pause" : "resume" });
      $("pause").textContent = this.paused ? "Resume" : "Pause";
    });
    // One window further, then paused again: a class watches the next window close and discusses.
    $("step").addEventListener("click", () => {
      if (!this.socket) return;
      this.paused = true;
      this.control({ op: "step" });
      $("pause").textContent = "Resume";
    });
    $("speed").addEventListener("change", () => this.control({ op: "speed", value: Number($("speed").value) }));
  }

  running() {
    return Boolean(this.socket) && !$("stop").disabled;
  }

  control(command) {
    if (this.socket) this.socket.control(command);
  }

  // `listener(window)` hears every window drawn (a lesson's checklist follows the run with it).
  onWindow(listener) {
    this.listeners.push(listener);
  }

  // Show run `runId` of `topology` from its first window; the run on screen is replaced.
  async watch(runId, topology, statusText = "Waiting for a simulation worker...") {
    if (this.running()) this.control({ op: "stop" });
    await loadPlotly();
    $("charts-hint").hidden = true;
    if (this.socket) this.socket.close();
    this.runId = runId;
    this.paused = false;
    const nodeIds = (topology.nodes || []).filter((n) => this.kinds[n.kind] && !this.kinds[n.kind].is_source).map((n) => n.id);
    this.charts.reset(nodeIds);
    $("failures").replaceChildren();
    $("downloads").hidden = true;
    for (const id of CONTROLS) $(id).disabled = false;
    $("pause").textContent = "Pause";
    $("status").textContent = statusText;
    this.socket = new RunSocket(runId, {
      snapshot: (msg) => {
        this.pending.length = 0;
        this.seen.splice(0, this.seen.length, ...msg.windows);
        this.charts.reset(this.charts.nodeIds);
        this.charts.append(msg.windows);
        // A run that ended before the socket opened arrives whole in its snapshot: the canvas
        // shows its last window, not the previous run's.
        if (msg.windows.length) this.showWindow(msg.windows[msg.windows.length - 1]);
        this.showStatus(msg);
      },
      window: (msg) => {
        this.pending.push(msg.window);
        if (this.pending.length === 1) requestAnimationFrame(() => this.drawPending());
      },
      status: (msg) => this.showStatus(msg),
      ack() {},
      error: (msg) => { $("status").textContent = msg.message; },
      connection: (state, delayMs) => this.showConnection(state, delayMs),
    });
  }

  showConnection(state, delayMs) {
    this.reconnect.hidden = state !== "gave-up";
    if (state === "reconnecting") {
      $("status").textContent = `Lost the connection to the server; trying again in ${Math.ceil(delayMs / 1000)} s...`;
    } else if (state === "gave-up") {
      $("status").textContent = "Lost the connection to the server and could not get it back. The run goes on without you watching; press Reconnect to try again.";
    } else if (state === "gone") {
      $("status").textContent = "This run does not exist any more, or it is not yours to watch.";
      for (const id of CONTROLS) $(id).disabled = true;
    }
  }

  // Windows that arrived since the last animation frame are drawn together: a run going as fast
  // as possible sends hundreds a second, and one chart update per frame keeps the page responsive.
  drawPending() {
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.seen.push(...batch);
    this.charts.append(batch);
    const last = batch[batch.length - 1];
    this.showWindow(last);
    $("status").textContent = `Running: ${last.t_end.toFixed(0)} s simulated.`;
    for (const listener of this.listeners) listener(last);
  }

  showWindow(window) {
    this.showNodes(window);
    this.editor.showWindow(window);
    this.editor.showEdgeRates(window);
  }

  showStatus(msg) {
    if (msg.status === "queued") $("status").textContent = "Waiting for a simulation worker...";
    if (msg.status === "running" && this.paused) $("status").textContent = "Paused.";
    if (isOver(msg.status)) {
      this.drawPending();
      $("status").textContent = endText(msg);
      for (const id of CONTROLS) $(id).disabled = true;
      if (msg.results) this.showResults(msg.results);
      else if (msg.results_omitted) this.showDownloads(); // too large for the socket: download them
    }
  }

  showNodes(window) {
    const rows = Object.entries(window.nodes).map(([id, m]) => {
      const row = el("tr");
      row.dataset.node = id;
      const util = m.utilization === undefined ? "" : m.utilization.toFixed(2);
      const cells = [id, m.kind, m.arrival_rate_per_s.toFixed(1), util, m.queue_length === undefined ? "" : m.queue_length.toFixed(1), String(m.errors), m.latency_ms.p99.toFixed(1)];
      row.append(...cells.map((text) => el("td", text)));
      if (util) {
        const cell = row.children[3];
        cell.className = "util";
        cell.style.background = `hsl(${120 - 120 * Math.min(1, m.utilization)}, 70%, 85%)`;
      }
      return row;
    });
    $("nodes").tBodies[0].replaceChildren(...rows);
  }

  showResults(results) {
    const overall = results.measured.overall;
    const box = $("failures");
    const causes = Object.entries(overall.failures);
    box.replaceChildren(el("p", causes.length ? causes.map(([c, n]) => `${c}: ${n}`).join(", ") : "No request failed."));
    for (const [cause, traces] of Object.entries(results.traces.failed)) {
      const sample = traces.slice(-3).map((t) => `${t.latency_ms} ms, failed at ${t.failed_at}: ` + t.hops.map((h) => `${h.node} (queue ${h.queue_ms} ms, service ${h.service_ms} ms)`).join(" -> "));
      box.append(el("h3", cause), el("pre", sample.join("\n")));
    }
    this.showDownloads();
  }

  showDownloads() {
    $("download-json").href = `/api/v1/runs/${this.runId}/results.json`;
    $("download-csv").href = `/api/v1/runs/${this.runId}/results.csv`;
    $("downloads").hidden = false;
  }
}

function endText(msg) {
  if (msg.status === "failed") return `The run failed: ${msg.error || "unknown error"}`;
  if (msg.status === "limited") return `The run reached its budget and ended early${msg.reason ? `: ${msg.reason}` : ""}. Its results so far are below.`;
  return `Run ${msg.status}.`;
}
