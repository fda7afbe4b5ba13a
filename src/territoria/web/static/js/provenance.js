// Next to every figure: whether it is real or synthetic, and where it comes from (producer,
// vintage, licence, last update of each source), from the API's `synthetic` and `sources`.

import { h } from "./dom.js";
import { formatDate } from "./format.js";
import { notPublishedText } from "./labels.js";

/** "Données synthétiques" (invented for the demonstration) or "Données réelles". */
export function realityBadge(item) {
  return item.synthetic
    ? h("span", { class: "badge warn", "data-testid": "synthetic", title: "Chiffre calculé à partir d’au moins une source inventée pour la démonstration : ne pas l’utiliser comme une donnée réelle." }, "Données synthétiques")
    : h("span", { class: "badge neutral", "data-testid": "real", title: "Toutes les sources de ce chiffre sont des données réelles." }, "Données réelles");
}

function sourceText(source) {
  const details = [
    source.vintage ? `millésime ${source.vintage}` : null,
    source.licence ? (/^licen[cs]e/i.test(source.licence) ? source.licence : `licence ${source.licence}`) : null,
    source.updated_at ? `mis à jour le ${formatDate(source.updated_at)}` : null,
    source.synthetic ? "synthétique" : null,
  ].filter(Boolean);
  return `${source.producer}${details.length ? ` (${details.join(", ")})` : ""}`;
}

/** "Sources : Météo-France (millésime 2025, licence …, mis à jour le …) · …", one per source. */
export function provenanceLine(item) {
  const sources = item.sources || [];
  if (!sources.length) return null;
  return h(
    "p",
    { class: "provenance muted", "data-testid": "provenance" },
    realityBadge(item),
    " ",
    `${sources.length > 1 ? "Sources" : "Source"} : `,
    [...new Set(sources.map(sourceText))].join(" · "),
  );
}

/** The indicators waiting for the territory's own choices: what to fill in, where. */
export function toFillSection(catalog) {
  const waiting = catalog.filter((d) => d.kind === "indicator" && (d.to_fill || []).length);
  if (!waiting.length) return null;
  return h(
    "section",
    { class: "card", "aria-labelledby": "titre-a-renseigner", "data-testid": "a-renseigner" },
    h("h2", { class: "h3", id: "titre-a-renseigner" }, "À renseigner"),
    h("p", {}, "Ces indicateurs attendent un choix propre au territoire (paramètres à renseigner dans territory.yaml, rubrique packs) :"),
    h(
      "ul",
      {},
      waiting.map((d) => h("li", {}, h("strong", {}, d.title), " — à renseigner : ", d.to_fill.map((p) => h("code", {}, p)).reduce((acc, el, i) => (i ? [...acc, ", ", el] : [el]), []))),
    ),
  );
}

/** The indicators no data will come to for this territory: their source is not published for it. */
export function notPublishedSection(catalog) {
  const empty = catalog.filter((d) => d.kind === "indicator" && d.not_published);
  if (!empty.length) return null;
  const bySource = new Map();
  for (const d of empty) {
    const text = notPublishedText(d.not_published);
    bySource.set(text, [...(bySource.get(text) || []), d]);
  }
  return h(
    "section",
    { class: "card", "aria-labelledby": "titre-non-publie", "data-testid": "non-publie" },
    h("h2", { class: "h3", id: "titre-non-publie" }, "Non publié pour ce territoire"),
    h("p", {}, "Ces indicateurs restent vides ici : leur source n’existe pas pour le territoire (un fichier équivalent déposé par le territoire les alimenterait)."),
    h(
      "ul",
      {},
      [...bySource].map(([text, ds]) => h("li", {}, h("strong", {}, `${text} : `), ds.map((d) => d.title).join(", "))),
    ),
  );
}
