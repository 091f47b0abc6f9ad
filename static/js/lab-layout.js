// The lab page's layout: the workspace (palette, canvas, side panels) fills the screen under
// the bars above it however many lines they wrap to, and the collapsible panels (panels.js)
// open with their content sized. Apart from lab.js because it is about the page's geometry,
// not about the design being edited.
import { Panels } from "./panels.js";

export function layOutLab() {
  // The workspace fills the screen under the bars above it, however many lines they take.
  const workspace = document.querySelector(".workspace");
  const fillScreen = () => document.documentElement.style.setProperty("--above", `${workspace.offsetTop}px`);
  fillScreen();
  const bars = new ResizeObserver(fillScreen);
  for (const bar of document.querySelectorAll("header.site, #design-bar, main.lab > .toolbar")) bars.observe(bar);
  // Charts drawn while their panel was closed take their width when it opens; the JSON view,
  // below the canvas, scrolls into sight.
  return new Panels(document, {
    onOpen(name, body) {
      if (name === "charts") window.dispatchEvent(new Event("resize"));
      if (name === "json") body.scrollIntoView({ block: "nearest" });
    },
  });
}
