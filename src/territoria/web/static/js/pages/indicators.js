// The indicators: a list of key figures, and one page per indicator with its value, trend, target
// trajectory, quality explained in plain words, formula and where the figure comes from.

import * as api from "../api.js";
import { trendChart } from "../chart.js";
import { add, clear, errorBox, h } from "../dom.js";
import { formatFigure, formatNumber, formatPeriod, formatValue } from "../format.js";
import { byPeriod, decimals, latestPeriod, MESH_LABELS, periods, placeMeshes, targetTrajectory, territoryMesh } from "../indicator-data.js";
import { choiceLabel, dimensionControls, dimensions, pick } from "../dimensions.js";
import { downloadSection } from "../downloads.js";
import { lineageTree } from "../lineage.js";
import { notPublishedSection, provenanceLine, realityBadge, toFillSection } from "../provenance.js";
import { communeSummary, qualityList, qualityNotes } from "../quality.js";
import { replaceParams } from "../router.js";
import { factorSharesSection } from "../factor-shares.js";
import { sectorDimension, sectorSection } from "../sector-chart.js";

const MESH_PLURALS = { commune: "Communes", capteur: "Capteurs", station: "Stations Météo-France", iris: "Quartiers (IRIS)" };
const ACCESS = { open: "Ouvert à tous", restricted: "Restreint (agents et élus)", personal: "Données personnelles" };

/** The territory's latest observed value, for the total of each breakdown (or the first). */
async function headline(ind) {
  if (ind.readable === false) return null;
  const mesh = territoryMesh(ind) || placeMeshes(ind)[0];
  if (!mesh) return null;
  const rows = await api.values(ind.id, { mesh });
  const dims = dimensions(rows);
  const chosen = byPeriod(pick(rows, dims, Object.fromEntries(dims.map((d) => [d.name, d.initial])))).filter((r) => r.value !== null);
  let row = chosen[chosen.length - 1];
  if (row && !territoryMesh(ind)) {
    // No value for the whole territory: show the commune with the highest value, and say so.
    const sameYear = chosen.filter((r) => String(r.period) === String(row.period));
    row = { ...sameYear.reduce((a, b) => (b.value > a.value ? b : a)), highest: true };
  }
  return row ? { ...row, detail: choiceLabel(dims, Object.fromEntries(dims.map((d) => [d.name, row[d.name]]))) } : null;
}

export async function renderIndicators(page) {
  const [indicators, catalog] = await Promise.all([api.indicators(), api.catalog().catch(() => [])]);
  add(page, 
    h("h1", {}, "Indicateurs"),
    h("p", { class: "lead" }, "Les chiffres clés du territoire, pour la dernière année disponible. Chaque fiche donne l’évolution, la qualité des données et leur origine."),
  );
  if (!indicators.length) {
    add(page, h("p", { class: "note" }, "Aucun indicateur n’est encore publié."), notPublishedSection(catalog), toFillSection(catalog));
    return;
  }
  const grid = h("div", { class: "grid" });
  add(page, grid);
  const rows = await Promise.all(indicators.map((ind) => headline(ind).catch(() => null)));
  indicators.forEach((ind, i) => {
    const row = rows[i];
    grid.append(
      h(
        "a",
        { class: "card kpi-card", href: `#/indicateur/${encodeURIComponent(ind.id)}`, "data-indicator": ind.id },
        h("span", { class: "kpi-title" }, ind.title),
        ind.readable === false
          ? h("span", { class: "muted" }, "Accès restreint")
          : h("span", { class: "figure" }, h("span", { class: "figure-value" }, formatFigure(row ? row.value : null, decimals(ind))), h("span", { class: "figure-unit" }, ind.unit)),
        h("span", { class: "figure-caption" }, row ? [row.highest ? `${row.libelle || row.code} (valeur la plus forte)` : row.libelle || "Territoire", row.detail, formatPeriod(row.period)].filter(Boolean).join(", ") : "Pas encore de valeur"),
        h("span", {}, realityBadge(ind)),
      ),
    );
  });
  add(page, notPublishedSection(catalog), toFillSection(catalog));
}

