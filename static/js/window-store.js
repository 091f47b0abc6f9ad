// A run's windows for the scrubber, kept in memory up to a bound and fetched on demand from the
// REST API in blocks: GET /api/v1/runs/{id}/windows?seq_from=&seq_to=&fields=moment brings the
// BLOCK windows of one block, each cut to its moment (what the canvas, the node table and the
// charts' cursor draw: under a third of a full window). The scrubber of a run of thousands of
// windows needs any one of them at once, but never all of them at the same time.
// Block b holds windows b * BLOCK to b * BLOCK + BLOCK - 1 (a run's windows are numbered from 0
// without gaps). A move into a block not in memory waits for that one block, once. Prefetches
// go one request at a time: the server answers its views one after another, so a prefetch in
// flight stands in front of the next jump's fetch. A dragged slider fetches the blocks ahead of
// it at once (it will need them); after a jump the blocks on either side come only once the
// slider has rested for IDLE_MS (clicks all over the track would need none of them).
// What a wait costs is mostly the request's own (Daphne and the middleware: 10 to 20 ms
// whatever the block's size), so blocks are large enough that a long run has few of them.
// The full windows the run sent live and the moments fetched are kept apart, each bounded, least
// recently used first out, so a long run never fills the page's memory.
import { getJSON } from "./api.js";

export const BLOCK = 50; // windows a fetch brings: about 40 kB of moments
export const BOUND = 1200; // full windows kept (those the run sent live): about 4 MB
export const MOMENT_BOUND = 3600; // moments kept: about as much memory as the full windows
export const IDLE_MS = 150;

// Windows by index, at most `bound`, the least recently used dropped first.
class Kept {
  constructor(bound) {
    this.bound = bound;
    this.map = new Map(); // index -> window, least recently used first
  }

  has(index) {
    return this.map.has(index);
  }

  get(index) {
    const window = this.map.get(index);
    if (window) {
      this.map.delete(index);
      this.map.set(index, window);
    }
    return window;
  }

  set(window) {
    this.map.delete(window.index);
    this.map.set(window.index, window);
    while (this.map.size > this.bound) this.map.delete(this.map.keys().next().value);
  }

  clear() {
    this.map.clear();
  }

  get size() {
    return this.map.size;
  }
}

export class WindowStore {
  constructor({ block = BLOCK, bound = BOUND, momentBound = MOMENT_BOUND } = {}) {
    this.block = block;
    this.windows = new Kept(bound);
    this.moments = new Kept(momentBound);
    this.runId = null;
    this.loading = new Map(); // block -> its request
    this.queued = []; // blocks to prefetch, nearest the last move first
    this.count = null; // windows the run has, once a block said so
    this.fetched = 0; // blocks fetched, for the curious (and the bench)
    this.idle = null; // the neighbours' prefetch, waiting for the slider to rest
  }

  reset(runId) {
    this.runId = runId;
    this.windows.clear();
    this.moments.clear();
    this.loading.clear();
    this.queued.length = 0;
    clearTimeout(this.idle);
    this.count = null;
  }

  // A full window, as the run sent it.
  put(window) {
    this.windows.set(window);
  }

  has(index) {
    return this.windows.has(index) || this.moments.has(index);
  }

  // The window (or its moment) if it is in memory (it becomes the most recently used), else undefined.
  peek(index) {
    return this.windows.get(index) || this.moments.get(index);
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
        for (const row of body.results) this.moments.set(row.window);
      }).finally(() => this.loading.delete(b));
      this.loading.set(b, request);
    }
    return this.loading.get(b);
  }
}
