// The kiosk in a real browser, against the running demo agent (run.sh
// starts it): greetings from the sample video, the gate's results, the
// secretary's manual check-in and export, the language switch and the
// technician view. Selectors are the DOM contract's data-testid names.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { kioskURL, launch, poly, ready, root, runDir, saveText, scan, screens, secretaryPIN, shoot, status, technicianPIN, tid, waitForKiosk } from '../lib.mjs';

// The delegates on the sample video, as the demo's meeting invites them;
// Anthony Hopkins passes the camera too but is not enrolled.
const delegates = [
  { person: 'P-obama', name: 'Barack Obama', unit: 'Khách mời quốc tế', seat: 'A1' },
  { person: 'P-kit', name: 'Kit Harington', unit: 'Sở Văn hóa và Thể thao', seat: 'A2' },
  { person: 'P-rose', name: 'Rose Leslie', unit: 'Văn phòng UBND', seat: 'A3' },
];
const unknownName = 'Anthony Hopkins';
const byHand = { person: 'P-an', name: 'Nguyễn Văn An' };

let browser;
before(async () => {
  browser = await launch();
  await waitForKiosk();
});
after(() => browser?.close());

// open loads the kiosk in a fresh context (its own localStorage) and keeps
// what would break the kiosk's promises: script errors, console errors
// (a CSP violation is one) and requests to anywhere but the box.
async function open(t) {
  const context = await browser.newContext({ viewport: screens[0], acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  const origin = new URL(kioskURL).origin;
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  // A failed GET is reported below with its address (a refused PIN is a
  // failed POST, and expected); the browser asks for /favicon.ico on its own.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(`console error: ${m.text()}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().method() === 'GET' && new URL(r.url()).pathname !== '/favicon.ico') problems.push(`${r.status()} for GET ${r.url()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== origin && u.protocol !== 'data:' && u.protocol !== 'blob:') problems.push(`request off the box: ${r.url()}`);
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], 'the page had problems');
  });
  return { page, context };
}

