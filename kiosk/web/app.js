// The kiosk: the meeting board with the camera and what happens at the
// door, live from the agent's server-sent events; the secretary's and the
// technician's views sit behind PINs (staff.js).
import { $, boxLanguage, callText, clock, el, has, kids, loadLanguages, otherLanguage, setLanguage, t, today } from './ui.js';
import { loadStaff, openStaff, renderStaff, setupStaff } from './staff.js';

const noticeMs = 6000;
const gateMs = 8000;
const maxGreetings = 3;
const maxNotices = 2;
const framePollMs = 400;

// snap is the public status; staff the whole one, while a staff view that
// needs it is open.
export const state = { snap: null, staff: null, view: 'board' };

// The benchmark reads when each greeting was painted.
const painted = [];
window.roomgateKiosk = { greetings: painted };

// Live cards re-render their text when the language changes.
const live = new Map();
function keepTranslated(node, render) {
  live.set(node, render);
  render();
}

// --- status ---------------------------------------------------------------

let fetching = null;
let again = false;

// refresh refetches the status; calls while one is in flight fold into
// one more fetch after it.
export async function refresh() {
  if (fetching) {
    again = true;
    return fetching;
  }
  fetching = (async () => {
    do {
      again = false;
      try {
        const r = await fetch('/api/status', { cache: 'no-store' });
        if (!r.ok) throw new Error(String(r.status));
        state.snap = await r.json();
        state.staff = await loadStaff(state.view);
        $('#offline').hidden = true;
        render();
      } catch {
        $('#offline').hidden = false;
      }
    } while (again);
  })();
  await fetching;
  fetching = null;
}

function render() {
  if (!state.snap) return;
  renderBoard(state.snap);
  renderStaff(state.snap, state.staff, state.view);
}

// --- views ----------------------------------------------------------------

export function show(view) {
  state.view = view;
  for (const v of ['board', 'pin', 'secretary', 'technician']) $(`#view-${v}`).hidden = v !== view;
  for (const b of document.querySelectorAll('.bar [data-view]')) {
    if (b.dataset.view === view || (view === 'pin' && b.dataset.view === state.pinFor)) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  $('#greetings').hidden = view !== 'board';
  if (view === 'board') loadFrame();
  render();
}

// --- board ----------------------------------------------------------------

function checkInState(m, now) {
  if (now < new Date(m.checkin_opens)) return { cls: 'soon', text: t('board.soon', { time: clock(m.checkin_opens) }) };
  if (now > new Date(m.checkin_closes)) return { cls: 'closed', text: t('board.closed') };
  return { cls: 'open', text: t('board.open') };
}

function renderBoard(s) {
  const m = s.meeting;
  $('#room').textContent = m?.room || s.gate || s.site || '';
  $('#meeting-title').textContent = m ? m.title : t('board.none_title');
  $('#meeting-when').textContent = m ? `${clock(m.start)} – ${clock(m.end)} · ${today()}` : `${t('board.none_hint')} · ${today()}`;
  const chip = $('#checkin-state');
  chip.hidden = !m;
  if (m) {
    const st = checkInState(m, new Date());
    chip.className = `chip ${st.cls}`;
    chip.textContent = st.text;
  }
  // The public status lists only who is here, as the room sees them.
  const present = [...(m?.attendees ?? [])].sort((a, b) => new Date(b.at) - new Date(a.at));
  $('#count').hidden = !m;
  // Present of expected counts invitees; guests are listed but not counted.
  $('#present-count').textContent = String(m?.present ?? 0);
  $('#expected-count').textContent = String(m?.expected ?? 0);
  $('#attendees').replaceChildren(...present.map((p) => el('li', { 'data-testid': 'attendee', class: 'attendee' },
    el('span', { class: 'name' }, p.name),
    el('span', { class: 'at' }, clock(p.at)))));
  $('#nobody').hidden = !m || present.length > 0;
  // With no meeting now, the day's schedule fills the board.
  const meetings = s.meetings ?? [];
  $('#today').hidden = !!m || meetings.length === 0;
  $('#today-list').replaceChildren(...meetings.map((x) => el('li', {},
    el('span', { class: 'at' }, `${clock(x.start)} – ${clock(x.end)}`), el('span', { class: 'name' }, x.title))));
  $('#preview-box').hidden = !s.kiosk?.preview;
  const call = callText(s.call);
  const bridge = $('#bridge');
  bridge.hidden = !call;
  if (call) {
    bridge.className = `bridge ${call.cls}`;
    bridge.textContent = call.text;
  }
}

// --- camera preview -------------------------------------------------------

let frameBusy = false;

// loadFrame draws the latest camera frame; one request at a time, so a
// slow box never piles them up. Each frame is decoded to a bitmap, drawn
// and closed at once: an <img> fed a new frame several times a second made
// Chromium's renderer keep hundreds of MB of decoded frames.
async function loadFrame() {
  if (frameBusy || document.hidden || state.view !== 'board' || !state.snap?.kiosk?.preview) return;
  frameBusy = true;
  const canvas = $('#preview');
  const note = $('#preview-state');
  try {
    const r = await fetch('/api/preview.jpg', { cache: 'no-store' });
    if (r.status !== 200) {
      note.dataset.t = r.status === 404 ? 'preview.none' : 'preview.waiting';
      note.textContent = t(note.dataset.t);
      note.hidden = false;
      return;
    }
    const bitmap = await createImageBitmap(await r.blob());
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
    }
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    bitmap.close();
    canvas.classList.add('live');
    note.hidden = true;
  } catch {
    // the status banner says the box is unreachable
  } finally {
    frameBusy = false;
  }
}

