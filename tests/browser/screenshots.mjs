// `make screenshots`: a small PNG of each page of the web app, from the demo
// archive (tools/demo-archive.sh), into the folder given (docs/screenshots).
// Environment: RV_BIN (default build/rostvakt), CHROMIUM.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.RV_BIN || join(ROOT, 'build', 'rostvakt');
const OUT = process.argv[2] || join(ROOT, 'docs', 'screenshots');
const work = mkdtempSync(join(tmpdir(), 'rv-shots-'));
mkdirSync(OUT, { recursive: true });
const out = execFileSync('sh', [join(ROOT, 'tools', 'demo-archive.sh'), BIN, join(work, 'demo'), '--keep'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const [url, officer, admin, manager] = out.trim().split('\n').pop().split('\t');
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const shots = [
    ['logga-in', null, '#/logga-in', 'Logga in'],
    ['inkorg', officer, '#/inkorg', 'Inkorg'],
    ['rostmeddelande', officer, '#/rostmeddelande/1', 'Röstmeddelande 1'],
    ['halsningsfraser', manager, '#/halsningsfraser', 'Hälsningsfraser'],
    ['rapporter', manager, '#/rapporter', 'Rapporter'],
    ['logg', admin, '#/logg', 'Logg'],
  ];
  for (const [name, token, hash, title] of shots) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setViewport({ width: 1100, height: 760, deviceScaleFactor: 0.6 });
    await page.goto(url + '/');
    if (token) {
      await page.waitForSelector('input[name=token]');
      await page.type('input[name=token]', token);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#nav:not([hidden])');
    }
    await page.goto(url + '/' + hash);
    await page.waitForFunction((h, t) => document.getElementById('page').dataset.shown === h &&
      document.querySelector('#page h1')?.textContent === t, {}, hash, title);
    await page.evaluate(() => window.scrollTo(0, 0));
    await new Promise((r) => setTimeout(r, 300));
    await page.screenshot({ path: join(OUT, name + '.png') });
    console.log('wrote ' + join(OUT, name + '.png'));
    await ctx.close();
  }
} finally {
  await browser.close();
  try { process.kill(Number(readFileSync(join(work, 'demo', 'serve.pid'), 'utf8')), 'SIGTERM'); } catch { /* gone */ }
  rmSync(work, { recursive: true, force: true });
}
