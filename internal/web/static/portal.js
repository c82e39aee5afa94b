// The partner portal: home (link, QR, balances, group, tier, goals), statement,
// rewards (points, badges, challenges, leaderboard, catalog) and settings,
// on top of the /v1 API.
import { api, openScreen } from './session.js';
import { statementLines } from './statement.js';
import { inboxPage, unreadCount } from './inbox.js';
import { t, money, date, dateTime, count, percent } from './i18n.js';
import {
  startPage, h, render, drawScreen, table, busy, toast, alertBox, errorText, field, showFieldError, clearFieldErrors,
} from './ui.js';

const main = document.getElementById('main');
const pages = { home, statement, rewards, inbox, settings };
let me;
let unread = 0; // the inbox's unread broadcasts, shown in the navigation

const BALANCE_KINDS = ['pending', 'payable', 'in_payout', 'paid', 'donated'];

function setNav(current) {
  render(document.getElementById('nav'), h('ul', {}, Object.keys(pages).map((name) =>
    h('li', {}, h('a', { href: '#/' + name, 'aria-current': name === current ? 'page' : null }, t('portal.nav.' + name),
      name === 'inbox' && unread > 0 ? [' ', h('span', { class: 'count', text: t('inbox.unread', { n: count(unread) }) })] : null)))));
}

function inbox(screen) {
  return inboxPage(screen, me.partner_id, (n) => {
    unread = n;
    setNav('inbox');
  });
}

async function route() {
  const name = location.hash.replace(/^#\/?/, '') || 'home';
  const page = pages[name] ? name : 'home';
  const screen = openScreen();
  setNav(page);
  document.title = t('portal.nav.' + page) + ' · ' + t('portal.title');
  drawScreen(screen, h('p', { class: 'muted', role: 'status', text: t('common.loading') }));
  try {
    await pages[page](screen);
  } catch (err) {
    drawScreen(screen, h('h1', { text: t('portal.nav.' + page) }), alertBox(err));
  }
}

function copyButton(getText) {
  return h('button', {
    type: 'button', class: 'secondary', text: t('portal.copyLink'),
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(getText());
        toast(t('portal.copied'));
      } catch {
        toast(t('portal.copyFailed'));
      }
    },
  });
}

function balancesTable(balances) {
  const rows = Object.entries(balances || {}).map(([currency, b]) => ({ currency, ...b }));
  return table({
    rows, empty: t('portal.noBalances'),
    columns: [{ label: t('common.currency'), value: (r) => r.currency },
      ...BALANCE_KINDS.map((k) => ({ label: t('balance.' + k), num: true, value: (r) => money(r[k], r.currency) }))],
  });
}

async function qrImage() {
  const img = h('img', { class: 'qr', alt: t('portal.qrAlt'), width: 160, height: 160 });
  const res = await api(`/v1/partners/${me.partner_id}/qr.svg`, { raw: true });
  img.src = URL.createObjectURL(await res.blob());
  return img;
}

function deepLinkBuilder(p) {
  if (!me.landing_hosts.length) return h('p', { class: 'muted', text: t('portal.noDeepLinks') });
  const host = h('select', {}, me.landing_hosts.map((x) => h('option', { value: x, text: x })));
  const path = h('input', { type: 'text', value: '/', placeholder: '/products/...' });
  const out = h('input', { type: 'text', readonly: true });
  const update = () => {
    const target = 'https://' + host.value + (path.value.startsWith('/') ? path.value : '/' + path.value);
    out.value = p.referral_link + '?to=' + encodeURIComponent(target);
  };
  host.addEventListener('change', update);
  path.addEventListener('input', update);
  update();
  return h('div', {}, field(t('portal.landingHost'), host), field(t('portal.landingPath'), path),
    field(t('portal.deepLink'), out), copyButton(() => out.value));
}

