// Classes of a choropleth: breaks rounded to two significant digits, so the legend shows exactly
// the limits used to colour the map, and a colour-blind-safe sequential palette (ColorBrewer).

import { h } from "./dom.js";
import { formatNumber, plural } from "./format.js";

export const NO_DATA = "#d4d4d4";
// Withheld by statistical secrecy: a value exists but may not be shown. Darker than "no data" and
// named apart in the legend, so a reader never takes one for the other.
export const MASKED = "#6f6f6f";
const PALETTES = {
  neutral: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"], // YlGnBu
  lowerIsBetter: ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"], // OrRd: more is worse
};

function roundSignificant(value, digits = 2) {
  if (value === 0 || !Number.isFinite(value)) return value;
  const magnitude = 10 ** (Math.floor(Math.log10(Math.abs(value))) - digits + 1);
  return Math.round(value / magnitude) * magnitude;
}

/** Quantile breaks (up to `count` classes) over the finite values. */
export function classify(values, { count = 5, higherIsBetter = null } = {}) {
  const sorted = values.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
  const palette = higherIsBetter === false ? PALETTES.lowerIsBetter : PALETTES.neutral;
  if (sorted.length === 0) return { breaks: [], colors: [], min: null, max: null };
  const breaks = [];
  for (let i = 1; i < count; i++) {
    const q = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / count))];
    const rounded = Number(roundSignificant(q).toPrecision(12));
    if (rounded > sorted[0] && rounded <= sorted[sorted.length - 1] && !breaks.includes(rounded)) breaks.push(rounded);
  }
  // With few communes, rounded quantiles can leave a class empty: drop the limits that do.
  for (let i = breaks.length - 1; i >= 0; i--) {
    const lo = i === 0 ? -Infinity : breaks[i - 1];
    if (!sorted.some((v) => v >= lo && v < breaks[i])) breaks.splice(i, 1);
  }
  if (breaks.length && !sorted.some((v) => v >= breaks[breaks.length - 1])) breaks.pop();
  const classes = breaks.length + 1;
  // Spread the palette when there are fewer classes than colours, keeping both ends.
  const colors = Array.from({ length: classes }, (_, i) => palette[classes === 1 ? 2 : Math.round((i * (palette.length - 1)) / (classes - 1))]);
  return { breaks, colors, min: sorted[0], max: sorted[sorted.length - 1] };
}

export function classOf(scale, value) {
  if (typeof value !== "number" || !Number.isFinite(value) || scale.colors.length === 0) return -1;
  let i = 0;
  while (i < scale.breaks.length && value >= scale.breaks[i]) i++;
  return i;
}

export function colorOf(scale, value) {
  const i = classOf(scale, value);
  return i < 0 ? NO_DATA : scale.colors[i];
}

/** Legend with the limits of each class and how many communes fall in it. */
export function legend(scale, values, { unit, decimals, masked = 0 }) {
  const counts = new Array(scale.colors.length).fill(0);
  let missing = 0;
  for (const v of values) {
    const i = classOf(scale, v);
    if (i < 0) missing++;
    else counts[i]++;
  }
  const d = Math.max(decimals, 0);
  const label = (i) => {
    const lo = i === 0 ? scale.min : scale.breaks[i - 1];
    const hi = i === scale.breaks.length ? scale.max : scale.breaks[i];
    if (scale.colors.length === 1) return `${formatNumber(scale.min, d)} à ${formatNumber(scale.max, d)}`;
    if (i === 0) return `moins de ${formatNumber(hi, d)}`;
    if (i === scale.breaks.length) return `${formatNumber(lo, d)} et plus`;
    return `de ${formatNumber(lo, d)} à moins de ${formatNumber(hi, d)}`;
  };
  const items = scale.colors.map((color, i) =>
    h("li", {}, h("span", { class: "swatch", style: `background:${color}` }), h("span", {}, label(i), " ", h("span", { class: "muted" }, `(${plural(counts[i], "commune")})`))),
  );
  if (masked) items.push(h("li", { "data-testid": "legende-secret" }, h("span", { class: "swatch masked" }), h("span", {}, "masquée par le secret statistique ", h("span", { class: "muted" }, `(${plural(masked, "commune")})`))));
  if (missing) items.push(h("li", { "data-testid": "legende-sans-valeur" }, h("span", { class: "swatch no-data" }), h("span", {}, "pas de donnée ", h("span", { class: "muted" }, `(${plural(missing, "commune")})`))));
  return h("div", { class: "legend" }, h("h2", { class: "h3" }, `Légende (${unit})`), h("ul", {}, items));
}
