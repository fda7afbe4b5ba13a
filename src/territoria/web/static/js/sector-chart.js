// The breakdown of an indicator by sector, year by year, for one place: stacked bars when the
// values add up (MWh, tCO2e), bars side by side when they do not (a change in %). Cells masked by
// the statistical secrecy are never drawn as zero nor worked out from the total: each year that
// has some shows a hatched mark labelled "secret statistique", and the data table says it cell by
// cell. The published total of all sectors is drawn as a line over the bar: the gap between it and
// the stacked parts is what the secrecy hides.

import { h, table } from "./dom.js";
import { formatNumber, formatValue } from "./format.js";
import { niceTicks } from "./chart.js";
import { isTotal, valueLabel } from "./dimensions.js";

// On a phone the drawing is made narrower rather than scaled down, so its labels stay readable.
const narrow = () => typeof window !== "undefined" && window.matchMedia("(max-width: 600px)").matches;
// Okabe–Ito: told apart with the common colour-vision deficiencies
const COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];
const SECTOR_COLUMNS = ["sector", "secteur"];
export const SECRET = "secret statistique";

let count = 0;

/** The sector breakdown column of these dimensions, or undefined. */
export function sectorDimension(dims) {
  return dims.find((d) => SECTOR_COLUMNS.includes(d.name));
}

/** {periods, sectors, cell(period, sector) -> row, total(period) -> row} from one place's rows. */
export function sectorTable(rows, column) {
  const cells = new Map(rows.map((r) => [`${r.period}\u0001${r[column]}`, r]));
  const periods = [...new Set(rows.map((r) => String(r.period)))].sort();
  const sectors = [...new Set(rows.map((r) => r[column]))].filter((s) => s !== null && !isTotal(s));
  sectors.sort((a, b) => valueLabel(a).localeCompare(valueLabel(b), "fr"));
  const totalName = [...new Set(rows.map((r) => r[column]))].find(isTotal);
  return {
    periods,
    sectors,
    cell: (period, sector) => cells.get(`${period}\u0001${sector}`),
    total: (period) => (totalName === undefined ? undefined : cells.get(`${period}\u0001${totalName}`)),
  };
}

const masked = (row) => Boolean(row && row.secret === true);
const number = (row) => (row && typeof row.value === "number" && !masked(row) ? row.value : null);

/** A cell as text: the value, "secret statistique", or "—" when nothing is published. */
export function cellText(row, decimals) {
  if (masked(row)) return SECRET;
  return formatNumber(number(row), decimals);
}

/** The section, or null when the indicator has no sector breakdown. */
export function sectorSection(ind, rows, dims, { decimals = 1, place = "" } = {}) {
  const dim = sectorDimension(dims);
  if (!dim || !rows.length) return null;
  const data = sectorTable(rows, dim.name);
  if (!data.sectors.length) return null;
  const additive = ind.unit !== "%" && rows.every((r) => number(r) === null || number(r) >= 0);
  const title = `${ind.title} par secteur${place ? `, ${place}` : ""}`;
  const colour = new Map(data.sectors.map((s, i) => [s, COLOURS[i % COLOURS.length]]));
  const secrets = rows.filter((r) => masked(r) && !isTotal(r[dim.name])).length;
  const summary = secrets
    ? `${secrets} valeur${secrets > 1 ? "s" : ""} par secteur couverte${secrets > 1 ? "s" : ""} par le secret statistique : ni dessinée${secrets > 1 ? "s" : ""}, ni comptée${secrets > 1 ? "s" : ""} pour zéro.`
    : "Aucune valeur masquée par le secret statistique.";
  return h(
    "section",
    { "aria-labelledby": "titre-secteurs", class: "sector-breakdown" },
    h("h2", { id: "titre-secteurs" }, "Par secteur"),
    h(
      "figure",
      { class: "chart" },
      drawing(data, { additive, colour, unit: ind.unit, decimals, title, summary }),
      legend(data.sectors, colour, additive, Boolean(data.periods.some((p) => data.total(p)))),
      h("figcaption", { class: "muted" }, summary),
      h("details", {}, h("summary", {}, "Voir les données par secteur"), dataTable(data, ind.unit, decimals, title)),
    ),
  );
}