function tierCard(st) {
  const tp = st.tier_progress;
  const body = [h('p', {}, t('portal.yourTier'), ' ', h('strong', { text: t('tier.' + st.tier) }))];
  if (tp) {
    body.push(h('p', { text: t('portal.toNextTier', { tier: t('tier.' + tp.next_tier), period: tp.period }) }));
    for (const [cur, need] of Object.entries(tp.revenue_needed || {})) {
      body.push(progressBar(t('portal.revenueProgress', { have: money(tp.revenue[cur] || 0, cur), need: money(need, cur) }), tp.revenue[cur] || 0, need));
    }
    if (tp.units_needed) {
      body.push(progressBar(t('portal.unitsProgress', { have: tp.units, need: tp.units_needed }), tp.units, tp.units_needed));
    }
  } else {
    body.push(h('p', { class: 'muted', text: st.tier === 'gold' ? t('portal.topTier') : t('portal.noTierRules') }));
  }
  return h('section', { class: 'card', 'aria-labelledby': 'tier-h' }, h('h2', { id: 'tier-h', text: t('portal.tier') }), body);
}

// groupCard shows the partner's group and the terms it earns by, as the
// API resolved them (program, then group, then the partner's tier).
function groupCard(group) {
  const terms = group.terms;
  return h('section', { class: 'card', 'aria-labelledby': 'group-h' }, h('h2', { id: 'group-h', text: t('portal.group') }),
    h('p', {}, h('strong', { text: group.name })),
    h('p', { text: t('portal.groupRate', { rate: percent(terms.tier_rate_bps) }) }),
    h('p', { text: t('portal.groupHold', { days: count(terms.hold_days) }) }),
    terms.commission.overrides?.length ? h('p', { class: 'muted', text: t('portal.groupRules') }) : null);
}

function progressBar(label, value, max) {
  const id = 'p' + Math.random().toString(36).slice(2);
  return h('div', { class: 'field' }, h('label', { for: id, text: label }),
    h('progress', { id, max: Math.max(max, 1), value: Math.min(value, max) }));
}

function goalsCard(st) {
  const goals = st.goals.map((g) => {
    const fmt = (v) => (g.measure === 'revenue' ? money(v, currencyOfGoal(g, st)) : String(v));
    const next = g.next_threshold;
    const label = next ? t('portal.goalProgress', { goal: g.goal, have: fmt(g.measured), need: fmt(next) })
      : t('portal.goalDone', { goal: g.goal, levels: g.levels_reached });
    return progressBar(label, g.measured, next || g.measured);
  });
  return h('section', { class: 'card', 'aria-labelledby': 'goals-h' }, h('h2', { id: 'goals-h', text: t('portal.goals') }),
    goals.length ? goals : h('p', { class: 'muted', text: t('portal.noGoals') }));
}

function currencyOfGoal(g, st) {
  return g.currency || Object.keys(st.balances)[0] || 'EUR';
}

function donatedCard(st, charityNames) {
  return h('section', { class: 'card', 'aria-labelledby': 'don-h' }, h('h2', { id: 'don-h', text: t('portal.donated') }),
    table({
      rows: st.donated_on_your_behalf, empty: t('portal.noDonations'),
      columns: [{ label: t('common.date'), value: (d) => date(d.at) }, { label: t('common.charity'), value: (d) => charityNames[d.charity_id] || d.charity_id },
        { label: t('common.amount'), num: true, value: (d) => money(d.amount, d.currency) }],
    }));
}

async function home(screen) {
  const [p, st, { charities }] = await Promise.all([api(`/v1/partners/${me.partner_id}`),
    api(`/v1/partners/${me.partner_id}/statement?limit=1`), api('/v1/charities')]);
  const charityNames = Object.fromEntries(charities.map((c) => [c.id, c.name]));
  const link = h('input', { type: 'text', readonly: true, value: p.referral_link });
  drawScreen(screen,
    h('h1', { text: t('portal.welcome', { name: p.name }) }),
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'link-h' },
        h('h2', { id: 'link-h', text: t('portal.yourLink') }),
        h('div', { class: 'link-box' }, field(t('portal.referralLink'), link), copyButton(() => link.value)),
        h('p', { class: 'muted', text: t('portal.code', { code: p.referral_code }) }),
        await qrImage()),
      h('section', { class: 'card', 'aria-labelledby': 'deep-h' }, h('h2', { id: 'deep-h', text: t('portal.deepLinks') }), deepLinkBuilder(p))),
    h('section', { class: 'card', 'aria-labelledby': 'bal-h' }, h('h2', { id: 'bal-h', text: t('portal.balances') }), balancesTable(p.balances)),
    h('div', { class: 'grid' }, groupCard(p.group), tierCard(st), goalsCard(st), donatedCard(st, charityNames)));
}

