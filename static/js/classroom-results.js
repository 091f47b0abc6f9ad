// The results page: the table sorted by the column whose header is clicked (again: the other
// way), and per goal a chart of how many passed and failed and a histogram of what was measured.
import { loadPlotly } from "./charts.js";
import { $, pageData } from "./dom.js";

const table = $("results-table");
const data = pageData("results-data");

function key(cell, numeric) {
  const raw = cell.dataset.value ?? cell.textContent.trim();
  if (!numeric) return raw.toLowerCase();
  return raw === "" ? -Infinity : Number(raw); // not graded sorts below 0
}

function sortBy(th) {
  const index = [...th.parentElement.children].indexOf(th);
  const numeric = th.dataset.sort === "number";
  // Numbers start from the highest, text from A; a second click turns it round.
  const down = th.getAttribute("aria-sort") === (numeric ? "descending" : "ascending") ? !numeric : numeric;
  for (const other of th.parentElement.children) other.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", down ? "descending" : "ascending");
  const rows = [...table.tBodies[0].rows];
  rows.sort((a, b) => {
    const x = key(a.cells[index], numeric);
    const y = key(b.cells[index], numeric);
    return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1);
  });
  table.tBodies[0].append(...rows);
}

if (table) {
  for (const th of table.tHead.rows[0].cells) th.querySelector("button.sort")?.addEventListener("click", () => sortBy(th));
}

async function charts() {
  const goals = data.goals.filter((g) => data.distribution[g.id]);
  if (!goals.length) return;
  document.body.dataset.plotlySrc ||= data.plotly;
  await loadPlotly();
  goals.forEach((goal) => {
    const d = data.distribution[goal.id];
    const values = (d.values || []).filter((v) => typeof v === "number");
    const node = document.querySelector(`.chart[data-goal="${CSS.escape(goal.id)}"]`);
    const traces = [{ type: "bar", x: ["passed", "failed"], y: [d.passed, d.failed], marker: { color: ["#2f9e44", "#c92a2a"] },
      name: "students", xaxis: "x", yaxis: "y" }];
    if (values.length) traces.push({ type: "histogram", x: values, nbinsx: Math.min(20, Math.max(6, values.length)), name: "measured", marker: { color: "#2457d6" }, xaxis: "x2", yaxis: "y2" });
    window.Plotly.newPlot(node, traces, {
      height: 220, margin: { l: 36, r: 10, t: 10, b: 36 }, showlegend: false,
      grid: { rows: 1, columns: values.length ? 2 : 1, pattern: "independent" },
      xaxis2: { title: { text: "measured" } },
    }, { displayModeBar: false, responsive: true });
  });
}

charts().catch((error) => {
  $("distribution").textContent = `The charts did not load (${error.message}).`;
});
