/**
 * Control-block layout shared by the main thread and the GEMM worker threads, plus the
 * worker's source. The worker is started with `eval: true` from this string, so it needs
 * no file path that would differ between `src` (tsx, vitest) and `dist`.
 *
 * The control block is a few Int32 slots at the start of the shared Wasm memory.
 * @internal
 * @packageDocumentation
 */

/** Int32 slot indices of the control block. @internal */
export const CTRL = {
  /** Job sequence number; workers `Atomics.wait` on it. */
  seq: 0,
  /** Gate word: `(seq & 0xffff) << 8 | closed << 7 | joined`. Workers join by CAS. */
  gate: 1,
  /** Next task index to claim (`Atomics.add`). */
  next: 2,
  /** Number of joined workers that have finished. */
  left: 3,
  /** Set to 1 by a worker whose kernel threw. */
  error: 4,
  /** Most workers allowed to join the current job. */
  maxJoin: 5,
  /** First job parameter slot; see `PARAM`. */
  params: 8,
} as const;

/** Job parameter offsets relative to `CTRL.params`. @internal */
export const PARAM = {
  isF32: 0,
  a: 1,
  packedB: 2,
  c: 3,
  m: 4,
  n: 5,
  k: 6,
  transA: 7,
  accumulate: 8,
  kcBlk: 9,
  mcBlk: 10,
  rowsPerTask: 11,
  taskCount: 12,
  scratchBase: 13,
  scratchStride: 14,
  tileBytes: 15,
  /** 1: run the fused multiply-add kernels (the `moduleFma` instance). */
  isFma: 16,
} as const;

/** Bytes reserved for the control block. @internal */
export const CTRL_BYTES = 256;

/**
 * CommonJS source of a worker. `workerData` is `{ module, moduleFma, memory, index }`
 * (`moduleFma` undefined when the engine lacks relaxed SIMD); both modules run on the one shared
 * memory, and each job says which one to use. `index ≥ 1` selects the worker's private scratch
 * (packed A block and edge tile).
 * Exceptions are caught and flagged so the main thread never waits for a dead task.
 * @internal
 */
export const WORKER_SOURCE: string = `
'use strict';
const { workerData } = require('node:worker_threads');
const { module, moduleFma, memory, index } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const exFma = moduleFma === undefined ? ex : new WebAssembly.Instance(moduleFma, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, 0, ${CTRL_BYTES / 4});
const P = ${CTRL.params};
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${CTRL.seq}, seen);
  const seq = Atomics.load(ctrl, ${CTRL.seq});
  seen = seq;
  let g = Atomics.load(ctrl, ${CTRL.gate});
  let joined = false;
  const maxJoin = Atomics.load(ctrl, ${CTRL.maxJoin});
  while ((g >>> 8) === (seq & 0xffff) && (g & 0x80) === 0 && (g & 0x7f) < maxJoin) {
    const prev = Atomics.compareExchange(ctrl, ${CTRL.gate}, g, g + 1);
    if (prev === g) { joined = true; break; }
    g = prev;
  }
  if (!joined) continue;
  try {
    const p = (i) => ctrl[P + i];
    const kernels = p(${PARAM.isFma}) ? exFma : ex;
    const run = p(${PARAM.isF32}) ? kernels.gemm_rows_f32 : kernels.gemm_rows_f64;
    const m = p(${PARAM.m}), rows = p(${PARAM.rowsPerTask}), tasks = p(${PARAM.taskCount});
    const scratch = p(${PARAM.scratchBase}) + index * p(${PARAM.scratchStride});
    let t;
    while ((t = Atomics.add(ctrl, ${CTRL.next}, 1)) < tasks) {
      const i0 = t * rows;
      run(p(${PARAM.a}), p(${PARAM.packedB}), p(${PARAM.c}), m, p(${PARAM.n}), p(${PARAM.k}),
        p(${PARAM.transA}), i0, Math.min(m, i0 + rows), p(${PARAM.accumulate}),
        scratch + p(${PARAM.tileBytes}), scratch, p(${PARAM.kcBlk}), p(${PARAM.mcBlk}));
    }
  } catch {
    Atomics.store(ctrl, ${CTRL.error}, 1);
  }
  Atomics.add(ctrl, ${CTRL.left}, 1);
  Atomics.notify(ctrl, ${CTRL.left});
}
`;