// watch records, from the first paint, every greeting name, notice and
// face-box label the page shows: a greeting card stays only a few seconds
// and the next person's may replace it.
function watch() {
  const seen = { greetings: [], notices: [], faces: [] };
  window.__browsertest = seen;
  const text = (el) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
  const look = () => {
    for (const card of document.querySelectorAll('[data-testid="greeting"]')) {
      const name = text(card.querySelector('[data-testid="greeting-name"]'));
      if (name && card.checkVisibility() && !seen.greetings.some((g) => g.name === name)) {
        seen.greetings.push({ name, text: text(card), at: Date.now() });
      }
    }
    for (const n of document.querySelectorAll('[data-testid="notice"]')) {
      const kind = n.dataset.kind ?? '';
      if (n.checkVisibility() && !seen.notices.some((s) => s.kind === kind)) seen.notices.push({ kind, text: text(n) });
    }
    for (const f of document.querySelectorAll('[data-testid="face-box"]')) {
      const label = text(f);
      if (label && !seen.faces.includes(label)) seen.faces.push(label);
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
}

const seenSoFar = (page) => page.evaluate(() => window.__browsertest);

async function presentCount(page) {
  const el = page.locator(tid('present-count'));
  await el.waitFor();
  return Number((await el.textContent()).trim());
}

async function attendees(page) {
  return (await page.locator(tid('attendee')).allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
}

// login opens a PIN-protected view; true when it opened.
async function login(page, nav, pin, opens) {
  if (!(await page.locator(tid('pin-input')).isVisible())) await page.locator(tid(nav)).click();
  await page.locator(tid('pin-input')).fill(pin);
  await page.locator(tid('pin-submit')).click();
  try {
    await page.locator(tid(opens)).waitFor({ state: 'visible', timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}

test('each delegate on the sample video is greeted by name; the unknown face gets a notice', async (t) => {
  const { page, context } = await open(t);
  await context.addInitScript(watch);
  await page.goto(kioskURL);
  await ready(page);
  // run.sh has the check-in open 20 s after the demo's start; then the
  // video loops every 15 s: two passes are plenty.
  await page.locator(tid('greeting')).first().waitFor({ state: 'visible', timeout: 60_000 });
  await shoot(page, 'greeting');
  try {
    await page.waitForFunction(
      (names) => {
        const s = window.__browsertest;
        return names.every((n) => s.greetings.some((g) => g.name.includes(n))) && s.notices.some((n) => n.kind === 'unknown_face');
      },
      delegates.map((d) => d.name),
      { timeout: 60_000, polling: 200 },
    );
  } catch (err) {
    const snap = await status();
    const present = (snap.meeting?.attendees ?? []).map((i) => `${i.name} at ${i.at}`);
    assert.fail(`not every greeting and notice appeared: the page saw ${JSON.stringify(await seenSoFar(page))}; ` +
      `the board has present ${JSON.stringify(present)} (one checked in before the page was open was never greeted on it); ${err.message}`);
  }
  const seen = await seenSoFar(page);
  for (const d of delegates) {
    const g = seen.greetings.find((g) => g.name.includes(d.name));
    assert.match(g.text, /Xin chào/, `the greeting of ${d.name} says "Xin chào"`);
    assert.ok(g.text.includes(d.unit), `the greeting of ${d.name} shows the unit ${d.unit}: ${g.text}`);
    assert.ok(g.text.includes(d.seat), `the greeting of ${d.name} shows the seat ${d.seat}: ${g.text}`);
  }
  assert.ok(!seen.greetings.some((g) => g.name.includes(unknownName)), `${unknownName} is not enrolled and must not be greeted`);
  const known = new Set(delegates.map((d) => d.name));
  assert.deepEqual(seen.greetings.map((g) => g.name).filter((n) => ![...known].some((k) => n.includes(k))), [], 'only invited delegates are greeted');
  assert.ok(seen.faces.some((f) => delegates.some((d) => f.includes(d.name))), `the preview's face boxes name a delegate: ${JSON.stringify(seen.faces)}`);
  // Before its track decides, a face's box says it is being checked, not a name.
  assert.ok(seen.faces.includes('Đang nhận diện…'), `a face box said it was checking before a decision: ${JSON.stringify(seen.faces)}`);
  await page.locator(tid('preview')).waitFor();
  for (const d of delegates) {
    assert.ok((await attendees(page)).some((a) => a.includes(d.name)), `${d.name} is on the board`);
  }
  await shoot(page, 'board');
  // The card of whoever comes next, and the notice of the unknown face.
  await page.locator(`${tid('notice')}[data-kind="unknown_face"]`).first().waitFor({ state: 'visible', timeout: 30_000 });
  await shoot(page, 'notice-unknown-face');
});

test('a delegate who has checked in already is told so, not greeted twice', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  await scan('-sub', 'P-rose', '-name', 'Rose Leslie');
  // Rose has checked in by face already: her personal pass opens the gate,
  // and the QR check-in it makes finds her record.
  await page.locator(`${tid('gate-result')}[data-granted="true"]`).first().waitFor({ state: 'visible', timeout: 10_000 });
  // A delegate the camera sees again may get a notice of the same kind
  // at the same time: Rose's is the one with her name.
  const n = page.locator(`${tid('notice')}[data-kind="already_checked_in"]`).filter({ hasText: 'Rose Leslie' }).first();
  await n.waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await n.textContent(), /Rose Leslie/);
  await shoot(page, 'notice-already-checked-in');
});

test('a group walking in at once: the newest greetings and notices show, and the page stays responsive', async (t) => {
  const { page } = await open(t);
  // Six check-ins and four notices in one burst, as a delegation arriving
  // together makes them, on a stream of the test's own.
  const at = new Date().toISOString();
  const names = ['Người Một', 'Người Hai', 'Người Ba', 'Người Bốn', 'Người Năm', 'Người Sáu'];
  const events = [
    ...names.map((name, i) => ['greeting', { id: `burst-${i}`, person: `P-burst-${i}`, name, unit: 'Đoàn công tác', seat: `B${i + 1}`, at }]),
    ...['unknown_face', 'not_invited', 'closed', 'already_checked_in'].map((kind, i) => ['notice', { kind, person: `P-n${i}`, name: `Khách ${i}`, at }]),
  ];
  const body = 'retry: 600000\n\n' + events.map(([kind, data]) => `event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  await page.route('**/api/events', (route) => route.fulfill({ status: 200, headers: { 'Content-Type': 'text/event-stream' }, body }));
  await page.goto(kioskURL);
  await ready(page);
  const showing = page.locator(`${tid('greeting')}:not(.leaving) ${tid('greeting-name')}`);
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length > 0, `${tid('greeting')}:not(.leaving)`, { timeout: 10_000 });
  // A page stuck in a loop answers nothing: evaluate times out.
  const answered = await Promise.race([page.evaluate(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
  assert.equal(answered, true, 'the page still answers after the burst');
  assert.deepEqual(await showing.allTextContents(), names.slice(-3).reverse(), 'the three newest greetings show, newest first');
  const notices = await page.locator(`${tid('notice')}:not(.leaving)`).evaluateAll((ns) => ns.map((n) => n.dataset.kind));
  assert.deepEqual(notices, ['already_checked_in', 'closed'], 'the two newest notices show');
  // The older cards fade out and leave the page.
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 3, tid('greeting'), { timeout: 5000 });
  await shoot(page, 'greetings-burst');
});

test('a gate scan shows its result: a valid pass is allowed, garbage is denied in plain words', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  // A visitor (not an invitee), new each run so anti-passback does not deny it.
  await scan('-sub', `V-BT-${Date.now()}`, '-name', 'Lê Thị Hoa');
  const allowed = page.locator(`${tid('gate-result')}[data-granted="true"]`).first();
  await allowed.waitFor({ state: 'visible', timeout: 10_000 });
  // Whoever stands at the screen sees the verdict, not who was let in.
  assert.doesNotMatch(await allowed.textContent(), /Lê Thị Hoa/, 'the allowed result does not name the visitor');
  await shoot(page, 'gate-allowed');

  await scan('-raw', 'this is not a pass');
  const denied = page.locator(`${tid('gate-result')}[data-granted="false"]`).first();
  await denied.waitFor({ state: 'visible', timeout: 10_000 });
  const inside = denied.locator(tid('gate-reason'));
  const reason = (await ((await inside.count()) ? inside : page.locator(tid('gate-reason'))).first().textContent()).trim();
  assert.ok(reason.length > 0, 'a denial gives its reason');
  assert.doesNotMatch(reason, /^[a-z0-9_.-]+$/, `the reason is in plain words, not a code: ${reason}`);
  assert.match(reason, /\s/, `the reason is in plain words: ${reason}`);
  await shoot(page, 'gate-denied');
});

test('the room joins its video bridge by itself, and the board says so in plain words', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  // The demo's meeting has a bridge and its simulated Poly answers: the
  // box dialled it at the join time, before this page opened.
  const bridge = page.locator(`${tid('bridge')}.connected`);
  await bridge.waitFor({ state: 'visible', timeout: 20_000 });
  assert.match(await bridge.textContent(), /cầu truyền hình/, 'the board says the bridge is connected, in Vietnamese by default');
  assert.doesNotMatch(await bridge.textContent(), /demo-bridge/, 'the public board does not show the dial string');
  const s = await status();
  assert.equal(s.call?.state, 'connected', `the public status carries the call: ${JSON.stringify(s.call)}`);
  await shoot(page, 'bridge-connected');
});

// The kiosk's own words, to compare with what the page shows.
const words = Object.fromEntries(await Promise.all(['vi', 'en'].map(async (lang) =>
  [lang, JSON.parse(await readFile(path.join(root, 'kiosk', 'web', 'i18n', `${lang}.json`), 'utf8'))])));

// The demo's bridge; the public board must never show it (a dial string
// may carry a bridge PIN).
const demoBridge = 'demo-bridge@cau.hanoi.gov.vn';

// polyCalls is what the simulated Poly itself has up: [{id, dial, state}].
async function polyCalls() {
  return (await poly('callinfo all')).filter((l) => l.startsWith('callinfo:')).map((l) => {
    const [, id, , dial, , state] = l.split(':');
    return { id, dial, state };
  });
}

// until polls fn until it returns something truthy.
async function until(what, fn, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    if ((last = await fn())) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what} within ${timeoutMs / 1000} s; last saw ${JSON.stringify(last)}`);
}

const countOf = (text, line) => text.split('\n').filter((l) => l.includes(line)).length;
const polysimLog = () => readFile(path.join(runDir, 'polysim.log'), 'utf8');

test('the secretary hangs up, calls and redials the bridge; refusals are in words; the board never shows the dial string', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  assert.equal(await login(page, 'nav-secretary', secretaryPIN, 'search-input'), true, "the secretary's PIN opens the view");
  const state = page.locator(tid('call-state'));
  const result = page.locator(tid('call-result'));
  const button = (action) => page.locator(tid(`call-${action}`));
  // press clicks a call button and waits for the page's answer to it.
  const press = async (action) => {
    await result.evaluate((n) => { n.textContent = ''; }); // so each answer is this press's
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/call');
    await button(action).click();
    return (await answered).status();
  };
  // answer waits for the result line to say text (the page sets it once it has read the reply).
  const answer = async (text, what) => {
    try {
      await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent === want, [tid('call-result'), text], { timeout: 5000 });
    } catch {
      assert.fail(`${what}: the page says ${JSON.stringify(await result.textContent())}, want ${JSON.stringify(text)}`);
    }
  };
  const saysIdle = () => page.waitForFunction(([sel, idle]) => document.querySelector(sel)?.textContent === idle,
    [tid('call-state'), words.vi['sec.call.idle']], { timeout: 10_000 });

  // A public page beside it, as the room's screen shows it.
  const board = await open(t);
  await board.page.goto(kioskURL);
  await ready(board.page);
  const banner = board.page.locator(tid('bridge'));
  const boardShowsNoDialString = async (when) => {
    assert.ok(!(await board.page.content()).includes(demoBridge.split('@')[0]), `the board's page does not show the dial string ${when}`);
    assert.ok(!JSON.stringify(await status()).includes(demoBridge.split('@')[0]), `the public status has no dial string ${when}`);
  };

  await page.locator(`${tid('call-state')}.connected`).waitFor({ state: 'visible', timeout: 20_000 });
  await board.page.locator(`${tid('bridge')}.connected`).waitFor({ state: 'visible', timeout: 10_000 });
  await boardShowsNoDialString('while connected');
  const [scheduled, ...more] = await polyCalls();
  assert.equal(scheduled?.dial, demoBridge, 'the Poly is in the demo meeting\'s bridge call');
  assert.deepEqual(more, [], 'and in no other');
  await shoot(page, 'secretary-call-connected');

  // Call now over a live call is refused in the secretary's language.
  assert.equal(await press('dial'), 422, 'Call now over the live call is refused');
  await answer(words.vi['sec.call.refused.in_call'], 'Call now in a call');
  await page.locator(tid('lang-switch')).click();
  await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 3000 });
  assert.equal(await press('dial'), 422);
  await answer(words.en['sec.call.refused.in_call'], 'the refusal follows the page language');
  await page.locator(tid('lang-switch')).click();
  await page.waitForFunction(() => document.documentElement.lang === 'vi', null, { timeout: 3000 });
  assert.deepEqual((await polyCalls()).map((c) => c.id), [scheduled.id], 'the refused Call now left the Poly\'s call alone');

  // Hang up: the Poly itself ends the call, and both screens say so.
  const hangUpsBefore = countOf(await polysimLog(), 'hanging up all');
  assert.equal(await press('hang-up'), 200);
  await answer(words.vi['sec.call.sent'], 'Hang up');
  await saysIdle();
  await until('the Poly has no call after Hang up', async () => (await polyCalls()).length === 0);
  // The Poly's -log line of its answer may come just after the call's end.
  await until('the Poly answered one hang-up', async () => countOf(await polysimLog(), 'hanging up all') === hangUpsBefore + 1, 5000);
  await banner.waitFor({ state: 'hidden', timeout: 10_000 });
  assert.equal((await status()).call?.state, 'idle', 'the public status says the room is in no call');
  assert.equal(await button('hang-up').isDisabled(), true, 'Hang up cannot be pressed with no call');
  await boardShowsNoDialString('with no call');
  await shoot(page, 'secretary-call-hung-up');
  // A person's hang-up holds: the box does not dial the meeting's bridge again by itself.
  await new Promise((r) => setTimeout(r, 6000));
  assert.deepEqual(await polyCalls(), [], 'the Poly is still in no call 6 s later: the box did not redial on its own');

  // Someone dials by hand on the terminal: the box and its buttons leave that call alone.
  const handDial = 'hand-dial@cau.example.vn';
  assert.deepEqual(await poly(`dial manual 384 "${handDial}" sip`), ['dialing manual']);
  await page.locator(`${tid('call-state')}.by_hand`).waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await state.textContent(), words.vi['call.by_hand']);
  await board.page.locator(`${tid('bridge')}.by_hand`).waitFor({ state: 'visible', timeout: 10_000 });
  assert.ok(!(await board.page.content()).includes('hand-dial'), 'the board does not show the hand-dialled number');
  assert.equal(await button('hang-up').isDisabled(), true, 'Hang up cannot end a call dialled by hand');
  for (const action of ['dial', 'redial']) {
    assert.equal(await press(action), 422, `${action} over a call dialled by hand is refused`);
    await answer(words.vi['sec.call.refused.not_placed'], `${action} over a call dialled by hand`);
  }
  assert.deepEqual((await polyCalls()).map((c) => c.dial), [handDial], 'the hand-dialled call is still the only call');
  await shoot(page, 'secretary-call-by-hand');
  assert.deepEqual(await poly('hangup all'), ['hanging up all']);
  await saysIdle();

  // Call now: the meeting's bridge again.
  assert.equal(await press('dial'), 200);
  await page.locator(`${tid('call-state')}.connected`).waitFor({ state: 'visible', timeout: 20_000 });
  await board.page.locator(`${tid('bridge')}.connected`).waitFor({ state: 'visible', timeout: 10_000 });
  const [called] = await polyCalls();
  assert.equal(called?.dial, demoBridge, 'Call now dialled the meeting\'s bridge');
  assert.equal(called?.state, 'connected');

  // Redial: the Poly's call is ended and a new one placed to the same bridge.
  assert.equal(await press('redial'), 200);
  const redialled = await until('a new call on the Poly after Redial', async () => {
    const calls = await polyCalls();
    return calls.length === 1 && calls[0].id !== called.id && calls[0].state === 'connected' && calls[0];
  }, 20_000);
  assert.equal(redialled.dial, demoBridge, 'Redial dialled the same bridge');
  await page.locator(`${tid('call-state')}.connected`).waitFor({ state: 'visible', timeout: 10_000 });
  await board.page.locator(`${tid('bridge')}.connected`).waitFor({ state: 'visible', timeout: 10_000 });
  await boardShowsNoDialString('after the redial');
  await shoot(page, 'secretary-call-redialled');
});

