// Work in progress kept in this browser, so nothing is lost before it is saved:
// - "archlab.draft": the lab's topology when no design is open, plus a flag set once the user
//   changed it themselves (loading an example is not work worth offering to save);
// - "archlab.design.<id>": unsaved changes to a design being edited, with the revision they
//   started from (they are offered back only while that revision is still the latest).
// localStorage can be full or switched off; then the lab simply does not keep drafts.

export const DRAFT_KEY = "archlab.draft";
const EDITED_KEY = "archlab.draft.edited";
const designKey = (id) => `archlab.design.${id}`;

function get(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

function set(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch { /* storage full or disabled: keep working without a draft */ }
}

export function readDraft() {
  return get(DRAFT_KEY);
}

export function keepDraft(text, edited) {
  set(DRAFT_KEY, text);
  set(EDITED_KEY, edited ? "1" : null);
}

// The draft as a document if the user changed it and has not saved it yet, else null.
export function unsavedDraft() {
  if (get(EDITED_KEY) !== "1") return null;
  try {
    const doc = JSON.parse(get(DRAFT_KEY));
    return doc && typeof doc === "object" && !Array.isArray(doc) ? doc : null;
  } catch {
    return null;
  }
}

export function markDraftSaved() {
  set(EDITED_KEY, null);
}

export function keepDesignWork(id, revision, text) {
  set(designKey(id), JSON.stringify({ revision, text }));
}

export function designWork(id, revision) {
  try {
    const work = JSON.parse(get(designKey(id)));
    return work && work.revision === revision && typeof work.text === "string" ? work.text : null;
  } catch {
    return null;
  }
}

export function dropDesignWork(id) {
  set(designKey(id), null);
}
