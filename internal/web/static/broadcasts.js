// The console's Messages screen: write a broadcast (audience, schedule),
// preview its e-mail in each language, follow its counts and read the
// partners' replies.
import { api } from './session.js';
import { t, dateTime, count } from './i18n.js';
import { h, render, drawScreen, table, busy, toast, alertBox, field, showFieldError, clearFieldErrors } from './ui.js';
import { richText } from './richtext.js';

const TIERS = ['authorized', 'silver', 'gold'];

function card(title, ...body) {
  const id = 'h-' + title.replace(/\W+/g, '-').toLowerCase();
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), body);
}

function audienceText(a) {
  if (a.all) return t('broadcast.everyone');
  return [...(a.tiers || []).map((x) => t('tier.' + x)), ...(a.partner_ids || [])].join(', ');
}

function countsRow(m) {
  return t('broadcast.counts', { recipients: count(m.recipients), sent: count(m.sent), suppressed: count(m.suppressed), failed: count(m.failed) });
}

// messagesScreen lists the broadcasts with the form to write one, or,
// given an id, shows one with its replies.
export async function messagesScreen(screen, id) {
  if (id) return broadcastScreen(screen, id);
  const { messages: list } = await api('/v1/messages?limit=50');
  drawScreen(screen, h('h1', { text: t('console.nav.messages') }),
    card(t('broadcast.write'), composeForm(screen)),
    card(t('broadcast.sent'), table({
      rows: list, empty: t('common.none'),
      columns: [
        { label: t('broadcast.subject'), value: (m) => h('a', { href: '#/messages/' + encodeURIComponent(m.id), text: m.subject }) },
        { label: t('broadcast.audience'), value: (m) => audienceText(m.audience) },
        { label: t('broadcast.sendAt'), value: (m) => dateTime(m.send_at) },
        { label: t('common.status'), value: (m) => t('broadcast.status.' + m.status) },
        { label: t('broadcast.delivery'), value: countsRow },
        { label: t('broadcast.replies'), num: true, value: (m) => count(m.replies) },
      ],
    })));
}

function composeForm(screen) {
  const subject = h('input', { type: 'text', maxlength: 200, autocomplete: 'off' });
  const body = h('textarea', { rows: 8 });
  const who = h('select', {}, ['all', 'tiers', 'partners'].map((v) => h('option', { value: v, text: t('broadcast.to.' + v) })));
  const tierBoxes = TIERS.map((x) => h('input', { type: 'checkbox', value: x }));
  const tiers = h('fieldset', { hidden: true }, h('legend', { text: t('broadcast.tiers') }),
    tierBoxes.map((box) => h('label', { class: 'check' }, box, t('tier.' + box.value))));
  const ids = h('textarea', { rows: 3, class: 'short', placeholder: 'pt_…' });
  const idsField = field(t('broadcast.partnerIds'), ids, t('broadcast.partnerIdsHelp'));
  idsField.hidden = true;
  const sendAt = h('input', { type: 'datetime-local' });
  who.addEventListener('change', () => {
    tiers.hidden = who.value !== 'tiers';
    idsField.hidden = who.value !== 'partners';
  });
  const previews = h('div', { class: 'grid' });
  const preview = h('button', { type: 'button', class: 'secondary', text: t('broadcast.preview') });
  preview.addEventListener('click', () => busy(preview, async () => {
    try {
      const res = await api('/v1/messages/preview', { method: 'POST', body: { subject: subject.value, body: body.value } });
      render(previews, res.previews.map((p) => h('section', { class: 'card', 'aria-labelledby': 'pv-' + p.language },
        h('h3', { id: 'pv-' + p.language, text: t('broadcast.previewIn', { language: t('language.' + p.language) }) }),
        h('p', {}, h('strong', { text: p.subject })),
        // The e-mail as a mail client shows it, sandboxed: no script runs.
        h('iframe', { class: 'preview', sandbox: '', srcdoc: p.html, title: t('broadcast.previewIn', { language: t('language.' + p.language) }) }),
        h('details', {}, h('summary', { text: t('broadcast.plainText') }), h('pre', { class: 'preview', text: p.text })))));
    } catch (err) { render(previews, alertBox(err)); }
  }));
  const send = h('button', { type: 'submit', text: t('broadcast.send') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('broadcast.subject'), subject), field(t('broadcast.body'), body, t('broadcast.bodyHelp')),
    field(t('broadcast.audience'), who), tiers, idsField, field(t('broadcast.sendAt'), sendAt, t('broadcast.sendAtHelp')),
    h('div', { class: 'stack' }, preview, send), status, previews);
  const controls = { subject, body, audience: who, 'audience.tiers': who, 'audience.partner_ids': ids, send_at: sendAt };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const audience = { all: who.value === 'all' ? true : undefined };
    if (who.value === 'tiers') audience.tiers = tierBoxes.filter((b) => b.checked).map((b) => b.value);
    if (who.value === 'partners') audience.partner_ids = ids.value.split(/[\s,]+/).filter(Boolean);
    const draft = { subject: subject.value, body: body.value, audience };
    if (sendAt.value) draft.send_at = new Date(sendAt.value).toISOString();
    busy(send, async () => {
      try {
        await api('/v1/messages', { method: 'POST', body: draft });
        toast(t('broadcast.scheduled'));
        await messagesScreen(screen);
      } catch (err) {
        const control = err.field && (controls[err.field] || controls[err.field.replace(/\[\d+\]$/, '')]);
        if (control) showFieldError(control, err.message);
        else render(status, alertBox(err));
      }
    });
  });
  return form;
}

async function broadcastScreen(screen, id) {
  const [m, { replies }] = await Promise.all([api('/v1/messages/' + encodeURIComponent(id)),
    api(`/v1/messages/${encodeURIComponent(id)}/replies?limit=200`)]);
  drawScreen(screen, h('p', {}, h('a', { href: '#/messages', text: t('broadcast.back') })), h('h1', { text: m.subject }),
    card(t('broadcast.delivery'),
      h('p', { text: `${t('broadcast.audience')}: ${audienceText(m.audience)} · ${t('broadcast.sendAt')}: ${dateTime(m.send_at)} · ${t('broadcast.status.' + m.status)}` }),
      h('p', { text: countsRow(m) }), richText(m.html)),
    card(t('broadcast.replies'), table({
      rows: replies, empty: t('broadcast.noReplies'),
      columns: [
        { label: t('common.partner'), value: (r) => h('a', { href: '#/partner/' + encodeURIComponent(r.partner_id), text: r.partner_name || r.partner_id }) },
        { label: t('common.date'), value: (r) => dateTime(r.at) },
        { label: t('broadcast.reply'), value: (r) => r.body },
      ],
    })));
}
