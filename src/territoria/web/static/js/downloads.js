// "Télécharger": the published figures in the formats people open, one button each. Open data are
// plain links; restricted data are fetched with the session's token (a link would not send it);
// personal data are only exported through the API, with a stated purpose.

import * as api from "./api.js";
import { h } from "./dom.js";

// Most wanted first: a spreadsheet in French conventions, then what GIS and developers read.
const FORMATS = [
  ["csv", "csv", "Tableur (CSV, séparateur point-virgule, virgule décimale)"],
  ["xlsx", "xlsx", "Excel (.xlsx)"],
  ["geojson", "geojson", "Carte (GeoJSON, pour un SIG)"],
  ["csv-std", "std.csv", "CSV standard (séparateur virgule, point décimal)"],
  ["parquet", "parquet", "Parquet (données typées)"],
];

/**
 * The download section of a dataset or indicator. `d` carries id, access, readable and, when the
 * catalogue knows them, links.export (whose format parameter is replaced per button).
 */
export function downloadSection(d, { geometry = true } = {}) {
  if (d.readable === false) return null;
  const section = h("section", { class: "downloads", "aria-labelledby": `titre-telecharger-${d.id}` }, h("h2", { class: "h3", id: `titre-telecharger-${d.id}` }, "Télécharger"));
  if (d.access === "personal") {
    section.append(h("p", { class: "muted" }, "Données personnelles : à télécharger par l’API, en indiquant le motif (paramètre purpose)."));
    return section;
  }
  const base = (d.links && d.links.export) || `/api/datasets/${encodeURIComponent(d.id)}/export?format=csv`;
  const status = h("span", { "aria-live": "polite" });
  const list = h("ul", { class: "download-list" });
  for (const [format, extension, label] of FORMATS) {
    if (format === "geojson" && !geometry) continue;
    const url = base.replace(/format=[^&]*/, `format=${encodeURIComponent(format)}`);
    const filename = `${d.id}.${extension}`;
    if (d.access === "open") {
      list.append(h("li", {}, h("a", { href: url, download: filename, "data-format": format }, label)));
    } else {
      const button = h("button", { type: "button", class: "link-button", "data-format": format }, label);
      button.addEventListener("click", () => {
        status.textContent = "";
        api.download(url, filename).catch((error) => (status.textContent = ` ${error.message}`));
      });
      list.append(h("li", {}, button));
    }
  }
  section.append(list, status);
  return section;
}
