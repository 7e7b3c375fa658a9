// The greeting benchmark: from a person's first frame on the camera to
// their greeting painted in the kiosk, split by stage, for each decision
// rule in turn (the same video, people and browser), with the agent's CPU
// meanwhile, then the kiosk's page weight and the browser's memory after a
// run of simulated check-ins.
//
//   node kiosk/browsertest/bench.mjs [--people 60] [--checkins 50] [--duration 2m]
//     [--decisions vote,sequential] [--link slim|full] [--fps 5]
//     [--detect-width 640] [--vision 'evidence: {intercept: -90}'] [--keep]
//
// (after npm ci in kiosk/browsertest, which run.sh does)
//
// It builds roomgate (with the face engine), makes a camera video of
// --people LFW faces (benchmedia), enrols them, gives the agent a schedule
// of back-to-back meetings, each one pass of the video long and inviting
// them all, so that the looping video keeps checking people in, and drives
// the kiosk in Debian's Chromium. Each rule gets a fresh agent on the same
// store and its own meetings; the soak runs on the last rule. --link full
// builds the agent against every OpenCV module instead of the shipped link
// (vision/slimcv.sh), to compare. --fps is the video's and the camera's
// frame rate; --detect-width is vision.detect_width (the config's default
// without it); --vision adds lines to the config's vision section,
// separated by ";", to measure what a setting costs. Beside that page, a plain Chromium with no
// DevTools client shows the kiosk too: its memory is a real screen's, free
// of what playwright's watching of every request keeps in the renderer.
// The agent runs alone (no broker, no scanner) in a fresh folder, removed
// afterwards unless --keep.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromiumArgs, chromiumPath, launch, ready, root, tid } from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    people: { type: 'string', default: '60' },
    checkins: { type: 'string', default: '50' },
    duration: { type: 'string', default: '2m' },
    decisions: { type: 'string', default: 'vote,sequential' },
    link: { type: 'string', default: 'slim' },
    fps: { type: 'string', default: '5' },
    'detect-width': { type: 'string', default: '' },
    vision: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
  },
});
const decisions = opt.decisions.split(',');
for (const d of decisions) if (!['vote', 'sequential'].includes(d)) throw new Error(`--decisions: ${d} is not vote or sequential`);
if (opt['detect-width'] && !(Number.isInteger(Number(opt['detect-width'])) && Number(opt['detect-width']) >= 160)) throw new Error(`--detect-width ${opt['detect-width']}: want a whole number of pixels, 160 or more`);
if (!['slim', 'full'].includes(opt.link)) throw new Error(`--link ${opt.link}: want slim or full`);
if (!(Number.isInteger(Number(opt.fps)) && Number(opt.fps) > 0)) throw new Error(`--fps ${opt.fps}: want a whole number of frames per second`);
const people = Number(opt.people);
const wantCheckins = Number(opt.checkins);
const soakMs = parseDuration(opt.duration);
// benchmedia's defaults: 2 s in front of the camera, 1.2 s of empty doorway.
const passMs = people * 3200;

function parseDuration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`--duration ${s}: want e.g. 90s, 2m, 1h`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[m[2]];
}

const env = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` };

// run runs a command to its end from the repository root (where the agent
// finds its models) and gives its stdout; stderr is shown if it fails.
function run(cmd, args, { okCodes = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errs = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (errs += d));
    p.on('error', reject);
    p.on('close', (code) => (okCodes.includes(code) ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${errs}`))));
  });
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'roomgate-bench-'));
const port = 18000 + Math.floor(Math.random() * 2000);
const kiosk = `http://127.0.0.1:${port}`;
let agent;
let browser;
let plain;
// Ctrl-C during a long run still stops the agent and the plain browser,
// which run in their own groups.
process.on('SIGINT', () => {
  for (const p of [agent, plain]) if (p) process.kill(-p.pid, 'SIGTERM');
  process.exit(130);
});

