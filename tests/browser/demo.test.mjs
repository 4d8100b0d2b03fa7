// `make demo` as a script sees it: on a terminal it serves; otherwise it
// checks and stops, says so in its last line, and DEMO=serve (which make
// passes on to the script's environment) serves anyway.
// Run by `make test`: node --test tests/browser/demo.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.RV_BIN || join(ROOT, 'build', 'rostvakt');
const work = mkdtempSync(join(tmpdir(), 'rv-demo-'));
after(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env };
delete env.DEMO;

test('without a terminal the demo checks, stops, and says how to serve anyway', () => {
  const out = execFileSync('sh', [join(ROOT, 'tools', 'demo-archive.sh'), BIN, join(work, 'check')],
    { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  const last = out.trim().split('\n').pop();
  assert.match(last, /not a terminal/);
  assert.match(last, /make demo DEMO=serve/);
});

test('DEMO=serve serves without a terminal until stopped', async () => {
  const p = spawn('sh', [join(ROOT, 'tools', 'demo-archive.sh'), BIN, join(work, 'serve')],
    { env: { ...env, DEMO: 'serve' }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  try {
    const base = await new Promise((resolve, reject) => {
      let buf = '';
      p.stdout.on('data', (d) => {
        buf += d;
        const m = buf.match(/web app: (http:\/\/[0-9.:]+)\//);
        if (m) resolve(m[1]);
      });
      p.on('exit', (code) => reject(new Error('the demo stopped (' + code + '): ' + buf.split('\n').slice(-2).join(' '))));
    });
    const r = await fetch(base + '/');
    assert.equal(r.status, 200);
    assert.equal(p.exitCode, null, 'still serving');
  } finally {
    const gone = new Promise((resolve) => { if (p.exitCode !== null) resolve(); else p.on('exit', resolve); });
    try { process.kill(-p.pid, 'SIGTERM'); } catch { /* gone */ }
    await gone;
  }
});
