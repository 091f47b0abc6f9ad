// Small behaviours shared by the site's pages: a button with data-copy="<element id>" copies
// that element's value (or text) to the clipboard.
import { $ } from "./dom.js";

function copyFrom(id) {
  const source = $(id);
  if (!source) return Promise.resolve(false);
  const text = "value" in source ? source.value : source.textContent;
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text).then(() => true, () => false);
  // Plain http (a lab on a classroom network): select it so Ctrl+C works.
  if (source.select) source.select();
  return Promise.resolve(false);
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const label = button.textContent;
  button.addEventListener("click", async () => {
    button.textContent = (await copyFrom(button.dataset.copy)) ? "Copied" : "Press Ctrl+C";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
}
