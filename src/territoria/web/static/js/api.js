// Calls to territoria's API (same origin). Every error is turned into an ApiError carrying the
// message and hint of the API's error envelope, so pages can show them in plain words.

export class ApiError extends Error {
  constructor(message, { status = 0, hint = null, detail = null } = {}) {
    super(message);
    this.status = status;
    this.hint = hint;
    this.detail = detail;
  }
}

// The API speaks English to developers; people reading the dashboard get French first.
const FRENCH = {
  400: "la demande est incorrecte.",
  401: "accès refusé : ces données ne sont pas publiques, ou le jeton est inconnu ou révoqué.",
  403: "votre rôle ne permet pas de lire ces données.",
  404: "élément introuvable.",
  422: "la demande est incorrecte.",
  503: "le serveur est momentanément indisponible ; réessayez dans un instant.",
};

const cache = new Map();
const TOKEN_KEY = "territoria.jeton";

/** The API token the user signed in with (kept for this tab only), or null: anonymous, open data. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  cache.clear(); // what may be read changed
}

function headers(value = token()) {
  const out = { Accept: "application/json" };
  if (value) out.Authorization = `Bearer ${value}`;
  return out;
}

function envelopeMessage(body) {
  // The envelope is {"error": {"type", "message", "hint", ...}}; be lenient with older shapes.
  const err = body && (body.error || body);
  if (!err) return {};
  if (typeof err === "string") return { message: err };
  return { message: err.message || err.detail || err.title, hint: err.hint };
}

async function request(path, tokenValue = token()) {
  let response;
  try {
    response = await fetch(path, { headers: headers(tokenValue) });
  } catch (exc) {
    throw new ApiError("le serveur ne répond pas.", { hint: "Vérifiez que territoria serve tourne toujours." });
  }
  if (!response.ok) {
    let info = {};
    try {
      info = envelopeMessage(await response.json());
    } catch (exc) {
      info = {};
    }
    const message = FRENCH[response.status] || `erreur ${response.status} du serveur.`;
    throw new ApiError(message, { status: response.status, detail: info.message, hint: info.hint });
  }
  return response.json();
}

/** Check a token before keeping it: the API answers 401 with its envelope when it is unknown or revoked. */
export async function checkToken(value) {
  await request("/api/catalog", value);
}

/** Download a file the API serves (with the token, which a plain link would not send). */
export async function download(path, filename) {
  const response = await fetch(path, { headers: { ...headers(), Accept: "*/*" } });
  if (!response.ok) throw new ApiError(`téléchargement refusé (erreur ${response.status}).`, { status: response.status });
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
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
  // The API filters periods of up to 20 characters; longer ones (ISO intervals such as
  // "2025-06-01/2025-08-31") are filtered here.
  if (period !== null && String(period).length > 20) {
    const rows = await values(id, { mesh, code });
    return rows.filter((r) => String(r.period) === String(period));
  }
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

/** A page of the rows a source's validation set aside (line, raw values, reasons) and their total. */
export function quarantine(id, { limit = 50, offset = 0 } = {}) {
  return get(`/api/datasets/${encodeURIComponent(id)}/quarantine${query({ limit, offset })}`);
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
