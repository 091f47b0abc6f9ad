// Collapsible panels: the inspector, the charts, the run details, the JSON view (and later the
// lesson). A panel is opened and closed by every button that names it in `data-panel-toggle`
// and points at its body with `aria-controls`; the buttons keep `aria-expanded` true to what is
// shown, and the choice is remembered in this browser. Buttons are real <button>s, so Enter and
// Space work without any key handling here.
import { $ } from "./dom.js";

const KEY = "archlab.panels";

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || {};
  } catch {
    return {}; // storage disabled, or an old value that is not JSON: the defaults apply
  }
}

function remember(name, open) {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...remembered(), [name]: open }));
  } catch { /* storage disabled: the panel still toggles, it is just not remembered */ }
}

export class Panels {
  // `onOpen(name, body)` runs after a panel is shown by the user (charts redraw at their new size).
  constructor(root = document, { onOpen = () => {} } = {}) {
    this.onOpen = onOpen;
    this.buttons = {};
    for (const button of root.querySelectorAll("[data-panel-toggle]")) {
      (this.buttons[button.dataset.panelToggle] ||= []).push(button);
      button.addEventListener("click", () => this.toggle(button.dataset.panelToggle));
    }
    const saved = remembered();
    for (const [name, buttons] of Object.entries(this.buttons)) {
      // The markup's aria-expanded is the default; a remembered choice wins over it.
      this.show(name, saved[name] ?? buttons[0].getAttribute("aria-expanded") === "true");
    }
  }

  body(name) {
    return $(this.buttons[name][0].getAttribute("aria-controls"));
  }

  isOpen(name) {
    return !this.body(name).hidden;
  }

  show(name, open) {
    const body = this.body(name);
    body.hidden = !open;
    body.closest(".panel")?.classList.toggle("collapsed", !open);
    for (const button of this.buttons[name]) button.setAttribute("aria-expanded", String(open));
  }

  toggle(name) {
    this.set(name, !this.isOpen(name));
  }

  // As the user asked: shown or hidden, remembered, and announced to whoever listens.
  set(name, open) {
    this.show(name, open);
    remember(name, open);
    if (open) this.onOpen(name, this.body(name));
  }
}
