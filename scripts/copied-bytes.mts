/**
 * Bytes the products of one compiled W1 step copy into and out of WebAssembly memory, with the plan's
 * intermediates in ordinary memory and resident:
 *     pnpm exec tsx --conditions=source scripts/copied-bytes.mts
 */
import { loadConfig, makeW1Data } from '../packages/bench/src/index.ts';
import { tapegradCompiledW1 } from '../packages/bench/src/peers/tapegrad.ts';
import { setPlanResidency } from '../packages/core/src/transforms/compile/plan.ts';
import { wasmPoolStats } from '../packages/core/src/kernels/wasm/gemm-wasm.ts';
const cfg = loadConfig();
for (const sizeName of ['small', 'big'] as const) for (const dtype of ['float64', 'float32'] as const) {
  const data = makeW1Data(cfg, sizeName, cfg.W1[sizeName]);
  const out: string[] = [];
  for (const on of [false, true]) {
    setPlanResidency(on);
    const w = tapegradCompiledW1(dtype, data); await w.setup(); w.step(); w.step();
    const c0 = wasmPoolStats().copiedBytes; w.step();
    out.push(`${on ? 'resident' : 'copies'} ${((wasmPoolStats().copiedBytes - c0) / 1e6).toFixed(2)} MB`);
  }
  console.log(`W1 ${sizeName} ${dtype}: ${out.join(', ')} per step`);
}
