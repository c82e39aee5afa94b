// The referral widget: a shop's customer's link, the friend's discount,
// rewards and referred purchases. The widget token comes in the URL
// fragment (never sent to a server) and is read once, then cleared from
// the address.
import { t, localize, money, date, count } from './i18n.js';

const token = decodeURIComponent(location.hash.slice(1));
history.replaceState(null, '', location.pathname + location.search);
const root = document.getElementById('widget');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

// reportHeight tells the embedding page how tall the widget is; only a
// height goes out, so any page may hear it (the snippet checks who sent it).
function reportHeight() {
  if (window.parent !== window) window.parent.postMessage({ partnerloop: 'height', height: document.documentElement.scrollHeight }, '*');
}
new ResizeObserver(reportHeight).observe(document.documentElement);

function offerText(d) {
  const value = d.kind === 'percent' ? `${d.value}%` : money(d.value, d.currency);
  const key = d.duration === 'repeating' ? 'embed.offerMonths' : 'embed.offer';
  return t(key, { value, months: d.months, code: d.code });
}

function amounts(byCurrency) {
  const list = Object.entries(byCurrency || {}).filter(([, v]) => v !== 0).map(([cur, v]) => money(v, cur));
  return list.length ? list.join(', ') : money(0, Object.keys(byCurrency || {})[0] || 'EUR');
}

function shareLinks(link, text) {
  const message = `${text} ${link}`;
  return [
    ['embed.shareEmail', `mailto:?subject=${encodeURIComponent(t('embed.emailSubject'))}&body=${encodeURIComponent(message)}`],
    ['embed.shareWhatsApp', `https://wa.me/?text=${encodeURIComponent(message)}`],
    ['embed.shareX', `https://x.com/intent/post?text=${encodeURIComponent(text)}&url=${encodeURIComponent(link)}`],
    ['embed.shareLinkedIn', `https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(link)}`],
  ].map(([key, href]) => el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, t(key)));
}

function render(w) {
  const input = el('input', { type: 'text', readonly: '', value: w.referral_link, 'aria-label': t('embed.yourLink') });
  const copy = el('button', { type: 'button' }, t('embed.copy'));
  const status = el('p', { role: 'status' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(w.referral_link);
      status.textContent = t('embed.copied');
    } catch {
      input.select();
      status.textContent = t('embed.copyFailed');
    }
  });
  const offer = w.discount ? offerText(w.discount) : t('embed.noOffer');
  const friends = w.friends.length
    ? el('ul', {}, ...w.friends.map((f) => el('li', {}, t('embed.friendBought', { date: date(f.date) }))))
    : el('p', {}, t('embed.noFriends'));
  const rewards = el('dl', {},
    el('dt', {}, t('embed.earned')), el('dd', {}, amounts(w.earned)),
    el('dt', {}, t('embed.pending')), el('dd', {}, amounts(w.pending)));
  if (w.points && (w.points.available || w.points.pending)) {
    rewards.append(el('dt', {}, t('embed.points')), el('dd', {}, count(w.points.available)));
  }
  root.replaceChildren(
    el('h1', {}, t('embed.title')),
    el('section', { 'aria-labelledby': 'offer' }, el('h2', { id: 'offer' }, t('embed.friendGets')), el('p', { class: 'offer' }, offer)),
    el('section', { 'aria-labelledby': 'link' }, el('h2', { id: 'link' }, t('embed.yourLink')),
      el('div', { class: 'link' }, input, copy), status,
      el('div', { class: 'share' }, ...shareLinks(w.referral_link, offer))),
    el('section', { 'aria-labelledby': 'rewards' }, el('h2', { id: 'rewards' }, t('embed.rewards')), rewards),
    el('section', { 'aria-labelledby': 'friends' }, el('h2', { id: 'friends' }, t('embed.friends')), friends));
  reportHeight();
}

async function load() {
  localize(document);
  if (!token) {
    root.replaceChildren(el('p', { class: 'error' }, t('embed.expired')));
    return;
  }
  const res = await fetch('/v1/embed/widget', { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) {
    root.replaceChildren(el('p', { class: 'error' }, t(res.status === 401 ? 'embed.expired' : 'embed.failed')));
    reportHeight();
    return;
  }
  render(await res.json());
}

load();