function drawing(data, { additive, colour, unit, decimals, title, summary }) {
  const id = ++count;
  const small = narrow();
  const [W, H] = small ? [380, 280] : [720, 340];
  const M = { top: 24, right: small ? 8 : 16, bottom: 40, left: small ? 60 : 76 };
  const heights = data.periods.flatMap((p) => {
    const parts = data.sectors.map((s) => number(data.cell(p, s))).filter((v) => v !== null);
    const total = additive ? number(data.total(p)) : null;
    return additive ? [parts.reduce((a, b) => a + b, 0), total ?? 0] : parts;
  });
  const ticks = niceTicks(Math.min(0, ...heights), Math.max(0, ...heights));
  const [yMin, yMax] = [ticks[0], ticks[ticks.length - 1]];
  const y = (v) => H - M.bottom - ((v - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const band = (W - M.left - M.right) / data.periods.length;
  const barWidth = band * 0.7;
  const marks = [];
  data.periods.forEach((period, i) => {
    const x0 = M.left + i * band + (band - barWidth) / 2;
    const hidden = data.sectors.filter((s) => masked(data.cell(period, s)));
    let top = y(0);
    if (additive) {
      let acc = 0;
      for (const s of data.sectors) {
        const v = number(data.cell(period, s));
        if (v === null || v === 0) continue;
        marks.push(bar(x0, y(acc + v), barWidth, y(acc) - y(acc + v), colour.get(s), `${period}, ${valueLabel(s)} : ${formatValue(v, unit, decimals)}`));
        acc += v;
      }
      top = y(acc);
      const total = number(data.total(period));
      if (total !== null) {
        marks.push(h("svg:line", { class: "total-mark", x1: x0 - 3, x2: x0 + barWidth + 3, y1: y(total), y2: y(total) }, h("svg:title", {}, `${period}, tous secteurs (publié) : ${formatValue(total, unit, decimals)}`)));
        top = Math.min(top, y(total));
      }
    } else {
      const w = barWidth / data.sectors.length;
      data.sectors.forEach((s, j) => {
        const v = number(data.cell(period, s));
        if (v === null) return;
        marks.push(bar(x0 + j * w, Math.min(y(v), y(0)), w, Math.abs(y(v) - y(0)), colour.get(s), `${period}, ${valueLabel(s)} : ${formatValue(v, unit, decimals)}`));
        top = Math.min(top, y(v));
      });
    }
    if (hidden.length) {
      const text = `${period} : ${SECRET} pour ${hidden.map(valueLabel).join(", ")}`;
      marks.push(h("svg:rect", { class: "secret-mark", x: x0, y: top - 12, width: barWidth, height: 9, fill: `url(#hachures-${id})`, "data-period": period }, h("svg:title", {}, text)));
    }
  });
  const labelEvery = Math.ceil(data.periods.length / (small ? 4 : 8));
  return h(
    "svg:svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `secteurs-titre-${id} secteurs-desc-${id}` },
    h("svg:title", { id: `secteurs-titre-${id}` }, title),
    h("svg:desc", { id: `secteurs-desc-${id}` }, summary),
    h(
      "svg:defs",
      {},
      h("svg:pattern", { id: `hachures-${id}`, patternUnits: "userSpaceOnUse", width: 5, height: 5, patternTransform: "rotate(45)" }, h("svg:rect", { width: 5, height: 5, fill: "#fff" }), h("svg:line", { x1: 0, y1: 0, x2: 0, y2: 5, stroke: "#333", "stroke-width": 2.5 })),
    ),
    h("svg:text", { class: "label", x: M.left - 8, y: 12, "text-anchor": "end" }, unit),
    h(
      "svg:g",
      { class: "axis" },
      ticks.map((t) => [h("svg:line", { class: "grid-line", x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }), h("svg:text", { x: M.left - 8, y: y(t) + 4, "text-anchor": "end" }, formatNumber(t, 0))]),
      data.periods.map((p, i) => (i % labelEvery === 0 ? h("svg:text", { x: M.left + (i + 0.5) * band, y: H - M.bottom + 22, "text-anchor": "middle" }, p) : null)),
    ),
    marks,
  );
}

function bar(x, y, width, height, fill, text) {
  return h("svg:rect", { class: "sector-bar", x, y, width, height: Math.max(0, height), fill }, h("svg:title", {}, text));
}

function legend(sectors, colour, additive, withTotal) {
  const swatch = (cls, fill) => {
    const el = h("span", { class: `key ${cls}`, "aria-hidden": "true" });
    if (fill) el.style.background = fill;
    return el;
  };
  return h(
    "ul",
    { class: "chart-legend sector-legend" },
    sectors.map((s) => h("li", {}, swatch("swatch", colour.get(s)), valueLabel(s))),
    additive && withTotal ? h("li", {}, swatch("total"), "Tous secteurs (total publié)") : null,
    h("li", {}, swatch("secret"), `${SECRET} (valeur masquée, non dessinée)`),
  );
}

function dataTable(data, unit, decimals, title) {
  const withTotal = data.periods.some((p) => data.total(p));
  const headers = ["Année", ...data.sectors.map(valueLabel), ...(withTotal ? ["Tous secteurs"] : [])];
  const rows = data.periods.map((p) => [p, ...data.sectors.map((s) => cellText(data.cell(p, s), decimals)), ...(withTotal ? [cellText(data.total(p), decimals)] : [])]);
  const numeric = headers.map((_, i) => i).slice(1);
  // seven columns do not fit a phone: the table scrolls sideways in its frame, not the page
  return h("div", { class: "table-wrap" }, table(`${title} (${unit})`, headers, rows, { numeric, className: "data sector-table" }));
}