test('the secretary checks a delegate in by hand and exports the attendance', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  const before = await presentCount(page);
  assert.ok(!(await attendees(page)).some((a) => a.includes(byHand.name)), `${byHand.name} is not present yet`);

  assert.equal(await login(page, 'nav-secretary', '0000', 'search-input'), false, 'a wrong PIN does not open the secretary view');
  assert.ok(await page.locator(tid('pin-input')).isVisible(), 'the PIN is asked again after a wrong one');
  assert.equal(await login(page, 'nav-secretary', technicianPIN, 'search-input'), false, "the technician's PIN does not open the secretary view");
  assert.equal(await login(page, 'nav-secretary', secretaryPIN, 'search-input'), true, "the secretary's PIN opens the view");
  await shoot(page, 'secretary');

  const candidate = page.locator(tid('candidate')).filter({ hasText: byHand.name });
  await page.locator(tid('search-input')).fill('Nguyen');
  await candidate.first().waitFor({ state: 'visible', timeout: 5000 }); // without the accents
  await page.locator(tid('search-input')).fill('an');
  await candidate.first().waitFor({ state: 'visible', timeout: 5000 });
  await shoot(page, 'secretary-search');
  await candidate.first().click();
  await page.locator(tid('reason-input')).fill('Quên điện thoại; đã đối chiếu CCCD');
  await page.locator(tid('checkin-submit')).click();
  const result = page.locator(tid('checkin-result'));
  await result.waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await result.textContent(), new RegExp(byHand.name), 'the result names who was checked in');

  // A kiosk that opens (or reloads) while the greeting still shows greets
  // too, once; before the screenshots, which take seconds on a busy machine
  // while the greeting shows for 6.
  const late = await open(t);
  await late.page.goto(kioskURL);
  const card = late.page.locator(tid('greeting')).filter({ hasText: byHand.name });
  await card.first().waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await card.count(), 1, `one greeting card of ${byHand.name} on a page opened after the check-in`);
  await shoot(page, 'secretary-checked-in');

  const download = page.waitForEvent('download', { timeout: 10_000 });
  await page.locator(tid('export-csv')).click();
  const csv = await readFile(await (await download).path(), 'utf8');
  await saveText('attendance.csv', csv);

  await page.locator(tid('nav-home')).click();
  await ready(page);
  await page.waitForFunction(
    ([sel, name]) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes(name)),
    [tid('attendee'), byHand.name], { timeout: 5000 });
  const present = await attendees(page);
  const after = await presentCount(page);
  assert.ok(after >= before + 1, `the present count went up: ${before} -> ${after}`);
  assert.equal(after, present.length, 'the present count is the number of attendees shown (all invited in the demo)');

  // The export lists everyone present, the manual check-in among them.
  for (const name of [byHand.name, ...delegates.map((d) => d.name)]) {
    assert.ok(csv.includes(name), `the CSV lists ${name}:\n${csv}`);
  }
  assert.match(csv, /manual/, 'the CSV gives the method');
});

