/**
 * Long fuzzing runs of the engine: random programs checked against finite differences (and the raw rules
 * against the differentiable ones). A failure prints the shrunk program as TypeScript and exits 1.
 *
 *   pnpm exec tsx --conditions=source scripts/fuzz.ts --seed 1 --runs 5000
 */
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
const started = performance.now();
let checked = 0;
let rejected = 0;
// Chunks of programs, each with its own derived seed, so progress shows and a failure names a short run.
for (let done = 0, k = 0; done < runs; done += chunk, k++) {
  const n = Math.min(chunk, runs - done);
  const chunkSeed = (seed + k * 7919) % 0x7fffffff;
  const r = fuzz(chunkSeed, n);
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
