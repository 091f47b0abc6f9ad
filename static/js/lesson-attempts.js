// Submitting a lesson step for grading and following the grade: the design on the canvas goes
// to the server with the learner's guesses, its first graded run plays on the canvas like any
// run, the checklist follows the runs as they go (polled once a second), and the grade comes
// back goal by goal. Everything is graded on the server (/api/v1/lessons, docs/api.md
// "Lessons"); an assignment's submission goes through classroom-assignment.js instead and
// ends in the same `graded`. A visitor's attempts are kept in this browser (lesson-progress.js).
import { getJSON, postJSON } from "./api.js";
import * as assignment from "./classroom-assignment.js";
import { $, el } from "./dom.js";
import { showComparison } from "./lesson-comparison.js";
import { gradedGoals, pendingGoals, showGoals } from "./lesson-goals.js";
import { showDebrief, showHints } from "./lesson-help.js";
import { guesses, showGuesses } from "./lesson-predictions.js";
import * as progress from "./lesson-progress.js";

const POLL_MS = 1000;

export async function submit(panel) {
  const topology = panel.lab.currentTopology();
  if (!topology) return;
  const step = panel.step;
  $("submit-attempt").disabled = true;
  $("attempt-problems").replaceChildren();
  $("attempt-status").textContent = "Submitting...";
  $("attempt-status").className = "status";
  const response = panel.assignment
    ? await postJSON(`/api/v1/assignments/${encodeURIComponent(panel.assignment.id)}/submissions`, { topology })
    : await postJSON(`/api/v1/lessons/${encodeURIComponent(panel.id)}/steps/${encodeURIComponent(step.id)}/attempts`,
      { topology, predictions: guesses() });
  $("submit-attempt").disabled = false;
  if (!response.ok) {
    const problems = response.body.problems || [];
    const wait = response.status === 429 && response.retryAfter ? ` Try again in about ${response.retryAfter} s.` : "";
    $("attempt-status").textContent = `Not graded: ${problems[0]?.message || `the server answered ${response.status}`}.${wait}`;
    $("attempt-problems").replaceChildren(...problems.slice(1).map((p) => el("li", p.message)));
    panel.lab.showProblems(problems.filter((p) => p.path.startsWith("$.topology.")).map((p) => ({ ...p, path: `$${p.path.slice(9)}` })));
    return;
  }
  if (panel.assignment) {
    assignment.submitted(panel, step, response.body, topology);
    return;
  }
  const attempt = response.body;
  progress.recordAttempt(panel.id, step.id, attempt.id, topology);
  panel.attempt = attempt;
  $("attempt-status").textContent = "Submitted: waiting for a simulation worker...";
  showGoals(pendingGoals(step));
  // The first seed's run of the design plays on the canvas and the charts like any run.
  const run = attempt.runs.find((r) => r.role === "design");
  if (run) panel.lab.view.watch(run.id, topology, "Graded run: waiting for a simulation worker...");
  poll(panel, step, attempt.id);
}

async function poll(panel, step, attemptId) {
  if (panel.step !== step) return; // the learner moved on; the grade waits for their return
  let attempt;
  try {
    attempt = await getJSON(`/api/v1/lessons/${encodeURIComponent(panel.id)}/attempts/${attemptId}`);
  } catch {
    panel.timer = setTimeout(() => poll(panel, step, attemptId), POLL_MS * 3);
    return;
  }
  if (panel.step !== step) return;
  if (attempt.status !== "graded") {
    const running = attempt.runs.filter((r) => r.status === "running" || r.status === "done").length;
    $("attempt-status").textContent = attempt.status === "queued" ? "Submitted: waiting for a simulation worker..."
      : `Grading: ${running} of ${attempt.runs.length} runs started (seeds ${attempt.seeds.join(", ")}).`;
    if (attempt.live) showGoals(attempt.live);
    panel.timer = setTimeout(() => poll(panel, step, attemptId), POLL_MS);
    return;
  }
  graded(panel, step, attempt);
}

export function graded(panel, step, attempt) {
  const grade = attempt.grade;
  if (!panel.assignment) progress.recordGrade(panel.id, step.id, attempt.id, grade, attempt.topology);
  showGoals(gradedGoals(grade));
  $("attempt-problems").replaceChildren(...(grade.problems || []).map((p) => el("li", p.message)));
  $("attempt-status").textContent = grade.passed ? "Passed: every goal is met." :
    (grade.problems || []).length ? "Not graded: a run did not complete." : "Not passed yet: see the goals in red and what to look at.";
  $("attempt-status").className = `status ${grade.passed ? "passed" : "failed"}`;
  $("goals").scrollIntoView({ block: "nearest" }); // the verdict, goal by goal, in sight
  showGuesses(grade.predictions);
  showComparison(grade.comparison);
  if (grade.passed) {
    step.passed = true;
    showDebrief(attempt.debrief_html || step.debrief_html);
    $("step-continue").hidden = panel.lesson.steps.indexOf(step) === panel.lesson.steps.length - 1;
    const option = $("step-pick").selectedOptions[0];
    if (option) option.textContent = `✓ ${step.title}`;
  }
  refresh(panel, step);
}

// After a grade: hints a failed attempt unlocked, the step's best, the debrief.
async function refresh(panel, step) {
  try {
    const lesson = await getJSON(`/api/v1/lessons/${encodeURIComponent(panel.id)}`);
    const fresh = lesson.steps.find((s) => s.id === step.id);
    if (!fresh) return;
    Object.assign(step, { hints: fresh.hints, best: fresh.best, debrief_html: fresh.debrief_html || step.debrief_html,
      passed: fresh.passed || step.passed });
    if (panel.step === step) showHints(step.hints);
  } catch { /* the grade is shown; the hints catch up on the next load */ }
}
