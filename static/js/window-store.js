// A run's windows for the scrubber: the moment of each (what the canvas, the node table and the
// charts' cursor draw of it: each node's load, utilization, queue, errors, latency, instances
// and healthy targets, each edge's rate; about a fifth of a window), kept in memory up to a bound.
// Every window the run sends, live or in the snapshot of a finished run, leaves its moment here as
// it arrives, so the scrubber of a run the page has seen finds every moment at once, with no
// request. Only a run too large for the bound (a design of many nodes over thousands of windows)
// loses its earliest moments, least recently used first out; those are fetched again on demand
// from the REST API in blocks: GET /api/v1/runs/{id}/windows?seq_from=&seq_to=&fields=moment.
// Block b holds windows b * BLOCK to b * BLOCK + BLOCK - 1 (a run's windows are numbered from 0
// without gaps). A move into a block not in memory waits for that one block, once. Prefetches
// go one request at a time: the server answers its views one after another, so a prefetch in
// flight stands in front of the next jump's fetch. A dragged slider fetches the blocks ahead of
// it at once (it will need them); after a jump the blocks on either side come only once the
// slider has rested for IDLE_MS (clicks all over the track would need none of them).
// What a wait costs is mostly the request's own (Daphne and the middleware: 10 to 20 ms
// whatever the block's size), so blocks are large enough that a long run has few of them.
import { getJSON } from "./api.js";

export const BLOCK = 50; // windows a fetch brings: about 40 kB of moments
// Moments are weighed in cells: one for the moment and one for each node and edge in it. 150,000
// cells is the moments of 7,200 windows (the run budget's most, lab/sim/budget.py) of a design of
// 20 nodes and edges, or of 3,600 windows of 40: about 18 MB of the page's memory (0.7 kB for a
// moment of 6 cells, measured in Chromium), where the page kept 1,200 full windows before.
export const MOMENT_CELLS = 150_000;
export const IDLE_MS = 150;

// What the scrubber draws of a node (lab/runs/selectors.MOMENT_FIGURES, the API's `moment`).
export const MOMENT_FIGURES = ["kind", "arrival_rate_per_s", "utilization", "queue_length", "errors", "latency_ms",
  "instances", "instances_booting", "healthy_targets", "targets"];

// The moment of a full window, as the API cuts it, less its `faults` and `unhealthy`: without
// them the canvas takes both from the run's timeline up to the window's end (canvas-moment.js).
export function momentOf(window) {
  const nodes = {};
  for (const [id, m] of Object.entries(window.nodes || {})) {
    const cut = {};
    for (const key of MOMENT_FIGURES) if (key in m) cut[key] = m[key];
    nodes[id] = cut;
  }
  const edges = {};
  for (const [id, e] of Object.entries(window.edges || {})) edges[id] = { from: e.from, to: e.to, rate_per_s: e.rate_per_s };
  return { index: window.index, t_start: window.t_start, t_end: window.t_end, nodes, edges };
}

const cellsOf = (moment) => 1 + Object.keys(moment.nodes || {}).length + Object.keys(moment.edges || {}).length;

// Moments by index, at most `bound` cells, the least recently used dropped first.
class Kept {
  constructor(bound) {
    this.bound = bound;
    this.map = new Map(); // index -> [moment, its cells], least recently used first
    this.cells = 0;
  }

  has(index) {
    return this.map.has(index);
  }

  get(index) {
    const entry = this.map.get(index);
    if (!entry) return undefined;
    this.map.delete(index);
    this.map.set(index, entry);
    return entry[0];
  }

  set(moment) {
    this.drop(moment.index);
    const cells = cellsOf(moment);
    this.map.set(moment.index, [moment, cells]);
    this.cells += cells;
    while (this.cells > this.bound && this.map.size > 1) this.drop(this.map.keys().next().value);
  }

  drop(index) {
    const entry = this.map.get(index);
    if (!entry) return;
    this.map.delete(index);
    this.cells -= entry[1];
  }

  clear() {
    this.map.clear();
    this.cells = 0;
  }

  get size() {
    return this.map.size;
  }
}

export class WindowStore {
  constructor({ block = BLOCK, cells = MOMENT_CELLS } = {}) {
    this.block = block;
    this.cells = cells;
    this.moments = new Kept(cells);
    this.runId = null;
    this.loading = new Map(); // block -> its request
    this.queued = []; // blocks to prefetch, nearest the last move first
    this.count = null; // windows the run has, once a block said so
    this.fetched = 0; // blocks fetched, for the curious (and the bench)
    this.idle = null; // the neighbours' prefetch, waiting for the slider to rest
  }

  // Start over on run `runId`; `cells` (if given) bounds its moments instead of MOMENT_CELLS.
  reset(runId, { cells } = {}) {
    this.runId = runId;
    this.moments.clear();
    this.moments.bound = cells > 0 ? cells : this.cells; // (not a number, or none: the default)
    this.loading.clear();
    this.queued.length = 0;
    clearTimeout(this.idle);
    this.count = null;
  }

  // A full window, as the run sent it: its moment is kept.
  put(window) {
    this.moments.set(momentOf(window));
  }

  has(index) {
    return this.moments.has(index);
  }

  // The moment if it is in memory (it becomes the most recently used), else undefined.
  peek(index) {
    return this.moments.get(index);
  }

  blockOf(index) {
    return Math.floor(index / this.block);
  }

  // Whether block `b` is worth fetching: it is in the run, and its first or last window is not here.
  missing(b) {
    const first = b * this.block;
    const last = Math.min(first + this.block, this.count ?? Infinity) - 1;
    return b >= 0 && last >= first && !(this.has(first) && this.has(last));
  }

  // The moment, fetched with its block if need be; the blocks either side follow once the
  // slider rests.
  async get(index) {
    const cached = this.peek(index);
    if (cached) return cached;
    clearTimeout(this.idle);
    const b = this.blockOf(index);
    await this.load(b);
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.prefetch([b + 1, b - 1]), IDLE_MS);
    return this.peek(index);
  }

  // Moving from `index` towards later (+1) or earlier (-1) windows, as a dragged slider does:
  // the windows from half a block to a block and a half ahead that way are fetched before they
  // are needed (one block ahead is often not enough: a quick drag crosses a block in two moves).
  ahead(index, towards) {
    const own = this.blockOf(index);
    const blocks = [0.5, 1.5].map((k) => this.blockOf(index + towards * k * this.block)).filter((b) => b !== own);
    if (blocks.length) this.prefetch([...new Set(blocks)]);
  }

  // Fetch `blocks` in the background, one request at a time; a newer wish goes first.
  prefetch(blocks) {
    this.queued = [...blocks.filter((b) => this.missing(b)), ...this.queued.filter((b) => !blocks.includes(b))].slice(0, 4);
    if (this.loading.size) return; // the request in flight calls again when it is done
    const next = this.queued.shift();
    // A prefetch that fails is fetched again when it is needed.
    if (next !== undefined) this.load(next).catch(() => {}).finally(() => this.prefetch([]));
  }

  load(b) {
    if (!this.loading.has(b)) {
      const runId = this.runId;
      const first = b * this.block;
      const url = `/api/v1/runs/${runId}/windows?seq_from=${first}&seq_to=${first + this.block - 1}&fields=moment`;
      const request = getJSON(url).then((body) => {
        if (runId !== this.runId) return; // another run is on screen now
        this.fetched += 1;
        this.count = body.count;
        for (const row of body.results) this.moments.set(row.window);
      }).finally(() => this.loading.delete(b));
      this.loading.set(b, request);
    }
    return this.loading.get(b);
  }
}
