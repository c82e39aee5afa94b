// The console's Challenges screen: time-boxed aims partners work toward,
// created, edited and ended early here, and the task submissions staff
// review with the partner's text and links.
import { api } from './session.js';
import { t, money, dateTime, count } from './i18n.js';
import { h, render, drawScreen, table, badge, busy, toast, alertBox, errorText, field, showFieldError, clearFieldErrors } from './ui.js';
import { card, partnerNames, partnerLink, toLocalInput, fromLocalInput, minorUnits } from './staffui.js';

// phase is where a challenge is in its window.
function phase(c, now = Date.now()) {
  if (now < Date.parse(c.starts_at)) return 'upcoming';
  return now < Date.parse(c.ends_at) ? 'running' : 'ended';
}

function prizeText(r) {
  return [r.points ? t('rewards.pointsN', { n: count(r.points) }) : null,
    ...Object.entries(r.amount || {}).map(([cur, v]) => money(v, cur)), r.badge ? t('rewards.aBadge') : null].filter(Boolean).join(' + ');
}

function aimText(c) {
  if (c.kind === 'task') return t('challenge.kind.task');
  const target = c.measure === 'revenue' ? money(c.target, c.currency) : count(c.target);
  return t('challenge.aim.' + c.measure, { target });
}

// challengesScreen lists the challenges, or, given an id, shows one.
export async function challengesScreen(screen, id, can = () => true) {
  if (id) return challengeScreen(screen, id, can);
  const { challenges } = await api('/v1/challenges');
  drawScreen(screen, h('h1', { text: t('console.nav.challenges') }),
    card(t('challenge.list'), table({
      rows: challenges, empty: t('challenge.none'),
      columns: [
        { label: t('common.name'), value: (c) => h('a', { href: '#/challenges/' + encodeURIComponent(c.id), text: c.name }) },
        { label: t('challenge.aim'), value: aimText },
        { label: t('challenge.window'), value: (c) => `${dateTime(c.starts_at)} – ${dateTime(c.ends_at)}` },
        { label: t('common.status'), value: (c) => badge(phase(c)) },
        { label: t('challenge.submissions'), num: true, value: (c) => count(c.submissions) },
        { label: t('challenge.completions'), num: true, value: (c) => count(c.completions) },
      ],
    })),
    can('POST /v1/challenges') ? card(t('challenge.new'), newChallengeForm()) : null);
}

function newChallengeForm() {
  const start = new Date();
  const c = {
    name: h('input', { type: 'text', required: true, autocomplete: 'off' }),
    description: h('textarea', { rows: 3 }),
    kind: h('select', {}, ['task', 'sales'].map((k) => h('option', { value: k, text: t('challenge.kind.' + k) }))),
    starts_at: h('input', { type: 'datetime-local', required: true, value: toLocalInput(start) }),
    ends_at: h('input', { type: 'datetime-local', required: true, value: toLocalInput(new Date(start.getTime() + 30 * 864e5)) }),
    measure: h('select', {}, ['orders', 'units', 'revenue'].map((m) => h('option', { value: m, text: t('challenge.measure.' + m) }))),
    target: h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off' }),
    currency: h('input', { type: 'text', maxlength: 3, value: 'EUR', autocomplete: 'off' }),
    points: h('input', { type: 'number', min: 0, step: 1, value: 100 }),
  };
  const sales = h('div', { class: 'stack', hidden: true }, field(t('challenge.measure'), c.measure), field(t('challenge.target'), c.target, t('challenge.targetHint')), field(t('common.currency'), c.currency));
  c.kind.addEventListener('change', () => { sales.hidden = c.kind.value !== 'sales'; });
  const create = h('button', { type: 'submit', text: t('challenge.create') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('common.name'), c.name), field(t('challenge.description'), c.description), field(t('challenge.kind'), c.kind),
    field(t('challenge.starts'), c.starts_at), field(t('challenge.ends'), c.ends_at), sales, field(t('challenge.points'), c.points), create, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    const body = { name: c.name.value.trim(), description: c.description.value.trim(), kind: c.kind.value, starts_at: fromLocalInput(c.starts_at.value),
      ends_at: fromLocalInput(c.ends_at.value), reward: { points: Number(c.points.value) } };
    if (body.kind === 'sales') {
      const currency = c.currency.value.trim().toUpperCase();
      body.measure = c.measure.value;
      body.target = body.measure === 'revenue' ? minorUnits(c.target.value, currency) : Number(c.target.value);
      if (body.measure === 'revenue') body.currency = currency;
      if (!Number.isInteger(body.target) || body.target < 1) { showFieldError(c.target, t('challenge.targetHint')); return; }
    }
    busy(create, async () => {
      try {
        const made = await api('/v1/challenges', { method: 'POST', body });
        location.hash = '#/challenges/' + encodeURIComponent(made.id);
      } catch (err) { render(status, alertBox(err)); }
    });
  });
  return form;
}

