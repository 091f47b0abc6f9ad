// The live session panel: one run on every screen of the class, and the class predicting before
// the reveal. The teacher shows the run (and controls it with the lab's own toolbar and node menu:
// the run is theirs), adds and asks questions, closes and reveals them; a student watches the run
// and answers. Everything is decided on the server (/api/v1/sessions, docs/classroom.md "Live
// sessions"); the panel reads the session once a second, and a student's answers go over the
// session's websocket (session-socket.js). User strings go in as text.
/* global Plotly */
import { getJSON, postJSON } from "./api.js";
import { loadPlotly } from "./charts.js";
import { $, button, el } from "./dom.js";
import { SessionSocket } from "./session-socket.js";

const POLL_MS = 1000;

const fmt = (v) => (typeof v === "number" ? Number(v.toPrecision(4)).toString() : "–");

export class LivePanel {
  // context: {id, title, role, classroom, projector}; lab: {view, setTopology, currentTopology, showProblems}.
  constructor(context, lab) {
    this.id = context.id;
    this.role = context.role;
    this.lab = lab;
    this.runId = null;
    this.items = new Map(); // question id -> {li, key}: redrawn only when its state changes
    this.answers = this.role === "student" ? new SessionSocket(this.id) : null;
    if (this.answers) this.answers.open(); // ready before the first question, so answering is one message
    document.body.classList.add(`live-${this.role}`);
    if (context.projector) document.body.classList.add("projector");
    if ($("live-run")) $("live-run").addEventListener("click", () => this.showRun());
    if ($("live-end")) $("live-end").addEventListener("click", () => this.act(`/api/v1/sessions/${this.id}/end`));
    if ($("question-form")) {
      $("question-kind").addEventListener("change", () => { $("question-choices").hidden = $("question-kind").value !== "choice"; });
      $("question-form").addEventListener("submit", (event) => { event.preventDefault(); this.addQuestion(); });
    }
    this.poll(true);
  }

