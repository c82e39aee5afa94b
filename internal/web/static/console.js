// The finance console: overview, partners, batches, program, charities and
// reports, on top of the /v1 API.
import { api, openScreen } from './session.js';
import { t, money, date, dateTime, percent } from './i18n.js';
import {
  startPage, h, render, drawScreen, table, badge, busy, toast, alertBox, errorText, download, field, showFieldError, clearFieldErrors, barChart,
} from './ui.js';
import { statementLines } from './statement.js';
import { messagesScreen } from './broadcasts.js';
import { fraudScreen, openCases } from './fraud.js';
import { auditScreen } from './audit.js';
import { groupsScreen } from './groups.js';
import { applicationsScreen } from './applications.js';
import { challengesScreen } from './challenges.js';
import { rewardsScreen } from './rewards.js';
import { endpointsScreen } from './endpoints.js';
import { pointsCard } from './points.js';
import { payoutSettingsCard } from './payoutsettings.js';
import { teamScreen } from './team.js';
import { apiKeysScreen } from './apikeys.js';
import { notificationsCard, inboxCard } from './partnermail.js';

const main = document.getElementById('main');
const sections = ['overview', 'partners', 'batches', 'program', 'charities', 'reports', 'messages', 'fraud', 'audit', 'groups', 'applications', 'challenges', 'rewards', 'webhooks', 'team', 'apikeys'];
const pages = { overview, partners, partner, batches, batch, program, charities, reports, messages: messagesScreen, fraud: fraudScreen, audit: auditScreen,
  groups: (screen, id) => groupsScreen(screen, id, can), applications: (screen, id) => applicationsScreen(screen, id, can),
  challenges: (screen, id) => challengesScreen(screen, id, can), rewards: (screen, id) => rewardsScreen(screen, id, can),
  webhooks: (screen, id) => endpointsScreen(screen, id, can), team: teamScreen, apikeys: (screen) => apiKeysScreen(screen) };
// readBy is the route each section reads first: the caller's roles show
// the sections whose route they admit, and each screen offers only the
// changes whose routes they admit (the API refuses the rest with 403).
const readBy = { overview: 'GET /v1/reports/owed', partners: 'GET /v1/partners', batches: 'GET /v1/payout-batches', program: 'GET /v1/program',
  charities: 'GET /v1/charities', reports: 'GET /v1/reports/owed', messages: 'GET /v1/messages', fraud: 'GET /v1/fraud/cases', audit: 'GET /v1/audit',
  groups: 'GET /v1/groups', applications: 'GET /v1/applications',
  challenges: 'GET /v1/challenges', rewards: 'GET /v1/rewards', webhooks: 'GET /v1/webhook-endpoints', team: 'GET /v1/team', apikeys: 'GET /v1/api-keys' };
let me;
const can = (route) => me.routes.includes(route);
const shown = () => sections.filter((name) => can(readBy[name]));
let refresh; // the timer that keeps a batch's status current

function setNav(current) {
  render(document.getElementById('nav'), h('ul', {}, shown().map((name) =>
    h('li', {}, h('a', { href: '#/' + name, 'aria-current': name === current ? 'page' : null, text: t('console.nav.' + name) })))));
}

async function route() {
  clearTimeout(refresh);
  const screen = openScreen();
  const [name, arg] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const wanted = pages[name] ? name : shown()[0];
  const section = { partner: 'partners', batch: 'batches' }[wanted] || wanted;
  const page = shown().includes(section) ? wanted : shown()[0];
  setNav(section);
  document.title = t('console.nav.' + section) + ' · ' + t('console.title');
  drawScreen(screen, h('p', { class: 'muted', role: 'status', text: t('common.loading') }));
  try {
    await pages[page](screen, arg);
  } catch (err) {
    drawScreen(screen, h('h1', { text: t('console.nav.' + section) }), alertBox(err));
  }
}

function card(title, ...body) {
  const id = 'h-' + title.replace(/\W+/g, '-').toLowerCase();
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), body);
}

function thisMonth() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0');
}

