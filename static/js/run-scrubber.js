// The scrubber: after a run (or while it is paused) a time slider moves through every window,
// and the page shows that moment: the canvas and the node table as they were then, a cursor on
// the charts, and the requests sampled then (trace-list.js). It is a native range input, so the
// keyboard moves it as any slider (arrows one window, Page Up/Down a tenth, Home and End).
// The slider and the cursor need only the run's history (run-history.js); what the canvas draws
// of the window, its moment, comes from the window store (window-store.js): from memory, where
// every window the run sent left its moment, or, for a run too large for the store's bound,
// fetched with its block of moments.
import { getJSON } from "./api.js";
import { moveCursor, removeCursor } from "./chart-cursor.js";
import { $ } from "./dom.js";
import { showTraces, tracesOf } from "./trace-list.js";
import { WindowStore } from "./window-store.js";

const seconds = (t) => `${Number(t.toFixed(3))}`;

export class Scrubber {
  // `view` is the RunWatch whose run it scrubs: its history, charts and showWindow().
  constructor(view) {
    this.view = view;
    this.box = $("scrubber");
    this.input = $("scrub");
    this.time = $("scrub-time");
    this.traceBox = $("moment-traces");
    this.store = new WindowStore();
    this.on = false;
    this.over = false;
    this.traces = [];
    this.moves = 0; // a move superseded by a later one draws nothing
    this.input.addEventListener("input", () => this.move(Number(this.input.value)));
    // A click on the track is aimed first: the block under the pointer is fetched while it hovers.
    this.input.addEventListener("pointermove", (e) => this.aim(e.clientX));
    // The charts resize with the page (Plotly's responsive layout, a moment later): the cursor follows.
    window.addEventListener("resize", () => setTimeout(() => {
      if (this.on && this.box.dataset.index) moveCursor(this.view.history.at(Number(this.box.dataset.index)).t_end);
    }, 300));
  }

  // A page (a test, or a bench measuring the fetches) may bound the moments kept with the box's
  // data-moment-cells.
  reset(runId) {
    this.store.reset(runId, { cells: Number(this.box.dataset.momentCells) || undefined });
    this.enable(false);
    this.over = false;
    this.traces = [];
    if (this.traceBox) this.traceBox.replaceChildren();
  }

  // Every window the run sends (live or in a finished run's snapshot) leaves its moment in the
  // store: a run the page has seen whole never fetches, unless it is larger than the store's bound.
  arrived(windows) {
    for (const w of windows) this.store.put(w);
    if (this.on) this.toEnd();
  }

  // The run ended: its results' traces, fetched if they were too large for the socket.
  async ended(msg) {
    this.over = true;
    let results = msg.results;
    if (!results && msg.results_omitted) {
      try { results = (await getJSON(`/api/v1/runs/${this.store.runId}/results`)).results; } catch { results = null; }
    }
    this.traces = tracesOf(results);
    this.enable(true);
  }

  // Usable after a run and while one is paused; otherwise the page follows the run live.
  enable(on) {
    const count = this.view.history.length;
    if (this.on && !on) removeCursor();
    this.on = on && count > 0;
    this.box.hidden = !this.on;
    if (this.on) this.toEnd();
  }

  // The slider spans every window so far and stands on the last one, which the canvas shows.
  toEnd() {
    const last = this.view.history.length - 1;
    this.input.max = String(last);
    this.input.value = this.input.max;
    this.last = last;
    this.label(last);
    moveCursor(this.view.history.at(last).t_end);
    this.box.dataset.index = String(last);
    this.showTraces(last);
  }

  label(index) {
    const h = this.view.history.at(index);
    const total = this.view.history.at(this.view.history.length - 1).t_end;
    const text = `${seconds(h.t_start)}–${seconds(h.t_end)} s of ${seconds(total)} s`;
    this.time.textContent = text;
    this.input.setAttribute("aria-valuetext", `window ${index + 1} of ${this.view.history.length}: ${text}`);
  }

  // Show window `index`: the time and the cursor at once, the canvas as soon as its window is
  // here (at once, unless its block has to be fetched). The box then says `scrubbed`, with how
  // long the move took, for the benchmark (bench/scrub_speed.py) and the tests.
  async move(index) {
    const started = performance.now();
    const move = ++this.moves;
    this.label(index);
    const h = this.view.history.at(index);
    moveCursor(h.t_end);
    // A step of less than a block is a drag: the store fetches ahead in its direction.
    const step = index - (this.last ?? index);
    this.last = index;
    const towards = Math.abs(step) <= this.store.block ? Math.sign(step) : 0;
    if (towards) this.store.ahead(index, towards);
    let window = this.store.peek(index);
    const fetched = !window;
    if (!window) {
      try { window = await this.store.get(index); } catch { window = null; }
      if (move !== this.moves) return;
      if (!window) {
        this.time.textContent += " (this window could not be fetched)";
        return;
      }
    }
    this.view.showWindow(window);
    this.showTraces(index);
    this.box.dataset.index = String(index);
    this.box.dispatchEvent(new CustomEvent("scrubbed", { detail: { index, ms: performance.now() - started, fetched } }));
  }

  // The pointer over the track at `x`: the block of the window there is fetched in the
  // background (the store sends one request at a time and skips blocks it holds).
  aim(x) {
    if (!this.on) return;
    const box = this.input.getBoundingClientRect();
    const max = Number(this.input.max);
    if (!box.width || !max) return;
    const index = Math.round(Math.min(1, Math.max(0, (x - box.left) / box.width)) * max);
    this.store.prefetch([this.store.blockOf(index)]);
  }

  // Move to the window holding time `t` (a trace's start), as if the slider had been moved.
  goTo(t) {
    const windows = this.view.history.windows;
    let lo = 0;
    let hi = windows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (windows[mid].t_end <= t) lo = mid + 1;
      else hi = mid;
    }
    this.input.value = String(lo);
    this.input.focus();
    return this.move(lo);
  }

  showTraces(index) {
    if (!this.traceBox) return;
    showTraces(this.traceBox, this.traces, this.view.history.at(index), { over: this.over, go: (t) => this.goTo(t) });
  }
}
