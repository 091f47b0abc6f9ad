// The lesson panel of the lab page: a step's narrative and goals, submitting the design on the
// canvas for grading, the goals turning green or red as the graded run goes, the grade with
// what to look at, hints, the solution as a diff, predictions, and the comparison charts.
// Everything is graded on the server (/api/v1/lessons, docs/api.md "Lessons"); this only shows
// it. A visitor's progress is kept in this browser (lesson-progress.js), a signed-in learner's
// on the server too. User strings go into the page as text; the narrative and the debrief are
// HTML the server rendered from Markdown and sanitised (lab/lessons/render.py).
import { getJSON, postJSON } from "./api.js";
import { $, el } from "./dom.js";
import { drawComparison, drawOverview } from "./lesson-charts.js";
import * as progress from "./lesson-progress.js";
import * as assignment from "./classroom-assignment.js";

const POLL_MS = 1000;
const MARK = { pending: "○", passing: "✓", failing: "✗" };

function median(values) {
  const xs = values.filter((v) => typeof v === "number").sort((a, b) => a - b);
  if (!xs.length) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()) : "–");

export class LessonPanel {
  // context: {id, title, step, steps}; lab: {editor, view, panels, setTopology, currentTopology, showProblems}.
  constructor(context, lab) {
    this.id = context.id;
    this.lab = lab;
    // An assignment (context.assignment, from a class): its one step, submitted to the
    // assignment and graded there on its hidden seeds too; the lesson's progress is left alone.
    this.assignment = context.assignment || null;
    this.signedIn = false;
    this.attempt = null;
    this.timer = null;
    $("step-pick").addEventListener("change", () => this.open($("step-pick").value));
    $("step-prev").addEventListener("click", () => this.open(this.neighbour(-1)));
    $("step-next").addEventListener("click", () => this.open(this.neighbour(1)));
    $("step-continue").addEventListener("click", () => this.open(this.neighbour(1)));
    $("step-reset").addEventListener("click", () => this.lab.setTopology(this.step.start, true));
    $("submit-attempt").addEventListener("click", () => this.submit());
    $("hint-more").addEventListener("click", () => this.moreHints());
    $("solution-show").addEventListener("click", () => this.showSolution());
    $("solution-apply").addEventListener("click", () => { if (this.reference) this.lab.setTopology(this.reference, true); });
    $("overview-toggle").addEventListener("click", () => this.toggleOverview());
    this.ready = this.load(context.step);
  }

  async load(asked) {
    try {
      this.lesson = await getJSON(`/api/v1/lessons/${encodeURIComponent(this.id)}`);
    } catch (error) {
      $("lesson-message").textContent = `The lesson did not load (${error.message}); reload the page to try again.`;
      return;
    }
    this.signedIn = document.querySelector("[data-testid=nav-profile]") !== null;
    if (this.assignment) this.lesson.steps = this.lesson.steps.filter((s) => s.id === asked);
    const mine = progress.lessonProgress(this.id);
    const ids = this.lesson.steps.map((s) => s.id);
    const first = [asked, mine && mine.current, this.lesson.progress && this.lesson.progress.current_step].find((s) => ids.includes(s));
    this.open(first || ids[0]);
  }

  local(stepId) {
    const mine = progress.lessonProgress(this.id);
    return (mine && mine.steps && mine.steps[stepId]) || null;
  }

  passed(step) {
    return step.passed || Boolean(this.local(step.id)?.passed);
  }

  neighbour(delta) {
    const i = this.lesson.steps.indexOf(this.step) + delta;
    return this.lesson.steps[Math.max(0, Math.min(this.lesson.steps.length - 1, i))].id;
  }

  // The design a step opens with: the learner's work in progress on it, else their latest
  // submitted design, else where the step starts (for a visitor whose step starts from the
  // design they passed the previous one with, that design from this browser).
  designFor(step, index) {
    const work = this.assignment ? null : this.local(step.id)?.topology;
    if (work && typeof work === "object") return work;
    if (step.topology) return step.topology;
    if (step.start_from === "previous" && !this.signedIn && index > 0) {
      const before = this.local(this.lesson.steps[index - 1].id);
      if (before && before.passed && before.passedTopology) return before.passedTopology;
    }
    return step.start;
  }

