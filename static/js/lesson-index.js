// The lesson index for a visitor: their progress is kept in this browser (lesson-progress.js),
// so the server cannot list it; this fills it in. A signed-in learner's comes from the server.
import { el } from "./dom.js";
import { lessonProgress } from "./lesson-progress.js";

for (const card of document.querySelectorAll(".lesson-card[data-lesson]:not(.broken)")) {
  const mine = lessonProgress(card.dataset.lesson);
  const line = card.querySelector(".progress");
  if (!mine || !line || line.querySelector("a")?.textContent !== "Start") continue;
  const passed = Object.values(mine.steps || {}).filter((s) => s && s.passed).length;
  const link = el("a", "continue");
  link.href = `/lessons/${encodeURIComponent(card.dataset.lesson)}/` + (mine.current ? `steps/${encodeURIComponent(mine.current)}/` : "");
  line.replaceChildren(`${passed} of ${card.dataset.steps} steps passed (in this browser) · `, link);
}
