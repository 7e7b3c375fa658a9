// The views behind a PIN: the secretary's manual check-in and export, and
// the technician's view of the box. The session cookie is HttpOnly; the
// CSRF token the login returns goes with every change.
import { $, callText, clock, dateTime, el, fold, has, kids, language, t, table } from './ui.js';
import { refresh, show, state } from './app.js';

// After this long without a touch a staff view closes: the kiosk stands
// where anyone can reach it.
const idleMs = 3 * 60_000;

const session = { role: null, csrf: null };
let lastTouch = Date.now();

export async function openStaff(role) {
  if (session.role !== role) {
    try {
      const r = await fetch('/api/session', { cache: 'no-store' });
      Object.assign(session, await r.json());
    } catch {
      // asked again below
    }
  }
  if (session.role === role) {
    show(role);
    if (role === 'secretary') search();
    else refresh(); // the technician's view needs the staff status
    return;
  }
  state.pinFor = role;
  $('#pin-role').textContent = t(`pin.${role}`);
  $('#pin-role').dataset.t = `pin.${role}`;
  $('#pin-input').value = '';
  setMessage($('#pin-message'), '');
  show('pin');
  $('#pin-input').focus();
}

function setMessage(node, text, kind = 'bad') {
  node.textContent = text;
  node.className = `message ${kind}`;
  node.hidden = text === '';
}

// call sends a request with the CSRF token; a lost session sends the
// user back to the PIN.
async function call(path, opts = {}) {
  const r = await fetch(path, { ...opts, headers: { ...(opts.headers ?? {}), 'X-CSRF-Token': session.csrf ?? '' } });
  if (r.status === 403) {
    const body = await r.clone().json().catch(() => ({}));
    if (body.error === 'signed_out') {
      const role = session.role ?? state.pinFor;
      session.role = session.csrf = null;
      await openStaff(role);
      setMessage($('#pin-message'), t('staff.signed_out'));
    }
  }
  return r;
}

async function login(e) {
  e.preventDefault();
  const role = state.pinFor;
  const input = $('#pin-input');
  const msg = $('#pin-message');
  let r;
  let body;
  try {
    r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role, pin: input.value }) });
    body = await r.json();
  } catch {
    setMessage(msg, t('pin.error'));
    return;
  }
  input.value = '';
  if (r.ok && !body.error) {
    Object.assign(session, { role: body.role, csrf: body.csrf });
    lastTouch = Date.now();
    openStaff(role);
    return;
  }
  if (body.error === 'locked') lockedOut(body.retry_after);
  else if (body.error === 'wrong_pin') setMessage(msg, t('pin.wrong', { left: body.left }));
  else if (body.error === 'disabled') setMessage(msg, t('pin.disabled'));
  else setMessage(msg, t('pin.error'));
  input.focus();
}

// lockedOut counts the lockout down where the user sees it.
let lockTimer;
function lockedOut(seconds) {
  clearInterval(lockTimer);
  const until = Date.now() + seconds * 1000;
  const submit = $('[data-testid="pin-submit"]');
  const step = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(lockTimer);
      submit.disabled = false;
      setMessage($('#pin-message'), '');
      return;
    }
    submit.disabled = true;
    setMessage($('#pin-message'), t('pin.locked', { seconds: left }));
  };
  step();
  lockTimer = setInterval(step, 1000);
}

async function logout() {
  if (session.role) await call('/api/logout', { method: 'POST' }).catch(() => {});
  session.role = session.csrf = null;
  state.staff = null;
  show('board');
}

// --- secretary ------------------------------------------------------------

const sec = { meeting: null, list: [], chosen: null, seq: 0 };

function meetingsToday(s) {
  const list = s.meetings ?? [];
  if (s.meeting && !list.some((m) => m.id === s.meeting.id)) return [s.meeting, ...list];
  return list;
}

function renderSecretary(s) {
  const meetings = meetingsToday(s);
  if (!meetings.some((m) => m.id === sec.meeting)) sec.meeting = s.meeting?.id ?? meetings[0]?.id ?? null;
  $('#sec-meetings').replaceChildren(...meetings.map((m) => el('button', {
    type: 'button', 'aria-pressed': String(m.id === sec.meeting),
    onclick: () => { sec.meeting = m.id; sec.chosen = null; renderSecretary(state.snap); search(); },
  }, `${clock(m.start)} ${m.title}`)));
  const none = !sec.meeting;
  $('#search-input').disabled = none;
  $('#export-csv').disabled = none;
  if (none) setMessage($('#chosen'), t('sec.no_meeting'), 'muted');
  else renderChosen();
  renderCall(s.call);
}

