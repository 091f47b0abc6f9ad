// Watching a run on the lab page: what every page shows of a run (run-watch.js: the websocket,
// the charts, the canvas lit by each window, Stop and Speed), and the lab's own parts: the node
// table, the failures and the downloads, Pause and Step (which make the run scrubbable), the
// headline figures and Print, and the live change's Apply. The lab's
// Run button starts a run and hands it here; a lesson's graded attempt hands over its first run
// the same way, so a learner sees their graded design come alive like any run.
// User strings always go into the page as text (textContent), never as HTML.
import { $, el, pageData } from "./dom.js";
import { bindPrint, showHeadline } from "./run-report.js";
import { RunWatch } from "./run-watch.js";

// Beside Stop (run-watch.js), the lab's buttons that act on the run on screen.
const CONTROLS = ["pause", "step", "edit-apply"];

export class RunView extends RunWatch {
  constructor(options) {
    super(options);
    this.paused = false;
    $("pause").addEventListener("click", () => {
      if (!this.socket) return;
      this.paused = !this.paused;
      this.control({ op: this.paused ? "pause" : "resume" });
      $("pause").textContent = this.paused ? "Resume" : "Pause";
      this.scrubbable(this.paused);
    });
    // One window further, then paused again: a class watches the next window close and discusses.
    $("step").addEventListener("click", () => {
      if (!this.socket) return;
      this.paused = true;
      this.control({ op: "step" });
      $("pause").textContent = "Resume";
      this.scrubbable(true);
    });
    bindPrint(this.editor);
    // A link to a run (`?run=<id>`: back to one's own run, or a benchmark's) shows it on the
    // design the page opened with, once the page has drawn it, scrubbable if it is over.
    const linked = new URLSearchParams(location.search).get("run");
    const context = pageData("lab-context");
    if (linked && !context.lesson && !context.live) {
      window.addEventListener("load", () => this.watch(linked, this.editor.toTopology(), "Loading the run..."));
    }
  }

  started() {
    this.paused = false;
    $("charts-hint").hidden = true;
    $("failures").replaceChildren();
    $("downloads").hidden = true;
    showHeadline(null);
    $("pause").textContent = "Pause";
  }

  enable(on) {
    super.enable(on);
    for (const id of CONTROLS) $(id).disabled = !on;
  }

  showWindow(window) {
    this.showNodes(window);
    super.showWindow(window);
  }

  showStatus(msg) {
    super.showStatus(msg);
    if (msg.status === "running" && this.paused) $("status").textContent = "Paused.";
  }

  ended(msg) {
    if (msg.results) this.showResults(msg.results);
    else if (msg.results_omitted) this.showDownloads(); // too large for the socket: download them
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
    showHeadline(results);
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
    $("run-report-link").href = `/runs/${this.runId}/report`; // printable, and shared with whoever may see the run
    $("downloads").hidden = false;
  }
}
