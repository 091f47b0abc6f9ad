// A run's history at a glance, for the scrubber, the charts of a long run and a node's own
// charts (node-panel.js): per window, only the figures those draw (a few hundred bytes, not the
// window's kilobytes), and every event of the timeline. The full windows stay with the window store (window-store.js), fetched when
// the scrubber needs one. A run of thousands of windows is drawn from at most MAX_POINTS points,
// so the charts (and their cursor) stay quick to redraw.

export const MAX_POINTS = 600;

// What the charts keep of a window: the fields charts.js and node-panel.js read, nothing else.
function compact(w) {
  const o = w.overall;
  const nodes = {};
  for (const [id, m] of Object.entries(w.nodes)) {
    nodes[id] = { utilization: m.utilization, queue_length: m.queue_length, latency_ms: { mean: m.latency_ms.mean, p99: m.latency_ms.p99 } };
  }
  return {
    index: w.index, t_start: w.t_start, t_end: w.t_end,
    overall: { throughput_per_s: o.throughput_per_s, errors: o.errors, failures: o.failures, cost_per_hour_usd: o.cost_per_hour_usd,
      latency_ms: { p50: o.latency_ms.p50, p95: o.latency_ms.p95, p99: o.latency_ms.p99 } },
    nodes, events: w.events,
  };
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const max = (values) => values.reduce((a, b) => Math.max(a, b), -Infinity);

// One point for `bucket` consecutive windows: rates and utilization are averaged, latency
// quantiles keep their worst (a spike must not vanish by being averaged away), events are kept.
function merge(bucket) {
  const last = bucket[bucket.length - 1];
  const o = bucket.map((w) => w.overall);
  const causes = new Set(o.flatMap((m) => Object.keys(m.failures)));
  const failures = {};
  for (const c of causes) failures[c] = mean(o.map((m) => m.failures[c] || 0));
  const nodes = {};
  for (const id of Object.keys(last.nodes)) {
    const u = bucket.map((w) => w.nodes[id] && w.nodes[id].utilization).filter((v) => v !== undefined);
    nodes[id] = { utilization: u.length ? mean(u) : undefined };
  }
  return {
    index: last.index, t_start: last.t_start, t_end: last.t_end,
    overall: {
      throughput_per_s: mean(o.map((m) => m.throughput_per_s)), errors: mean(o.map((m) => m.errors)), failures,
      cost_per_hour_usd: mean(o.map((m) => m.cost_per_hour_usd || 0)),
      latency_ms: { p50: max(o.map((m) => m.latency_ms.p50)), p95: max(o.map((m) => m.latency_ms.p95)), p99: max(o.map((m) => m.latency_ms.p99)) },
    },
    nodes, events: bucket.flatMap((w) => w.events),
  };
}

export class RunHistory {
  constructor() {
    this.windows = [];
    this.events = []; // the timeline so far, in order
  }

  clear() {
    this.windows.length = 0;
    this.events.length = 0;
  }

  add(windows) {
    for (const w of windows) {
      this.windows.push(compact(w));
      this.events.push(...w.events);
    }
  }

  get length() {
    return this.windows.length;
  }

  at(index) {
    return this.windows[index];
  }

  // The windows the charts draw: all of them, or buckets of them for a long run.
  forCharts(limit = MAX_POINTS) {
    if (this.windows.length <= limit) return this.windows;
    const size = Math.ceil(this.windows.length / limit);
    const out = [];
    for (let i = 0; i < this.windows.length; i += size) out.push(merge(this.windows.slice(i, i + size)));
    return out;
  }

  // The timeline up to time `t` (inclusive), in order.
  eventsUntil(t) {
    const out = [];
    for (const e of this.events) {
      if (e.t > t) break;
      out.push(e);
    }
    return out;
  }
}