function owedTable(rows) {
  return table({
    rows, empty: t('console.nothingOwed'),
    columns: [{ label: t('common.currency'), value: (r) => r.currency }, { label: t('console.partners'), num: true, value: (r) => r.partners },
      ...['pending', 'payable', 'in_payout', 'clawed_back'].map((k) => ({ label: t('balance.' + k), num: true, value: (r) => money(r[k], r.currency) }))],
  });
}

function heldTable(accruals, redraw) {
  return table({
    rows: accruals, empty: t('console.noHeld'),
    columns: [
      { label: t('common.partner'), value: (a) => h('a', { href: '#/partner/' + encodeURIComponent(a.partner_id), text: a.partner_id }) },
      { label: t('statement.order'), value: (a) => a.order_id },
      { label: t('console.reason'), value: (a) => t('hold.' + a.hold_reason, {}, a.hold_reason) },
      { label: t('common.amount'), num: true, value: (a) => money(a.amount, a.currency) },
      can('POST /v1/accruals/{source}/{order_id}/release') && { label: t('common.actions'), value: (a) => h('button', { type: 'button', class: 'secondary', text: t('console.release'),
        'aria-label': t('console.releaseOrder', { order: a.order_id }),
        onclick: (ev) => busy(ev.currentTarget, async () => {
          try {
            await api(`/v1/accruals/${encodeURIComponent(a.source)}/${encodeURIComponent(a.order_id)}/release`, { method: 'POST' });
            toast(t('console.released'));
            await redraw();
          } catch (err) { toast(errorText(err)); }
        }) }) },
    ].filter(Boolean),
  });
}

function batchesTable(list) {
  return table({
    rows: list, empty: t('console.noBatches'),
    columns: [
      { label: t('console.batch'), value: (b) => h('a', { href: '#/batch/' + encodeURIComponent(b.id), text: b.id }) },
      { label: t('common.status'), value: (b) => badge(b.status) },
      { label: t('console.createdBy'), value: (b) => b.created_by },
      { label: t('common.date'), value: (b) => dateTime(b.created_at) },
      { label: t('console.items'), num: true, value: (b) => b.items.length },
    ],
  });
}

async function overview(screen) {
  const month = thisMonth();
  const [owed, held, latest, payments, donations, charities] = await Promise.all([
    api('/v1/reports/owed'), api('/v1/accruals/held'), api('/v1/payout-batches?limit=5'),
    api(`/v1/reports/payments?from=${month}&to=${month}`), api(`/v1/reports/donations?from=${month}&to=${month}`), charityNames()]);
  const heldBox = h('div', {}, heldTable(held.accruals, () => overview(screen)));
  drawScreen(screen, h('h1', { text: t('console.nav.overview') }),
    card(t('console.owed'), owedTable(owed.rows)),
    card(t('console.held'), heldBox),
    card(t('console.latestBatches'), batchesTable(latest.batches), h('p', {}, h('a', { href: '#/batches', text: t('console.allBatches') }))),
    h('div', { class: 'grid' },
      card(t('console.paymentsMonth'), table({ rows: payments.rows, empty: t('common.none'),
        columns: [{ label: t('common.currency'), value: (r) => r.currency }, { label: t('balance.paid'), num: true, value: (r) => money(r.paid, r.currency) },
          { label: t('balance.donated'), num: true, value: (r) => money(r.donated, r.currency) }] })),
      card(t('console.donationsMonth'), table({ rows: donations.rows, empty: t('common.none'),
        columns: [{ label: t('common.charity'), value: (r) => charities[r.charity_id] || r.charity_id }, { label: t('common.amount'), num: true, value: (r) => money(r.amount, r.currency) },
          { label: t('console.partners'), num: true, value: (r) => r.partners.length }] }))));
}

