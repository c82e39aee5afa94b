// richText turns a broadcast body the API rendered (escaped text in p, em,
// strong, ul, ol, li and http(s) links) into elements, rebuilding only
// those: anything else in it would stay text, never markup.
import { h } from './ui.js';

const KEEP = new Set(['P', 'EM', 'STRONG', 'UL', 'OL', 'LI']);

function rebuild(node) {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent;
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const children = [...node.childNodes].map(rebuild);
  if (node.tagName === 'A' && /^https?:\/\//.test(node.getAttribute('href') || '')) {
    return h('a', { href: node.getAttribute('href'), rel: 'noopener noreferrer', target: '_blank' }, children);
  }
  return KEEP.has(node.tagName) ? h(node.tagName.toLowerCase(), {}, children) : children;
}

export function richText(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return h('div', { class: 'rich-text' }, [...doc.body.childNodes].map(rebuild));
}
