// A group's public join page (/join/<slug>) and the page its confirmation
// e-mail links to (/join/confirm/<token>). No sign-in: it reads the page
// through GET /v1/join/<slug> in the chosen language and posts the
// application; nothing it sends is trusted until approved.
import { messages } from './messages.js';
import { h, render, field, showFieldError, clearFieldErrors } from './ui.js';
import { richText } from './richtext.js';

const LANGUAGES = ['en', 'it', 'ru'];
// ISO 3166-1 alpha-2 codes; the names come from Intl in the page's language.
const COUNTRIES = ('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD ' +
  'CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN ' +
  'GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR ' +
  'LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG ' +
  'PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL ' +
  'TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW').split(' ');

const main = document.getElementById('main');
const browserLang = (navigator.languages || [navigator.language]).map((l) => l.toLowerCase().split('-')[0]).find((l) => LANGUAGES.includes(l)) || 'en';
let lang = browserLang;

function t(key, vars = {}) {
  const text = messages[lang][key] ?? messages.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? '{' + name + '}'));
}

async function call(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { 'Content-Type': 'application/json', ...(init.headers || {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.error?.message || ''), { status: res.status, code: body.error?.code, field: body.error?.field });
  return body;
}

function alertText(err) {
  return messages[lang]['join.error.' + err.code] ?? messages.en['join.error.' + err.code] ?? t('join.error.internal');
}

function chooser(current, onChange) {
  const select = h('select', { onchange: (ev) => onChange(ev.currentTarget.value) },
    LANGUAGES.map((l) => h('option', { value: l, selected: l === current, text: messages[l]['join.languageName'] })));
  return h('div', { class: 'join-lang' }, field(t('join.language'), select));
}

function countrySelect() {
  const names = new Intl.DisplayNames([lang], { type: 'region' });
  const options = COUNTRIES.map((c) => ({ c, name: names.of(c) || c })).sort((a, b) => a.name.localeCompare(b.name, lang));
  return h('select', { name: 'country', required: true, autocomplete: 'country' },
    h('option', { value: '', text: t('join.chooseCountry') }), options.map((o) => h('option', { value: o.c, text: o.name })));
}

function questionControl(q) {
  const attrs = { name: 'answers.' + q.key, required: q.required && q.type !== 'checkbox' };
  switch (q.type) {
    case 'textarea': return h('textarea', { ...attrs, rows: 4, maxlength: 2000 });
    case 'url': return h('input', { ...attrs, type: 'url', maxlength: 2000, placeholder: 'https://' });
    case 'select': return h('select', attrs, h('option', { value: '', text: t('join.choose') }), q.options.map((o) => h('option', { value: o, text: o })));
    case 'checkbox': return h('input', { ...attrs, type: 'checkbox', required: q.required });
    default: return h('input', { ...attrs, type: 'text', maxlength: 200 });
  }
}

// joinPage draws a group's page; the language chooser redraws it.
async function joinPage(slug, chosen) {
  let page;
  try {
    page = await call(`/v1/join/${encodeURIComponent(slug)}` + (chosen ? '?lang=' + chosen : ''));
  } catch (err) {
    lang = chosen || browserLang;
    render(main, h('h1', { text: t('join.title') }), h('div', { class: 'alert', role: 'alert', text: alertText(err) }));
    return;
  }
  lang = page.language;
  document.documentElement.lang = lang;
  document.title = page.title;
  if (page.brand_color) document.documentElement.style.setProperty('--brand', page.brand_color);
  let logo = null;
  try {
    // The pages' Content-Security-Policy loads images from this origin only.
    if (page.logo_url && new URL(page.logo_url).origin === location.origin) logo = h('img', { class: 'join-logo', src: page.logo_url, alt: '' });
  } catch { /* not a URL: no logo */ }

  const controls = {
    name: h('input', { name: 'name', type: 'text', required: true, maxlength: 200, autocomplete: 'name' }),
    email: h('input', { name: 'email', type: 'email', required: true, maxlength: 254, autocomplete: 'email' }),
    country: countrySelect(),
    website: h('input', { name: 'website', type: 'url', maxlength: 2000, placeholder: 'https://', autocomplete: 'url' }),
    consent: h('input', { name: 'consent', type: 'checkbox', required: true }),
  };
  const questions = page.form.map((q) => ({ q, control: questionControl(q) }));
  for (const { q, control } of questions) controls['answers.' + q.key] = control;
  // A field people never see: only a robot fills it in.
  const honeypot = h('input', { name: 'fax', tabindex: '-1', autocomplete: 'off' });
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', text: t('join.submit') });
  const form = h('form', { novalidate: true },
    field(t('join.name'), controls.name), field(t('join.email'), controls.email), field(t('join.country'), controls.country),
    field(t('join.website') + ' ' + t('join.optional'), controls.website),
    questions.map(({ q, control }) => q.type === 'checkbox'
      ? h('div', { class: 'field check' }, control, h('label', { for: control.id || (control.id = 'q-' + q.key), text: q.label }),
        h('p', { class: 'field-error', id: control.id + '-error', hidden: true }))
      : field(q.label + (q.required ? '' : ' ' + t('join.optional')), control)),
    h('div', { class: 'join-hp', 'aria-hidden': 'true' }, h('label', { for: 'fax', text: 'Fax' }), Object.assign(honeypot, { id: 'fax' })),
    h('div', { class: 'field check' }, Object.assign(controls.consent, { id: 'consent' }),
      h('label', { for: 'consent' }, t('join.consent') + ' ', h('a', { href: page.terms_url, target: '_blank', rel: 'noopener noreferrer', text: t('join.terms') })),
      h('p', { class: 'field-error', id: 'consent-error', hidden: true })),
    submit, status);
  controls.consent.setAttribute('aria-describedby', 'consent-error');

  let started = false;
  form.addEventListener('input', () => {
    if (started) return;
    started = true;
    fetch(`/v1/join/${encodeURIComponent(slug)}/started`, { method: 'POST', keepalive: true }).catch(() => {});
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const answers = {};
    for (const { q, control } of questions) {
      if (q.type === 'checkbox') answers[q.key] = control.checked;
      else if (control.value.trim() !== '') answers[q.key] = control.value.trim();
    }
    const body = { group: page.group, name: controls.name.value.trim(), email: controls.email.value.trim(), country: controls.country.value,
      answers, consent: controls.consent.checked, language: lang };
    if (controls.website.value.trim()) body.website = controls.website.value.trim();
    if (honeypot.value) body.fax = honeypot.value;
    submit.disabled = true;
    try {
      const res = await call('/v1/applications', { method: 'POST', body: JSON.stringify(body) });
      render(main, h('div', { class: 'join' }, h('h1', { text: page.title }), h('section', { class: 'card', role: 'status' },
        h('h2', { text: t(res.status === 'approved' ? 'join.approvedTitle' : 'join.sentTitle') }),
        h('p', { text: t(res.status === 'approved' ? 'join.approved' : 'join.sent', { email: body.email }) }))));
      main.focus();
    } catch (err) {
      submit.disabled = false;
      const control = err.code === 'invalid_application' && controls[err.field];
      if (control) showFieldError(control, t('join.invalid.' + (err.field.startsWith('answers.') ? 'answer' : err.field)));
      else render(status, h('div', { class: 'alert', role: 'alert', text: alertText(err) }));
    }
  });

  render(main, h('div', { class: 'join' }, chooser(lang, (l) => joinPage(slug, l)), logo, h('h1', { text: page.title }),
    richText(page.description_html), h('section', { class: 'card', 'aria-labelledby': 'apply-h' }, h('h2', { id: 'apply-h', text: t('join.apply') }), form)));
}

// confirmPage confirms the e-mail when its owner presses the button (link
// scanners follow links; they do not press buttons).
function confirmPage(token) {
  document.documentElement.lang = lang;
  document.title = t('join.confirmTitle');
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', text: t('join.confirmButton') });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const res = await call('/v1/applications/confirm', { method: 'POST', body: JSON.stringify({ token }) });
      button.hidden = true;
      render(status, h('p', { text: t(res.status === 'approved' ? 'join.confirmedApproved' : 'join.confirmed') }));
    } catch (err) {
      button.disabled = false;
      render(status, h('div', { class: 'alert', role: 'alert', text: alertText(err) }));
    }
  });
  render(main, h('div', { class: 'join' }, h('h1', { text: t('join.confirmTitle') }), h('p', { text: t('join.confirmIntro') }), button, status));
}

const [, , first, second] = location.pathname.split('/').map(decodeURIComponent);
if (first === 'confirm' && second) confirmPage(second);
else joinPage(first, new URLSearchParams(location.search).get('lang'));
