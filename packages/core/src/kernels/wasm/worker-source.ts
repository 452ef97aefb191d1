// The GEMM worker threads: their control-block layout and their source text.
/**
 * Control-block layout shared by the main thread and the GEMM worker threads, plus the
 * worker's source. The worker is started with `eval: true` from this string, so it needs
 * no file path that would differ between `src` (tsx, vitest) and `dist`.
 *
 * The control block is a few Int32 slots at the start of the shared Wasm memory.
 * A job has two phases that both threads share: packing op(B) by column chunks, then computing
 * C by row blocks; each phase hands out its tasks through an atomic counter, so a worker that
 * wakes up late simply finds fewer tasks left. Row blocks shrink as the rows run out (each
 * claim takes about 1/(2·threads) of the rest; the same rule in `runParallel` and here), so
 * the threads finish within a small block of each other while the first blocks stay large.
 * @internal
 * @packageDocumentation
 */

/** Int32 slot indices of the control block. @internal */
export const CTRL = {
  /** Job sequence number; workers `Atomics.wait` on it. */
  seq: 0,
  /** Gate word: `(seq & 0xffff) << 8 | closed << 7 | joined`. Workers join by CAS. */
  gate: 1,
  /** First row of C not yet claimed (claimed by CAS, see `runParallel`). */
  next: 2,
  /** Number of joined workers that have finished. */
  left: 3,
  /** Set to 1 by a worker whose kernel threw. */
  error: 4,
  /** Most workers allowed to join the current job. */
  maxJoin: 5,
  /** Next column chunk of op(B) to pack (`Atomics.add`). */
  packNext: 6,
  /** Number of column chunks packed so far. */
  packDone: 7,
  /** The job's seq once its A (and C, when accumulating) is in linear memory. */
  aReady: 8,
  /** The job's seq when the main thread abandoned it (it threw after publishing): workers leave. */
  abort: 9,
  /** Tasks (pack chunks, row blocks) finished by any worker: the main thread's watchdog watches it. */
  progress: 10,
  /** Fault injection for tests: `index << 4 | phase` makes that worker die (see `WORKER_CORE`). */
  fault: 11,
  /** Workers that have started and instantiated their kernels. */
  up: 12,
  /** First job parameter slot; see `PARAM`. */
  params: 16,
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
  /** Row blocks are multiples of this (itself a multiple of MR), except the last. */
  minRows: 11,
  /** A claim takes about 1/rowDivisor of the rows left (guided scheduling). */
  rowDivisor: 12,
  scratchBase: 13,
  scratchStride: 14,
  tileBytes: 15,
  /** 1: run the fused multiply-add kernels (the `moduleFma` instance). */
  isFma: 16,
  /** B as copied into linear memory (unpacked). */
  b: 17,
  transB: 18,
  /** Columns of op(B) per packing task (a multiple of NR), and the number of such tasks. */
  colsPerPack: 19,
  packCount: 20,
  /** Where the bias row of the epilogue is, and the epilogue's flags (see `EPILOGUE` in gemm-wasm.ts). */
  bias: 21,
  flags: 22,
} as const;

/** Bytes reserved for the control block. @internal */
export const CTRL_BYTES = 256;

/** Fault phases of `CTRL.fault`: exit while packing, exit in the row phase, hang in the row phase. @internal */
export const FAULT = { pack: 1, rows: 2, hang: 3 } as const;

/**
 * The worker's body, shared by both hosts: `run({ gemmModules, fmaModules, sigmoidModule, memory, index })`
 * (a module per element type; `fmaModules` undefined when the engine lacks relaxed SIMD); all run on the
 * one shared memory, importing the sigmoid module's exact-length kernels for their epilogue, as the main
 * thread's instances do, and each job says which kernels to use. `index ≥ 1` selects the worker's private scratch
 * (packed A block and edge tile). `die()` is defined by the host wrapper.
 * Exceptions are caught and flagged, and every claimed task is counted as done, so the main thread
 * never waits for a task that failed; a worker that dies is caught by the main thread's watchdog.
 * Names avoid `module`, which CommonJS wrappers (Bun, Deno) already declare.
 */