async function partners(screen) {
  const list = [];
  let cursor = '';
  let query = '';
  const results = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', text: t('common.loadMore') });
  const draw = () => render(results, table({
    rows: list, empty: t('console.noPartners'),
    columns: [
      { label: t('common.name'), value: (p) => h('a', { href: '#/partner/' + encodeURIComponent(p.id), text: p.name }) },
      { label: t('common.email'), value: (p) => p.email },
      { label: t('console.tier'), value: (p) => t('tier.' + p.tier) },
      { label: t('common.status'), value: (p) => badge(p.status) },
      { label: t('console.code'), value: (p) => p.referral_code },
    ],
  }));
  const load = async () => {
    const q = new URLSearchParams({ limit: '25' });
    if (cursor) q.set('cursor', cursor);
    if (query) q.set('q', query);
    const res = await api('/v1/partners?' + q);
    list.push(...res.partners);
    cursor = res.next_cursor;
    more.hidden = !cursor;
    draw();
  };
  more.addEventListener('click', () => busy(more, load).catch((e) => toast(errorText(e))));
  const search = h('input', { type: 'search', autocomplete: 'off' });
  const searchForm = h('form', { role: 'search', class: 'stack' }, h('div', {}, field(t('console.search'), search)),
    h('button', { type: 'submit', text: t('console.searchButton') }));
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    query = search.value.trim();
    list.length = 0;
    cursor = '';
    load().catch((e) => render(results, alertBox(e)));
  });
  await load();
  drawScreen(screen, h('h1', { text: t('console.nav.partners') }),
    card(t('console.findPartners'), searchForm, results, more),
    can('POST /v1/partners') ? card(t('console.newPartner'), newPartnerForm()) : null);
}

function newPartnerForm() {
  const name = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const email = h('input', { type: 'email', required: true, autocomplete: 'off' });
  const tier = h('select', {}, ['authorized', 'silver', 'gold'].map((x) => h('option', { value: x, text: t('tier.' + x) })));
  const create = h('button', { type: 'submit', text: t('console.create') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('common.name'), name), field(t('common.email'), email), field(t('console.tier'), tier), create, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    busy(create, async () => {
      try {
        const p = await api('/v1/partners', { method: 'POST', body: { name: name.value.trim(), email: email.value.trim(), tier: tier.value } });
        location.hash = '#/partner/' + encodeURIComponent(p.id);
      } catch (err) {
        render(status, alertBox(err));
      }
    });
  });
  return form;
}

async function partner(screen, id) {
  const [p, st, cases, prefs, inbox] = await Promise.all([api(`/v1/partners/${encodeURIComponent(id)}`), api(`/v1/partners/${encodeURIComponent(id)}/statement?limit=1`),
    openCases(id).catch(() => null), // roles without fraud review see no cases
    can('GET /v1/partners/{id}/notifications') ? notificationsCard(id, can('PATCH /v1/partners/{id}/notifications')) : null,
    can('GET /v1/partners/{id}/inbox') ? inboxCard(id, can('GET /v1/messages/{id}')) : null]);
  const lines = statementLines(id);
  await lines.load();
  const tier = h('select', {}, ['authorized', 'silver', 'gold'].map((x) => h('option', { value: x, text: t('tier.' + x), selected: p.tier === x })));
  const setTier = h('button', { type: 'button', text: t('console.changeTier') });
  const suspend = h('button', { type: 'button', class: p.status === 'active' ? 'danger' : null,
    text: p.status === 'active' ? t('console.suspend') : t('console.reactivate') });
  const patch = (btn, body) => busy(btn, async () => {
    try {
      await api(`/v1/partners/${encodeURIComponent(id)}`, { method: 'PATCH', body });
      toast(t('common.saved'));
      await partner(screen, id);
    } catch (err) { toast(errorText(err)); }
  });
  setTier.addEventListener('click', () => patch(setTier, { tier: tier.value }));
  suspend.addEventListener('click', () => patch(suspend, { status: p.status === 'active' ? 'suspended' : 'active' }));
  drawScreen(screen, h('h1', { text: p.name }),
    h('div', { class: 'grid' },
      card(t('console.details'), h('dl', { class: 'kv' },
        h('dt', { text: t('common.email') }), h('dd', { text: p.email }),
        h('dt', { text: t('common.status') }), h('dd', {}, badge(p.status)),
        h('dt', { text: t('console.tier') }), h('dd', { text: t('tier.' + p.tier) }),
        h('dt', { text: t('console.code') }), h('dd', { text: p.referral_code }),
        h('dt', { text: t('console.since') }), h('dd', { text: date(p.created_at) })),
      can('PATCH /v1/partners/{id}') ? [h('div', { class: 'stack' }, field(t('console.tier'), tier), setTier), h('p', {}, suspend)] : null),
      card(t('console.tierHistory'), table({ rows: st.tier_history, empty: t('common.none'),
        columns: [{ label: t('common.date'), value: (c) => date(c.at) }, { label: t('console.from'), value: (c) => t('tier.' + c.from, {}, c.from) },
          { label: t('console.to'), value: (c) => t('tier.' + c.to, {}, c.to) }, { label: t('console.period'), value: (c) => c.period }] }))),
    card(t('portal.balances'), table({ rows: Object.entries(p.balances || {}).map(([currency, b]) => ({ currency, ...b })), empty: t('portal.noBalances'),
      columns: [{ label: t('common.currency'), value: (r) => r.currency },
        ...['pending', 'payable', 'in_payout', 'paid', 'reversed', 'donated'].map((k) => ({ label: t('balance.' + k), num: true, value: (r) => money(r[k], r.currency) }))] })),
    pointsCard(id, p.points, can('POST /v1/partners/{id}/points'), () => partner(screen, id)),
    can('PATCH /v1/partners/{id}/settings') ? await payoutSettingsCard(p, () => partner(screen, id)) : null,
    h('div', { class: 'grid' }, prefs, inbox),
    cases, card(t('portal.nav.statement'), lines.node));
}

