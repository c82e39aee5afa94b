// A partner's points on the console's partner screen, and staff's
// adjustment of them (a point line of its own, with its reason).
import { api } from './session.js';
import { t, count } from './i18n.js';
import { h, busy, toast, alertBox, field, showFieldError, clearFieldErrors, render } from './ui.js';
import { card } from './staffui.js';

// pointsCard shows the points; with adjust, a form that adjusts them and
// then calls done.
export function pointsCard(partnerID, points, adjust, done) {
  const p = points || { pending: 0, available: 0, redeemed: 0 };
  const summary = h('dl', { class: 'kv' }, ['available', 'pending', 'redeemed'].flatMap((k) => [h('dt', { text: t('points.' + k) }), h('dd', { text: count(p[k]) })]));
  if (!adjust) return card(t('points.title'), summary);
  const delta = h('input', { type: 'number', step: 1, required: true });
  const reason = h('input', { type: 'text', maxlength: 500, required: true, autocomplete: 'off' });
  const save = h('button', { type: 'submit', text: t('points.adjust') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true, class: 'stack' }, field(t('points.delta'), delta, t('points.deltaHint')), field(t('points.reason'), reason), save, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    if (!/^-?\d+$/.test(delta.value.trim()) || Number(delta.value) === 0) { showFieldError(delta, t('points.deltaHint')); return; }
    if (!reason.value.trim()) { showFieldError(reason, t('points.reasonNeeded')); return; }
    busy(save, async () => {
      try {
        const out = await api(`/v1/partners/${encodeURIComponent(partnerID)}/points`, { method: 'POST', body: { delta: Number(delta.value), reason: reason.value.trim() } });
        toast(t('points.adjusted', { n: count(out.points.available) }));
        await done();
      } catch (err) {
        const target = { delta, reason }[err.field];
        if (target) showFieldError(target, err.message);
        else render(status, alertBox(err));
      }
    });
  });
  return card(t('points.title'), summary, h('h3', { text: t('points.adjustTitle') }), form);
}
