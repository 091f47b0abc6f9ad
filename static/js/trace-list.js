// The sampled requests of one moment of a run: the results' traces (docs/results.md) that
// started in the window the scrubber shows, each opening on its hops with the time it waited
// for a worker and the time it was served at each node. The results keep only the latest
// sampled requests, so most moments of a long run have none: the list then says where the
// nearest one is and offers to go there.
import { button, el } from "./dom.js";

const ms = (value) => (value === undefined || value === null ? "" : `${Number(value).toFixed(1)} ms`);

export function tracesOf(results) {
  if (!results || !results.traces) return [];
  const failed = Object.values(results.traces.failed || {}).flat();
  return [...(results.traces.sampled || []), ...failed].sort((a, b) => a.start_s - b.start_s);
}

function hopsTable(trace) {
  const table = el("table", null, "hops");
  const head = el("tr");
  head.append(...["node", "arrived (s)", "wait", "service", ""].map((t) => el("th", t)));
  table.createTHead().append(head);
  const body = table.createTBody();
  for (const hop of trace.hops) {
    const row = el("tr");
    row.dataset.node = hop.node;
    row.append(el("td", hop.node), el("td", Number(hop.arrived_s).toFixed(3)), el("td", ms(hop.queue_ms), "wait"),
      el("td", ms(hop.service_ms), "service"), el("td", hop.failed ? `failed: ${hop.failed}` : ""));
    body.append(row);
  }
  return table;
}

function traceItem(trace) {
  const item = el("details", null, "trace");
  item.dataset.request = String(trace.request);
  const outcome = trace.outcome === "completed" ? "completed" : `failed (${trace.cause}${trace.failed_at ? ` at ${trace.failed_at}` : ""})`;
  item.append(el("summary", `Request ${trace.request} · ${trace.class} · started ${Number(trace.start_s).toFixed(3)} s · ${ms(trace.latency_ms)} · ${outcome}`),
    hopsTable(trace));
  if (trace.partial) item.append(el("p", "Only the hop where it failed was recorded (it was not sampled).", "hint"));
  return item;
}

// Fill `box` with the traces that started in [t_start, t_end) of `moment`; `go(t)` moves the
// scrubber to the window holding time t.
export function showTraces(box, traces, moment, { over, go }) {
  const here = traces.filter((t) => t.start_s >= moment.t_start && t.start_s < moment.t_end);
  const title = el("h3", "Requests sampled at this moment");
  if (!over) {
    box.replaceChildren(title, el("p", "The sampled requests come with the results, when the run ends.", "hint"));
    return;
  }
  if (here.length) {
    box.replaceChildren(title, ...here.map(traceItem));
    return;
  }
  const parts = [title];
  if (!traces.length) {
    parts.push(el("p", "The run's results have no sampled requests.", "hint"));
  } else {
    const first = traces[0].start_s;
    const last = traces[traces.length - 1].start_s;
    const nearest = traces.reduce((a, b) => (Math.abs(b.start_s - moment.t_end) < Math.abs(a.start_s - moment.t_end) ? b : a));
    parts.push(el("p", `No sampled request started in this window. The results keep the latest ones, from ${first.toFixed(1)} s to ${last.toFixed(1)} s.`, "hint"),
      button(`Go to the nearest (${nearest.start_s.toFixed(1)} s)`, () => go(nearest.start_s), "small"));
  }
  box.replaceChildren(...parts);
}
