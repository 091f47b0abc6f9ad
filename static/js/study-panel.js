// The lab's evidence panel, for a saved design: a sweep (a node's parameter or the workload's
// rate over values or a range), a run over several seeds, or an A/B comparison with another
// revision or design on the same seeds; and the Designs view, several saved designs' cost against
// p99 (study-designs.js). It starts a study through the API (POST /api/v1/designs/{id}/studies),
// follows it live over its websocket (study-follow.js: a bar of runs done out of planned, a
// sweep's points as their runs finish, polling only while the socket is down), can cancel it, and
// once it is over says what it found in words and opens its report (study-report.js). A link
// with `?study=<id>` opens that study's report.
// User strings always go into the page as text (textContent), never as HTML.
import { getJSON, postJSON } from "./api.js";
import { kindsByName } from "./catalogue.js";
import { $, el, pageData } from "./dom.js";
import { initDesigns } from "./study-designs.js";
import { StudyFollow } from "./study-follow.js";
import { fillSides, fillTargets, requestBody } from "./study-forms.js";
import { drawSoFar } from "./study-live.js";
import { openReport } from "./study-report.js";
import { STUDY_OVER as OVER } from "./study-socket.js";

const design = pageData("lab-context").design;
let kind = "sweep";
let current = null; // the study on screen
let following = null; // its StudyFollow while it goes
let designsReady = null;

function chooseKind(name) {
  kind = name;
  const designs = name === "designs";
  $("study-form").hidden = designs;
  $("study-view").hidden = designs;
  $("designs-view").hidden = !designs;
  if (designs && !designsReady) designsReady = initDesigns(design);
  $("study-form").dataset.kind = name;
  for (const b of document.querySelectorAll("[data-study-kind]")) b.setAttribute("aria-pressed", String(b.dataset.studyKind === name));
  for (const f of $("study-form").querySelectorAll("fieldset[data-for]")) f.hidden = f.dataset.for !== name;
  if (!designs) $("study-seeds").value = name === "sweep" ? "3" : "5";
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

// Show `study`, and follow it live if it is not over.
function follow(study) {
  if (following) following.stop();
  following = null;
  current = study;
  $("study-result").replaceChildren();
  $("study-live").replaceChildren();
  $("study-live").hidden = true;
  $("study-links").hidden = true;
  note("");
  progress({ status: study.status, ...study.progress });
  if (OVER.includes(study.status)) {
    ended(study);
    return;
  }
  following = new StudyFollow(study, {
    progress,
    soFar: (s) => drawSoFar($("study-live"), s),
    ended,
    note,
    gone: () => problems([{ message: "That study does not exist any more, or it is not yours to see." }]),
  });
}

function note(text) {
  $("study-connection").textContent = text;
  $("study-connection").hidden = !text;
}

// The bar and its sentence, from the websocket's progress frame or the API's study. A frame that
// says the study is over marks it "finishing" until ended() has its document: the status a page
// (or a test) reads never says "done" while the links still point at the study before.
function progress({ status, done, failed, total }, via, final = false) {
  $("study-progress").hidden = false;
  $("study-progress").dataset.status = OVER.includes(status) && !final ? "finishing" : status;
  if (via) $("study-progress").dataset.via = via;
  $("study-bar").max = total || 1;
  $("study-bar").value = done + failed;
  $("study-progress-text").textContent = `${status}: ${done} of ${total} runs done${failed ? `, ${failed} failed` : ""}`;
  const over = OVER.includes(status);
  $("study-cancel").hidden = over;
  $("study-start").disabled = !over;
}

function ended(study) {
  following = null;
  current = study;
  $("study-json").href = study.downloads.json;
  $("study-csv").href = study.downloads.csv;
  progress({ status: study.status, ...study.progress }, undefined, true);
  $("study-live").hidden = true;
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
  $("study-links").hidden = false;
}

async function cancel() {
  if (!current) return;
  const answer = await postJSON(`${current.url}/cancel`, {});
  if (answer.ok) {
    if (following) following.stop();
    ended(answer.body);
  } else {
    problems(answer.body.problems || []); // over already (409): its last frame is on its way
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