  async poll(first = false) {
    try {
      const session = await getJSON(`/api/v1/sessions/${this.id}`);
      this.show(session, first);
    } catch (error) {
      $("live-status").textContent = `Lost the session (${error.message}); trying again...`;
    }
    if (!this.ended) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  show(session, first) {
    if (first) this.lab.setTopology(session.topology);
    this.ended = Boolean(session.ended);
    const run = session.run;
    if (run && run.id !== this.runId) {
      this.runId = run.id;
      this.lab.view.watch(run.id, session.topology, "The class's run: waiting for a simulation worker...");
    }
    $("live-status").textContent = this.ended ? "This session has ended." : run ? `${session.title}: the run is ${run.status}.`
      : this.role === "teacher" ? `${session.title}: show the run when the class is ready.` : `${session.title}: waiting for the teacher to start the run.`;
    for (const q of session.questions) this.showQuestion(q);
  }

  async act(url, body = {}) {
    const response = await postJSON(url, body);
    if (!response.ok) {
      const problems = response.body.problems || [];
      $("live-status").textContent = problems.map((p) => p.message).join("; ") || `the server answered ${response.status}`;
      this.lab.showProblems(problems.filter((p) => p.path.startsWith("$.topology")).map((p) => ({ ...p, path: `$${p.path.slice(9)}` })));
      return null;
    }
    if (response.body && response.body.questions) this.show(response.body, false);
    return response.body;
  }

  showRun() {
    const topology = this.lab.currentTopology();
    if (!topology) return;
    this.act(`/api/v1/sessions/${this.id}/run`, { topology, speed: Number($("speed").value), duration_s: Number($("duration").value) });
  }

  addQuestion() {
    const kind = $("question-kind").value;
    const body = { text: $("question-text").value.trim(), kind, unit: $("question-unit").value.trim(), time_limit_s: Number($("question-limit").value) };
    if (kind === "choice") body.choices = $("question-choices").value.split(";").map((c) => c.trim()).filter(Boolean);
    if (kind === "number" && $("question-measure").value) body.measure = { metric: $("question-measure").value, scope: { overall: true } };
    this.act(`/api/v1/sessions/${this.id}/questions`, body).then((done) => { if (done) $("question-text").value = ""; });
  }

  showQuestion(q) {
    const key = JSON.stringify([q.state, q.round, q.my_answer, this.role === "teacher" ? q.answered : 0, q.measured]);
    let item = this.items.get(q.id);
    if (item && item.key === key) {
      if (item.clock && q.closes_at) item.clock.textContent = this.left(q.closes_at);
      return;
    }
    const li = el("li", null, `question ${q.state}`);
    li.dataset.question = q.id;
    if (item) item.li.replaceWith(li);
    else $("live-questions").append(li);
    item = { li, key, clock: null };
    this.items.set(q.id, item);
    li.append(el("p", q.text, "question-text"));
    const meta = el("p", `${q.state}${q.round > 1 ? `, round ${q.round}` : ""} · ${q.answered} answered`, "hint");
    li.append(meta);
    if (q.state === "open") {
      item.clock = el("span", this.left(q.closes_at), "clock");
      meta.append(" · ", item.clock);
    }
    if (this.role === "teacher") this.teacherControls(q, li);
    else if (q.state === "open") this.answerForm(q, li);
    if (q.my_answer !== undefined && q.my_answer !== null) {
      li.append(el("p", `Your answer: ${q.kind === "choice" ? q.choices[q.my_answer] : `${fmt(q.my_answer)} ${q.unit}`}`, "mine"));
    }
    if (q.state === "revealed") this.reveal(q, li);
  }

  left(closesAt) {
    const seconds = Math.max(0, Math.round((new Date(closesAt) - Date.now()) / 1000));
    return `${seconds} s left`;
  }

  teacherControls(q, li) {
    const row = el("div", null, "row");
    const open = `/api/v1/questions/${q.id}/open`;
    if (q.state !== "open") row.append(button(q.round ? "Ask again (new round)" : "Ask the class", () => this.act(open), "primary"));
    if (q.state === "open") row.append(button("Close answers", () => this.act(`/api/v1/questions/${q.id}/close`)));
    if (q.round && q.state !== "revealed") {
      // Left empty, a question with a measure is measured by the lab on the run.
      const measured = Object.assign(el("input"), { type: "number", step: "any", size: 7,
        placeholder: q.measure ? "the lab measures" : "measured" });
      measured.setAttribute("aria-label", "What the run measured");
      row.append(measured, button("Reveal", () => this.act(`/api/v1/questions/${q.id}/reveal`,
        measured.value.trim() === "" ? {} : { measured: Number(measured.value) })));
    }
    li.append(row);
  }

  answerForm(q, li) {
    const form = el("form", null, "row answer");
    let read;
    if (q.kind === "choice") {
      const select = el("select");
      select.setAttribute("aria-label", "Your answer");
      q.choices.forEach((c, i) => select.append(new Option(c, String(i))));
      form.append(select);
      read = () => Number(select.value);
    } else {
      const input = Object.assign(el("input"), { type: "number", step: "any", required: true, size: 8 });
      input.setAttribute("aria-label", "Your answer");
      form.append(input, el("span", q.unit, "unit"));
      read = () => Number(input.value);
    }
    form.append(Object.assign(el("button", "Answer", "primary"), { type: "submit" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.answer(q, read()).then(() => this.pollSoon());
    });
    li.append(form);
  }

  // Over the session's websocket; over HTTP when the socket cannot carry it.
  async answer(q, value) {
    const reply = await this.answers.answer(q.id, value);
    if (reply.type === "unsent") return this.act(`/api/v1/questions/${q.id}/answers`, { value });
    if (reply.type === "error") $("live-status").textContent = reply.message;
    return reply;
  }

  pollSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), 50);
  }

  async reveal(q, li) {
    const rounds = q.rounds || [];
    const last = rounds[rounds.length - 1] || { answers: 0 };
    const summary = q.kind === "choice" ? q.choices.map((c, i) => `${c}: ${(last.counts || [])[i] || 0}`).join(", ")
      : `${last.answers} answers, median ${fmt(last.median)} ${q.unit} (from ${fmt(last.min)} to ${fmt(last.max)})`;
    li.append(el("p", summary, "distribution"));
    if (q.measured !== null && q.measured !== undefined) li.append(el("p", `Measured: ${fmt(q.measured)} ${q.unit}`, "measured"));
    if (q.measured_note) li.append(el("p", q.measured_note, "hint measured-note"));
    const chart = el("div", null, "question-chart");
    li.append(chart);
    await loadPlotly();
    const x = q.kind === "choice" ? q.choices : (last.bins || []).map((b) => `${fmt(b.from)}–${fmt(b.to)}`);
    const traces = rounds.map((r, i) => ({ type: "bar", name: `round ${i + 1}`, x,
      y: q.kind === "choice" ? r.counts : (r.bins || []).map((b) => b.count) }));
    const shapes = [];
    if (q.kind === "number" && q.measured !== null && q.measured !== undefined && last.bins && last.bins.length) {
      const bin = last.bins.findIndex((b) => q.measured >= b.from && q.measured <= b.to);
      if (bin >= 0) shapes.push({ type: "line", xref: "x", yref: "paper", x0: bin, x1: bin, y0: 0, y1: 1, line: { color: "#a1261a", width: 3 } });
    }
    Plotly.react(chart, traces, { margin: { l: 30, r: 6, t: 10, b: 50 }, barmode: "group", shapes, font: { size: 11 },
      showlegend: rounds.length > 1 }, { responsive: true, displayModeBar: false });
  }
}