// renderCall shows the bridge call with what the secretary may do to it.
function renderCall(c) {
  $('#sec-call').hidden = !c;
  if (!c) return;
  const st = callText(c);
  const node = $('#call-state');
  node.className = `bridge ${st?.cls ?? ''}`;
  node.textContent = st?.text ?? t('sec.call.idle');
  const live = c.state === 'dialling' || c.state === 'connected';
  for (const b of document.querySelectorAll('[data-call]')) {
    b.disabled = !c.reachable || (b.dataset.call === 'hang_up' && !(live && c.by_box));
  }
}

async function controlCall(action) {
  const out = $('#call-result');
  const r = await call('/api/call', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ action }),
  }).catch(() => null);
  if (!r) return setMessage(out, t('pin.error'));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const refusal = `sec.call.refused.${String(body.error ?? '').replace(/^call_/, '')}`;
    return setMessage(out, has(refusal) ? t(refusal) : t('sec.call.failed', { error: body.message || String(r.status) }));
  }
  setMessage(out, t('sec.call.sent'), 'ok');
  refresh();
}

function renderChosen() {
  const c = sec.chosen;
  const node = $('#chosen');
  node.className = c ? 'chosen picked' : 'chosen';
  node.replaceChildren(...(c ? [el('span', { class: 'name' }, c.name), el('span', { class: 'unit' }, [c.unit, c.seat].filter(Boolean).join(' · '))] : [t('sec.choose')]));
}

function renderCandidates() {
  const q = fold($('#search-input').value.trim());
  // The server matches too; filtering here keeps the list in step with
  // every key while its answer is on the way.
  const list = sec.list.filter((c) => q.split(/\s+/).every((w) => fold(c.name).includes(w)));
  $('#candidates').replaceChildren(...(list.length ? list.map((c) => el('li', {}, el('button', {
    type: 'button', 'data-testid': 'candidate', class: 'candidate', 'aria-pressed': String(sec.chosen?.person === c.person),
    onclick: () => { sec.chosen = c; renderChosen(); renderCandidates(); $('#reason-input').focus(); },
  },
  el('span', { class: 'name' }, c.name),
  el('span', { class: 'unit' }, [c.unit, c.seat].filter(Boolean).join(' · ')),
  c.checked_in ? el('span', { class: 'tag ok' }, t('sec.checked_in')) : null,
  c.invited ? null : el('span', { class: 'tag warn' }, t('sec.not_invited'))))) : [el('li', { class: 'empty' }, t('sec.no_match'))]));
}

let searchTimer;
function search() {
  renderCandidates();
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    if (!sec.meeting) return;
    const seq = ++sec.seq;
    const q = $('#search-input').value.trim();
    const r = await call(`/api/candidates?meeting=${encodeURIComponent(sec.meeting)}&q=${encodeURIComponent(q)}`).catch(() => null);
    if (!r?.ok || seq !== sec.seq) return;
    sec.list = await r.json();
    renderCandidates();
  }, 120);
}

async function checkIn(e) {
  e.preventDefault();
  const out = $('#checkin-result');
  const reason = $('#reason-input').value.trim();
  const c = sec.chosen;
  if (!c) return setMessage(out, t('sec.choose'));
  if (!reason) {
    $('#reason-input').focus();
    return setMessage(out, t('sec.reason_needed'));
  }
  const r = await call('/api/checkin', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ meeting: sec.meeting, person: c.person, reason }),
  }).catch(() => null);
  if (!r) return setMessage(out, t('pin.error'));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const why = body.error === 'reason_required' ? t('sec.reason_needed') : body.message || String(r.status);
    return setMessage(out, t('sec.failed', { error: why }));
  }
  if (body.recorded) {
    setMessage(out, t(body.late ? 'sec.done_late' : 'sec.done', { name: c.name, time: clock(body.at) }), 'ok');
    $('#reason-input').value = '';
    sec.chosen = null;
    renderChosen();
  } else {
    const key = `notice.${body.notice}`;
    setMessage(out, `${c.name}: ${has(key) ? t(key, { time: clock(body.at) }) : t('notice.other')}`, 'warn');
  }
  search();
  refresh();
}

