/**
 * Long fuzzing runs of the engine: random programs checked against finite differences (and the raw rules
 * against the differentiable ones). A failure prints the shrunk program as TypeScript and exits 1.
 *
 *   pnpm exec tsx --conditions=source scripts/fuzz.ts --seed 1 --runs 5000
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fuzz } from '../test/reliability/fuzz-program.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`fuzz: --${name} must be a non-negative integer, got ${process.argv[i + 1]}\n`);
    process.exit(2);
  }
  return v;
}

const seed = arg('seed', Date.now() % 0x7fffffff);
const runs = arg('runs', 1000);
const chunk = 500;

if (process.argv.includes('--single')) {
  // One chunk in this process: print a JSON line for the parent.
  const r = fuzz(seed, runs);
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}

// Chunks of programs, each with its own derived seed and in a fresh process: nodes that no backward pass
// reaches (the inputs of detach, createGraph's backward graph) stay on the global tape, and a long
// single-process run slows down as it grows.
const started = performance.now();
let checked = 0;
let rejected = 0;
for (let done = 0, k = 0; done < runs; done += chunk, k++) {
  const n = Math.min(chunk, runs - done);
  const chunkSeed = (seed + k * 7919) % 0x7fffffff;
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--seed', String(chunkSeed), '--runs', String(n), '--single'], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { failed: boolean; report: string; checked: number; rejected: number };
  checked += r.checked;
  rejected += r.rejected;
  if (r.failed) {
    process.stdout.write(r.report);
    process.stdout.write(`reproduce with: tsx --conditions=source scripts/fuzz.ts --seed ${chunkSeed} --runs ${n}\n`);
    process.exit(1);
  }
  const s = (performance.now() - started) / 1000;
  process.stdout.write(`seed ${seed}: ${done + n}/${runs} programs (${checked} checked, ${rejected} skipped near kinks/huge values), ${s.toFixed(1)} s\n`);
}
const s = (performance.now() - started) / 1000;
process.stdout.write(`fuzz: ${runs} programs from seed ${seed}, ${checked} checked against finite differences, ${rejected} skipped, no failure, ${s.toFixed(1)} s (${(runs / s).toFixed(0)} programs/s)\n`);