async function main() {
  console.log(`bench: building roomgate and the media for ${people} people in ${dir}`);
  const out = path.join(dir, 'roomgate');
  if (opt.link === 'slim') await run('vision/slimcv.sh', ['go', 'build', '-tags', 'vision,customenv', '-o', out, './agent/cmd/roomgate']);
  else await run('go', ['build', '-tags', 'vision', '-o', out, './agent/cmd/roomgate']);
  await run('go', ['run', '-tags', 'vision', './kiosk/browsertest/benchmedia', '-people', String(people), '-fps', opt.fps, '-out', dir]);
  await writeFile(path.join(dir, 'roomgate.yaml'), config(decisions[0]));
  // The config check wants meetings.file to exist; the schedule proper
  // needs to know who enrolled.
  await writeFile(path.join(dir, 'meetings.json'), JSON.stringify(schedule([], 0, '')));
  // A face that matches someone already enrolled is refused (exit 1): it
  // stays on the video as an unknown face, and is not invited.
  const report = JSON.parse(await run(path.join(dir, 'roomgate'),
    ['enroll', '--config', path.join(dir, 'roomgate.yaml'), '--csv', path.join(dir, 'people.csv'), '--json'], { okCodes: [0, 1] }));
  const enrolled = report.photos.filter((p) => p.accepted).map((p) => ({ person: p.person, name: p.name }));
  console.log(`bench: ${enrolled.length} of ${people} enrolled, ${report.refused} refused`);
  if (enrolled.length < wantCheckins) throw new Error(`only ${enrolled.length} people enrolled, want ${wantCheckins} check-ins`);
  const latencyBudget = passMs * 1.5 + 60_000;
  browser = await launch(); // ready before the agent, so the first faces are not missed

  const runs = [];
  const samples = [];
  let loaded;
  let page;
  let cdp;
  let browserCDP;
  let events;
  let rendered;
  let collect;
  let weight;
  let traffic;
  let trafficStart;
  let loadBytes;
  for (const [i, decision] of decisions.entries()) {
    const last = i === decisions.length - 1;
    // Meetings of their own, so the last rule's people are not already in.
    await writeFile(path.join(dir, 'roomgate.yaml'), config(decision));
    await writeFile(path.join(dir, 'meetings.json'), JSON.stringify(schedule(enrolled, latencyBudget + (last ? soakMs + passMs : 0), decision)));
    agent = spawn(path.join(dir, 'roomgate'), ['agent', '--config', path.join(dir, 'roomgate.yaml')],
      { cwd: root, env, detached: true, stdio: ['ignore', 'ignore', openSync(path.join(dir, `agent-${decision}.log`), 'w')] });
    agent.on('close', (code) => code !== null && code !== 0 && console.error(`bench: the agent exited ${code}; see ${dir}/agent-${decision}.log`));
    await waitFor(`${kiosk}/api/status`, 60_000);

    events = listen(`${kiosk}/api/events`);
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    page = await context.newPage();
    weight = pageWeight(page);
    await page.goto(kiosk, { waitUntil: 'load' });
    if (last) {
      plain = spawn(chromiumPath, [...chromiumArgs, `--user-data-dir=${path.join(dir, 'plain-profile')}`, '--window-size=1920,1080', kiosk],
        { detached: true, stdio: 'ignore' });
    }
    await ready(page);
    await page.waitForTimeout(2000); // what the page fetches right after load (status, first preview)
    loadBytes = weight.done();
    traffic = pageWeight(page); // what the page keeps fetching: the live preview
    trafficStart = Date.now();

    cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    browserCDP = await browser.newBrowserCDPSession();
    rendered = new Map();
    const seen = rendered;
    const thisPage = page;
    collect = async () => {
      const list = await thisPage.evaluate(() => window.roomgateKiosk?.greetings ?? []);
      for (const g of list) if (!seen.has(g.id)) seen.set(g.id, g.renderedAt);
    };

    // Latency: until enough greetings have been both pushed and painted.
    if (last) {
      loaded = Date.now();
      samples.push({ at: 0, ...(await memory(cdp, browserCDP)), greetings: 0 });
    }
    console.log(`bench: ${decision}: waiting for ${wantCheckins} check-ins (one pass of the video is ${Math.round(passMs / 1000)} s)`);
    const cpuStart = { cpu: await cpuMs(agent.pid), at: Date.now() };
    const latencyUntil = Date.now() + latencyBudget;
    while (Date.now() < latencyUntil && matched(events.greetings, rendered).length < wantCheckins) {
      await page.waitForTimeout(1000);
      await collect();
    }
    const cpu = (100 * ((await cpuMs(agent.pid)) - cpuStart.cpu)) / (Date.now() - cpuStart.at);
    runs.push({ decision, rows: matched(events.greetings, rendered), pushed: events.greetings.length, cpu });
    if (last) break;
    events.stop();
    await context.close();
    await stop(agent);
  }
  // Soak: the video keeps looping, each meeting greets everyone again.
  console.log(`bench: simulated check-ins for ${opt.duration}`);
  const soakStart = Date.now();
  samples.push({ at: soakStart - loaded, ...(await memory(cdp, browserCDP)), greetings: rendered.size });
  const sampleEvery = Math.max(10_000, soakMs / 12);
  let next = soakStart + sampleEvery;
  while (Date.now() < soakStart + soakMs) {
    await page.waitForTimeout(Math.min(1000, Math.max(0, soakStart + soakMs - Date.now())));
    await collect();
    if (Date.now() >= next) {
      samples.push({ at: Date.now() - loaded, ...(await memory(cdp, browserCDP)), greetings: rendered.size });
      next += sampleEvery;
    }
  }
  await collect();
  if (Date.now() - loaded - samples.at(-1).at > 1000) samples.push({ at: Date.now() - loaded, ...(await memory(cdp, browserCDP)), greetings: rendered.size });
  await cdp.send('HeapProfiler.collectGarbage');
  const afterGC = await memory(cdp, browserCDP);
  events.stop();

  for (const r of runs) printLatency(r);
  printSideBySide(runs);
  printWeight(loadBytes, traffic.done(), Date.now() - trafficStart);
  printMemory(samples, afterGC, events);
  for (const r of runs) if (r.rows.length < wantCheckins) throw new Error(`${r.decision}: only ${r.rows.length} check-ins measured, want ${wantCheckins}`);
}

