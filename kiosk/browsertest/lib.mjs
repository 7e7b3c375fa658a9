// Shared by the browser tests and the benchmark: Debian's Chromium through
// playwright-core, and the running demo agent they drive.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');

// Where run.sh started the demo; the defaults are the demo's own.
export const kioskURL = process.env.ROOMGATE_KIOSK_URL ?? 'http://127.0.0.1:8080';
export const runDir = process.env.ROOMGATE_DEMO_RUN ?? path.join(root, 'deploy', 'demo', 'run');
export const screenshotDir = process.env.ROOMGATE_SCREENSHOTS ?? path.join(here, 'screenshots');

export const secretaryPIN = '246810';
export const technicianPIN = '135790';

// The screens the kiosk is made for.
export const screens = [
  { width: 1024, height: 600 },
  { width: 1920, height: 1080 },
];

// Chromium as PLATFORM.md says it runs here: headless, no sandbox (root),
// and nothing that reaches for Google's hosts, which this machine's closed
// network refuses.
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// launch starts that Chromium under playwright, which gives it a fresh,
// empty user-data dir of its own and removes it on close.
export function launch() {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

// waitForKiosk polls /api/status until the agent answers.
export async function waitForKiosk(timeoutMs = 300_000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const res = await fetch(new URL('/api/status', kioskURL));
      if (res.ok) return await res.json();
      last = new Error(`GET /api/status: ${res.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the kiosk at ${kioskURL} did not answer in ${timeoutMs / 1000} s: ${last?.message}`);
}

// status is the agent's snapshot now.
export async function status() {
  const res = await fetch(new URL('/api/status', kioskURL));
  if (!res.ok) throw new Error(`GET /api/status: ${res.status}`);
  return res.json();
}

// tid is the selector of a data-testid of the DOM contract.
export const tid = (id) => `[data-testid="${id}"]`;

// ready waits until the kiosk's script has loaded its strings, the box's
// language and its listeners; the static page is there before that.
export const ready = (page) => page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });

// shoot saves the page as it is now at both kiosk screen sizes, and puts
// the page back at the size it had.
export async function shoot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  const was = page.viewportSize();
  for (const s of screens) {
    await page.setViewportSize(s);
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${s.width}x${s.height}.png`) });
  }
  if (was) await page.setViewportSize(was);
}

const run = promisify(execFile);

// scan "shows" text to the demo's QR scanner: deploy/demo/scan.sh writes it
// to the scanner's pseudo-terminal. args go to scan.sh (see it).
export async function scan(...args) {
  await run(path.join(root, 'deploy', 'demo', 'scan.sh'), args, {
    env: { ...process.env, ROOMGATE_DEMO_RUN: runDir },
  });
}

// saveText keeps a file the test downloaded, beside the screenshots.
export async function saveText(name, text) {
  await mkdir(screenshotDir, { recursive: true });
  await writeFile(path.join(screenshotDir, name), text);
}

// polyAddress is the demo's simulated Poly's own API on TCP (run.sh picks it).
export const polyAddress = process.env.ROOMGATE_DEMO_POLY_TCP ?? '127.0.0.1:2424';

// poly sends one command to the simulated Poly as a person at the terminal
// would (its API on TCP, a session of its own) and returns the reply's
// lines: what the terminal itself says, not what the box believes.
export function poly(command, timeoutMs = 5000) {
  const [host, port] = [polyAddress.slice(0, polyAddress.lastIndexOf(':')), Number(polyAddress.slice(polyAddress.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let text = '';
    let sent = false;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`the Poly at ${polyAddress} did not answer ${command}: ${JSON.stringify(text)}`)); }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('error', (err) => { clearTimeout(timer); reject(err); });
    sock.on('data', (chunk) => {
      text += chunk;
      // The port shows its prompt "-> " after the banner and after each reply.
      if (!text.endsWith('-> ')) return;
      if (!sent) {
        sent = true;
        text = '';
        sock.write(`${command}\r\n`);
        return;
      }
      clearTimeout(timer);
      // The simulator leaves a TCP session open after its end; not waiting
      // for it to close keeps the test process from hanging on the socket.
      sock.destroy();
      resolve(text.slice(0, -3).split(/\r?\n/).filter((l) => l.trim() !== ''));
    });
  });
}
