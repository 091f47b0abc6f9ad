// The lesson panel of the lab page: a step's narrative and goals, submitting the design on the
// canvas for grading, the goals turning green or red as the graded run goes, the grade with
// what to look at, hints, the solution as a diff, predictions, and the comparison charts.
// Everything is graded on the server (/api/v1/lessons, docs/api.md "Lessons"); this only shows
// it. A visitor's progress is kept in this browser (lesson-progress.js), a signed-in learner's
// on the server too. User strings go into the page as text; the narrative and the debrief are
// HTML the server rendered from Markdown and sanitised (lab/lessons/render.py).
// This file opens a step and moves between steps; the rest lives beside it: the checklist
// (lesson-goals.js), submitting and grading (lesson-attempts.js), hints, solution and debrief
// (lesson-help.js), predictions (lesson-predictions.js), the comparisons (lesson-comparison.js).
import { getJSON } from "./api.js";
import * as assignment from "./classroom-assignment.js";
import { $ } from "./dom.js";
import { graded, submit } from "./lesson-attempts.js";
import { showComparison, toggleOverview } from "./lesson-comparison.js";
import { pendingGoals, showGoals } from "./lesson-goals.js";
import { moreHints, showDebrief, showHints, showSolution } from "./lesson-help.js";
import { showPredictions } from "./lesson-predictions.js";
import * as progress from "./lesson-progress.js";

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
    $("submit-attempt").addEventListener("click", () => submit(this));
    $("hint-more").addEventListener("click", () => moreHints(this));
    $("solution-show").addEventListener("click", () => showSolution(this));
    $("solution-apply").addEventListener("click", () => { if (this.reference) this.lab.setTopology(this.reference, true); });
    $("overview-toggle").addEventListener("click", () => toggleOverview(this));
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
    showDebrief(step.debrief_html);
    showGoals(pendingGoals(step));
    showPredictions(step.predictions);
    showHints(step.hints);
    const best = step.best || this.local(step.id)?.best;
    showComparison(best && best.comparison);
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

  // For an assignment's submission (classroom-assignment.js): the checklist, and the grade.
  showGoals(items) {
    showGoals(items);
  }

  graded(step, attempt) {
    graded(this, step, attempt);
  }
}
