// A run's full windows, kept in memory up to a bound and fetched on demand from the REST API
// (GET /api/v1/runs/{id}/windows, in pages of PAGE_SIZE): the scrubber of a run of thousands
// of windows needs any one of them at once, but never all of them at the same time. Pages are
// small because a jump waits for one: the server answers 25 windows in about 17 ms, 100 in 27
// (bench/scrub_speed.py's run, on the lab's 2-core machine).
// The API pages windows in `seq` order and a run's windows are numbered from 0 without gaps, so
// window i is on page floor(i / PAGE_SIZE) + 1. Least recently used windows go first.
import { getJSON } from "./api.js";

export const PAGE_SIZE = 25;
export const BOUND = 1200; // windows kept: about 4 MB of the examples' windows

export class WindowStore {
  constructor({ pageSize = PAGE_SIZE, bound = BOUND } = {}) {
    this.pageSize = pageSize;
    this.bound = bound;
    this.runId = null;
    this.windows = new Map(); // index -> window, least recently used first
    this.loading = new Map(); // page -> its request
    this.count = null; // windows the run has, once a page said so
    this.fetched = 0; // pages fetched, for the curious (and the bench)
  }

  reset(runId) {
    this.runId = runId;
    this.windows.clear();
    this.loading.clear();
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

  // The window, fetched with its page if need be.
  async get(index) {
    const cached = this.peek(index);
    if (cached) return cached;
    await this.page(Math.floor(index / this.pageSize) + 1);
    return this.peek(index);
  }

  // Moving from `index` towards later (+1) or earlier (-1) windows, as a dragged slider does:
  // the page half a page ahead that way is fetched before it is needed.
  ahead(index, towards) {
    const page = Math.floor((index + towards * this.pageSize / 2) / this.pageSize) + 1;
    if (page < 1 || page === Math.floor(index / this.pageSize) + 1) return;
    const first = (page - 1) * this.pageSize;
    const last = Math.min(first + this.pageSize, this.count ?? Infinity) - 1;
    if (last < first || (this.windows.has(first) && this.windows.has(last))) return;
    this.page(page).catch(() => {}); // a prefetch that fails is fetched again when it is needed
  }

  page(page) {
    if (!this.loading.has(page)) {
      const runId = this.runId;
      const url = `/api/v1/runs/${runId}/windows?page=${page}&page_size=${this.pageSize}`;
      const request = getJSON(url).then((body) => {
        if (runId !== this.runId) return; // another run is on screen now
        this.fetched += 1;
        this.count = body.count;
        for (const row of body.results) this.put(row.window);
      }).finally(() => this.loading.delete(page));
      this.loading.set(page, request);
    }
    return this.loading.get(page);
  }
}