async function batches(screen) {
  const list = await api('/v1/payout-batches?limit=25');
  const create = h('button', { type: 'button', text: t('console.createBatch') });
  const status = h('div', { role: 'status' });
  create.addEventListener('click', () => busy(create, async () => {
    try {
      const b = await api('/v1/payout-batches', { method: 'POST' });
      location.hash = '#/batch/' + encodeURIComponent(b.id);
    } catch (err) {
      render(status, alertBox(err));
    }
  }));
  drawScreen(screen, h('h1', { text: t('console.nav.batches') }), can('POST /v1/payout-batches') ? h('p', {}, create) : null, status,
    card(t('console.batches'), batchesTable(list.batches)));
}

const FINAL = ['completed', 'completed_with_failures', 'cancelled'];

// charityNames maps the charities' ids to their names, for the screens
// that show donations.
async function charityNames() {
  const { charities: list } = await api('/v1/charities');
  return Object.fromEntries(list.map((c) => [c.id, c.name]));
}

// batch shows one batch; its redraws (after an action, and while workers
// pay it) keep the charity names read when the screen opened.
async function batch(screen, id, charities) {
  const path = `/v1/payout-batches/${encodeURIComponent(id)}`;
  const [b, audit, names] = await Promise.all([api(path), api(path + '/audit'), charities || charityNames()]);
  const actions = h('div', { class: 'stack' });
  const status = h('div', { role: 'status' });
  const act = (btn, call) => busy(btn, async () => {
    try {
      await call();
      await batch(screen, id, names);
    } catch (err) {
      render(status, alertBox(err));
    }
  });
  if (b.status === 'draft' && can('POST /v1/payout-batches/{id}/approve')) {
    const ownBatch = b.created_by === me.subject;
    const approve = h('button', { type: 'button', text: t('console.approve'), disabled: ownBatch, 'aria-describedby': ownBatch ? 'four-eyes' : null });
    approve.addEventListener('click', () => act(approve, () => api(path + '/approve', { method: 'POST' })));
    const reason = h('input', { type: 'text' });
    const cancel = h('button', { type: 'button', class: 'danger', text: t('console.cancelBatch') });
    cancel.addEventListener('click', () => {
      if (!reason.value.trim()) { showFieldError(reason, t('console.reasonNeeded')); return; }
      act(cancel, () => api(path + '/cancel', { method: 'POST', body: { reason: reason.value.trim() } }));
    });
    actions.append(h('div', {}, approve, ownBatch ? h('p', { id: 'four-eyes', class: 'notice', text: t('console.fourEyes') }) : null),
      h('div', { class: 'stack' }, field(t('console.cancelReason'), reason), cancel));
  }
  if (!screen.aborted && b.status !== 'draft' && !FINAL.includes(b.status)) {
    // Workers pay the items in the background; keep the page current
    // while it is shown.
    clearTimeout(refresh);
    refresh = setTimeout(() => batch(screen, id, names).catch(() => {}), 3000);
  }
  const exports = b.status === 'draft' || b.status === 'cancelled' || !can('GET /v1/payout-batches/{id}/export') ? [] : exportButtons(path, b);
  drawScreen(screen, h('h1', {}, t('console.batch'), ' ', b.id, ' ', badge(b.status)),
    card(t('console.summary'), h('dl', { class: 'kv' },
      h('dt', { text: t('console.createdBy') }), h('dd', { text: `${b.created_by} · ${dateTime(b.created_at)}` }),
      h('dt', { text: t('console.approvedBy') }), h('dd', { text: b.approved_by ? `${b.approved_by} · ${dateTime(b.approved_at)}` : '—' }),
      h('dt', { text: t('console.totals') }), h('dd', { text: totals(b) || '—' })), actions, exports.length ? h('div', { class: 'stack' }, exports) : null, status),
    card(t('console.items'), itemsTable(b, path, act, names)),
    card(t('console.batchDonations'), donationsTable(b, names)),
    card(t('console.skipped'), table({ rows: b.skipped, empty: t('common.none'),
      columns: [{ label: t('common.partner'), value: (s) => s.partner_id }, { label: t('common.currency'), value: (s) => s.currency },
        { label: t('console.reason'), value: (s) => s.reason }] })),
    card(t('console.audit'), h('ol', { class: 'timeline' }, audit.entries.map((e) => h('li', {},
      h('strong', { text: t('audit.' + e.action, {}, e.action) }), ' · ', e.by, ' · ', h('time', { datetime: e.at, text: dateTime(e.at) }),
      e.item_id ? ' · ' + e.item_id : '', e.reason ? h('div', { class: 'muted', text: e.reason }) : null)))));
}

