// The help a lesson step gives, in the order a learner reaches for it: hints unlocked one at a
// time (a failed attempt unlocks some too), the reference solution described as what it
// changes compared with the learner's last design (with Apply), and the debrief once the step
// is passed. The server decides what is unlocked (/api/v1/lessons, docs/api.md "Lessons"); this
// shows it. The debrief is HTML the server rendered from Markdown and sanitised.
import { getJSON, postJSON } from "./api.js";
import { $, el } from "./dom.js";

export function showHints(hints) {
  $("hints").replaceChildren(...hints.unlocked.map((text) => el("li", text)));
  const left = hints.total - hints.unlocked.length;
  $("hint-more").hidden = hints.total === 0;
  $("hint-more").disabled = left <= 0;
  $("hint-more").textContent = left > 0 ? `Show a hint (${hints.unlocked.length + 1} of ${hints.total})` : "No more hints";
}

export async function moreHints(panel) {
  const response = await postJSON(`/api/v1/lessons/${encodeURIComponent(panel.id)}/steps/${encodeURIComponent(panel.step.id)}/hints`, {});
  if (!response.ok) {
    $("lesson-message").textContent = (response.body.problems || [])[0]?.message || "No hint now.";
    return;
  }
  panel.step.hints = { total: response.body.total, unlocked: response.body.unlocked };
  showHints(panel.step.hints);
}

export async function showSolution(panel) {
  const solution = await getJSON(`/api/v1/lessons/${encodeURIComponent(panel.id)}/steps/${encodeURIComponent(panel.step.id)}/solution`);
  panel.reference = solution.reference;
  // The server compares with the design last submitted for the step (or the start design).
  $("solution-against").textContent = `What the reference changes, compared with ${solution.against}:`;
  $("solution-words").replaceChildren(...solution.words.map((w) => el("li", w)));
  $("solution").hidden = false;
}

export function showDebrief(html) {
  $("debrief").hidden = !html;
  $("debrief").innerHTML = html || ""; // sanitised on the server
}
