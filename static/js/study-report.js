// A study's report, over the lab page: the design's picture (GET /api/v1/designs/{id}/thumbnail.svg),
// what was studied, by whom and on which seeds, the charts (each downloadable as PNG and SVG), the
// figures with their intervals and the verdict in words. It can be printed (the print rules in
// evidence.css show the report alone). Its link is the study's report page on the server,
// /studies/<id>/report (through the share link, /s/<token>/studies/<id>/report, when the lab was
// opened by one), which whoever may see the design may open and print without this script.
import { loadPlotly } from "./charts.js";
import { $, button, el } from "./dom.js";
import { renderComparison, renderReplications } from "./study-seeds.js";
import { renderSweep } from "./study-sweep.js";

const TITLES = { sweep: "Sweep", replications: "Seeds", comparison: "A/B comparison" };

export function reportLink(study) {
  const shared = location.pathname.match(/^\/s\/([^/]+)\//);
  const path = shared ? `/s/${shared[1]}/studies/${study.id}/report` : `/studies/${study.id}/report`;
  return new URL(path, location.origin).toString();
}

export async function openReport(study) {
  closeReport();
  await loadPlotly();
  const view = el("div", null, "study-report");
  view.id = "study-report-view";
  view.setAttribute("role", "dialog");
  view.setAttribute("aria-modal", "true");
  view.setAttribute("aria-label", `${TITLES[study.kind]} report`);
  const sheet = el("article", null, "study-report-sheet");
  view.append(sheet);
  const tools = el("div", null, "study-report-tools");
  const link = el("input");
  Object.assign(link, { id: "study-report-link", readOnly: true, value: reportLink(study) });
  link.setAttribute("aria-label", "Link to this report");
  const page = el("a", "Open the report page");
  Object.assign(page, { id: "study-report-page", href: link.value });
  tools.append(
    page, el("span", "Share: "), link,
    button("Copy link", () => navigator.clipboard && navigator.clipboard.writeText(link.value).catch(() => link.select())),
    button("Print", () => window.print()),
    Object.assign(button("Close", closeReport), { id: "study-report-close" }),
  );
  sheet.append(tools, header(study), picture(study));
  const body = el("section", null, "study-report-body");
  body.id = "study-report-body";
  sheet.append(body);
  document.body.append(view);
  document.body.classList.add("printing-report");
  const doc = study.document;
  if (!doc) body.append(el("p", study.error || "No run of this study finished: there is nothing to report.", "problems"));
  else if (doc.format === "archlab.sweep") renderSweep(body, doc);
  else if (doc.format === "archlab.replications") renderReplications(body, doc);
  else renderComparison(body, doc, study.b ? [study.a.name, study.b.name] : null);
  if (doc && (doc.limited || []).length) body.append(el("p", `${doc.limited.length} runs were stopped by their budget and left out.`, "hint"));
  for (const note of (doc && doc.notes) || []) body.append(el("p", note, "hint"));
  view.addEventListener("keydown", (e) => { if (e.key === "Escape") closeReport(); });
  $("study-report-close").focus();
  return view;
}

export function closeReport() {
  $("study-report-view")?.remove();
  document.body.classList.remove("printing-report");
}

function header(study) {
  const head = el("div", null, "study-report-head");
  const a = study.a;
  const title = study.kind === "comparison" && study.b
    ? `${TITLES.comparison}: ${a.design.name} r${a.revision} (A) against ${study.b.proposed ? `a ${study.b.name}` : `${study.b.design.name} r${study.b.revision}`} (B)`
    : `${TITLES[study.kind]} of ${a.design.name}, revision ${a.revision}`;
  head.append(el("h2", title));
  const by = study.user; // the public name of whoever ran it
  const when = study.finished || study.created;
  const runs = `${study.progress.done} of ${study.progress.total} runs${study.progress.failed ? ` (${study.progress.failed} failed)` : ""}`;
  head.append(el("p", `${by ? `Run by ${by}` : "Run"}${when ? ` on ${new Date(when).toLocaleString()}` : ""} · seeds ${study.seeds.join(", ")} · ${runs} · ${study.status}`, "hint"));
  return head;
}

function picture(study) {
  const figure = el("figure", null, "study-report-picture");
  const img = el("img");
  img.src = `/api/v1/designs/${study.a.design.id}/thumbnail.svg`;
  img.alt = `The design ${study.a.design.name}`;
  figure.append(img);
  return figure;
}
