// A lesson step's goals checklist: each goal with its mark (○ pending, ✓ passing, ✗ failing),
// what was measured, and what to look at when it failed. The panel redraws it as a graded run
// goes and once the grade is in; it is one module because the three states must look alike
// wherever they come from (the step, a live attempt, a grade, an assignment's submission).
import { $, el } from "./dom.js";

const MARK = { pending: "○", passing: "✓", failing: "✗" };

// The step's goals before anything is measured.
export function pendingGoals(step) {
  return step.goals.map((g) => ({ goal: g.id, text: g.text, state: "pending", sentence: "" }));
}

// The goals as graded: passed or not, over how many seeds, and what to look at if not.
export function gradedGoals(grade) {
  return grade.goals.map((g) => ({ goal: g.goal, text: g.text, state: g.passed ? "passing" : "failing",
    sentence: `${g.sentence}${g.seeds_needed > 1 || g.measured.length > 1 ? ` (${g.seeds_passed} of ${g.measured.length} seeds passed, ${g.seeds_needed} needed)` : ""}`,
    look_at: g.passed ? "" : g.look_at }));
}

export function showGoals(items) {
  $("goals").replaceChildren(...items.map((item) => {
    const li = el("li", null, `goal ${item.state}`);
    li.dataset.goal = item.goal;
    li.append(el("span", MARK[item.state] || "○", "mark"), el("span", item.text, "goal-text"));
    if (item.sentence) li.append(el("p", item.sentence, "goal-measure"));
    if (item.look_at) li.append(el("p", /^look at/i.test(item.look_at) ? item.look_at : `Look at: ${item.look_at}`, "goal-look"));
    return li;
  }));
}
