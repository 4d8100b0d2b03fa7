// The web app end to end, in Debian's Chromium driven by puppeteer-core:
// an archive built from the shipped samples as a PBX would post them
// (tools/demo-archive.sh), then what officers, managers and admins do.
// Run by `make test`: node --test tests/browser/app.test.mjs
// Environment: RV_BIN (the program, default build/rostvakt), CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.RV_BIN || join(ROOT, 'build', 'rostvakt');
const AXE = readFileSync(join(ROOT, 'tests', 'browser', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'rv-browser-'));
let url, tokens, browser;

before(async () => {
  const out = execFileSync('sh', [join(ROOT, 'tools', 'demo-archive.sh'), BIN, join(work, 'demo'), '--keep'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
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
  try { process.kill(Number(readFileSync(join(work, 'demo', 'serve.pid'), 'utf8')), 'SIGTERM'); } catch { /* gone */ }
  rmSync(work, { recursive: true, force: true });
});

// A fresh browser context (its own cookies) signed in with token.
async function signedIn(token) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.goto(url + '/');
  await page.waitForSelector('input[name=token]');
  await page.type('input[name=token]', token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#nav:not([hidden])');
  return { ctx, page };
}

async function heading(page) {
  await page.waitForFunction(() => document.querySelector('#page h1') && !document.querySelector('#page p')?.textContent.startsWith('Hämtar'));
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
  await page.waitForFunction(() => document.querySelectorAll('#page tbody tr a').length > 0);
  const classes = await page.$$eval('#page tbody tr td:nth-child(5) strong', (s) => s.map((x) => x.textContent));
  assert.ok(classes.length >= 1);
  for (const c of classes) assert.equal(c, 'Möjlig allmän handling');
  // open the first one
  const href = await page.$eval('#page tbody tr a', (a) => a.getAttribute('href'));
  const id = href.split('/').pop();
  await page.click('#page tbody tr a');
  await page.waitForSelector('audio');
  assert.equal(await heading(page), 'Röstmeddelande ' + id);
  // the audio reaches a duration and plays
  await page.waitForFunction(() => document.querySelector('audio').readyState >= 1, { timeout: 15000 });
  const duration = await page.$eval('audio', (a) => a.duration);
  assert.ok(duration > 0.5, 'the recording has a duration: ' + duration);
  await page.$eval('audio', (a) => a.play());
  await page.waitForFunction(() => document.querySelector('audio').currentTime > 0.2, { timeout: 15000 });
  await page.$eval('audio', (a) => a.pause());
  // a decision
  await page.click('input[name=decision][value=registered]');
  await page.type('input[name=diarienummer]', 'KS 2026/4711');
  await page.type('textarea[name=note]', 'Frågan om bygglov');
  await page.click('form button.primary');
  await page.waitForFunction(() => [...document.querySelectorAll('#page tbody tr')].some((r) => r.textContent.includes('KS 2026/4711')));
  const row = await page.$$eval('#page tbody tr', (rs) => rs.map((r) => r.textContent).find((t) => t.includes('KS 2026/4711')));
  assert.match(row, /Registrerad/);
  assert.match(row, /anna\.registrator/);
  // hand-over to the e-archive: the package (with the session), then the archive's reference
  await page.waitForSelector('button.package');
  const made = page.waitForResponse((r) => r.url().endsWith('/package'));
  await page.click('button.package');
  const res = await made;
  const got = [res.request().method(), res.status(), res.headers()['content-type'], Number(res.headers()['content-length'])];
  assert.deepEqual(got.slice(0, 3), ['POST', 200, 'application/x-tar']);
  assert.ok(got[3] > 10000, 'a package with the recording: ' + got[3]);
  await page.reload();
  await page.waitForSelector('input[name=reference]');
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
  assert.ok(rows.some((r) => r[1] === 'anna.registrator' && r[3] === 'decision'), JSON.stringify(rows));
  assert.ok(rows.some((r) => r[1] === 'anna.registrator' && r[3] === 'audio_read'), JSON.stringify(rows));
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
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"decision":"dispose"}',
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
  const dir = join(work, 'expiry');
  execFileSync('mkdir', ['-p', join(dir, 'db')]);
  const tok = execFileSync(BIN, ['token', '--tokens', join(dir, 'tokens'), '--role', 'manager', '--name', 'chef'],
    { encoding: 'utf8' }).trim().split('\n').pop();
  const srv = spawn(BIN, ['serve', '--data-dir', join(dir, 'db'), '--tokens', join(dir, 'tokens'), '--listen', '127.0.0.1:0'],
    { env: { ...process.env, RV_SESSION_IDLE_TIMEOUT: '2' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const base = await new Promise((resolve, reject) => {
      let buf = '';
      srv.stdout.on('data', (d) => {
        buf += d;
        const m = buf.match(/listening on ([0-9.:]+)/);
        if (m) resolve('http://' + m[1]);
      });
      srv.on('exit', () => reject(new Error('serve exited')));
    });
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(base + '/');
    await page.waitForSelector('input[name=token]');
    await page.type('input[name=token]', tok);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#page h1')?.textContent === 'Hälsningsfraser');
    await new Promise((r) => setTimeout(r, 3500));
    await page.click('nav a[href="#/rapporter"]');
    await page.waitForSelector('input[name=token]', { timeout: 10000 });
    assert.match(await page.$eval('#status', (s) => s.textContent), /gått ut/);
    await ctx.close();
  } finally {
    srv.kill('SIGTERM');
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
  // on a page just loaded: Tab reaches the skip link, then the first menu
  // entry, and Enter follows it
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
  await page.waitForFunction(() => document.querySelector('audio').readyState >= 1, { timeout: 15000 });
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