  open(stepId) {
    clearTimeout(this.timer);
    this.attempt = null;
    const index = this.lesson.steps.findIndex((s) => s.id === stepId);
    const step = this.lesson.steps[index];
    this.step = step;
    if (!this.assignment) {
      progress.setCurrent(this.id, step.id);
      history.replaceState(null, "", `/lessons/${encodeURIComponent(this.id)}/steps/${encodeURIComponent(step.id)}/`);
    }
    $("step-pick").replaceChildren(...this.lesson.steps.map((s, i) => {
      const option = new Option(`${this.passed(s) ? "✓" : `${i + 1}.`} ${s.title}`, s.id);
      option.selected = s.id === step.id;
      return option;
    }));
    $("step-prev").disabled = index === 0;
    $("step-next").disabled = index === this.lesson.steps.length - 1;
    $("step-title").textContent = `Step ${index + 1} of ${this.lesson.steps.length}: ${step.title}`;
    $("step-narrative").innerHTML = step.narrative_html; // sanitised on the server
    const heading = $("step-narrative").firstElementChild; // the title once is enough
    if (heading && heading.tagName === "H1" && heading.textContent.trim() === step.title) heading.remove();
    $("step-scenario").textContent = `Graded on: ${step.scenario.text}`;
    if (this.assignment) assignment.showRules(this);
    $("attempt-status").textContent = "";
    $("attempt-problems").replaceChildren();
    $("guesses").replaceChildren();
    $("step-continue").hidden = true;
    $("solution").hidden = true;
    this.showDebrief(step.debrief_html);
    this.showGoals(step.goals.map((g) => ({ goal: g.id, text: g.text, state: "pending", sentence: "" })));
    this.showPredictions(step.predictions);
    this.showHints(step.hints);
    const best = step.best || this.local(step.id)?.best;
    this.showComparison(best && best.comparison);
    this.offerPalette(step.palette);
    this.lab.setTopology(this.designFor(step, index));
    $("lesson-message").textContent = "";
  }

  // The kinds a step offers; the others are hidden from the palette (the search box too).
  offerPalette(kinds) {
    let heading = null;
    let offered = 0;
    const close = () => { if (heading) heading.classList.toggle("not-offered", offered === 0); };
    for (const item of document.querySelectorAll("#palette h3, #palette [data-kind]")) {
      if (item.tagName === "H3") {
        close();
        heading = item;
        offered = 0;
        continue;
      }
      const off = Array.isArray(kinds) && !kinds.includes(item.dataset.kind);
      item.classList.toggle("not-offered", off);
      if (!off) offered += 1;
    }
    close(); // a group none of whose kinds the step offers has no heading either
  }

  // Called by the lab with its JSON text whenever the learner changes the design.
  keep(text) {
    if (this.assignment) return; // an assignment's work is not the lesson's work in progress
    try {
      const doc = JSON.parse(text);
      if (this.step && doc && typeof doc === "object") progress.keepTopology(this.id, this.step.id, doc);
    } catch { /* an unfinished edit in the JSON view: kept once it parses */ }
  }

  showGoals(items) {
    $("goals").replaceChildren(...items.map((item) => {
      const li = el("li", null, `goal ${item.state}`);
      li.dataset.goal = item.goal;
      li.append(el("span", MARK[item.state] || "○", "mark"), el("span", item.text, "goal-text"));
      if (item.sentence) li.append(el("p", item.sentence, "goal-measure"));
      if (item.look_at) li.append(el("p", /^look at/i.test(item.look_at) ? item.look_at : `Look at: ${item.look_at}`, "goal-look"));
      return li;
    }));
  }

  showPredictions(predictions) {
    $("predictions").replaceChildren(...predictions.map((p) => {
      const label = el("label", p.question, "prediction");
      const input = Object.assign(el("input"), { type: "number", step: "any", size: 8 });
      input.dataset.prediction = p.id;
      label.append(input, el("span", p.unit, "unit"));
      return label;
    }));
    if (predictions.length) $("predictions").prepend(el("p", "Before you submit: your guess (optional).", "hint"));
  }

