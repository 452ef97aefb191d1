// Loads the generated GEMM Wasm module and drives it (copies, packing, worker threads).
/**
 * Loads the generated GEMM WebAssembly module and drives it: copies the operands into
 * linear memory, packs op(B) once, runs the row kernel (packing and rows optionally split
 * over worker threads) and copies C back. Everything here is synchronous once the module is loaded.
 *
 * @internal
 * @packageDocumentation
 */
import type { FloatArray } from '../../base/dtype.ts';
import { CTRL, CTRL_BYTES, PARAM, WORKER_SOURCE } from './worker-source.js';

interface GemmExports {
  pack_b_f64: PackB;
  pack_b_f32: PackB;
  gemm_rows_f64: RowKernel;
  gemm_rows_f32: RowKernel;
  mr_f64(): number;
  nr_f64(): number;
  mr_f32(): number;
  nr_f32(): number;
}

/** Packs the columns [j0, j1) of op(B) into their place in the packed B at `dst`. */
type PackB = (b: number, dst: number, k: number, n: number, transB: number, kcBlk: number, j0: number, j1: number) => void;

type RowKernel = (
  a: number, packedB: number, c: number, m: number, n: number, k: number, transA: number,
  i0: number, i1: number, accumulate: number, packedA: number, tile: number, kcBlk: number, mcBlk: number,
) => void;

// The workspace compiles against lib ES2022 without DOM, which has no WebAssembly types, so
// this file declares the small part of the API it uses (and reads it off globalThis, which
// doubles as the availability check).
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  validate(bytes: Uint8Array): boolean;
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface GeneratedModule {
  GEMM_WASM_BASE64: string;
  GEMM_WASM_SHARED_BASE64: string;
  /** Absent in a generated file from before the FMA kernels. */
  GEMM_WASM_FMA_BASE64?: string;
  GEMM_WASM_FMA_SHARED_BASE64?: string;
}

/** Minimal view of `node:worker_threads` that this file uses. */
interface WorkerLike {
  unref(): void;
  on(event: 'error' | 'exit', listener: () => void): unknown;
}
interface WorkerThreadsLike {
  Worker: new (src: string, opts: { eval: true; workerData: unknown }) => WorkerLike;
}

/**
 * Cache blocking per element type and kernel flavour, in elements. KC·NR of B (≤ 16 KiB)
 * stays in L1 while a micro-panel is reused across the A block; MC·KC of A (≤ 256 KiB) stays
 * in L2. MC is a multiple of the kernel's MR so only the last block has a ragged panel.
 * For the FMA kernels KC ∈ {128, 256, 384} × MC ∈ {64, 128, 240} measured within noise
 * of each other on W1 big's 256×256×784 (15.5–17.9 GFLOP/s on one core).
 */
const BLOCKING = {
  plain: { f64: { kc: 256, mc: 128 }, f32: { kc: 512, mc: 128 } },
  fma: { f64: { kc: 256, mc: 128 }, f32: { kc: 512, mc: 128 } },
} as const;

/** Most workers ever started; the speed-up is memory-bound beyond a few cores. */
const MAX_WORKERS = 3;
/** Work (m·n·k) below which waking a worker costs more than it saves. */
const PARALLEL_MIN_WORK = 1 << 21;

// The generated module is absent until `scripts/build-wasm.ts` has run; then `gemm` silently
// uses the JavaScript kernel. A non-literal specifier keeps tsc and bundlers from requiring it.
const generatedPath = './gemm-wasm.generated.js';
const generated: GeneratedModule | undefined =
  wasmApi !== undefined
    ? await import(/* @vite-ignore */ generatedPath).then(
        (mod: GeneratedModule) => mod,
        () => undefined,
      )
    : undefined;

/**
 * Whether the engine accepts relaxed SIMD (the FMA kernels). Node 20 has it behind a V8 flag
 * that may still be set at run time, before the module is compiled; Node 22+ and current
 * browsers need nothing. Elsewhere (no `node:v8`, flag refused) the answer is just false.
 */
