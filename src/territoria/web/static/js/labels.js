// French labels for the API's vocabularies (access levels, statuses, freshness, kinds...).

import { h } from "./dom.js";

export const ACCESS = {
  open: ["Ouvert", "open"],
  restricted: ["Restreint", "restricted"],
  personal: ["Personnel", "personal"],
};

export const KIND = { source: "Source", model: "Donnée calculée", indicator: "Indicateur", published: "Donnée publiée" };

export const STATUS = {
  success: ["Réussi", "success"],
  failed: ["Échec", "failed"],
  interrupted: ["Interrompu", "warn"],
  running: ["En cours", "neutral"],
  skipped: ["Inchangé", "neutral"],
  unchanged: ["Inchangé", "neutral"],
  blocked: ["Bloqué", "warn"],
  waiting: ["En attente de données", "warn"],
  not_published: ["Non publié pour ce territoire", "neutral"],
};

/** The status of a dataset's last step: a figure no data will come to (its producer does not
 * publish its source for the territory) says so rather than "waiting for data". */
export function statusBadge(d) {
  if (d.not_published && d.last_status === "waiting") {
    return h("span", { title: notPublishedText(d.not_published) }, badge(STATUS, "not_published"));
  }
  return d.last_status ? badge(STATUS, d.last_status) : "—";
}

/** "L’INSEE ne publie pas Filosofi 2021 pour Mayotte" (``not_published`` of the catalog). */
export function notPublishedText(np) {
  return `${np.publisher} ne publie pas ${np.product} pour ${np.where.join(" et ")}`;
}

export const FRESHNESS = {
  fresh: ["À jour", "fresh"],
  "due for a check": ["À vérifier", "due"],
  "never built": ["Jamais construit", "never"],
  built: ["Construit", "neutral"],
};

export const FREQUENCY = {
  continuous: "en continu",
  hourly: "toutes les heures",
  daily: "quotidienne",
  weekly: "hebdomadaire",
  monthly: "mensuelle",
  quarterly: "trimestrielle",
  semiannual: "semestrielle",
  annual: "annuelle",
  irregular: "irrégulière",
  never: "aucune mise à jour prévue",
};

const TYPE_NAMES = { integer: "nombre entier", number: "nombre", date: "date", datetime: "date et heure", year: "année", boolean: "oui / non", geometry: "géométrie" };

// The validation's reasons (English, as the run records keep them) in words a reader understands.
const REASONS = [
  [/^type-error \(expected (\w+)\)$/, (m) => `valeur illisible comme ${TYPE_NAMES[m[1]] || m[1]}`],
  [/^required$/, () => "valeur obligatoire manquante"],
  [/^enum$/, () => "valeur hors de la liste autorisée"],
  [/^minimum (.+)$/, (m) => `valeur inférieure au minimum (${m[1].replace(/\.0+$/, "")})`],
  [/^maximum (.+)$/, (m) => `valeur supérieure au maximum (${m[1].replace(/\.0+$/, "")})`],
  [/^minLength (.+)$/, (m) => `texte trop court (au moins ${m[1]} caractères)`],
  [/^maxLength (.+)$/, (m) => `texte trop long (au plus ${m[1]} caractères)`],
  [/^pattern$/, () => "ne respecte pas le format attendu"],
  [/^unknown commune code$/, () => "code commune inconnu du référentiel"],
  [/^unknown IRIS code$/, () => "code IRIS inconnu du référentiel"],
  [/^(.+): invalid geometry$/, (m) => `géométrie invalide (${m[1]})`],
  [/^wrong number of fields$/, () => "nombre de colonnes incorrect"],
  [/^line too long$/, () => "ligne trop longue"],
  [/^primary-key duplicate \((.+)\)$/, (m) => `ligne en double (même identifiant : ${m[1]})`],
  [/^unique duplicate \((.+)\)$/, (m) => `valeur en double dans une colonne unique (${m[1]})`],
];

export function quarantineReason(reason) {
  for (const [pattern, say] of REASONS) {
    const match = String(reason).match(pattern);
    if (match) return say(match);
  }
  // Validation names the field first ("code: pattern"): the field stays, the check is said in French.
  const field = String(reason).match(/^([^:()]+): (.+)$/);
  if (field) {
    const said = quarantineReason(field[2]);
    if (said !== field[2]) return `${field[1]} : ${said}`;
  }
  return String(reason);
}

/** A coloured badge whose text carries the meaning (colour is never the only cue). */
export function badge(vocabulary, key) {
  const [text, tone] = vocabulary[key] || [key ?? "—", "neutral"];
  return h("span", { class: `badge ${tone}` }, text);
}