test('the language switch changes html[lang] and the visible text, and is kept', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  const lang = () => page.evaluate(() => document.documentElement.lang);
  const visible = () => page.locator('body').innerText();
  assert.equal(await lang(), 'vi', 'Vietnamese by default');
  const vi = await visible();
  const viNav = await page.locator(tid('nav-secretary')).innerText();
  await page.locator(tid('lang-switch')).click();
  await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 3000 });
  assert.notEqual(await visible(), vi, 'the visible text changes');
  const enNav = await page.locator(tid('nav-secretary')).innerText();
  assert.notEqual(enNav, viNav, 'the secretary button speaks English');
  await shoot(page, 'board-en');
  await page.reload();
  await ready(page);
  assert.equal(await lang(), 'en', 'the choice survives a reload');
  assert.equal(await page.locator(tid('nav-secretary')).innerText(), enNav, 'still English after a reload');
  await page.locator(tid('lang-switch')).click();
  await page.waitForFunction(() => document.documentElement.lang === 'vi', null, { timeout: 3000 });
  assert.equal(await page.locator(tid('nav-secretary')).innerText(), viNav, 'back to Vietnamese');
});

test('the technician view shows devices, versions, gallery and outbox', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  const anonymous = await fetch(new URL('/api/staff/status', kioskURL));
  assert.equal(anonymous.status, 403, 'the staff status needs a session');
  const pub = await status();
  for (const key of ['devices', 'entries', 'recognitions', 'outbox', 'version']) assert.ok(!(key in pub), `the public status has no ${key}`);
  assert.equal(await login(page, 'nav-technician', secretaryPIN, 'tech-devices'), false, "the secretary's PIN does not open the technician view");
  assert.equal(await login(page, 'nav-technician', technicianPIN, 'tech-devices'), true, "the technician's PIN opens the view");
  // The whole status is for staff: read it in this page's session.
  const snap = await page.evaluate(() => fetch('/api/staff/status').then((r) => r.json()));
  const devices = await page.locator(tid('tech-devices')).innerText();
  for (const d of snap.devices) assert.ok(devices.includes(d.name), `tech-devices lists ${d.name}: ${devices}`);
  const versions = await page.locator(tid('tech-versions')).innerText();
  assert.ok(versions.includes(snap.version), `tech-versions shows the software version ${snap.version}: ${versions}`);
  assert.ok(snap.purge?.at, `the agent purged old records at start: ${JSON.stringify(snap.purge)}`);
  for (const id of ['tech-gallery', 'tech-outbox', 'tech-purge']) {
    const text = (await page.locator(tid(id)).innerText()).trim();
    assert.ok(text.length > 0, `${id} is not empty`);
  }
  const gallery = await page.locator(tid('tech-gallery')).innerText();
  assert.match(gallery, /\b3\b/, `tech-gallery counts the 3 enrolled delegates: ${gallery}`);
  await shoot(page, 'technician');
  await page.locator(tid('nav-home')).click();
  await ready(page);
});

