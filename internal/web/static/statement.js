// A partner's statement lines, paged, with a CSV of all of them; the
// portal and the console's partner page show the same table.
import { api } from './session.js';
import { t, money, date, percent } from './i18n.js';
import { h, render, table, badge, busy, toast, errorText, download, csvBlob } from './ui.js';

const LINE_COLUMNS = () => [
  { label: t('common.date'), value: (l) => date(l.accrued_at) },
  { label: t('statement.order'), value: (l) => l.order_id },
  { label: t('common.status'), value: (l) => [badge(l.status), l.hold_reason ? h('div', { class: 'muted', text: t('hold.' + l.hold_reason) }) : null] },
  { label: t('statement.via'), value: (l) => t('via.' + l.attributed_via, {}, l.attributed_via) },
  { label: t('statement.rule'), value: (l) => ruleOf(l) },
  { label: t('statement.net'), num: true, value: (l) => money(l.order_net, l.currency) },
  { label: t('statement.commission'), num: true, value: (l) => money(l.amount, l.currency) },
  { label: t('statement.payableAt'), value: (l) => date(l.payable_at) },
];

function ruleOf(l) {
  const rules = [...new Set((l.commission_lines || []).map((c) => c.rule))];
  if (!rules.length) return percent(l.rate_bps) + ' · ' + t('tier.' + l.tier, {}, l.tier);
  return rules.map((r) => t('rule.' + r, {}, r)).join(', ');
}

export function statementLines(partnerID) {
  const lines = [];
  let cursor = '';
  const holder = h('div', {});
  const more = h('button', { type: 'button', class: 'secondary', text: t('common.loadMore') });
  const csv = h('button', { type: 'button', class: 'secondary', text: t('common.downloadCSV') });
  const draw = () => render(holder, table({ rows: lines, columns: LINE_COLUMNS(), empty: t('statement.empty') }));
  const page = async () => {
    const st = await api(`/v1/partners/${partnerID}/statement?limit=25${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
    lines.push(...st.lines);
    cursor = st.next_cursor;
    more.hidden = !cursor;
    draw();
  };
  more.addEventListener('click', () => busy(more, page).catch((e) => toast(errorText(e))));
  csv.addEventListener('click', () => busy(csv, async () => {
    while (cursor) await page();
    download(csvBlob(['accrued_at', 'source', 'order_id', 'status', 'hold_reason', 'attributed_via', 'rule', 'currency', 'order_net', 'amount', 'payable_at'],
      lines.map((l) => [l.accrued_at, l.source, l.order_id, l.status, l.hold_reason || '', l.attributed_via, ruleOf(l), l.currency,
        minorToDecimal(l.order_net, l.currency), minorToDecimal(l.amount, l.currency), l.payable_at])), `statement-${partnerID}.csv`);
  }).catch((e) => toast(errorText(e))));
  return { node: h('div', {}, holder, h('div', { class: 'stack' }, more, csv)), load: page };
}

function minorToDecimal(minor, currency) {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return (minor < 0 ? '-' : '') + (digits ? s.slice(0, -digits) + '.' + s.slice(-digits) : s);
}
