// A submission's page: the design as it was submitted, drawn read-only (as the embed draws one).
import { $, pageData } from "./dom.js";
import { Editor } from "./editor.js";

const topology = pageData("design-topology");
const editor = new Editor({ paperEl: $("canvas"), paletteEl: $("palette"), readOnly: true,
  onChange() {}, onSelect() {} });
if (topology && Array.isArray(topology.nodes)) editor.load(topology);