async function challengeScreen(screen, id, can) {
  const path = `/v1/challenges/${encodeURIComponent(id)}`;
  const [c, { submissions }] = await Promise.all([api(path), api(path + '/submissions')]);
  const names = await partnerNames(submissions.map((s) => s.partner_id));
  const redraw = () => challengeScreen(screen, id, can);
  const open = phase(c) !== 'ended';
  drawScreen(screen, h('h1', {}, c.name, ' ', badge(phase(c))),
    card(t('console.details'), h('dl', { class: 'kv' },
      h('dt', { text: t('challenge.aim') }), h('dd', { text: aimText(c) }),
      h('dt', { text: t('challenge.window') }), h('dd', { text: `${dateTime(c.starts_at)} – ${dateTime(c.ends_at)}` }),
      h('dt', { text: t('challenge.prize') }), h('dd', { text: prizeText(c.reward) }),
      h('dt', { text: t('challenge.completions') }), h('dd', { text: count(c.completions) }),
      h('dt', { text: t('console.createdBy') }), h('dd', { text: `${c.created_by} · ${dateTime(c.created_at)}` }),
      c.updated_by ? [h('dt', { text: t('challenge.updatedBy') }), h('dd', { text: `${c.updated_by} · ${dateTime(c.updated_at)}` })] : null),
    c.description ? h('p', { class: 'prewrap', text: c.description }) : null,
    open && can('POST /v1/challenges/{id}/end') ? endButton(path, redraw) : null),
    open && can('PATCH /v1/challenges/{id}') ? card(t('challenge.edit'), editForm(c, path, redraw)) : null,
    card(t('challenge.submissionsTitle'), submissionsTable(submissions, names, path, can, redraw)));
}

function endButton(path, redraw) {
  const end = h('button', { type: 'button', class: 'danger', text: t('challenge.endNow') });
  end.addEventListener('click', () => busy(end, async () => {
    try {
      await api(path + '/end', { method: 'POST' });
      toast(t('challenge.ended'));
      await redraw();
    } catch (err) { toast(errorText(err)); }
  }));
  return h('p', {}, end);
}

function editForm(c, path, redraw) {
  const controls = {
    name: h('input', { type: 'text', value: c.name, autocomplete: 'off' }),
    description: h('textarea', { rows: 3 }),
    ends_at: h('input', { type: 'datetime-local', value: toLocalInput(c.ends_at) }),
  };
  controls.description.value = c.description;
  const save = h('button', { type: 'submit', text: t('common.save') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('common.name'), controls.name), field(t('challenge.description'), controls.description),
    field(t('challenge.ends'), controls.ends_at), save, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const body = {};
    if (controls.name.value.trim() !== c.name) body.name = controls.name.value.trim();
    if (controls.description.value.trim() !== c.description) body.description = controls.description.value.trim();
    if (controls.ends_at.value !== toLocalInput(c.ends_at)) body.ends_at = fromLocalInput(controls.ends_at.value);
    busy(save, async () => {
      try {
        await api(path, { method: 'PATCH', body });
        toast(t('common.saved'));
        await redraw();
      } catch (err) {
        if (controls[err.field]) showFieldError(controls[err.field], err.message);
        else render(status, alertBox(err));
      }
    });
  });
  return form;
}

function submissionsTable(submissions, names, path, can, redraw) {
  const decide = (s, btn, action, body) => busy(btn, async () => {
    try {
      await api(`${path}/submissions/${encodeURIComponent(s.id)}/${action}`, { method: 'POST', body });
      toast(t('challenge.decided.' + action));
      await redraw();
    } catch (err) { toast(errorText(err)); }
  });
  const actions = (s) => {
    if (s.status !== 'pending' || !can('POST /v1/challenges/{id}/submissions/{sid}/approve')) return '';
    const who = names[s.partner_id] || s.partner_id;
    const approve = h('button', { type: 'button', text: t('challenge.approve'), 'aria-label': t('challenge.approveFor', { partner: who }) });
    approve.addEventListener('click', () => decide(s, approve, 'approve'));
    const reason = h('input', { type: 'text', 'aria-label': t('challenge.rejectReasonFor', { partner: who }), placeholder: t('console.reason') });
    const reject = h('button', { type: 'button', class: 'secondary', text: t('challenge.reject'), 'aria-label': t('challenge.rejectFor', { partner: who }) });
    reject.addEventListener('click', () => {
      if (!reason.value.trim()) { reason.focus(); toast(t('challenge.reasonNeeded')); return; }
      decide(s, reject, 'reject', { reason: reason.value.trim() });
    });
    return h('div', { class: 'stack' }, approve, reason, reject);
  };
  return table({
    rows: submissions, empty: t('challenge.noSubmissions'),
    columns: [
      { label: t('common.partner'), value: (s) => partnerLink(s.partner_id, names) },
      { label: t('challenge.proof'), value: (s) => [h('p', { class: 'prewrap', text: s.text }),
        s.urls.length ? h('ul', { class: 'plain-list' }, s.urls.map((u) => h('li', {}, h('a', { href: u, target: '_blank', rel: 'noopener noreferrer', text: u })))) : null] },
      { label: t('common.date'), value: (s) => dateTime(s.submitted_at) },
      { label: t('common.status'), value: (s) => [badge(s.status), s.reason ? h('div', { class: 'muted', text: s.reason }) : null] },
      { label: t('common.actions'), value: actions },
    ],
  });
}
