/**
 * Times (and, under `node --cpu-prof`, profiles) the W5 or W6 training step of chosen bench rows in one
 * process: tapegrad generic float64 and float32 beside TF.js wasm/cpu, with the bench's data and
 * workloads. Medians of interleaved reps, so the rows see the same load; each row's ratio to the first
 * row is printed, as ratios vary less than wall time on a loaded machine.
 *
 *     tsx --conditions=source scripts/profile-w6.ts [--workload W6|W5] [--rows f64,f32,wasm] [--reps 9] [--steps 5] [--threads 1]
 *     node --cpu-prof --cpu-prof-dir=scratch/prof --conditions=source --import tsx scripts/profile-w6.ts --rows f64 --reps 30
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { IMPLEMENTATIONS, loadConfig, median, type Workload } from '@tapegrad/bench';
import { makeW5Data, makeW6Data } from '../packages/bench/src/models.ts';
import { setGemmThreads } from '../packages/core/src/kernels/gemm.ts';

const NAMES: Record<string, string> = {
  f64: 'tapegrad generic float64',
  f32: 'tapegrad generic float32',
  wasm: 'TF.js wasm',
  cpu: 'TF.js cpu',
};

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W6' },
    rows: { type: 'string', default: 'f64,f32,wasm' },
    reps: { type: 'string', default: '9' },
    steps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '0' },
  },
});
setGemmThreads(Number(values.threads));
const cfg = loadConfig();
const isW5 = values.workload === 'W5';
const w5 = makeW5Data(cfg.seed, cfg.W5);
const w6 = makeW6Data(cfg.seed, cfg.W6);
const load0 = loadavg()[0]!;
const rows: { name: string; w: Workload; ms: number[]; first: number }[] = [];
for (const key of values.rows!.split(',')) {
  const impl = IMPLEMENTATIONS.find((i) => i.name === (NAMES[key] ?? key));
  const w = isW5 ? impl?.w5?.(w5) : impl?.w6?.(w6);
  if (!w) throw new Error(`no ${values.workload} row ${key}`);
  await w.setup();
  rows.push({ name: key, w, ms: [], first: w.step() });
  for (let i = 0; i < 3; i++) w.step();
}
const steps = Number(values.steps);
for (let r = 0; r < Number(values.reps); r++) {
  for (const row of rows) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) row.w.step();
    row.ms.push((performance.now() - t0) / steps);
  }
}
const base = median(rows[0]!.ms);
for (const row of rows) {
  const m = median(row.ms);
  const sorted = [...row.ms].sort((p, q) => p - q);
  console.log(
    `${values.workload} ${row.name.padEnd(6)} ${m.toFixed(2).padStart(8)} ms/step  ×${(m / base).toFixed(2)} of ${rows[0]!.name}` +
      `  (min ${sorted[0]!.toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)})  first loss ${row.first.toFixed(6)}`,
  );
}
for (const row of rows) row.w.dispose?.();
console.log(`load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