function config(decision) {
  return `# The greeting benchmark's box (bench.mjs writes it): the camera plays the
# bench video, meetings come from the local file, nothing syncs.
identity: {site: bench, gate: bench-room, device: bench-box}
board: sim
policy: {clock_source: trusted}
store: {path: roomgate.db}
http: {listen: "127.0.0.1:${port}"}
vision:
  camera: {name: door-cam, kind: file, path: bench.avi, max_fps: ${Number(opt.fps)}}
  decision: ${decision}${opt['detect-width'] ? `\n  detect_width: ${Number(opt['detect-width'])}` : ''}${opt.vision.split(';').filter((l) => l.trim()).map((l) => `\n  ${l.trim()}`).join('')}
meetings: {file: meetings.json}
kiosk: {language: vi, secretary_pin: "246810", technician_pin: "135790"}
`;
}

// schedule is back-to-back meetings of one pass of the video each, all
// inviting everyone enrolled, from now for spanMs; tag keeps each rule's
// meetings apart.
function schedule(enrolled, spanMs, tag) {
  const t0 = Date.now() - 5000;
  const iso = (ms) => new Date(ms).toISOString();
  const meetings = [];
  for (let i = 0; i * passMs < spanMs; i++) {
    const start = t0 + i * passMs;
    const end = start + passMs;
    meetings.push({
      id: `bench-${tag}-${i + 1}`, title: `Phiên ${i + 1}`, room: 'bench-room',
      start: iso(start), end: iso(end), checkin_opens: iso(start), checkin_closes: iso(end - 1),
      invitees: enrolled.map((p, j) => ({ person: p.person, name: p.name, unit: `Đoàn ${(j % 10) + 1}`, role: 'Đại biểu', seat: `${String.fromCharCode(65 + (j % 6))}${Math.floor(j / 6) + 1}` })),
    });
  }
  return { version: 1, meetings };
}

