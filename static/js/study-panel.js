// The lab's evidence panel, for a saved design: a sweep (a node's parameter or the workload's
// rate over values or a range), a run over several seeds, or an A/B comparison with another
// revision or design on the same seeds. It starts the study through the API (POST
// /api/v1/designs/{id}/studies), follows its progress (GET /api/v1/studies/{id} once a second: a
// bar of runs done out of planned), can cancel it, and once it is over says what it found in words
// and opens its report (study-report.js). A link with `?study=<id>` opens that study's report.
// User strings always go into the page as text (textContent), never as HTML.
import { getJSON, postJSON } from "./api.js";
import { kindsByName } from "./catalogue.js";
import { $, el, pageData } from "./dom.js";
import { fillSides, fillTargets, requestBody } from "./study-forms.js";
import { openReport } from "./study-report.js";

const POLL_MS = 1000;
const OVER = ["done", "cancelled", "failed"];
const design = pageData("lab-context").design;
let kind = "sweep";
let current = null; // the study on screen
let timer = null;

function chooseKind(name) {
  kind = name;
  $("study-form").dataset.kind = name;
  for (const b of document.querySelectorAll("[data-study-kind]")) b.setAttribute("aria-pressed", String(b.dataset.studyKind === name));
  for (const f of $("study-form").querySelectorAll("fieldset[data-for]")) f.hidden = f.dataset.for !== name;
  $("study-seeds").value = name === "sweep" ? "3" : "5";
}

function problems(list) {
  $("study-problems").replaceChildren(...list.map((p) => el("li", p.path && p.path !== "$" ? `${p.path}: ${p.message}` : p.message)));
}

async function start(event) {
  event.preventDefault();
  problems([]);
  let body;
  try {
    body = requestBody(kind, design);
  } catch (error) {
    problems([{ message: error.message }]);
    return;
  }
  $("study-start").disabled = true;
  $("study-progress").dataset.status = "starting"; // the study before is no longer the one shown
  $("study-result").replaceChildren();
  $("study-links").hidden = true;
  const answer = await postJSON(`/api/v1/designs/${design.id}/studies`, body);
  if (!answer.ok) {
    $("study-start").disabled = false;
    const retry = answer.retryAfter ? ` (try again in ${answer.retryAfter} s)` : "";
    problems((answer.body.problems || [{ message: `the server answered ${answer.status}` }]).map((p, i) => (i ? p : { ...p, message: p.message + retry })));
    return;
  }
  follow(answer.body);
}

function follow(study) {
  clearTimeout(timer);
  current = study;
  $("study-result").replaceChildren();
  $("study-links").hidden = true;
  show(study);
}

async function poll() {
  if (!current) return;
  try {
    show(await getJSON(current.url));
  } catch {
    $("study-progress-text").textContent = "Lost touch with the server; trying again...";
    timer = setTimeout(poll, 3 * POLL_MS);
  }
}

function show(study) {
  current = study;
  const { done, failed, total } = study.progress;
  $("study-progress").hidden = false;
  $("study-progress").dataset.status = study.status;
  $("study-bar").max = total || 1;
  $("study-bar").value = done + failed;
  const over = OVER.includes(study.status);
  $("study-progress-text").textContent = `${study.status}: ${done} of ${total} runs done${failed ? `, ${failed} failed` : ""}`;
  $("study-cancel").hidden = over;
  $("study-start").disabled = !over;
  if (!over) {
    timer = setTimeout(poll, POLL_MS);
    return;
  }
  summary(study);
}

// What the study found, in words, under the bar; its charts and figures are in the report.
function summary(study) {
  const box = $("study-result");
  box.replaceChildren();
  if (study.error) box.append(el("p", study.error, "problems"));
  const doc = study.document;
  if (!doc) return;
  const sentences = [];
  if (doc.format === "archlab.sweep" && doc.knee) sentences.push(doc.knee.sentence);
  if (doc.format === "archlab.replications") sentences.push(...((doc.precision && doc.precision.advice) || []));
  if (doc.format === "archlab.comparison") sentences.push(...(doc.verdicts || []));
  const list = el("ul", null, "study-summary");
  list.id = "study-summary";
  list.append(...sentences.map((s) => el("li", s)));
  box.append(list);
  $("study-json").href = study.downloads.json;
  $("study-csv").href = study.downloads.csv;
  $("study-links").hidden = false;
}

async function cancel() {
  if (!current) return;
  clearTimeout(timer);
  const answer = await postJSON(`${current.url}/cancel`, {});
  if (answer.ok) show(answer.body);
  else {
    problems(answer.body.problems || []);
    poll();
  }
}

function init() {
  fillTargets(design.topology, kindsByName());
  fillSides(design);
  for (const b of document.querySelectorAll("[data-study-kind]")) b.addEventListener("click", () => chooseKind(b.dataset.studyKind));
  $("study-form").addEventListener("submit", start);
  $("study-cancel").addEventListener("click", cancel);
  $("study-report").addEventListener("click", () => current && openReport(current));
  const linked = new URLSearchParams(location.search).get("study");
  if (linked) {
    getJSON(`/api/v1/studies/${encodeURIComponent(linked)}`).then((study) => {
      follow(study);
      if (OVER.includes(study.status)) openReport(study);
    }).catch(() => problems([{ message: "That study does not exist, or it is not yours to see." }]));
  }
}

init();