test('the technician runs the self-test and a test scan, with results live and in the page language', async (t) => {
  const { page } = await open(t);
  await page.goto(kioskURL);
  await ready(page);
  assert.equal(await login(page, 'nav-technician', technicianPIN, 'doctor-run'), true, "the technician's PIN opens the self-test");
  const latestEntry = () => page.evaluate(() => fetch('/api/staff/status').then((r) => r.json())).then((s) => JSON.stringify(s.entries?.[0] ?? null));
  const entryBefore = await latestEntry();

  await page.locator(tid('doctor-run')).click();
  // The results come one by one while the checks run; the summary last.
  await page.locator(`${tid('doctor-results')} tr.doctor-ok`).first().waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => /\d+ đạt/.test(document.querySelector('[data-testid="doctor-status"]').textContent), null, { timeout: 20_000 });
  const results = await page.locator(tid('doctor-results')).innerText();
  for (const check of ['camera:door-cam', 'scanner:front-scanner', 'door', 'terminal:room-poly', 'city', 'clock', 'disk', 'memory']) {
    assert.match(results, new RegExp(`${check}\\s+Đạt`), `${check} passes on the demo box: ${results}`);
  }
  assert.doesNotMatch(results, /door-loop|exit-button|scan:/, 'nothing that needs a person runs unasked');
  await shoot(page, 'technician-doctor');

  // The test scan: the page says what to do, the scan is taken by the
  // self-test and never reaches the gate.
  await page.locator(tid('lang-switch')).click();
  await page.locator(tid('doctor-scan')).click();
  await page.waitForFunction(() => document.querySelector('[data-testid="doctor-status"]').textContent.startsWith('Scan any QR code'), null, { timeout: 10_000 });
  await shoot(page, 'technician-doctor-scan');
  await scan('-raw', 'doctor test scan');
  await page.waitForFunction(() => /scan:front-scanner\s+OK/.test(document.querySelector('[data-testid="doctor-results"]').innerText), null, { timeout: 10_000 });
  assert.equal(await latestEntry(), entryBefore, 'the test scan is no entry at the gate');
  await page.locator(tid('lang-switch')).click();
  await page.locator(tid('nav-home')).click();
  await ready(page);
});
