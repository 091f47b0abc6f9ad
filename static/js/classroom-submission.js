// A submission's page: the design as it was submitted, drawn read-only (as the embed draws one).
import { Editor } from "./editor.js";

const $ = (id) => document.getElementById(id);
const catalogue = JSON.parse($("catalogue-data").textContent);
const topology = JSON.parse($("design-topology").textContent);
const editor = new Editor({ paperEl: $("canvas"), paletteEl: $("palette"), catalogue, readOnly: true,
  onChange() {}, onSelect() {} });
if (topology && Array.isArray(topology.nodes)) editor.load(topology);
