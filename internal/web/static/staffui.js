// Helpers the console's engagement, webhook and API key screens share.
import { api } from './session.js';
import { h } from './ui.js';

// card is a titled section of a screen.
export function card(title, ...body) {
  const id = 'h-' + title.replace(/\W+/g, '-').toLowerCase();
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), body);
}

// shownOnce is a secret the API answers once (an API key, a signing
// secret), with what to do with it and anything after it.
export function shownOnce(message, secret, ...after) {
  return h('div', { class: 'notice', role: 'status' }, h('p', { text: message }), h('p', {}, h('code', { text: secret })), after);
}

// partnerNames maps the partners a page of rows names by id to their
// names, one read per partner; one that cannot be read keeps its id.
export async function partnerNames(ids) {
  const unique = [...new Set(ids)];
  const pairs = await Promise.all(unique.map((id) => api('/v1/partners/' + encodeURIComponent(id)).then((p) => [id, p.name], () => [id, id])));
  return Object.fromEntries(pairs);
}

export function partnerLink(id, names) {
  return h('a', { href: '#/partner/' + encodeURIComponent(id), text: names[id] || id });
}

// toLocalInput is an instant as a datetime-local input shows it (the
// viewer's time zone); fromLocalInput reads it back as an instant.
export function toLocalInput(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value) {
  return value ? new Date(value).toISOString() : '';
}

// minorUnits reads a typed amount ("12.50" or "12,50") as integer minor
// units of the currency, exactly: digits are moved, never divided.
// Anything else is NaN.
export function minorUnits(text, currency) {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  const m = /^(\d+)(?:[.,](\d*))?$/.exec(text.trim());
  if (!m || (m[2] || '').length > digits) return NaN;
  return Number(m[1] + (m[2] || '').padEnd(digits, '0'));
}
