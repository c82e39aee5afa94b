// The partner portal's inbox: the program's broadcasts, newest first;
// opening one marks it read, and the partner may reply.
import { api } from './session.js';
import { t, dateTime } from './i18n.js';
import { h, render, drawScreen, busy, toast, alertBox, field, showFieldError, clearFieldErrors } from './ui.js';
import { richText } from './richtext.js';

const REPLY_LIMIT = 2000;

// unreadCount is how many broadcasts the partner has not read.
export async function unreadCount(partnerID) {
  const box = await api(`/v1/partners/${encodeURIComponent(partnerID)}/inbox?limit=1`);
  return box.unread;
}

// inboxPage draws the inbox of the partner; onRead is told the unread
// count after a message is opened.
export async function inboxPage(screen, partnerID, onRead) {
  const base = `/v1/partners/${encodeURIComponent(partnerID)}/inbox`;
  const list = h('ul', { class: 'plain-list inbox' });
  const more = h('button', { type: 'button', class: 'secondary', text: t('common.loadMore'), hidden: true });
  const reader = h('div', {});
  let cursor = '';
  let unread = 0;
  const load = async () => {
    const box = await api(base + '?limit=20' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    unread = box.unread;
    cursor = box.next_cursor;
    more.hidden = !cursor;
    list.append(...box.messages.map(entry));
    if (!list.children.length) render(list, h('li', { class: 'muted', text: t('inbox.empty') }));
  };
  const entry = (m) => {
    const open = h('button', { type: 'button', class: 'link' + (m.read_at ? '' : ' unread'), 'aria-expanded': 'false', text: m.subject });
    const mark = m.read_at ? null : h('span', { class: 'status pending', text: t('inbox.new') });
    open.addEventListener('click', () => busy(open, async () => {
      list.querySelectorAll('[aria-expanded="true"]').forEach((b) => b.setAttribute('aria-expanded', 'false'));
      open.setAttribute('aria-expanded', 'true');
      try {
        if (!m.read_at) {
          m.read_at = (await api(`${base}/${encodeURIComponent(m.id)}/read`, { method: 'POST' })).read_at;
          unread = Math.max(unread - 1, 0);
          open.classList.remove('unread');
          mark?.remove();
          onRead(unread);
        }
        render(reader, message(base, m));
        reader.querySelector('h2').focus();
      } catch (err) { render(reader, alertBox(err)); }
    }));
    return h('li', {}, open, ' ', h('span', { class: 'muted', text: dateTime(m.at) }), ' ', mark);
  };
  more.addEventListener('click', () => busy(more, () => load().catch((err) => toast(err.message))));
  await load();
  drawScreen(screen, h('h1', { text: t('portal.nav.inbox') }),
    h('div', { class: 'grid' }, h('section', { class: 'card', 'aria-label': t('inbox.messages') }, list, more), reader));
}

function message(base, m) {
  const text = h('textarea', { rows: 4, maxlength: REPLY_LIMIT });
  const send = h('button', { type: 'submit', text: t('inbox.sendReply') });
  const form = h('form', { novalidate: true }, field(t('inbox.reply'), text, t('inbox.replyHelp', { n: REPLY_LIMIT })), send);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    if (!text.value.trim()) {
      showFieldError(text, t('inbox.replyEmpty'));
      return;
    }
    busy(send, async () => {
      try {
        await api(`${base}/${encodeURIComponent(m.id)}/replies`, { method: 'POST', body: { body: text.value } });
        text.value = '';
        toast(t('inbox.replySent'));
      } catch (err) { showFieldError(text, err.message); }
    });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'msg-h' },
    h('h2', { id: 'msg-h', tabindex: '-1', text: m.subject }), h('p', { class: 'muted', text: dateTime(m.at) }), richText(m.html), form);
}
