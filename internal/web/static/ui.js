// Small DOM helpers shared by the portal and the console.
import { t, localize } from './i18n.js';
import { api, signIn, signOut } from './session.js';

let ids = 0;

// h builds an element: attrs are attributes, except "text" (text content)
// and "on<event>" (listeners); children are nodes, strings or arrays.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function render(target, ...nodes) {
  target.replaceChildren();
  append(target, nodes);
}

// drawScreen draws the page's content for the screen whose signal it is
// given (openScreen), and nothing once the user has left that screen: a
// late answer never draws over the screen the user is on.
export function drawScreen(screen, ...nodes) {
  if (!screen.aborted) render(document.getElementById('main'), ...nodes);
}

export function newID(prefix) {
  ids += 1;
  return prefix + '-' + ids;
}

// field is a labelled control with room for its error message.
export function field(label, control, hint) {
  control.id ||= newID('f');
  const error = h('p', { class: 'field-error', id: control.id + '-error', hidden: true });
  control.setAttribute('aria-describedby', error.id);
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control,
    hint ? h('p', { class: 'muted', text: hint }) : null, error);
}

// showFieldError puts a message under a control and marks it invalid.
export function showFieldError(control, message) {
  const error = document.getElementById(control.id + '-error');
  control.setAttribute('aria-invalid', 'true');
  error.textContent = message;
  error.hidden = false;
  control.focus();
}

export function clearFieldErrors(root) {
  root.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  root.querySelectorAll('.field-error').forEach((el) => { el.hidden = true; el.textContent = ''; });
}

// table renders rows; on narrow screens each row becomes a labelled list.
export function table({ caption, columns, rows, empty }) {
  if (!rows.length) return h('p', { class: 'muted', text: empty || t('common.none') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'responsive' },
    caption ? h('caption', { class: 'muted', text: caption }) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, text: c.label })))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : null, 'data-label': c.label }, c.value(r))))))));
}

export function badge(status) {
  return h('span', { class: 'status ' + status, text: t('status.' + status) });
}

// busy runs fn while the button shows progress and cannot be pressed again.
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.textContent = ''; }, 5000);
}

// errorText is a readable message for an API error.
export function errorText(err) {
  if (err.code === 'network') return t('error.network');
  const known = t('error.' + err.code, {}, '');
  return known || err.message || t('error.internal');
}

export function alertBox(err) {
  return h('div', { class: 'alert', role: 'alert', text: errorText(err) });
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// csvBlob is a CSV file of the rows. As in the server's exports, a cell a
// spreadsheet would run as a formula gets a leading ' (plain numbers stay
// numbers), and a cell holding a comma, quote, CR or LF is quoted.
export function csvBlob(header, rows) {
  const cell = (v) => {
    let s = String(v ?? '');
    if (/^[=+\-@\t\r]/.test(s) && !/^-?[0-9]+(\.[0-9]+)?$/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return new Blob([[header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n'], { type: 'text/csv' });
}

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// barChart draws horizontal bars as SVG; values are plain numbers, labels
// and formatted values are shown as text so the chart reads without colour.
export function barChart(title, bars) {
  const rowH = 28, labelW = 180, valueW = 120, width = 640;
  const max = Math.max(1, ...bars.map((b) => Math.abs(b.value)));
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${Math.max(1, bars.length) * rowH + 8}`, role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  bars.forEach((b, i) => {
    const y = i * rowH + 4;
    const w = Math.round((Math.abs(b.value) / max) * (width - labelW - valueW));
    svg.append(s('text', { x: 0, y: y + 17 }, b.label.slice(0, 26)));
    svg.append(s('rect', { class: 'bar', x: labelW, y: y + 4, width: Math.max(w, 1), height: rowH - 10, rx: 3 }));
    svg.append(s('text', { x: labelW + w + 6, y: y + 17 }, b.text));
  });
  return svg;
}

// startPage translates the page, signs in and returns the caller as
// GET /v1/me answers, or null while the sign-in goes elsewhere or after
// showing why it failed.
export async function startPage() {
  localize(document);
  // The skip link moves focus without touching the hash the pages route by.
  document.querySelector('a.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('main').focus();
  });
  if (!(await signIn())) return null;
  const out = document.getElementById('signout');
  out.hidden = false;
  out.addEventListener('click', signOut);
  try {
    return await api('/v1/me');
  } catch (err) {
    render(document.getElementById('main'), alertBox(err));
    return null;
  }
}
