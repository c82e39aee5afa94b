// The console's Applications screen: the join funnel of a month, the queue
// of applications whose e-mail is confirmed (by status and group, pending
// ones approvable in bulk), and one application with its answers, its
// steps and the decision on it.
import { api } from './session.js';
import { t, lang, dateTime, count } from './i18n.js';
import { h, render, drawScreen, table, badge, busy, toast, alertBox, errorText, field } from './ui.js';

const STATUSES = ['pending', 'approved', 'rejected'];
const REASONS = ['not_a_fit', 'incomplete', 'duplicate', 'fraud_suspected', 'other'];
const STEPS = ['visited', 'started', 'submitted', 'confirmed', 'approved', 'rejected'];
const regions = new Intl.DisplayNames([lang], { type: 'region' });

function countryName(code) {
  return code ? regions.of(code) : '—';
}

function card(title, ...body) {
  const id = 'h-' + title.replace(/\W+/g, '-').toLowerCase();
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), body);
}

function thisMonth() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0');
}

async function funnelCard() {
  const month = h('input', { type: 'month', value: thisMonth(), required: true });
  const out = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    try {
      const rep = await api('/v1/reports/applications?period=' + encodeURIComponent(month.value));
      render(out, table({
        rows: rep.groups, empty: t('apps.noFunnel'),
        columns: [{ label: t('apps.group'), value: (g) => g.group }, ...STEPS.map((s) => ({ label: t('apps.step.' + s), num: true, value: (g) => count(g[s]) }))],
      }));
    } catch (err) { render(out, alertBox(err)); }
  };
  month.addEventListener('change', load);
  await load();
  return card(t('apps.funnel'), field(t('apps.month'), month), out);
}

// applicationsScreen shows the funnel and the queue, or, given an id, one
// application.
export async function applicationsScreen(screen, id, can) {
  if (id) return applicationScreen(screen, id, can);
  const groups = (await api('/v1/groups?limit=200')).groups;
  const groupNames = new Map(groups.map((g) => [g.id, g.name]));
  const status = h('select', {}, STATUSES.map((s) => h('option', { value: s, text: t('status.' + s) })));
  const group = h('select', {}, h('option', { value: '', text: t('apps.anyGroup') }), groups.map((g) => h('option', { value: g.id, text: g.name })));
  const results = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    try {
      const q = new URLSearchParams({ status: status.value, limit: '100' });
      if (group.value) q.set('group', group.value);
      render(results, queue((await api('/v1/applications?' + q)).applications, groupNames, status.value === 'pending' && can('POST /v1/applications/{id}/approve'), load));
    } catch (err) { render(results, alertBox(err)); }
  };
  status.addEventListener('change', load);
  group.addEventListener('change', load);
  await load();
  const funnel = await funnelCard();
  drawScreen(screen, h('h1', { text: t('console.nav.applications') }),
    card(t('apps.queue'), h('div', { class: 'stack' }, field(t('common.status'), status), field(t('apps.group'), group)), results), funnel);
}

// queue lists applications; pending ones get a box each and one button
// approving the ticked ones.
function queue(apps, groupNames, approvable, reload) {
  const ticked = new Set();
  const rows = table({
    rows: apps, empty: t('apps.none'),
    columns: [
      approvable && { label: t('apps.select'), value: (a) => h('input', { type: 'checkbox', 'aria-label': t('apps.selectOne', { name: a.name }),
        onchange: (ev) => (ev.currentTarget.checked ? ticked.add(a.id) : ticked.delete(a.id)) }) },
      { label: t('common.name'), value: (a) => h('a', { href: '#/applications/' + encodeURIComponent(a.id), text: a.name }) },
      { label: t('common.email'), value: (a) => a.email },
      { label: t('apps.country'), value: (a) => countryName(a.country) },
      { label: t('apps.group'), value: (a) => groupNames.get(a.group) || a.group },
      { label: t('apps.submitted'), value: (a) => dateTime(a.submitted_at) },
      { label: t('common.status'), value: (a) => badge(a.status) },
    ].filter(Boolean),
  });
  if (!approvable || !apps.length) return rows;
  const status = h('div', { role: 'status' });
  const bulk = h('button', { type: 'button', text: t('apps.approveSelected') });
  bulk.addEventListener('click', () => busy(bulk, async () => {
    let done = 0;
    const failed = [];
    for (const id of ticked) {
      try {
        await api(`/v1/applications/${encodeURIComponent(id)}/approve`, { method: 'POST', body: {} });
        done += 1;
      } catch (err) { failed.push(errorText(err)); }
    }
    toast(t('apps.approvedCount', { n: done }));
    if (failed.length) render(status, h('div', { class: 'alert', role: 'alert', text: failed.join(' · ') }));
    else await reload();
  }));
  return h('div', {}, rows, h('div', { class: 'stack' }, bulk), status);
}

