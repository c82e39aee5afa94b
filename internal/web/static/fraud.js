// The console's Fraud screen: the queue of cases the fraud rules opened, a
// case with its evidence laid out, and finance's two decisions on it.
import { api } from './session.js';
import { t, money, dateTime, count } from './i18n.js';
import { h, render, drawScreen, table, badge, busy, toast, alertBox, errorText, field } from './ui.js';
import { partnerNames, partnerLink } from './staffui.js';

const RULES = ['customer_is_partner', 'same_company_domain', 'disposable_email', 'paid_ad_click', 'banned_referrer',
  'shared_payout_method', 'same_device', 'coupon_leak', 'large_commission', 'first_payout_minimum'];
const STATUSES = ['pending', 'resolved', 'confirmed'];

function card(title, ...body) {
  const id = 'h-' + title.replace(/\W+/g, '-').toLowerCase();
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), body);
}

const ruleName = (rule) => t('fraud.rule.' + rule, {}, rule);
const heldText = (held) => Object.entries(held || {}).map(([cur, amount]) => money(amount, cur)).join(', ') || '—';

const casePartners = (cases) => partnerNames(cases.map((c) => c.partner_id));

function casesTable(cases, names) {
  return table({
    rows: cases, empty: t('fraud.noCases'),
    columns: [
      { label: t('fraud.case'), value: (c) => h('a', { href: '#/fraud/' + encodeURIComponent(c.id), text: ruleName(c.rule) }) },
      { label: t('common.partner'), value: (c) => partnerLink(c.partner_id, names) },
      { label: t('common.status'), value: (c) => badge(c.status) },
      { label: t('fraud.events'), num: true, value: (c) => count(c.events) },
      { label: t('fraud.held'), num: true, value: (c) => heldText(c.held) },
      { label: t('fraud.lastEvent'), value: (c) => dateTime(c.last_event_at) },
    ],
  });
}

// fraudScreen shows the queue, or, given an id, one case.
export async function fraudScreen(screen, id) {
  if (id) return caseScreen(screen, id);
  const status = h('select', {}, STATUSES.map((s) => h('option', { value: s, text: t('status.' + s) })));
  const rule = h('select', {}, h('option', { value: '', text: t('fraud.anyRule') }), RULES.map((r) => h('option', { value: r, text: ruleName(r) })));
  const results = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    try {
      const q = new URLSearchParams({ status: status.value, limit: '50' });
      if (rule.value) q.set('rule', rule.value);
      const { cases } = await api('/v1/fraud/cases?' + q);
      render(results, casesTable(cases, await casePartners(cases)));
    } catch (err) { render(results, alertBox(err)); }
  };
  status.addEventListener('change', load);
  rule.addEventListener('change', load);
  await load();
  drawScreen(screen, h('h1', { text: t('console.nav.fraud') }),
    card(t('fraud.queue'), h('div', { class: 'stack' }, field(t('common.status'), status), field(t('fraud.rule'), rule)), results));
}

// Evidence arrives as text: amounts in minor units beside their currency
// (which the formatted amounts then show), counts as digits.
const AMOUNTS = ['commission', 'above'];
const COUNTS = ['customers', 'coupon_orders', 'without_click', 'needed'];

function evidenceList(evidence) {
  const value = (k, v) => {
    if (AMOUNTS.includes(k)) return money(Number(v), evidence.currency);
    return COUNTS.includes(k) ? count(Number(v)) : v;
  };
  const shown = Object.entries(evidence).filter(([k]) => k !== 'currency' || !AMOUNTS.some((a) => a in evidence));
  return h('dl', { class: 'kv' }, shown.flatMap(([k, v]) => [h('dt', { text: t('fraud.evidence.' + k, {}, k) }), h('dd', { text: value(k, v) })]));
}

function decisionText(d) {
  const who = d.approved_by ? t('fraud.decidedByTwo', { by: d.by, approver: d.approved_by }) : t('fraud.decidedBy', { by: d.by });
  return [t('fraud.decision.' + d.kind), who, dateTime(d.at), d.note].filter(Boolean).join(' · ');
}

