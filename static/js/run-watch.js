// Watching a run, on every page that shows one: its websocket, the charts, the canvas lit by
// each window, the status line, Stop and Speed, and getting a lost connection back. The lab's
// run view (run-view.js) adds its node table, failures, downloads and Pause/Step through the
// hooks below; the embed (embed.js) adds only its Run button. So a run is drawn the same way
// everywhere, and written once. After a run, and while it is paused, the scrubber
// (run-scrubber.js) moves through its windows; the run's history (run-history.js) draws a long
// run's charts from a few hundred points.
// User strings always go into the page as text (textContent), never as HTML.
import { momentOf, showMoment } from "./canvas-moment.js";
import { CHART_IDS, pointsDrawn } from "./chart-cursor.js";
import { addChartExports } from "./chart-export.js";
import { loadPlotly } from "./charts.js";
import { $, button } from "./dom.js";
import { MAX_POINTS, RunHistory } from "./run-history.js";
import { Scrubber } from "./run-scrubber.js";
import { RunSocket, isOver } from "./run-socket.js";

export class RunWatch {
  // The page has #status, #stop, #speed and the chart boxes charts.js draws into.
  constructor({ editor, kinds, charts }) {
    this.editor = editor;
    this.kinds = kinds;
    this.charts = charts;
    this.socket = null;
    this.runId = null;
    this.pending = []; // windows arrived since the last animation frame
    // Every window of the current run in brief (the full ones are the scrubber's window store's,
    // bounded): `seen` is what a node's own charts draw from.
    this.history = new RunHistory();
    this.listeners = [];
    // A page with the scrubber's markup (#scrubber) gets a scrubber; every chart, its PNG and SVG.
    this.scrubber = $("scrubber") ? new Scrubber(this) : null;
    this.showExports = addChartExports(CHART_IDS, (id) => `archlab-run-${String(this.runId).slice(0, 8)}-${id.replace("chart-", "")}`);
    // The socket reconnects by itself for a while; then the user decides.
    this.reconnect = button("Reconnect", () => {
      this.reconnect.hidden = true;
      $("status").textContent = "Reconnecting...";
      if (this.socket) this.socket.retry();
    });
    this.reconnect.hidden = true;
    $("status").after(this.reconnect);
    $("stop").addEventListener("click", () => this.control({ op: "stop" }));
    $("speed").addEventListener("change", () => this.control({ op: "speed", value: Number($("speed").value) }));
  }

  get seen() {
    return this.history.windows;
  }

  // Hooks for what else a page shows of a run; here, nothing.
  // Before a run is shown (its charts are about to be drawn afresh).
  started() {}

  // After a run ended, with its last status message (results, or results_omitted).
  ended() {}

  // The buttons that act on a run: usable while one is on, not once it is over or gone.
  enable(on) {
    $("stop").disabled = !on;
  }

  running() {
    return Boolean(this.socket) && !$("stop").disabled;
  }

  // The scrubber is usable (after a run, while it is paused) or the page follows the run live.
  scrubbable(on) {
    if (this.scrubber) this.scrubber.enable(on);
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
    this.started();
    if (this.socket) this.socket.close();
    this.runId = runId;
    const nodeIds = (topology.nodes || []).filter((n) => this.kinds[n.kind] && !this.kinds[n.kind].is_source).map((n) => n.id);
    this.charts.reset(nodeIds);
    this.history.clear();
    if (this.scrubber) this.scrubber.reset(runId);
    this.showExports(true);
    this.enable(true);
    $("status").textContent = statusText;
    this.socket = new RunSocket(runId, {
      snapshot: (msg) => {
        this.pending.length = 0;
        this.history.clear();
        this.history.add(msg.windows);
        if (this.scrubber) this.scrubber.arrived(msg.windows);
        this.charts.reset(this.charts.nodeIds);
        this.charts.append(isOver(msg.status) ? this.history.forCharts() : msg.windows);
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
      this.enable(false);
    }
  }

  // Windows that arrived since the last animation frame are drawn together: a run going as fast
  // as possible sends hundreds a second, and one chart update per frame keeps the page responsive.
  drawPending() {
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.history.add(batch);
    this.charts.append(batch);
    if (this.scrubber) this.scrubber.arrived(batch);
    const last = batch[batch.length - 1];
    this.showWindow(last);
    $("status").textContent = `Running: ${last.t_end.toFixed(0)} s simulated.`;
    for (const listener of this.listeners) listener(last);
  }

  // The canvas at `window`'s end: its load, and the faults and health of the timeline until then.
  // The paper is frozen meanwhile, so that each cell is drawn once with all of its changes.
  showWindow(window) {
    const paper = this.editor.paper;
    const frozen = paper.isFrozen();
    if (!frozen) paper.freeze();
    try {
      this.editor.showWindow(window);
      this.editor.showEdgeRates(window);
      showMoment(this.editor, window, momentOf(this.history.eventsUntil(window.t_end)));
    } finally {
      if (!frozen) paper.unfreeze();
    }
  }

  // A long run's charts, once it is over, drawn again from its history's few hundred points.
  condense() {
    if (pointsDrawn() <= MAX_POINTS) return;
    this.charts.reset(this.charts.nodeIds);
    this.charts.append(this.history.forCharts());
  }

  showStatus(msg) {
    if (msg.status === "queued") $("status").textContent = "Waiting for a simulation worker...";
    if (isOver(msg.status)) {
      this.drawPending();
      this.condense();
      $("status").textContent = endText(msg);
      this.enable(false);
      this.ended(msg);
      if (this.scrubber) this.scrubber.ended(msg);
    }
  }
}

function endText(msg) {
  if (msg.status === "failed") return `The run failed: ${msg.error || "unknown error"}`;
  if (msg.status === "limited") return `The run reached its budget and ended early${msg.reason ? `: ${msg.reason}` : ""}. Its results so far are below.`;
  return `Run ${msg.status}.`;
}