function answerText(v) {
  if (v === true) return t('apps.yes');
  if (v === false) return t('apps.no');
  return String(v);
}

// answerFacts labels the answers as the group's form does in the viewer's
// language, in the form's order; an answer to a question since removed
// from the form keeps its key.
function answerFacts(answers, form) {
  const asked = form.filter((q) => q.key in answers).map((q) => [q.label[lang] || q.label.en || q.key, answerText(answers[q.key])]);
  const dropped = Object.keys(answers).filter((k) => !form.some((q) => q.key === k)).map((k) => [k, answerText(answers[k])]);
  return [...asked, ...dropped];
}

async function applicationScreen(screen, id, can) {
  const a = await api('/v1/applications/' + encodeURIComponent(id));
  const group = await api('/v1/groups/' + encodeURIComponent(a.group));
  const facts = [
    [t('common.name'), a.name], [t('common.email'), a.email], [t('apps.country'), countryName(a.country)], [t('apps.website'), a.website || '—'],
    [t('apps.group'), group.name], [t('apps.language'), t('language.' + a.language)], [t('apps.confirmedAt'), dateTime(a.email_confirmed_at)],
    ...answerFacts(a.answers, group.form || []),
  ];
  const details = h('dl', { class: 'kv' }, facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  const steps = h('ol', {}, a.events.map((e) => h('li', { text: [t('apps.step.' + e.step), dateTime(e.at), e.by].filter(Boolean).join(' · ') })));
  const outcome = a.status === 'pending' ? null : h('p', {}, badge(a.status), ' ',
    a.reason ? t('apps.reason.' + a.reason) + (a.note ? ' — ' + a.note : '') : '',
    a.partner_id ? h('a', { href: '#/partner/' + encodeURIComponent(a.partner_id), text: t('apps.openPartner') }) : '');
  drawScreen(screen, h('p', {}, h('a', { href: '#/applications', text: t('apps.back') })), h('h1', { text: a.name }),
    card(t('apps.details'), details, outcome), card(t('apps.steps'), steps),
    a.status === 'pending' && can('POST /v1/applications/{id}/approve') ? decide(a, () => applicationScreen(screen, id, can)) : null);
}

// decide is approval at a tier and rejection with a reason.
function decide(a, redraw) {
  const tier = h('select', {}, h('option', { value: '', text: t('apps.groupTier') }),
    ['authorized', 'silver', 'gold'].map((x) => h('option', { value: x, text: t('tier.' + x) })));
  const reason = h('select', {}, REASONS.map((r) => h('option', { value: r, text: t('apps.reason.' + r) })));
  const note = h('textarea', { class: 'short', rows: 2, maxlength: 2000 });
  const status = h('div', { role: 'status' });
  const send = (path, body) => async (ev) => busy(ev.currentTarget, async () => {
    try {
      await api(`/v1/applications/${encodeURIComponent(a.id)}/${path}`, { method: 'POST', body });
      toast(t(path === 'approve' ? 'apps.approved' : 'apps.rejected'));
      await redraw();
    } catch (err) { render(status, alertBox(err)); }
  });
  const approve = h('button', { type: 'button', text: t('apps.approve') });
  approve.addEventListener('click', (ev) => send('approve', tier.value ? { tier: tier.value } : {})(ev));
  const reject = h('button', { type: 'button', class: 'secondary', text: t('apps.reject') });
  reject.addEventListener('click', (ev) => send('reject', note.value.trim() ? { reason: reason.value, note: note.value.trim() } : { reason: reason.value })(ev));
  return card(t('apps.decision'), h('div', { class: 'grid decision' },
    h('fieldset', {}, h('legend', { text: t('apps.approvePart') }), h('div', { class: 'link-box' }, field(t('apps.tier'), tier), approve)),
    h('fieldset', {}, h('legend', { text: t('apps.rejectPart') }), field(t('apps.reasonLabel'), reason),
      field(t('apps.note'), note, t('apps.noteHint')), reject)), status);
}
