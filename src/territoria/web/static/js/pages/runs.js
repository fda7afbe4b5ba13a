// Run history: when the data was refreshed, what ran, what was unchanged, what failed and why.

import * as api from "../api.js";
import { add, h, table } from "../dom.js";
import { formatDateTime, formatDuration, formatNumber, plural } from "../format.js";
import { badge, quarantineReason, STATUS } from "../labels.js";

const COMMANDS = { run: "mise à jour", demo: "démonstration", init: "création" };
const STEP_KINDS = { ingest: "Réception", model: "Calcul", indicator: "Indicateur", publish: "Publication" };

function stepLabel(step) {
  const [kind, ...rest] = step.split(":");
  return STEP_KINDS[kind] ? `${STEP_KINDS[kind]} : ${rest.join(":")}` : step;
}

export async function renderRuns(page) {
  const body = await api.runs(100);
  const runs = body.runs || [];
  add(page, 
    h("h1", {}, "Mises à jour des données"),
    h("p", { class: "lead" }, "Chaque exécution récupère ce qui a changé dans les sources, vérifie, recalcule et publie. Les étapes inchangées ne sont pas refaites."),
  );
  if (!runs.length) {
    add(page, h("p", { class: "note" }, "Aucune exécution enregistrée."));
    return;
  }
  const last = runs[0];
  add(page, 
    h(
      "p",
      { class: "card" },
      "Dernière mise à jour : ",
      h("strong", {}, formatDateTime(last.started_at)),
      " — ",
      badge(STATUS, last.status),
      ` — ${plural(last.steps_run || 0, "étape refaite", "étapes refaites")}, ${plural(last.steps_skipped || 0, "inchangée")}.`,
    ),
  );
  const rows = runs.map((r) => [
    h("a", { href: `#/executions/${encodeURIComponent(r.run_id)}` }, formatDateTime(r.started_at)),
    COMMANDS[r.command] || r.command || "—",
    badge(STATUS, r.status),
    formatNumber(r.steps_run, 0),
    formatNumber(r.steps_skipped, 0),
    formatNumber(r.steps_failed, 0),
    formatDuration(r.wall_s),
    r.error || "",
  ]);
  add(page, 
    h(
      "div",
      { class: "table-wrap" },
      table(`Historique (${plural(body.total ?? runs.length, "exécution")})`, ["Date", "Commande", "Statut", "Étapes refaites", "Inchangées", "En échec", "Durée", "Erreur"], rows, {
        numeric: [3, 4, 5, 6],
      }),
    ),
  );
}

function remark(step) {
  if (step.error) return step.error;
  const reasons = (step.report && step.report.reasons) || {};
  const entries = Object.entries(reasons);
  if (entries.length) return `Mises en quarantaine : ${entries.map(([why, n]) => `${quarantineReason(why)} (${plural(n, "ligne")})`).join(", ")}`;
  return step.reason || "";
}

export async function renderRun(page, id) {
  const run = await api.run(id);
  add(page, 
    h("p", { class: "breadcrumb" }, h("a", { href: "#/executions" }, "Mises à jour"), " › ", formatDateTime(run.started_at)),
    h("h1", {}, `Mise à jour du ${formatDateTime(run.started_at)}`),
    h(
      "p",
      {},
      badge(STATUS, run.status),
      ` ${plural(run.steps_total || 0, "étape")} : ${formatNumber(run.steps_run, 0)} refaites, ${formatNumber(run.steps_skipped, 0)} inchangées, ${formatNumber(run.steps_failed, 0)} en échec. Durée ${formatDuration(run.wall_s)}.`,
    ),
    run.error ? h("p", { class: "error" }, run.error) : null,
  );
  const rows = (run.steps || []).map((s) => [
    stepLabel(s.step),
    badge(STATUS, s.status),
    formatNumber(s.rows_in, 0),
    formatNumber(s.rows_out, 0),
    formatNumber(s.rows_quarantined, 0),
    formatDuration(s.wall_s),
    remark(s),
  ]);
  add(page, h("div", { class: "table-wrap" }, table("Étapes", ["Étape", "Statut", "Lignes lues", "Lignes écrites", "En quarantaine", "Durée", "Remarque"], rows, { numeric: [2, 3, 4, 5] })));
}
