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
};

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

/** A coloured badge whose text carries the meaning (colour is never the only cue). */
export function badge(vocabulary, key) {
  const [text, tone] = vocabulary[key] || [key ?? "—", "neutral"];
  return h("span", { class: `badge ${tone}` }, text);
}
