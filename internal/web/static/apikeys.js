// The console's API keys screen (admin): the keys a shop's backend uses
// (each told apart by its first characters), a new key shown once with a
// copy button, and revocation.
import { api } from './session.js';
import { t, dateTime } from './i18n.js';
import { h, render, drawScreen, table, badge, busy, toast, alertBox, errorText, field, showFieldError, clearFieldErrors } from './ui.js';
import { card, shownOnce } from './staffui.js';

const SCOPES = ['embed'];

// apiKeysScreen lists the keys; created is a key just made, shown this once.
export async function apiKeysScreen(screen, created) {
  const { api_keys: keys } = await api('/v1/api-keys');
  const redraw = (key) => apiKeysScreen(screen, key);
  drawScreen(screen, h('h1', { text: t('console.nav.apikeys') }),
    card(t('apikey.list'), table({
      rows: keys, empty: t('apikey.none'),
      columns: [
        { label: t('common.name'), value: (k) => [k.name, h('div', { class: 'muted', text: k.hint + '…' })] },
        { label: t('apikey.scopes'), value: (k) => k.scopes.join(', ') },
        { label: t('console.createdBy'), value: (k) => `${k.created_by} · ${dateTime(k.created_at)}` },
        { label: t('common.status'), value: (k) => (k.revoked_at ? [badge('revoked'), h('div', { class: 'muted', text: dateTime(k.revoked_at) })] : badge('active')) },
        { label: t('common.actions'), value: (k) => (k.revoked_at ? '' : revokeButton(k, redraw)) },
      ],
    })),
    card(t('apikey.new'), created ? newKeyNotice(created) : null, newKeyForm(redraw)));
}

function revokeButton(k, redraw) {
  const btn = h('button', { type: 'button', class: 'danger', text: t('apikey.revoke'), 'aria-label': t('apikey.revokeKey', { name: k.name }) });
  btn.addEventListener('click', () => busy(btn, async () => {
    try {
      await api('/v1/api-keys/' + encodeURIComponent(k.id), { method: 'DELETE' });
      toast(t('apikey.revoked', { name: k.name }));
      await redraw();
    } catch (err) { toast(errorText(err)); }
  }));
  return btn;
}

// newKeyNotice is a new key with a copy button: the API answers it once.
function newKeyNotice(key) {
  const copy = h('button', { type: 'button', class: 'secondary', text: t('apikey.copy') });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(key);
      toast(t('apikey.copied'));
    } catch { toast(t('apikey.copyFailed')); }
  });
  return shownOnce(t('apikey.shownOnce'), key, copy);
}

function newKeyForm(redraw) {
  const name = h('input', { type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
  const boxes = SCOPES.map((s) => h('input', { type: 'checkbox', value: s, checked: true }));
  const scopes = h('fieldset', { class: 'stack' }, h('legend', { text: t('apikey.scopes') }),
    boxes.map((b) => h('label', { class: 'check' }, b, ' ', t('apikey.scope.' + b.value))));
  const create = h('button', { type: 'submit', text: t('apikey.create') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('common.name'), name), scopes, create, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    busy(create, async () => {
      try {
        const k = await api('/v1/api-keys', { method: 'POST', body: { name: name.value.trim(), scopes: boxes.filter((b) => b.checked).map((b) => b.value) } });
        await redraw(k.key);
      } catch (err) {
        if (err.field === 'name') showFieldError(name, errorText(err));
        else render(status, alertBox(err));
      }
    });
  });
  return form;
}
