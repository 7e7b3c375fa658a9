// The status page: fetch /api/status, render, and refetch on every
// server-sent "change" event (the browser reconnects the stream by itself).
'use strict';

const reasons = {
  garbage: 'Not a readable pass',
  malformed: 'Damaged or incomplete pass',
  too_large: 'Pass too large',
  bad_algorithm: 'Pass signed the wrong way',
  unknown_issuer: 'Pass from an unknown issuer',
  bad_signature: 'Forged or altered pass',
  bad_claims: 'Pass content is invalid',
  expired: 'Pass has expired',
  not_yet_valid: 'Pass is not valid yet',
  revoked: 'Pass was cancelled',
  used_up: 'Pass already used',
  wrong_gate: 'Pass is for another entrance',
  passback: 'Pass was just used',
  clock_unsynced: 'Gate clock not set; ask the guard',
  cccd_not_allowed: 'ID cards are not accepted here',
  no_visit: 'No visit registered for this ID card',
  door_unavailable: 'Door is out of order',
};

const faceReasons = {
  not_recognised: 'Not recognised: use a QR pass or ask the secretary',
  too_small: 'Too far from the camera',
  blurry: 'Image too blurred',
  turned_away: 'Not facing the camera',
  tilted: 'Not facing the camera',
  rolled: 'Head tilted',
  too_dark: 'Too dark',
  too_bright: 'Too bright',
  clipped: 'Face at the edge of the picture',
  low_score: 'Face not clear',
  eyes_too_close: 'Too far from the camera',
};

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function render(s) {
  document.getElementById('where').textContent = `${s.site} / ${s.gate}`;
  document.getElementById('meta').textContent = `device ${s.device} · version ${s.version} · up since ${new Date(s.started).toLocaleString()}`;
  fill(document.querySelector('#devices tbody'), s.devices.map(d => {
    const tr = document.createElement('tr');
    tr.append(cell(d.name), cell(d.kind), cell(d.ok ? 'OK' : 'FAULT', d.ok ? 'ok' : 'bad'), cell(d.detail, 'detail'));
    return tr;
  }));
  const o = s.outbox;
  const backlog = o.pending === 0
    ? 'All records delivered.'
    : `${o.pending} record(s) waiting, oldest from ${new Date(o.oldest).toLocaleString()}.`;
  const l = s.link;
  const link = !l ? 'No city broker configured: records stay on this box.'
    : l.connected ? `Connected to the city; ${l.acked} acknowledged, ${l.in_flight} in flight.`
    : `Not connected to the city (${l.last_error || 'connecting'}); records wait here.`;
  const out = document.getElementById('outbox');
  out.textContent = `${link} ${backlog}${l && l.alarm ? ' ALARM: the outbox is full; records are kept, nothing is dropped.' : ''}`;
  out.className = l && (!l.connected || l.alarm) ? 'bad' : '';
  const faces = document.getElementById('faces');
  faces.hidden = !s.recognitions;
  fill(document.querySelector('#recognitions tbody'), (s.recognitions || []).map(r => {
    const tr = document.createElement('tr');
    tr.className = r.unknown ? 'denied' : 'granted';
    const who = r.unknown ? (faceReasons[r.reason] || r.reason) : `${r.name || r.person} (${r.person})`;
    tr.append(cell(new Date(r.at).toLocaleTimeString()), cell(who), cell(r.unknown ? '—' : r.score.toFixed(2)), cell(r.unknown ? '—' : r.margin.toFixed(2)));
    return tr;
  }));
  fill(document.querySelector('#entries tbody'), (s.entries || []).map(e => {
    const tr = document.createElement('tr');
    tr.className = e.granted ? 'granted' : 'denied';
    tr.dataset.reason = e.reason || '';
    const result = e.granted ? 'Allowed' : `Denied: ${reasons[e.reason] || e.reason}`;
    tr.append(cell(new Date(e.at).toLocaleTimeString()), cell(result), cell(e.name || '—'), cell(e.host || '—'), cell(e.scanner), cell(e.detail || '', 'detail'));
    return tr;
  }));
}

async function refresh() {
  try {
    const r = await fetch('/api/status', { cache: 'no-store' });
    if (r.ok) render(await r.json());
  } catch (err) {
    document.getElementById('meta').textContent = `agent unreachable: ${err}`;
  }
}

refresh();
new EventSource('/api/events').addEventListener('change', refresh);
