// A partner's payout settings on the console's partner screen: finance
// corrects the payout e-mail or the charity share a partner asked for.
import { api } from './session.js';
import { t } from './i18n.js';
import { h, busy, toast, alertBox, render, field, showFieldError, clearFieldErrors, errorText } from './ui.js';
import { card } from './staffui.js';

export async function payoutSettingsCard(p, done) {
  const { charities } = await api('/v1/charities');
  const charity = h('select', {}, h('option', { value: '', text: t('settings.noCharity') }),
    charities.map((c) => h('option', { value: c.id, text: c.name, selected: p.charity?.charity_id === c.id })));
  const share = h('input', { type: 'number', min: 1, max: 100, step: 1, value: p.charity ? p.charity.share_bps / 100 : 10 });
  const paysByEmail = p.payout && (p.payout.method === 'paypal' || p.payout.method === 'wise');
  const email = h('input', { type: 'email', autocomplete: 'off', value: p.payout?.email || '' });
  const save = h('button', { type: 'submit', text: t('common.save') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('settings.charity'), charity), field(t('settings.share'), share),
    paysByEmail ? field(t('settings.payoutEmail', { method: t('method.' + p.payout.method) }), email) : null,
    h('p', { class: 'muted', text: t('settings.nextBatch') }), save, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    // Only what changed is sent: the rest stays the partner's own choice.
    const body = {};
    const chosen = charity.value ? { charity_id: charity.value, share_bps: Math.round(Number(share.value) * 100) } : null;
    if (JSON.stringify(chosen) !== JSON.stringify(p.charity ? { charity_id: p.charity.charity_id, share_bps: p.charity.share_bps } : null)) body.charity = chosen;
    if (paysByEmail && email.value.trim() !== (p.payout.email || '')) body.payout_email = email.value.trim();
    if (!Object.keys(body).length) { toast(t('common.saved')); return; }
    busy(save, async () => {
      try {
        await api(`/v1/partners/${encodeURIComponent(p.id)}/settings`, { method: 'PATCH', body });
        toast(t('common.saved'));
        await done();
      } catch (err) {
        const target = { payout_email: email, charity, 'charity.share_bps': share }[err.field];
        if (target) showFieldError(target, errorText(err));
        else render(status, alertBox(err));
      }
    });
  });
  return card(t('settings.payout'), form);
}