// payments are what a batch pays: each item still in it (to the partner,
// and its share to the partner's charity) and each of the program's
// pledges (to a charity on a partner's behalf).
function payments(b) {
  const items = b.items.filter((it) => it.status !== 'excluded' && it.status !== 'cancelled')
    .map((it) => ({ partner: it.partner_id, currency: it.currency, toPartner: it.amount, donation: it.donation, charity: it.charity_id }));
  const pledges = b.pledges.map((p) => ({ partner: p.partner_id, currency: p.currency, toPartner: 0, donation: p.amount, charity: p.charity_id }));
  return [...items, ...pledges];
}

// totals is what the batch pays per currency, donations included.
function totals(b) {
  const sum = {};
  for (const p of payments(b)) {
    const s = (sum[p.currency] ||= { partners: 0, charities: 0 });
    s.partners += p.toPartner;
    s.charities += p.donation;
  }
  return Object.entries(sum).map(([cur, s]) => (s.charities
    ? t('console.totalSplit', { total: money(s.partners + s.charities, cur), partners: money(s.partners, cur), charities: money(s.charities, cur) })
    : money(s.partners, cur))).join(' · ');
}

// donationsTable is what the batch gives each charity, by its name.
function donationsTable(b, names) {
  const rows = new Map();
  for (const p of payments(b).filter((x) => x.donation)) {
    const key = p.charity + ' ' + p.currency;
    if (!rows.has(key)) rows.set(key, { charity: p.charity, currency: p.currency, amount: 0, partners: new Set() });
    const row = rows.get(key);
    row.amount += p.donation;
    row.partners.add(p.partner);
  }
  return table({
    rows: [...rows.values()], empty: t('common.none'),
    columns: [{ label: t('common.charity'), value: (r) => names[r.charity] || r.charity },
      { label: t('console.partners'), num: true, value: (r) => r.partners.size },
      { label: t('common.amount'), num: true, value: (r) => money(r.amount, r.currency) }],
  });
}

function exportButtons(path, b) {
  const buttons = [];
  for (const method of ['paypal', 'wise']) {
    for (const cur of [...new Set(b.items.filter((i) => i.method === method).map((i) => i.currency))]) {
      const btn = h('button', { type: 'button', class: 'secondary', text: t('console.export', { method: t('method.' + method), currency: cur }) });
      btn.addEventListener('click', () => busy(btn, async () => {
        try {
          const res = await api(`${path}/export?format=${method}&currency=${cur}`, { raw: true });
          download(await res.blob(), `${b.id}-${method}-${cur}.csv`);
        } catch (err) { toast(errorText(err)); }
      }));
      buttons.push(btn);
    }
  }
  return buttons;
}

