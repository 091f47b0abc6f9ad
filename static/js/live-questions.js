// A live session's questions as the class sees them: each question's text, state and clock, the
// teacher's buttons (ask, close, reveal) or a student's answer form, and at the reveal the
// answers' distribution against what the run measured. Only how a question looks lives here;
// what is asked of the server is the panel's (live-panel.js), through the two actions it hands
// over. User strings go in as text.
/* global Plotly */
import { loadPlotly } from "./charts.js";
import { $, button, el } from "./dom.js";

const fmt = (v) => (typeof v === "number" ? Number(v.toPrecision(4)).toString() : "–");

export class QuestionList {
  // role: "teacher" or "student"; actions: {act(url, body), answer(question, value)}.
  constructor(role, actions) {
    this.role = role;
    this.actions = actions;
    this.items = new Map(); // question id -> {li, key, clock}: redrawn only when its state changes
  }

  show(q) {
    const key = JSON.stringify([q.state, q.round, q.my_answer, this.role === "teacher" ? q.answered : 0, q.measured]);
    let item = this.items.get(q.id);
    if (item && item.key === key) {
      if (item.clock && q.closes_at) item.clock.textContent = left(q.closes_at);
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
      item.clock = el("span", left(q.closes_at), "clock");
      meta.append(" · ", item.clock);
    }
    if (this.role === "teacher") this.teacherControls(q, li);
    else if (q.state === "open") this.answerForm(q, li);
    if (q.my_answer !== undefined && q.my_answer !== null) {
      li.append(el("p", `Your answer: ${q.kind === "choice" ? q.choices[q.my_answer] : `${fmt(q.my_answer)} ${q.unit}`}`, "mine"));
    }
    if (q.state === "revealed") reveal(q, li);
  }

  teacherControls(q, li) {
    const act = this.actions.act;
    const row = el("div", null, "row");
    const open = `/api/v1/questions/${q.id}/open`;
    if (q.state !== "open") row.append(button(q.round ? "Ask again (new round)" : "Ask the class", () => act(open), "primary"));
    if (q.state === "open") row.append(button("Close answers", () => act(`/api/v1/questions/${q.id}/close`)));
    if (q.round && q.state !== "revealed") {
      // Left empty, a question with a measure is measured by the lab on the run.
      const measured = Object.assign(el("input"), { type: "number", step: "any", size: 7,
        placeholder: q.measure ? "the lab measures" : "measured" });
      measured.setAttribute("aria-label", "What the run measured");
      row.append(measured, button("Reveal", () => act(`/api/v1/questions/${q.id}/reveal`,
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
      this.actions.answer(q, read());
    });
    li.append(form);
  }
}

function left(closesAt) {
  const seconds = Math.max(0, Math.round((new Date(closesAt) - Date.now()) / 1000));
  return `${seconds} s left`;
}

// The answers of every round as bars, the measured value as a red line through its bin.
async function reveal(q, li) {
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
