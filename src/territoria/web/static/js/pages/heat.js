// The heat-island page: the story an elected official can tell. How much warmer are the summer
// nights in town than in the countryside, where, and measured by what: every measurement point on
// the map coloured by its nocturnal heat-island intensity, the rural reference marked apart, the
// communes ranked, the points ranked, and the territory's key figures above.

import * as api from "../api.js";
import { classify, colorOf, legend } from "../choropleth.js";
import { add, clear, h, table } from "../dom.js";
import { formatNumber, formatPeriod, formatValue } from "../format.js";
import { decimals, latestPeriod, periods, territoryMesh } from "../indicator-data.js";
import { createMap } from "../mapview.js";

const POINT_INDICATOR = "icu_intensite_capteur";
const COMMUNE_INDICATOR = "icu_intensite_commune";
const POINTS_DATASET = "capteurs_temperature";

/** The published heat-island indicator per measurement point, or null (the nav link stays hidden). */
export async function heatIndicator() {
  const indicators = await api.indicators();
  return indicators.find((i) => i.id === POINT_INDICATOR) || null;
}

async function pointRows() {
  try {
    const body = await api.get(`/api/datasets/${POINTS_DATASET}/rows?limit=10000`);
    return body.rows || [];
  } catch {
    return []; // positions unpublished or restricted: the ranking still tells the story
  }
}

function pointName(p) {
  const place = p.commune_nom || p.commune || "";
  return place ? `${place} — ${p.thing}` : p.thing;
}

