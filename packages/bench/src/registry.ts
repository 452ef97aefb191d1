/**
 * Every implementation the bench knows, as one array. Adding an engine (or a
 * tapegrad variant) is adding an entry: give it a name, a dtype and a
 * factory for each workload it runs.
 */
import type { WorkloadsConfig } from './config.js';
import type { Dtype, W1Data, W2Data, W3Data, Workload } from './harness.js';
import type { W5Data, W6Data } from './models.js';
import { jaxW5, jaxW6 } from './peers/jax-models.js';
import { tapegradW5, tapegradW6 } from './peers/tapegrad-models.js';
import { tfjsW5, tfjsW6 } from './peers/tfjs-models.js';
import { jaxW1, jaxW2, jaxW4 } from './peers/jax.js';
import { micrograd3, micrograd4 } from './peers/micrograd.js';
import { referenceW1, referenceW2 } from './peers/reference.js';
import {
  tapegradFastW1,
  tapegradTensorW4,
  tapegradValueW4,
  tapegradW1,
  tapegradW2,
  tapegradCompiledW1,
  tapegradW3,
  tapegradW3Compiled,
} from './peers/tapegrad.js';
import { tfjsW1, tfjsW2 } from './peers/tfjs.js';
import { torchName, torchW1, torchW2, torchW3, torchW4 } from './peers/torch.js';
import { loadConfig } from './config.js';

/** Where an implementation comes from. */
export type ImplementationGroup = 'tapegrad' | 'peer' | 'baseline';

/** One row of the tables: an engine in one configuration. */
export interface Implementation {
  readonly name: string;
  readonly dtype: Dtype;
  readonly group: ImplementationGroup;
  readonly w1?: (data: W1Data) => Workload;
  readonly w2?: (data: W2Data) => Workload;
  readonly w3?: (data: W3Data) => Workload;
  readonly w4?: (n: number, cfg: WorkloadsConfig['W4']) => Workload;
  readonly w5?: (data: W5Data) => Workload;
  readonly w6?: (data: W6Data) => Workload;
  /** Largest W4 chain worth attempting (memory); defaults to the config's Ns. */
  readonly w4MaxN?: number;
  /** Shown under the tables, e.g. why a workload is missing. */
  readonly note?: string;
}

const jaxVariants = [
  { dtype: 'float32', isJit: true },
  { dtype: 'float32', isJit: false },
  { dtype: 'float64', isJit: true },
  { dtype: 'float64', isJit: false },
] as const;

const torchVariants = [
  { dtype: 'float64', threads: 1 },
  { dtype: 'float64', threads: 2 },
  { dtype: 'float32', threads: 1 },
  { dtype: 'float32', threads: 2 },
] as const;

/** All implementations, tapegrad first, in table order. */
export const IMPLEMENTATIONS: readonly Implementation[] = [
  // ── tapegrad ───────────────────────────────────────────────────────────
  {
    name: 'tapegrad generic float64',
    dtype: 'float64',
    group: 'tapegrad',
    w1: (data) => tapegradW1('float64', data),
    w2: (data) => tapegradW2('float64', data),
    w4: (n, cfg) => tapegradTensorW4('float64', n, cfg.mul, cfg.add, cfg.x0),
    w5: (data) => tapegradW5('float64', data),
    w6: (data) => tapegradW6('float64', data),
  },
  {
    name: 'tapegrad generic float32',
    dtype: 'float32',
    group: 'tapegrad',
    w1: (data) => tapegradW1('float32', data),
    w2: (data) => tapegradW2('float32', data),
    w4: (n, cfg) => tapegradTensorW4('float32', n, cfg.mul, cfg.add, cfg.x0),
    w5: (data) => tapegradW5('float32', data),
    w6: (data) => tapegradW6('float32', data),
  },
  {
    name: 'tapegrad compiled float64',
    dtype: 'float64',
    group: 'tapegrad',
    w1: (data) => tapegradCompiledW1('float64', data),
  },
  {
    name: 'tapegrad compiled float32',
    dtype: 'float32',
    group: 'tapegrad',
    w1: (data) => tapegradCompiledW1('float32', data),
  },
  {
    name: 'tapegrad fast path',
    dtype: 'float64',
    group: 'tapegrad',
    w1: (data) => tapegradFastW1('float64', data),
  },
  {
    name: 'tapegrad Value',
    dtype: 'float64',
    group: 'tapegrad',
    w3: tapegradW3,
    w4: (n, cfg) => tapegradValueW4(n, cfg.mul, cfg.add, cfg.x0),
    // The scalar lane is typed arrays, so 1e7 ops fit in memory.
    w4MaxN: 10_000_000,
  },
  {
    name: 'tapegrad Value compiled',
    dtype: 'float64',
    group: 'tapegrad',
    w3: tapegradW3Compiled,
  },

  // ── other engines ──────────────────────────────────────────────────────
  {
    name: 'TF.js cpu',
    dtype: 'float32',
    group: 'peer',
    w1: (data) => tfjsW1('cpu', data),
    w2: (data) => tfjsW2('cpu', data),
    w5: (data) => tfjsW5('cpu', data),
    w6: (data) => tfjsW6('cpu', data),
  },
  {
    name: 'TF.js wasm',
    dtype: 'float32',
    group: 'peer',
    w1: (data) => tfjsW1('wasm', data),
    w2: (data) => tfjsW2('wasm', data),
    w5: (data) => tfjsW5('wasm', data),
    w6: (data) => tfjsW6('wasm', data),
  },
  ...jaxVariants.map(
    (v): Implementation => ({
      name: `jax-js ${v.dtype}${v.isJit ? ' jit' : ''}`,
      dtype: v.dtype,
      group: 'peer',
      w1: (data) => jaxW1(v, data),
      w2: (data) => jaxW2(v, data),
      w4: (n, cfg) => jaxW4(v, n, cfg.mul, cfg.add, cfg.x0),
      w5: (data) => jaxW5(v, data),
      w6: (data) => jaxW6(v, data),
    }),
  ),

  // PyTorch (optional: rows say "skipped: no PyTorch" where python3 cannot import torch). Scalar
  // workloads (W3, W4) run on one thread only: threads do nothing for 0-d tensors.
  ...torchVariants.map(
    (v): Implementation => ({
      name: torchName(v.dtype, v.threads),
      dtype: v.dtype,
      group: 'peer',
      w1: (data) => torchW1(v.dtype, v.threads, data, loadConfig().W1.checkSteps),
      w2: (data) => torchW2(v.dtype, v.threads, data),
      ...(v.dtype === 'float64' && v.threads === 1
        ? {
            w3: (data: W3Data) => torchW3(data, loadConfig().W3.checkSteps),
            w4: (n: number, cfg: WorkloadsConfig['W4']) => torchW4(n, cfg.mul, cfg.add, cfg.x0),
            // A million 0-d tensor ops take PyTorch tens of seconds per step.
            w4MaxN: 100_000,
          }
        : {}),
    }),
  ),

  // ── baselines written here ─────────────────────────────────────────────
  {
    name: 'plain TS float64',
    dtype: 'float64',
    group: 'baseline',
    w1: referenceW1,
    w2: referenceW2,
  },
  {
    name: 'micrograd-style JS',
    dtype: 'float64',
    group: 'baseline',
    w3: micrograd3,
    w4: (n, cfg) => micrograd4(n, cfg.mul, cfg.add, cfg.x0),
  },
];