// partnerName is the name the item recorded when the batch was built;
// batches built before items recorded it for every method show the id.
function partnerName(i) {
  return i.recipient || i.partner_id;
}

function itemsTable(b, path, act, names) {
  return table({
    rows: b.items, empty: t('common.none'),
    columns: [
      { label: t('common.partner'), value: (i) => h('a', { href: '#/partner/' + encodeURIComponent(i.partner_id), text: partnerName(i) }) },
      { label: t('console.method'), value: (i) => t('method.' + i.method) },
      { label: t('common.amount'), num: true, value: (i) => money(i.amount, i.currency) },
      { label: t('console.donation'), num: true, value: (i) => (i.donation
        ? [money(i.donation, i.currency), h('div', { class: 'muted', text: names[i.charity_id] || i.charity_id })] : '—') },
      { label: t('common.status'), value: (i) => [badge(i.status), i.reason ? h('div', { class: 'muted', text: i.reason }) : null] },
      { label: t('common.actions'), value: (i) => itemActions(b, i, path, act) },
    ],
  });
}

function itemActions(b, i, path, act) {
  const itemPath = `${path}/items/${encodeURIComponent(i.id)}`;
  if (!can('POST /v1/payout-batches/{id}/items/{item_id}/exclude')) return '';
  if (b.status === 'draft' && i.status === 'draft') {
    const btn = h('button', { type: 'button', class: 'secondary', text: t('console.exclude'), 'aria-label': t('console.excludeItem', { partner: partnerName(i) }) });
    btn.addEventListener('click', () => act(btn, () => api(itemPath + '/exclude', { method: 'POST', body: { reason: t('console.excludedInConsole') } })));
    return btn;
  }
  if (i.status === 'queued' && (i.method === 'paypal' || i.method === 'wise')) {
    const ref = h('input', { type: 'text', 'aria-label': t('console.referenceFor', { partner: partnerName(i) }), placeholder: t('console.reference') });
    const btn = h('button', { type: 'button', class: 'secondary', text: t('console.markPaid') });
    btn.addEventListener('click', () => {
      if (!ref.value.trim()) { ref.focus(); return; }
      act(btn, () => api(itemPath + '/paid', { method: 'POST', body: { reference: ref.value.trim() } }));
    });
    return h('div', { class: 'stack' }, ref, btn);
  }
  return '';
}