export async function renderIndicator(page, id, params) {
  const [ind, catalog] = await Promise.all([api.indicator(id), api.catalog().catch(() => [])]);
  const titles = new Map(catalog.map((d) => [d.id, d.title]));
  add(page, 
    h("p", { class: "breadcrumb" }, h("a", { href: "#/indicateurs" }, "Indicateurs"), " › ", ind.title),
    h("h1", {}, ind.title),
    ind.description ? h("p", { class: "lead" }, ind.description) : null,
  );
  if (ind.readable === false) {
    add(page, h("p", { class: "note" }, `Cet indicateur est en accès ${ACCESS[ind.access] ? ACCESS[ind.access].toLowerCase() : "restreint"} : ses valeurs ne sont pas publiques.`));
    add(page, await originSection(ind, titles));
    return;
  }
  const mesh = territoryMesh(ind);
  const places = placeMeshes(ind);
  const [territoryRows, ...placeRows] = await Promise.all([
    mesh ? api.values(ind.id, { mesh }) : Promise.resolve([]),
    ...places.map((m) => api.values(ind.id, { mesh: m })),
  ]);
  const communeRows = placeRows[places.indexOf("commune")] || [];
  const otherRows = placeRows.flat();
  const key = (r) => `${r.mesh}:${r.code}`;
  const territoryName = territoryRows[0] ? territoryRows[0].libelle || "Territoire" : null;
  const groups = places.map((m, i) => [m, [...new Map(placeRows[i].map((r) => [key(r), r.libelle || r.code])).entries()]]);
  const known = new Set([...territoryRows, ...otherRows].map(key));
  // ?code= names a commune (or the territory); ?zone=mesh:code any place (a sensor...).
  const byCode = params.get("code") && [`${mesh}:${params.get("code")}`, `commune:${params.get("code")}`].find((k) => known.has(k));
  let zone = params.get("zone") || byCode;
  if (!zone || !known.has(zone)) zone = territoryRows[0] ? key(territoryRows[0]) : [...known][0];

  const options = [];
  if (territoryName) options.push(h("option", { value: key(territoryRows[0]), selected: key(territoryRows[0]) === zone }, `${territoryName} (${MESH_LABELS[mesh] || mesh})`));
  for (const [m, entries] of groups) {
    const sorted = entries.sort((a, b) => a[1].localeCompare(b[1], "fr"));
    options.push(h("optgroup", { label: MESH_PLURALS[m] || MESH_LABELS[m] || m }, sorted.map(([k, n]) => h("option", { value: k, selected: k === zone }, n))));
  }
  const picker = h("select", { id: "choix-zone" }, options);
  const zoneName = () => picker.selectedOptions[0]?.textContent || zone;
  const body = h("div", {});
  const dims = dimensions([...territoryRows, ...otherRows]);
  const choice = Object.fromEntries(dims.map((d) => [d.name, d.values.includes(params.get(d.name)) ? params.get(d.name) : d.initial]));
  const saveAndShow = () => {
    replaceParams(new URLSearchParams({ zone, ...choice }));
    show();
  };
  picker.addEventListener("change", () => {
    zone = picker.value;
    saveAndShow();
  });
  add(page, 
    h("div", { class: "controls" }, h("div", {}, h("label", { for: "choix-zone" }, "Territoire, commune ou lieu"), picker), dimensionControls(dims, choice, saveAndShow)),
    body,
  );

  function show() {
    const isTerritory = territoryRows.some((r) => key(r) === zone);
    const [zoneMesh, code] = [zone.split(":")[0], zone.slice(zone.indexOf(":") + 1)];
    const rows = byPeriod(pick(isTerritory ? territoryRows : otherRows, dims, choice).filter((r) => key(r) === zone));
    // Years after the last observed one may exist for their target only (a trajectory to 2030).
    const observed = rows.filter((r) => r.value !== null || r.secret === true);
    const last = observed[observed.length - 1] || rows[rows.length - 1];
    const detail = choiceLabel(dims, choice);
    const target = isTerritory ? targetTrajectory(ind, rows) : [];
    const latest = last ? String(last.period) : latestPeriod(ind);
    const mapParams = new URLSearchParams({ indicateur: ind.id, ...(latest ? { annee: latest } : {}), ...(zoneMesh === "commune" ? { commune: code } : {}), ...choice });
    // add() skips the absent parts (no sector breakdown): append() wrote them as the text "null"
    add(
      clear(body),
      h(
        "div",
        { class: "two-cols" },
        figureCard(ind, last, observed, target, detail),
        h(
          "section",
          { class: "card", "aria-labelledby": "titre-qualite" },
          h("h2", { class: "h3", id: "titre-qualite" }, "Qualité des données"),
          qualityList(qualityNotes(last || { value: null })),
          isTerritory ? qualityList(communeSummary(pick(communeRows, dims, choice).filter((r) => String(r.period) === latest))) : null,
          (ind.meshes || []).includes("commune") ? h("p", {}, h("a", { href: `#/carte?${mapParams}` }, "Voir sur la carte")) : null,
        ),
      ),
      h("section", { "aria-labelledby": "titre-evolution" }, h("h2", { id: "titre-evolution" }, "Évolution"), trendChart({ series: rows.map((r) => ({ period: String(r.period), value: r.value })), target, unit: ind.unit, decimals: decimals(ind), title: `${ind.title}${detail ? ` (${detail})` : ""}, ${zoneName()}` })),
      sectorsOf(isTerritory ? territoryRows : otherRows),
    );
  }

  // Every sector of the chosen place, under the other breakdowns chosen (the energy...).
  function sectorsOf(all) {
    const sector = sectorDimension(dims);
    if (!sector) return null;
    const others = dims.filter((d) => d !== sector);
    const rows = pick(all, others, choice).filter((r) => key(r) === zone);
    const label = choiceLabel(others, choice);
    return sectorSection(ind, rows, dims, { decimals: decimals(ind), place: `${zoneName()}${label ? ` (${label})` : ""}` });
  }
  show();
  add(page, factorSharesSection(ind, places.map((m, i) => [m, placeRows[i]])), downloadSection(ind), methodSection(ind), await originSection(ind, titles));
}