async function waitFor(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    if (Date.now() > until) throw new Error(`${url} did not answer in ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// listen reads the kiosk's event stream as a page does, keeping the
// greetings (with their stage times) and counting the other kinds.
function listen(url) {
  const out = { greetings: [], counts: {}, stop: () => ac.abort() };
  const ac = new AbortController();
  (async () => {
    const res = await fetch(url, { signal: ac.signal });
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let kind = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) kind = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (!data) continue;
        out.counts[kind] = (out.counts[kind] ?? 0) + 1;
        if (kind === 'greeting') out.greetings.push(JSON.parse(data));
      }
    }
  })().catch((err) => !ac.signal.aborted && console.error('bench: event stream:', err.message));
  return out;
}

// pageWeight counts the bytes each finished request took on the wire
// (headers and encoded body) until done() is called; blob: and data: URLs
// never leave the browser. The event stream never finishes, so it is not
// in the count.
function pageWeight(page) {
  const rows = [];
  const onDone = async (req) => {
    const u = new URL(req.url());
    if (u.protocol !== 'http:') return;
    const s = await req.sizes().catch(() => null);
    if (s) rows.push({ url: u.pathname, type: req.resourceType(), bytes: s.responseHeadersSize + s.responseBodySize });
  };
  page.on('requestfinished', onDone);
  return { rows, done: () => (page.off('requestfinished', onDone), rows) };
}

async function memory(cdp, browserCDP) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  const { processInfo } = await browserCDP.send('SystemInfo.getProcessInfo');
  const watched = await processesMemory(processInfo.map((p) => ({ pid: p.id, renderer: p.type === 'renderer' })));
  return { heapUsed: m.JSHeapUsedSize, heapTotal: m.JSHeapTotalSize, nodes: m.Nodes, listeners: m.JSEventListeners,
    ...watched, plain: await processesMemory(await processTree(plain.pid)) };
}

// processesMemory is a browser's largest renderer (the page's; a spare
// renderer is smaller) and the PSS of all its processes, in KB.
async function processesMemory(procs) {
  let renderer = { rss: 0, pss: 0 };
  let allPSS = 0;
  for (const p of procs) {
    const mem = await procMemKB(p.pid);
    allPSS += mem.pss;
    if (p.renderer && mem.rss > renderer.rss) renderer = mem;
  }
  return { rendererKB: renderer.rss, rendererPSS: renderer.pss, allPSS };
}

// processTree is a process and all its descendants. Chromium starts its
// children from several threads, so every thread's children are read.
async function processTree(pid) {
  const out = [];
  const walk = async (p) => {
    let cmdline;
    let tasks;
    try {
      cmdline = await readFile(`/proc/${p}/cmdline`, 'utf8');
      tasks = await readdir(`/proc/${p}/task`);
    } catch {
      return; // gone since
    }
    out.push({ pid: p, renderer: cmdline.includes('--type=renderer') });
    for (const t of tasks) {
      const kids = await readFile(`/proc/${p}/task/${t}/children`, 'utf8').catch(() => '');
      for (const k of kids.split(' ').filter(Boolean)) await walk(Number(k));
    }
  };
  await walk(pid);
  return out;
}

// procMemKB is a process's resident set and its proportional share (PSS,
// which counts pages shared between Chromium's processes once in all).
async function procMemKB(pid) {
  try {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)[1]);
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 }; // gone since
  }
}

// at is an RFC 3339 time in ms, keeping the agent's microseconds, which
// Date.parse drops: the rules and the store take about a millisecond.
function at(s) {
  const [, whole, frac = '', zone] = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(s);
  return Date.parse(whole + zone) + (frac ? Number(frac) * 1000 : 0);
}
const ms = (a, b) => at(b) - at(a);

// matched are the greetings the page painted, with their stage times in ms.
function matched(greetings, rendered) {
  return greetings.filter((g) => g.method === 'face' && g.first_frame_at && rendered.has(g.id)).map((g) => {
    const stored = g.stored_at;
    return {
      vision: ms(g.first_frame_at, g.decided_at),
      rules: g.ruled_at ? ms(g.decided_at, g.ruled_at) : undefined,
      store: g.ruled_at ? ms(g.ruled_at, stored) : undefined,
      rulesStore: ms(g.decided_at, stored),
      browser: rendered.get(g.id) - at(stored),
      total: rendered.get(g.id) - at(g.first_frame_at),
    };
  });
}

function pct(xs, p) {
  const s = xs.filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const fmtMs = (x) => (Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(1) : Math.round(x).toString()).padStart(8);

function printLatency({ decision, rows, pushed, cpu }) {
  const f = fmtMs;
  console.log(`\n${decision}: first frame → greeting painted, over ${rows.length} face check-ins (${pushed} greetings pushed; agent CPU meanwhile ${cpu.toFixed(1)} % of one core), ms`);
  console.log(`${'stage'.padEnd(44)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'max'.padStart(8)}   share of p50 total`);
  const total50 = pct(rows.map((r) => r.total), 50);
  const stages = [
    ['vision    first_frame_at → decided_at', 'vision'],
    ['rules     decided_at → ruled_at', 'rules'],
    ['store     ruled_at → stored_at', 'store'],
    ['(rules+store decided_at → stored_at)', 'rulesStore'],
    ['browser   stored_at → renderedAt (SSE, paint)', 'browser'],
    ['total     first_frame_at → renderedAt', 'total'],
  ];
  for (const [label, k] of stages) {
    const xs = rows.map((r) => r[k]);
    const p50 = pct(xs, 50);
    const share = k === 'total' || k === 'rulesStore' ? '' : `${((100 * p50) / total50).toFixed(1)}%`.padStart(9);
    console.log(`${label.padEnd(44)}${f(p50)}${f(pct(xs, 95))}${f(Math.max(...xs.filter((x) => x !== undefined)))}${share}`);
  }
}

// printSideBySide is the issue's figure: first frame → greeting painted
// for each rule against the targets (p50 ≤ 150 ms, p95 ≤ 300 ms).
function printSideBySide(runs) {
  console.log(`\nfirst frame → greeting painted, ms (targets: p50 ≤ 150, p95 ≤ 300; agent built with --link ${opt.link}, camera at ${opt.fps} fps${opt['detect-width'] ? `, detect_width ${opt['detect-width']}` : ''}${opt.vision ? `, ${opt.vision}` : ''})`);
  console.log(`${'decision'.padEnd(12)}${'n'.padStart(5)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'vision p50'.padStart(12)}${'vision p95'.padStart(12)}${'agent CPU %'.padStart(13)}`);
  for (const r of runs) {
    const total = r.rows.map((x) => x.total);
    const vision = r.rows.map((x) => x.vision);
    console.log(`${r.decision.padEnd(12)}${String(r.rows.length).padStart(5)}${fmtMs(pct(total, 50))}${fmtMs(pct(total, 95))}${fmtMs(pct(vision, 50)).padStart(12)}${fmtMs(pct(vision, 95)).padStart(12)}${r.cpu.toFixed(1).padStart(13)}`);
  }
}

// cpuMs is the CPU a process has used, user and system, in ms (/proc's
// clock ticks are 10 ms).
async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

// stop ends a process started in its own group and waits for it.
async function stop(p) {
  if (!p || p.exitCode !== null || p.signalCode !== null) return; // one that died already has nothing to stop
  const closed = new Promise((r) => p.on('close', r));
  process.kill(-p.pid, 'SIGTERM');
  await closed;
}

function printWeight(rows, later, laterMs) {
  const total = rows.reduce((a, r) => a + r.bytes, 0);
  const preview = rows.filter((r) => r.url === '/api/preview.jpg').reduce((a, r) => a + r.bytes, 0);
  const laterBytes = later.reduce((a, r) => a + r.bytes, 0);
  const paths = [...new Set(later.map((r) => r.url))].join(', ');
  console.log(`\nkiosk page weight on load (the first 2 s): ${rows.length} requests, ${(total / 1024).toFixed(1)} KiB on the wire, ` +
    `${((total - preview) / 1024).toFixed(1)} KiB without the live preview's frames`);
  console.log(`afterwards: ${later.length} requests, ${(laterBytes / 1024 / (laterMs / 1000)).toFixed(1)} KiB/s (${paths})`);
  const byPath = new Map();
  for (const r of rows) {
    const e = byPath.get(r.url) ?? { type: r.type, bytes: 0, n: 0 };
    e.bytes += r.bytes;
    e.n++;
    byPath.set(r.url, e);
  }
  for (const [url, e] of [...byPath].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`  ${url.padEnd(32)}${e.type.padEnd(12)}${String(e.n).padStart(4)} × ${(e.bytes / e.n / 1024).toFixed(1).padStart(7)} KiB`);
  }
}