// The program form edits the fields most programs change; the rest is
// edited as JSON. A 422 names the field, and the message goes next to it.
async function program(screen) {
  const res = await api('/v1/program', { raw: true });
  const etag = res.headers.get('ETag');
  const current = await res.json();
  const history = await api('/v1/program/versions?limit=10');
  const p = structuredClone(current.program);
  const controls = {};
  const input = (name, attrs) => { controls[name] = h('input', attrs); return controls[name]; };
  const simple = [
    field(t('program.landing_url'), input('landing_url', { type: 'url', value: p.landing_url })),
    field(t('program.hold_days'), input('hold_days', { type: 'number', min: 0, value: p.hold_days })),
    field(t('program.cookie_days'), input('cookie_days', { type: 'number', min: 1, value: p.cookie_days })),
    field(t('program.max_clicks'), input('max_clicks_per_source_hour', { type: 'number', min: 0, value: p.max_clicks_per_source_hour })),
    ...['authorized', 'silver', 'gold'].map((tier, i) => field(t('program.rate', { tier: t('tier.' + tier) }),
      input('tier_rates_bps.' + tier, { type: 'number', min: 0, max: 10000, value: p.tier_rates_bps?.[tier] ?? 0 }), i === 2 ? t('program.bpsHint') : null)),
  ];
  const rest = { ...p };
  for (const k of ['landing_url', 'hold_days', 'cookie_days', 'max_clicks_per_source_hour', 'tier_rates_bps']) delete rest[k];
  const advanced = h('textarea', { spellcheck: 'false' });
  advanced.value = JSON.stringify(rest, null, 2);
  controls.advanced = advanced;
  const save = h('button', { type: 'submit', text: t('common.save') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, h('div', { class: 'grid' }, h('div', {}, simple), h('div', {}, field(t('program.advanced'), advanced, t('program.advancedHint')))), save, status);
  if (!can('PUT /v1/program')) {
    // Readers see the program as the form shows it, unchangeable.
    for (const control of form.querySelectorAll('input, select, textarea')) control.disabled = true;
    save.remove();
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    let body;
    try {
      body = JSON.parse(advanced.value || '{}');
    } catch {
      showFieldError(advanced, t('program.badJSON'));
      return;
    }
    body.landing_url = controls.landing_url.value.trim();
    for (const k of ['hold_days', 'cookie_days', 'max_clicks_per_source_hour']) body[k] = Number(controls[k].value);
    body.tier_rates_bps = Object.fromEntries(['authorized', 'silver', 'gold'].map((tier) => [tier, Number(controls['tier_rates_bps.' + tier].value)]));
    busy(save, async () => {
      try {
        await api('/v1/program', { method: 'PUT', body, headers: { 'If-Match': etag } });
        toast(t('program.saved'));
        await program(screen);
      } catch (err) {
        if (err.code === 'version_conflict') {
          render(status, h('div', { class: 'alert', role: 'alert' }, t('program.conflict'), ' ', h('a', { href: '#/program', onclick: () => program(screen), text: t('program.reload') })));
          return;
        }
        const target = controls[err.field] || controls[(err.field || '').split('.')[0]] || (err.field ? advanced : null);
        if (target) showFieldError(target, errorText(err));
        else render(status, alertBox(err));
      }
    });
  });
  drawScreen(screen, h('h1', { text: t('console.nav.program') }),
    h('p', { class: 'muted', text: current.version ? t('program.version', { version: current.version, by: current.updated_by, when: dateTime(current.updated_at) }) : t('program.default') }),
    card(t('program.edit'), form),
    card(t('program.history'), table({ rows: history.versions, empty: t('common.none'),
      columns: [{ label: t('program.versionCol'), num: true, value: (v) => v.version }, { label: t('program.by'), value: (v) => v.updated_by },
        { label: t('common.date'), value: (v) => dateTime(v.updated_at) }] })));
}

async function charities(screen) {
  const { charities: list } = await api('/v1/charities');
  const receipts = h('div', {});
  const show = async (c) => {
    const r = await api(`/v1/charities/${encodeURIComponent(c.id)}/receipts`);
    render(receipts, h('h3', { text: t('charity.receiptsFor', { name: c.name }) }), table({ rows: r.receipts, empty: t('common.none'),
      columns: [{ label: t('common.date'), value: (x) => date(x.at) }, { label: t('console.batch'), value: (x) => x.batch_id },
        { label: t('common.amount'), num: true, value: (x) => money(x.amount, x.currency) }, { label: t('charity.reference'), value: (x) => x.reference },
        { label: t('console.partners'), num: true, value: (x) => x.partners.length }] }));
  };
  const id = h('input', { type: 'text', placeholder: 'ch_', autocomplete: 'off' });
  const name = h('input', { type: 'text', autocomplete: 'off' });
  const reg = h('input', { type: 'text', autocomplete: 'off' });
  const country = h('input', { type: 'text', maxlength: 2, autocomplete: 'off' });
  const add = h('button', { type: 'submit', text: t('charity.add') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('charity.id'), id), field(t('common.name'), name), field(t('charity.registration'), reg),
    field(t('charity.country'), country), add, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(add, async () => {
      try {
        await api('/v1/charities', { method: 'POST', body: { id: id.value.trim(), name: name.value.trim(), registration_number: reg.value.trim(), country: country.value.trim().toUpperCase() } });
        toast(t('common.saved'));
        await charities(screen);
      } catch (err) { render(status, alertBox(err)); }
    });
  });
  drawScreen(screen, h('h1', { text: t('console.nav.charities') }),
    card(t('charity.catalog'), table({ rows: list, empty: t('common.none'),
      columns: [{ label: t('common.name'), value: (c) => c.name }, { label: t('charity.registration'), value: (c) => c.registration_number },
        { label: t('charity.country'), value: (c) => c.country },
        can('GET /v1/charities/{id}/receipts') && { label: t('common.actions'), value: (c) => h('button', { type: 'button', class: 'secondary', text: t('charity.receipts'),
          'aria-label': t('charity.receiptsFor', { name: c.name }), onclick: (ev) => busy(ev.currentTarget, () => show(c).catch((e) => render(receipts, alertBox(e)))) }) }].filter(Boolean) }),
    receipts),
    can('POST /v1/charities') ? card(t('charity.add'), form) : null);
}