// exportCSV fetches the list with the CSRF token (the export is put on
// record) and hands it to the browser as a download.
async function exportCSV() {
  const out = $('#checkin-result');
  const r = await call(`/api/attendance.csv?meeting=${encodeURIComponent(sec.meeting)}`).catch(() => null);
  if (!r?.ok) return setMessage(out, t('sec.export_failed', { error: r ? r.status : t('pin.error') }));
  const name = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') ?? '')?.[1] ?? 'attendance.csv';
  const url = URL.createObjectURL(await r.blob());
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// --- technician -----------------------------------------------------------

function faceReason(code) {
  return has(`face.reason.${code}`) ? t(`face.reason.${code}`) : code;
}

function renderTechnician(s) {
  const panel = $('[data-testid="doctor-panel"]');
  panel.hidden = !s.kiosk?.doctor;
  scanners = (s.devices ?? []).filter((d) => d.kind === 'serial' || d.kind === 'hid').map((d) => d.name);
  $('[data-testid="doctor-scan"]').hidden = scanners.length === 0;
  renderDoctor();
  $('#tech-summary').textContent = t('tech.summary', { device: s.device, site: s.site, gate: s.gate, time: dateTime(s.started) });
  $('#tech-devices').replaceChildren(table(['tech.device', 'tech.kind', 'tech.state', 'tech.detail'], (s.devices ?? []).map((d) => ({
    cells: [d.name, d.kind, el('span', { class: d.ok ? 'state ok' : 'state bad' }, t(d.ok ? 'tech.ok' : 'tech.fault')), d.detail || ''],
  }))));
  const v = s.versions ?? {};
  const dd = (k, val) => [el('dt', {}, t(k)), el('dd', {}, val === undefined || val === '' || val === 0 ? t('tech.none') : String(val))];
  $('#tech-versions').replaceChildren(...dd('tech.software', v.software || s.version), ...dd('tech.config', v.config),
    ...dd('tech.gallery', v.gallery), ...dd('tech.schedule', v.schedule));
  const g = s.gallery ?? {};
  const sync = g.sync ?? {};
  let syncText = t('tech.sync_idle');
  if (sync.total && sync.received < sync.total) syncText = t('tech.sync_progress', sync);
  else if (sync.version) syncText = t('tech.sync_done');
  $('#tech-gallery').replaceChildren(...kids(
    el('dl', {}, dd('tech.version', g.version), dd('tech.model', g.model), dd('tech.people', String(g.people ?? 0)), dd('tech.templates', String(g.templates ?? 0)),
      el('dt', {}, t('tech.sync')), el('dd', {}, syncText)),
    sync.total ? el('progress', { max: sync.total, value: sync.received }) : null,
    sync.error ? el('p', { class: 'state bad' }, t('tech.sync_error', { error: sync.error })) : null));
  const l = s.link;
  const o = s.outbox ?? {};
  const link = !l ? t('tech.no_link')
    : l.connected ? t('tech.connected', { acked: l.acked, inflight: l.in_flight })
      : t('tech.disconnected', { error: l.last_error || t('tech.connecting') });
  $('#tech-outbox').replaceChildren(...kids(
    el('p', { class: l && !l.connected ? 'state bad' : undefined }, link),
    el('p', {}, o.pending ? t('tech.pending', { count: o.pending, time: dateTime(o.oldest) }) : t('tech.delivered')),
    l?.alarm ? el('p', { class: 'state bad' }, t('tech.alarm')) : null));
  const pu = s.purge ?? {};
  const deleted = Object.entries(pu.deleted ?? {}).filter(([, n]) => n > 0).map(([table, n]) => `${table} ${n}`).join(', ');
  $('#tech-purge').replaceChildren(...kids(
    el('p', {}, pu.at ? t('tech.purge_last', { time: dateTime(pu.at), deleted: deleted || t('tech.purge_nothing') }) : t('tech.none')),
    pu.error ? el('p', { class: 'state bad' }, t('tech.sync_error', { error: pu.error })) : null));
  $('#tech-entries').replaceChildren(table(['tech.time', 'tech.result', 'tech.who', 'tech.scanner'], (s.entries ?? []).map((e) => ({
    class: e.granted ? 'granted' : 'denied',
    cells: [clock(e.at), e.granted ? t('gate.allowed') : `${t('gate.denied')}: ${has(`gate.reason.${e.reason}`) ? t(`gate.reason.${e.reason}`) : e.reason}`,
      [e.name, e.host && t('gate.visiting', { host: e.host })].filter(Boolean).join(' · ') || '—', e.scanner],
  }))));
  $('#tech-faces-panel').hidden = !s.recognitions;
  $('#tech-faces').replaceChildren(table(['tech.time', 'tech.who', 'tech.score'], (s.recognitions ?? []).map((r) => ({
    class: r.unknown ? 'denied' : 'granted',
    cells: [clock(r.at), r.unknown ? faceReason(r.reason) : `${r.name || r.person} (${r.person})`, r.unknown ? '—' : r.score.toFixed(2)],
  }))));
}

// --- self-test --------------------------------------------------------------

// doctor is the last self-test shown: its results as they came, the check
// running now with what the technician must do, and how it ended.
const doctor = { running: null, prompt: null, results: [], report: null, error: null };
let scanners = []; // the scanners' names, from the staff status, for the test scan

// runDoctor asks the agent for a self-test and shows each result as the
// stream brings it; interactive names the checks a technician takes part in.
async function runDoctor(interactive) {
  Object.assign(doctor, { running: null, prompt: null, results: [], report: null, error: null });
  for (const b of document.querySelectorAll('[data-doctor]')) b.disabled = true;
  renderDoctor();
  try {
    const r = await call('/api/doctor', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ interactive }) });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      doctor.error = r.status === 409 ? t('tech.doctor_busy') : t('tech.doctor_error', { error: body.message || r.status });
      return;
    }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (ev.running) Object.assign(doctor, { running: ev.running, prompt: ev.prompt ?? null });
        if (ev.result) { doctor.results.push(ev.result); doctor.running = doctor.prompt = null; }
        if (ev.report) doctor.report = ev.report;
        renderDoctor();
      }
    }
  } catch (err) {
    doctor.error = t('tech.doctor_error', { error: String(err) });
  } finally {
    for (const b of document.querySelectorAll('[data-doctor]')) b.disabled = false;
    renderDoctor();
  }
}