function printMemory(samples, afterGC, events) {
  const mb = (b) => (b / 1048576).toFixed(1).padStart(8);
  const kmb = (kb) => (kb / 1024).toFixed(1).padStart(8);
  console.log(`\nbrowser memory during ${opt.duration} of simulated check-ins (events pushed: ${JSON.stringify(events.counts)})`);
  console.log('t since the page loaded (the soak starts at the 2nd row); JS heap from CDP Performance.getMetrics; the renderer and all Chromium processes from /proc/<pid>/smaps_rollup, MB;');
  console.log('"watched" is the page playwright drives (its instrumentation lives in the renderer too), "plain" the same kiosk in a Chromium with no DevTools client (never collected)');
  console.log(`${''.padStart(50)}${'watched'.padEnd(27)}plain`);
  console.log(`${'t (s)'.padStart(7)}${'greeted'.padStart(9)}${'heap'.padStart(8)}${'heap tot'.padStart(9)}${'nodes'.padStart(8)}${'listen.'.padStart(8)}${'rend RSS'.padStart(9)}${'rend PSS'.padStart(9)}${'all PSS'.padStart(9)}${'rend RSS'.padStart(9)}${'rend PSS'.padStart(9)}${'all PSS'.padStart(9)}`);
  for (const s of [...samples, { ...afterGC, at: samples.at(-1).at, greetings: samples.at(-1).greetings, gc: true }]) {
    console.log(`${String(Math.round(s.at / 1000)).padStart(7)}${String(s.greetings).padStart(9)}${mb(s.heapUsed)} ${mb(s.heapTotal)}${String(s.nodes).padStart(8)}${String(s.listeners).padStart(8)} ${kmb(s.rendererKB)} ${kmb(s.rendererPSS)} ${kmb(s.allPSS)} ${kmb(s.plain.rendererKB)} ${kmb(s.plain.rendererPSS)} ${kmb(s.plain.allPSS)}${s.gc ? '  (after GC)' : ''}`);
  }
}

try {
  await main();
} finally {
  await browser?.close();
  for (const p of [plain, agent]) await stop(p);
  if (opt.keep) console.log(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