const REPORTS = {
  owed: { columns: (r) => [['currency', r.currency], ['payable', money(r.payable, r.currency)], ['pending', money(r.pending, r.currency)]], bar: (r) => [r.currency, r.payable, money(r.payable, r.currency)] },
  payments: { columns: (r) => [['month', r.month], ['currency', r.currency], ['paid', money(r.paid, r.currency)], ['donated', money(r.donated, r.currency)]], bar: (r) => [`${r.month} ${r.currency}`, r.paid, money(r.paid, r.currency)] },
  donations: { columns: (r, names) => [['charity', names[r.charity_id] || r.charity_id], ['currency', r.currency], ['amount', money(r.amount, r.currency)], ['partners', r.partners.length]], bar: (r, names) => [names[r.charity_id] || r.charity_id, r.amount, money(r.amount, r.currency)] },
  roi: { columns: (r) => [['partner', r.name || r.partner_id], ['tier', t('tier.' + r.tier)], ['revenue', money(r.revenue, r.currency)], ['commission', money(r.commission, r.currency)], ['return', percent(r.return_bps)]], bar: (r) => [r.name || r.partner_id, r.revenue, money(r.revenue, r.currency)] },
  'roi-by-tier': { path: 'roi', extra: '&by=tier', columns: (r) => [['tier', t('tier.' + r.tier)], ['currency', r.currency], ['revenue', money(r.revenue, r.currency)], ['commission', money(r.commission, r.currency)], ['return', percent(r.return_bps)]], bar: (r) => [`${t('tier.' + r.tier)} ${r.currency}`, r.revenue, money(r.revenue, r.currency)] },
};

async function reports(screen, which = 'owed') {
  const spec = REPORTS[which] || REPORTS.owed;
  const now = new Date();
  const from = new Date(now.getFullYear(), now.getMonth() - 5, 1);
  const month = (d) => d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0');
  const range = which === 'owed' ? '' : `?from=${month(from)}&to=${month(now)}${spec.extra || ''}`;
  const path = `/v1/reports/${spec.path || which}${range}`;
  const [report, charities] = await Promise.all([api(path), which === 'donations' ? charityNames() : {}]);
  const csv = h('button', { type: 'button', class: 'secondary', text: t('common.downloadCSV') });
  csv.addEventListener('click', () => busy(csv, async () => {
    try {
      const res = await api(path + (range ? '&' : '?') + 'format=csv', { raw: true });
      download(await res.blob(), `${which}.csv`);
    } catch (err) { toast(errorText(err)); }
  }));
  const rows = report.rows.map((r) => spec.columns(r, charities));
  const columns = (rows[0] || spec.columns({ currency: 'EUR', partners: [] }, charities)).map(([key], i) => ({ label: t('report.' + key), num: i > 0 && key !== 'currency' && key !== 'tier', value: (r) => r[i][1] }));
  drawScreen(screen, h('h1', { text: t('console.nav.reports') }),
    h('nav', { 'aria-label': t('report.which') }, h('ul', { class: 'stack plain-list' }, Object.keys(REPORTS).map((k) => h('li', {},
      h('a', { href: '#/reports/' + k, 'aria-current': k === which ? 'page' : null, class: 'button secondary', text: t('report.' + k) }))))),
    card(t('report.' + which), range ? h('p', { class: 'muted', text: t('report.range', { from: report.from, to: report.to }) }) : null,
      barChart(t('report.' + which), report.rows.map((r) => spec.bar(r, charities)).map(([label, value, text]) => ({ label, value, text }))),
      table({ rows, columns, empty: t('common.none') }), csv));
}

async function start() {
  me = await startPage();
  if (!me) return;
  if (!me.roles.some((r) => r !== 'partner')) {
    render(main, h('h1', { text: t('console.forbiddenTitle') }), h('p', { role: 'alert' }, t('console.forbidden'), ' ',
      h('a', { href: '/portal/', text: t('console.openPortal') })));
    return;
  }
  window.addEventListener('hashchange', route);
  await route();
}

start();
