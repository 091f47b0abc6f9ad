// A node's own charts, under the inspector: its latency, utilization and queue over the run;
// once the run is over, the theory beside what it measured (theory-panel.js).
/* global Plotly */
import { el } from "./dom.js";
import { showTheory } from "./theory-panel.js";

// `run` (optional) is the run on screen: its `runId`, and `running()` while it goes on.
export function showNodePanel(container, nodeId, windows, run = null) {
  if (!window.Plotly || !windows.length || !windows[0].nodes[nodeId]) return;
  const box = el("div", null, "node-panel");
  box.dataset.node = nodeId;
  container.append(box);
  if (run && run.runId && !run.running()) showTheory(container, run.runId, nodeId);
  const x = windows.map((w) => w.t_end);
  const m = windows.map((w) => w.nodes[nodeId]);
  const traces = [
    { x, y: m.map((n) => n.latency_ms.p99), name: "p99 ms", mode: "lines" },
    { x, y: m.map((n) => n.latency_ms.mean), name: "mean ms", mode: "lines" },
  ];
  if (m[0].utilization !== undefined) {
    traces.push({ x, y: m.map((n) => n.utilization), name: "utilization", mode: "lines", yaxis: "y2" });
    traces.push({ x, y: m.map((n) => n.queue_length), name: "queue", mode: "lines", yaxis: "y3" });
  }
  Plotly.newPlot(box, traces, {
    title: { text: `${nodeId} over the run`, font: { size: 12 } }, height: 220, margin: { l: 40, r: 40, t: 28, b: 24 },
    legend: { orientation: "h", y: -0.25 }, yaxis: { title: { text: "ms" } },
    yaxis2: { overlaying: "y", side: "right", range: [0, 1.05], showgrid: false },
    yaxis3: { overlaying: "y", side: "right", visible: false },
  }, { responsive: true, displayModeBar: false });
}
