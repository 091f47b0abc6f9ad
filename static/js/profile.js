// The profile page offers to save the lab's work in progress, made before signing up or in,
// as a design, so nothing built as a visitor is lost.
import { postJSON } from "./api.js";
import * as drafts from "./drafts.js";

const $ = (id) => document.getElementById(id);
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
    const link = Object.assign(document.createElement("a"), { href: response.body.url, textContent: response.body.name });
    $("draft-status").replaceChildren("Saved as ", link, ".");
    $("draft-form").hidden = true;
  });
  $("draft-dismiss").addEventListener("click", () => {
    drafts.markDraftSaved(); // not offered again; the lab still shows it
    $("draft-offer").hidden = true;
  });
}
