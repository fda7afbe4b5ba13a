// Breakdown columns of an indicator's values (sector, energy, measure...): the text columns that,
// with mesh, code and period, identify one value. The pages offer a choice for each, starting on
// the total ("TOUS", "TOUTES") when there is one, and show only the rows of the chosen breakdown.

import { h } from "./dom.js";

const NOT_DIMENSIONS = new Set([
  "indicator", "version", "mesh", "code", "libelle", "period", "value", "unit", "secret",
  "masked_share", "estimated_share", "completeness", "lower_bound", "comparable", "target", "target_value",
]);
const PREFERRED = ["sector", "secteur", "energy", "energie", "measure", "mesure", "flux", "categorie", "category", "usage", "type"];
const TOTALS = ["TOUS", "TOUTES", "TOTAL", "tous", "toutes", "total", "ensemble", "all"];

const NAMES = { sector: "Secteur", secteur: "Secteur", energy: "Énergie", energie: "Énergie", measure: "Mesure", mesure: "Mesure", flux: "Flux", usage: "Usage" };
const VALUES = {
  TOUS: "Tous secteurs",
  TOUTES: "Toutes énergies",
  residentiel: "Résidentiel",
  tertiaire: "Tertiaire",
  industrie: "Industrie",
  agriculture: "Agriculture",
  professionnel: "Professionnels",
  non_affecte: "Non affecté",
  electricite: "Électricité",
  gaz: "Gaz",
  consommation: "Consommation",
  emissions: "Émissions",
};

/** Whether a breakdown value is the total of its column ("TOUS" secteurs...). */
export function isTotal(value) {
  return TOTALS.includes(value);
}

export function dimensionLabel(name) {
  return NAMES[name] || name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, " ");
}

export function valueLabel(value) {
  const text = String(value);
  return VALUES[text] || text.charAt(0).toUpperCase() + text.slice(1).replace(/_/g, " ");
}

const keyOf = (row, dims) => [row.mesh, row.code, row.period, ...dims.map((d) => row[d])].join("\u0001");

/** [{name, values, initial}] for the breakdown columns of these rows (greedy, preferred names first). */
export function dimensions(rows) {
  if (rows.length === 0) return [];
  const texts = Object.keys(rows[0]).filter((k) => !NOT_DIMENSIONS.has(k) && rows.some((r) => typeof r[k] === "string"));
  const distinct = (k) => new Set(rows.map((r) => r[k])).size;
  const candidates = [...PREFERRED.filter((k) => texts.includes(k)), ...texts.filter((k) => !PREFERRED.includes(k)).sort((a, b) => distinct(a) - distinct(b))];
  const dims = [];
  for (const column of candidates) {
    if (new Set(rows.map((r) => keyOf(r, dims))).size === rows.length) break;
    dims.push(column);
  }
  return dims.map((name) => {
    const values = [...new Set(rows.map((r) => r[name]).filter((v) => v !== null && v !== undefined))].sort((a, b) =>
      TOTALS.includes(a) ? -1 : TOTALS.includes(b) ? 1 : valueLabel(a).localeCompare(valueLabel(b), "fr"),
    );
    return { name, values, initial: values.find((v) => TOTALS.includes(v)) ?? values[0] };
  });
}

/** The rows of one breakdown: choice is {column: value}. */
export function pick(rows, dims, choice) {
  return rows.filter((r) => dims.every((d) => r[d.name] === choice[d.name]));
}

/** A select per dimension; onChange(choice) after each change. */
export function dimensionControls(dims, choice, onChange) {
  return dims.map((d) =>
    h(
      "div",
      {},
      h("label", { for: `choix-${d.name}` }, dimensionLabel(d.name)),
      h(
        "select",
        {
          id: `choix-${d.name}`,
          onchange: (event) => {
            choice[d.name] = event.target.value;
            onChange(choice);
          },
        },
        d.values.map((v) => h("option", { value: v, selected: v === choice[d.name] }, valueLabel(v))),
      ),
    ),
  );
}

/** "Résidentiel, Électricité" for a caption. */
export function choiceLabel(dims, choice) {
  return dims.map((d) => valueLabel(choice[d.name])).join(", ");
}
