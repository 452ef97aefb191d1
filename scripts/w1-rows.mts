/**
 * W1's tapegrad rows (fast path, compiled, generic) interleaved in one process, medians in ms per step:
 *     pnpm exec tsx --conditions=source scripts/w1-rows.mts [small|big] [float64|float32] [reps]
 */
import { loadavg } from 'node:os';
import { loadConfig, makeW1Data, median } from '../packages/bench/src/index.ts';
import { tapegradCompiledW1, tapegradFastW1, tapegradW1 } from '../packages/bench/src/peers/tapegrad.ts';
const sizeName = (process.argv[2] ?? 'small') as 'small' | 'big';
const dtype = (process.argv[3] ?? 'float64') as 'float64' | 'float32';
const reps = Number(process.argv[4] ?? 9);
const cfg = loadConfig();
const data = makeW1Data(cfg, sizeName, cfg.W1[sizeName]);
const ws = { fast: tapegradFastW1(dtype, data), compiled: tapegradCompiledW1(dtype, data), generic: tapegradW1(dtype, data) };
for (const w of Object.values(ws)) await w.setup();
const steps = cfg.W1[sizeName].stepsPerRep;
for (const w of Object.values(ws)) for (let i = 0; i < 20; i++) w.step();
const t: Record<string, number[]> = { fast: [], compiled: [], generic: [] };
const names = Object.keys(ws) as (keyof typeof ws)[];
for (let r = 0; r < reps; r++) {
  const order = r % 2 ? names : [...names].reverse();
  for (const k of order) { const t0 = performance.now(); for (let s = 0; s < steps; s++) ws[k].step(); t[k]!.push((performance.now() - t0) / steps); }
}
const m = Object.fromEntries(names.map((k) => [k, median(t[k]!)]));
console.log(`W1 ${sizeName} ${dtype} load ${loadavg()[0]!.toFixed(1)}: ` + names.map((k) => `${k} ${m[k]!.toFixed(3)}`).join('  ') + `  compiled/fast ${(m.compiled! / m.fast!).toFixed(2)}`);
