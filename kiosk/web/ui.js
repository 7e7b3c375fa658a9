// Strings, formatting and element helpers shared by the kiosk's screens.
// Every string lives in i18n/<lang>.json; both files have the same keys
// (a Go test checks), and t() fills their {placeholders}.
const languages = ['vi', 'en'];
const dictionaries = {};
const stored = 'roomgate.lang';
let lang = 'vi';

export async function loadLanguages() {
  await Promise.all(languages.map(async (l) => {
    dictionaries[l] = await (await fetch(`i18n/${l}.json`)).json();
  }));
  const saved = localStorage.getItem(stored);
  setLanguage(languages.includes(saved) ? saved : 'vi', false);
}

// boxLanguage applies the box's default until the visitor picks one.
export function boxLanguage(l) {
  if (!localStorage.getItem(stored) && l !== lang) setLanguage(l, false);
}

// setLanguage switches every string on the page; keep remembers the
// visitor's choice over the box's default.
export function setLanguage(l, keep = true) {
  lang = languages.includes(l) ? l : 'vi';
  if (keep) localStorage.setItem(stored, lang);
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const e of document.querySelectorAll('[data-t-placeholder]')) e.placeholder = t(e.dataset.tPlaceholder);
}

export const otherLanguage = () => (lang === 'vi' ? 'en' : 'vi');

// language is the page's language now: text the agent sends in both
// languages is shown in it.
export const language = () => lang;

export function t(key, vars = {}) {
  const s = dictionaries[lang]?.[key] ?? dictionaries.vi?.[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

// has reports whether a key exists, for codes that come from the agent.
export const has = (key) => key in (dictionaries[lang] ?? {});

const locale = () => (lang === 'vi' ? 'vi-VN' : 'en-GB');

export function clock(d) {
  return new Date(d).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

export function dateTime(d) {
  return new Date(d).toLocaleString(locale(), { dateStyle: 'short', timeStyle: 'short' });
}

export function today() {
  return new Date().toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'long' });
}

// fold drops case and Vietnamese diacritics: "nguyen" finds "Nguyễn".
export function fold(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

export const $ = (sel, root = document) => root.querySelector(sel);

// kids drops the empty children, for append and replaceChildren.
export const kids = (...c) => c.flat().filter((x) => x !== null && x !== undefined && x !== '');

// el builds an element: attrs are attributes (class, data-testid, …) or,
// for on*, listeners; children are nodes or strings.
export function el(tag, attrs = {}, ...content) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids(...content));
  return e;
}

// table builds a table from a header row of keys and rows of cells.
export function table(head, rows) {
  return el('table', {},
    el('thead', {}, el('tr', {}, head.map((k) => el('th', {}, t(k))))),
    el('tbody', {}, rows.map((r) => el('tr', { class: r.class }, r.cells.map((c) => (c instanceof Node ? el('td', {}, c) : el('td', {}, String(c))))))));
}

// callText says where the room's bridge call stands, in plain words; null
// when there is nothing to say (no terminal, or idle).
export function callText(c) {
  if (!c) return null;
  if (!c.reachable) return { cls: 'unreachable', text: t('call.unreachable') };
  const reason = c.reason || t('call.no_reason');
  if (!c.by_box && (c.state === 'dialling' || c.state === 'connected')) return { cls: 'by_hand', text: t('call.by_hand') };
  switch (c.state) {
    case 'dialling': return { cls: 'dialling', text: t('call.dialling') };
    case 'connected': return { cls: 'connected', text: t('call.connected', { time: clock(c.since) }) };
    case 'failed': return { cls: 'failed', text: t(c.retrying ? 'call.failed' : 'call.failed_final', { reason }) };
    case 'dropped': return { cls: 'dropped', text: t('call.dropped', { reason }) };
    case 'ended': return { cls: 'ended', text: t('call.ended') };
    default: return c.held === 'clock_unsynced' ? { cls: 'held', text: t('call.held_clock') } : null;
  }
}