async function statement(screen) {
  const lines = statementLines(me.partner_id);
  await lines.load();
  drawScreen(screen, h('h1', { text: t('portal.nav.statement') }), h('section', { class: 'card' }, lines.node));
}

function pointsCard(points) {
  return h('section', { class: 'card', 'aria-labelledby': 'pts-h' }, h('h2', { id: 'pts-h', text: t('rewards.points') }),
    h('p', { class: 'big', text: t('rewards.available', { n: count(points.available) }) }),
    h('p', { class: 'muted', text: t('rewards.pendingRedeemed', { pending: count(points.pending), redeemed: count(points.redeemed) }) }));
}

function badgesCard(badges) {
  return h('section', { class: 'card', 'aria-labelledby': 'badges-h' }, h('h2', { id: 'badges-h', text: t('rewards.badges') }),
    badges.length ? h('ul', { class: 'badges' }, badges.map((b) => h('li', {}, h('strong', { text: b.name }), ' ',
      h('span', { class: 'muted', text: t('rewards.awardedOn', { date: date(b.awarded_at) }) }))))
      : h('p', { class: 'muted', text: t('rewards.noBadges') }));
}

// challengeState is how far the partner is: completed, running or not yet.
function challengeState(c) {
  const now = Date.now();
  if (c.completed_at) return t('rewards.completedOn', { date: date(c.completed_at) });
  if (Date.parse(c.starts_at) > now) return t('rewards.startsOn', { date: date(c.starts_at) });
  if (Date.parse(c.ends_at) <= now) return t('rewards.ended');
  return t('rewards.endsOn', { date: date(c.ends_at) });
}

function prizeText(r) {
  const parts = [];
  if (r.points) parts.push(t('rewards.pointsN', { n: count(r.points) }));
  for (const [cur, v] of Object.entries(r.amount || {})) parts.push(money(v, cur));
  if (r.badge) parts.push(t('rewards.aBadge'));
  return parts.join(' + ');
}

function challengeProgress(c) {
  if (c.kind !== 'sales' || c.progress === undefined) return null;
  const fmt = (v) => (c.measure === 'revenue' ? money(v, c.currency) : count(v));
  return progressBar(t('rewards.progress', { have: fmt(c.progress), need: fmt(c.target) }), c.progress, c.target);
}

function submitForm(c, done) {
  const text = h('textarea', { rows: 3, required: true, class: 'short' });
  const link = h('input', { type: 'url', placeholder: 'https://' });
  const send = h('button', { type: 'submit', text: t('rewards.submit') });
  const status = h('div', { role: 'status' });
  const form = h('form', { novalidate: true }, field(t('rewards.whatYouDid', { name: c.name }), text), field(t('rewards.proofLink'), link), send, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(send, async () => {
      try {
        await api(`/v1/challenges/${c.id}/submissions`, { method: 'POST', body: { text: text.value.trim(), urls: link.value.trim() ? [link.value.trim()] : [] } });
      } catch (err) {
        render(status, alertBox(err));
        return;
      }
      toast(t('rewards.submitted'));
      await done();
    });
  });
  return form;
}

function challengesCard(challenges, reload) {
  const running = (c) => !c.completed_at && Date.parse(c.starts_at) <= Date.now() && Date.parse(c.ends_at) > Date.now();
  return h('section', { class: 'card', 'aria-labelledby': 'ch-h' }, h('h2', { id: 'ch-h', text: t('rewards.challenges') }),
    challenges.length ? challenges.map((c) => h('article', { class: 'challenge', 'aria-label': c.name },
      h('h3', { text: c.name }),
      c.description ? h('p', { text: c.description }) : null,
      h('p', { class: 'muted', text: challengeState(c) + ' · ' + t('rewards.prize', { prize: prizeText(c.reward) }) }),
      challengeProgress(c),
      c.kind === 'task' && running(c) ? submitForm(c, reload) : null))
      : h('p', { class: 'muted', text: t('rewards.noChallenges') }));
}

