// What the canvas shows of a run at one moment beyond a window's load (canvas-views.js): the
// instances a pool serves with, a balancer's healthy targets, and which nodes and edges a fault
// hit or a balancer took out of rotation, from the timeline up to then. Live, the moment is
// now; on the scrubber it is the window chosen.

const FAULT = "#a1261a";
const UNHEALTHY = "#c26a00";

// The faults active and the targets out of rotation after the `events` (in time order).
export function momentOf(events) {
  const faults = new Map(); // fault id -> its timeline entry
  const unhealthy = new Set(); // node ids a balancer marked unhealthy
  for (const e of events) {
    if (e.type === "fault_started") faults.set(e.fault, e);
    else if (e.type === "fault_ended") faults.delete(e.fault);
    else if (e.type === "health_check") {
      if (e.healthy) unhealthy.delete(e.target);
      else unhealthy.add(e.target);
    }
  }
  return { faults: [...faults.values()], unhealthy };
}

// The node ids and edge keys ("from>to", or an edge id) each active fault hits.
function hits(element, fault) {
  if (fault.node !== undefined) return fault.node === element.id;
  if (fault.zone !== undefined) return element.get("zone") === fault.zone;
  if (fault.region !== undefined) return element.get("region") === fault.region;
  return false;
}

// A cell's own stroke, while a moment has painted it over.
const ownStroke = new WeakMap();

function mark(cell, attr, color) {
  if (color) {
    if (!ownStroke.has(cell)) ownStroke.set(cell, cell.attr(`${attr}/stroke`));
    cell.attr({ [attr]: { stroke: color, strokeDasharray: "6 3" } });
  } else if (ownStroke.has(cell)) {
    cell.attr({ [attr]: { stroke: ownStroke.get(cell), strokeDasharray: null } });
    ownStroke.delete(cell);
  }
}

// After editor.showWindow(window): add instances and health to each node's text, and outline
// what the moment's faults hit (red) and what is out of rotation (orange). A window the
// scrubber fetched as a moment (GET /api/v1/runs/{id}/windows?fields=moment) carries its faults
// and unhealthy targets, worked out on the server from the run's timeline: those are shown.
export function showMoment(editor, window, timelineMoment) {
  const moment = window.faults && window.unhealthy ? { faults: window.faults, unhealthy: new Set(window.unhealthy) } : timelineMoment;
  for (const element of editor.graph.getElements()) {
    if (element.get("isGroup")) continue;
    const m = window.nodes[element.id];
    const faults = moment.faults.filter((f) => hits(element, f));
    const down = moment.unhealthy.has(element.id);
    const lines = String(element.attr("label/text") || "").split("\n");
    const notes = [];
    if (m && m.instances !== undefined) notes.push(`×${m.instances}${m.instances_booting ? ` +${m.instances_booting}` : ""}`);
    if (m && m.healthy_targets !== undefined) notes.push(`${m.healthy_targets}/${m.targets} ok`);
    if (faults.length) notes.push(faults.map((f) => f.kind).join(", "));
    else if (down) notes.push("unhealthy");
    if (m && notes.length) {
      if (lines.length < 3) lines.push(notes.join(" · "));
      else lines[2] = `${notes.join(" · ")} · ${lines[2]}`;
      element.attr("label/text", lines.join("\n"));
    }
    mark(element, "body", faults.length ? FAULT : down ? UNHEALTHY : null);
  }
  for (const link of editor.graph.getLinks()) {
    const edgeId = link.get("edgeId");
    const faulted = moment.faults.some((f) => f.edge !== undefined && f.edge === edgeId);
    mark(link, "line", faulted ? FAULT : null);
  }
}
