// The challenge builder's problems (a check or a save the server refused): listed above the
// form, and each one also shown beside the field, goal row or fault row its JSON path names,
// which is marked aria-invalid. Apart from challenge-builder.js, which reads and writes the
// form, because this is the one place that maps a problem's path back to the form.
import { $, el } from "./dom.js";

// A problem's path, as the document's field: the element it is shown beside.
function fieldOf(path) {
  const row = (table, i) => $(table).tBodies[0].rows[Number(i)] || null;
  let m;
  if ((m = path.match(/^\$\.goals\[(\d+)\]/))) return row("c-goals", m[1]);
  if ((m = path.match(/^\$\.scenario\.faults\[(\d+)\]/))) return row("c-faults", m[1]);
  const fields = [["$.title", "c-title"], ["$.summary", "c-summary-text"], ["$.narrative", "c-narrative"],
    ["$.start", "c-start-json"], ["$.reference", "c-ref-json"], ["$.scenario.duration_s", "c-duration"],
    ["$.scenario.warmup_s", "c-warmup"], ["$.scenario.seeds", "c-seeds"], ["$.scenario.traffic", "c-rate"]];
  const found = fields.find(([prefix]) => path === prefix || path.startsWith(prefix + ".") || path.startsWith(prefix + "["));
  return found ? $(found[1]) : null;
}

export function showProblems(problems) {
  for (const old of document.querySelectorAll(".field-problems")) old.remove();
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const box = $("c-summary"), list = box.querySelector("ul");
  list.replaceChildren();
  box.hidden = problems.length === 0;
  box.querySelector("p").textContent = problems.length === 1 ? "One problem:" : `${problems.length} problems:`;
  for (const p of problems) {
    const li = el("li");
    li.className = p.severity; li.dataset.path = p.path;
    li.textContent = `${p.path}: ${p.message}`;
    list.append(li);
    const field = fieldOf(p.path);
    if (!field) continue;
    const note = el(field.tagName === "TR" ? "tr" : "p");
    note.className = `field-problems ${p.severity}`;
    note.dataset.path = p.path;
    if (field.tagName === "TR") {
      const cell = el("td"); cell.colSpan = 9; cell.textContent = `${p.path}: ${p.message}`;
      note.append(cell);
    } else { note.textContent = p.message; field.setAttribute("aria-invalid", "true"); }
    field.after(note);
  }
}
