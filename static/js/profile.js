// The profile page offers to save the lab's work in progress, made before signing up or in,
// as a design, and the lessons taken as a visitor to the account, so nothing done as a visitor
// is lost.
import { postJSON } from "./api.js";
import { $, el } from "./dom.js";
import * as drafts from "./drafts.js";
import * as lessons from "./lesson-progress.js";

const draft = drafts.unsavedDraft();

if (draft) {
  $("draft-offer").hidden = false;
  $("draft-name").value = typeof draft.name === "string" ? draft.name.slice(0, 200) : "";
  $("draft-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("draft-save").disabled = true;
    const response = await postJSON($("draft-form").dataset.createUrl, { name: $("draft-name").value.trim(), topology: draft });
    $("draft-save").disabled = false;
    if (!response.ok) {
      const problems = (response.body && response.body.problems) || [];
      $("draft-status").textContent = `Not saved: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ") || "the server refused it"}`;
      return;
    }
    drafts.markDraftSaved();
    const link = Object.assign(el("a", response.body.name), { href: response.body.page_url });
    $("draft-status").replaceChildren("Saved as ", link, ".");
    $("draft-form").hidden = true;
  });
  $("draft-dismiss").addEventListener("click", () => {
    drafts.markDraftSaved(); // not offered again; the lab still shows it
    $("draft-offer").hidden = true;
  });
}

const CLAIM_BATCH = 500; // the most attempt ids the server takes in one request
const attemptIds = lessons.allAttemptIds();

if (attemptIds.length) {
  $("lessons-offer").hidden = false;
  $("lessons-save").addEventListener("click", async () => {
    $("lessons-save").disabled = true;
    let claimed = 0;
    for (let i = 0; i < attemptIds.length; i += CLAIM_BATCH) {
      const response = await postJSON($("lessons-save").dataset.claimUrl, { attempts: attemptIds.slice(i, i + CLAIM_BATCH) });
      if (!response.ok) {
        const problems = (response.body && response.body.problems) || [];
        $("lessons-status").textContent = `Not saved: ${problems.map((p) => p.message).join("; ") || "the server refused it"}`;
        $("lessons-save").disabled = false;
        return;
      }
      claimed += response.body.claimed;
    }
    lessons.forgetClaimed();
    $("lessons-status").textContent = claimed === 1 ? "Saved 1 lesson attempt to your account."
      : `Saved ${claimed} lesson attempts to your account.`;
    $("lessons-actions").hidden = true; // (the row's display: flex would beat its own `hidden`)
  });
  $("lessons-dismiss").addEventListener("click", () => {
    $("lessons-offer").hidden = true; // offered again next time: the attempts are still here
  });
}
