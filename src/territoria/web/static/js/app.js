// The dashboard's shell: a hash router (#/carte, #/indicateur/<id>, #/catalogue...) that renders
// one page at a time into <main>, keeps the navigation's aria-current right and moves focus to
// the new page's heading so keyboard and screen-reader users know where they are.

import * as api from "./api.js";
import { clear, errorBox, h } from "./dom.js";
import { renderCatalog, renderDataset } from "./pages/catalog.js";
import { renderFootprint } from "./pages/footprint.js";
import { heatIndicator, renderHeat } from "./pages/heat.js";
import { renderIndicator, renderIndicators } from "./pages/indicators.js";
import { renderMap } from "./pages/map.js";
import { renderQuarantine } from "./pages/quarantine.js";
import { renderRun, renderRuns } from "./pages/runs.js";
import { parseHash } from "./router.js";
import { setupSession } from "./session.js";

const routes = {
  carte: { nav: "carte", render: (main, args, params) => renderMap(main, params) },
  indicateurs: { nav: "indicateurs", render: (main) => renderIndicators(main) },
  indicateur: { nav: "indicateurs", render: (main, args, params) => renderIndicator(main, args[0], params) },
  catalogue: {
    nav: "catalogue",
    render: (main, args, params) => {
      if (args[1] === "ecartees") return renderQuarantine(main, args[0], params);
      return args[0] ? renderDataset(main, args[0]) : renderCatalog(main);
    },
  },
  executions: { nav: "executions", render: (main, args) => (args[0] ? renderRun(main, args[0]) : renderRuns(main)) },
  chaleur: { nav: "chaleur", render: (main, args, params) => renderHeat(main, params) },
  empreinte: { nav: "empreinte", render: (main) => renderFootprint(main) },
};

let renderToken = 0;

async function render() {
  const main = document.getElementById("contenu");
  const { name, args, params } = parseHash(location.hash);
  const route = routes[name];
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (route && link.dataset.nav === route.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const token = ++renderToken;
  const previous = main.querySelector(".page");
  if (previous && previous.dispose) previous.dispose(); // e.g. free the map's WebGL context
  clear(main);
  main.dataset.page = name;
  if (!route) {
    main.append(h("h1", {}, "Page introuvable"), h("p", {}, h("a", { href: "#/carte" }, "Revenir à la carte")));
    return;
  }
  // The page is attached at once: the map needs a sized container to draw into.
  const loading = h("p", { class: "loading" }, "Chargement…");
  const page = h("div", { class: "page" });
  main.append(loading, page);
  try {
    await route.render(page, args, params);
  } catch (error) {
    if (token !== renderToken) return;
    page.append(errorBox(error, "cette page"));
    console.error(error);
  }
  if (token !== renderToken) return; // the user already went elsewhere
  loading.remove();
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : "Tableau de bord"} — ${document.querySelector(".brand-name").textContent}`;
  if (focusOnRender && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
  focusOnRender = true;
}

// The first page load keeps focus at the top (skip link first); later navigations move it.
let focusOnRender = false;

async function showFootprintLink() {
  try {
    if (await api.footprint()) document.getElementById("nav-empreinte").hidden = false;
  } catch (error) {
    console.warn("footprint unavailable", error);
  }
}

async function showHeatLink() {
  try {
    if (await heatIndicator()) document.getElementById("nav-chaleur").hidden = false;
  } catch (error) {
    console.warn("heat-island indicators unavailable", error);
  }
}

window.addEventListener("hashchange", () => {
  // In-page anchors ("#contenu") are not pages.
  if (location.hash === "" || location.hash.startsWith("#/")) render();
});
window.addEventListener("DOMContentLoaded", () => {
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault(); // keep the page's address
    document.getElementById("contenu").focus();
  });
  setupSession(render);
  showFootprintLink();
  showHeatLink();
  render();
});