async function leaderboardCard(currencies) {
  const measure = h('select', {}, h('option', { value: 'points', text: t('rewards.byPoints') }),
    currencies.map((cur) => h('option', { value: 'revenue:' + cur, text: t('rewards.byRevenue', { currency: cur }) })));
  const body = h('div', {});
  const load = async () => {
    const [m, cur] = measure.value.split(':');
    const q = new URLSearchParams({ measure: m, limit: '10' });
    if (cur) q.set('currency', cur);
    const board = await api('/v1/leaderboard?' + q);
    const fmt = (v) => (cur ? money(v, cur) : count(v));
    render(body,
      table({ rows: board.entries, empty: t('rewards.noRanking'),
        columns: [{ label: t('rewards.rank'), num: true, value: (e) => count(e.rank) }, { label: t('common.partner'), value: (e) => e.partner },
          { label: t('rewards.value'), num: true, value: (e) => fmt(e.value) }] }),
      board.you ? h('p', { text: t('rewards.yourRank', { rank: count(board.you.rank), value: fmt(board.you.value) }) }) : null,
      board.as_of ? h('p', { class: 'muted', text: t('rewards.asOf', { when: dateTime(board.as_of) }) }) : null);
  };
  measure.addEventListener('change', () => load().catch((err) => render(body, alertBox(err))));
  await load();
  return h('section', { class: 'card', 'aria-labelledby': 'lb-h' }, h('h2', { id: 'lb-h', text: t('rewards.leaderboard') }),
    field(t('rewards.rankBy'), measure), body);
}

function catalogCard(items, points, reload) {
  return h('section', { class: 'card', 'aria-labelledby': 'cat-h' }, h('h2', { id: 'cat-h', text: t('rewards.catalog') }),
    table({ rows: items, empty: t('rewards.noRewards'),
      columns: [{ label: t('common.name'), value: (r) => h('span', {}, h('strong', { text: r.name }), r.description ? h('br') : null, r.description || '') },
        { label: t('rewards.cost'), num: true, value: (r) => t('rewards.pointsN', { n: count(r.points_cost) }) },
        { label: t('rewards.stock'), num: true, value: (r) => (r.stock === undefined ? t('rewards.unlimited') : count(r.stock)) },
        { label: t('common.actions'), value: (r) => {
          const b = h('button', { type: 'button', class: 'secondary', text: t('rewards.redeem'), 'aria-label': t('rewards.redeemName', { name: r.name }),
            disabled: points.available < r.points_cost || r.stock === 0 });
          b.addEventListener('click', () => busy(b, async () => {
            try {
              await api('/v1/redemptions', { method: 'POST', body: { reward_id: r.id, quantity: 1 } });
            } catch (err) {
              toast(errorText(err));
              return;
            }
            toast(t('rewards.redeemed', { name: r.name }));
            await reload();
          }));
          return b;
        } }] }));
}

async function rewards(screen) {
  const [p, { challenges }, { rewards: catalog }] = await Promise.all([api(`/v1/partners/${me.partner_id}`),
    api('/v1/challenges'), api('/v1/rewards')]);
  const points = p.points || { pending: 0, available: 0, redeemed: 0 };
  const currencies = Object.keys(p.balances || {});
  const reload = () => rewards(screen);
  drawScreen(screen, h('h1', { text: t('portal.nav.rewards') }),
    h('div', { class: 'grid' }, pointsCard(points), badgesCard(p.badges || [])),
    catalogCard(catalog, points, reload),
    challengesCard(challenges, reload),
    await leaderboardCard(currencies.length ? currencies : ['EUR']));
}

