// A group's discount codes on the console's group screen: a code_list
// group's codes are uploaded here, and a shopify group's codes downloaded
// as the file Shopify's admin imports into the discount.
import { api } from './session.js';
import { t, count } from './i18n.js';
import { h, render, busy, toast, alertBox, errorText, download, field, showFieldError, clearFieldErrors } from './ui.js';
import { card } from './staffui.js';

// discountCodesCard is the card for the group's discount provider, or
// nothing for a provider whose codes are made elsewhere.
export function discountCodesCard(g, can) {
  const provider = g.discount?.provider;
  if (provider === 'code_list' && can('POST /v1/groups/{id}/discount-codes')) return card(t('discount.title'), uploadForm(g));
  if (provider === 'shopify' && can('GET /v1/groups/{id}/discount-codes.csv')) return card(t('discount.title'), shopifyDownload(g));
  return null;
}

function uploadForm(g) {
  const codes = h('textarea', { rows: 8, class: 'code', spellcheck: 'false' });
  const upload = h('button', { type: 'submit', text: t('discount.upload') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('discount.codes'), codes, t('discount.codesHint')), upload, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    const lines = codes.value.split(/\r?\n/).map((c) => c.trim()).filter(Boolean);
    if (!lines.length) { showFieldError(codes, t('discount.codesHint')); return; }
    busy(upload, async () => {
      try {
        const out = await api(`/v1/groups/${encodeURIComponent(g.id)}/discount-codes`, { method: 'POST', body: { codes: lines } });
        codes.value = '';
        render(status, h('p', { class: 'notice', text: t('discount.uploaded', { n: count(out.added), sent: count(lines.length) }) }));
      } catch (err) {
        if (err.field) showFieldError(codes, errorText(err));
        else render(status, alertBox(err));
      }
    });
  });
  return form;
}

function shopifyDownload(g) {
  const csv = h('button', { type: 'button', class: 'secondary', text: t('discount.download') });
  csv.addEventListener('click', () => busy(csv, async () => {
    try {
      const res = await api(`/v1/groups/${encodeURIComponent(g.id)}/discount-codes.csv`, { raw: true });
      download(await res.blob(), `${g.id}-discount-codes.csv`);
    } catch (err) { toast(errorText(err)); }
  }));
  return [h('p', { class: 'muted', text: t('discount.shopifyHelp', { shop: g.discount.shop }) }), csv];
}