const WORKER_CORE = `
function run(data) {
  const { gemmModules, fmaModules, sigmoidModule, memory, index } = data;
  const spans = new WebAssembly.Instance(sigmoidModule, { env: { memory } }).exports;
  const env = { memory, sigmoid_f64: spans.span_f64, sigmoid_f32: spans.span_f32 };
  const load = (mods) => Object.assign({}, ...mods.map((m) => new WebAssembly.Instance(m, { env }).exports));
  const ex = load(gemmModules);
  const exFma = fmaModules === undefined ? ex : load(fmaModules);
  const ctrl = new Int32Array(memory.buffer, 0, ${CTRL_BYTES / 4});
  const P = ${CTRL.params};
  Atomics.add(ctrl, ${CTRL.up}, 1);
  const fault = (phase) => {
    const f = Atomics.load(ctrl, ${CTRL.fault});
    if (f !== ((index << 4) | phase) || Atomics.compareExchange(ctrl, ${CTRL.fault}, f, 0) !== f) return;
    if (phase === ${FAULT.hang}) for (;;) Atomics.wait(ctrl, ${CTRL.fault}, 0);
    die();
  };
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
    const p = (i) => ctrl[P + i];
    const kernels = p(${PARAM.isFma}) ? exFma : ex;
    const isF32 = p(${PARAM.isF32});
    const aborted = () => Atomics.load(ctrl, ${CTRL.abort}) === seq;
    let t;
    // Phase 1: pack column chunks of op(B) (already in linear memory).
    const packs = p(${PARAM.packCount}), cols = p(${PARAM.colsPerPack}), n = p(${PARAM.n});
    // An injected packing fault claims a chunk first, so the main thread waits for it in vain.
    if (Atomics.load(ctrl, ${CTRL.fault}) === ((index << 4) | ${FAULT.pack})) { Atomics.add(ctrl, ${CTRL.packNext}, 1); fault(${FAULT.pack}); }
    while (!aborted() && (t = Atomics.add(ctrl, ${CTRL.packNext}, 1)) < packs) {
      try {
        (isF32 ? kernels.pack_b_f32 : kernels.pack_b_f64)(p(${PARAM.b}), p(${PARAM.packedB}), p(${PARAM.k}), n,
          p(${PARAM.transB}), p(${PARAM.kcBlk}), t * cols, Math.min(n, t * cols + cols));
      } catch {
        Atomics.store(ctrl, ${CTRL.error}, 1);
      }
      Atomics.add(ctrl, ${CTRL.packDone}, 1);
      Atomics.add(ctrl, ${CTRL.progress}, 1);
    }
    // Phase 2: rows of C, once all of B is packed and A is in. Both waits are short (a copy, a
    // chunk of packing), so spinning beats sleeping and being woken again; an abandoned job ends them.
    while ((Atomics.load(ctrl, ${CTRL.packDone}) < packs || Atomics.load(ctrl, ${CTRL.aReady}) !== seq) && !aborted());
    fault(${FAULT.rows});
    fault(${FAULT.hang});
    if (!aborted()) {
      try {
        const run = isF32 ? kernels.gemm_rows_f32 : kernels.gemm_rows_f64;
        const m = p(${PARAM.m}), minRows = p(${PARAM.minRows}), divisor = p(${PARAM.rowDivisor});
        const scratch = p(${PARAM.scratchBase}) + index * p(${PARAM.scratchStride});
        let i0 = Atomics.load(ctrl, ${CTRL.next});
        while (i0 < m) {
          const i1 = Math.min(m, i0 + Math.ceil((m - i0) / (divisor * minRows)) * minRows);
          const prev = Atomics.compareExchange(ctrl, ${CTRL.next}, i0, i1);
          if (prev !== i0) { i0 = prev; continue; }
          run(p(${PARAM.a}), p(${PARAM.packedB}), p(${PARAM.c}), m, n, p(${PARAM.k}),
            p(${PARAM.transA}), i0, i1, p(${PARAM.accumulate}),
            scratch + p(${PARAM.tileBytes}), scratch, p(${PARAM.kcBlk}), p(${PARAM.mcBlk}), p(${PARAM.bias}), p(${PARAM.flags}));
          Atomics.add(ctrl, ${CTRL.progress}, 1);
          i0 = Atomics.load(ctrl, ${CTRL.next});
        }
      } catch {
        Atomics.store(ctrl, ${CTRL.error}, 1);
      }
    }
    Atomics.add(ctrl, ${CTRL.left}, 1);
    Atomics.notify(ctrl, ${CTRL.left});
  }
}
`;

/** Source of a Node `worker_threads` worker (CommonJS, `eval: true`). @internal */
export const NODE_WORKER_SOURCE: string = `'use strict';
const { workerData } = require('node:worker_threads');
const die = () => process.exit(1);
${WORKER_CORE}
run(workerData);
`;

/** Source of a module Web Worker (browsers, Deno, Bun): the data arrives in the first message. @internal */
export const WEB_WORKER_SOURCE: string = `'use strict';
const die = () => { self.close(); throw new Error('tapegrad: injected GEMM worker fault'); };
${WORKER_CORE}
self.onmessage = (e) => { self.onmessage = null; run(e.data); };
`;
