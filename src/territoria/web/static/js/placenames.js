// Place names on the map, offline: the communes' names drawn as HTML labels at a point inside
// each commune (MapLibre's text layers would need a glyph server). Larger communes are named
// first; a name that would overlap one already placed waits for the reader to zoom in.

import { areaKm2 } from "./ratios.js";

const MAX_LABELS = 400; // a territory's communes; beyond that, names would be noise

/** A point inside the largest polygon: the middle of the widest span on its middle latitude. */
export function labelPoint(geometry) {
  const polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : geometry.type === "Polygon" ? [geometry.coordinates] : [];
  if (!polygons.length) return null;
  const outer = polygons.map((p) => p[0]).reduce((a, b) => (areaKm2({ type: "Polygon", coordinates: [b] }) > areaKm2({ type: "Polygon", coordinates: [a] }) ? b : a));
  const lats = outer.map((p) => p[1]);
  const lat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const crossings = [];
  for (let i = 0; i < outer.length - 1; i++) {
    const [a, b] = [outer[i], outer[i + 1]];
    if ((a[1] <= lat && lat < b[1]) || (b[1] <= lat && lat < a[1])) crossings.push(a[0] + ((lat - a[1]) * (b[0] - a[0])) / (b[1] - a[1]));
  }
  crossings.sort((x, y) => x - y);
  let best = null;
  for (let i = 0; i + 1 < crossings.length; i += 2) {
    if (!best || crossings[i + 1] - crossings[i] > best[1] - best[0]) best = [crossings[i], crossings[i + 1]];
  }
  return best ? [(best[0] + best[1]) / 2, lat] : outer[0];
}

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** Add the labels to `map` (a MapLibre map) for the GeoJSON communes; returns {remove()}. */
export function addPlaceNames(maplibregl, map, geojson) {
  const places = geojson.features
    .filter((f) => f.geometry && f.properties.nom)
    .map((f) => ({ name: f.properties.nom, code: f.properties.code, at: labelPoint(f.geometry), area: areaKm2(f.geometry) || 0 }))
    .filter((p) => p.at)
    .sort((a, b) => b.area - a.area)
    .slice(0, MAX_LABELS);
  const markers = places.map((p) => {
    const element = document.createElement("span");
    element.className = "place-name";
    element.textContent = p.name;
    element.setAttribute("aria-hidden", "true"); // the table under the map names every commune
    element.dataset.code = p.code;
    return new maplibregl.Marker({ element, anchor: "center" }).setLngLat(p.at).addTo(map);
  });
  const place = () => {
    const placed = [];
    for (const marker of markers) {
      const element = marker.getElement();
      element.hidden = false;
      const box = element.getBoundingClientRect();
      const padded = { left: box.left - 3, right: box.right + 3, top: box.top - 2, bottom: box.bottom + 2 };
      if (placed.some((other) => overlaps(padded, other))) element.hidden = true;
      else placed.push(padded);
    }
  };
  map.on("moveend", place);
  place();
  return {
    remove() {
      map.off("moveend", place);
      for (const marker of markers) marker.remove();
    },
  };
}
