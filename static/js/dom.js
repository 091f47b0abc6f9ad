// The one set of DOM helpers every page module imports: find an element by id, build one with
// its text, a button, and read the JSON a template handed over with json_script. They live here
// once so that no module grows its own copy, and so that user strings reach the page the one
// safe way: as textContent, never as HTML (tests/web/test_static_modules.py guards both).

export const $ = (id) => document.getElementById(id);

// An element with its text (set as text: safe for anything a user typed) and its class.
export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function button(text, onClick, className) {
  const b = el("button", text, className);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

// The data of a `{{ value|json_script:"id" }}` block of the page.
export function pageData(id) {
  return JSON.parse($(id).textContent);
}

// Offers `text` as a file called `name` (a link clicked on the user's behalf).
export function download(text, type, name) {
  downloadBlob(new Blob([text], { type }), name);
}

export function downloadBlob(blob, name) {
  const link = el("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
}
