// French formatting of numbers, shares, dates and durations, in one place.

const numberFormats = new Map();

function numberFormat(decimals) {
  const key = decimals;
  if (!numberFormats.has(key)) {
    numberFormats.set(key, new Intl.NumberFormat("fr-FR", { maximumFractionDigits: decimals, minimumFractionDigits: 0 }));
  }
  return numberFormats.get(key);
}

/** A value as read aloud by a French speaker: "220 488", "1 234,5". Missing values read "—". */
export function formatNumber(value, decimals = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return numberFormat(decimals).format(value);
}

/** For the big figures: past 100 000, decimals are noise to a reader ("2 284 195", not "2 284 194,5"). */
export function formatFigure(value, decimals = 1) {
  return formatNumber(value, typeof value === "number" && Math.abs(value) >= 100000 ? 0 : decimals);
}

/** Value with its unit: "1 234,5 hab/km²". */
export function formatValue(value, unit, decimals = 1) {
  const text = formatNumber(value, decimals);
  return text === "—" || !unit ? text : `${text} ${unit}`;
}

/** A share in [0, 1] as a whole percentage, or one decimal below 1 %: "12 %", "0,4 %". */
export function formatShare(share) {
  if (share === null || share === undefined) return "—";
  const pct = share * 100;
  const decimals = pct > 0 && pct < 1 ? 1 : 0;
  return `${formatNumber(pct, decimals)}\u00a0%`;
}

const dayMonth = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "long", timeZone: "UTC" });

/** A period as read: "2022", a month "2025-07" -> "juillet 2025", or an ISO interval "2025-06-01/2025-08-31" -> "1 juin – 31 août 2025". */
const monthYear = new Intl.DateTimeFormat("fr-FR", { month: "long", year: "numeric", timeZone: "UTC" });

export function formatPeriod(period) {
  const text = String(period ?? "");
  const month = text.match(/^(\d{4})-(\d{2})$/);
  if (month) return monthYear.format(new Date(`${text}-01T00:00:00Z`));
  const m = text.match(/^(\d{4})-(\d{2})-(\d{2})\/(\d{4})-(\d{2})-(\d{2})$/);
  if (!m) return text;
  const [start, end] = [new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`), new Date(`${m[4]}-${m[5]}-${m[6]}T00:00:00Z`)];
  return m[1] === m[4] ? `${dayMonth.format(start)} – ${dayMonth.format(end)} ${m[1]}` : `${dayMonth.format(start)} ${m[1]} – ${dayMonth.format(end)} ${m[4]}`;
}

/** The API's timestamps are UTC; those without an offset are read as UTC too. */
export function parseDate(text) {
  if (!text) return null;
  const normal = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00` : String(text).replace(" ", "T");
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(normal) ? normal : `${normal}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long" });

export function formatDateTime(text) {
  const date = parseDate(text);
  return date ? dateTime.format(date) : "—";
}

export function formatDate(text) {
  const date = parseDate(text);
  return date ? dateOnly.format(date) : "—";
}

/** "il y a 3 jours", for freshness at a glance. */
export function formatAge(text, now = new Date()) {
  const date = parseDate(text);
  if (!date) return "jamais";
  const rtf = new Intl.RelativeTimeFormat("fr-FR", { numeric: "auto" });
  const seconds = (date.getTime() - now.getTime()) / 1000;
  const steps = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [30, "day"],
    [12, "month"],
    [Infinity, "year"],
  ];
  let amount = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(amount) < size) return rtf.format(Math.round(amount), unit);
    amount /= size;
  }
  return dateOnly.format(date);
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 1) return `${formatNumber(seconds * 1000, 0)} ms`;
  if (seconds < 60) return `${formatNumber(seconds, 1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds % 60)} s`;
}

/** "1 commune", "3 communes". */
export function plural(count, singular, pluralForm = `${singular}s`) {
  return `${formatNumber(count, 0)} ${count > 1 ? pluralForm : singular}`;
}
