// The console's Rewards screen: the catalog partners spend points on
// (created, edited, restocked and retired here) and the queue of
// redemptions staff fulfil with a reference or cancel.
import { api } from './session.js';
import { t, money, dateTime, count } from './i18n.js';
import { h, render, drawScreen, table, badge, busy, toast, alertBox, errorText, field, showFieldError, clearFieldErrors } from './ui.js';
import { card, partnerNames, partnerLink, minorUnits } from './staffui.js';

const stockText = (r) => (r.stock === undefined ? t('reward.unlimited') : count(r.stock));

// rewardsScreen shows the catalog and the redemptions, or, given an id,
// edits one reward.
export async function rewardsScreen(screen, id, can = () => true) {
  if (id) return rewardScreen(screen, id, can);
  const [{ rewards }, { charities }] = await Promise.all([api('/v1/rewards'), api('/v1/charities')]);
  const queue = h('div', { 'aria-live': 'polite' });
  const status = h('select', {}, ['requested', 'fulfilled', 'cancelled'].map((s) => h('option', { value: s, text: t('status.' + s) })));
  const load = () => redemptions(queue, status.value, can).catch((err) => render(queue, alertBox(err)));
  status.addEventListener('change', load);
  await load();
  drawScreen(screen, h('h1', { text: t('console.nav.rewards') }),
    card(t('reward.catalog'), table({
      rows: rewards, empty: t('reward.none'),
      columns: [
        { label: t('common.name'), value: (r) => h('a', { href: '#/rewards/' + encodeURIComponent(r.id), text: r.name }) },
        { label: t('reward.kind'), value: (r) => t('reward.kind.' + r.kind) },
        { label: t('reward.cost'), num: true, value: (r) => t('rewards.pointsN', { n: count(r.points_cost) }) },
        { label: t('reward.stock'), num: true, value: stockText },
        { label: t('common.status'), value: (r) => badge(r.retired_at ? 'retired' : 'active') },
      ],
    })),
    card(t('reward.redemptions'), h('div', { class: 'stack' }, field(t('common.status'), status)), queue),
    can('POST /v1/rewards') ? card(t('reward.new'), newRewardForm(charities)) : null);
}

async function redemptions(target, status, can) {
  const { redemptions: list } = await api('/v1/redemptions?limit=50&status=' + status);
  const names = await partnerNames(list.map((r) => r.partner_id));
  const act = (btn, r, action, body) => busy(btn, async () => {
    try {
      await api(`/v1/redemptions/${encodeURIComponent(r.id)}/${action}`, { method: 'POST', body });
      toast(t('reward.done.' + action));
      await redemptions(target, status, can);
    } catch (err) { toast(errorText(err)); }
  });
  const actions = (r) => {
    if (r.status !== 'requested' || !can('POST /v1/redemptions/{id}/fulfil')) return r.reference || r.reason || '';
    const who = names[r.partner_id] || r.partner_id;
    const reference = h('input', { type: 'text', 'aria-label': t('reward.referenceFor', { partner: who }), placeholder: t('console.reference') });
    const fulfil = h('button', { type: 'button', text: t('reward.fulfil'), 'aria-label': t('reward.fulfilFor', { partner: who }) });
    fulfil.addEventListener('click', () => (reference.value.trim() ? act(fulfil, r, 'fulfil', { reference: reference.value.trim() }) : reference.focus()));
    const reason = h('input', { type: 'text', 'aria-label': t('reward.cancelReasonFor', { partner: who }), placeholder: t('console.reason') });
    const cancel = h('button', { type: 'button', class: 'secondary', text: t('reward.cancel'), 'aria-label': t('reward.cancelFor', { partner: who }) });
    cancel.addEventListener('click', () => (reason.value.trim() ? act(cancel, r, 'cancel', { reason: reason.value.trim() }) : reason.focus()));
    return h('div', { class: 'stack' }, reference, fulfil, reason, cancel);
  };
  render(target, table({
    rows: list, empty: t('reward.noRedemptions'),
    columns: [
      { label: t('common.date'), value: (r) => dateTime(r.created_at) },
      { label: t('common.partner'), value: (r) => partnerLink(r.partner_id, names) },
      { label: t('reward.reward'), value: (r) => `${r.quantity} × ${r.reward_name}` + (r.donation ? ' · ' + money(r.donation.amount, r.donation.currency) : '') },
      { label: t('reward.cost'), num: true, value: (r) => count(r.points) },
      { label: t('common.status'), value: (r) => badge(r.status) },
      { label: t('common.actions'), value: actions },
    ],
  }));
}

