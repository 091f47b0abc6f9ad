// Predictions on a lesson step: before submitting, the learner may guess a number the graded
// run will measure ("the p95 latency, in ms"); the grade then sets each guess beside what was
// measured (the median over the seeds). Apart from the checklist because a guess is never
// graded: it is the learner's own check of their model of the system.
import { $, el } from "./dom.js";

// A number as the lesson panel shows it: whole from 100 up, else three significant digits.
export const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()) : "–");

function median(values) {
  const xs = values.filter((v) => typeof v === "number").sort((a, b) => a - b);
  if (!xs.length) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

export function showPredictions(predictions) {
  $("predictions").replaceChildren(...predictions.map((p) => {
    const label = el("label", p.question, "prediction");
    const input = Object.assign(el("input"), { type: "number", step: "any", size: 8 });
    input.dataset.prediction = p.id;
    label.append(input, el("span", p.unit, "unit"));
    return label;
  }));
  if (predictions.length) $("predictions").prepend(el("p", "Before you submit: your guess (optional).", "hint"));
}

// The guesses typed in, by prediction id (an empty or unreadable one is left out).
export function guesses() {
  const out = {};
  for (const input of $("predictions").querySelectorAll("input[data-prediction]")) {
    if (input.value.trim() !== "" && Number.isFinite(Number(input.value))) out[input.dataset.prediction] = Number(input.value);
  }
  return out;
}

// A grade's predictions: each guess against what the run measured.
export function showGuesses(predictions) {
  $("guesses").replaceChildren(...(predictions || []).map((p) =>
    el("p", `${p.question} You guessed ${fmt(p.guess)} ${p.unit}; measured ${fmt(median(p.measured.map((m) => m.value)))} ${p.unit}.`)));
}
