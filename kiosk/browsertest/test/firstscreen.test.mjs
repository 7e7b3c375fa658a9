// The technician's first screen of a box that is not provisioned, in a real
// browser: an agent of its own on the package's kind of config (no box
// named) with a scanner on a socat pty. It shows what to do in vi and en,
// and a claim scanned on the pty shows its steps live; a bad one, and one
// whose city does not answer, end with the reason and the remedy. A good
// claim needs the city's enrolment server: the end-to-end test's part.
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
