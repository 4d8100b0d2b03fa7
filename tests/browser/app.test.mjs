// The web app end to end, in Debian's Chromium driven by puppeteer-core:
// an archive built from the shipped samples as a PBX would post them
// (tools/demo-archive.sh), then what officers, managers and admins do.
// Run by `make test`: node --test tests/browser/app.test.mjs
// Environment: RV_BIN (the program, default build/rostvakt), CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.RV_BIN || join(ROOT, 'build', 'rostvakt');
const AXE = readFileSync(join(ROOT, 'tests', 'browser', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'rv-browser-'));
// The services some tests start of their own: on the demo's backend, so on
// PostgreSQL (a database of their own there, RV_TEST_STORE) when the demo
// archive was moved to it (RV_DEMO_PG).
const SERVE_ENV = { ...process.env, ...(process.env.RV_DEMO_PG ? { RV_TEST_STORE: process.env.RV_DEMO_PG } : {}) };
let url, tokens, browser, smtp;

// A port nobody listens on now, for the mail server.
async function freePort() {
  const s = createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

// The tests' mail server (tests/smtp-server.py): what it receives goes to
// work/mail, a Maildir; resolved once it takes connections.
async function mailServer() {
  execFileSync('/usr/bin/python3', ['-c', 'import aiosmtpd'], { stdio: 'ignore' }); /* deploy/install-deps.sh test installs it */
  const port = await freePort();
  const proc = spawn('/usr/bin/python3', [join(ROOT, 'tests', 'smtp-server.py'), String(port), join(work, 'mail')],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    if (proc.exitCode !== null) throw new Error('the mail server exited');
    const up = await new Promise((resolve) => {
      const c = connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (up) return { port, proc };
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The mails the mail server holds, each "RCPT=to|SUBJ=subject|text".
function mails() {
  const py = `import mailbox, email.header, sys
for m in mailbox.Maildir(sys.argv[1], create=False):
  s = str(email.header.make_header(email.header.decode_header(m["Subject"])))
  t = " ".join(p.get_payload(decode=True).decode("utf-8") for p in m.walk() if p.get_content_maintype() == "text")
  print("RCPT=" + m["X-RcptTo"] + "|SUBJ=" + s + "|" + t.replace("\\r\\n", " ").replace("\\n", " "))`;
  return execFileSync('/usr/bin/python3', ['-c', py, join(work, 'mail')], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

before(async () => {
  smtp = await mailServer();
  const out = execFileSync('sh', [join(ROOT, 'tools', 'demo-archive.sh'), BIN, join(work, 'demo'), '--keep'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RV_MAIL_SMTP_URL: 'smtp://127.0.0.1:' + smtp.port } });
  const f = out.trim().split('\n').pop().split('\t');
  url = f[0];
  tokens = { officer: f[1], admin: f[2], manager: f[3], pbx: f[4] };
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  if (browser) await browser.close();
  try {
    process.kill(Number(readFileSync(join(work, 'demo', 'serve.pid'), 'utf8')), 'SIGTERM');
  } catch {
    // the demo's service ended before the tests did: say how, from its log
    try { console.error('the demo archive\'s service had stopped; its log:\n' + readFileSync(join(work, 'demo', 'serve.log'), 'utf8')); } catch { /* no log */ }
  }
  if (smtp) smtp.proc.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

// A fresh browser context (its own cookies) signed in with token at the
// service at base; signedIn: at the demo's.
async function signedInAt(base, token) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.goto(base + '/');
  await page.waitForSelector('input[name=token]');
  await page.type('input[name=token]', token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#nav:not([hidden])');
  return { ctx, page };
}

const signedIn = (token) => signedInAt(url, token);

async function heading(page) {
  await page.waitForFunction(() => document.getElementById('page').dataset.shown === (location.hash || '#/') &&
    document.querySelector('#page h1'));
  return page.$eval('#page h1', (h) => h.textContent);
}

async function axe(page, what) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const v = r.violations.map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(' ')).join('; ')})`);
  assert.deepEqual(v, [], `${what}: accessibility violations`);
}

test('an officer signs in, filters the inbox, listens and records a decision', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  assert.equal(await heading(page), 'Inkorg');
  // filter: possible public records only
  await page.select('select[name=classification]', 'possible_public_record');
  await page.click('form.filters button[type=submit]');
  await page.waitForFunction(() => location.hash.includes('classification=possible_public_record'));
  // the filtered page, not the rows of the page before it
  await page.waitForFunction(() => document.getElementById('page').dataset.shown === location.hash &&
    document.querySelectorAll('#page tbody tr a').length > 0);
  const classes = await page.$$eval('#page tbody tr td:nth-child(5) strong', (s) => s.map((x) => x.textContent));
  assert.ok(classes.length >= 1);
  for (const c of classes) assert.equal(c, 'Möjlig allmän handling');
  // open the first one
  const href = await page.$eval('#page tbody tr a', (a) => a.getAttribute('href'));
  const id = href.split('/').pop();
  await page.click('#page tbody tr a');
  await page.waitForSelector('audio');
  assert.equal(await heading(page), 'Röstmeddelande ' + id);
  // the audio plays and has a duration
  await page.$eval('audio', (a) => a.play());
  await page.waitForFunction(() => document.querySelector('audio').currentTime > 0.2, { timeout: 15000 });
  await page.$eval('audio', (a) => a.pause());
  const duration = await page.$eval('audio', (a) => a.duration);
  assert.ok(duration > 0.5, 'the recording has a duration: ' + duration);
  // a decision
  await page.click('input[name=decision][value=registrera]');
  await page.type('input[name=diarienummer]', 'KS 2026/4711');
  await page.type('input[name=arendemening]', 'Bygglov, Storgatan 5');
  await page.type('textarea[name=note]', 'Frågan om bygglov');
  await page.click('form button.primary');
  await page.waitForFunction(() => [...document.querySelectorAll('#page tbody tr')].some((r) => r.textContent.includes('KS 2026/4711')));
  const row = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.textContent).find((t) => t.includes('KS 2026/4711')));
  assert.match(row, /Registreras i diariet/);
  assert.match(row, /Bygglov, Storgatan 5/);
  assert.match(row, /anna\.registrator/);
  // hand-over to the e-archive: the package (with the session), then the archive's reference
  await page.waitForSelector('button.package');
  const made = page.waitForResponse((r) => r.url().endsWith('/package'));
  await page.click('button.package');
  const res = await made;
  const got = [res.request().method(), res.status(), res.headers()['content-type'], Number(res.headers()['content-length'])];
  assert.deepEqual(got.slice(0, 3), ['POST', 200, 'application/x-tar']);
  assert.ok(got[3] > 10000, 'a package with the recording: ' + got[3]);
  // the field for the archive's reference appears without a reload
  await page.waitForSelector('input[name=reference]', { timeout: 10000 });
  assert.match(await page.$eval('#page', (p) => p.textContent), /Arkivpaket gjort/);
  await page.type('input[name=reference]', 'EA-2026-1');
  await page.evaluate(() => document.querySelector('input[name=reference]').form.querySelector('button').click());
  await page.waitForFunction(() => document.querySelector('#page').textContent.includes('referens EA-2026-1'));
  await ctx.close();
  // the audit names the signed-in person, for the listening and the decision
  const admin = await signedIn(tokens.admin);
  await admin.page.goto(url + '/#/logg?voicemail=' + id);
  await admin.page.waitForFunction(() => document.querySelectorAll('#page tbody tr').length > 1);
  const rows = await admin.page.$$eval('#page tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.ok(rows.some((r) => r[1] === 'anna.registrator' && r[3] === 'Beslut'), JSON.stringify(rows));
  assert.ok(rows.some((r) => r[1] === 'anna.registrator' && r[3] === 'Lyssnade på ett röstmeddelande'), JSON.stringify(rows));
  await admin.ctx.close();
});

test('a PBX token cannot sign in to the web app', async () => {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.goto(url + '/');
  await page.waitForSelector('input[name=token]');
  await page.type('input[name=token]', tokens.pbx);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('status').textContent.length > 0);
  assert.match(await page.$eval('#status', (s) => s.textContent), /kan inte logga in/);
  assert.equal(await page.$eval('#nav', (n) => n.hidden), true);
  const r = await page.evaluate(async () => (await fetch('/v1/voicemails')).status);
  assert.equal(r, 401);
  await ctx.close();
});

test('a state-changing request without the CSRF token is refused', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  const r = await page.evaluate(async () => {
    const res = await fetch('/v1/voicemails/2/decision', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"decision":"gallras","ground":"tillfallig"}',
    });
    return { status: res.status, body: await res.json() };
  });
  assert.equal(r.status, 403);
  assert.match(r.body.error.message, /CSRF/);
  const hist = await page.evaluate(async () => (await (await fetch('/v1/voicemails/2')).json()).decisions);
  assert.deepEqual(hist, [], 'nothing was decided');
  await ctx.close();
});

test('an expired session is sent back to sign-in', async () => {
  // a service of its own whose sessions end after two idle seconds
  const s = await ownService('expiry', { RV_SESSION_IDLE_TIMEOUT: '2' });
  try {
    const { ctx, page } = await signedInAt(s.base, s.tok('manager', 'chef', '*'));
    await page.waitForFunction(() => document.querySelector('#page h1')?.textContent === 'Hälsningsfraser');
    await new Promise((r) => setTimeout(r, 3500));
    await page.click('nav a[href="#/rapporter"]');
    await page.waitForSelector('input[name=token]', { timeout: 10000 });
    assert.match(await page.$eval('#status', (el) => el.textContent), /gått ut/);
    await ctx.close();
  } finally {
    s.srv.kill('SIGTERM');
  }
});

test('a manager sees greetings and reports but not the inbox', async () => {
  // a mailbox whose unit is written in capitals: the same unit
  const put = await fetch(url + '/v1/mailboxes/4799', { method: 'PUT',
    headers: { Authorization: 'Bearer ' + tokens.pbx, 'Content-Type': 'application/json' },
    body: JSON.stringify({ first_name: 'Versal', last_name: 'Enhet', unit: 'EKONOMIENHETEN' }) });
  assert.equal(put.status, 201);
  const { ctx, page } = await signedIn(tokens.manager);
  assert.equal(await heading(page), 'Hälsningsfraser');
  await page.waitForFunction(() => document.querySelectorAll('#page table caption').length > 2);
  const captions = await page.$$eval('#page table caption', (cs) => cs.map((c) => c.textContent));
  assert.ok(captions.includes('ekonomienheten'), 'mailboxes grouped by unit: ' + captions.join(' | '));
  assert.ok(!captions.some((c) => c === 'EKONOMIENHETEN'), 'one unit whatever the case: ' + captions.join(' | '));
  const ekonomi = await page.$$eval('#page table', (ts) => ts.filter((t) => t.caption?.textContent === 'ekonomienheten')
    .map((t) => t.textContent).join(''));
  assert.ok(ekonomi.includes('Versal Enhet'), 'in the unit as its mailboxes spell it: ' + ekonomi);
  const rows = await page.$$eval('#page tr', (rs) => rs.map((r) => r.textContent));
  assert.ok(rows.some((r) => r.includes('Anna Svensson') && r.includes('Följer policyn')), rows.join('\n'));
  assert.ok(rows.some((r) => r.includes('Demo Person10') && r.includes('Saknas')), rows.join('\n'));
  const nav = await page.$$eval('nav li:not([hidden]) a', (as) => as.map((a) => a.textContent));
  assert.deepEqual(nav, ['Hälsningsfraser', 'Rapporter']);
  const r = await page.evaluate(async () => (await fetch('/v1/voicemails')).status);
  assert.equal(r, 403);
  await page.click('nav a[href="#/rapporter"]');
  await page.waitForFunction(() => document.querySelector('#page h1')?.textContent === 'Rapporter' &&
    document.querySelectorAll('#page svg.chart').length === 3);
  // what the charts show is what the kept reports say: every unit of the
  // latest run named in each chart, with its compliant share
  const runs = await page.evaluate(async () => (await (await fetch('/v1/sweeps?limit=60')).json()).items);
  const latest = runs[0].report;
  const units = latest.units.map((u) => u.unit);
  assert.ok(units.length >= 8, 'the demo has many units: ' + units.join(', '));
  const charts = await page.$$eval('#page svg.chart', (cs) => cs.map((c) => ({
    label: c.getAttribute('aria-label'), texts: [...c.querySelectorAll('text')].map((t) => t.textContent) })));
  for (const c of charts)
    for (const u of units) assert.ok(c.texts.some((t) => u.startsWith(t.replace(/…$/, ''))), `${u} in the chart "${c.label}": ${c.texts.join(' | ')}`);
  for (const u of latest.units) {
    const pct = Math.round(100 * u.compliant / u.mailboxes) + ' %';
    assert.ok(charts[0].label.includes(`${u.unit} ${pct}`), `${u.unit} ${pct} in "${charts[0].label}"`);
  }
  // the latest report's lists, as the page shows them
  const lists = await page.$$eval('#page table caption', (cs) => cs.map((c) => c.textContent));
  assert.ok(lists.includes(`Saknade hälsningsfraser (${latest.missing_greetings.length})`), lists.join(' | '));
  await ctx.close();
});

test('every page is keyboard-operable and passes axe at WCAG 2.1 AA', async () => {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.goto(url + '/');
  await page.waitForSelector('input[name=token]');
  await axe(page, 'sign-in');
  // keyboard only: skip link, token, Enter
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Hoppa till innehållet');
  await page.focus('input[name=token]');
  await page.keyboard.type(tokens.admin);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#nav:not([hidden])');
  // on a page just loaded (a new document, not a change of the address's
  // hash): Tab reaches the skip link, then the first menu entry, and Enter
  // follows it
  await page.goto('about:blank');
  await page.goto(url + '/#/rapporter');
  await page.waitForFunction(() => document.querySelector('#page h1')?.textContent === 'Rapporter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Inkorg');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#/inkorg');
  for (const [hash, title] of [['#/inkorg', 'Inkorg'], ['#/rostmeddelande/1', 'Röstmeddelande 1'],
    ['#/halsningsfraser', 'Hälsningsfraser'], ['#/brevlada/4701', 'Anna Svensson'], ['#/rapporter', 'Rapporter'],
    ['#/logg', 'Logg']]) {
    await page.goto(url + '/' + hash);
    await page.waitForFunction((t) => document.querySelector('#page h1')?.textContent === t &&
      document.querySelectorAll('#page table, #page svg').length > 0, {}, title);
    await axe(page, title);
  }
  // the player is reached by keyboard and plays with it
  await page.goto(url + '/#/rostmeddelande/1');
  await page.waitForSelector('audio');
  await page.focus('audio');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('audio').currentTime > 0.2, { timeout: 15000 });
  await ctx.close();
});

test('the audit exports as CSV for an admin, from the Logg page', async () => {
  const { ctx, page } = await signedIn(tokens.admin);
  const downloads = join(work, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const cdp = await page.createCDPSession();
  await cdp.send('Page.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  await page.goto(url + '/#/logg');
  await page.waitForFunction(() => document.querySelector('#page h1')?.textContent === 'Logg');
  await page.waitForSelector('#page a[download]');
  const shown = await page.$$eval('#page tbody tr', (rs) => rs.length);
  await page.click('#page a[download]');
  const file = join(downloads, 'rostvakt-logg.csv');
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(file), 'the link downloads rostvakt-logg.csv');
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\r\n').filter(Boolean);
  assert.equal(lines[0], 'id,at,actor,remote,action,voicemail,ext,detail');
  assert.match(text, /it\.admin,127\.0\.0\.1,sign_in/);
  assert.ok(lines.length - 1 >= shown, `the file has every row the page shows (${lines.length - 1} of ${shown})`);
  await ctx.close();
});

// ---- the officer's day: deep links, errors at the field, the player ----

// Go to hash (of the service at base) and wait until its page is drawn
// (#page's data-shown).
async function openPage(page, hash, title, base = url) {
  await page.goto(base + '/' + hash);
  try {
    await page.waitForFunction((h, t) => document.getElementById('page').dataset.shown === h &&
      document.querySelector('#page h1')?.textContent === t, {}, hash, title);
  } catch (e) {
    /* say what the page shows instead, so that a failure can be told apart */
    const seen = await page.evaluate(() => ({
      hash: location.hash, shown: document.getElementById('page').dataset.shown,
      busy: document.getElementById('page').getAttribute('aria-busy'),
      h1: document.querySelector('#page h1')?.textContent, status: document.getElementById('status')?.textContent,
    })).catch(() => ({}));
    throw new Error(`${hash} "${title}" not shown: ${JSON.stringify(seen)} (${e.message})`);
  }
}

// A page asked for while the one before it still reads its answer wins: the
// inbox shown after sign-in has its list's headers but not yet its body
// (held here, in the page, until the voicemail is drawn) when the voicemail
// is asked for; the inbox's late answer must not draw over it.
test('a page still reading its answer does not draw over the one asked for after it', async () => {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.evaluateOnNewDocument(() => {
    const real = window.fetch;
    window.held = [];
    window.fetch = async (...args) => {
      const r = await real(...args);
      if (String(args[0]).startsWith('/v1/voicemails?')) {
        const entry = { done: false };
        const gate = new Promise((resolve) => { entry.release = resolve; });
        const json = r.json.bind(r);
        r.json = async () => { await gate; const j = await json(); entry.done = true; return j; };
        window.held.push(entry);
      }
      return r;
    };
  });
  await page.goto(url + '/');
  await page.waitForSelector('input[name=token]');
  await page.type('input[name=token]', tokens.officer);
  await page.keyboard.press('Enter');
  // the inbox (an officer's first page) has its list's headers, not its body
  await page.waitForFunction(() => window.held.length === 1 && location.hash === '#/inkorg');
  await page.evaluate(() => { location.hash = '#/rostmeddelande/1'; });
  await page.waitForFunction(() => document.getElementById('page').dataset.shown === '#/rostmeddelande/1');
  await page.evaluate(() => window.held[0].release());
  await page.waitForFunction(() => window.held[0].done);
  const seen = await page.evaluate(() => ({ shown: document.getElementById('page').dataset.shown,
    h1: document.querySelector('#page h1')?.textContent, busy: document.getElementById('page').getAttribute('aria-busy') }));
  assert.deepEqual(seen, { shown: '#/rostmeddelande/1', h1: 'Röstmeddelande 1', busy: null });
  await ctx.close();
});

test('a deep link opened signed out is kept after sign-in', async () => {
  for (const [hash, title] of [['#/inkorg', 'Inkorg'], ['#/rostmeddelande/3', 'Röstmeddelande 3']]) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(url + '/' + hash);
    await page.waitForSelector('input[name=token]');
    await page.type('input[name=token]', tokens.officer);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#nav:not([hidden])');
    await page.waitForFunction((t) => document.querySelector('#page h1')?.textContent === t, { timeout: 10000 }, title);
    assert.equal(await page.$('input[name=token]'), null, 'the sign-in form is gone');
    assert.equal(await page.evaluate(() => location.hash), hash);
    await ctx.close();
  }
});

test('a missing or blank diarienummer is shown at its field, which gets the focus', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  await openPage(page, '#/rostmeddelande/2', 'Röstmeddelande 2');
  for (const typed of ['', '   ']) {
    await page.$eval('input[name=diarienummer]', (i) => { i.value = ''; });
    if (typed) await page.type('input[name=diarienummer]', typed);
    await page.click('input[name=decision][value=registrera]');
    await page.click('form button.primary');
    await page.waitForFunction(() => document.activeElement?.name === 'diarienummer');
    const f = await page.$eval('input[name=diarienummer]', (i) => ({
      invalid: i.getAttribute('aria-invalid'),
      said: (i.getAttribute('aria-describedby') || '').split(' ').map((id) => document.getElementById(id)?.textContent || '').join(' '),
      near: i.parentElement.contains(document.getElementById((i.getAttribute('aria-describedby') || ' ').split(' ')[0])),
    }));
    assert.equal(f.invalid, 'true');
    assert.match(f.said, /[Dd]iarienummer/);
    assert.ok(f.near, 'the message is at the field');
  }
  // a diarienummer typed with another decision is not thrown away unseen
  await page.$eval('input[name=diarienummer]', (i) => { i.value = ''; });
  await page.type('input[name=diarienummer]', 'KS 2026/1');
  await page.click('input[name=decision][value=halls_ordnad]');
  await page.click('form button.primary');
  await page.waitForFunction(() => document.activeElement?.name === 'diarienummer' &&
    document.activeElement.getAttribute('aria-invalid') === 'true');
  const hist = await page.evaluate(async () => (await (await fetch('/v1/voicemails/2')).json()).decisions);
  assert.deepEqual(hist, [], 'nothing was decided');
  // a page that cannot be read leaves nothing of the page before under its address
  await page.evaluate(() => { location.hash = '#/rostmeddelande/99999'; });
  await page.waitForFunction(() => document.querySelector('#page h1')?.textContent === 'Sidan kunde inte visas' &&
    document.getElementById('page').dataset.shown === location.hash);
  assert.doesNotMatch(await page.$eval('#page', (p) => p.textContent), /Röstmeddelande 2|Diarienummer/);
  await ctx.close();
});

test('the player: a playhead, case words that play from where they were heard, keys while it has focus', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  await openPage(page, '#/rostmeddelande/1', 'Röstmeddelande 1');
  const words = await page.evaluate(async () => (await (await fetch('/v1/voicemails/1')).json()).analysis.keywords);
  assert.ok(words.length >= 1, 'the demo voicemail has a case word');
  // the keys are documented on the page
  assert.match(await page.$eval('#page', (p) => p.textContent), /K spelar och pausar.*J.*L/s);
  // keys while the player has focus: L forward 5 s, J back, K plays
  await page.focus('audio');
  await page.keyboard.press('l');
  await page.waitForFunction(() => Math.abs(document.querySelector('audio').currentTime - 5) < 0.01);
  await page.keyboard.press('j');
  await page.waitForFunction(() => document.querySelector('audio').currentTime < 0.01);
  // not elsewhere: typing in the note does not move the player
  await page.focus('textarea[name=note]');
  await page.keyboard.type('l');
  assert.ok(await page.$eval('audio', (a) => a.currentTime < 0.01 && a.paused));
  await page.focus('audio');
  await page.keyboard.press('k');
  await page.waitForFunction(() => !document.querySelector('audio').paused);
  await page.keyboard.press('k');
  await page.waitForFunction(() => document.querySelector('audio').paused);
  // a case word plays from where it was heard, and the playhead follows
  const w = words[0];
  const button = await page.$$eval('#page button.word', (bs) => bs.map((b) => b.textContent));
  assert.ok(button.some((t) => t.startsWith(w.word)), button.join(' | '));
  await page.evaluate((word) => [...document.querySelectorAll('#page button.word')].find((b) => b.textContent.startsWith(word)).click(), w.word);
  await page.waitForFunction((at) => { const a = document.querySelector('audio'); return !a.paused && a.currentTime >= at - 0.05; }, {}, w.at_s);
  await page.$eval('audio', (a) => a.pause());
  await page.waitForFunction(() => {
    const a = document.querySelector('audio'), ph = document.querySelector('svg.timeline .playhead');
    const r = document.querySelector('svg.timeline .track');
    if (!ph || !r) return false;
    const x0 = Number(r.getAttribute('x')), w = Number(r.getAttribute('width'));
    return Math.abs(Number(ph.getAttribute('x1')) - (x0 + w * a.currentTime / a.duration)) < 2;
  });
  await ctx.close();
});

test('an overdue call-back is marked "försenad" on its voicemail', async () => {
  // a message a month old nobody called back (the demo's own are days old,
  // and an empty one has nobody to call back)
  const r = await fetch(url + '/v1/mailboxes/4703/voicemails', { method: 'POST',
    body: readFileSync(join(ROOT, 'samples', 'v03-ring-mig.wav')),
    headers: { Authorization: 'Bearer ' + tokens.pbx, 'Content-Type': 'audio/wav', 'X-Received-At': '2026-11-02T10:00:00Z' } });
  assert.equal(r.status, 201);
  const { ctx, page } = await signedIn(tokens.officer);
  await page.emulateTimezone('Europe/Stockholm');
  const list = await page.evaluate(async () => (await (await fetch('/v1/voicemails?limit=100&decision=any')).json()).items
    .concat((await (await fetch('/v1/voicemails?limit=100&decision=none')).json()).items));
  let overdue = 0;
  for (const { id } of list) {
    const v = await page.evaluate(async (i) => (await fetch('/v1/voicemails/' + i)).json(), id);
    const today = await page.evaluate(() => new Date().toLocaleDateString('sv-SE'));
    const late = !v.callback_at && v.callback_deadline && v.callback_deadline < today;
    overdue += late ? 1 : 0;
    await openPage(page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id);
    const text = await page.$eval('dl.facts', (d) => d.textContent);
    assert.equal(/försenad/.test(text), Boolean(late), `voicemail ${id}, deadline ${v.callback_deadline}: ${text}`);
  }
  assert.ok(overdue >= 1, 'the demo has an overdue call-back');
  await ctx.close();
});

test('the inbox: a unit picker, local dates across a DST change, previous and next page', async () => {
  // two voicemails just after midnight, Swedish time, around the change to summer time
  const wav = readFileSync(join(ROOT, 'samples', 'v03-ring-mig.wav'));
  const posted = [];
  for (const at of ['2025-03-29T23:30:00Z', '2025-03-30T22:30:00Z']) {
    const r = await fetch(url + '/v1/mailboxes/4703/voicemails', { method: 'POST', body: wav,
      headers: { Authorization: 'Bearer ' + tokens.pbx, 'Content-Type': 'audio/wav', 'X-Received-At': at } });
    assert.equal(r.status, 201);
    posted.push((await r.json()).id);
  }
  const { ctx, page } = await signedIn(tokens.officer);
  await page.emulateTimezone('Europe/Stockholm');
  const ids = async () => page.$$eval('#page tbody tr a[href^="#/rostmeddelande/"]', (as) => as.map((a) => Number(a.getAttribute('href').split('/').pop())));
  await openPage(page, '#/inkorg?decision=&from=2025-03-30&to=2025-03-30', 'Inkorg');
  assert.deepEqual(await ids(), [posted[0]], '00:30 on 30 March, Swedish time, is the 30th');
  await openPage(page, '#/inkorg?decision=&from=2025-03-31&to=2025-03-31', 'Inkorg');
  assert.deepEqual(await ids(), [posted[1]], '00:30 on 31 March (summer time) is the 31st');
  // the unit: picked from a list, whatever the case of the link
  await openPage(page, '#/inkorg?decision=&unit=BYGGLOVSENHETEN', 'Inkorg');
  assert.equal(await page.$eval('select[name=unit]', (s) => s.selectedOptions[0].textContent), 'bygglovsenheten');
  const units = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.cells[1].textContent));
  assert.ok(units.length >= 1 && units.every((u) => u.includes('bygglovsenheten')), units.join(' | '));
  await page.select('select[name=unit]', '');
  await page.click('form.filters button[type=submit]');
  await page.waitForFunction(() => !location.hash.includes('unit=BYGG'));
  // pages of two: next, next, then back, back
  const all = await page.evaluate(async () => (await (await fetch('/v1/voicemails?limit=100')).json()).items.map((v) => v.id));
  assert.ok(all.length >= 5, 'enough voicemails for three pages');
  await openPage(page, '#/inkorg?decision=&limit=2', 'Inkorg');
  const seen = [await ids()];
  for (let step = 0; step < 2; step++) {
    await page.click('#page .pager a[rel=next]');
    await page.waitForFunction(() => document.getElementById('page').dataset.shown === location.hash);
    await page.waitForFunction((prev) => document.querySelector('#page tbody tr a')?.getAttribute('href') !== prev, {},
      '#/rostmeddelande/' + seen[seen.length - 1][0]);
    seen.push(await ids());
  }
  assert.deepEqual(seen.flat(), all.slice(0, 6));
  for (const back of [1, 0]) {
    await page.click('#page .pager a[rel=prev]');
    await page.waitForFunction(() => document.getElementById('page').dataset.shown === location.hash);
    await page.waitForFunction((first) => document.querySelector('#page tbody tr a')?.getAttribute('href') === first, {},
      '#/rostmeddelande/' + seen[back][0]);
    assert.deepEqual(await ids(), seen[back]);
  }
  assert.equal(await page.$('#page .pager a[rel=prev]'), null, 'no previous page before the first');
  await ctx.close();
});

// ---- Swedish, one word per thing ----

test('the app and docs/glossary.md give each code one Swedish word, and no code reaches a page', async () => {
  const glossary = readFileSync(join(ROOT, 'docs', 'glossary.md'), 'utf8');
  const doc = {};
  let group = null;
  for (const line of glossary.split('\n')) {
    const h = line.match(/^## .*\(`([a-z_]+)`\)/);
    if (h) { group = h[1]; doc[group] = {}; continue; }
    const r = line.match(/^\| `([a-z_]+)` \| ([^|]+) \|/);
    if (r && group) doc[group][r[1]] = r[2].trim();
  }
  const { ctx, page } = await signedIn(tokens.admin);
  const words = await page.evaluate(() => WORDS);
  assert.deepEqual(doc, words, 'docs/glossary.md and the table in web/app.js agree');
  // every audit action the API documents has its word
  const api = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
  const actions = [...api.slice(api.indexOf('The actions:'), api.indexOf('Reading the audit')).matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  assert.ok(actions.length > 20);
  for (const a of actions) assert.ok(words.audit[a], `a word for the audit action ${a}`);
  // no code, and no English error, on any page
  for (const [hash, title] of [['#/inkorg?decision=', 'Inkorg'], ['#/rostmeddelande/1', 'Röstmeddelande 1'],
    ['#/halsningsfraser', 'Hälsningsfraser'], ['#/brevlada/4710', 'Demo Person10'], ['#/rapporter', 'Rapporter'],
    ['#/logg', 'Logg']]) {
    await openPage(page, hash, title);
    await page.waitForFunction(() => document.querySelectorAll('#page table').length > 0);
    const text = await page.$eval('#page', (p) => p.innerText);
    const codes = text.match(/\b[a-z]+_[a-z_]+\b/g);
    assert.equal(codes, null, `${title} shows codes: ${codes}`);
  }
  await ctx.close();
  const out = await browser.createBrowserContext();
  const p = await out.newPage();
  await p.goto(url + '/');
  await p.waitForSelector('input[name=token]');
  await p.type('input[name=token]', 'rv_not_a_token');
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => document.getElementById('status').textContent.length > 0);
  const said = await p.$eval('#status', (s) => s.textContent);
  assert.doesNotMatch(said, /no such|token|invalid/i);
  assert.match(said, /nyckel/i);
  await out.close();
});

// ---- narrow screens: cards, no sideways scroll, readable charts ----

test('at 390 and 1366 px: no sideways scroll, SVG text of 12 px or more, axe passes', async () => {
  const { ctx, page } = await signedIn(tokens.admin);
  for (const width of [390, 1366]) {
    await page.setViewport({ width, height: 844 });
    for (const [hash, title] of [['#/inkorg?decision=', 'Inkorg'], ['#/rostmeddelande/1', 'Röstmeddelande 1'],
      ['#/halsningsfraser', 'Hälsningsfraser'], ['#/brevlada/4701', 'Anna Svensson'], ['#/rapporter', 'Rapporter'],
      ['#/logg', 'Logg']]) {
      await openPage(page, hash, title);
      await page.waitForFunction(() => document.querySelectorAll('#page table').length > 0);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(wide <= 0, `${title} at ${width} px scrolls sideways by ${wide} px`);
      const small = await page.$$eval('#page svg text', (ts) => ts.map((t) => ({ t: t.textContent,
        px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a })).filter((x) => x.px < 11.99));
      assert.deepEqual(small, [], `${title} at ${width} px: SVG text under 12 px`);
      await axe(page, `${title} at ${width} px`);
    }
    if (width === 390) {
      await openPage(page, '#/inkorg?decision=', 'Inkorg');
      const card = await page.$eval('#page tbody tr', (r) => ({ display: getComputedStyle(r).display,
        label: getComputedStyle(r.cells[2], '::before').content }));
      assert.equal(card.display, 'block', 'the inbox is cards');
      assert.match(card.label, /Uppringare/);
    }
  }
  await ctx.close();
});

test('the report charts: every unit, told apart by more than colour, labelled at its line', async () => {
  const { ctx, page } = await signedIn(tokens.manager);
  await openPage(page, '#/rapporter', 'Rapporter');
  await page.waitForFunction(() => document.querySelectorAll('#page svg.chart').length === 3);
  const latest = (await page.evaluate(async () => (await (await fetch('/v1/sweeps?limit=1')).json()).items))[0].report;
  const share = Object.fromEntries(latest.units.map((u) => [u.unit, u.compliant / u.mailboxes]));
  const series = await page.$$eval('#page svg.chart', (cs) => [...cs[0].querySelectorAll('g.series')].map((g) => ({
    unit: g.dataset.unit, look: g.dataset.marker + '/' + g.dataset.dash,
    y: Number(g.querySelector('text.label').getAttribute('y')) })));
  assert.deepEqual(series.map((s) => s.unit).sort(), Object.keys(share).sort(), 'one line a unit');
  assert.equal(new Set(series.map((s) => s.look)).size, series.length, 'marker and dash differ for every line');
  // direct labels: in the order of the lines' last values, top to bottom
  const byValue = [...series].sort((a, b) => share[b.unit] - share[a.unit] || a.y - b.y);
  const byY = [...series].sort((a, b) => a.y - b.y);
  assert.deepEqual(byY.map((s) => share[s.unit]), byValue.map((s) => share[s.unit]));
  await ctx.close();
});

// What a review found reaches the greeting's summary.
test('a saved review changes the greeting\'s status on its mailbox page', async () => {
    const { ctx, page } = await signedIn(tokens.officer);
    await openPage(page, '#/halsningsfraser', 'Hälsningsfraser');
    const r = await page.evaluate(async () => (await (await fetch('/v1/review')).json()).items.find((i) => !i.sample));
    assert.ok(r, 'a greeting to review');
    for (const k of r.listen_for) await page.click(`input[name="${r.greeting_id}-${k}"][value=stated]`);
    await page.evaluate((n) => document.querySelector(`input[name="${n}"]`).form.querySelector('button').click(),
      `${r.greeting_id}-${r.listen_for[0]}`);
    await page.waitForFunction(() => /sparad/.test(document.getElementById('status').textContent));
    await openPage(page, '#/brevlada/' + r.ext, r.name);
    const status = await page.$eval('#page tbody tr td:nth-child(2)', (td) => td.textContent);
    assert.notEqual(status, 'Behöver granskas');
    await ctx.close();
  });

// A greeting answered in part (through the API) asks only for the rest,
// and its row says what an earlier review answered.
test('a greeting answered in part asks only for what is still unanswered', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  await openPage(page, '#/halsningsfraser', 'Hälsningsfraser');
  const r = await page.evaluate(async () => (await (await fetch('/v1/review?limit=500')).json()).items
    .find((i) => !i.sample && i.listen_for.length >= 2));
  assert.ok(r, 'the demo has a greeting unsure of two elements or more');
  // answered last first: the closing prompt (last when asked) alone would
  // keep nothing listed once the rest were answered
  const first = r.listen_for[r.listen_for.length - 1], rest = r.listen_for.slice(0, -1);
  const status = await page.evaluate(async (path, body) => (await fetch(path, { method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.csrf }, body })).status,
  `/v1/mailboxes/${r.ext}/greetings/${r.greeting_id}/review`, JSON.stringify({ [first]: 'stated' }));
  assert.equal(status, 201);
  await openPage(page, '#/brevlada/' + r.ext, r.name);
  await openPage(page, '#/halsningsfraser', 'Hälsningsfraser');
  const asked = await page.$$eval(`input[name^="${r.greeting_id}-"][value=stated]`, (is) => is.map((i) => i.name));
  assert.deepEqual(asked, rest.map((k) => `${r.greeting_id}-${k}`));
  const row = await page.$eval(`input[name="${r.greeting_id}-${rest[0]}"]`, (i) => i.closest('tr').textContent);
  assert.match(row, /redan besvarat/);
  await ctx.close();
});

// Verdicts rostvakt was sure of are sampled for review too, in a table of
// their own, heard blind (the verdict is not shown); what the officer heard
// is saved. The answers agree with the verdict, so that it stays as it was.
test('a sample of sure verdicts is offered for review beside the unsure ones', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  await openPage(page, '#/halsningsfraser', 'Hälsningsfraser');
  const items = await page.evaluate(async () => (await (await fetch('/v1/review?limit=500')).json()).items);
  const samples = items.filter((i) => i.sample);
  assert.ok(samples.length > 0, 'the demo has a sure verdict in the sample');
  const rows = await page.$$eval('table', (ts) => ts.filter((t) => /^Stickprov/.test(t.caption?.textContent))
    .flatMap((t) => [...t.tBodies[0].rows].map((r) => r.textContent)));
  assert.equal(rows.length, samples.length, rows.join('\n'));
  const s = samples[0];
  assert.ok(s.unsure.length === 0 && s.listen_for.length > 0, JSON.stringify(s));
  const row = rows.find((t) => t.includes(`(${s.ext})`));
  assert.ok(row && !/Följer/.test(row), row);
  // nor in the mailbox's row further down
  const box = await page.$$eval('#page tbody tr', (rs, ext) => rs.map((r) => r.textContent)
    .find((t) => t.startsWith(ext) && /Lyssna och historik/.test(t)), s.ext);
  assert.ok(box && /Stickprov: granska först/.test(box) && !/Följer/.test(box), box);
  // nor on the mailbox's own page
  await openPage(page, '#/brevlada/' + s.ext, s.name);
  const history = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.textContent).join('\n'));
  assert.ok(/Stickprov: granska först/.test(history) && !/Följer/.test(history), history);
  // nor by a list picked by verdict, nor by the report's lists
  for (const c of ['true', 'false']) {
    await openPage(page, '#/halsningsfraser?compliant=' + c, 'Hälsningsfraser');
    const exts = await page.$$eval('#page tbody tr', (rs) => rs.filter((r) => /Lyssna och historik/.test(r.textContent))
      .map((r) => r.cells[0].textContent));
    assert.ok(!exts.includes(s.ext), `compliant=${c}: ${exts.join(' ')}`);
  }
  await openPage(page, '#/rapporter', 'Rapporter');
  const noncompliant = await page.$$eval('table', (ts) => ts.filter((t) => /^Följer inte policyn/.test(t.caption?.textContent))
    .flatMap((t) => [...t.tBodies[0].rows].map((r) => r.cells[0].textContent)));
  assert.ok(!noncompliant.includes(s.ext), noncompliant.join(' '));
  await openPage(page, '#/halsningsfraser', 'Hälsningsfraser');
  // a sample is answered whole
  const submit = (n) => page.evaluate((name) => document.querySelector(`input[name="${name}"]`).form
    .querySelector('button').click(), n);
  await page.click(`input[name="${s.greeting_id}-${s.listen_for[0]}"][value=stated]`);
  await submit(`${s.greeting_id}-${s.listen_for[0]}`);
  const error = await page.$eval(`input[name="${s.greeting_id}-${s.listen_for[0]}"]`,
    (i) => { const m = i.form.querySelector('.field-error'); return m && !m.hidden ? m.textContent : ''; });
  assert.match(error, /Svara på alla frågor/);
  for (const k of s.listen_for) {
    const v = s.verdict.violations.includes(k + '_missing') ? 'not_stated' : 'stated';
    await page.click(`input[name="${s.greeting_id}-${k}"][value=${v}]`);
  }
  await submit(`${s.greeting_id}-${s.listen_for[0]}`);
  await page.waitForFunction(() => /sparad/.test(document.getElementById('status').textContent));
  const left = await page.evaluate(async () => (await (await fetch('/v1/review?limit=500')).json()).items);
  assert.ok(!left.some((i) => i.greeting_id === s.greeting_id), 'reviewed: off the list');
  await ctx.close();
});

// ---- voicemails still being analysed ----

// A service of its own that analyses nothing (analysis_workers 0), with one
// voicemail waiting; signed in as an officer.
let waiting;
async function serviceWithWaitingVoicemail() {
  if (waiting) return waiting;
  const { base, srv, tok, pbx } = await ownService('waiting', { RV_ANALYSIS_WORKERS: '0' });
  const auth = { Authorization: 'Bearer ' + pbx };
  assert.equal((await fetch(base + '/v1/mailboxes/4801', { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ first_name: 'Väntande', last_name: 'Analys', unit: 'bygglovsenheten' }) })).status, 201);
  const r = await fetch(base + '/v1/mailboxes/4801/voicemails', { method: 'POST', body: readFileSync(join(ROOT, 'samples', 'v01-bygglov.wav')),
    headers: { ...auth, 'Content-Type': 'audio/wav' } });
  assert.equal(r.status, 201);
  const { ctx, page } = await signedInAt(base, tok('officer', 'registrator', '*'));
  waiting = { base, srv, page, ctx };
  return waiting;
}
after(async () => { if (waiting) { await waiting.ctx.close().catch(() => {}); waiting.srv.kill('SIGTERM'); } });

async function inboxRows(w, hash) {
  await w.page.goto(w.base + '/' + hash);
  await w.page.waitForFunction((h) => document.getElementById('page').dataset.shown === h, {}, hash);
  return w.page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.textContent));
}

test('a voicemail being analysed is listed as "Analyseras"', async () => {
  const w = await serviceWithWaitingVoicemail();
  const rows = await inboxRows(w, '#/inkorg?decision=');
  assert.ok(rows.some((r) => r.includes('Väntande Analys') && r.includes('Analyseras')), rows.join('\n'));
});

// The classification filter keeps voicemails not yet classified.
test('a voicemail being analysed is not hidden by the "Möjlig allmän handling" filter', async () => {
    const w = await serviceWithWaitingVoicemail();
    const rows = await inboxRows(w, '#/inkorg?classification=possible_public_record&decision=');
    assert.ok(rows.some((r) => r.includes('Väntande Analys') && r.includes('Analyseras')), rows.join('\n'));
  });

// The list's items carry callback_deadline and callback_at.
test('an overdue call-back is marked "försenad" in the inbox', async () => {
    // its own overdue message, whatever the weekday the demo was made
    const r = await fetch(url + '/v1/mailboxes/4703/voicemails', { method: 'POST',
      body: readFileSync(join(ROOT, 'samples', 'v03-ring-mig.wav')),
      headers: { Authorization: 'Bearer ' + tokens.pbx, 'Content-Type': 'audio/wav', 'X-Received-At': '2026-10-05T10:00:00Z' } });
    assert.equal(r.status, 201);
    const { ctx, page } = await signedIn(tokens.officer);
    const today = await page.evaluate(() => today());
    const list = await page.evaluate(async () => (await (await fetch('/v1/voicemails?limit=100&decision=any')).json()).items
      .concat((await (await fetch('/v1/voicemails?limit=100&decision=none')).json()).items));
    const late = list.find((v) => !v.callback_at && v.callback_deadline && v.callback_deadline < today);
    assert.ok(late, 'an overdue call-back');
    await openPage(page, '#/rostmeddelande/' + late.id, 'Röstmeddelande ' + late.id);
    assert.match(await page.$eval('dl.facts', (d) => d.textContent), /försenad/);
    await openPage(page, '#/inkorg?decision=&limit=100', 'Inkorg');
    const row = await page.$$eval('#page tbody tr', (rs, id) => rs.find((r) => r.querySelector(`a[href="#/rostmeddelande/${id}"]`))?.textContent, late.id);
    assert.match(row, /försenad/);
    // an empty message has nobody to call back: never late
    for (const v of list.filter((x) => x.classification === 'empty')) assert.equal(v.callback_deadline, null, 'voicemail ' + v.id);
    await ctx.close();
  });

test('after a decision, "Nästa obeslutade" leads to the next voicemail without one', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  const next = await page.evaluate(async () => (await (await fetch('/v1/voicemails?decision=none&limit=1&after=3')).json()).items[0]?.id);
  assert.ok(next, 'an older undecided voicemail');
  await openPage(page, '#/rostmeddelande/3', 'Röstmeddelande 3');
  await page.click('input[name=decision][value=halls_ordnad]');
  await page.click('form button.primary');
  await page.waitForSelector('a.next-undecided');
  assert.equal(await page.$eval('a.next-undecided', (a) => a.getAttribute('href')), '#/rostmeddelande/' + next);
  await page.click('a.next-undecided');
  await page.waitForFunction((h) => document.getElementById('page').dataset.shown === h, {}, '#/rostmeddelande/' + next);
  await ctx.close();
});

test('the inbox: a total, "Nya", search by caller and by name; who has listened', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  const ids = async () => page.$$eval('#page tbody tr a[href^="#/rostmeddelande/"]', (as) => as.map((a) => Number(a.getAttribute('href').split('/').pop())));
  const apiList = async (q) => page.evaluate(async (x) => (await (await fetch('/v1/voicemails?limit=25&' + x)).json()), q);
  await openPage(page, '#/inkorg?decision=', 'Inkorg');
  const all = await apiList('');
  assert.match(await page.$eval('#page p.total', (p) => p.textContent), new RegExp('^' + all.total + ' röstmeddelanden'));
  // "Nya": one click, those nobody has listened to
  await page.click('#page p.quick a:nth-of-type(2)');
  await page.waitForFunction(() => location.hash.includes('listened=false') &&
    document.getElementById('page').dataset.shown === location.hash);
  const fresh = await apiList('listened=false');
  assert.deepEqual(await ids(), fresh.items.map((v) => v.id));
  assert.ok(all.total > fresh.total, 'some were listened to');
  // by caller number and by the mailbox's name
  const one = all.items.find((v) => v.caller);
  assert.ok(one, 'a voicemail with a caller number');
  await openPage(page, '#/inkorg?decision=&caller=' + encodeURIComponent(one.caller), 'Inkorg');
  const byCaller = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.cells[2].textContent));
  assert.ok(byCaller.length >= 1 && byCaller.every((c) => c.includes(one.caller)), byCaller.join(' | '));
  // written as people write a number: 070-123 45 67
  const national = one.caller.startsWith('+46') ? '0' + one.caller.slice(3) : one.caller;
  const spaced = national.slice(0, 3) + '-' + national.slice(3, 6) + ' ' + national.slice(6);
  await openPage(page, '#/inkorg?decision=&caller=' + encodeURIComponent(spaced), 'Inkorg');
  const bySpaced = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.cells[2].textContent));
  assert.deepEqual(bySpaced, byCaller, spaced);
  const first = one.name.split(' ')[0];
  await openPage(page, '#/inkorg?decision=&q=' + encodeURIComponent(first.toUpperCase()), 'Inkorg');
  const byName = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.cells[1].textContent));
  assert.ok(byName.length >= 1 && byName.every((c) => c.includes(first)), byName.join(' | '));
  // who has listened, on the voicemail, once its audio was played
  const id = fresh.items[0].id;
  await openPage(page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id);
  assert.match(await page.$eval('dl.facts dd.listens', (d) => d.textContent), /ingen än/);
  // opening it is no listen: nothing of the audio is fetched until it is played
  await page.waitForNetworkIdle({ idleTime: 700 });
  await openPage(page, '#/inkorg?decision=&listened=false&y=' + id, 'Inkorg');
  assert.ok((await ids()).includes(id), 'still new once opened');
  await openPage(page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id);
  assert.match(await page.$eval('dl.facts dd.listens', (d) => d.textContent), /ingen än/, 'opened, not heard');
  await page.evaluate(async (i) => { await (await fetch('/v1/voicemails/' + i + '/audio')).arrayBuffer(); }, id);
  await openPage(page, '#/inkorg?decision=&x=' + id, 'Inkorg');
  await openPage(page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id);
  assert.match(await page.$eval('dl.facts dd.listens', (d) => d.textContent), /anna\.registrator/);
  await ctx.close();
});

test('decisions as the law has them: nothing chosen before, a change needs its reason, a voicemail handed over is not gallras', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  await openPage(page, '#/rostmeddelande/5', 'Röstmeddelande 5');
  assert.equal(await page.$$eval('input[name=decision]:checked', (x) => x.length), 0, 'nothing is pre-selected');
  const suggestion = await page.$eval('p.suggestion', (p) => p.textContent);
  assert.match(suggestion, /Tjänstens förslag: .*inget beslut/);
  await page.click('input[name=decision][value=registrera]');
  await page.type('input[name=diarienummer]', 'KS 2026/55');
  await page.click('form button.primary');
  await page.waitForFunction(() => document.activeElement?.name === 'arendemening');
  await page.type('input[name=arendemening]', 'Fråga om en faktura');
  await page.click('form button.primary');
  await page.waitForFunction(() => [...document.querySelectorAll('#page tbody tr')].some((r) => r.textContent.includes('KS 2026/55')));
  const made = await page.evaluate(async () =>
    (await fetch('/v1/voicemails/5/package', { method: 'POST', headers: { 'X-CSRF-Token': state.csrf } })).status);
  assert.equal(made, 200, 'handed over to the e-archive');
  await page.reload();
  assert.equal(await heading(page), 'Röstmeddelande 5');
  await page.click('input[name=decision][value=gallras]');
  await page.click('input[name=ground][value=ringa]');
  await page.click('form button.primary');
  await page.waitForFunction(() => document.activeElement?.name === 'reason');
  const said = await page.$eval('textarea[name=reason]', (t) => document.getElementById(t.getAttribute('aria-describedby'))?.textContent);
  assert.match(said, /varför beslutet ändras/);
  await page.type('textarea[name=reason]', 'felregistrerad');
  await page.click('form button.primary');
  await page.waitForFunction(() => /e-arkivet/.test(document.getElementById('status').textContent));
  const status = await page.$eval('#status', (s) => s.textContent);
  assert.match(status, /Beslutet sparades inte: meddelandet är lämnat till e-arkivet och kan inte gallras/);
  const hist = await page.evaluate(async () => (await (await fetch('/v1/voicemails/5')).json()).decisions);
  assert.deepEqual(hist.map((d) => d.decision), ['registrera'], 'nothing was recorded');
  await axe(page, 'a voicemail with its decision');
  await ctx.close();
});

// ---- two authorities on one installation ----

test('an officer of one authority never sees the other\'s voicemails', async () => {
  const s = await ownService('orgs', { RV_ANALYSIS_WORKERS: '0' });
  try {
    const ids = await twoAuthorities(s);
    const { ctx, page } = await signedInAt(s.base, s.tok('officer', 'diarium', 'grastorp'));
    await page.waitForFunction(() => document.getElementById('who-orgs').textContent.includes('Grästorps kommun'));
    await page.goto(s.base + '/#/inkorg?decision=');
    await page.waitForFunction(() => document.getElementById('page').dataset.shown === '#/inkorg?decision=');
    const rows = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.textContent));
    assert.ok(rows.some((r) => r.includes('Grästorpsson')), rows.join('\n'));
    assert.ok(!rows.some((r) => r.includes('Essungasson')), rows.join('\n'));
    await axe(page, 'the inbox of one authority');
    // essunga's voicemail, by its link: as if there were none
    await page.goto(s.base + '/#/rostmeddelande/' + ids['4711']);
    await page.waitForFunction((h) => document.getElementById('page').dataset.shown === h, {}, '#/rostmeddelande/' + ids['4711']);
    const text = await page.$eval('main', (m) => m.textContent);
    assert.ok(!text.includes('Essungasson'), text);
    assert.match(text, /finns inte/);
    await ctx.close();
  } finally {
    s.srv.kill('SIGTERM');
  }
});

test('dates are the body\'s (Europe/Stockholm) whatever the browser\'s own time zone', async () => {
  const { ctx, page } = await signedIn(tokens.officer);
  await page.emulateTimezone('America/New_York');
  await openPage(page, '#/rostmeddelande/1', 'Röstmeddelande 1');
  const at = await page.evaluate(async () => (await (await fetch('/v1/voicemails/1')).json()).received_at);
  const want = new Date(at).toLocaleString('sv-SE', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Stockholm' });
  const shown = await page.$$eval('dl.facts dt', (dts) => dts.find((d) => d.textContent === 'Mottaget').nextElementSibling.textContent);
  assert.equal(shown, want, 'received ' + at);
  const todayHere = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  assert.equal(await page.evaluate(() => today()), todayHere);
  await ctx.close();
});

// ---- pickers: a manager's units, a person's organisations ----

// A service of its own (data and tokens in work/name) at its address; the
// tokens made by tok(role, name, ...orgs) before or after it starts.
async function ownService(name, env = {}) {
  const dir = join(work, name);
  execFileSync('mkdir', ['-p', join(dir, 'db')]);
  const tok = (role, who, ...org) => execFileSync(BIN, ['token', '--tokens', join(dir, 'tokens'), '--role', role, '--name', who,
    ...org.flatMap((o) => ['--org', o])], { encoding: 'utf8' }).trim().split('\n').pop();
  const pbx = tok('pbx', 'vaxeln'), admin = tok('admin', 'it');
  const srv = spawn(BIN, ['serve', '--data-dir', join(dir, 'db'), '--tokens', join(dir, 'tokens'), '--listen', '127.0.0.1:0'],
    { env: { ...SERVE_ENV, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    let buf = '';
    srv.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/listening on ([0-9.:]+)/);
      if (m) resolve('http://' + m[1]);
    });
    srv.on('exit', () => reject(new Error('serve exited')));
  });
  return { base, srv, tok, pbx, admin };
}

// Essunga and Grästorp on the service s of ownService, a mailbox of each
// (4711 Anna Essungasson, 5711 Bo Grästorpsson, unit Ekonomi) with one
// voicemail each; the voicemails' ids by extension.
async function twoAuthorities(s) {
  const put = async (path, body, t = s.admin) => (await fetch(s.base + path, { method: 'PUT', body: JSON.stringify(body),
    headers: { Authorization: 'Bearer ' + t, 'Content-Type': 'application/json' } })).status;
  assert.equal(await put('/v1/organisations/essunga', { name: 'Essunga kommun' }), 201);
  assert.equal(await put('/v1/organisations/grastorp', { name: 'Grästorps kommun' }), 201);
  assert.equal(await put('/v1/mailboxes/4711', { first_name: 'Anna', last_name: 'Essungasson', unit: 'Ekonomi',
    organisation: 'essunga' }, s.pbx), 201);
  assert.equal(await put('/v1/mailboxes/5711', { first_name: 'Bo', last_name: 'Grästorpsson', unit: 'Ekonomi',
    organisation: 'grastorp' }, s.pbx), 201);
  const ids = {};
  for (const ext of ['4711', '5711']) {
    const r = await fetch(s.base + '/v1/mailboxes/' + ext + '/voicemails', { method: 'POST',
      body: readFileSync(join(ROOT, 'samples', 'v01-bygglov.wav')),
      headers: { Authorization: 'Bearer ' + s.pbx, 'Content-Type': 'audio/wav' } });
    assert.equal(r.status, 201);
    ids[ext] = (await r.json()).id;
  }
  return ids;
}

const options = (page, name) => page.$$eval(`select[name=${name}] option`, (os) => os.map((o) => o.textContent));

// axe at both widths the app is made for, on the page as it is
async function axeAtWidths(page, what) {
  for (const width of [1366, 390]) {
    await page.setViewport({ width, height: 844 });
    await axe(page, `${what} at ${width} px`);
  }
  await page.setViewport({ width: 1366, height: 844 });
}

test('a manager of two units picks one on the report and greetings pages', async () => {
  const tok = execFileSync(BIN, ['token', '--tokens', join(work, 'demo', 'tokens'), '--role', 'manager', '--name',
    'lena.chef@kommun.se', '--org', '*'], { encoding: 'utf8' }).trim().split('\n').pop();
  const admin = { Authorization: 'Bearer ' + tokens.admin };
  const latest = (await (await fetch(url + '/v1/sweeps?limit=1', { headers: admin })).json()).items[0].report;
  const units = (await (await fetch(url + '/v1/units', { headers: admin })).json()).items;
  const two = latest.units.map((u) => u.unit).filter((u) => units.some((x) => x.name === u)).slice(0, 2);
  assert.equal(two.length, 2, 'two units of the report: ' + latest.units.map((u) => u.unit).join(', '));
  for (const name of two) {
    const managers = units.find((x) => x.name === name).managers.concat('lena.chef@kommun.se');
    const r = await fetch(url + '/v1/units/' + encodeURIComponent(name), { method: 'PUT',
      headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify({ managers }) });
    assert.equal(r.status, 200);
  }
  const { ctx, page } = await signedIn(tok);
  const mine = [...two].sort((a, b) => a.localeCompare(b, 'sv'));
  await openPage(page, '#/halsningsfraser', 'Hälsningsfraser');
  assert.deepEqual(await options(page, 'unit'), ['Alla enheter', ...mine], 'her units only');
  await openPage(page, '#/rapporter', 'Rapporter');
  assert.deepEqual(await options(page, 'unit'), ['Alla enheter', ...mine]);
  await page.waitForFunction(() => document.querySelectorAll('#page svg.chart').length === 3);
  const lines = () => page.$$eval('#page svg.chart', (cs) => [...cs[0].querySelectorAll('g.series')].map((g) => g.dataset.unit));
  assert.deepEqual((await lines()).sort((a, b) => a.localeCompare(b, 'sv')), mine);
  await axeAtWidths(page, 'the report with a unit picker');
  // one unit: its line alone, and its rows alone
  await page.select('select[name=unit]', mine[1]);
  await page.click('#page form.filters button[type=submit]');
  await page.waitForFunction(() => location.hash.startsWith('#/rapporter?unit=') &&
    document.getElementById('page').dataset.shown === location.hash && document.querySelectorAll('#page svg.chart').length === 3);
  assert.deepEqual(await lines(), [mine[1]]);
  const cells = await page.$$eval('#page table tbody tr', (rs) => rs.filter((r) => r.cells.length > 2).map((r) => r.cells[2].textContent));
  for (const u of cells) assert.equal(u.toLowerCase(), mine[1].toLowerCase(), 'a row of the unit picked: ' + cells.join(' | '));
  assert.equal(await page.$eval('select[name=unit]', (s) => s.selectedOptions[0].textContent), mine[1]);
  await axeAtWidths(page, 'the report of one unit');
  await ctx.close();
  // the demo's manager of every unit still has them all
  const karl = await signedIn(tokens.manager);
  await openPage(karl.page, '#/rapporter', 'Rapporter');
  assert.ok((await options(karl.page, 'unit')).length > 3);
  await karl.ctx.close();
});

test('people of an Åland body see its times and its today in Mariehamn time', async () => {
  const s = await ownService('aland', { RV_ANALYSIS_WORKERS: '0' });
  try {
    const h = (t, type = 'application/json') => ({ Authorization: 'Bearer ' + t, 'Content-Type': type });
    let r = await fetch(s.base + '/v1/organisations/lemland', { method: 'PUT', headers: h(s.admin),
      body: JSON.stringify({ name: 'Lemlands kommun', calendar: 'AX' }) });
    assert.equal(r.status, 201, await r.text());
    r = await fetch(s.base + '/v1/mailboxes/6711', { method: 'PUT', headers: h(s.pbx),
      body: JSON.stringify({ first_name: 'Ella', last_name: 'Lemlundh', unit: 'Kansliet', organisation: 'lemland' }) });
    assert.equal(r.status, 201, await r.text());
    // 22:30 UTC: 23:30 in Stockholm, 00:30 the next day in Mariehamn
    r = await fetch(s.base + '/v1/mailboxes/6711/voicemails', { method: 'POST',
      headers: { ...h(s.pbx, 'audio/wav'), 'X-Received-At': '2026-12-06T22:30:00Z' },
      body: readFileSync(join(ROOT, 'samples', 'v01-bygglov.wav')) });
    const posted = await r.text();
    assert.equal(r.status, 201, posted);
    const id = JSON.parse(posted).id;
    const { ctx, page } = await signedInAt(s.base, s.tok('officer', 'lemland.registrator', 'lemland'));
    await openPage(page, '#/inkorg?decision=', 'Inkorg', s.base);
    const first = await page.$eval('#page tbody tr td', (c) => c.textContent);
    assert.match(first, /^2026-12-07 00:30/, 'the inbox in Mariehamn time');
    await openPage(page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id, s.base);
    const shown = await page.$$eval('dl.facts dt', (dts) => dts.find((d) => d.textContent === 'Mottaget').nextElementSibling.textContent);
    assert.equal(shown, '2026-12-07 00:30');
    const there = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Mariehamn', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    assert.equal(await page.evaluate(() => today()), there, 'today in Mariehamn');
    await ctx.close();
    // a person of a Swedish body too: their lists in Stockholm time, the Åland voicemail in its own
    r = await fetch(s.base + '/v1/organisations/essunga', { method: 'PUT', headers: h(s.admin),
      body: JSON.stringify({ name: 'Essunga kommun' }) });
    assert.equal(r.status, 201, await r.clone().text());
    const both = await signedInAt(s.base, s.tok('officer', 'forbundet', 'essunga', 'lemland'));
    await openPage(both.page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id, s.base);
    const there2 = await both.page.$$eval('dl.facts dt', (dts) => dts.find((d) => d.textContent === 'Mottaget').nextElementSibling.textContent);
    assert.equal(there2, '2026-12-07 00:30', 'the voicemail in its own organisation\'s time');
    await both.ctx.close();
  } finally {
    s.srv.kill('SIGTERM');
  }
});

test('a person of two authorities picks one; each page says whose it is', async () => {
  const s = await ownService('pickers', { RV_ANALYSIS_WORKERS: '0' });
  try {
    await twoAuthorities(s);
    const both = s.tok('officer', 'forbundet', 'essunga', 'grastorp'), one = s.tok('officer', 'diarium', 'grastorp');
    const { ctx, page } = await signedInAt(s.base, both);
    const rows = () => page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.textContent));
    const org = () => page.$eval('#page p.org', (p) => p.textContent);
    await openPage(page, '#/inkorg?decision=', 'Inkorg', s.base);
    assert.deepEqual(await options(page, 'organisation'), ['Alla organisationer', 'Essunga kommun', 'Grästorps kommun']);
    assert.equal(await org(), 'Organisationer: Essunga kommun, Grästorps kommun');
    assert.equal((await rows()).length, 2);
    await page.select('select[name=organisation]', 'essunga');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => location.hash.includes('organisation=essunga') &&
      document.getElementById('page').dataset.shown === location.hash);
    const essunga = await rows();
    assert.ok(essunga.length === 1 && essunga[0].includes('Essungasson'), essunga.join('\n'));
    assert.equal(await org(), 'Organisation: Essunga kommun');
    await axeAtWidths(page, 'the inbox of one authority picked');
    // the voicemail and the mailbox say whose they are
    const id = await page.$eval('#page tbody tr a', (a) => a.getAttribute('href').split('/').pop());
    await openPage(page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id, s.base);
    assert.equal(await page.$eval('dl.facts dd.org', (d) => d.textContent), 'Essunga kommun');
    await axeAtWidths(page, 'a voicemail with its authority');
    await openPage(page, '#/brevlada/5711', 'Bo Grästorpsson', s.base);
    assert.equal(await page.$eval('dl.facts dd.org', (d) => d.textContent), 'Grästorps kommun');
    // the greetings: the other authority's mailboxes alone
    await openPage(page, '#/halsningsfraser?organisation=grastorp', 'Hälsningsfraser', s.base);
    assert.equal(await page.$eval('select[name=organisation]', (x) => x.value), 'grastorp');
    const boxes = await page.$$eval('#page table tbody tr', (rs) => rs.map((r) => r.textContent).join('\n'));
    assert.ok(boxes.includes('Grästorpsson') && !boxes.includes('Essungasson'), boxes);
    assert.equal(await org(), 'Organisation: Grästorps kommun');
    await axeAtWidths(page, 'the greetings of one authority picked');
    await ctx.close();
    // one authority's officer: no picker, the authority named
    const g = await signedInAt(s.base, one);
    await openPage(g.page, '#/inkorg?decision=', 'Inkorg', s.base);
    assert.equal(await g.page.$('select[name=organisation]'), null);
    assert.equal(await g.page.$eval('#page p.org', (p) => p.textContent), 'Organisation: Grästorps kommun');
    await g.ctx.close();
  } finally {
    s.srv.kill('SIGTERM');
  }
});

test('the organisation picked goes on to Rapporter; an officer reads their own authority\'s Logg', async () => {
  const s = await ownService('carried', { RV_ANALYSIS_WORKERS: '0' });
  try {
    const auth = (t) => ({ Authorization: 'Bearer ' + t, 'Content-Type': 'application/json' });
    const ids = await twoAuthorities(s);
    const sweep = await fetch(s.base + '/v1/sweeps?date=2026-12-07', { method: 'POST', headers: auth(s.admin) });
    assert.equal(sweep.status, 200);
    const both = s.tok('officer', 'forbundet', 'essunga', 'grastorp'), one = s.tok('officer', 'diarium', 'grastorp');
    // picked on Inkorg, still picked on Rapporter by its link in the menu
    const { ctx, page } = await signedInAt(s.base, both);
    await openPage(page, '#/inkorg?decision=&organisation=grastorp', 'Inkorg', s.base);
    assert.equal(await page.$eval('select[name=organisation]', (x) => x.value), 'grastorp');
    await page.click('nav a[href="#/rapporter"]');
    await page.waitForFunction(() => location.hash === '#/rapporter' && document.getElementById('page').dataset.shown === '#/rapporter' &&
      document.querySelector('#page h1')?.textContent === 'Rapporter');
    assert.equal(await page.$eval('select[name=organisation]', (x) => x.value), 'grastorp');
    assert.equal(await page.$eval('#page p.org', (p) => p.textContent), 'Organisation: Grästorps kommun');
    let report = await page.$eval('#page', (p) => p.textContent);
    assert.ok(report.includes('5711') && !report.includes('4711'), report);
    assert.match(report, /: 1 brevlåda\./, "one mailbox, in the singular");
    await axeAtWidths(page, 'the report of one authority picked');
    // all of theirs again, then the other one
    await page.select('select[name=organisation]', '');
    await page.click('#page form.filters button[type=submit]');
    await page.waitForFunction(() => location.hash === '#/rapporter?organisation=' &&
      document.getElementById('page').dataset.shown === location.hash);
    report = await page.$eval('#page', (p) => p.textContent);
    assert.ok(report.includes('5711') && report.includes('4711'), report);
    await page.click('nav a[href="#/halsningsfraser"]');
    await page.waitForFunction(() => document.getElementById('page').dataset.shown === '#/halsningsfraser');
    assert.equal(await page.$eval('select[name=organisation]', (x) => x.value), '', 'all of theirs, carried too');
    // the Logg of a person of both: one authority's rows when picked
    await openPage(page, '#/logg?organisation=essunga', 'Logg', s.base);
    const cells = () => page.$$eval('#page table tbody tr', (rs) => rs.map((r) => r.cells[5].textContent + '|' + r.cells[4].textContent));
    const ess = await cells();
    assert.ok(ess.some((c) => c.startsWith('4711|')) && !ess.some((c) => c.startsWith('5711|')), ess.join('\n'));
    await axeAtWidths(page, 'the Logg of one authority picked');
    await ctx.close();
    // an officer of one authority: Logg in the menu, their authority's rows alone
    const g = await signedInAt(s.base, one);
    const nav = await g.page.$$eval('#nav li:not([hidden]) a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(nav, ['Inkorg', 'Hälsningsfraser', 'Rapporter', 'Logg']);
    await g.page.click('nav a[href="#/logg"]');
    await g.page.waitForFunction(() => document.getElementById('page').dataset.shown === '#/logg' &&
      document.querySelector('#page h1')?.textContent === 'Logg');
    assert.equal(await g.page.$('select[name=organisation]'), null);
    assert.equal(await g.page.$eval('#page p.org', (p) => p.textContent), 'Organisation: Grästorps kommun');
    const rows = await g.page.$$eval('#page table tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
    assert.ok(rows.some((r) => r[5] === '5711'), JSON.stringify(rows));
    assert.ok(!rows.some((r) => r[5] === '4711' || r[4] === String(ids['4711'])), JSON.stringify(rows));
    assert.ok(!rows.some((r) => /Nattlig kontroll|Inloggning/.test(r[3])), 'no rows of the installation: ' + JSON.stringify(rows));
    assert.deepEqual(rows.filter((r) => /Organisation skapad/.test(r[3])).map((r) => r[6]), ['grastorp'], 'their organisation\'s alone');
    await axeAtWidths(g.page, 'an officer\'s Logg');
    // another authority's rows, asked for by the link: not theirs
    await g.page.goto(s.base + '/#/logg?voicemail=' + ids['4711']);
    await g.page.waitForFunction((h) => document.getElementById('page').dataset.shown === h, {}, '#/logg?voicemail=' + ids['4711']);
    const none = await g.page.$$eval('#page table tbody tr', (rs) => rs.map((r) => r.textContent));
    assert.deepEqual(none, ['Inget att visa.']);
    await g.ctx.close();
  } finally {
    s.srv.kill('SIGTERM');
  }
});

// ---- hand-over to a handläggare ----

test('the hand-over form mails the handläggare the link, and the audit shows it', async () => {
  const to = 'handlaggare@kommun.se';
  const mine = () => mails().filter((m) => m.startsWith('RCPT=' + to + '|'));
  const { ctx, page } = await signedIn(tokens.officer);
  await openPage(page, '#/rostmeddelande/4', 'Röstmeddelande 4');
  // an address that is none is said at its field, and nothing is sent
  await page.type('input[name=to]', 'inte en adress');
  await page.click('form.handover button[type=submit]');
  await page.waitForFunction(() => document.activeElement?.name === 'to' && document.activeElement.getAttribute('aria-invalid') === 'true');
  assert.deepEqual(mine(), []);
  await page.$eval('input[name=to]', (i) => { i.value = ''; });
  await page.type('input[name=to]', to);
  await page.type('textarea[name=handover-note]', 'Ring upp i dag.');
  await page.click('form.handover button[type=submit]');
  await page.waitForFunction(() => /Lämnat över/.test(document.getElementById('status').textContent));
  assert.equal(await page.$eval('#status', (x) => x.textContent), 'Lämnat över: ett mejl med länken har skickats till ' + to + '.');
  const got = mine();
  assert.equal(got.length, 1, got.join('\n'));
  assert.ok(got[0].includes('/#/rostmeddelande/4'), 'the voicemail\'s link: ' + got[0]);
  assert.ok(got[0].includes('Ring upp i dag.'), 'the note: ' + got[0]);
  assert.equal(await page.$eval('input[name=to]', (i) => i.value), '', 'the form is emptied');
  // the voicemail itself says to whom it was handed over, by whom
  await openPage(page, '#/inkorg?decision=', 'Inkorg');
  await openPage(page, '#/rostmeddelande/4', 'Röstmeddelande 4');
  assert.match(await page.$eval('dl.facts dd.handovers', (d) => d.textContent), new RegExp('^till ' + to + ' av anna\\.registrator '));
  await axeAtWidths(page, 'a voicemail handed over');
  await ctx.close();
  // the audit: who handed it over, to whom
  const admin = await signedIn(tokens.admin);
  await openPage(admin.page, '#/logg?voicemail=4', 'Logg');
  const rows = await admin.page.$$eval('#page tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.ok(rows.some((r) => r[1] === 'anna.registrator' && r[3] === 'Lämnat över till handläggare' && r[6] === to),
    JSON.stringify(rows));
  await admin.ctx.close();
});

test('a voicemail whose recording was disposed of says so and offers no player', async () => {
  // a profile that lets an empty recording go without a person
  const profiles = join(work, 'disposed-profiles');
  execFileSync('mkdir', ['-p', profiles]);
  writeFileSync(join(profiles, 'gallrande.conf'), readFileSync(join(ROOT, 'models', 'profiles', 'botkyrka.conf'), 'utf8') +
    'gallringsbeslut = KS 2026/1, 2026-01-01\ngallring_covers = tillfallig, ringa\ngallra_automatiskt = empty\n');
  const s = await ownService('disposed', { RV_PROFILE_DIRS: join(ROOT, 'models', 'profiles') + ':' + profiles });
  try {
    const auth = (t, type = 'application/json') => ({ Authorization: 'Bearer ' + t, 'Content-Type': type });
    const put = await fetch(s.base + '/v1/mailboxes/4711', { method: 'PUT', headers: auth(s.pbx),
      body: JSON.stringify({ first_name: 'Anna', last_name: 'Svensson', unit: 'Ekonomi', profile: 'gallrande' }) });
    assert.equal(put.status, 201);
    const r = await fetch(s.base + '/v1/mailboxes/4711/voicemails', { method: 'POST',
      body: readFileSync(join(ROOT, 'samples', 'v05-hangup.wav')),
      headers: { ...auth(s.pbx, 'audio/wav'), 'X-Received-At': '2026-01-10T09:00:00Z' } });
    assert.equal(r.status, 201);
    const id = (await r.json()).id;
    const officer = s.tok('officer', 'registrator', '*');
    let v = {};
    for (let i = 0; i < 300 && v.state !== 'analysed'; i++) {
      v = await (await fetch(s.base + '/v1/voicemails/' + id, { headers: auth(officer) })).json();
      if (v.state !== 'analysed') await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(v.classification, 'empty');
    const sweep = await fetch(s.base + '/v1/sweeps?date=2026-11-23', { method: 'POST', headers: auth(s.admin) });
    assert.equal(sweep.status, 200);
    assert.deepEqual((await sweep.json()).disposed.map((d) => d.id), [id]);
    const { ctx, page } = await signedInAt(s.base, officer);
    await openPage(page, '#/rostmeddelande/' + id, 'Röstmeddelande ' + id, s.base);
    assert.equal(await page.$('audio'), null, 'no player for audio that is gone');
    assert.match(await page.$eval('#page p.disposed', (p) => p.textContent), /^Inspelningen gallrades \d{4}-\d\d-\d\d/);
    assert.doesNotMatch(await page.$eval('#page', (p) => p.textContent), /Tangenter när spelaren/, 'nor its key help');
    // nothing more is decided or handed over: no form that the service would refuse
    assert.equal(await page.$('input[name=decision]'), null, 'no decision form');
    assert.equal(await page.$('form.handover'), null, 'no hand-over form');
    assert.match(await page.$eval('#page', (p) => p.textContent), /Inspelningen är gallrad: inga fler beslut/);
    // an empty message has nobody to call back: no deadline, as in the sweep's report
    assert.equal(v.callback_deadline, null, 'no call-back deadline for an empty message');
    const listed = (await (await fetch(s.base + '/v1/voicemails?limit=5', { headers: auth(officer) })).json()).items;
    assert.equal(listed.find((x) => x.id === id).callback_deadline, null, 'nor in the list once disposed of');
    await axeAtWidths(page, 'a voicemail disposed of');
    await ctx.close();
  } finally {
    s.srv.kill('SIGTERM');
  }
});
