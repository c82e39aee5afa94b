// The console's Audit screen: the trail of staff writes, filtered by what
// changed, who changed it, the action and the period, each entry read as a
// sentence with the fields it changed.
import { api } from './session.js';
import { t, dateTime } from './i18n.js';
import { h, render, drawScreen, busy, alertBox, download, field } from './ui.js';
import { partnerNames } from './staffui.js';

// sentence reads an entry: who, in which role, did what to which target,
// named by the name the entry recorded, else one looked up (names), else
// its id.
function sentence(e, names) {
  const target = e.target_name || names[e.target] || e.target;
  const vars = { actor: e.actor, role: t('role.' + e.role, {}, e.role), target, item: e.item || '' };
  return t('auditLine.' + e.action, vars, t('auditLine.other', { ...vars, action: e.action }));
}

// changes lists each changed field as "field: before → after".
function changes(e) {
  const fields = [...new Set([...Object.keys(e.before || {}), ...Object.keys(e.after || {})])].sort();
  // A time reads in the viewer's locale; other values as the JSON they were.
  const isTime = (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v);
  const show = (side, k) => {
    if (!side || !(k in side)) return '—';
    return isTime(side[k]) ? dateTime(side[k]) : JSON.stringify(side[k]);
  };
  if (!fields.length && !e.reason) return null;
  return h('ul', { class: 'muted plain-list' },
    e.reason ? h('li', { text: t('auditLog.reason', { reason: e.reason }) }) : null,
    fields.map((k) => h('li', { text: `${k}: ${show(e.before, k)} → ${show(e.after, k)}` })));
}

export async function auditScreen(screen) {
  const inputs = { target: h('input', { type: 'text', autocomplete: 'off', placeholder: 'partner:pt_…' }), actor: h('input', { type: 'text', autocomplete: 'off' }),
    action: h('input', { type: 'text', autocomplete: 'off', placeholder: 'program.saved' }), from: h('input', { type: 'date' }), to: h('input', { type: 'date' }) };
  const query = () => new URLSearchParams(Object.entries(inputs).filter(([, el]) => el.value.trim()).map(([k, el]) => [k, el.value.trim()]));
  const list = h('ol', { class: 'timeline', 'aria-live': 'polite' });
  const status = h('div', { role: 'status' });
  const more = h('button', { type: 'button', class: 'secondary', text: t('common.loadMore'), hidden: true });
  let cursor = '';
  // Entries written before they recorded names: one read per partner
  // they name, kept for the screen's later pages.
  const names = {};
  const lookUp = async (entries) => {
    const ids = entries.filter((e) => !e.target_name && /^partner:[^/]+$/.test(e.target) && !(e.target in names)).map((e) => e.target.slice('partner:'.length));
    if (!ids.length) return;
    for (const [id, name] of Object.entries(await partnerNames(ids))) names['partner:' + id] = name;
  };
  const load = async (fresh) => {
    const q = query();
    q.set('limit', '50');
    if (!fresh && cursor) q.set('cursor', cursor);
    const page = await api('/v1/audit?' + q);
    await lookUp(page.entries);
    if (fresh) list.replaceChildren();
    list.append(...page.entries.map((e) => h('li', {}, h('strong', { text: sentence(e, names) }), ' · ', h('time', { datetime: e.at, text: dateTime(e.at) }), changes(e))));
    if (!list.children.length) list.append(h('li', { class: 'muted', text: t('common.none') }));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  const search = h('button', { type: 'submit', text: t('auditLog.filter') });
  const csv = h('button', { type: 'button', class: 'secondary', text: t('common.downloadCSV') });
  const form = h('form', { class: 'stack' }, field(t('auditLog.target'), inputs.target), field(t('auditLog.actor'), inputs.actor),
    field(t('auditLog.action'), inputs.action), field(t('auditLog.from'), inputs.from), field(t('auditLog.to'), inputs.to), h('p', {}, search, ' ', csv));
  const guard = (btn, call) => busy(btn, async () => {
    try {
      status.replaceChildren();
      await call();
    } catch (err) { render(status, alertBox(err)); }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); guard(search, () => load(true)); });
  more.addEventListener('click', () => guard(more, () => load(false)));
  csv.addEventListener('click', () => guard(csv, async () => {
    const q = query();
    q.set('format', 'csv');
    download(await (await api('/v1/audit?' + q, { raw: true })).blob(), 'audit.csv');
  }));
  await load(true);
  drawScreen(screen, h('h1', { text: t('console.nav.audit') }),
    h('section', { class: 'card', 'aria-labelledby': 'audit-filters' }, h('h2', { id: 'audit-filters', text: t('auditLog.filters') }), form),
    h('section', { class: 'card', 'aria-labelledby': 'audit-entries' }, h('h2', { id: 'audit-entries', text: t('auditLog.entries') }), status, list, more));
}
