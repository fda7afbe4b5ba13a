// "D'où vient ce chiffre ?": the lineage tree from a figure down to the files received and their
// sources, with each layer named in plain French and datasets linked to their catalog page.

import { h } from "./dom.js";

const LAYERS = {
  indicator: "indicateur calculé",
  published: "donnée publiée",
  model: "donnée calculée",
  staging: "donnée source, vérifiée",
  landing: "fichier reçu, conservé tel quel",
  source: "source d’origine",
};

function describeSource(name) {
  const target = name.replace(/^source:/, "");
  if (target.startsWith("territoria:reference/")) return "Référentiel national livré avec territoria (découpage administratif, INSEE / IGN)";
  if (/^https?:\/\//.test(target)) return h("a", { href: target, rel: "noopener" }, target);
  return `Fichier ${target}`;
}

function label(node, titles) {
  if (node.layer === "source") return describeSource(node.name);
  if (node.layer === "landing") {
    const digest = (node.hash || node.name.replace(/^landing:/, "")).slice(0, 12);
    return h("span", {}, "Fichier reçu ", h("code", { title: node.hash || "" }, digest), "…");
  }
  // "published.x" is the protected copy of x that leaves the platform: same catalog page.
  const base = node.name.replace(/^published\./, "");
  const title = titles.get(base) || base;
  return h("a", { href: `#/catalogue/${encodeURIComponent(base)}` }, node.layer === "published" && base !== node.name ? `${title} (version publiée)` : title);
}

function item(node, titles, depth) {
  const children = node.children || [];
  return h(
    "li",
    {},
    label(node, titles),
    h("span", { class: "layer" }, `(${LAYERS[node.layer] || node.layer})`),
    children.length && depth < 12 ? h("ul", {}, children.map((c) => item(c, titles, depth + 1))) : null,
  );
}

/** titles: Map(dataset id -> title) from the catalog, for readable names. */
export function lineageTree(root, titles) {
  return h("ul", { class: "tree", "aria-label": "Origine du chiffre, de l’indicateur jusqu’aux sources" }, item(root, titles, 0));
}

/** The distinct original sources at the leaves of the tree. */
export function sources(root) {
  const found = new Set();
  const visit = (node) => {
    if (node.layer === "source") found.add(node.name);
    (node.children || []).forEach(visit);
  };
  visit(root);
  return [...found];
}