async function supportsRelaxedSimd(api: WasmApi, bytes: Uint8Array): Promise<boolean> {
  try {
    if (api.validate(bytes)) return true;
  } catch {
    return false;
  }
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node !== 'string') return false;
  try {
    // A non-literal specifier keeps bundlers for browsers from trying to resolve it.
    const v8Id = 'node:v8';
    const v8 = (await import(/* @vite-ignore */ v8Id)) as { setFlagsFromString?: (flags: string) => void };
    v8.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
    return api.validate(bytes);
  } catch {
    return false;
  }
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

interface Engine {
  readonly module: object;
  /** The fused multiply-add kernels on the same memory, when the engine has relaxed SIMD. */
  readonly moduleFma: object | undefined;
  readonly memory: WasmMemory;
  readonly ex: GemmExports;
  readonly exFma: GemmExports | undefined;
  readonly isShared: boolean;
  readonly ctrl: Int32Array;
  f64: Float64Array;
  f32: Float32Array;
  /** Bytes per thread of private scratch (edge tile + packed A block). */
  readonly scratchStride: number;
  readonly tileBytes: number;
}

const fmaProbe = generated?.GEMM_WASM_FMA_BASE64;
const hasRelaxedSimd = wasmApi !== undefined && fmaProbe !== undefined
  && await supportsRelaxedSimd(wasmApi, decodeBase64(fmaProbe));

function createEngine(): Engine | undefined {
  if (generated === undefined || wasmApi === undefined) return undefined;
  const api = wasmApi;
  // Prefer shared memory so worker threads can run on the same buffers; fall back to an
  // unshared module where SharedArrayBuffer is unavailable (browsers without isolation).
  const attempts: [string, string | undefined, boolean, number][] = [
    [generated.GEMM_WASM_SHARED_BASE64, generated.GEMM_WASM_FMA_SHARED_BASE64, true, 65536],
    [generated.GEMM_WASM_SHARED_BASE64, generated.GEMM_WASM_FMA_SHARED_BASE64, true, 16384],
    [generated.GEMM_WASM_BASE64, generated.GEMM_WASM_FMA_BASE64, false, 65536],
  ];
  for (const [b64, fmaB64, isShared, maximum] of attempts) {
    try {
      // Synchronous compile keeps `gemm` synchronous; each module stays under the 4 KiB that
      // browsers allow on their main thread (the build step warns if it grows past that).
      const module = new api.Module(decodeBase64(b64));
      const memory = new api.Memory({ initial: 16, maximum, shared: isShared });
      const ex = new api.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
      let moduleFma: object | undefined;
      let exFma: GemmExports | undefined;
      if (hasRelaxedSimd && fmaB64 !== undefined) {
        try {
          moduleFma = new api.Module(decodeBase64(fmaB64));
          exFma = new api.Instance(moduleFma, { env: { memory } }).exports as unknown as GemmExports;
        } catch {
          moduleFma = undefined;
          exFma = undefined;
        }
      }
      const tileBytes = 1024;
      let packABytes = 0;
      for (const [kernels, blocking] of [[ex, BLOCKING.plain], [exFma, BLOCKING.fma]] as const) {
        if (kernels === undefined) continue;
        for (const t of ['f64', 'f32'] as const) {
          const mr = t === 'f64' ? kernels.mr_f64() : kernels.mr_f32();
          const es = t === 'f64' ? 8 : 4;
          packABytes = Math.max(packABytes, roundUp(blocking[t].mc, mr) * blocking[t].kc * es);
        }
      }
      const buf = memory.buffer;
      return {
        module, moduleFma, memory, ex, exFma, isShared,
        ctrl: new Int32Array(buf, 0, CTRL_BYTES / 4),
        f64: new Float64Array(buf), f32: new Float32Array(buf),
        scratchStride: tileBytes + packABytes, tileBytes,
      };
    } catch {
      // try the next variant
    }
  }
  return undefined;
}

