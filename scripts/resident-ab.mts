/**
 * The compiled W1 step with its intermediates in the GEMM's WebAssembly memory (resident) or in ordinary
 * memory (copies), interleaved in one process; prints medians and resident/copies:
 *     REPS=30 pnpm exec tsx --conditions=source scripts/resident-ab.mts [big|small] [float64|float32]
 * With MODE=simd it compares plans whose fused elementwise runs have WebAssembly SIMD loops (b) against
 * plans with JavaScript loops only (a), both resident.
 */
import { loadavg } from 'node:os';
import { loadConfig, makeW1Data, median } from '../packages/bench/src/index.ts';
import { tapegradCompiledW1 } from '../packages/bench/src/peers/tapegrad.ts';
import { setPlanResidency, setPlanSimdRuns } from '../packages/core/src/transforms/compile/plan.ts';
const isSimdMode = process.env.MODE === 'simd';
const toggle = (isOn: boolean): void => (isSimdMode ? setPlanSimdRuns(isOn) : setPlanResidency(isOn));
const sizeName = (process.argv[2] ?? 'big') as 'small' | 'big';
const dtype = (process.argv[3] ?? 'float64') as 'float64' | 'float32';
const cfg = loadConfig();
const data = makeW1Data(cfg, sizeName, cfg.W1[sizeName]);
toggle(false);
const a = tapegradCompiledW1(dtype, data); await a.setup(); for (let i = 0; i < 3; i++) a.step();
toggle(true);
const b = tapegradCompiledW1(dtype, data); await b.setup(); for (let i = 0; i < 3; i++) b.step();
for (let i = 0; i < 20; i++) { a.step(); b.step(); }
const t: Record<string, number[]> = { a: [], b: [] };
const steps = cfg.W1[sizeName].stepsPerRep;
const ws = { a, b };
for (let r = 0; r < Number(process.env.REPS ?? 14); r++) for (const k of (r % 2 ? ['a', 'b'] : ['b', 'a']) as ('a' | 'b')[]) {
  const t0 = performance.now(); for (let s = 0; s < steps; s++) ws[k].step(); t[k]!.push((performance.now() - t0) / steps);
}
const [na, nb] = isSimdMode ? ['JS runs', 'SIMD runs'] : ['copies', 'resident'];
console.log(`${sizeName} ${dtype} load ${loadavg()[0]!.toFixed(1)}: ${na} ${median(t.a!).toFixed(3)} ${nb} ${median(t.b!).toFixed(3)} ratio ${(median(t.b!) / median(t.a!)).toFixed(3)}`);