let boxesTimer;

function drawFaces(f) {
  const frame = $('#frame');
  if (f.width && f.height) frame.style.aspectRatio = `${f.width} / ${f.height}`;
  const boxes = (f.faces ?? []).map((b) => {
    // Labels of boxes near the right edge hang leftwards, inside the frame.
    const right = (b.x + b.w) / f.width > 0.7 ? ' right' : '';
    // A face is named or called unknown once its track has decided; until
    // then the box says it is being checked.
    const state = b.unknown ? ' unknown' : b.name ? '' : ' checking';
    const box = el('div', { 'data-testid': 'face-box', class: `face-box${state}${right}` },
      el('span', {}, b.unknown ? t('face.unknown') : b.name || t('face.checking')));
    box.style.left = `${(100 * b.x) / f.width}%`;
    box.style.top = `${(100 * b.y) / f.height}%`;
    box.style.width = `${(100 * b.w) / f.width}%`;
    box.style.height = `${(100 * b.h) / f.height}%`;
    return box;
  });
  $('#boxes').replaceChildren(...boxes);
  clearTimeout(boxesTimer);
  boxesTimer = setTimeout(() => $('#boxes').replaceChildren(), 1500);
  loadFrame();
}

// --- greetings, notices, gate ---------------------------------------------

function dismiss(node) {
  if (node.classList.contains('leaving')) return;
  node.classList.add('leaving');
  setTimeout(() => {
    node.remove();
    live.delete(node);
  }, 250);
}

// keepNewest dismisses all but the newest max cards of a stack (newest
// first). Cards already leaving stay in the DOM for their fade, so they
// are not counted: counting them would never let the stack shrink.
function keepNewest(stack, max) {
  const staying = [...stack.children].filter((c) => !c.classList.contains('leaving'));
  for (const card of staying.slice(max)) dismiss(card);
}

// Ids of the greetings shown lately: the stream sends a page that
// reconnects the greetings still on screen, and a card shows once.
const greeted = new Set();

function greet(g) {
  if (g.id) {
    if (greeted.has(g.id)) return;
    greeted.add(g.id);
    if (greeted.size > 64) greeted.delete(greeted.values().next().value);
  }
  const card = el('div', { 'data-testid': 'greeting', class: 'greeting', role: 'status' });
  keepTranslated(card, () => card.replaceChildren(...kids(
    el('p', { class: 'hello' }, t('greeting.hello')),
    el('p', { class: 'name', 'data-testid': 'greeting-name' }, g.name),
    el('p', { class: 'unit', 'data-testid': 'greeting-unit' }, g.unit || ''),
    el('div', { class: 'facts' },
      el('span', { class: 'seat', 'data-testid': 'greeting-seat' }, g.seat ? t('board.seat', { seat: g.seat }) : ''),
      el('span', { class: 'time', 'data-testid': 'greeting-time' }, t('greeting.at', { time: clock(g.at) }))),
    g.title ? el('p', { class: 'title' }, g.title) : null)));
  const stack = $('#greetings');
  stack.prepend(card);
  keepNewest(stack, maxGreetings);
  // After the frame that shows the card: rAF runs before the paint, the
  // task it queues runs after it.
  requestAnimationFrame(() => setTimeout(() => {
    painted.push({ id: g.id, renderedAt: Date.now() });
    if (painted.length > 10000) painted.splice(0, painted.length - 10000);
  }));
  setTimeout(() => card.isConnected && dismiss(card), state.snap?.kiosk?.greeting_ms || 6000);
  refresh();
}

