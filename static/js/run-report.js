// A finished run's headline figures (the measured span's throughput, latency, errors and cost),
// above its charts on screen and at the top of the printed page; and Print, whose stylesheet
// (css/print.css) keeps the design's picture, these figures, the charts and the node table.
import { $, el } from "./dom.js";

const number = (value, digits = 1) => Number(value).toLocaleString("en", { maximumFractionDigits: digits });

export function headlineFigures(results) {
  const m = results.measured;
  const o = m.overall;
  const figures = [
    ["Measured", `${number(m.from_s)}–${number(m.to_s)} s`],
    ["Throughput", `${number(o.throughput_per_s)} requests/s`],
    ["Latency p50 / p95 / p99", `${number(o.latency_ms.p50)} / ${number(o.latency_ms.p95)} / ${number(o.latency_ms.p99)} ms`],
    ["Errors", `${number(o.errors, 0)} (${number(100 * o.error_rate, 2)}%)`],
  ];
  if (o.cost_per_hour_usd !== undefined) figures.push(["Cost", `$${number(o.cost_per_hour_usd, 3)} per hour`]);
  if (o.cost_per_million_usd !== undefined) figures.push(["Cost per million requests", `$${number(o.cost_per_million_usd, 2)}`]);
  return figures;
}

// Fill the page's #headline list (when it has one) with the results' figures.
export function showHeadline(results) {
  const box = $("headline");
  if (!box) return;
  if (!results || !results.measured) {
    box.hidden = true;
    return;
  }
  box.replaceChildren(...headlineFigures(results).flatMap(([name, value]) => [el("dt", name), el("dd", value)]));
  box.hidden = false;
}

// On paper the design is a picture of its own: a copy of the canvas's drawing, scaled to show
// all of it (a viewBox around what is drawn), whatever the zoom and pan on screen, and fixed
// while the canvas refits itself to the paper's size. It is removed after printing.
export function bindPrint(editor) {
  const print = $("print-run");
  if (print) print.addEventListener("click", () => window.print());
  let picture = null;
  window.addEventListener("beforeprint", () => {
    const box = editor.paper.localToPaperRect(editor.paper.getContentArea()); // the svg's own units
    if (!box.width || !box.height) return;
    const copy = editor.paper.svg.cloneNode(true);
    copy.removeAttribute("style");
    copy.removeAttribute("id");
    copy.setAttribute("viewBox", `${box.x - 12} ${box.y - 12} ${box.width + 24} ${box.height + 24}`);
    copy.setAttribute("preserveAspectRatio", "xMidYMid meet");
    picture = el("div", null, "print-picture");
    picture.append(copy);
    $("canvas").after(picture);
  });
  window.addEventListener("afterprint", () => {
    if (picture) picture.remove();
    picture = null;
  });
}