const engine: Engine | undefined = createEngine();

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** Grows linear memory to at least `bytes`; false when the engine refuses. */
function ensureMemory(e: Engine, bytes: number): boolean {
  const have = e.memory.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    e.memory.grow(Math.ceil((bytes - have) / 65536));
  } catch {
    return false;
  }
  const buf = e.memory.buffer;
  e.f64 = new Float64Array(buf);
  e.f32 = new Float32Array(buf);
  return true;
}

// ---- worker pool -----------------------------------------------------------------------

let startedWorkers = 0;
let isPoolBroken = false;
let requestedThreads = 0; // 0: automatic
let isFmaAllowed = true;
let seq = 0;

function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/** Workers a job may use: starts them lazily, once, and never more than needed. */
function usableWorkers(e: Engine): number {
  if (isPoolBroken || !e.isShared) return 0;
  const threads = requestedThreads
    || (builtin<{ availableParallelism?: () => number }>('node:os')?.availableParallelism?.() ?? 1);
  const wanted = Math.max(0, Math.min(MAX_WORKERS, threads - 1));
  if (startedWorkers < wanted) {
    const wt = builtin<WorkerThreadsLike>('node:worker_threads');
    if (wt === undefined) {
      isPoolBroken = true;
      return 0;
    }
    for (let index = startedWorkers + 1; index <= wanted; index++) {
      try {
        const w = new wt.Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { module: e.module, moduleFma: e.moduleFma, memory: e.memory, index },
        });
        // Idle workers sleep in Atomics.wait; they must never keep the process alive.
        w.unref();
        // A worker that dies between jobs disables the pool; products then run single-threaded.
        const retire = (): void => {
          isPoolBroken = true;
        };
        w.on('error', retire);
        w.on('exit', retire);
        startedWorkers = index;
      } catch {
        break;
      }
    }
  }
  return Math.min(startedWorkers, wanted);
}

/**
 * Sets how many threads (the calling thread included) large products may use; 0 restores
 * the default (available parallelism, capped at 1 + MAX_WORKERS).
 * @internal
 */
export function setWasmThreads(threads: number): void {
  requestedThreads = Math.max(0, Math.floor(threads));
}

/**
 * Allows (the default) or forbids the fused multiply-add kernels. Forbidden, or where the
 * engine lacks relaxed SIMD, products use the plain mul + add kernels, whose results equal
 * the reference loop bit for bit within one KC block. Applies to worker threads as well.
 * @internal
 */
export function setWasmFma(isAllowed: boolean): void {
  isFmaAllowed = isAllowed;
}

/**
 * Whether products currently run the fused multiply-add kernels.
 * @internal
 */
export function wasmFmaActive(): boolean {
  return isFmaAllowed && engine?.exFma !== undefined;
}

// ---- driver -------------------------------------------------------------------------------

/**
 * Whether the WebAssembly kernels are loaded.
 * @internal
 */
export function wasmReady(): boolean {
  return engine !== undefined;
}

/**
 * Runs the Wasm GEMM; same contract as `gemm`. Returns false (leaving C untouched) when Wasm
 * is unavailable or linear memory cannot hold the operands, so the caller can fall back.
 * Assumes m, n, k ≥ 1.
 * @internal
 */
