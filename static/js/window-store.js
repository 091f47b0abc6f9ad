// A run's windows for the scrubber, kept in memory up to a bound and fetched on demand from the
// REST API in blocks: GET /api/v1/runs/{id}/windows?seq_from=&seq_to=&fields=moment brings the
// BLOCK windows of one block, each cut to its moment (what the canvas, the node table and the
// charts' cursor draw: about a fifth of a full window). The scrubber of a run of thousands of
// windows needs any one of them at once, but never all of them at the same time.
// Block b holds windows b * BLOCK to b * BLOCK + BLOCK - 1 (a run's windows are numbered from 0
// without gaps). A move into a block not in memory waits for that one block, once. Prefetches
// go one request at a time: the server answers its views one after another, so a prefetch in
// flight stands in front of the next jump's fetch. A dragged slider fetches the blocks ahead of
// it at once (it will need them); after a jump the blocks on either side come only once the
// slider has rested for IDLE_MS (clicks all over the track would need none of them).
// Least recently used windows go first, so a long run never fills the page's memory.
import { getJSON } from "./api.js";

export const BLOCK = 25; // windows a fetch brings: about 20 kB of moments, 5 to 10 ms on the server
export const BOUND = 1200; // windows kept: at most about 4 MB of full windows, much less of moments
export const IDLE_MS = 150;

export class WindowStore {
  constructor({ block = BLOCK, bound = BOUND } = {}) {
    this.block = block;
    this.bound = bound;
    this.runId = null;
    this.windows = new Map(); // index -> window, least recently used first
    this.loading = new Map(); // block -> its request
    this.queued = []; // blocks to prefetch, nearest the last move first
    this.count = null; // windows the run has, once a block said so
    this.fetched = 0; // blocks fetched, for the curious (and the bench)
    this.idle = null; // the neighbours' prefetch, waiting for the slider to rest
  }

  reset(runId) {
    this.runId = runId;
    this.windows.clear();
    this.loading.clear();
    this.queued.length = 0;
    clearTimeout(this.idle);
    this.count = null;
  }

  put(window) {
    this.windows.delete(window.index);
    this.windows.set(window.index, window);
    while (this.windows.size > this.bound) this.windows.delete(this.windows.keys().next().value);
  }

  // The window if it is in memory (it becomes the most recently used), else undefined.
  peek(index) {
    const window = this.windows.get(index);
    if (window) {
      this.windows.delete(index);
      this.windows.set(index, window);
    }
    return window;
  }

  blockOf(index) {
    return Math.floor(index / this.block);
  }

  // Whether block `b` is worth fetching: it is in the run, and its first or last window is not here.
  missing(b) {
    const first = b * this.block;
    const last = Math.min(first + this.block, this.count ?? Infinity) - 1;
    return b >= 0 && last >= first && !(this.windows.has(first) && this.windows.has(last));
  }

  // The window, fetched with its block if need be; the blocks either side follow once the
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
        for (const row of body.results) this.put(row.window);
      }).finally(() => this.loading.delete(b));
      this.loading.set(b, request);
    }
    return this.loading.get(b);
  }
}
