// A trend chart in plain SVG: the indicator's values by year, and its target trajectory (dashed)
// when it has one. The SVG carries a text summary (role="img", <title>, <desc>) and a data table
// of the same points follows it, for screen readers and for anyone who wants the exact figures.

import { h, table } from "./dom.js";
import { formatNumber, formatPeriod, formatValue } from "./format.js";

const W = 720;
const H = 320;
const M = { top: 30, right: 24, bottom: 40, left: 72 };

/** Round axis ticks: 0, 50 000, 100 000... */
export function niceTicks(min, max, count = 5) {
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const start = Math.floor(min / step) * step;
  const ticks = [Number(start.toPrecision(12))];
  while (ticks[ticks.length - 1] < max) ticks.push(Number((start + step * ticks.length).toPrecision(12)));
  return ticks;
}

let chartCount = 0;

// A year, a month ("2025-07": placed at its middle) or an interval (placed mid-year).
const periodNumber = (p) => {
  const month = String(p).match(/^(\d{4})-(\d{2})$/);
  if (month) return Number(month[1]) + (Number(month[2]) - 0.5) / 12;
  return Number(String(p).slice(0, 4)) + (String(p).length > 4 ? 0.5 : 0);
};

/**
 * series: [{period, value}], target: [{period, value}] or [], unit, decimals, title.
 * Returns a <figure> with the SVG, its legend and the data table.
 */
export function trendChart({ series, target = [], unit, decimals = 1, title }) {
  const points = series.filter((p) => p.value !== null && p.value !== undefined);
  if (points.length < 2 && target.length === 0) {
    // One point draws no trend: say so, and keep the figure's table.
    return h(
      "figure",
      { class: "chart" },
      h("figcaption", {}, describe(points, target, unit, decimals), " L’évolution s’affichera dès que plusieurs périodes seront publiées."),
    );
  }
  const all = [...points, ...target];
  const xs = all.map((p) => periodNumber(p.period));
  const ys = [0, ...all.map((p) => p.value)];
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const ticks = niceTicks(Math.min(...ys), Math.max(...ys));
  const yMin = ticks[0];
  const yMax = ticks[ticks.length - 1];
  const x = (p) => M.left + (xMax === xMin ? 0.5 : (periodNumber(p) - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - ((v - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const years = [...new Set(all.map((p) => String(p.period)))].sort();
  const xLabels = years.length > 12 ? years.filter((_, i) => i % Math.ceil(years.length / 12) === 0) : years;
  const path = (pts) => pts.map((p, i) => `${i ? "L" : "M"}${x(p.period).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");

  const summary = describe(points, target, unit, decimals);
  const ids = { title: `chart-title-${++chartCount}`, desc: `chart-desc-${chartCount}` };
  const svg = h(
    "svg:svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${ids.title} ${ids.desc}` },
    h("svg:title", { id: ids.title }, title),
    h("svg:desc", { id: ids.desc }, summary),
    h("svg:text", { class: "label", x: M.left - 8, y: 12, "text-anchor": "end" }, unit),
    h(
      "svg:g",
      { class: "axis" },
      ticks.map((t) => [
        h("svg:line", { class: "grid-line", x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }),
        h("svg:text", { x: M.left - 8, y: y(t) + 4, "text-anchor": "end" }, formatNumber(t, Math.max(0, decimals))),
      ]),
      xLabels.map((p) => h("svg:text", { x: x(p), y: H - M.bottom + 22, "text-anchor": "middle" }, p)),
    ),
    target.length ? h("svg:path", { class: "target", d: path(target) }) : null,
    // Only the ends of the trajectory (and labelled milestones) get a marker: a dot a year is noise.
    target
      .filter((p, i) => i === 0 || i === target.length - 1 || p.label)
      .map((p) => h("svg:circle", { class: "target-point", cx: x(p.period), cy: y(p.value), r: 4.5 }, h("svg:title", {}, `Objectif ${p.period} : ${formatValue(p.value, unit, decimals)}`))),
    points.length > 1 ? h("svg:path", { class: "series", d: path(points) }) : null,
    points.map((p) =>
      h(
        "svg:circle",
        { class: "series-point", cx: x(p.period), cy: y(p.value), r: 5 },
        h("svg:title", {}, `${p.period} : ${formatValue(p.value, unit, decimals)}`),
      ),
    ),
  );
  const legend = h(
    "p",
    { class: "chart-legend", "aria-hidden": "true" },
    h("span", {}, h("span", { class: "key" }), "Valeurs observées"),
    target.length ? h("span", {}, h("span", { class: "key target" }), "Trajectoire cible") : null,
  );
  return h(
    "figure",
    { class: "chart" },
    svg,
    legend,
    h("figcaption", { class: "muted" }, summary),
    h("details", {}, h("summary", {}, "Voir les données du graphique"), dataTable(points, target, unit, decimals, title)),
  );
}

function describe(points, target, unit, decimals) {
  if (points.length === 0) return "Aucune valeur disponible.";
  const first = points[0];
  const last = points[points.length - 1];
  let text =
    points.length === 1
      ? `Une seule période disponible : ${formatValue(last.value, unit, decimals)} (${formatPeriod(last.period)}).`
      : `De ${formatValue(first.value, unit, decimals)} en ${formatPeriod(first.period)} à ${formatValue(last.value, unit, decimals)} en ${formatPeriod(last.period)}` +
        (first.value ? ` (${signedPercent((last.value - first.value) / Math.abs(first.value))}).` : ".");
  if (target.length) {
    const goal = target[target.length - 1];
    text += ` Objectif : ${formatValue(goal.value, unit, decimals)} en ${formatPeriod(goal.period)}.`;
  }
  return text;
}

function signedPercent(ratio) {
  const text = formatNumber(Math.abs(ratio) * 100, 1);
  return ratio === 0 ? "stable" : `${ratio > 0 ? "+" : "−"}${text}\u00a0%`;
}

function dataTable(points, target, unit, decimals, title) {
  const byPeriod = new Map();
  for (const p of points) byPeriod.set(String(p.period), { observed: p.value });
  for (const p of target) byPeriod.set(String(p.period), { ...(byPeriod.get(String(p.period)) || {}), target: p.value });
  const periods = [...byPeriod.keys()].sort();
  const headers = ["Année", `Valeur (${unit})`];
  if (target.length) headers.push(`Objectif (${unit})`);
  const rows = periods.map((p) => {
    const row = byPeriod.get(p);
    const cells = [p, formatNumber(row.observed, decimals)];
    if (target.length) cells.push(formatNumber(row.target, decimals));
    return cells;
  });
  return table(title, headers, rows, { numeric: [1, 2] });
}