async function settings(screen, justSaved = false) {
  const [p, { charities }, prefs] = await Promise.all([api(`/v1/partners/${me.partner_id}`), api('/v1/charities'),
    api(`/v1/partners/${me.partner_id}/notifications`)]);
  const status = h('div', { role: 'status' }, justSaved ? h('p', { class: 'notice', text: t('settings.saved') }) : null);
  const charity = h('select', {}, h('option', { value: '', text: t('settings.noCharity') }),
    charities.map((c) => h('option', { value: c.id, text: c.name, selected: p.charity?.charity_id === c.id })));
  const share = h('input', { type: 'number', min: 1, max: 100, step: 1, inputmode: 'numeric', value: p.charity ? p.charity.share_bps / 100 : 10 });
  const email = h('input', { type: 'email', autocomplete: 'email', value: p.payout?.email || '' });
  const paysByEmail = p.payout && (p.payout.method === 'paypal' || p.payout.method === 'wise');
  const shown = h('input', { type: 'checkbox', checked: Boolean(p.show_on_leaderboard) });
  const language = h('select', {}, ['en', 'it', 'ru'].map((l) => h('option', { value: l, text: t('language.' + l), selected: prefs.language === l })));
  const save = h('button', { type: 'submit', text: t('common.save') });
  const form = h('form', { novalidate: true },
    h('section', { class: 'card', 'aria-labelledby': 'give-h' }, h('h2', { id: 'give-h', text: t('settings.giving') }),
      h('p', { class: 'muted', text: t('settings.givingHelp') }),
      field(t('settings.charity'), charity), field(t('settings.share'), share)),
    h('section', { class: 'card', 'aria-labelledby': 'pay-h' }, h('h2', { id: 'pay-h', text: t('settings.payout') }),
      paysByEmail ? field(t('settings.payoutEmail', { method: t('method.' + p.payout.method) }), email)
        : h('p', { class: 'muted', text: t('settings.noPayoutEmail', { method: t('method.' + (p.payout?.method || 'manual')) }) })),
    h('section', { class: 'card', 'aria-labelledby': 'lbs-h' }, h('h2', { id: 'lbs-h', text: t('rewards.leaderboard') }),
      h('label', { class: 'check' }, shown, ' ', t('settings.showOnLeaderboard')),
      h('p', { class: 'muted', text: t('settings.showOnLeaderboardHelp') })),
    h('section', { class: 'card', 'aria-labelledby': 'lang-h' }, h('h2', { id: 'lang-h', text: t('settings.language') }),
      field(t('settings.language'), language), h('p', { class: 'muted', text: t('settings.languageHelp') })),
    p.settings_changed_at ? h('p', { class: 'muted', text: t('settings.lastChanged', { when: dateTime(p.settings_changed_at), by: p.settings_changed_by }) }) : null,
    h('p', { class: 'muted', text: t('settings.nextBatch') }),
    save, status);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const body = { charity: charity.value ? { charity_id: charity.value, share_bps: Math.round(Number(share.value) * 100) } : null };
    if (paysByEmail) body.payout_email = email.value.trim();
    body.show_on_leaderboard = shown.checked;
    body.language = language.value;
    busy(save, async () => {
      try {
        await api(`/v1/partners/${me.partner_id}/settings`, { method: 'PATCH', body });
      } catch (err) {
        // The form keeps what was typed, so nothing is lost.
        const target = { payout_email: email, charity, 'charity.share_bps': share, language }[err.field];
        if (target) showFieldError(target, errorText(err));
        render(status, alertBox(err));
        return;
      }
      // Redrawn from the saved record: it shows who changed it and when.
      await settings(screen, true).catch((err) => drawScreen(screen, alertBox(err)));
    });
  });
  drawScreen(screen, h('h1', { text: t('portal.nav.settings') }), form);
}

async function start() {
  me = await startPage();
  if (!me) return;
  if (!me.partner_id) {
    render(main, h('h1', { text: t('portal.notPartnerTitle') }), h('p', {}, t('portal.notPartner'), ' ',
      me.finance ? h('a', { href: '/console/', text: t('portal.openConsole') }) : null));
    return;
  }
  unread = await unreadCount(me.partner_id).catch(() => 0);
  window.addEventListener('hashchange', route);
  await route();
}

start();