function noticeText(n) {
  switch (n.kind) {
    case 'not_open_yet':
      return n.opens ? t('notice.not_open_yet', { time: clock(n.opens) }) : t('notice.not_open_yet_soon');
    case 'already_checked_in':
      return t('notice.already_checked_in', { time: clock(n.first || n.at) });
    default:
      return has(`notice.${n.kind}`) ? t(`notice.${n.kind}`) : t('notice.other');
  }
}

// notify shows a notice; the same one again (an unknown face seen in
// every frame) only keeps it up longer.
function notify(n) {
  const key = `${n.kind}|${n.name ?? ''}`;
  const box = $('#notices');
  let card = [...box.children].find((c) => c.dataset.key === key && !c.classList.contains('leaving'));
  if (!card) {
    card = el('div', { 'data-testid': 'notice', class: `notice ${n.kind}`, 'data-kind': n.kind, 'data-key': key, role: 'status' });
    box.prepend(card);
    keepNewest(box, maxNotices);
  }
  keepTranslated(card, () => card.replaceChildren(...kids(
    n.name ? el('p', { class: 'name' }, n.name) : null,
    el('p', {}, noticeText(n)))));
  clearTimeout(card.timer);
  card.timer = setTimeout(() => dismiss(card), noticeMs);
}

function gateReason(code) {
  return has(`gate.reason.${code}`) ? t(`gate.reason.${code}`) : t('gate.reason.error');
}

function gate(g) {
  const card = el('div', { 'data-testid': 'gate-result', class: `gate ${g.granted ? 'granted' : 'denied'}`, 'data-granted': String(!!g.granted), role: 'status' });
  keepTranslated(card, () => card.replaceChildren(
    el('span', { class: 'icon', 'aria-hidden': 'true' }, g.granted ? '✓' : '✕'),
    el('div', {},
      el('p', { class: 'verdict' }, t(g.granted ? 'gate.allowed' : 'gate.denied')),
      g.granted ? null : el('p', { 'data-testid': 'gate-reason', class: 'reason' }, gateReason(g.reason)))));
  const slot = $('#gate');
  for (const c of slot.children) live.delete(c);
  slot.replaceChildren(card);
  setTimeout(() => card.isConnected && dismiss(card), gateMs);
}

// gateFace asks a chip ID card's holder to look at the camera while the
// gate compares their face with the registered visit; the verdict (gate)
// replaces the card.
function gateFace(p) {
  const card = el('div', { 'data-testid': 'gate-face', class: 'gate checking', role: 'status' });
  keepTranslated(card, () => card.replaceChildren(
    el('span', { class: 'icon', 'aria-hidden': 'true' }, '◉'),
    el('div', {},
      el('p', { class: 'verdict' }, t('gate.look_at_camera')),
      el('p', { class: 'reason' }, t('gate.look_at_camera_hint')))));
  const slot = $('#gate');
  for (const c of slot.children) live.delete(c);
  slot.replaceChildren(card);
  setTimeout(() => card.isConnected && dismiss(card), (p.within_ms || 10000) + gateMs);
}

// --- start ----------------------------------------------------------------

function listen() {
  const es = new EventSource('/api/events');
  // A refused stream (the box's streams are all taken: 503) is not retried
  // by EventSource itself.
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
  });
  const on = (kind, fn) => es.addEventListener(kind, (e) => {
    try {
      fn(JSON.parse(e.data));
    } catch {
      // a malformed event is dropped; the next status fetch catches up
    }
  });
  on('change', () => refresh());
  on('greeting', greet);
  on('notice', notify);
  on('gate', gate);
  on('gate_face', gateFace);
  on('faces', drawFaces);
  es.addEventListener('open', () => refresh()); // catch up after a reconnect
  es.addEventListener('error', () => { $('#offline').hidden = es.readyState === EventSource.OPEN; });
}

function tick() {
  $('#clock').textContent = clock(Date.now());
}

async function start() {
  await loadLanguages();
  for (const b of document.querySelectorAll('.bar [data-view]')) {
    b.addEventListener('click', () => (b.dataset.view === 'board' ? show('board') : openStaff(b.dataset.view)));
  }
  $('[data-testid="lang-switch"]').addEventListener('click', () => {
    setLanguage(otherLanguage());
    for (const [node, fn] of live) (node.isConnected ? fn() : live.delete(node));
    tick();
    render();
  });
  setupStaff();
  tick();
  setInterval(tick, 10_000);
  setInterval(loadFrame, framePollMs);
  listen();
  await refresh();
  if (state.snap?.kiosk?.language) {
    boxLanguage(state.snap.kiosk.language);
    render();
  }
  loadFrame();
  // Until now the page shows its static Vietnamese and ignores taps.
  document.documentElement.dataset.ready = 'true';
}

start();
