// Calls to territoria's API (same origin). Every error is turned into an ApiError carrying the
// message and hint of the API's error envelope, so pages can show them in plain words.

export class ApiError extends Error {
  constructor(message, { status = 0, hint = null } = {}) {
    super(message);
    this.status = status;
    this.hint = hint;
  }
}

const cache = new Map();

function envelopeMessage(body) {
  // The envelope is {"error": {"type", "message", "hint", ...}}; be lenient with older shapes.
  const err = body && (body.error || body);
  if (!err) return {};
  if (typeof err === "string") return { message: err };
  return { message: err.message || err.detail || err.title, hint: err.hint };
}

async function request(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" } });
  } catch (exc) {
    throw new ApiError("le serveur ne répond pas.", { hint: "Vérifiez que `territoria serve` tourne toujours." });
  }
  if (!response.ok) {
    let info = {};
    try {
      info = envelopeMessage(await response.json());
    } catch (exc) {
      info = {};
    }
    const fallback = response.status === 404 ? "élément introuvable." : `erreur ${response.status} du serveur.`;
    throw new ApiError(info.message || fallback, { status: response.status, hint: info.hint });
  }
  return response.json();
}

/** GET a JSON resource; results are kept for the page's life (the API serves one publication). */
export function get(path) {
  if (!cache.has(path)) {
    const pending = request(path);
    cache.set(path, pending);
    pending.catch(() => cache.delete(path));
  }
  return cache.get(path);
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function indicators() {
  const body = await get("/api/indicators");
  return Array.isArray(body) ? body : body.indicators || [];
}

export async function indicator(id) {
  const all = await indicators();
  const found = all.find((item) => item.id === id);
  if (!found) throw new ApiError(`l’indicateur « ${id} » n’existe pas.`, { status: 404, hint: "Choisissez-en un dans la liste des indicateurs." });
  return found;
}

/** Every value of an indicator matching the filters, following the API's pagination. */
export async function values(id, { mesh = null, code = null, period = null } = {}) {
  const limit = 10000;
  const rows = [];
  for (let offset = 0; ; offset += limit) {
    const body = await get(`/api/indicators/${encodeURIComponent(id)}/values${query({ mesh, code, period, limit, offset })}`);
    const page = Array.isArray(body) ? body : body.values || [];
    rows.push(...page);
    const total = Array.isArray(body) ? page.length : body.total ?? page.length;
    if (page.length < limit || rows.length >= total) return rows;
  }
}

export function lineage(id) {
  return get(`/api/indicators/${encodeURIComponent(id)}/lineage`);
}

export function communes() {
  return get("/api/geo/communes");
}

export async function catalog() {
  const body = await get("/api/catalog");
  return Array.isArray(body) ? body : body.datasets || [];
}

export function dataset(id) {
  return get(`/api/catalog/${encodeURIComponent(id)}`);
}

export async function runs(limit = 100) {
  const body = await get(`/api/runs${query({ limit })}`);
  return Array.isArray(body) ? { runs: body } : body;
}

export function run(id) {
  return get(`/api/runs/${encodeURIComponent(id)}`);
}

/** The footprint report, or null when this server has none (the page is then hidden). */
export async function footprint() {
  try {
    return await get("/api/footprint");
  } catch (exc) {
    if (exc.status === 404 || exc.status === 405) return null;
    throw exc;
  }
}
