// The ranking of a composite indicator (the heat-vulnerability index...) with each factor's share
// of every place's value. An indicator opts in by listing its factors in `extra.factors`
// ({id: label}); its rows carry `part_<id>` (the factor's share of the value, in %) and `rang`.
// One table per mesh (communes, IRIS), most vulnerable first; the bars repeat the numbers shown
// next to them, so the table reads without the colours.

import { h } from "./dom.js";
import { formatNumber, formatPeriod } from "./format.js";
import { MESH_LABELS } from "./indicator-data.js";

const COLOURS = ["#b2182b", "#ef8a62", "#7b3294", "#2166ac", "#1b7837", "#8c510a"];
const PLURALS = { commune: "Communes", iris: "Quartiers (IRIS)" };
const SHOWN = 10;

/** The factors of an indicator as [{id, label, colour}], or [] when it has none. */
export function factorsOf(indicator) {
  const spec = (indicator.extra || {}).factors;
  if (!spec || typeof spec !== "object") return [];
  const entries = Array.isArray(spec) ? spec.map((id) => [id, id]) : Object.entries(spec);
  return entries.map(([id, label], i) => ({ id, label: String(label), colour: COLOURS[i % COLOURS.length] }));
}

/** The rows of the latest period, ranked: by `rang` when given, else by value. */
export function ranked(rows) {
  const periods = [...new Set(rows.map((r) => String(r.period)))].sort();
  const latest = periods[periods.length - 1];
  const valueOf = (r) => (typeof r.value === "number" ? r.value : -Infinity);
  return rows
    .filter((r) => String(r.period) === latest && r.value !== null)
    .sort((a, b) => (a.rang ?? Infinity) - (b.rang ?? Infinity) || valueOf(b) - valueOf(a));
}

function bar(row, factors) {
  const el = h("span", { class: "factor-bar", "aria-hidden": "true" });
  el.style.display = "flex";
  el.style.width = "12rem";
  el.style.height = "0.9rem";
  for (const f of factors) {
    const share = row[`part_${f.id}`];
    if (typeof share !== "number" || share <= 0) continue;
    const part = h("span", { title: `${f.label} : ${formatNumber(share, 0)} %` });
    part.style.width = `${share}%`;
    part.style.background = f.colour;
    el.append(part);
  }
  return el;
}

function legend(factors) {
  return h(
    "ul",
    { class: "factor-legend" },
    factors.map((f) => {
      const swatch = h("span", { "aria-hidden": "true" }, "■ ");
      swatch.style.color = f.colour;
      return h("li", {}, swatch, f.label);
    }),
  );
}

function table(mesh, rows, indicator, factors) {
  const shown = rows.slice(0, SHOWN);
  const label = PLURALS[mesh] || MESH_LABELS[mesh] || mesh;
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data", "data-testid": `classement-${mesh}` },
      h("caption", {}, `${label} : les ${shown.length} valeurs les plus fortes sur ${rows.length}, ${formatPeriod(rows[0].period)}`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col", class: "num" }, "Rang"),
          h("th", { scope: "col" }, MESH_LABELS[mesh] || mesh),
          h("th", { scope: "col", class: "num" }, `Valeur (${indicator.unit})`),
          h("th", { scope: "col" }, "Part de chaque facteur"),
          factors.map((f) => h("th", { scope: "col", class: "num" }, `${f.label} (%)`)),
        ),
      ),
      h(
        "tbody",
        {},
        shown.map((r) =>
          h(
            "tr",
            { "data-code": r.code },
            h("td", { class: "num" }, r.rang ?? "—"),
            h("th", { scope: "row" }, r.libelle || r.code),
            h("td", { class: "num" }, formatNumber(r.value, Number.isInteger(indicator.decimals) ? indicator.decimals : 1)),
            h("td", {}, bar(r, factors)),
            factors.map((f) => h("td", { class: "num" }, formatNumber(r[`part_${f.id}`], 0))),
          ),
        ),
      ),
    ),
  );
}

/**
 * A section ranking the places of each mesh with their factors' shares, or null when the
 * indicator has no factors. `rowsByMesh` is [[mesh, rows], ...].
 */
export function factorSharesSection(indicator, rowsByMesh) {
  const factors = factorsOf(indicator);
  if (!factors.length) return null;
  const tables = rowsByMesh
    .map(([mesh, rows]) => [mesh, ranked(rows)])
    .filter(([, rows]) => rows.length)
    .map(([mesh, rows]) => table(mesh, rows, indicator, factors));
  if (!tables.length) return null;
  return h(
    "section",
    { "aria-labelledby": "titre-facteurs", "data-testid": "facteurs" },
    h("h2", { id: "titre-facteurs" }, "Classement et part de chaque facteur"),
    h("p", {}, "Chaque facteur contribue à la valeur en proportion de son poids et de son niveau ; les parts d’un lieu font 100 %. Un facteur inconnu (secret statistique, pas de capteur) est laissé de côté."),
    legend(factors),
    tables,
  );
}