const verdictClass = { ok: 'state ok', warning: 'state warn', failure: 'state bad' };

function renderDoctor() {
  const lang = language();
  const status = $('#doctor-status');
  let text = '';
  let cls = 'message muted';
  if (doctor.error) { text = doctor.error; cls = 'message bad'; }
  else if (doctor.prompt) { text = doctor.prompt[lang]; cls = 'message warn'; }
  else if (doctor.running) text = t('tech.doctor_running', { check: doctor.running });
  else if (doctor.report) {
    const n = { ok: 0, warning: 0, failure: 0 };
    for (const r of doctor.report.results) n[r.verdict]++;
    text = t('tech.doctor_done', { ok: n.ok, warnings: n.warning, failures: n.failure, seconds: (doctor.report.took_ns / 1e9).toFixed(1) });
    cls = n.failure ? 'message bad' : n.warning ? 'message warn' : 'message ok';
  }
  status.textContent = text;
  status.className = cls;
  status.hidden = text === '';
  $('#doctor-results').replaceChildren(doctor.results.length === 0 ? '' : table(['tech.doctor_check', 'tech.doctor_verdict', 'tech.doctor_found', 'tech.doctor_remedy'], doctor.results.map((r) => ({
    class: `doctor-${r.verdict}`,
    cells: [r.check, el('span', { class: verdictClass[r.verdict] }, t(`tech.verdict_${r.verdict}`)),
      r.detail ? `${r.summary[lang]} (${r.detail})` : r.summary[lang], el('span', { class: 'remedy' }, r.remedy ? r.remedy[lang] : '')],
  }))));
}

// loadStaff fetches the whole status for the technician's view; null
// elsewhere, so the board never holds what only staff may see.
export async function loadStaff(view) {
  if (view !== 'technician' || session.role !== 'technician') return null;
  const r = await call('/api/staff/status', { cache: 'no-store' });
  return r.ok ? r.json() : null;
}

export function renderStaff(s, staff, view) {
  if (view === 'secretary') renderSecretary(s);
  if (view === 'technician' && staff) renderTechnician(staff);
  if (view === 'pin') $('#pin-role').textContent = t($('#pin-role').dataset.t ?? 'pin.secretary');
}

export function setupStaff() {
  const pad = $('#keypad');
  const input = $('#pin-input');
  for (const k of ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'del', '0', 'ok']) {
    if (k === 'ok') {
      pad.append(el('button', { class: 'primary', 'data-testid': 'pin-submit', 'data-t': 'pin.submit' }, t('pin.submit')));
    } else if (k === 'del') {
      pad.append(el('button', { type: 'button', class: 'quiet', 'data-t': 'pin.delete', onclick: () => { input.value = input.value.slice(0, -1); } }, t('pin.delete')));
    } else {
      pad.append(el('button', { type: 'button', onclick: () => { input.value += k; } }, k));
    }
  }
  $('#pin-form').addEventListener('submit', login);
  $('#checkin-form').addEventListener('submit', checkIn);
  $('#search-input').addEventListener('input', search);
  $('#export-csv').addEventListener('click', exportCSV);
  for (const b of document.querySelectorAll('[data-call]')) b.addEventListener('click', () => controlCall(b.dataset.call));
  for (const b of document.querySelectorAll('[data-preset]')) {
    b.addEventListener('click', () => { $('#reason-input').value = t(b.dataset.preset); });
  }
  for (const b of document.querySelectorAll('.logout')) b.addEventListener('click', logout);
  for (const b of document.querySelectorAll('[data-doctor]')) {
    b.addEventListener('click', () => {
      const what = b.dataset.doctor;
      runDoctor(what === '' ? [] : what === 'scan' ? scanners.map((n) => `scan:${n}`) : [what]);
    });
  }
  for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, () => { lastTouch = Date.now(); }, { passive: true });
  setInterval(() => {
    if (['pin', 'secretary', 'technician'].includes(state.view) && Date.now() - lastTouch > idleMs) logout();
  }, 10_000);
}
