/**
 * 512² float64 matmul on one thread against the GEMM worker pool, in headless Chromium (on the page's
 * main thread, where the caller cannot block and spins while the worker finishes, and inside a
 * dedicated Web Worker, where it can) and on this Node. Modes: `1` (ready({ threads: 1 })), `2` (two
 * threads, explicit) and `auto` (the default: the pool or one thread, whichever measured faster for the
 * shape). The modes alternate product by product, so load hits them alike; printed: each mode's median
 * GFLOP/s and, per mode, the median of its adjacent pairs' speed-up over one thread.
 *
 * Run: `pnpm exec tsx scripts/gemm-threads-probe.ts [--reps 30] [--fifo]`.
 * `--fifo` (root, Linux) runs the timed part under SCHED_FIFO (`chrt`), so the figures are those of
 * idle cores on a machine that others load; it takes the cores from everyone else while it runs, a few seconds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const reps = Number(argv[argv.indexOf('--reps') + 1] ?? 30) || 30;
const isFifo = argv.includes('--fifo');

/** The measuring code, the same in Node, on the page and in its worker. */
const MEASURE = `
import { matmul, ready, tensor } from '@tapegrad/core';
export async function measure(reps, modes) {
  const n = 512;
  const matrix = (salt) => {
    const d = new Float64Array(n * n);
    for (let i = 0; i < d.length; i++) d[i] = (((i + salt) * 7919) % 1013) / 1013 - 0.5;
    return tensor(d, { shape: [n, n] });
  };
  const a = matrix(3), b = matrix(5);
  const set = (m) => ready({ threads: m === '1' ? 1 : m === '2' ? 2 : 0 });
  const times = Object.fromEntries(modes.map((m) => [m, []]));
  for (let w = 0; w < 3; w++) for (const m of modes) { await set(m); matmul(a, b); }
  for (let r = 0; r < reps; r++) {
    for (const m of r % 2 ? modes : [...modes].reverse()) {
      await set(m);
      const t0 = performance.now();
      matmul(a, b);
      times[m].push(performance.now() - t0);
    }
  }
  await ready({ threads: 0 });
  const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
  const out = {};
  for (const m of modes) out[m] = (2 * n ** 3 / (median(times[m]) * 1e6)).toFixed(1) + ' GFLOP/s';
  for (const m of modes.slice(1)) out['speed-up ' + m] = median(times['1'].map((t, i) => t / times[m][i])).toFixed(2) + '×';
  return out;
}
`;

function descendants(): number[] {
  const parents = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parents.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  return [...parents.keys()].filter((pid) => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  });
}

/** Puts every thread of this process and its descendants under SCHED_FIFO (on) or back to normal (off). */
function fifo(isOn: boolean): void {
  if (!isFifo) return;
  for (const pid of [process.pid, ...descendants()]) {
    try {
      execFileSync('chrt', isOn ? ['-f', '-a', '-p', '1', String(pid)] : ['-o', '-a', '-p', '0', String(pid)], { stdio: 'ignore' });
    } catch {
      // not root, or the process ended
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tapegrad-threads-probe-'));
try {
  writeFileSync(join(dir, 'measure.mjs'), MEASURE);
  writeFileSync(join(dir, 'page.mjs'), `import { measure } from './measure.mjs';
window.onMain = (reps, modes) => measure(reps, modes);
window.inWorker = (reps, modes) => new Promise((done) => {
  const w = new Worker('./worker.js', { type: 'module' });
  w.onmessage = (e) => { done(e.data); w.terminate(); };
  w.postMessage({ reps, modes });
});`);
  writeFileSync(join(dir, 'worker.mjs'), `import { measure } from './measure.mjs';
self.onmessage = async (e) => self.postMessage(await measure(e.data.reps, e.data.modes));`);
  writeFileSync(join(dir, 'node.mjs'), `import { measure } from './measure.mjs';
console.log(JSON.stringify(await measure(${reps}, ['1', '2', 'auto'])));`);
  writeFileSync(join(dir, 'page.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
  const common = { bundle: true, format: 'esm', absWorkingDir: root, nodePaths: [join(root, 'packages/core/node_modules'), join(root, 'node_modules')], conditions: ['source'], logLevel: 'silent' } as const;
  await build({ ...common, entryPoints: [join(dir, 'page.mjs')], platform: 'browser', outfile: join(dir, 'page.js') });
  await build({ ...common, entryPoints: [join(dir, 'worker.mjs')], platform: 'browser', outfile: join(dir, 'worker.js') });
  await build({ ...common, entryPoints: [join(dir, 'node.mjs')], platform: 'node', outfile: join(dir, 'node-bundle.mjs') });

  const server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '') || 'page.html';
    const path = join(dir, name);
    if (!/^[\w.-]+$/.test(name) || !path.startsWith(dir)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(path);
      res.writeHead(200, {
        'Content-Type': name.endsWith('.html') ? 'text/html' : 'text/javascript',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/page.html`);
    await page.waitForFunction(() => typeof (globalThis as { onMain?: unknown }).onMain === 'function');
    // Chromium's own start-up work (its WebUI renderers, the browser process) takes a few seconds.
    await new Promise((r) => setTimeout(r, 4000));
    console.log(`512² float64 matmul, ${reps} interleaved products per mode${isFifo ? ', SCHED_FIFO' : ''}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (const where of ['onMain', 'inWorker'] as const) {
      fifo(true);
      const r = await page.evaluate(([w, n]) => (globalThis as unknown as Record<string, (n: number, m: string[]) => unknown>)[w]!(n, ['1', '2', 'auto']), [where, reps] as const);
      fifo(false);
      console.log(`chromium, ${where === 'onMain' ? 'page main thread' : 'dedicated worker'}: ${JSON.stringify(r)}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  const args = [join(dir, 'node-bundle.mjs')];
  const out = isFifo ? execFileSync('chrt', ['-f', '1', process.execPath, ...args]) : execFileSync(process.execPath, args);
  console.log(`node ${process.version}: ${out.toString().trim()}`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
