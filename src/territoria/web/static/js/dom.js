// Tiny DOM helpers: build elements without innerHTML, so API text is never parsed as markup.

/**
 * h("p", {class: "x", onclick: fn}, "text", child) -> HTMLElement.
 * Attributes starting with "on" are listeners; null/false attributes are skipped; children may be
 * strings, numbers, nodes, arrays or null.
 */
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** el.append(...) that skips null/false and flattens arrays, like h() does for its children. */
export function add(el, ...children) {
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Tell screen-reader users what just changed (selection, loading result). */
export function announce(text) {
  const region = document.getElementById("annonce");
  if (region) region.textContent = text;
}

/** A visible error box in plain French, with the API's hint when it gave one. */
export function errorBox(error, what) {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, h("strong", {}, `Impossible d’afficher ${what}.`), " ", error.message || String(error)),
    error.detail || error.hint ? h("p", { class: "hint" }, "Détail technique : ", [error.detail, error.hint].filter(Boolean).join(" — ")) : null,
  );
}

/** A table with a caption, column headers and rows of cells (strings or nodes). */
export function table(caption, headers, rows, { numeric = [], className = "data" } = {}) {
  return h(
    "table",
    { class: className },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((label, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, label)))),
    h(
      "tbody",
      {},
      rows.map((cells) => h("tr", {}, cells.map((cell, i) => h("td", { class: numeric.includes(i) ? "num" : null }, cell)))),
    ),
  );
}
