// "Lignes écartées": the rows a source's validation set aside, page by page, each with its line
// number in the received file, the values as received and why it was set aside, in French.
// Raw input may be personal: the API serves it at the dataset's access level, never anonymously
// for non-open data; a refusal is shown as such.

import * as api from "../api.js";
import { add, clear, h, table } from "../dom.js";
import { formatNumber, plural } from "../format.js";
import { quarantineReason } from "../labels.js";
import { parseHash, replaceParams } from "../router.js";

export const PAGE_SIZE = 50;

function rawValues(row) {
  if (!row.values) return h("code", { class: "raw" }, row.text ?? "");
  const entries = Object.entries(row.values);
  if (!entries.length) return "—";
  return h(
    "dl",
    { class: "raw-values" },
    entries.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value === null ? h("span", { class: "muted" }, "(vide)") : String(value))]),
  );
}

function reasons(row) {
  const list = row.reasons.map(quarantineReason);
  return list.length > 1 ? h("ul", { class: "reasons" }, list.map((r) => h("li", {}, r))) : list[0] || "—";
}

export async function renderQuarantine(page, id, params) {
  const d = await api.dataset(id);
  const offset = Math.max(0, Number.parseInt(params.get("debut") || "0", 10) || 0);
  add(
    page,
    h("p", { class: "breadcrumb" }, h("a", { href: "#/catalogue" }, "Catalogue"), " › ", h("a", { href: `#/catalogue/${encodeURIComponent(id)}` }, d.title || d.id), " › Lignes écartées"),
    h("h1", {}, `Lignes écartées — ${d.title || d.id}`),
    h("p", { class: "lead" }, "Les lignes du dernier fichier reçu qui ne respectaient pas le schéma de la source : elles n’ont pas été intégrées. Chacune est montrée telle qu’elle a été reçue, avec son numéro de ligne dans le fichier et la raison de son rejet, pour la corriger à la source."),
  );
  const body = await api.quarantine(id, { limit: PAGE_SIZE, offset });
  if (!body.total) {
    page.append(h("p", { class: "muted" }, "Aucune ligne écartée : toutes les lignes reçues respectaient le schéma."));
    return;
  }
  const last = Math.min(offset + body.rows.length, body.total);
  const rows = body.rows.map((r) => [formatNumber(r.line, 0), rawValues(r), reasons(r)]);
  const caption = `${plural(body.total, "ligne écartée", "lignes écartées")} — lignes ${formatNumber(offset + 1, 0)} à ${formatNumber(last, 0)}`;
  const headers = ["Ligne du fichier", "Valeurs reçues", "Raison"];
  const grid = table(caption, headers, rows, { numeric: [0], className: "data quarantine" });
  // On a phone each row becomes a card: every cell carries its column's name (see app.css).
  for (const tr of grid.tBodies[0].rows) [...tr.cells].forEach((td, i) => td.setAttribute("data-label", headers[i]));
  add(page, h("div", { class: "table-wrap" }, grid));
  const go = (start) => () => {
    const { params: current } = parseHash(location.hash);
    if (start) current.set("debut", String(start));
    else current.delete("debut");
    replaceParams(current);
    clear(page);
    renderQuarantine(page, id, current);
  };
  const nav = h(
    "nav",
    { class: "pager", "aria-label": "Pages de lignes écartées" },
    offset > 0 ? h("button", { type: "button", class: "link-button", onclick: go(Math.max(0, offset - PAGE_SIZE)) }, "← Lignes précédentes") : null,
    last < body.total ? h("button", { type: "button", class: "link-button", onclick: go(offset + PAGE_SIZE) }, "Lignes suivantes →") : null,
  );
  if (nav.childElementCount) page.append(nav);
}