export function wasmGemm(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aOffset: number, bOffset: number, cOffset: number, accumulate: boolean,
): boolean {
  const e = engine;
  if (e === undefined) return false;
  const isF32 = a instanceof Float32Array;
  const t = isF32 ? 'f32' : 'f64';
  const es = isF32 ? 4 : 8;
  const isFma = isFmaAllowed && e.exFma !== undefined;
  const ex = isFma ? e.exFma! : e.ex;
  const { kc, mc } = BLOCKING[isFma ? 'fma' : 'plain'][t];
  const nr = isF32 ? ex.nr_f32() : ex.nr_f64();

  const work = m * n * k;
  const workers = work >= PARALLEL_MIN_WORK && m >= 16 ? usableWorkers(e) : 0;
  const threads = 1 + workers;

  const align = (x: number): number => roundUp(x, 64);
  const scratch = CTRL_BYTES;
  const aPtr = align(scratch + threads * e.scratchStride);
  const bPtr = align(aPtr + m * k * es);
  const cPtr = align(bPtr + k * n * es);
  const packedB = align(cPtr + m * n * es);
  const end = packedB + k * roundUp(n, nr) * es;
  if (!ensureMemory(e, end)) return false;

  const view = isF32 ? e.f32 : e.f64;
  const pack = isF32 ? ex.pack_b_f32 : ex.pack_b_f64;
  const run = isF32 ? ex.gemm_rows_f32 : ex.gemm_rows_f64;
  const acc = accumulate ? 1 : 0;
  const tA = transA ? 1 : 0;
  const tB = transB ? 1 : 0;
  const copyA = (): void => {
    view.set(a.subarray(aOffset, aOffset + m * k), aPtr / es);
    if (accumulate) view.set(c.subarray(cOffset, cOffset + m * n), cPtr / es);
  };
  view.set(b.subarray(bOffset, bOffset + k * n), bPtr / es);

  if (threads === 1) {
    copyA();
    pack(bPtr, packedB, k, n, tB, kc, 0, n);
    run(aPtr, packedB, cPtr, m, n, k, tA, 0, m, acc, scratch + e.tileBytes, scratch, kc, mc);
  } else {
    const mr = isF32 ? ex.mr_f32() : ex.mr_f64();
    // The last row blocks are 16 rows (fewer when m is small, so that every thread still gets
    // some): small enough that the threads finish close together, big enough that each block
    // still reuses a packed B micro-panel across several micro-tiles.
    const minRows = Math.max(mr, Math.min(16, roundUp(Math.ceil(m / (threads * 8)), mr)));
    const colsPerPack = Math.max(nr, roundUp(Math.ceil(n / (threads * 4)), nr));
    const isOk = runParallel(e, ex, workers, copyA, {
      isF32, isFma, aPtr, bPtr, packedB, cPtr, m, n, k, tA, tB, acc, kc, mc, scratch,
      minRows, rowDivisor: 2 * threads, colsPerPack, packCount: Math.ceil(n / colsPerPack),
    });
    if (!isOk) {
      // A worker failed: redo the whole product here, from pristine inputs.
      isPoolBroken = true;
      if (accumulate) view.set(c.subarray(cOffset, cOffset + m * n), cPtr / es);
      pack(bPtr, packedB, k, n, tB, kc, 0, n);
      run(aPtr, packedB, cPtr, m, n, k, tA, 0, m, acc, scratch + e.tileBytes, scratch, kc, mc);
    }
  }
  // Re-read the view: a worker never grows memory, but keep this robust to future changes.
  c.set((isF32 ? e.f32 : e.f64).subarray(cPtr / es, cPtr / es + m * n), cOffset);
  return true;
}

interface Job {
  isF32: boolean; isFma: boolean; aPtr: number; bPtr: number; packedB: number; cPtr: number;
  m: number; n: number; k: number; tA: number; tB: number; acc: number; kc: number; mc: number; scratch: number;
  minRows: number; rowDivisor: number; colsPerPack: number; packCount: number;
}

/**
 * Publishes a job to the workers and works on it too: packing op(B) by column chunks, then C by
 * row blocks. B is already in linear memory; the job is published before A is copied in, so a
 * worker's wake-up and its share of the packing overlap that copy instead of following it.
 * Returns false when a worker failed (the caller then redoes the product).
 */