async function caseScreen(screen, id) {
  const c = await api('/v1/fraud/cases/' + encodeURIComponent(id));
  const names = await casePartners([c, ...c.partner_history]);
  const parts = [h('h1', { text: ruleName(c.rule) }),
    card(t('console.details'), h('dl', { class: 'kv' },
      h('dt', { text: t('common.partner') }), h('dd', {}, partnerLink(c.partner_id, names)),
      h('dt', { text: t('common.status') }), h('dd', {}, badge(c.status)),
      h('dt', { text: t('fraud.opened') }), h('dd', { text: dateTime(c.opened_at) }),
      h('dt', { text: t('fraud.held') }), h('dd', { text: heldText(c.held) }),
      c.pending_approval ? [h('dt', { text: t('fraud.awaitingApproval') }), h('dd', { text: decisionText(c.pending_approval) })] : null,
      c.decision ? [h('dt', { text: t('fraud.decision') }), h('dd', { text: decisionText(c.decision) })] : null))];
  if (c.status === 'pending') parts.push(card(t('fraud.decide'), decisionForm(screen, c)));
  parts.push(
    card(t('fraud.events'), table({ rows: c.event_list, empty: t('common.none'),
      columns: [{ label: t('common.date'), value: (e) => dateTime(e.at) }, { label: t('fraud.evidence'), value: (e) => evidenceList(e.evidence) },
        { label: t('fraud.held'), num: true, value: (e) => (e.held ? money(e.held.amount, e.held.currency) : '—') }] })),
    card(t('fraud.accruals'), table({ rows: c.accruals, empty: t('common.none'),
      columns: [{ label: t('statement.order'), value: (a) => a.source + '/' + a.order_id }, { label: t('common.amount'), num: true, value: (a) => money(a.amount, a.currency) },
        { label: t('common.status'), value: (a) => (a.settled ? t('fraud.settled') : badge('held')) }] })),
    card(t('fraud.history'), casesTable(c.partner_history, names)));
  drawScreen(screen, ...parts);
}

function decisionForm(screen, c) {
  const note = h('textarea', { class: 'short', rows: 3, maxlength: 2000 });
  const reverse = h('input', { type: 'checkbox', checked: true });
  const suspend = h('input', { type: 'checkbox' });
  const status = h('div', { role: 'status' });
  const decide = (btn, kind, body) => busy(btn, async () => {
    try {
      const res = await api(`/v1/fraud/cases/${encodeURIComponent(c.id)}/${kind}`, { method: 'POST', body: { note: note.value, ...body } });
      toast(res.status === 'pending' ? t('fraud.waitsForApproval') : t('fraud.decided'));
      await caseScreen(screen, c.id);
    } catch (err) {
      render(status, h('div', { class: 'alert', role: 'alert', text: err.code === 'four_eyes' ? t('fraud.fourEyes') : errorText(err) }));
    }
  });
  const resolve = h('button', { type: 'button', class: 'secondary', text: t('fraud.resolve') });
  const confirm = h('button', { type: 'button', class: 'danger', text: t('fraud.confirm') });
  resolve.addEventListener('click', () => decide(resolve, 'resolve', {}));
  confirm.addEventListener('click', () => decide(confirm, 'confirm', { reverse: reverse.checked, suspend_partner: suspend.checked }));
  return h('div', {}, field(t('fraud.note'), note), h('div', { class: 'grid decision' },
    h('fieldset', {}, h('legend', { text: t('fraud.resolvePart') }), h('p', { text: t('fraud.resolveHelp') }), resolve),
    h('fieldset', {}, h('legend', { text: t('fraud.confirmPart') }),
      h('label', { class: 'check' }, reverse, t('fraud.reverse')), h('label', { class: 'check' }, suspend, t('fraud.suspend')), confirm)), status);
}

// openCases is the partner detail's card of the partner's pending cases.
export async function openCases(partnerId) {
  const { cases } = await api('/v1/fraud/cases?status=pending&partner_id=' + encodeURIComponent(partnerId));
  return card(t('fraud.openCases'), casesTable(cases, await casePartners(cases)));
}
