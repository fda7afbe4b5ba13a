// Quality flags of an indicator's values, explained in plain French.
// Columns (see indicators/definition.py): masked_share, estimated_share, completeness in [0, 1],
// and secret (true when the value itself is withheld by statistical secrecy).

import { h } from "./dom.js";
import { formatShare, plural } from "./format.js";

const isShare = (x) => typeof x === "number" && Number.isFinite(x);

/** Notes for one value: [{level: "ok"|"warn"|"bad", text}]. */
export function qualityNotes(row) {
  const notes = [];
  if (!row) return notes;
  if (row.secret === true || (row.value === null && isShare(row.masked_share) && row.masked_share >= 1)) {
    notes.push({ level: "bad", text: "Valeur masquée par le secret statistique (trop peu de sources pour la publier)." });
  } else if (isShare(row.masked_share) && row.masked_share > 0) {
    notes.push({
      level: "warn",
      text: `${formatShare(row.masked_share)} des valeurs masquées par le secret statistique : le total est sous-estimé.`,
    });
  }
  if (row.lower_bound === true && row.value !== null) {
    notes.push({ level: "warn", text: "Valeur minimale : une partie est masquée par le secret statistique, le total réel est plus élevé." });
  }
  if (row.comparable === false) {
    notes.push({ level: "warn", text: "Comparaison à prendre avec prudence : la série a changé de définition entre les deux années." });
  }
  if (isShare(row.estimated_share) && row.estimated_share > 0) {
    notes.push({
      level: "warn",
      text:
        row.estimated_share >= 1
          ? "Valeur estimée : elle ne provient pas d’une mesure ou d’un comptage direct."
          : `${formatShare(row.estimated_share)} de la valeur repose sur des valeurs estimées.`,
    });
  }
  if (isShare(row.completeness)) {
    if (row.completeness <= 0) {
      notes.push({ level: "bad", text: "Complétude nulle : aucune donnée source n’est disponible pour ce calcul." });
    } else if (row.completeness < 1) {
      notes.push({
        level: "warn",
        text: `Complétude ${formatShare(row.completeness)} : une partie des données sources manque, la valeur est partielle.`,
      });
    }
  }
  if (row.value === null && notes.length === 0) notes.push({ level: "bad", text: "Pas de valeur disponible." });
  if (notes.length === 0) notes.push({ level: "ok", text: "Données complètes, ni estimées ni masquées." });
  return notes;
}

/** A summary across communes: how many are masked, estimated, incomplete. */
export function communeSummary(rows) {
  const count = (test) => rows.filter(test).length;
  const secret = count((r) => r.secret === true);
  const partlyMasked = count((r) => r.secret !== true && isShare(r.masked_share) && r.masked_share > 0);
  const estimated = count((r) => isShare(r.estimated_share) && r.estimated_share > 0);
  const hasValue = (r) => r.value !== null && r.value !== undefined;
  const incomplete = count((r) => hasValue(r) && isShare(r.completeness) && r.completeness < 1);
  // A value withheld by secrecy exists: it is counted as masked, never as missing.
  const missing = count((r) => !hasValue(r) && r.secret !== true);
  const total = rows.length;
  const lines = [];
  const of = `sur ${plural(total, "commune")}`;
  if (secret) lines.push({ level: "warn", text: `${plural(secret, "commune")} ${of} dont la valeur est masquée par le secret statistique.` });
  if (partlyMasked) lines.push({ level: "warn", text: `${plural(partlyMasked, "commune")} ${of} dont une partie de la valeur est masquée par le secret statistique.` });
  if (estimated) lines.push({ level: "warn", text: `${plural(estimated, "commune")} ${of} avec des valeurs estimées.` });
  if (incomplete) lines.push({ level: "warn", text: `${plural(incomplete, "commune")} ${of} avec des données incomplètes.` });
  if (missing) lines.push({ level: "bad", text: `${plural(missing, "commune")} ${of} sans valeur.` });
  return lines;
}

export function qualityList(notes) {
  return h(
    "ul",
    { class: "quality-list" },
    notes.map((note) => h("li", { class: `quality-${note.level}` }, note.text)),
  );
}
