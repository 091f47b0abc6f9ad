// "Capture from a run": run the reference design on the challenge's scenario (or name a finished
// run of it), wait for it, and offer goals from what it measured (GET /api/v1/runs/{id}/goal-
// suggestions?margin=): the teacher ticks the ones to add to the goals.
import { getJSON, postJSON } from "./api.js";
import { $, el } from "./dom.js";

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The scenario imposed on the reference as the grading will (lab/lessons/scenario.py): its
// duration, warm-up, traffic and faults.
function imposed(doc) {
  const topology = structuredClone(doc.reference);
  const s = doc.scenario;
  topology.settings = { ...(topology.settings || {}), duration_s: s.duration_s, warmup_s: s.warmup_s };
  for (const t of s.traffic || []) {
    const node = (topology.nodes || []).find((n) => n.id === t.source);
    if (node) node.params = { ...(node.params || {}), ...t.params };
  }
  topology.faults = s.faults || [];
  delete topology.pricing;
  return topology;
}

function say(text) { $("c-capture-status").textContent = text; }

async function runReference(documentOf) {
  const doc = documentOf();
  if (!doc.reference || typeof doc.reference !== "object") { say("Give the reference design first."); return; }
  const seed = Number.isInteger(doc.scenario.seeds[0]) ? doc.scenario.seeds[0] : 1;
  const answer = await postJSON("/api/v1/runs", { topology: imposed(doc), seed, duration_s: doc.scenario.duration_s, speed: 0 });
  if (!answer.ok) { say((answer.body.problems || []).map((p) => `${p.path}: ${p.message}`).join("; ")); return; }
  $("c-run").value = answer.body.id;
  say("The reference is running…");
  for (let i = 0; i < 600; i += 1) {
    const run = await getJSON(`/api/v1/runs/${answer.body.id}`);
    if (run.status === "done") { say("The reference ran to its end."); return true; }
    if (["failed", "stopped", "limited"].includes(run.status)) { say(`The run ended: ${run.status}.`); return false; }
    await wait(1000);
  }
  say("The run is taking long; ask for suggestions when it is done.");
  return false;
}

async function suggest(addGoal) {
  const run = $("c-run").value.trim();
  if (!run) { say("Run the reference, or give a finished run's id."); return; }
  const margin = Number($("c-margin").value) / 100;
  const response = await fetch(`/api/v1/runs/${encodeURIComponent(run)}/goal-suggestions?margin=${margin}`,
                               { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) { say((body.problems || []).map((p) => p.message).join("; ")); return; }
  const list = $("c-suggestions");
  list.replaceChildren();
  for (const goal of body.goals) {
    const li = el("li");
    const label = el("label");
    const box = el("input");
    box.type = "checkbox"; box.dataset.goal = JSON.stringify(goal);
    label.append(box, ` ${goal.text} (measured ${goal.measured_text})`);
    li.append(label);
    list.append(li);
  }
  say(`${body.goals.length} goals from the run, each ${Math.round(body.margin * 100)}% from what it measured.`);
  const add = $("c-add-suggestions");
  add.hidden = body.goals.length === 0;
  add.onclick = () => {
    for (const box of list.querySelectorAll("input:checked")) {
      const { measured, measured_text: _t, margin: _m, ...goal } = JSON.parse(box.dataset.goal);
      addGoal(goal);
      box.checked = false;
    }
  };
}

export function startCapture({ documentOf, addGoal }) {
  $("c-run-reference").addEventListener("click", async () => { if (await runReference(documentOf)) await suggest(addGoal); });
  $("c-suggest").addEventListener("click", () => suggest(addGoal));
}
