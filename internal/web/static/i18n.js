// Translations and locale formatting. The language is the first of the
// browser's languages that the pages speak; money and dates follow the
// browser's own locale and time zone.
import { messages } from './messages.js';

const supported = Object.keys(messages);
export const lang = (navigator.languages || [navigator.language]).map((l) => l.toLowerCase().split('-')[0]).find((l) => supported.includes(l)) || 'en';
const locale = navigator.language || lang;

// t looks a key up in the page language, then in English, then falls back.
export function t(key, vars = {}, fallback = key) {
  const text = messages[lang][key] ?? messages.en[key] ?? fallback;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? '{' + name + '}'));
}

// localize translates the static page: elements with data-i18n.
export function localize(root) {
  document.documentElement.lang = lang;
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
}

const currencyFormats = new Map();

function currencyFormat(currency) {
  if (!currencyFormats.has(currency)) currencyFormats.set(currency, new Intl.NumberFormat(locale, { style: 'currency', currency }));
  return currencyFormats.get(currency);
}

// money formats integer minor units exactly: the amount goes to Intl as a
// decimal string, never through a float division.
export function money(minor, currency) {
  if (minor === undefined || minor === null) return '—';
  const f = currencyFormat(currency);
  const digits = f.resolvedOptions().maximumFractionDigits;
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  const decimal = (minor < 0 ? '-' : '') + (digits ? s.slice(0, -digits) + '.' + s.slice(-digits) : s);
  return f.format(decimal);
}

export function percent(bps) {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(`${bps / 10000}`);
}

// count formats a whole number (points, units) in the viewer's locale.
export function count(n) {
  return new Intl.NumberFormat(locale).format(n ?? 0);
}

export function date(iso) {
  return iso ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso)) : '—';
}

export function dateTime(iso) {
  return iso ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '—';
}
