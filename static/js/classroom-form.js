// The "Set an assignment" form: the points fields shown are the chosen step's goals (the others
// are disabled, so they are not sent).
import { $ } from "./dom.js";

const pick = $("a-step");

function showPoints() {
  for (const group of document.querySelectorAll("#a-points .points-of")) {
    const mine = group.dataset.step === pick.value;
    group.hidden = !mine;
    for (const input of group.querySelectorAll("input")) input.disabled = !mine;
  }
}

if (pick) {
  pick.addEventListener("change", showPoints);
  showPoints();
}