export async function renderHeat(page, params) {
  const indicators = await api.indicators();
  const byId = new Map(indicators.map((i) => [i.id, i]));
  const ind = byId.get(POINT_INDICATOR);
  add(
    page,
    h("h1", {}, "Îlots de chaleur urbains"),
    h(
      "p",
      { class: "lead" },
      "De combien les nuits d’été sont-elles plus chaudes en ville qu’à la campagne ? Chaque point de mesure est comparé, nuit après nuit (22 h – 6 h), à une station de référence rurale : l’écart moyen est l’intensité de l’îlot de chaleur.",
    ),
  );
  if (!ind) {
    add(page, h("p", { class: "note" }, "Aucune mesure d’îlot de chaleur n’est encore publiée (pack « adaptation au changement climatique » et ses capteurs)."));
    return;
  }
  if (ind.readable === false) {
    add(page, h("p", { class: "note" }, "Les mesures d’îlot de chaleur sont en accès restreint : connectez-vous pour les voir."));
    return;
  }
  const all = periods(ind);
  const period = all.includes(params.get("periode")) ? params.get("periode") : latestPeriod(ind);
  const communeInd = byId.get(COMMUNE_INDICATOR);
  const nightsInd = byId.get("nuits_tropicales");
  const [values, points, communeValues, territoryValues, nights, geojson] = await Promise.all([
    api.values(POINT_INDICATOR, { mesh: "capteur", period }),
    pointRows(),
    communeInd && communeInd.readable !== false ? api.values(COMMUNE_INDICATOR, { mesh: "commune", period }) : Promise.resolve([]),
    communeInd && territoryMesh(communeInd) && communeInd.readable !== false ? api.values(COMMUNE_INDICATOR, { mesh: territoryMesh(communeInd), period }) : Promise.resolve([]),
    nightsInd && territoryMesh(nightsInd) && nightsInd.readable !== false ? api.values("nuits_tropicales", { mesh: territoryMesh(nightsInd) }) : Promise.resolve([]),
    api.communes(),
  ]);
  const d = decimals(ind);
  const measured = values.filter((r) => typeof r.value === "number").sort((a, b) => b.value - a.value);
  const pointsById = new Map(points.map((p) => [p.thing, p]));
  const references = points.filter((p) => p.reference === true);

  add(page, keyFigures(ind, measured, territoryValues[0], nights, pointsById, references, period));
  if (all.length > 1) {
    const picker = h("select", { id: "choix-periode" }, all.map((p) => h("option", { value: p, selected: p === period }, formatPeriod(p))));
    picker.addEventListener("change", () => (location.hash = `#/chaleur?periode=${encodeURIComponent(picker.value)}`));
    add(page, h("div", { class: "controls" }, h("div", {}, h("label", { for: "choix-periode" }, "Période"), picker)));
  }

  // One scale for the points and the communes: the same colour means the same warming.
  const scale = classify([...measured.map((r) => r.value), ...communeValues.map((r) => r.value)], { higherIsBetter: false });
  const mapEl = h("div", { id: "map", role: "region", "aria-label": `Carte des points de mesure colorés par intensité de l’îlot de chaleur, ${formatPeriod(period)}. Les mêmes valeurs figurent dans les tableaux.` });
  const tooltip = h("div", { class: "map-tooltip", hidden: true, "aria-hidden": "true" });
  const side = h("aside", { class: "map-side" }, h("section", { class: "card" }, legend(scale, communeValues.map((r) => r.value), { unit: ind.unit, decimals: d }), referenceNote(references)));
  add(page, h("div", { class: "map-layout" }, h("div", { class: "map-frame" }, mapEl, tooltip), side));

  const view = await createMap(mapEl, geojson, { onHover: () => {}, onSelect: (code) => (location.hash = `#/indicateur/${COMMUNE_INDICATOR}?code=${code}`) });
  page.dispose = () => view.map.remove();
  window.territoriaMap = view.map;
  view.setColors(new Map(communeValues.map((r) => [r.code, colorOf(scale, r.value)])));
  const valueById = new Map(measured.map((r) => [r.code, r]));
  const features = points
    .filter((p) => typeof p.lon === "number" && typeof p.lat === "number")
    .map((p) => ({
      type: "Feature",
      geometry: { type: "Point", coordinates: [p.lon, p.lat] },
      properties: { id: p.thing, reference: p.reference === true, color: colorOf(scale, valueById.get(p.thing)?.value) },
    }));
  view.setPoints(
    { type: "FeatureCollection", features },
    {
      onPoint(id, point, clicked) {
        if (!id) {
          tooltip.hidden = true;
          return;
        }
        const p = pointsById.get(id);
        const row = valueById.get(id);
        clear(tooltip).append(
          h("strong", {}, p ? pointName(p) : id),
          p && p.reference ? "station de référence rurale" : formatValue(row ? row.value : null, ind.unit, d),
        );
        tooltip.style.left = `${point.x + 14}px`;
        tooltip.style.top = `${point.y + 14}px`;
        tooltip.hidden = false;
        if (clicked) document.querySelector(`tr[data-point="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "center" });
      },
    },
  );

  add(page, communeRanking(communeInd, communeValues), pointRanking(ind, measured, pointsById));
  await view.whenIdle();
  mapEl.dataset.ready = `${POINT_INDICATOR}:${formatPeriod(period)}`;
}

function keyFigures(ind, measured, territoryRow, nights, pointsById, references, period) {
  const d = decimals(ind);
  const hottest = measured[0];
  const hottestPoint = hottest && pointsById.get(hottest.code);
  const cards = [];
  if (territoryRow && typeof territoryRow.value === "number") {
    cards.push(kpi("Intensité moyenne des points urbains", formatValue(territoryRow.value, ind.unit, d), `nuits de ${formatPeriod(period)}`, "icu-territoire"));
  }
  if (hottest) {
    const where = hottestPoint ? pointName(hottestPoint) : hottest.libelle || hottest.code;
    cards.push(kpi("Point le plus chaud la nuit", `+${formatValue(hottest.value, ind.unit, d)}`, where, "icu-max"));
  }
  const lastNights = [...nights].filter((r) => typeof r.value === "number").sort((a, b) => String(a.period).localeCompare(String(b.period))).pop();
  if (lastNights) cards.push(kpi("Nuits tropicales (≥ 20 °C)", formatNumber(lastNights.value, 0), `moyenne des capteurs, ${formatPeriod(lastNights.period)}`, "nuits-tropicales"));
  const reference = references.map((p) => p.commune_nom || p.thing).join(", ");
  const story = hottest
    ? `La nuit, le point le plus chaud (${hottestPoint ? pointName(hottestPoint) : hottest.code}) a été en moyenne ${formatValue(hottest.value, ind.unit, d)} plus chaud que la référence rurale${reference ? ` (${reference})` : ""}, sur ${formatNumber(hottest.nuits_completes, 0)} nuits complètes.`
    : "Pas encore de nuit complète mesurée pour cette période.";
  return h("section", { "aria-label": "Chiffres clés" }, h("div", { class: "grid" }, cards), h("p", { "data-testid": "recit-chaleur" }, story));
}

function kpi(title, value, caption, testid) {
  return h("div", { class: "card kpi-card", "data-testid": testid }, h("span", { class: "kpi-title" }, title), h("span", { class: "figure" }, h("span", { class: "figure-value" }, value)), h("span", { class: "figure-caption" }, caption));
}

function referenceNote(references) {
  if (!references.length) return null;
  return h(
    "p",
    { class: "legend-reference" },
    h("span", { class: "swatch reference-dot", "aria-hidden": "true" }),
    ` Référence rurale : ${references.map(pointName).join(", ")}. Les points sont colorés comme les communes.`,
  );
}

function communeRanking(communeInd, rows) {
  const section = h("section", { "aria-labelledby": "titre-classement-communes" }, h("h2", { id: "titre-classement-communes" }, "Les communes, de la plus touchée à la moins touchée"));
  const ranked = rows.filter((r) => typeof r.value === "number").sort((a, b) => b.value - a.value);
  if (!communeInd || !ranked.length) {
    section.append(h("p", { class: "muted" }, "Pas de valeur par commune pour cette période."));
    return section;
  }
  const d = decimals(communeInd);
  const body = ranked.map((r, i) => [
    String(i + 1),
    h("a", { href: `#/indicateur/${COMMUNE_INDICATOR}?code=${encodeURIComponent(r.code)}` }, r.libelle || r.code),
    formatNumber(r.value, d),
    formatNumber(r.capteurs, 0),
  ]);
  section.append(h("div", { class: "table-wrap" }, table(null, ["Rang", "Commune", `Intensité (${communeInd.unit})`, "Points de mesure"], body, { numeric: [0, 2, 3] })));
  return section;
}

function pointRanking(ind, measured, pointsById) {
  const d = decimals(ind);
  const section = h("section", { "aria-labelledby": "titre-classement-points" }, h("h2", { id: "titre-classement-points" }, "Les points de mesure, du plus chaud au moins chaud"));
  const rows = measured.map((r, i) => {
    const p = pointsById.get(r.code);
    const tr = h(
      "tr",
      { "data-point": r.code },
      h("td", { class: "num" }, String(i + 1)),
      h("td", {}, p ? pointName(p) : r.libelle || r.code),
      h("td", { class: "num" }, formatNumber(r.value, d)),
      h("td", { class: "num" }, formatNumber(r.nuits_completes, 0)),
      h("td", {}, p && p.profile ? p.profile : "—"),
    );
    return tr;
  });
  section.append(
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data" },
        h("thead", {}, h("tr", {}, ["Rang", "Point de mesure", `Intensité (${ind.unit})`, "Nuits complètes", "Appareil"].map((t, i) => h("th", { scope: "col", class: [0, 2, 3].includes(i) ? "num" : null }, t)))),
        h("tbody", {}, rows),
      ),
    ),
  );
  return section;
}
