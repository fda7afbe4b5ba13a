// The platform's own footprint (shown when the server has /api/footprint): energy and CO2e of the
// data processing itself, by run, use case and dataset, each with its low–high band.

import * as api from "../api.js";
import { add, h, table } from "../dom.js";
import { formatDateTime, formatNumber } from "../format.js";

/** A figure with its uncertainty band: {value, low, high}, or a plain number. */
function band(x) {
  if (x === null || x === undefined) return null;
  if (typeof x === "number") return { value: x, low: x, high: x };
  return typeof x.value === "number" ? x : null;
}

const significant = new Intl.NumberFormat("fr-FR", { maximumSignificantDigits: 3 });
const PREFIXES = {
  Wh: [[1e-6, "µWh"], [1e-3, "mWh"], [1, "Wh"], [1e3, "kWh"], [1e6, "MWh"]],
  g: [[1e-6, "µg"], [1e-3, "mg"], [1, "g"], [1e3, "kg"], [1e6, "t"]],
};

/** A scale where the value reads between 1 and 1000: 0.00456 Wh -> [1e-3, "mWh"]. */
function scaleFor(value, unit) {
  const steps = PREFIXES[unit];
  if (!steps || !value) return [1, unit];
  let chosen = steps[0];
  for (const step of steps) if (Math.abs(value) >= step[0]) chosen = step;
  return chosen;
}

/** "4,56 mWh", or with its band "4,56 mWh (de 2,36 à 8,92)". */
export function formatBand(x, unit, { withBand = true } = {}) {
  const b = band(x);
  if (!b) return "—";
  const [scale, label] = scaleFor(b.value, unit);
  const main = `${significant.format(b.value / scale)} ${label}`;
  if (!withBand || b.low === b.high) return main;
  return `${main} (de ${significant.format(b.low / scale)} à ${significant.format(b.high / scale)})`;
}

function sum(items, pick) {
  return items.reduce(
    (acc, item) => {
      const b = band(pick(item));
      return b ? { value: acc.value + b.value, low: acc.low + b.low, high: acc.high + b.high } : acc;
    },
    { value: 0, low: 0, high: 0 },
  );
}

function bigFigure(title, x, unit, caption) {
  const b = band(x);
  const [scale, label] = b ? scaleFor(b.value, unit) : [1, unit];
  return h(
    "section",
    { class: "card kpi" },
    h("span", { class: "kpi-title" }, title),
    h("p", { class: "figure" }, h("span", { class: "figure-value" }, b ? significant.format(b.value / scale) : "—"), h("span", { class: "figure-unit" }, label)),
    b && b.low !== b.high ? h("p", { class: "figure-caption" }, `fourchette : de ${significant.format(b.low / scale)} à ${significant.format(b.high / scale)} ${label}`) : null,
    caption ? h("p", { class: "figure-caption" }, caption) : null,
  );
}

export async function renderFootprint(page) {
  const summary = await api.footprint();
  add(page, h("h1", {}, "Empreinte de la plateforme"));
  if (!summary) {
    add(page, h("p", { class: "note" }, "Ce serveur ne mesure pas l’empreinte de ses traitements."));
    return;
  }
  const [packs, datasets] = await Promise.all([api.get("/api/footprint/packs").catch(() => null), api.get("/api/footprint/datasets").catch(() => null)]);
  const data = summary.data || {};
  const runs = data.runs || [];
  add(page, 
    h("p", { class: "lead" }, "L’énergie consommée par le traitement des données lui-même (récupération, vérification, calculs, stockage) et les émissions de gaz à effet de serre correspondantes. Ne refaire que ce qui a changé est le premier levier de sobriété."),
    summary.stale ? h("p", { class: "note" }, "Une mise à jour est en cours : ces chiffres sont ceux de la dernière lecture.") : null,
  );
  const monthly = datasets && datasets.data ? sum(datasets.data, (d) => d.monthly_wh) : null;
  const monthlyCo2 = datasets && datasets.data ? sum(datasets.data, (d) => d.monthly_co2e_g) : null;
  const last = runs[0];
  add(page, 
    h(
      "div",
      { class: "grid" },
      last ? bigFigure("Dernière mise à jour", last.footprint && last.footprint.energy_wh, "Wh", `le ${formatDateTime(last.started_at)}`) : null,
      monthly ? bigFigure("Par mois, toutes données", monthly, "Wh", "estimation au rythme de publication des sources") : null,
      monthlyCo2 ? bigFigure("Émissions par mois (équivalent CO2)", monthlyCo2, "g", summary.grid ? `électricité : ${summary.grid}` : "") : null,
      data.storage ? bigFigure("Stockage, par mois", data.storage.energy_wh_per_month, "Wh", `${formatNumber(((data.storage.landing_bytes || 0) + (data.storage.store_bytes || 0) + (data.storage.archive_bytes || 0)) / 1e6, 1)} Mo conservés`) : null,
    ),
  );
  if (packs && Array.isArray(packs.data) && packs.data.length) {
    const rows = packs.data.map((p) => [p.name, formatNumber(p.step_runs ?? p.runs, 0), formatBand(p.energy, "Wh"), formatBand(p.co2e, "g"), formatBand(p.avoided, "Wh")]);
    add(page, h("h2", {}, "Par cas d’usage (30 derniers jours)"), h("div", { class: "table-wrap" }, table(null, ["Cas d’usage", "Étapes exécutées", "Énergie", "CO2e", "Évité (étapes inchangées)"], rows, { numeric: [1] })));
  }
  if (datasets && Array.isArray(datasets.data) && datasets.data.length) {
    const sorted = [...datasets.data].sort((a, b) => (band(b.monthly_wh)?.value || 0) - (band(a.monthly_wh)?.value || 0));
    const rows = sorted.map((d) => [h("a", { href: `#/catalogue/${encodeURIComponent(String(d.dataset).replace(/^published\./, ""))}` }, d.dataset), formatBand(d.refresh_wh, "Wh"), formatBand(d.monthly_wh, "Wh"), formatBand(d.monthly_co2e_g, "g")]);
    add(page, h("h2", {}, "Par jeu de données"), h("div", { class: "table-wrap" }, table(null, ["Donnée", "Par mise à jour (amont compris)", "Par mois", "CO2e par mois"], rows)));
  }
  if (runs.length) {
    const rows = runs.map((r) => [formatDateTime(r.started_at), r.command || "—", formatBand(r.footprint && r.footprint.energy_wh, "Wh"), formatBand(r.footprint && r.footprint.co2e_g, "g"), (r.footprint && r.footprint.method) || "—"]);
    add(page, h("h2", {}, "Dernières exécutions"), h("div", { class: "table-wrap" }, table(null, ["Date", "Commande", "Énergie", "CO2e", "Méthode de mesure"], rows)));
  }
  if (summary.note) add(page, h("p", { class: "muted" }, "Unités : énergie en wattheures (Wh), émissions en grammes d’équivalent CO2 ; chaque chiffre indique sa fourchette basse et haute."));
}
