// The lesson panel on an assignment of a class (lesson-panel.js, when its context has an
// `assignment`): the step is the assignment's, what the class allows (hints, the reference,
// one more submission) is what the panel offers, and a design is submitted to the assignment
// (/api/v1/assignments/<id>/submissions) and polled there until graded: the grade is the
// attempt's, scored with the class's points, and it reveals the seeds and faults it used.
import { getJSON } from "./api.js";
import { $, el } from "./dom.js";
import { pendingGoals } from "./lesson-goals.js";

const fmt = (v) => (typeof v === "number" ? Number(v.toFixed(2)).toString() : "–");

const POLL_MS = 1000;

export function showRules(panel) {
  const a = panel.assignment;
  for (const id of ["step-prev", "step-next", "step-pick", "overview-toggle"]) $(id).hidden = true;
  if (!a.show_hints) $("hint-more").hidden = true;
  $("hints").hidden = !a.show_hints;
  $("solution-show").hidden = !a.show_reference;
  $("predictions").replaceChildren(); // a guess is a lesson's exercise, not graded work
  if (a.hidden) $("step-scenario").textContent += " The assignment grades it on more seeds or faults, shown once you submit.";
  $("submit-attempt").disabled = !a.can_submit;
  if (!a.can_submit) $("attempt-status").textContent = `You cannot submit now: ${a.why_not}.`;
}

// A submission made: its design's first run plays on the canvas as the lesson's does.
export async function submitted(panel, step, submission, topology) {
  $("attempt-status").textContent = "Submitted: waiting for a simulation worker...";
  panel.showGoals(pendingGoals(step));
  try {
    const attempt = await getJSON(submission.attempt_url);
    const run = attempt.runs.find((r) => r.role === "design");
    if (run) panel.lab.view.watch(run.id, topology, "Graded run: waiting for a simulation worker...");
  } catch { /* the grade still comes; only the run is not played */ }
  poll(panel, step, submission, topology);
}

async function poll(panel, step, submission, topology) {
  let fresh;
  try {
    fresh = await getJSON(submission.url);
  } catch {
    panel.timer = setTimeout(() => poll(panel, step, submission, topology), POLL_MS * 3);
    return;
  }
  if (fresh.status !== "graded" || !fresh.grade) {
    $("attempt-status").textContent = fresh.status === "queued" ? "Submitted: waiting for a simulation worker..."
      : "Grading your submission...";
    panel.timer = setTimeout(() => poll(panel, step, submission, topology), POLL_MS);
    return;
  }
  panel.graded(step, { id: fresh.attempt, grade: fresh.grade, topology });
  $("attempt-status").textContent += ` Score: ${fmt(fresh.score)} of ${fmt(fresh.max_score)}${fresh.late ? " (late)" : ""}.`;
  const scenario = fresh.grade.scenario || {};
  const faults = (scenario.faults || []).map((f) => f.id || f.kind);
  $("guesses").replaceChildren(el("p", `Graded on seeds ${(scenario.seeds || []).join(", ")}${faults.length ? `; faults ${faults.join(", ")}` : ""}.`, "hint"),
    Object.assign(el("a", "Your submissions and their feedback"), { href: panel.assignment.url }));
}
