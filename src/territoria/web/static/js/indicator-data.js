// What the pages need to know about an indicator beyond its raw definition: which mesh stands for
// the whole territory, the latest year, the number of decimals, and its target trajectory.

const TERRITORY_MESHES = ["epci", "territoire", "territory", "departement"];

export const MESH_LABELS = {
  commune: "Commune",
  epci: "Intercommunalité",
  territoire: "Territoire",
  territory: "Territoire",
  iris: "Quartier (IRIS)",
  capteur: "Capteur",
  station: "Station Météo-France",
  departement: "Département",
};

/** The mesh whose single value summarises the territory (the EPCI when there is one), or null. */
export function territoryMesh(indicator) {
  const meshes = indicator.meshes || [];
  return TERRITORY_MESHES.find((m) => meshes.includes(m)) || null;
}

/** The meshes with one value per place (communes, sensors, IRIS...), communes first. */
export function placeMeshes(indicator) {
  const meshes = (indicator.meshes || []).filter((m) => !TERRITORY_MESHES.includes(m));
  return [...meshes].sort((a, b) => (a === "commune" ? -1 : b === "commune" ? 1 : a.localeCompare(b)));
}

export function periods(indicator) {
  return [...(indicator.periods || [])].map(String).sort();
}

export function latestPeriod(indicator) {
  const all = periods(indicator);
  return all.length ? all[all.length - 1] : null;
}

export function decimals(indicator) {
  return Number.isInteger(indicator.decimals) ? indicator.decimals : 1;
}

export function byPeriod(rows) {
  return [...rows].sort((a, b) => String(a.period).localeCompare(String(b.period)));
}

/**
 * The target trajectory of the territory, as [{period, value}] sorted by period.
 *
 * Read, in order: a `target` (or `target_value`) column on the territory's values (one target per
 * year), then the
 * indicator's `targets` (or `extra.targets`, `extra.trajectory`): a list of {period, value}, or of
 * {period, reduction, reference} meaning "reduction (0.4 = −40 %) from the value of year
 * `reference`", or a {year: value} mapping.
 */
export function targetTrajectory(indicator, territoryRows) {
  const targetOf = (r) => (typeof r.target === "number" ? r.target : r.target_value);
  const fromRows = territoryRows
    .filter((r) => typeof targetOf(r) === "number")
    .map((r) => ({ period: String(r.period), value: targetOf(r) }));
  if (fromRows.length) return byPeriod(fromRows);
  const extra = indicator.extra || {};
  const spec = indicator.targets || extra.targets || extra.trajectory || extra.target;
  if (!spec) return [];
  const list = Array.isArray(spec) ? spec : Object.entries(spec).map(([period, value]) => ({ period, value }));
  const valueOf = (period) => {
    const row = territoryRows.find((r) => String(r.period) === String(period));
    return row ? row.value : null;
  };
  const out = [];
  for (const item of list) {
    const period = String(item.period ?? item.year ?? item.annee ?? "");
    if (!period) continue;
    if (typeof item.value === "number") out.push({ period, value: item.value, label: item.label });
    else if (typeof item.reduction === "number" && item.reference !== undefined) {
      const base = valueOf(item.reference);
      if (typeof base === "number") out.push({ period, value: base * (1 - item.reduction), label: item.label });
    }
  }
  // A trajectory starts from the reference year's observed value when the targets are relative.
  const refs = list.map((t) => t.reference).filter((r) => r !== undefined);
  if (refs.length && out.length) {
    const ref = String(refs[0]);
    const base = valueOf(ref);
    if (typeof base === "number" && !out.some((p) => p.period === ref)) out.push({ period: ref, value: base });
  }
  return byPeriod(out);
}
