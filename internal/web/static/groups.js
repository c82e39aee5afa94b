// The console's Groups screen: the groups with their join pages, a new
// group, and a group's editor (terms, auto-approval, the application form
// and the landing) beside a live preview of its join page in each language.
import { api } from './session.js';
import { t } from './i18n.js';
import { messages } from './messages.js';
import { discountCodesCard } from './discountcodes.js';
import { h, render, drawScreen, table, busy, toast, alertBox, field, showFieldError, clearFieldErrors } from './ui.js';

const LANGUAGES = ['en', 'it', 'ru'];

function card(title, ...body) {
  const id = 'h-' + title.replace(/\W+/g, '-').toLowerCase();
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), body);
}

// groupsScreen lists the groups, or, given an id ("new" for a new one),
// edits one.
export async function groupsScreen(screen, id, can) {
  if (id) return editScreen(screen, id, can);
  const groups = (await api('/v1/groups?limit=200')).groups;
  drawScreen(screen, h('h1', { text: t('console.nav.groups') }),
    can('POST /v1/groups') ? h('p', {}, h('a', { class: 'button', href: '#/groups/new', text: t('groups.new') })) : null,
    card(t('groups.list'), table({
      rows: groups, empty: t('groups.none'),
      columns: [
        { label: t('common.name'), value: (g) => h('a', { href: '#/groups/' + encodeURIComponent(g.id), text: g.name }) },
        { label: t('groups.id'), value: (g) => g.id },
        { label: t('groups.joinPage'), value: (g) => (g.landing ? h('a', { href: '/join/' + encodeURIComponent(g.slug), text: '/join/' + g.slug }) : '—') },
        { label: t('groups.defaultTier'), value: (g) => (g.default_tier ? t('tier.' + g.default_tier) : '—') },
        { label: t('groups.autoApprove'), value: (g) => t(g.auto_approve?.enabled ? 'apps.yes' : 'apps.no') },
      ],
    })));
}

const blank = () => ({ id: '', name: '', slug: '', form: [], landing: { title: { en: '', it: '', ru: '' }, description: { en: '', it: '', ru: '' }, terms_url: '' } });
const list = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
const whole = (v) => (v.trim() === '' ? null : Number(v));