function newRewardForm(charities) {
  const c = {
    id: h('input', { type: 'text', required: true, autocomplete: 'off', maxlength: 64 }),
    name: h('input', { type: 'text', required: true, autocomplete: 'off' }),
    description: h('textarea', { rows: 2 }),
    kind: h('select', {}, ['item', 'voucher', 'donation'].map((k) => h('option', { value: k, text: t('reward.kind.' + k) }))),
    points_cost: h('input', { type: 'number', min: 1, step: 1, required: true }),
    stock: h('input', { type: 'number', min: 0, step: 1 }),
    charity_id: h('select', {}, charities.map((ch) => h('option', { value: ch.id, text: ch.name }))),
    amount: h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off' }),
    currency: h('input', { type: 'text', maxlength: 3, value: 'EUR', autocomplete: 'off' }),
  };
  const donation = h('div', { class: 'stack', hidden: true }, field(t('common.charity'), c.charity_id), field(t('reward.donationValue'), c.amount), field(t('common.currency'), c.currency));
  c.kind.addEventListener('change', () => { donation.hidden = c.kind.value !== 'donation'; });
  const add = h('button', { type: 'submit', text: t('reward.add') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('reward.id'), c.id), field(t('common.name'), c.name), field(t('challenge.description'), c.description),
    field(t('reward.kind'), c.kind), field(t('reward.cost'), c.points_cost), field(t('reward.stock'), c.stock, t('reward.stockHint')), donation, add, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    const body = { id: c.id.value.trim(), name: c.name.value.trim(), description: c.description.value.trim(), kind: c.kind.value, points_cost: Number(c.points_cost.value) };
    if (c.stock.value !== '') body.stock = Number(c.stock.value);
    if (body.kind === 'donation') {
      const currency = c.currency.value.trim().toUpperCase();
      const amount = minorUnits(c.amount.value, currency);
      if (!(amount > 0)) { showFieldError(c.amount, t('reward.amountHint')); return; }
      Object.assign(body, { charity_id: c.charity_id.value, donation_value: { [currency]: amount } });
    }
    busy(add, async () => {
      try {
        await api('/v1/rewards', { method: 'POST', body });
        toast(t('common.saved'));
        location.hash = '#/rewards/' + encodeURIComponent(body.id);
      } catch (err) {
        if (c[err.field]) showFieldError(c[err.field], err.message);
        else render(status, alertBox(err));
      }
    });
  });
  return form;
}

async function rewardScreen(screen, id, can) {
  const { rewards } = await api('/v1/rewards');
  const r = rewards.find((x) => x.id === id);
  if (!r) {
    drawScreen(screen, h('h1', { text: t('console.nav.rewards') }), h('p', { role: 'alert', text: t('error.not_found') }));
    return;
  }
  const path = `/v1/rewards/${encodeURIComponent(r.id)}`;
  const redraw = () => rewardScreen(screen, id, can);
  const editable = can('PATCH /v1/rewards/{id}');
  const c = {
    name: h('input', { type: 'text', value: r.name, autocomplete: 'off' }),
    description: h('textarea', { rows: 2 }),
    points_cost: h('input', { type: 'number', min: 1, step: 1, value: r.points_cost }),
    stock: h('input', { type: 'number', min: 0, step: 1, value: r.stock ?? '' }),
  };
  c.description.value = r.description;
  const save = h('button', { type: 'submit', text: t('common.save') });
  const status = h('div', { role: 'status' });
  const patch = (btn, body) => busy(btn, async () => {
    try {
      await api(path, { method: 'PATCH', body });
      toast(t('common.saved'));
      await redraw();
    } catch (err) {
      if (c[err.field]) showFieldError(c[err.field], err.message);
      else render(status, alertBox(err));
    }
  });
  const form = h('form', { novalidate: true }, field(t('common.name'), c.name), field(t('challenge.description'), c.description),
    field(t('reward.cost'), c.points_cost), field(t('reward.stockLeft'), c.stock, t('reward.stockHint')), save, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    patch(save, { name: c.name.value.trim(), description: c.description.value.trim(), points_cost: Number(c.points_cost.value),
      stock: c.stock.value === '' ? null : Number(c.stock.value) });
  });
  const retire = h('button', { type: 'button', class: r.retired_at ? 'secondary' : 'danger', text: r.retired_at ? t('reward.restore') : t('reward.retire') });
  retire.addEventListener('click', () => patch(retire, { retired: !r.retired_at }));
  drawScreen(screen, h('h1', {}, r.name, ' ', badge(r.retired_at ? 'retired' : 'active')),
    card(t('console.details'), h('dl', { class: 'kv' },
      h('dt', { text: t('reward.kind') }), h('dd', { text: t('reward.kind.' + r.kind) }),
      h('dt', { text: t('reward.stock') }), h('dd', { text: stockText(r) }),
      r.retired_at ? [h('dt', { text: t('reward.retiredOn') }), h('dd', { text: dateTime(r.retired_at) })] : null),
    editable ? h('p', {}, retire) : null),
    editable ? card(t('reward.edit'), form) : null,
    h('p', {}, h('a', { href: '#/rewards', text: t('reward.back') })));
}
