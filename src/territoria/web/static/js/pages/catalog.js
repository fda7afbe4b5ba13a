// The catalog: every dataset with its access level, freshness, last run and quarantine, and one
// page per dataset with metadata, Table Schema, recent runs and lineage.

import * as api from "../api.js";
import { add, clear, h, table } from "../dom.js";
import { formatAge, formatDate, formatDateTime, formatDuration, formatNumber, plural } from "../format.js";
import { ACCESS, badge, FREQUENCY, FRESHNESS, KIND, STATUS, statusBadge } from "../labels.js";
import { downloadSection } from "../downloads.js";
import { lineageTree } from "../lineage.js";

const TYPES = {
  string: "texte",
  integer: "nombre entier",
  number: "nombre",
  boolean: "oui / non",
  date: "date",
  datetime: "date et heure",
  year: "année",
  geometry: "géométrie",
  any: "divers",
};

function fold(text) {
  return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function quarantineCell(d) {
  if (d.quarantined === null || d.quarantined === undefined) return "—";
  return d.quarantined > 0 ? h("span", { class: "badge warn" }, plural(d.quarantined, "ligne")) : "aucune";
}

// On the dataset's page, the count leads to the rows themselves when this reader may see them.
function quarantineLink(d) {
  const cell = quarantineCell(d);
  if (!(d.quarantined > 0) || !(d.links || {}).quarantine || d.readable === false) return cell;
  // personal data is read with a stated purpose, which the dashboard does not ask for (as downloads)
  if (d.access === "personal") return h("span", {}, cell, " — à consulter par l’API, en indiquant le motif (paramètre purpose)");
  return h("span", {}, cell, " ", h("a", { href: `#/catalogue/${encodeURIComponent(d.id)}/ecartees`, class: "quarantine-link" }, "Voir les lignes écartées"));
}

export async function renderCatalog(page) {
  const datasets = await api.catalog();
  add(page, 
    h("h1", {}, "Catalogue des données"),
    h("p", { class: "lead" }, "Toutes les données du territoire : sources reçues, données calculées et indicateurs, avec leur niveau d’accès, leur fraîcheur et les lignes mises de côté (quarantaine) parce qu’elles ne respectaient pas le schéma."),
  );
  const search = h("input", { type: "search", id: "recherche-catalogue", placeholder: "population, énergie…", autocomplete: "off" });
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const wrap = h("div", { class: "table-wrap" });
  const kinds = [["", "Tous"], ...Object.entries(KIND).filter(([k]) => datasets.some((d) => d.kind === k)).map(([k, label]) => [k, `${label}s`])];
  const kindFilter = h("select", { id: "filtre-type" }, kinds.map(([v, text]) => h("option", { value: v }, text)));
  const levels = [["", "Tous"], ...Object.entries(ACCESS).filter(([k]) => datasets.some((d) => d.access === k)).map(([k, [label]]) => [k, label])];
  const accessFilter = h("select", { id: "filtre-acces" }, levels.map(([v, text]) => h("option", { value: v }, text)));
  add(
    page,
    h(
      "div",
      { class: "controls" },
      h("div", {}, h("label", { for: "recherche-catalogue" }, "Rechercher"), search),
      h("div", {}, h("label", { for: "filtre-type" }, "Type"), kindFilter),
      h("div", {}, h("label", { for: "filtre-acces" }, "Accès"), accessFilter),
    ),
    count,
    wrap,
  );

  const show = () => {
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    const shown = datasets.filter((d) => {
      const hay = fold(`${d.id} ${d.title} ${d.description}`);
      return words.every((w) => hay.includes(w)) && (!kindFilter.value || d.kind === kindFilter.value) && (!accessFilter.value || d.access === accessFilter.value);
    });
    count.textContent = `${shown.length} jeu${shown.length > 1 ? "x" : ""} de données sur ${datasets.length}`;
    const rows = shown.map((d) => [
      h("span", {}, h("a", { href: `#/catalogue/${encodeURIComponent(d.id)}` }, d.title || d.id), d.synthetic ? h("span", { class: "badge neutral", title: "Données de démonstration générées, pas réelles" }, " démo") : null),
      KIND[d.kind] || d.kind,
      badge(ACCESS, d.access),
      formatNumber(d.rows, 0),
      h("span", { title: formatDateTime(d.updated_at) }, d.updated_at ? formatAge(d.updated_at) : "jamais"),
      badge(FRESHNESS, d.freshness),
      statusBadge(d),
      quarantineCell(d),
    ]);
    clear(wrap).append(table(null, ["Jeu de données", "Type", "Accès", "Lignes", "Mis à jour", "Fraîcheur", "Dernière exécution", "Quarantaine"], rows, { numeric: [3] }));
  };
  search.addEventListener("input", show);
  kindFilter.addEventListener("change", show);
  accessFilter.addEventListener("change", show);
  show();
}

function metaList(pairs) {
  return h(
    "dl",
    { class: "meta" },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

function externalLink(url, text) {
  return url && /^https?:\/\//.test(url) ? h("a", { href: url, rel: "noopener" }, text || url) : text || null;
}

export async function renderDataset(page, id) {
  const [d, catalog] = await Promise.all([api.dataset(id), api.catalog().catch(() => [])]);
  const titles = new Map(catalog.map((x) => [x.id, x.title]));
  add(page, 
    h("p", { class: "breadcrumb" }, h("a", { href: "#/catalogue" }, "Catalogue"), " › ", d.title || d.id),
    h("h1", {}, d.title || d.id),
    h("p", {}, badge(ACCESS, d.access), " ", badge(FRESHNESS, d.freshness), " ", d.synthetic ? h("span", { class: "badge neutral" }, "Données de démonstration (synthétiques)") : null),
    d.description ? h("p", { class: "lead" }, d.description) : null,
    // The data team's notes (format, columns, how to plug the real data): out of the way, one click away.
    d.notes ? h("details", { class: "notes" }, h("summary", {}, "Notes techniques pour l’équipe données (en anglais)"), h("p", { lang: "en" }, d.notes)) : null,
  );
  const temporal = d.temporal && (d.temporal.start || d.temporal.end) ? `du ${formatDate(d.temporal.start)} au ${formatDate(d.temporal.end)}` : null;
  add(page, 
    h(
      "div",
      { class: "two-cols" },
      h(
        "section",
        { class: "card", "aria-labelledby": "titre-description" },
        h("h2", { class: "h3", id: "titre-description" }, "Description"),
        metaList([
          ["Identifiant", h("code", {}, d.id)],
          ["Type", KIND[d.kind] || d.kind],
          ["Producteur", d.publisher ? externalLink(d.publisher.uri, d.publisher.name) : null],
          ["Licence", d.licence ? externalLink(d.licence_url, d.licence) : null],
          ["Mise à jour de la source", d.frequency ? FREQUENCY[d.frequency] || d.frequency : null],
          ["Période couverte", temporal],
          ["Mots-clés", (d.keywords || []).join(", ")],
          ["Page d’origine", externalLink(d.landing_page)],
          ["Calculé à partir de", (d.inputs || []).length ? d.inputs.map((i, n) => [n ? ", " : "", h("a", { href: `#/catalogue/${encodeURIComponent(i)}` }, titles.get(i) || i)]) : null],
        ]),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "titre-etat" },
        h("h2", { class: "h3", id: "titre-etat" }, "État"),
        metaList([
          ["Lignes", formatNumber(d.rows, 0)],
          ["Mis à jour", d.updated_at ? `${formatDateTime(d.updated_at)} (${formatAge(d.updated_at)})` : "jamais"],
          ["Fraîcheur", badge(FRESHNESS, d.freshness)],
          ["Dernière exécution", statusBadge(d)],
          ["Lignes en quarantaine", quarantineLink(d)],
          ["Secret statistique", d.secrecy ? `règle « ${d.secrecy} » appliquée avant publication` : "non concerné"],
          ["Accès", d.readable === false ? "vous n’avez pas accès à ces données" : "vous pouvez lire ces données"],
        ]),
        downloadSection(d, { geometry: d.geometry === true || d.kind === "indicator" }),
      ),
    ),
  );
  add(page, schemaSection(d.schema), runsSection(d.last_runs || []));
  if (d.lineage) {
    add(page, h("section", { "aria-labelledby": "titre-origine" }, h("h2", { id: "titre-origine" }, "Origine"), lineageTree(d.lineage, titles)));
  }
}

function schemaSection(schema) {
  const fields = (schema && schema.fields) || [];
  const section = h("section", { "aria-labelledby": "titre-schema" }, h("h2", { id: "titre-schema" }, "Schéma des données"));
  if (!fields.length) {
    section.append(h("p", { class: "muted" }, "Schéma non disponible (donnée pas encore construite)."));
    return section;
  }
  const key = new Set([].concat((schema && schema.primaryKey) || []));
  const rows = fields.map((f) => [h("code", {}, f.name), f.title || f.description || "—", TYPES[f.type] || f.type, f.unit || "—", key.has(f.name) ? "oui" : ""]);
  section.append(h("div", { class: "table-wrap" }, table(null, ["Champ", "Signification", "Type", "Unité", "Clé"], rows)));
  return section;
}

function runsSection(runs) {
  const section = h("section", { "aria-labelledby": "titre-executions" }, h("h2", { id: "titre-executions" }, "Dernières exécutions"));
  if (!runs.length) {
    section.append(h("p", { class: "muted" }, "Aucune exécution enregistrée."));
    return section;
  }
  const rows = runs.map((r) => [
    h("a", { href: `#/executions/${encodeURIComponent(r.run_id)}` }, formatDateTime(r.started_at)),
    badge(STATUS, r.status),
    formatNumber(r.rows_in, 0),
    formatNumber(r.rows_out, 0),
    formatNumber(r.rows_quarantined, 0),
    formatDuration(r.wall_s),
    r.error || r.reason || "",
  ]);
  section.append(h("div", { class: "table-wrap" }, table(null, ["Date", "Statut", "Lignes lues", "Lignes écrites", "En quarantaine", "Durée", "Remarque"], rows, { numeric: [2, 3, 4, 5] })));
  return section;
}
