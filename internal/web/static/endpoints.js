// The console's Webhooks screen: the endpoints that receive the program's
// events, each secret shown once (when created or rotated), rotation with
// an overlap during which deliveries carry both signatures, and the
// deliveries log with a Resend per event.
import { api } from './session.js';
import { t, dateTime } from './i18n.js';
import { h, render, drawScreen, table, badge, busy, toast, alertBox, errorText, field, clearFieldErrors, showFieldError } from './ui.js';
import { card, shownOnce } from './staffui.js';

const EVENTS = ['commission.created', 'commission.reversed', 'tier.changed', 'challenge.completed', 'badge.awarded', 'redemption.created',
  'payout.paid', 'donation.paid', 'fraud.case_opened', 'fraud.case_decided'];
const OVERLAPS = [0, 3600, 86400, 604800];

export async function endpointsScreen(screen, id, can = () => true) {
  if (id) return endpointScreen(screen, id, can);
  const { endpoints } = await api('/v1/webhook-endpoints');
  drawScreen(screen, h('h1', { text: t('console.nav.webhooks') }),
    card(t('endpoint.list'), table({
      rows: endpoints, empty: t('endpoint.none'),
      columns: [
        { label: t('endpoint.url'), value: (e) => h('a', { href: '#/webhooks/' + encodeURIComponent(e.id), text: e.url }) },
        { label: t('endpoint.events'), value: (e) => e.events.join(', ') },
        { label: t('console.createdBy'), value: (e) => `${e.created_by} · ${dateTime(e.created_at)}` },
      ],
    })),
    can('POST /v1/webhook-endpoints') ? card(t('endpoint.new'), newEndpointForm()) : null);
}

function newEndpointForm() {
  const url = h('input', { type: 'url', required: true, autocomplete: 'off', placeholder: 'https://' });
  const boxes = EVENTS.map((e) => h('input', { type: 'checkbox', value: e, id: 'ev-' + e.replace(/\W/g, '-') }));
  const events = h('fieldset', {}, h('legend', { text: t('endpoint.events') }),
    boxes.map((b) => h('div', {}, b, ' ', h('label', { for: b.id, text: b.value }))));
  const create = h('button', { type: 'submit', text: t('endpoint.create') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('endpoint.url'), url), events, create, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    busy(create, async () => {
      try {
        const e = await api('/v1/webhook-endpoints', { method: 'POST', body: { url: url.value.trim(), events: boxes.filter((b) => b.checked).map((b) => b.value) } });
        render(status, shownOnce(t('endpoint.secretOnce'), e.secret, h('p', {}, h('a', { href: '#/webhooks/' + encodeURIComponent(e.id), text: t('endpoint.open', { url: e.url }) }))));
        form.querySelectorAll('input').forEach((el) => { if (el.type === 'checkbox') el.checked = false; else el.value = ''; });
      } catch (err) {
        if (err.code === 'invalid_endpoint' && /url/.test(err.message)) showFieldError(url, err.message);
        else render(status, alertBox(err));
      }
    });
  });
  return form;
}

async function endpointScreen(screen, id, can) {
  const path = `/v1/webhook-endpoints/${encodeURIComponent(id)}`;
  const [e, { deliveries }] = await Promise.all([api(path), api(path + '/deliveries?limit=50')]);
  const redraw = () => endpointScreen(screen, id, can);
  const shown = h('div', {});
  const overlap = h('select', {}, OVERLAPS.map((s) => h('option', { value: s, selected: s === 86400, text: t('endpoint.overlap.' + s) })));
  const rotate = h('button', { type: 'button', text: t('endpoint.rotate') });
  rotate.addEventListener('click', () => busy(rotate, async () => {
    try {
      const r = await api(path + '/rotate-secret', { method: 'POST', body: { overlap_seconds: Number(overlap.value) } });
      render(shown, shownOnce(t('endpoint.secretOnce'), r.secret, h('p', { text: r.previous_secret_expires_at
        ? t('endpoint.previousUntil', { when: dateTime(r.previous_secret_expires_at) }) : t('endpoint.previousEnded') })));
    } catch (err) { render(shown, alertBox(err)); }
  }));
  const remove = h('button', { type: 'button', class: 'danger', text: t('endpoint.delete') });
  remove.addEventListener('click', () => busy(remove, async () => {
    try {
      await api(path, { method: 'DELETE' });
      toast(t('endpoint.deleted'));
      location.hash = '#/webhooks';
    } catch (err) { toast(errorText(err)); }
  }));
  const resend = (d) => {
    if (!can('POST /v1/webhook-endpoints/{id}/deliveries/{event_id}/resend')) return '';
    const btn = h('button', { type: 'button', class: 'secondary', text: t('endpoint.resend'), 'aria-label': t('endpoint.resendEvent', { event: d.event_id }) });
    btn.addEventListener('click', () => busy(btn, async () => {
      try {
        await api(`${path}/deliveries/${encodeURIComponent(d.event_id)}/resend`, { method: 'POST' });
        toast(t('endpoint.resent'));
        await redraw();
      } catch (err) { toast(errorText(err)); }
    }));
    return btn;
  };
  const writable = can('POST /v1/webhook-endpoints/{id}/rotate-secret');
  drawScreen(screen, h('h1', { text: e.url }),
    card(t('console.details'), h('dl', { class: 'kv' },
      h('dt', { text: t('endpoint.events') }), h('dd', { text: e.events.join(', ') }),
      h('dt', { text: t('console.createdBy') }), h('dd', { text: `${e.created_by} · ${dateTime(e.created_at)}` }),
      e.previous_secret_expires_at ? [h('dt', { text: t('endpoint.overlapTitle') }), h('dd', { text: t('endpoint.previousUntil', { when: dateTime(e.previous_secret_expires_at) }) })] : null),
    writable ? h('p', {}, remove) : null),
    writable ? card(t('endpoint.rotateTitle'), h('p', { class: 'muted', text: t('endpoint.rotateHelp') }),
      h('div', { class: 'stack' }, field(t('endpoint.overlap'), overlap), rotate), shown) : null,
    card(t('endpoint.deliveries'), table({
      rows: deliveries, empty: t('endpoint.noDeliveries'),
      columns: [
        { label: t('common.date'), value: (d) => dateTime(d.at) },
        { label: t('endpoint.event'), value: (d) => [d.type, h('div', { class: 'muted', text: d.event_id })] },
        { label: t('endpoint.attempt'), num: true, value: (d) => d.attempt },
        { label: t('common.status'), value: (d) => [badge(d.status), d.error ? h('div', { class: 'muted', text: d.error }) : null] },
        { label: t('common.actions'), value: resend },
      ],
    })),
    h('p', {}, h('a', { href: '#/webhooks', text: t('endpoint.back') })));
}
