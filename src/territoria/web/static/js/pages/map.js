// The map page: pick an indicator and a year, see the communes coloured by value with a legend,
// hover or click a commune (or use the table below the map, its text alternative) for its value.

import * as api from "../api.js";
import { replaceParams } from "../router.js";
import { classify, colorOf, legend, MASKED } from "../choropleth.js";
import { add, announce, clear, errorBox, h } from "../dom.js";
import { formatFigure, formatNumber, formatPeriod, formatValue } from "../format.js";
import { decimals, latestPeriod, periods, territoryMesh } from "../indicator-data.js";
import { choiceLabel, dimensionControls, dimensions, pick } from "../dimensions.js";
import { createMap } from "../mapview.js";
import { applyRatio, areaKm2, defaultRatio, populationFor, ratioDecimals, ratioOptions, ratioUnit } from "../ratios.js";
import { communeSummary, qualityList, qualityNotes } from "../quality.js";

function select(id, label, options, value, onChange) {
  return h(
    "div",
    {},
    h("label", { for: id }, label),
    h(
      "select",
      { id, onchange: (event) => onChange(event.target.value) },
      options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
    ),
  );
}

export async function renderMap(page, params) {
  const [published, geojson] = await Promise.all([api.indicators(), api.communes()]);
  // Indicators computed for the territory only (a trajectory...) have nothing to map.
  const indicators = published.filter((i) => !i.meshes || i.meshes.length === 0 || i.meshes.includes("commune"));
  add(page, 
    h("h1", {}, `Carte du territoire — ${geojson.name || ""}`),
    h("p", { class: "lead" }, "Choisissez un indicateur et une année. Survolez ou cliquez une commune pour voir sa valeur ; le tableau sous la carte donne toutes les valeurs. Les quantités (énergie, émissions, personnes) sont rapportées par défaut au nombre d’habitants, pour comparer des communes de tailles différentes."),
  );
  if (indicators.length === 0) {
    add(page, h("p", { class: "note" }, "Aucun indicateur par commune n’est encore publié. Lancez territoria run puis rechargez la page."));
    return;
  }
  const state = {
    indicator: indicators.find((i) => i.id === params.get("indicateur")) || indicators[0],
    period: params.get("annee"),
    code: params.get("commune"),
    ratio: params.get("rapport"),
    rows: [],
    sort: "nom",
    allRows: [],
    territoryRows: [],
    dims: [],
    // breakdown choices (sector, energy...) come back from the address too
    choice: Object.fromEntries([...params.entries()].filter(([k]) => !["indicateur", "annee", "commune", "rapport"].includes(k))),
  };
  const names = new Map(geojson.features.map((f) => [f.properties.code, f.properties.nom]));
  for (const m of geojson.missing || []) names.set(m.code, m.nom);
  const missing = new Set((geojson.missing || []).map((m) => m.code));
  // Denominators of the per-inhabitant and per-km² views.
  const areas = new Map(geojson.features.map((f) => [f.properties.code, areaKm2(f.geometry)]));
  const denominators = { population: new Map(), area: areas };
  const unit = () => ratioUnit(state.indicator, state.ratio);
  const dec = () => (state.ratio === "total" ? decimals(state.indicator) : ratioDecimals(state.rows.map((r) => r.value), decimals(state.indicator)));

  const controls = h("div", { class: "controls" });
  const mapEl = h("div", { id: "map", role: "region" });
  const tooltip = h("div", { class: "map-tooltip", hidden: true, "aria-hidden": "true" });
  const summaryCard = h("section", { class: "card", "aria-label": "Valeur du territoire" });
  const legendCard = h("section", { class: "card" });
  const panel = h("section", { class: "card commune-panel", "aria-live": "polite", "data-testid": "commune-panel" });
  const tableSection = h("section", { "aria-labelledby": "titre-tableau" });
  add(page, 
    controls,
    h(
      "div",
      { class: "map-layout" },
      h("div", {}, h("div", { class: "map-frame" }, mapEl, tooltip), missingNote(geojson.missing || [])),
      h("aside", { class: "map-side" }, summaryCard, legendCard, panel),
    ),
    tableSection,
  );

  const rowOf = (code) => state.rows.find((r) => r.code === code);
  const view = await createMap(mapEl, geojson, {
    onHover(code, point) {
      if (!code) {
        tooltip.hidden = true;
        return;
      }
      const row = rowOf(code);
      clear(tooltip).append(h("strong", {}, names.get(code) || code), row && row.secret === true ? "secret statistique" : formatValue(row ? row.value : null, unit(), dec()));
      tooltip.style.left = `${point.x + 14}px`;
      tooltip.style.top = `${point.y + 14}px`;
      tooltip.hidden = false;
    },
    onSelect: (code) => choose(code),
  });
  page.dispose = () => view.map.remove();
  window.territoriaMap = view.map; // for debugging and the browser test (map.project)

  function saveParams() {
    const p = new URLSearchParams({ indicateur: state.indicator.id });
    if (state.ratio !== defaultRatio(state.indicator)) p.set("rapport", state.ratio);
    if (state.period) p.set("annee", state.period);
    if (state.code) p.set("commune", state.code);
    for (const d of state.dims) p.set(d.name, state.choice[d.name]);
    replaceParams(p);
  }

  function choose(code) {
    state.code = code;
    view.select(code);
    renderPanel();
    for (const tr of tableSection.querySelectorAll("tr[data-code]")) tr.classList.toggle("selected", tr.dataset.code === code);
    saveParams();
    const row = rowOf(code);
    announce(`${names.get(code) || code} : ${row && row.secret === true ? "valeur masquée par le secret statistique" : formatValue(row ? row.value : null, unit(), dec())}`);
  }

  function renderPanel() {
    clear(panel);
    const ind = state.indicator;
    if (!state.code) {
      panel.append(h("h2", { class: "h3" }, "Commune"), h("p", { class: "muted" }, "Cliquez une commune sur la carte ou dans le tableau pour voir sa valeur."));
      return;
    }
    const row = rowOf(state.code);
    panel.append(
      h("h2", { class: "h3", "data-testid": "commune-name" }, names.get(state.code) || (row && row.libelle) || state.code),
      h("p", { class: "muted" }, `Code INSEE ${state.code}${missing.has(state.code) ? " · pas de contour sur la carte" : ""}`),
      h(
        "p",
        { class: "figure" },
        h("span", { class: "figure-value", "data-testid": "commune-value", "data-value": row && row.value !== null ? row.value : "" }, row && row.secret === true ? "secret" : formatFigure(row ? row.value : null, dec())),
        h("span", { class: "figure-unit" }, row && row.secret === true ? "" : unit()),
      ),
      row && typeof row.total_value === "number" ? h("p", { class: "muted", "data-testid": "commune-total" }, `soit ${formatValue(row.total_value, ind.unit, decimals(ind))} au total`) : null,
      h("p", { class: "figure-caption" }, `${subject()}, ${formatPeriod(state.period)}`),
      qualityList(qualityNotes(row || { value: null })),
      h("p", {}, h("a", { href: `#/indicateur/${encodeURIComponent(ind.id)}?code=${encodeURIComponent(state.code)}` }, "Évolution et origine de ce chiffre")),
    );
  }

  async function load() {
    const ind = state.indicator;
    const all = periods(ind);
    if (!all.includes(state.period)) state.period = latestPeriod(ind);
    if (!ratioOptions(ind).some(([key]) => key === state.ratio)) state.ratio = defaultRatio(ind);
    if (ind.readable === false) {
      Object.assign(state, { allRows: [], territoryRows: [], dims: [] });
      renderControls();
      saveParams();
      state.rows = [];
      view.setColors(new Map());
      clear(summaryCard).append(h("p", { class: "note" }, "Cet indicateur est en accès restreint : ses valeurs ne sont pas publiques."));
      clear(legendCard);
      clear(tableSection);
      renderPanel();
      return;
    }
    const mesh = territoryMesh(ind);
    const [rows, territory, population] = await Promise.all([
      api.values(ind.id, { mesh: "commune", period: state.period }),
      mesh ? api.values(ind.id, { mesh, period: state.period }) : Promise.resolve([]),
      state.ratio === "habitant" ? populationRows() : Promise.resolve([]),
    ]);
    denominators.population = populationFor(population, state.period);
    if (ind !== state.indicator) return; // another indicator was picked meanwhile
    state.allRows = rows;
    state.territoryRows = territory;
    state.dims = dimensions(rows.length ? rows : territory);
    for (const d of state.dims) if (!d.values.includes(state.choice[d.name])) state.choice[d.name] = d.initial;
    renderControls();
    await apply();
  }

  /** Colour, legend, panel and table for the chosen indicator, year and breakdown. */
  async function apply() {
    const ind = state.indicator;
    saveParams();
    state.rows = applyRatio(pick(state.allRows, state.dims, state.choice), state.ratio, denominators);
    const rows = state.rows;
    const scale = classify(
      rows.map((r) => r.value),
      { higherIsBetter: ind.higher_is_better },
    );
    // Masked by secrecy is not "no data": its own colour, its own line in the legend.
    view.setColors(new Map(rows.map((r) => [r.code, r.secret === true ? MASKED : colorOf(scale, r.value)])));
    view.select(state.code);
    mapEl.setAttribute("aria-label", `Carte des communes : ${subject()} en ${formatPeriod(state.period)}. Les mêmes valeurs figurent dans le tableau sous la carte.`);
    renderSummary(applyRatio(pick(state.territoryRows, state.dims, state.choice), state.ratio, territoryDenominators())[0], rows);
    const shown = [...names.keys()].map((code) => rowOf(code));
    const masked = shown.filter((r) => r && r.secret === true).length;
    clear(legendCard).append(legend(scale, shown.filter((r) => !r || r.secret !== true).map((r) => r?.value ?? null), { unit: unit(), decimals: dec(), masked }));
    renderPanel();
    renderTable();
    await view.whenIdle();
    mapEl.dataset.ready = `${ind.id}:${formatPeriod(state.period)}`;
  }

  /** "Consommation d'énergie (Résidentiel, Électricité)" */
  function subject() {
    const detail = choiceLabel(state.dims, state.choice);
    const title = state.ratio === "habitant" ? `${state.indicator.title} par habitant` : state.ratio === "km2" ? `${state.indicator.title} par km²` : state.indicator.title;
    return detail ? `${title} (${detail})` : title;
  }

  function renderControls() {
    const indicatorOptions = indicators.map((i) => [i.id, `${i.title} (${i.unit})`]);
    const periodOptions = periods(state.indicator).map((p) => [p, formatPeriod(p)]);
    clear(controls).append(
      select("choix-indicateur", "Indicateur", indicatorOptions, state.indicator.id, (id) => {
        state.indicator = indicators.find((i) => i.id === id);
        load().catch(showError);
      }),
      select("choix-annee", "Année", periodOptions, state.period, (period) => {
        state.period = period;
        load().catch(showError);
      }),
      ...dimensionControls(state.dims, state.choice, () => apply().catch(showError)),
      ...(ratioOptions(state.indicator).length > 1
        ? [
            select("choix-rapport", "Rapporter", ratioOptions(state.indicator), state.ratio, (ratio) => {
              state.ratio = ratio;
              load().catch(showError);
            }),
          ]
        : []),
    );
  }

  function renderSummary(territoryRow, rows) {
    const ind = state.indicator;
    clear(summaryCard).append(h("h2", { class: "h3" }, territoryRow ? territoryRow.libelle || "Territoire" : "Territoire"));
    if (territoryRow) {
      summaryCard.append(
        h("p", { class: "figure" }, h("span", { class: "figure-value" }, formatFigure(territoryRow.value, dec())), h("span", { class: "figure-unit" }, unit())),
        h("p", { class: "figure-caption" }, `${subject()}, ${formatPeriod(state.period)}`),
      );
    }
    const notes = [...(territoryRow ? qualityNotes(territoryRow).filter((n) => n.level !== "ok") : []), ...communeSummary(rows)];
    if (notes.length) summaryCard.append(qualityList(notes));
    summaryCard.append(h("p", {}, h("a", { href: `#/indicateur/${encodeURIComponent(ind.id)}` }, "Fiche de l’indicateur")));
  }

  function renderTable() {
    const d = dec();
    const byName = [...names.keys()].sort((a, b) => (names.get(a) || a).localeCompare(names.get(b) || b, "fr"));
    const valueOf = (code) => rowOf(code)?.value ?? -Infinity;
    const ordered = state.sort === "valeur" ? [...byName].sort((a, b) => valueOf(b) - valueOf(a)) : byName;
    const body = ordered.map((code) => {
      const row = rowOf(code);
      const notes = row && row.ratio_missing ? [{ text: state.ratio === "habitant" ? "Population inconnue pour cette année." : "Surface inconnue (pas de contour)." }] : qualityNotes(row || { value: null }).filter((n) => n.level !== "ok");
      return h(
        "tr",
        { "data-code": code, class: code === state.code ? "selected" : null },
        h("th", { scope: "row" }, h("button", { type: "button", class: "link-button", onclick: () => choose(code) }, names.get(code) || code)),
        h("td", {}, code, missing.has(code) ? h("span", { class: "muted" }, " (sans contour)") : null),
        h("td", { class: "num" }, row && row.secret === true ? "secret" : formatNumber(row ? row.value : null, d)),
        h("td", {}, notes.map((n) => n.text).join(" ") || "—"),
      );
    });
    const sorter = select("tri-tableau", "Trier", [["nom", "par nom de commune"], ["valeur", "par valeur, de la plus forte à la plus faible"]], state.sort, (sort) => {
      state.sort = sort;
      renderTable();
      document.getElementById("tri-tableau").focus();
    });
    clear(tableSection).append(
      h("h2", { id: "titre-tableau" }, `Tableau des valeurs — ${subject()}, ${formatPeriod(state.period)}`),
      h("div", { class: "controls" }, sorter),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data" },
          h("caption", { class: "visually-hidden" }, `${subject()} par commune en ${formatPeriod(state.period)}, en ${unit()}`),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Commune"), h("th", { scope: "col" }, "Code INSEE"), h("th", { scope: "col", class: "num" }, `Valeur (${unit()})`), h("th", { scope: "col" }, "Qualité"))),
          h("tbody", {}, body),
        ),
      ),
    );
  }

  /** Population of the whole territory (its own mesh) and the sum of the communes' areas. */
  function territoryDenominators() {
    const code = state.territoryRows[0]?.code;
    const area = new Map(code ? [[code, [...areas.values()].reduce((a, b) => a + (b || 0), 0)]] : []);
    return { population: denominators.population, area };
  }

  async function populationRows() {
    const meshes = ["commune", territoryMesh(state.indicator)].filter(Boolean);
    const parts = await Promise.all(meshes.map((mesh) => api.values("population", { mesh }).catch(() => [])));
    return parts.flat();
  }

  function showError(error) {
    clear(summaryCard).append(errorBox(error, "les valeurs"));
  }

  await load();
}

function missingNote(missing) {
  if (!missing.length) return null;
  const list = missing.map((m) => `${m.nom || m.code} (${m.code})`).join(", ");
  return h(
    "p",
    { class: "note", "data-testid": "communes-sans-contour" },
    `${missing.length > 1 ? "Communes" : "Commune"} sans contour connu, absente${missing.length > 1 ? "s" : ""} de la carte : ${list}. Leurs valeurs figurent dans le tableau.`,
  );
}