function runParallel(e: Engine, ex: GemmExports, workers: number, copyA: () => void, job: Job): boolean {
  const ctrl = e.ctrl;
  const p = CTRL.params;
  ctrl[p + PARAM.isF32] = job.isF32 ? 1 : 0;
  ctrl[p + PARAM.isFma] = job.isFma ? 1 : 0;
  ctrl[p + PARAM.a] = job.aPtr;
  ctrl[p + PARAM.b] = job.bPtr;
  ctrl[p + PARAM.packedB] = job.packedB;
  ctrl[p + PARAM.c] = job.cPtr;
  ctrl[p + PARAM.m] = job.m;
  ctrl[p + PARAM.n] = job.n;
  ctrl[p + PARAM.k] = job.k;
  ctrl[p + PARAM.transA] = job.tA;
  ctrl[p + PARAM.transB] = job.tB;
  ctrl[p + PARAM.accumulate] = job.acc;
  ctrl[p + PARAM.kcBlk] = job.kc;
  ctrl[p + PARAM.mcBlk] = job.mc;
  ctrl[p + PARAM.minRows] = job.minRows;
  ctrl[p + PARAM.rowDivisor] = job.rowDivisor;
  ctrl[p + PARAM.colsPerPack] = job.colsPerPack;
  ctrl[p + PARAM.packCount] = job.packCount;
  ctrl[p + PARAM.scratchBase] = job.scratch;
  ctrl[p + PARAM.scratchStride] = e.scratchStride;
  ctrl[p + PARAM.tileBytes] = e.tileBytes;
  seq = (seq + 1) & 0x7fffffff;
  Atomics.store(ctrl, CTRL.next, 0);
  Atomics.store(ctrl, CTRL.left, 0);
  Atomics.store(ctrl, CTRL.error, 0);
  Atomics.store(ctrl, CTRL.packNext, 0);
  Atomics.store(ctrl, CTRL.packDone, 0);
  Atomics.store(ctrl, CTRL.maxJoin, workers);
  Atomics.store(ctrl, CTRL.gate, (seq & 0xffff) << 8);
  // The seq store is the release point: workers read the parameters only after seeing it.
  Atomics.store(ctrl, CTRL.seq, seq);
  Atomics.notify(ctrl, CTRL.seq);

  copyA();
  Atomics.store(ctrl, CTRL.aReady, seq);

  const pack = job.isF32 ? ex.pack_b_f32 : ex.pack_b_f64;
  let t: number;
  while ((t = Atomics.add(ctrl, CTRL.packNext, 1)) < job.packCount) {
    const j0 = t * job.colsPerPack;
    pack(job.bPtr, job.packedB, job.k, job.n, job.tB, job.kc, j0, Math.min(job.n, j0 + job.colsPerPack));
    Atomics.add(ctrl, CTRL.packDone, 1);
  }
  // Wait for chunks a worker claimed; at most one chunk of packing, so spin.
  while (Atomics.load(ctrl, CTRL.packDone) < job.packCount);

  const run = job.isF32 ? ex.gemm_rows_f32 : ex.gemm_rows_f64;
  // Claim row blocks [i0, i1) by CAS on the next free row; the worker runs the same loop.
  let i0 = Atomics.load(ctrl, CTRL.next);
  while (i0 < job.m) {
    const i1 = Math.min(job.m, i0 + Math.ceil((job.m - i0) / (job.rowDivisor * job.minRows)) * job.minRows);
    const prev = Atomics.compareExchange(ctrl, CTRL.next, i0, i1);
    if (prev !== i0) {
      i0 = prev;
      continue;
    }
    run(job.aPtr, job.packedB, job.cPtr, job.m, job.n, job.k, job.tA, i0, i1,
      job.acc, job.scratch + e.tileBytes, job.scratch, job.kc, job.mc);
    i0 = Atomics.load(ctrl, CTRL.next);
  }
  // Close the gate so a worker that wakes up late does not join a finished job.
  let gate = Atomics.load(ctrl, CTRL.gate);
  for (;;) {
    const prev = Atomics.compareExchange(ctrl, CTRL.gate, gate, gate | 0x80);
    if (prev === gate) break;
    gate = prev;
  }
  const joined = gate & 0x7f;
  let left: number;
  while ((left = Atomics.load(ctrl, CTRL.left)) < joined) Atomics.wait(ctrl, CTRL.left, left, 50);
  return Atomics.load(ctrl, CTRL.error) === 0;
}