  showHints(hints) {
    $("hints").replaceChildren(...hints.unlocked.map((text) => el("li", text)));
    const left = hints.total - hints.unlocked.length;
    $("hint-more").hidden = hints.total === 0;
    $("hint-more").disabled = left <= 0;
    $("hint-more").textContent = left > 0 ? `Show a hint (${hints.unlocked.length + 1} of ${hints.total})` : "No more hints";
  }

  showDebrief(html) {
    $("debrief").hidden = !html;
    $("debrief").innerHTML = html || ""; // sanitised on the server
  }

  showComparison(comparison) {
    $("comparison").hidden = !comparison;
    if (comparison) drawComparison("comparison-chart", comparison).catch(() => {});
  }

  guesses() {
    const out = {};
    for (const input of $("predictions").querySelectorAll("input[data-prediction]")) {
      if (input.value.trim() !== "" && Number.isFinite(Number(input.value))) out[input.dataset.prediction] = Number(input.value);
    }
    return out;
  }

  async submit() {
    const topology = this.lab.currentTopology();
    if (!topology) return;
    const step = this.step;
    $("submit-attempt").disabled = true;
    $("attempt-problems").replaceChildren();
    $("attempt-status").textContent = "Submitting...";
    $("attempt-status").className = "status";
    const response = this.assignment
      ? await postJSON(`/api/v1/assignments/${encodeURIComponent(this.assignment.id)}/submissions`, { topology })
      : await postJSON(`/api/v1/lessons/${encodeURIComponent(this.id)}/steps/${encodeURIComponent(step.id)}/attempts`,
        { topology, predictions: this.guesses() });
    $("submit-attempt").disabled = false;
    if (!response.ok) {
      const problems = response.body.problems || [];
      const wait = response.status === 429 && response.retryAfter ? ` Try again in about ${response.retryAfter} s.` : "";
      $("attempt-status").textContent = `Not graded: ${problems[0]?.message || `the server answered ${response.status}`}.${wait}`;
      $("attempt-problems").replaceChildren(...problems.slice(1).map((p) => el("li", p.message)));
      this.lab.showProblems(problems.filter((p) => p.path.startsWith("$.topology.")).map((p) => ({ ...p, path: `$${p.path.slice(9)}` })));
      return;
    }
    if (this.assignment) {
      assignment.submitted(this, step, response.body, topology);
      return;
    }
    const attempt = response.body;
    progress.recordAttempt(this.id, step.id, attempt.id, topology);
    this.attempt = attempt;
    $("attempt-status").textContent = "Submitted: waiting for a simulation worker...";
    this.showGoals(step.goals.map((g) => ({ goal: g.id, text: g.text, state: "pending", sentence: "" })));
    // The first seed's run of the design plays on the canvas and the charts like any run.
    const run = attempt.runs.find((r) => r.role === "design");
    if (run) this.lab.view.watch(run.id, topology, "Graded run: waiting for a simulation worker...");
    this.poll(step, attempt.id);
  }

  async poll(step, attemptId) {
    if (this.step !== step) return; // the learner moved on; the grade waits for their return
    let attempt;
    try {
      attempt = await getJSON(`/api/v1/lessons/${encodeURIComponent(this.id)}/attempts/${attemptId}`);
    } catch {
      this.timer = setTimeout(() => this.poll(step, attemptId), POLL_MS * 3);
      return;
    }
    if (this.step !== step) return;
    if (attempt.status !== "graded") {
      const running = attempt.runs.filter((r) => r.status === "running" || r.status === "done").length;
      $("attempt-status").textContent = attempt.status === "queued" ? "Submitted: waiting for a simulation worker..."
        : `Grading: ${running} of ${attempt.runs.length} runs started (seeds ${attempt.seeds.join(", ")}).`;
      if (attempt.live) this.showGoals(attempt.live);
      this.timer = setTimeout(() => this.poll(step, attemptId), POLL_MS);
      return;
    }
    this.graded(step, attempt);
  }