async function editScreen(screen, id, can) {
  const creating = id === 'new';
  const g = creating ? blank() : await api('/v1/groups/' + encodeURIComponent(id));
  const landing = g.landing || blank().landing;
  const c = {
    id: h('input', { type: 'text', value: g.id, required: true, disabled: !creating }),
    name: h('input', { type: 'text', value: g.name, required: true, maxlength: 200 }),
    slug: h('input', { type: 'text', value: g.slug, required: true, maxlength: 64, pattern: '[a-z0-9-]+' }),
    default_tier: h('select', {}, h('option', { value: '', text: '—' }),
      ['authorized', 'silver', 'gold'].map((x) => h('option', { value: x, text: t('tier.' + x), selected: g.default_tier === x }))),
    hold_days: h('input', { type: 'number', min: 0, max: 365, value: g.hold_days ?? '' }),
    reapply_after_days: h('input', { type: 'number', min: 0, max: 365, value: g.reapply_after_days ?? '' }),
    'auto_approve.enabled': h('input', { type: 'checkbox', checked: !!g.auto_approve?.enabled }),
    'auto_approve.countries': h('input', { type: 'text', value: (g.auto_approve?.countries || []).join(', ') }),
    'auto_approve.email_domains': h('input', { type: 'text', value: (g.auto_approve?.email_domains || []).join(', ') }),
    form: h('textarea', { rows: 8, class: 'code', value: JSON.stringify(g.form || [], null, 2) }),
    commission: h('textarea', { rows: 4, class: 'code', value: g.commission ? JSON.stringify(g.commission, null, 2) : '' }),
    'landing.terms_url': h('input', { type: 'url', value: landing.terms_url, required: true }),
    'landing.logo_url': h('input', { type: 'url', value: landing.logo_url || '' }),
    'landing.brand_color': h('input', { type: 'text', value: landing.brand_color || '', placeholder: '#1f5eff' }),
  };
  for (const lang of LANGUAGES) {
    c['landing.title.' + lang] = h('input', { type: 'text', value: landing.title[lang], maxlength: 200 });
    c['landing.description.' + lang] = h('textarea', { rows: 5, value: landing.description[lang] });
  }
  const status = h('div', { role: 'status' });
  const preview = h('div', { class: 'join-preview', 'aria-live': 'polite' });
  let shown = 'en';
  const drawPreview = () => {
    let form = [];
    try { form = JSON.parse(c.form.value || '[]'); } catch { /* the save names the field */ }
    const title = c['landing.title.' + shown].value || c['landing.title.en'].value;
    const description = c['landing.description.' + shown].value || c['landing.description.en'].value;
    // The join page's own labels, in the previewed language, as it marks them.
    const say = (key) => messages[shown][key] ?? messages.en[key];
    const optional = (label, required) => (required ? label : label + ' ' + say('join.optional'));
    render(preview, h('div', { role: 'group', 'aria-label': t('groups.previewIn', { lang: shown }) },
      h('h3', { text: title }), markdownPreview(description),
      h('ul', {}, [say('join.name'), say('join.email'), say('join.country'), optional(say('join.website'), false),
        ...(Array.isArray(form) ? form : []).map((q) => optional(q.label?.[shown] || q.label?.en || q.key, q.required || q.type === 'checkbox'))].map((l) => h('li', { text: l })))));
  };
  const tabs = h('div', { class: 'stack', role: 'group', 'aria-label': t('groups.previewLanguage') }, LANGUAGES.map((lang) => h('button', {
    type: 'button', class: 'secondary', text: lang.toUpperCase(), 'aria-label': t('groups.previewIn', { lang }),
    onclick: () => { shown = lang; drawPreview(); } })));

  const formEl = h('form', { novalidate: true },
    field(t('groups.id'), c.id), field(t('common.name'), c.name), field(t('groups.slug'), c.slug, t('groups.slugHint')),
    h('fieldset', {}, h('legend', { text: t('groups.terms') }), field(t('groups.defaultTier'), c.default_tier), field(t('groups.holdDays'), c.hold_days),
      field(t('groups.commission'), c.commission, t('groups.commissionHint'))),
    h('fieldset', {}, h('legend', { text: t('groups.applications') }), field(t('groups.reapplyDays'), c.reapply_after_days),
      h('div', { class: 'field' }, h('label', { class: 'check' }, c['auto_approve.enabled'], t('groups.autoApprove'))),
      field(t('groups.countries'), c['auto_approve.countries'], t('groups.listHint')), field(t('groups.domains'), c['auto_approve.email_domains'], t('groups.listHint')),
      field(t('groups.form'), c.form, t('groups.formHint'))),
    h('fieldset', {}, h('legend', { text: t('groups.landing') }),
      LANGUAGES.map((lang) => [field(t('groups.title', { lang }), c['landing.title.' + lang]), field(t('groups.description', { lang }), c['landing.description.' + lang])]),
      field(t('groups.termsUrl'), c['landing.terms_url']), field(t('groups.logoUrl'), c['landing.logo_url']), field(t('groups.brandColor'), c['landing.brand_color'])),
    can(creating ? 'POST /v1/groups' : 'PATCH /v1/groups/{id}') ? h('button', { type: 'submit', text: t('common.save') }) : null, status);
  formEl.addEventListener('input', drawPreview);
  formEl.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(formEl);
    busy(ev.submitter, async () => {
      let body;
      try {
        body = {
          name: c.name.value.trim(), slug: c.slug.value.trim(), default_tier: c.default_tier.value || null,
          hold_days: whole(c.hold_days.value), reapply_after_days: whole(c.reapply_after_days.value),
          auto_approve: { enabled: c['auto_approve.enabled'].checked, countries: list(c['auto_approve.countries'].value), email_domains: list(c['auto_approve.email_domains'].value) },
          form: JSON.parse(c.form.value || '[]'), commission: c.commission.value.trim() ? JSON.parse(c.commission.value) : null,
          landing: { title: {}, description: {}, terms_url: c['landing.terms_url'].value.trim(), logo_url: c['landing.logo_url'].value.trim() || null,
            brand_color: c['landing.brand_color'].value.trim() || null },
        };
      } catch {
        showFieldError(document.activeElement === c.commission ? c.commission : c.form, t('groups.badJSON'));
        return;
      }
      for (const lang of LANGUAGES) {
        body.landing.title[lang] = c['landing.title.' + lang].value.trim();
        body.landing.description[lang] = c['landing.description.' + lang].value;
      }
      try {
        let saved;
        if (creating) {
          // A new group takes no nulls: absent is unset.
          const fresh = JSON.parse(JSON.stringify({ id: c.id.value.trim(), ...body }, (_, v) => (v === null ? undefined : v)));
          saved = await api('/v1/groups', { method: 'POST', body: fresh });
        } else {
          saved = await api('/v1/groups/' + encodeURIComponent(g.id), { method: 'PATCH', body, headers: { 'If-Match': `"${g.version}"` } });
        }
        toast(t('common.saved'));
        location.hash = '#/groups/' + encodeURIComponent(saved.id);
        if (!creating) await editScreen(screen, saved.id, can);
      } catch (err) {
        const control = err.field && (c[err.field] || c[err.field.split('.').slice(0, 2).join('.')] || c[err.field.split(/[.[]/)[0]]);
        if (control) showFieldError(control, err.message);
        else render(status, alertBox(err));
      }
    });
  });
  drawPreview();
  drawScreen(screen, h('p', {}, h('a', { href: '#/groups', text: t('groups.back') })), h('h1', { text: creating ? t('groups.new') : g.name }),
    h('div', { class: 'grid' }, card(t('groups.edit'), formEl), card(t('groups.preview'), tabs, preview)),
    creating ? null : discountCodesCard(g, can));
}

// markdownPreview draws a description's paragraphs and **strong** and
// *emphasised* words as text nodes: the join page shows the server's
// rendering of the whole subset.
function markdownPreview(text) {
  return h('div', { class: 'rich-text' }, text.split(/\n\s*\n/).filter((p) => p.trim()).map((p) =>
    h('p', {}, p.split(/(\*\*[^*]+\*\*|\*[^*]+\*)/).map((part) => {
      if (/^\*\*[^*]+\*\*$/.test(part)) return h('strong', { text: part.slice(2, -2) });
      if (/^\*[^*]+\*$/.test(part)) return h('em', { text: part.slice(1, -1) });
      return part;
    }))));
}
