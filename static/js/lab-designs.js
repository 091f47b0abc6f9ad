// The lab's saving bar: "Save as design" for a signed-in user, "Save" (a new revision) while
// editing their own design, "Save as my fork" while viewing someone else's, each through the REST
// API (POST /api/v1/designs, .../revisions, .../fork: the page data gives their addresses). It
// also decides where work in progress is kept (drafts.js) and tells a run which saved revision it
// is running.
import { postJSON } from "./api.js";
import { $ } from "./dom.js";
import * as drafts from "./drafts.js";

const text = (doc) => JSON.stringify(doc, null, 2); // as the lab's JSON view writes it

export class DesignBar {
  // context: the page's "lab-context" data; topology(): the lab's document or null (when the
  // JSON view does not parse: it says why); showProblems(problems): list them in the lab.
  constructor({ context, topology, showProblems }) {
    this.context = context;
    this.design = context.design;
    this.topology = topology;
    this.showProblems = showProblems;
    this.savedText = this.design ? text(this.design.topology) : null;
    const on = (id, handler) => { if ($(id)) $(id).addEventListener("click", handler); };
    on("save-as-design", () => this.busy("save-as-design", () => this.saveAs()));
    on("save-design", () => this.busy("save-design", () => this.save()));
    on("fork-design", () => this.busy("fork-design", () => this.fork()));
  }

  // The document the lab opens with: the design, or the unsaved changes made to it in this
  // browser since its latest revision; null when no design is open.
  initial() {
    if (!this.design) return null;
    const work = this.design.editable ? drafts.designWork(this.design.id, this.design.revision) : null;
    if (work && work !== this.savedText) {
      try {
        const doc = JSON.parse(work);
        this.status("Your unsaved changes are back; Save keeps them as a new revision.");
        return doc;
      } catch { /* an unfinished edit that does not parse: open the saved revision */ }
    }
    return this.design.topology;
  }

  // Called with the lab's JSON text on every change; `edited` when the user made the change.
  keep(json, edited) {
    if (!this.design) {
      drafts.keepDraft(json, edited);
      if ($("draft-hint")) $("draft-hint").hidden = !edited;
    } else if (this.design.editable) {
      if (edited) drafts.keepDesignWork(this.design.id, this.design.revision, json);
    } else if (edited) {
      // Changes to someone else's design are the visitor's own work: kept like any draft.
      drafts.keepDraft(json, true);
    }
  }

  // What a run sends along so it is recorded against the revision it ran (unchanged only).
  runFields(json) {
    return this.design && json === this.savedText ? { design: this.design.id, revision: this.design.revision } : {};
  }

  async busy(id, action) {
    $(id).disabled = true;
    try { await action(); } finally { $(id).disabled = false; }
  }

  status(message, kind = "") {
    $("save-status").textContent = message;
    $("save-status").className = kind;
  }

  refused(body) {
    const problems = (body && body.problems) || [];
    // The lab shows problems at the topology's own paths ("$.nodes[0]"), not the request's.
    this.showProblems(problems.map((p) => ({ ...p, path: p.path.replace(/^\$\.topology/, "$") })));
    this.status(`Not saved: ${problems.length ? problems[0].message : "the server refused it"}.`, "error");
  }

  async saveAs() {
    const doc = this.topology();
    if (!doc) return;
    const name = $("design-name").value.trim() || (typeof doc.name === "string" && doc.name.trim()) || "Untitled design";
    const response = await postJSON(this.context.create_url, { name, topology: doc });
    if (!response.ok) return this.refused(response.body);
    drafts.markDraftSaved();
    this.status(`Saved as "${response.body.name}". Opening it...`, "ok");
    location.assign(response.body.lab_url);
  }

  async save() {
    const doc = this.topology();
    if (!doc) return;
    const json = $("topology").value;
    const response = await postJSON(this.design.save_url, { topology: doc, message: $("save-message").value.trim() });
    if (!response.ok) return this.refused(response.body);
    drafts.dropDesignWork(this.design.id);
    this.design.revision = response.body.number;
    this.savedText = json;
    this.showProblems([]);
    $("design-revision").textContent = String(response.body.number);
    $("save-message").value = "";
    this.status(`Saved revision ${response.body.number}.`, "ok");
  }

  async fork() {
    const doc = this.topology();
    if (!doc) return;
    const response = await postJSON(this.design.fork_url, { topology: doc });
    if (!response.ok) return this.refused(response.body);
    drafts.markDraftSaved();
    this.status(`Forked as "${response.body.name}". Opening it...`, "ok");
    location.assign(response.body.lab_url);
  }
}
