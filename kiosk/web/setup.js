// The technician's first screen of a box that is not provisioned: what to
// do, the box's version and host name, and the provisioning steps live from
// the agent's "provision" events. Once provisioned, the agent restarts on
// its config and this page gives way to the board.
import { $, boxLanguage, el, language, loadLanguages, otherLanguage, setLanguage, t, table } from './ui.js';

const state = { info: null, steps: [] };

// latest is each step's last event, in the order the steps came.
function latest() {
  const by = new Map();
  for (const ev of state.steps) by.set(ev.step, ev);
  return [...by.values()];
}

function render() {
  if (state.info) {
    $('#host').textContent = state.info.hostname;
    $('#version').textContent = state.info.version;
    const names = state.info.scanners ?? [];
    $('#scanners').textContent = names.length ? t('setup.scanners', { names: names.join(', ') }) : t('setup.no_scanner');
  }
  const steps = latest();
  const lang = language();
  $('#setup-steps').replaceChildren(steps.length === 0 ? '' : table(['setup.step', 'setup.state', 'setup.what'], steps.map((ev) => ({
    class: `step-${ev.state}`,
    cells: [ev.title[lang], t(`setup.state_${ev.state}`), ev.remedy ? `${ev.reason}: ${ev.remedy[lang]}` : (ev.detail ?? '')],
  }))));
  const last = steps.at(-1);
  let text = '';
  let cls = 'message';
  if (last?.state === 'failed') { text = t('setup.failed', { reason: last.reason, remedy: last.remedy?.[lang] ?? '' }); cls = 'message bad'; }
  else if (last?.step === 'done') { text = t('setup.done'); cls = 'message ok'; }
  else if (last) text = t('setup.running', { step: last.title[lang] });
  $('#setup-status').textContent = text;
  $('#setup-status').className = cls;
}

async function load() {
  try {
    const r = await fetch('/api/setup', { cache: 'no-store' });
    if (r.status === 404) return restarted();
    if (!r.ok) throw new Error(String(r.status));
    const s = await r.json();
    state.info = s;
    state.steps = s.steps ?? [];
    boxLanguage(s.language);
    $('#offline').hidden = true;
    render();
  } catch {
    $('#offline').hidden = false;
  }
}

// restarted: the box answers without a first screen, so it runs on its
// provisioned config now; the board takes the screen.
function restarted() {
  location.reload();
}

function listen() {
  const es = new EventSource('/api/events');
  es.addEventListener('provision', (m) => {
    const ev = JSON.parse(m.data);
    if (ev.step === 'claim' && ev.state === 'running') state.steps = [];
    state.steps.push(ev);
    render();
  });
  // After an interruption the agent may have restarted, provisioned or not.
  es.addEventListener('open', load);
  es.addEventListener('error', () => { $('#offline').hidden = es.readyState === EventSource.OPEN; });
}

async function start() {
  await loadLanguages();
  $('[data-testid="lang-switch"]').addEventListener('click', () => {
    setLanguage(otherLanguage());
    render();
  });
  listen();
  await load();
  document.documentElement.dataset.ready = 'true';
}

start();
