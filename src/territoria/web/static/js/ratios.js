// Views of a commune map that compare like with like. An absolute quantity (MWh, tCO2e, persons)
// drawn as a choropleth mostly shows which communes are big: Rennes would share a class with the
// small communes of a category. Dividing by the population or by the area compares the communes'
// intensities; that is the default view for such indicators, and the total stays one click away.

// Units whose value grows with the size of the commune (sums of things), against intensities,
// shares and averages that are already comparable between communes.
const EXTENSIVE_UNITS = new Set(["MWh", "GWh", "kWh", "tCO2e", "ktCO2e", "t", "tonnes", "personnes", "habitants", "logements", "ménages", "ha", "m3", "m³"]);

export const RATIOS = {
  total: { label: "Valeur totale", suffix: "" },
  habitant: { label: "Par habitant", suffix: "/hab" },
  km2: { label: "Par km²", suffix: "/km²" },
};

export function isExtensive(indicator) {
  return EXTENSIVE_UNITS.has(String(indicator.unit || "").trim());
}

/** The views offered for an indicator, as [key, label] pairs; only "total" for intensities. */
export function ratioOptions(indicator) {
  if (!isExtensive(indicator)) return [["total", RATIOS.total.label]];
  const unit = indicator.unit;
  const options = [["total", `${RATIOS.total.label} (${unit})`]];
  // The population per inhabitant is 1 everywhere: only its density is worth a map.
  if (indicator.id !== "population") options.push(["habitant", `${RATIOS.habitant.label} (${unit}${RATIOS.habitant.suffix})`]);
  options.push(["km2", `${RATIOS.km2.label} (${unit}${RATIOS.km2.suffix})`]);
  return options;
}

/**
 * The sensible default: per inhabitant for sums of things (energy, emissions, people of an age),
 * the value itself otherwise, including the population (its density is an indicator of its own).
 */
export function defaultRatio(indicator) {
  return ratioOptions(indicator).some(([key]) => key === "habitant") ? "habitant" : "total";
}

export function ratioUnit(indicator, ratio) {
  return ratio === "total" ? indicator.unit : `${indicator.unit}${RATIOS[ratio].suffix}`;
}

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg) => (deg * Math.PI) / 180;

/** Area of a closed lon/lat ring on the sphere, in km² (positive whatever the ring's direction). */
function ringAreaKm2(ring) {
  // Sum over the edges of the spherical trapezoids between each edge and the equator.
  let total = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [lon1, lat1] = ring[i];
    const [lon2, lat2] = ring[i + 1];
    total += rad(lon2 - lon1) * (2 + Math.sin(rad(lat1)) + Math.sin(rad(lat2)));
  }
  return Math.abs((total * EARTH_RADIUS_KM * EARTH_RADIUS_KM) / 2);
}

/** Area of a GeoJSON Polygon or MultiPolygon in km²: outer rings minus their holes. */
export function areaKm2(geometry) {
  if (!geometry) return null;
  const polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : geometry.type === "Polygon" ? [geometry.coordinates] : [];
  let area = 0;
  for (const [outer, ...holes] of polygons) {
    area += ringAreaKm2(outer);
    for (const hole of holes) area -= ringAreaKm2(hole);
  }
  return polygons.length ? area : null;
}

/**
 * The population of each commune for a period: the same year's when published, else the nearest
 * earlier year's, else the nearest later year's (legal populations lag the energy data by a year or
 * two). Returns Map(code -> {value, period}).
 */
export function populationFor(populationRows, period) {
  const byCode = new Map();
  const target = String(period);
  for (const row of populationRows) {
    if (typeof row.value !== "number") continue;
    const current = byCode.get(row.code);
    const p = String(row.period);
    const better =
      !current ||
      (p <= target && (current.period > target || p > current.period)) ||
      (p > target && current.period > target && p < current.period);
    if (better) byCode.set(row.code, { value: row.value, period: p });
  }
  return byCode;
}

/**
 * Rows divided by the denominator of the view. A secret value stays secret; a commune without
 * population or area gets no value (and says why), never a made-up one.
 */
export function applyRatio(rows, ratio, { population = new Map(), area = new Map() } = {}) {
  if (ratio === "total") return rows;
  return rows.map((row) => {
    if (row.value === null || row.value === undefined || row.secret === true) return row;
    const denominator = ratio === "habitant" ? population.get(row.code)?.value : area.get(row.code);
    if (typeof denominator !== "number" || denominator <= 0) return { ...row, value: null, ratio_missing: true };
    return { ...row, value: row.value / denominator, total_value: row.value };
  });
}

/** Decimals that keep about three significant digits for the median of the values shown. */
export function ratioDecimals(values, fallback) {
  const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v) && v !== 0).map(Math.abs).sort((a, b) => a - b);
  if (!finite.length) return fallback;
  const median = finite[Math.floor(finite.length / 2)];
  return Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(median))));
}