function figureCard(ind, last, rows, target, detail) {
  const card = h("section", { class: "card kpi", "aria-label": "Dernière valeur" });
  if (!last) {
    card.append(h("p", {}, "Pas de valeur pour cette zone."));
    return card;
  }
  card.append(
    h("span", { class: "kpi-title" }, last.libelle || last.code),
    h("p", { class: "figure" }, h("span", { class: "figure-value", "data-testid": "indicator-value" }, formatFigure(last.value, decimals(ind))), h("span", { class: "figure-unit" }, ind.unit)),
    h("p", { class: "figure-caption" }, `${detail ? `${detail}, ` : ""}${/^\d{4}$/.test(String(last.period)) ? "en " : ""}${formatPeriod(last.period)}`),
    provenanceLine(ind),
  );
  const previous = rows[rows.length - 2];
  if (previous && typeof previous.value === "number" && previous.value !== 0 && typeof last.value === "number") {
    const change = (last.value - previous.value) / Math.abs(previous.value);
    card.append(h("p", {}, `${change >= 0 ? "+" : "−"}${formatNumber(Math.abs(change) * 100, 1)}\u00a0% par rapport à ${previous.period}`));
  }
  const goal = target[target.length - 1];
  if (goal && String(goal.period) > String(last.period)) {
    card.append(h("p", {}, `Objectif ${goal.period} : ${formatValue(goal.value, ind.unit, decimals(ind))}${goal.label ? ` (${goal.label})` : ""}`));
  }
  const onPath = target.find((t) => String(t.period) === String(last.period));
  if (onPath && typeof last.value === "number" && onPath.value) {
    const gap = last.value - onPath.value;
    const worse = ind.higher_is_better === true ? gap < 0 : gap > 0;
    const where = gap > 0 ? "au-dessus de" : "en dessous de";
    card.append(
      h(
        "p",
        { class: worse ? "trajectory off" : "trajectory on" },
        `${last.period} : ${formatValue(Math.abs(gap), ind.unit, decimals(ind))} ${where} la trajectoire (${gap > 0 ? "+" : "−"}${formatNumber((Math.abs(gap) / onPath.value) * 100, 0)}\u00a0%)`,
        worse ? " — en retard sur l’objectif." : " — en avance sur l’objectif.",
      ),
    );
  }
  return card;
}

function methodSection(ind) {
  const all = periods(ind);
  return h(
    "section",
    { "aria-labelledby": "titre-methode" },
    h("h2", { id: "titre-methode" }, "Mode de calcul"),
    h(
      "dl",
      { class: "meta" },
      h("dt", {}, "Formule"),
      h("dd", {}, ind.formula || "—"),
      h("dt", {}, "Unité"),
      h("dd", {}, ind.unit),
      h("dt", {}, "Périodes"),
      h("dd", {}, all.length ? all.map(formatPeriod).join(", ") : "—"),
      h("dt", {}, "Échelles"),
      h("dd", {}, (ind.meshes || []).map((m) => MESH_LABELS[m] || m).join(", ")),
      h("dt", {}, "Version"),
      h("dd", {}, `${ind.version} (change quand la formule change)`),
      h("dt", {}, "Accès"),
      h("dd", {}, ACCESS[ind.access] || ind.access),
    ),
  );
}

async function originSection(ind, titles) {
  const section = h("section", { "aria-labelledby": "titre-origine" }, h("h2", { id: "titre-origine" }, "D’où vient ce chiffre ?"));
  try {
    const tree = await api.lineage(ind.id);
    section.append(h("p", { class: "muted" }, "Chaque étape est enregistrée : des sources d’origine aux fichiers reçus, puis aux données vérifiées et calculées."), lineageTree(tree, titles));
  } catch (error) {
    section.append(errorBox(error, "l’origine de ce chiffre"));
  }
  return section;
}
