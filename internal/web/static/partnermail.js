// A partner's e-mail on the console's partner screen: its preferences
// (language and categories), which staff change at the partner's request,
// and its inbox of broadcasts, read as the partner sees it.
import { api } from './session.js';
import { t, dateTime } from './i18n.js';
import { h, render, busy, toast, alertBox, errorText, field, table, showFieldError, clearFieldErrors } from './ui.js';
import { card } from './staffui.js';

const CATEGORIES = ['transactional', 'earnings', 'engagement', 'announcements'];

// notificationsCard shows the preferences; with change, a form saving them.
export async function notificationsCard(partnerID, change) {
  const path = `/v1/partners/${encodeURIComponent(partnerID)}/notifications`;
  const prefs = await api(path);
  const language = h('select', { disabled: !change }, ['en', 'it', 'ru'].map((l) => h('option', { value: l, text: t('language.' + l), selected: prefs.language === l })));
  // Transactional mail (invitations, payouts) cannot be switched off.
  const boxes = CATEGORIES.map((c) => h('input', { type: 'checkbox', value: c, checked: prefs.categories?.[c] !== false, disabled: !change || c === 'transactional' }));
  const categories = h('fieldset', { class: 'stack' }, h('legend', { text: t('notify.categories') }),
    boxes.map((b) => h('label', { class: 'check' }, b, ' ', t('notify.category.' + b.value))));
  const body = [field(t('settings.language'), language), categories];
  if (!change) return card(t('notify.title'), body);
  const save = h('button', { type: 'submit', text: t('notify.save') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, body, h('p', { class: 'muted', text: t('notify.help') }), save, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    busy(save, async () => {
      try {
        await api(path, { method: 'PATCH', body: { language: language.value,
          categories: Object.fromEntries(boxes.filter((b) => !b.disabled).map((b) => [b.value, b.checked])) } });
        toast(t('common.saved'));
      } catch (err) {
        if (err.field === 'language') showFieldError(language, errorText(err));
        else render(status, alertBox(err));
      }
    });
  });
  return card(t('notify.title'), form);
}

// inboxCard lists the partner's latest broadcasts and whether it read them.
export async function inboxCard(partnerID, linkMessages) {
  const box = await api(`/v1/partners/${encodeURIComponent(partnerID)}/inbox?limit=10`);
  return card(t('notify.inbox'), h('p', { class: 'muted', text: t('notify.unread', { n: box.unread }) }), table({
    rows: box.messages, empty: t('notify.noMessages'),
    columns: [
      { label: t('broadcast.subject'), value: (m) => (linkMessages ? h('a', { href: '#/messages/' + encodeURIComponent(m.id), text: m.subject }) : m.subject) },
      { label: t('common.date'), value: (m) => dateTime(m.at) },
      { label: t('common.status'), value: (m) => (m.read_at ? t('notify.readAt', { when: dateTime(m.read_at) }) : t('notify.notRead')) },
    ],
  }));
}
