// The engine's component catalogue (kinds with their parameters, groups, fault kinds, edge
// policy, failure causes), as the page's template hands it over in the `catalogue-data`
// json_script block. It is parsed and indexed once here and shared: the editor, the palette,
// the inspectors, the run view and the embed all read the same object, so no module parses or
// indexes it again (and a page without a canvas never pays for it).
import { pageData } from "./dom.js";

let loaded = null;

function load() {
  if (!loaded) {
    const data = pageData("catalogue-data");
    loaded = { data, byKind: Object.fromEntries(data.kinds.map((k) => [k.kind, k])) };
  }
  return loaded;
}

// The whole catalogue document, as the server sent it.
export function catalogue() {
  return load().data;
}

// Every kind by its name ("load_balancer" -> its declaration).
export function kindsByName() {
  return load().byKind;
}

// The engine's failure cause codes, in its order (one bar each on the errors chart).
export function causeCodes() {
  return load().data.causes.map((c) => c.code);
}