  graded(step, attempt) {
    const grade = attempt.grade;
    if (!this.assignment) progress.recordGrade(this.id, step.id, attempt.id, grade, attempt.topology);
    this.showGoals(grade.goals.map((g) => ({ goal: g.goal, text: g.text, state: g.passed ? "passing" : "failing",
      sentence: `${g.sentence}${g.seeds_needed > 1 || g.measured.length > 1 ? ` (${g.seeds_passed} of ${g.measured.length} seeds passed, ${g.seeds_needed} needed)` : ""}`,
      look_at: g.passed ? "" : g.look_at })));
    $("attempt-problems").replaceChildren(...(grade.problems || []).map((p) => el("li", p.message)));
    $("attempt-status").textContent = grade.passed ? "Passed: every goal is met." :
      (grade.problems || []).length ? "Not graded: a run did not complete." : "Not passed yet: see the goals in red and what to look at.";
    $("attempt-status").className = `status ${grade.passed ? "passed" : "failed"}`;
    $("goals").scrollIntoView({ block: "nearest" }); // the verdict, goal by goal, in sight
    $("guesses").replaceChildren(...(grade.predictions || []).map((p) =>
      el("p", `${p.question} You guessed ${fmt(p.guess)} ${p.unit}; measured ${fmt(median(p.measured.map((m) => m.value)))} ${p.unit}.`)));
    this.showComparison(grade.comparison);
    if (grade.passed) {
      step.passed = true;
      this.showDebrief(attempt.debrief_html || step.debrief_html);
      $("step-continue").hidden = this.lesson.steps.indexOf(step) === this.lesson.steps.length - 1;
      const option = $("step-pick").selectedOptions[0];
      if (option) option.textContent = `✓ ${step.title}`;
    }
    this.refresh(step);
  }

  // After a grade: hints a failed attempt unlocked, the step's best, the debrief.
  async refresh(step) {
    try {
      const lesson = await getJSON(`/api/v1/lessons/${encodeURIComponent(this.id)}`);
      const fresh = lesson.steps.find((s) => s.id === step.id);
      if (!fresh) return;
      Object.assign(step, { hints: fresh.hints, best: fresh.best, debrief_html: fresh.debrief_html || step.debrief_html,
        passed: fresh.passed || step.passed });
      if (this.step === step) this.showHints(step.hints);
    } catch { /* the grade is shown; the hints catch up on the next load */ }
  }

  async moreHints() {
    const response = await postJSON(`/api/v1/lessons/${encodeURIComponent(this.id)}/steps/${encodeURIComponent(this.step.id)}/hints`, {});
    if (!response.ok) {
      $("lesson-message").textContent = (response.body.problems || [])[0]?.message || "No hint now.";
      return;
    }
    this.step.hints = { total: response.body.total, unlocked: response.body.unlocked };
    this.showHints(this.step.hints);
  }

  async showSolution() {
    const solution = await getJSON(`/api/v1/lessons/${encodeURIComponent(this.id)}/steps/${encodeURIComponent(this.step.id)}/solution`);
    this.reference = solution.reference;
    // The server compares with the design last submitted for the step (or the start design).
    $("solution-against").textContent = `What the reference changes, compared with ${solution.against}:`;
    $("solution-words").replaceChildren(...solution.words.map((w) => el("li", w)));
    $("solution").hidden = false;
  }

  toggleOverview() {
    const open = $("lesson-overview").hidden;
    $("lesson-overview").hidden = !open;
    $("lesson-step").hidden = open;
    $("overview-toggle").setAttribute("aria-expanded", String(open));
    if (open) this.drawOverview();
  }

  drawOverview() {
    const rows = this.lesson.steps.map((s) => ({ title: s.title, passed: this.passed(s), comparison: (s.best || this.local(s.id)?.best || {}).comparison }));
    const arrow = (c, field) => (c ? `${fmt(c.start && c.start[field])} → ${fmt(c.design && c.design[field])}` : "–");
    $("overview-table").tBodies[0].replaceChildren(...rows.map((r, i) => {
      const tr = el("tr");
      tr.append(el("td", `${i + 1}. ${r.title}`), el("td", r.passed ? "✓" : ""), el("td", arrow(r.comparison, "p95_ms")),
        el("td", arrow(r.comparison, "error_rate_pct")), el("td", arrow(r.comparison, "monthly_cost")));
      return tr;
    }));
    const graded = rows.filter((r) => r.comparison);
    $("overview-chart").hidden = !graded.length;
    if (graded.length) drawOverview("overview-chart", graded).catch(() => {});
  }
}
