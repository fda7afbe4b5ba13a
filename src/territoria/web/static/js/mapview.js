// The territory map: MapLibre GL JS with an inline style (a background and the communes' GeoJSON),
// so no tile server, glyph or sprite URL is ever requested. Colours are feature states keyed by
// the INSEE code: changing indicator or year recolours without re-tessellating the polygons.

import { NO_DATA } from "./choropleth.js";
import { addPlaceNames } from "./placenames.js";

const SOURCE = "communes";

function bounds(geojson) {
  let [w, s, e, n] = [180, 90, -180, -90];
  const visit = (coords) => {
    if (typeof coords[0] === "number") {
      w = Math.min(w, coords[0]);
      e = Math.max(e, coords[0]);
      s = Math.min(s, coords[1]);
      n = Math.max(n, coords[1]);
    } else coords.forEach(visit);
  };
  for (const f of geojson.features) if (f.geometry) visit(f.geometry.coordinates);
  return [
    [w, s],
    [e, n],
  ];
}

function style(geojson) {
  return {
    version: 8,
    sources: { [SOURCE]: { type: "geojson", data: geojson, promoteId: "code" } },
    layers: [
      { id: "fond", type: "background", paint: { "background-color": "#eef2f5" } },
      {
        id: "communes-fill",
        type: "fill",
        source: SOURCE,
        paint: {
          "fill-color": ["coalesce", ["feature-state", "color"], NO_DATA],
          "fill-opacity": ["case", ["boolean", ["feature-state", "hover"], false], 1, 0.92],
        },
      },
      { id: "communes-line", type: "line", source: SOURCE, paint: { "line-color": "#ffffff", "line-width": 1 } },
      {
        id: "communes-hover",
        type: "line",
        source: SOURCE,
        paint: { "line-color": "#1b1b1b", "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 2, 0] },
      },
      {
        id: "communes-selected",
        type: "line",
        source: SOURCE,
        filter: ["==", ["get", "code"], ""],
        paint: { "line-color": "#d64f00", "line-width": 3.5 },
      },
    ],
  };
}

function waitForLibrary() {
  if (window.maplibregl) return Promise.resolve(window.maplibregl);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (window.maplibregl) {
        clearInterval(timer);
        resolve(window.maplibregl);
      } else if (Date.now() - started > 10000) {
        clearInterval(timer);
        reject(new Error("la bibliothèque de cartographie n’a pas pu être chargée."));
      }
    }, 50);
  });
}

/**
 * Create the map in `container`. Callbacks: onHover(code|null, point), onSelect(code).
 * Returns {setColors(colorByCode), select(code), setPoints(points), whenIdle(), map}.
 */
export async function createMap(container, geojson, { onHover, onSelect }) {
  const maplibregl = await waitForLibrary();
  const map = new maplibregl.Map({
    container,
    style: style(geojson),
    bounds: bounds(geojson),
    fitBoundsOptions: { padding: 24 },
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    maxZoom: 14,
    locale: {
      "NavigationControl.ZoomIn": "Zoomer",
      "NavigationControl.ZoomOut": "Dézoomer",
      "Map.Title": "Carte des communes",
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.keyboard.disableRotation();
  await new Promise((resolve) => map.once("load", resolve));

  let hovered = null;
  const setHover = (code) => {
    if (hovered === code) return;
    if (hovered !== null) map.setFeatureState({ source: SOURCE, id: hovered }, { hover: false });
    hovered = code;
    if (code !== null) map.setFeatureState({ source: SOURCE, id: code }, { hover: true });
  };
  map.on("mousemove", "communes-fill", (event) => {
    const code = event.features[0]?.properties.code ?? null;
    setHover(code);
    map.getCanvas().style.cursor = "pointer";
    onHover(code, event.point);
  });
  map.on("mouseleave", "communes-fill", () => {
    setHover(null);
    map.getCanvas().style.cursor = "";
    onHover(null, null);
  });
  map.on("click", "communes-fill", (event) => {
    const code = event.features[0]?.properties.code;
    if (code) onSelect(code);
  });

  addPlaceNames(maplibregl, map, geojson);

  const codes = geojson.features.map((f) => f.properties.code);
  return {
    map,
    setColors(colorByCode) {
      for (const code of codes) map.setFeatureState({ source: SOURCE, id: code }, { color: colorByCode.get(code) ?? NO_DATA });
    },
    select(code) {
      map.setFilter("communes-selected", ["==", ["get", "code"], code ?? ""]);
    },
    /**
     * Measurement points (sensors, weather stations) over the communes: `points` is a GeoJSON
     * FeatureCollection whose properties carry `color` and `reference` (drawn as a ringed white
     * dot). onPoint(id|null, point) on hover and click, with the feature's `id` property.
     */
    setPoints(points, { onPoint = () => {} } = {}) {
      if (map.getSource("points")) {
        map.getSource("points").setData(points);
        return;
      }
      map.addSource("points", { type: "geojson", data: points });
      map.addLayer({
        id: "points",
        type: "circle",
        source: "points",
        paint: {
          "circle-radius": ["case", ["get", "reference"], 8, 6],
          "circle-color": ["case", ["get", "reference"], "#ffffff", ["coalesce", ["get", "color"], NO_DATA]],
          "circle-stroke-color": "#1b1b1b",
          "circle-stroke-width": ["case", ["get", "reference"], 3, 1],
        },
      });
      map.on("mousemove", "points", (event) => {
        map.getCanvas().style.cursor = "pointer";
        onPoint(event.features[0]?.properties.id ?? null, event.point);
      });
      map.on("mouseleave", "points", () => {
        map.getCanvas().style.cursor = "";
        onPoint(null, null);
      });
      map.on("click", "points", (event) => onPoint(event.features[0]?.properties.id ?? null, event.point, true));
    },
    whenIdle() {
      return new Promise((resolve) => {
        map.once("idle", resolve);
        map.triggerRepaint();
      });
    },
  };
}
