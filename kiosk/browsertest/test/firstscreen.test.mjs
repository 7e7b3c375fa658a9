// The technician's first screen of a box that is not provisioned, in a real
// browser: an agent of its own on the package's kind of config (no box
// named) with a scanner on a socat pty. It shows what to do in vi and en,
// and a claim scanned on the pty shows its steps live; a bad one, and one
// whose city does not answer, end with the reason and the remedy; a good
// one, from the city's real enrolment server (roomgate-city enrol), ends
// with every step ticked and the screen giving way to the board.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { launch, root, shoot, tid } from '../lib.mjs';

const run = promisify(execFile);
let dir;
let agent;
let socat;
let enrol;
let url;
let browser;
let log = '';

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'roomgate-firstscreen-'));
  await run('go', ['build', '-o', path.join(dir, 'roomgate'), './agent/cmd/roomgate'], { cwd: root, env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` } });
  socat = spawn('socat', [`pty,raw,echo=0,link=${dir}/scanner-device`, `pty,raw,echo=0,link=${dir}/scanner`], { stdio: 'ignore' });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await writeFile(path.join(dir, 'roomgate.yaml'), `board: generic
scanners:
  - {name: front-scanner, type: serial, path: scanner-device, baud: 9600, terminator: cr}
http: {listen: "127.0.0.1:${port}"}
kiosk: {language: vi}
provisioning: {dir: ${dir}/state/provisioning}
`);
  agent = spawn(path.join(dir, 'roomgate'), ['agent', '-config', path.join(dir, 'roomgate.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  agent.stderr.on('data', (d) => { log += d; });
  for (let i = 0; i < 200 && !log.includes('scanner connected'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(log, /scanner connected/, `the agent did not start:\n${log}`);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  agent?.kill();
  socat?.kill();
  enrol?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// scan writes text to the scanner's pty, as the scanner sends a QR code.
const scan = (text) => writeFile(path.join(dir, 'scanner'), `${text}\r`);

test('the first screen says the box is not provisioned, in vi and en, and shows a failed claim with its reason and remedy', async () => {
  const page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
  const problems = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(url);
  await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator(tid('setup-title')).innerText(), 'Thiết bị chưa được cấp phép');
  assert.match(await page.locator(tid('setup-scan')).innerText(), /Quét mã QR cấp phép.*front-scanner/);
  assert.equal(await page.locator(tid('setup-host')).innerText(), os.hostname());
  assert.match(await page.locator(tid('setup-version')).innerText(), /\S/);
  await shoot(page, 'firstscreen-vi');
  await page.locator(tid('lang-switch')).click();
  assert.equal(await page.locator(tid('setup-title')).innerText(), 'This box is not provisioned');

  // Not a claim: ignored, nothing on the screen.
  await scan('just some QR code');
  for (let i = 0; i < 50 && !log.includes('not a claim'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(log, /scan ignored: not a claim/);
  assert.equal(await page.locator(tid('setup-status')).innerText(), '');

  // A claim that is not valid: the claim step fails with its remedy.
  await scan('RGCLAIM1:bm90LWpzb24');
  await page.waitForFunction(() => /claim_invalid/.test(document.querySelector('[data-testid="setup-status"]').textContent), null, { timeout: 10_000 });
  assert.match(await page.locator(tid('setup-status')).innerText(), /This is not a valid claim: scan the claim QR code again/);
  assert.match(await page.locator(tid('setup-steps')).innerText(), /Read the claim\s+✗ Failed/);
  await shoot(page, 'firstscreen-bad-claim');

  // A well-formed claim whose enrolment server does not answer: the box's
  // own steps pass, then the CA step fails, in Vietnamese after the switch.
  const claim = 'RGCLAIM1:' + Buffer.from(JSON.stringify({
    url: 'https://127.0.0.1:1', ca: `sha256:${'ab'.repeat(32)}`, dev: 'gate-01', kind: 'gate', site: 'hq',
    tok: Buffer.alloc(16, 7).toString('base64url'), exp: Math.floor(Date.now() / 1000) + 3600,
  })).toString('base64url');
  await page.locator(tid('lang-switch')).click();
  await scan(claim);
  await page.waitForFunction(() => /unreachable/.test(document.querySelector('[data-testid="setup-status"]').textContent), null, { timeout: 10_000 });
  assert.match(await page.locator(tid('setup-status')).innerText(), /kiểm tra cáp mạng, DNS/);
  const steps = await page.locator(tid('setup-steps')).innerText();
  assert.match(steps, /Tạo khóa của thiết bị\s+✓ Xong/);
  assert.match(steps, /Kiểm tra cơ quan cấp chứng thư của thành phố\s+✗ Thất bại/);
  await shoot(page, 'firstscreen-unreachable');

  // A page opened later shows the same steps.
  const late = await browser.newPage();
  await late.goto(url);
  await late.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
  assert.match(await late.locator(tid('setup-status')).innerText(), /unreachable/);
  await late.close();
  assert.ok(!log.includes(Buffer.alloc(16, 7).toString('base64url')), 'the log holds the token');
  assert.deepEqual(problems, []);
  await page.close();
});

test("a claim from the city's enrolment server provisions the box: every step ticked, then the board", async () => {
  const city = path.join(dir, 'city');
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` };
  const cityBin = path.join(dir, 'roomgate-city');
  await run('go', ['build', '-o', cityBin, './deploy/city/cmd/roomgate-city'], { cwd: root, env });
  const rc = (...args) => run(cityBin, args);
  await rc('ca', 'init', '-dir', `${city}/ca`);
  await rc('keygen', '-kid', 'city-ops', '-out', `${city}/keys`);
  await rc('keygen', '-kid', 'passes-2026', '-out', `${city}/keys`);
  // The city's standard gate: this box's scanner, and its kiosk where the
  // first screen was, so the page turns into the board.
  await writeFile(`${city}/gate.yaml`, `scanners:
  - {name: front-scanner, type: serial, path: ${dir}/scanner-device, baud: 9600, terminator: cr}
http: {listen: "${new URL(url).host}"}
kiosk: {language: vi}
policy: {clock_source: trusted}
`);
  const enrolPort = await freePort();
  let served = '';
  enrol = spawn(cityBin, ['enrol', '-listen', `127.0.0.1:${enrolPort}`, '-hosts', '127.0.0.1', '-dir', `${city}/enrol`, '-ca-dir', `${city}/ca`,
    '-broker', 'ssl://127.0.0.1:1', '-city-key', `${city}/keys/city-ops.pub`, '-issuer', `passes-2026=city:${city}/keys/passes-2026.pub`,
    '-peripherals', `gate=${city}/gate.yaml`], { stdio: ['ignore', 'pipe', 'ignore'] });
  enrol.stdout.on('data', (d) => { served += d; });
  for (let i = 0; i < 100 && !served.includes('Serving enrolment'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(served, /Serving enrolment/);
  const { stdout } = await rc('claim', 'create', '-dir', `${city}/enrol`, '-ca-dir', `${city}/ca`, '-url', `https://127.0.0.1:${enrolPort}`,
    '-device', 'gate-01', '-kind', 'gate', '-site', 'hq', '-gate', 'main-gate', '-board', 'sim', '-valid', '1h');
  const claim = stdout.split('\n').find((l) => l.startsWith('RGCLAIM1:'));
  assert.ok(claim, `claim create printed no claim:\n${stdout}`);

  const page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
  const problems = [];
  page.on('pageerror', (err) => problems.push(err.message));
  // The box provisions and restarts in a fraction of a second, and the page
  // then reloads into the board: what the first screen showed is recorded
  // as it changes rather than looked at afterwards.
  const seen = [];
  await page.exposeFunction('rgSeen', (status, steps) => seen.push({ status, steps }));
  await page.addInitScript(() => {
    new MutationObserver(() => {
      const status = document.querySelector('[data-testid="setup-status"]');
      if (status) window.rgSeen(status.textContent, document.querySelector('[data-testid="setup-steps"]')?.innerText ?? '');
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(url);
  await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
  if (await page.locator(tid('setup-title')).innerText() !== 'This box is not provisioned') await page.locator(tid('lang-switch')).click();
  await scan(claim);
  // The agent restarts on its config: the page gives way to the board.
  await page.locator(tid('board')).waitFor({ state: 'visible', timeout: 20_000 })
    .catch((err) => { throw new Error(`${err.message}\nagent:\n${log.slice(-3000)}`); });
  const done = seen.find((s) => /Provisioned/.test(s.status));
  assert.ok(done, `the first screen never said Provisioned; it showed:\n${seen.map((s) => s.status).join('\n')}`);
  for (const step of ['Read the claim', "Make the box's key", 'Check the city', "Get the box's certificate", "Get the box's first config", 'Check the certificate and the config', 'Save the provisioning']) {
    assert.match(done.steps, new RegExp(`${step}[^\\n]*\\s+✓ Done`), `${step} not ticked:\n${done.steps}`);
  }
  assert.match(log, /running on the provisioned config/);
  assert.ok(!log.includes(claim.slice(20)), 'the log holds the claim');
  await shoot(page, 'firstscreen-board');
  assert.deepEqual(problems, []);
  await page.close();
});
