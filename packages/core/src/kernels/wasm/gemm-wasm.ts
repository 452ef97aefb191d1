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
import { GEMM_WASM_BASE64, GEMM_WASM_FMA_BASE64 } from './gemm-wasm.generated.js';
import { SIGMOID_WASM_BASE64 } from './sigmoid-wasm.generated.js';
import { sharedVariant } from './shared-variant.js';
import { canBlock, NO_SHARED_MEMORY, notice, startThread, threadSupport, type ThreadHandle } from './runtime.js';
import { ThreadGovernor } from './thread-governor.js';
import { CTRL, CTRL_BYTES, FAULT, NODE_WORKER_SOURCE, PARAM, WEB_WORKER_SOURCE } from './worker-source.js';

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
  bias: number, flags: number,
) => void;

/** Bits of the row kernel's `flags`: what its epilogue does to each finished block of rows. */
const EPILOGUE = { bias: 1, sigmoid: 2 } as const;

/**
 * What a product does to C after its last multiply-add (C = σ(op(A)·op(B) + bias)), in the kernel while
 * the rows are in cache. @internal
 */
export interface GemmEpilogue {
  /** A row of n values added to every row of C (after the whole product, as an eager add does). */
  readonly bias?: FloatArray;
  /** Index of the bias's first element (default 0). */
  readonly biasOffset?: number;
  /** Then C = σ(C), with the bits of `sigmoidInto`. */
  readonly sigmoid?: boolean;
}

/** The sigmoid module's exports the GEMM modules import (exact-length, see `sigmoid-wat.ts`). */
interface SigmoidSpans {
  span_f64(ptr: number, n: number, scratch: number): void;
  span_f32(ptr: number, n: number, scratch: number): void;
}

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
/**
 * A worker that shows no progress for this long plus 20 times its largest task's expected time
 * (measured on the main thread) is taken for dead: the product is redone on the main thread and the
 * pool is replaced. The result is right either way; the margin only avoids restarting a worker that
 * was merely descheduled on a loaded machine.
 */
const STALL_BASE_MS = 1000;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

interface Engine {
  /** The kernels' modules (float64, float32), each instantiated on `memory` with the sigmoid module's spans. */
  readonly modules: readonly object[];
  /** The fused multiply-add kernels' modules on the same memory, when the engine has relaxed SIMD. */
  readonly modulesFma: readonly object[] | undefined;
  /** The sigmoid module, on the same memory: the kernels' epilogue calls it. */
  readonly sigmoidModule: object;
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
  /** Worker threads on this engine's memory, by scratch index − 1 (undefined: none or dead). */
  readonly workers: (ThreadHandle | undefined)[];
  /** Whether the calling thread may block in Atomics.wait (a browser's main thread may not). */
  readonly canBlock: boolean;
  /** Every buffer object linear memory has had (it gets a new one per growth): a view on one is resident. */
  readonly buffers: WeakSet<object>;
  /** Arena storage above the scratch area: its end (staging for products starts there), and freed blocks. */
  readonly heap: { end: number; readonly free: Block[] };
}

/** Bytes of linear memory an arena holds. */
interface Block {
  readonly ptr: number;
  readonly bytes: number;
}

/**
 * Whether the engine validates relaxed SIMD (the FMA kernels) as it is: Node 22+, Chromium, Deno
 * and Bun do; Node 20 only when started with `--experimental-wasm-relaxed-simd` (the opt-in; the
 * library never sets a V8 flag itself).
 */
let relaxedSimd: boolean | undefined;
function hasRelaxedSimd(api: WasmApi): boolean {
  if (relaxedSimd === undefined) {
    try {
      relaxedSimd = GEMM_WASM_FMA_BASE64.every((b64) => api.validate(decodeBase64(b64)));
    } catch {
      relaxedSimd = false;
    }
  }
  return relaxedSimd;
}

/** Whether shared memory can be handed to workers here (a cross-origin-isolated page, or not a page). */
function canShareMemory(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

function createEngine(): Engine | undefined {
  if (wasmApi === undefined) {
    notice('WebAssembly is unavailable in this runtime; products run in JavaScript');
    return undefined;
  }
  const api = wasmApi;
  const isFma = hasRelaxedSimd(api);
  // Prefer shared memory so worker threads can run on the same buffers; fall back to an
  // unshared module where SharedArrayBuffer is unavailable (browsers without isolation).
  const attempts: [boolean, number][] = [
    ...(canShareMemory() ? [[true, 65536], [true, 16384]] as [boolean, number][] : []),
    [false, 65536],
  ];
  let lastError: unknown;
  for (const [isShared, maximum] of attempts) {
    // Only the unshared binaries ship; a shared one differs in its memory import's flag (shared-variant.ts).
    const bytesOf = (b64: string): Uint8Array => (isShared ? sharedVariant(decodeBase64(b64)) : decodeBase64(b64));
    try {
      // Synchronous compile keeps `gemm` synchronous; each module stays under the 4 KiB that
      // browsers allow on their main thread (the build step warns if it grows past that).
      const modules = GEMM_WASM_BASE64.map((b64) => new api.Module(bytesOf(b64)));
      const sigmoidModule = new api.Module(bytesOf(SIGMOID_WASM_BASE64));
      const memory = new api.Memory({ initial: 16, maximum, shared: isShared });
      const ex = instantiate(api, modules, sigmoidModule, memory);
      let modulesFma: object[] | undefined;
      let exFma: GemmExports | undefined;
      if (isFma) {
        try {
          modulesFma = GEMM_WASM_FMA_BASE64.map((b64) => new api.Module(bytesOf(b64)));
          exFma = instantiate(api, modulesFma, sigmoidModule, memory);
        } catch {
          modulesFma = undefined;
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
      const ctrl = new Int32Array(buf, 0, CTRL_BYTES / 4);
      const scratchStride = tileBytes + packABytes;
      const buffers = new WeakSet<object>();
      buffers.add(buf);
      return {
        modules, modulesFma, sigmoidModule, memory, ex, exFma, isShared, ctrl,
        f64: new Float64Array(buf), f32: new Float32Array(buf),
        scratchStride, tileBytes, workers: [],
        canBlock: isShared ? canBlock(ctrl) : false,
        buffers, heap: { end: roundUp(CTRL_BYTES + (1 + MAX_WORKERS) * scratchStride, 64), free: [] },
      };
    } catch (e) {
      lastError = e;
    }
  }
  notice(`the WebAssembly GEMM kernels did not load (${String((lastError as Error)?.message ?? lastError)}); products run in JavaScript`);
  return undefined;
}

/**
 * One instance per module on `memory`, their exports merged (each element type's module exports its own
 * kernels); the modules import the exact-length sigmoid of one sigmoid instance on the same memory.
 * The worker threads do the same (`worker-source.ts`).
 */
function instantiate(api: WasmApi, modules: readonly object[], sigmoidModule: object, memory: WasmMemory): GemmExports {
  const spans = new api.Instance(sigmoidModule, { env: { memory } }).exports as SigmoidSpans;
  const env = { memory, sigmoid_f64: spans.span_f64, sigmoid_f32: spans.span_f32 };
  return Object.assign({}, ...modules.map((m) => new api.Instance(m, { env }).exports)) as GemmExports;
}

/** The engine, created on first use (null: not tried yet; undefined: unavailable). */
let engine: Engine | undefined | null = null;

function getEngine(): Engine | undefined {
  if (engine === null) engine = createEngine();
  return engine;
}

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
  e.buffers.add(buf);
  e.f64 = new Float64Array(buf);
  e.f32 = new Float32Array(buf);
  return true;
}

// ---- arenas: storage that lives in linear memory ------------------------------------------------

/** Returns an arena's blocks to its engine's free list once the arena is garbage. */
const arenaRegistry = typeof FinalizationRegistry === 'undefined'
  ? undefined
  : new FinalizationRegistry<{ readonly e: Engine; readonly blocks: Block[] }>(({ e, blocks }) => {
    e.heap.free.push(...blocks);
  });

/** Typed arrays in the GEMM's linear memory, which products read and write in place. @internal */
export interface WasmArena {
  /** A zeroed array of n elements in linear memory, or undefined when memory cannot grow to hold it. */
  alloc(isF32: boolean, n: number): FloatArray | undefined;
}

/**
 * An arena of storage in the GEMM engine's linear memory: a product whose operands live there reads
 * and writes them in place instead of copying them in and out. Its blocks return to the engine when
 * the arena object is garbage, so only its owner may hold its arrays (a compiled plan, for its
 * intermediates, never for what it returns). Undefined where memory is not shared (growth would detach
 * the arrays) or WebAssembly or FinalizationRegistry is missing.
 * @internal
 */
export function wasmArena(): WasmArena | undefined {
  const e = getEngine();
  if (e === undefined || !e.isShared || arenaRegistry === undefined) return undefined;
  const blocks: Block[] = [];
  const arena: WasmArena = {
    alloc(isF32, n) {
      if (engine !== e) return undefined; // the engine was retired: its memory is no longer the products'
      const es = isF32 ? 4 : 8;
      const bytes = roundUp(Math.max(1, n) * es, 64);
      const k = e.heap.free.findIndex((b) => b.bytes >= bytes && b.bytes <= 2 * bytes);
      let block: Block;
      if (k >= 0) block = e.heap.free.splice(k, 1)[0]!;
      else {
        if (!ensureMemory(e, e.heap.end + bytes)) return undefined;
        block = { ptr: e.heap.end, bytes };
        e.heap.end += bytes;
      }
      blocks.push(block);
      const view = isF32 ? new Float32Array(e.memory.buffer, block.ptr, n) : new Float64Array(e.memory.buffer, block.ptr, n);
      return view.fill(0);
    },
  };
  arenaRegistry.register(arena, { e, blocks });
  return arena;
}

/**
 * The arenas' share of linear memory, for tests: where staging starts, and the freed blocks waiting for reuse.
 * @internal
 */
export function wasmArenaStats(): { readonly heapEnd: number; readonly freeBlocks: number } | undefined {
  const e = engine === null ? undefined : engine;
  return e === undefined ? undefined : { heapEnd: e.heap.end, freeBlocks: e.heap.free.length };
}

/**
 * The engine's linear memory where it is shared (arenas exist only then), for other kernels that work on
 * arena storage in place; undefined otherwise.
 * @internal
 */
export function wasmSharedMemory(): object | undefined {
  const e = getEngine();
  return e !== undefined && e.isShared ? e.memory : undefined;
}

/**
 * Where `x[0]` lives in the engine's linear memory (a byte address), or −1 when x is not a view on it.
 * @internal
 */
export function wasmResidentAt(x: FloatArray): number {
  const e = engine === null ? undefined : engine;
  return e === undefined ? -1 : residentAt(e, x, 0);
}

/** Where `x[offset]` lives in the engine's linear memory, or −1 when x is not a view on it. */
function residentAt(e: Engine, x: FloatArray, offset: number): number {
  return e.buffers.has(x.buffer) ? x.byteOffset + offset * x.BYTES_PER_ELEMENT : -1;
}

// ---- worker pool -----------------------------------------------------------------------

let requestedThreads = 0; // 0: automatic
let isFmaAllowed = true;
let seq = 0;
/** Counters for tests and `backendInfo()`. */
const stats = { joinedJobs: 0, failovers: 0, workersStarted: 0, copiedBytes: 0 };
/**
 * With the default thread count, each large product shape runs on the pool or on one thread,
 * whichever its recent products measured faster (the pool loses when other programs keep the cores busy).
 */
const governor = new ThreadGovernor(() => notice(
  'GEMM worker threads measured slower than one thread (the cores are busy with other work); '
  + 'such products run on one thread while that lasts, and the workers are tried again now and then',
));

/** The runtime's parallelism, read once: asking Node's `os` module on every product was 0.8 % of W1 big's step. */
let parallelism: number | undefined;

function availableParallelism(): number {
  parallelism ??= readParallelism();
  return parallelism;
}

function readParallelism(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
    const n = os?.availableParallelism?.();
    if (typeof n === 'number') return n;
  } catch {
    // fall through to navigator
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/** Worker threads large products want: the requested or available threads − 1, at most MAX_WORKERS. */
function wantedWorkers(): number {
  const threads = requestedThreads || availableParallelism();
  return Math.max(0, Math.min(MAX_WORKERS, threads - 1));
}

/** Workers a job may use: starts the missing ones (lazily, and again after one died). */
function usableWorkers(e: Engine): number {
  if (!e.isShared) {
    // Unshared memory (no SharedArrayBuffer here): workers could not see the buffers. Say so when more
    // threads were wanted, as the debug channel promises for a page that is not cross-origin isolated.
    if (wantedWorkers() > 0) notice(NO_SHARED_MEMORY);
    return 0;
  }
  const wanted = wantedWorkers();
  const support = threadSupport();
  if (wanted > 0 && support.kind === 'none') {
    notice(support.reason);
    return 0;
  }
  let live = 0;
  for (let i = 0; i < wanted; i++) {
    if (e.workers[i] === undefined) {
      const index = i + 1;
      const handle = startThread(
        NODE_WORKER_SOURCE, WEB_WORKER_SOURCE,
        { gemmModules: e.modules, fmaModules: e.modulesFma, sigmoidModule: e.sigmoidModule, memory: e.memory, index },
        (why) => {
          // Between jobs a dead worker is simply replaced by the next large product; one that died
          // in a job is caught by the watchdog in runParallel.
          if (e.workers[i] === handle) e.workers[i] = undefined;
          notice(`${why}; it is replaced by a new worker`);
        },
      );
      if (handle === undefined) break;
      e.workers[i] = handle;
      stats.workersStarted++;
    }
    live++;
  }
  return live;
}

/** Stops every worker of the engine and forgets the engine, so the next product gets fresh memory and workers. */
function retireEngine(e: Engine): void {
  for (const w of e.workers) w?.terminate();
  e.workers.length = 0;
  if (engine === e) engine = null;
  governor.reset();
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
 * With the default thread count, whether large products of this shape (and these transposes, and
 * accumulating or not) run on the worker pool now (true), on one thread because the pool measured
 * slower (false), or undefined before such products have been timed both ways, or when the thread
 * count was set explicitly. For tests.
 * @internal
 */
export function wasmPoolPreferred(
  m: number, n: number, k: number, isF32 = false, transA = false, transB = false, accumulate = false,
): boolean | undefined {
  return requestedThreads === 0 ? governor.prefersPool(shapeKey(m, n, k, isF32, transA, transB, accumulate)) : undefined;
}

/**
 * The governor's record of a product. Products of one size that differ in their transposes or in
 * accumulating cost differently, and one record for all of them misled the governor: W1 big's three
 * 256³ products (one of them 2× the others, writing into a fresh gradient) ran on one thread 64 % of
 * the time though the pool was 1.8× faster for each, 8-20 % slower steps; one record each: 3-6 %.
 */
function shapeKey(m: number, n: number, k: number, isF32: boolean, transA: boolean, transB: boolean, accumulate: boolean): string {
  return `${m}x${n}x${k}${isF32 ? 'f' : 'd'}${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${accumulate ? '+' : ''}`;
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
  return isFmaAllowed && getEngine()?.exFma !== undefined;
}

/**
 * Loads the kernels and, where threads are possible, starts the workers and waits (up to `timeoutMs`)
 * until they run, so that `wasmThreads()` reports them and the first large product uses them.
 * @internal
 */
export async function wasmWarmUp(timeoutMs = 5000): Promise<void> {
  const e = getEngine();
  if (e === undefined) return;
  const want = usableWorkers(e);
  // Nothing to wait for; and on unshared memory `ctrl` may view a buffer a grow has detached.
  if (want === 0) return;
  const until = Date.now() + timeoutMs;
  while (Atomics.load(e.ctrl, CTRL.up) < want && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Threads that large products use now: 1 + the workers that are running.
 * @internal
 */
export function wasmThreads(): number {
  const e = getEngine();
  if (e === undefined || !e.isShared) return 1;
  const live = e.workers.filter((w) => w !== undefined).length;
  return 1 + Math.min(live, Atomics.load(e.ctrl, CTRL.up), wantedWorkers());
}

/**
 * Counters of the worker pool: products that a worker joined, products redone on the calling
 * thread after a worker stopped responding, and workers started. For tests.
 * @internal
 */
export function wasmPoolStats(): { joinedJobs: number; failovers: number; workersStarted: number; copiedBytes: number } {
  return { ...stats };
}

/**
 * Makes worker `index` (1-based) fail in the next job it joins, for tests: exit while packing op(B),
 * exit in the row phase, or hang in the row phase. Cleared by the worker that acts on it.
 * @internal
 */
export function injectWasmWorkerFault(index: number, phase: keyof typeof FAULT | 'none'): void {
  const e = getEngine();
  if (e === undefined || !e.isShared) return;
  Atomics.store(e.ctrl, CTRL.fault, phase === 'none' ? 0 : (index << 4) | FAULT[phase]);
}

// ---- driver -------------------------------------------------------------------------------

/**
 * Whether the WebAssembly kernels are loaded (loading them on first call).
 * @internal
 */
export function wasmReady(): boolean {
  return getEngine() !== undefined;
}

/**
 * Runs the Wasm GEMM; same contract as `gemm`. Returns false (leaving C untouched) when Wasm
 * is unavailable or linear memory cannot hold the operands, so the caller can fall back.
 * Assumes m, n, k ≥ 1. An exception (for example from reading a detached buffer) propagates
 * after every worker has left the job.
 * @internal
 */
export function wasmGemm(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aOffset: number, bOffset: number, cOffset: number, accumulate: boolean,
  epilogue?: GemmEpilogue,
): boolean {
  const e = getEngine();
  if (e === undefined) return false;
  const isF32 = a instanceof Float32Array;
  const t = isF32 ? 'f32' : 'f64';
  const es = isF32 ? 4 : 8;
  const isFma = isFmaAllowed && e.exFma !== undefined;
  const ex = isFma ? e.exFma! : e.ex;
  const { kc, mc } = BLOCKING[isFma ? 'fma' : 'plain'][t];
  const nr = isF32 ? ex.nr_f32() : ex.nr_f64();

  const work = m * n * k;
  const isLarge = work >= PARALLEL_MIN_WORK && m >= 16;
  // An explicit thread count is obeyed; the default one asks the governor, which needs the pool's
  // and one thread's recent times of this shape (so only where workers exist at all).
  const isGoverned = isLarge && requestedThreads === 0 && e.isShared && wantedWorkers() > 0;
  const key = isGoverned ? shapeKey(m, n, k, isF32, transA, transB, accumulate) : '';
  const workers = isLarge && (!isGoverned || governor.usePool(key)) ? usableWorkers(e) : 0;
  const threads = 1 + workers;
  const t0 = isGoverned ? now() : 0;

  const align = (x: number): number => roundUp(x, 64);
  const scratch = CTRL_BYTES;
  // Operands in linear memory already (an arena's) are used in place; the rest are staged above the arenas.
  // C is used in place only when the product overwrites it (a failed worker's partial accumulation could not be
  // undone) and it overlaps neither A nor B (the kernel reads them while it writes C).
  const ra = residentAt(e, a, aOffset);
  const rb = residentAt(e, b, bOffset);
  let rc = accumulate ? -1 : residentAt(e, c, cOffset);
  const overlaps = (p: number, bytes: number): boolean => p >= 0 && p < rc + m * n * es && rc < p + bytes;
  if (rc >= 0 && (overlaps(ra, m * k * es) || overlaps(rb, k * n * es))) rc = -1;
  const stage = align(e.heap.end);
  const aPtr = ra >= 0 ? ra : stage;
  const bPtr = rb >= 0 ? rb : align(stage + m * k * es);
  const cPtr = rc >= 0 ? rc : align(stage + m * k * es + k * n * es + 64);
  const packedB = align(stage + m * k * es + k * n * es + m * n * es + 128);
  const bias = epilogue?.bias;
  const biasOffset = epilogue?.biasOffset ?? 0;
  const rBias = bias === undefined ? -1 : residentAt(e, bias, biasOffset);
  const biasPtr = rBias >= 0 ? rBias : align(packedB + k * roundUp(n, nr) * es);
  const end = biasPtr + (bias === undefined || rBias >= 0 ? 0 : n * es);
  if (!ensureMemory(e, end)) return false;
  const flags = (bias === undefined ? 0 : EPILOGUE.bias) | (epilogue?.sigmoid === true ? EPILOGUE.sigmoid : 0);

  const view = isF32 ? e.f32 : e.f64;
  const pack = isF32 ? ex.pack_b_f32 : ex.pack_b_f64;
  const run = isF32 ? ex.gemm_rows_f32 : ex.gemm_rows_f64;
  const acc = accumulate ? 1 : 0;
  const tA = transA ? 1 : 0;
  const tB = transB ? 1 : 0;
  const copyA = (): void => {
    if (ra < 0) view.set(a.subarray(aOffset, aOffset + m * k), aPtr / es);
    if (accumulate) view.set(c.subarray(cOffset, cOffset + m * n), cPtr / es);
  };
  if (rb < 0) view.set(b.subarray(bOffset, bOffset + k * n), bPtr / es);
  if (bias !== undefined && rBias < 0) view.set(bias.subarray(biasOffset, biasOffset + n), biasPtr / es);
  stats.copiedBytes += es * ((ra < 0 ? m * k : 0) + (rb < 0 ? k * n : 0) + (rc < 0 ? m * n : 0) + (accumulate ? m * n : 0)
    + (bias !== undefined && rBias < 0 ? n : 0));

  /** How the product ran, for the governor: 'pool' only if a worker joined; undefined: not timed. */
  let ran: 'pool' | 'alone' | undefined = 'alone';
  if (threads === 1) {
    copyA();
    pack(bPtr, packedB, k, n, tB, kc, 0, n);
    run(aPtr, packedB, cPtr, m, n, k, tA, 0, m, acc, scratch + e.tileBytes, scratch, kc, mc, biasPtr, flags);
  } else {
    const mr = isF32 ? ex.mr_f32() : ex.mr_f64();
    // The last row blocks are 16 rows (fewer when m is small, so that every thread still gets
    // some): small enough that the threads finish close together, big enough that each block
    // still reuses a packed B micro-panel across several micro-tiles.
    const minRows = Math.max(mr, Math.min(16, roundUp(Math.ceil(m / (threads * 8)), mr)));
    const colsPerPack = Math.max(nr, roundUp(Math.ceil(n / (threads * 4)), nr));
    const outcome = runParallel(e, ex, workers, copyA, {
      isF32, isFma, aPtr, bPtr, packedB, cPtr, m, n, k, tA, tB, acc, kc, mc, scratch, biasPtr, flags,
      minRows, rowDivisor: 2 * threads, colsPerPack, packCount: Math.ceil(n / colsPerPack),
    });
    ran = outcome === 'ok' ? 'pool' : undefined;
    if (outcome === 'stalled') {
      // A worker stopped responding (died, or hangs): its memory may still be written, so the
      // product is redone on a fresh engine, and the next large product starts new workers.
      stats.failovers++;
      notice('a GEMM worker stopped responding in a product; the product was redone on the calling thread and the workers were replaced');
      retireEngine(e);
      const saved = requestedThreads;
      requestedThreads = 1;
      try {
        return wasmGemm(a, b, c, m, n, k, transA, transB, aOffset, bOffset, cOffset, accumulate, epilogue);
      } finally {
        requestedThreads = saved;
      }
    }
    if (outcome === 'failed') {
      // A worker's kernel threw, and every worker has left: redo the whole product here, from pristine inputs.
      notice('a GEMM worker\'s kernel failed; the product was redone on the calling thread');
      if (accumulate) view.set(c.subarray(cOffset, cOffset + m * n), cPtr / es);
      pack(bPtr, packedB, k, n, tB, kc, 0, n);
      run(aPtr, packedB, cPtr, m, n, k, tA, 0, m, acc, scratch + e.tileBytes, scratch, kc, mc, biasPtr, flags);
    }
  }
  // Re-read the view: a worker never grows memory, but keep this robust to future changes.
  if (rc < 0) c.set((isF32 ? e.f32 : e.f64).subarray(cPtr / es, cPtr / es + m * n), cOffset);
  if (isGoverned && ran !== undefined) governor.record(key, ran === 'pool', now() - t0);
  return true;
}

interface Job {
  isF32: boolean; isFma: boolean; aPtr: number; bPtr: number; packedB: number; cPtr: number;
  m: number; n: number; k: number; tA: number; tB: number; acc: number; kc: number; mc: number; scratch: number;
  biasPtr: number; flags: number; minRows: number; rowDivisor: number; colsPerPack: number; packCount: number;
}

const now: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

/**
 * Watches the workers' progress counter while the calling thread waits for them: false once no
 * task has finished for `limitMs`.
 */
class Watchdog {
  #last: number;
  #since: number;
  constructor(private readonly ctrl: Int32Array, private readonly limitMs: number) {
    this.#last = Atomics.load(ctrl, CTRL.progress);
    this.#since = now();
  }

  isAlive(): boolean {
    const p = Atomics.load(this.ctrl, CTRL.progress);
    const t = now();
    if (p !== this.#last) {
      this.#last = p;
      this.#since = t;
      return true;
    }
    return t - this.#since < this.limitMs;
  }
}

/**
 * Publishes a job to the workers and works on it too: packing op(B) by column chunks, then C by
 * row blocks. B is already in linear memory; the job is published before A is copied in, so a
 * worker's wake-up and its share of the packing overlap that copy instead of following it.
 * Returns 'ok', 'alone' when no worker joined in time (the calling thread did it all), 'failed' when
 * a worker's kernel threw (every worker has left), or 'stalled' when a worker stopped making progress.
 * An exception of the calling thread's own part abandons the job: the workers are told to leave,
 * and it propagates once they have.
 */
function runParallel(e: Engine, ex: GemmExports, workers: number, copyA: () => void, job: Job): 'ok' | 'alone' | 'failed' | 'stalled' {
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
  ctrl[p + PARAM.bias] = job.biasPtr;
  ctrl[p + PARAM.flags] = job.flags;
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

  // The stall limit scales with the largest task a worker may hold, timed on this thread.
  let rate = 0; // multiply-adds per ms on this thread
  const limitMs = (): number => {
    const firstBlock = Math.ceil(job.m / job.rowDivisor) * job.n * job.k;
    return STALL_BASE_MS + (rate > 0 ? 20 * firstBlock / rate : 0);
  };
  let thrown: { error: unknown } | undefined;
  let isStalled = false;
  try {
    copyA();
    Atomics.store(ctrl, CTRL.aReady, seq);

    const pack = job.isF32 ? ex.pack_b_f32 : ex.pack_b_f64;
    let t: number;
    while ((t = Atomics.add(ctrl, CTRL.packNext, 1)) < job.packCount) {
      const j0 = t * job.colsPerPack;
      pack(job.bPtr, job.packedB, job.k, job.n, job.tB, job.kc, j0, Math.min(job.n, j0 + job.colsPerPack));
      Atomics.add(ctrl, CTRL.packDone, 1);
    }
    // Wait for chunks a worker claimed; at most one chunk of packing, so spin (watching for a dead worker).
    const packWatch = new Watchdog(ctrl, limitMs());
    for (let spins = 0; Atomics.load(ctrl, CTRL.packDone) < job.packCount; spins++) {
      if ((spins & 1023) === 0 && !packWatch.isAlive()) {
        isStalled = true;
        break;
      }
    }

    const run = job.isF32 ? ex.gemm_rows_f32 : ex.gemm_rows_f64;
    // Claim row blocks [i0, i1) by CAS on the next free row; the worker runs the same loop.
    let i0 = isStalled ? job.m : Atomics.load(ctrl, CTRL.next);
    while (i0 < job.m) {
      const i1 = Math.min(job.m, i0 + Math.ceil((job.m - i0) / (job.rowDivisor * job.minRows)) * job.minRows);
      const prev = Atomics.compareExchange(ctrl, CTRL.next, i0, i1);
      if (prev !== i0) {
        i0 = prev;
        continue;
      }
      const t0 = now();
      run(job.aPtr, job.packedB, job.cPtr, job.m, job.n, job.k, job.tA, i0, i1,
        job.acc, job.scratch + e.tileBytes, job.scratch, job.kc, job.mc, job.biasPtr, job.flags);
      const ms = now() - t0;
      if (ms > 0) rate = Math.max(rate, ((i1 - i0) * job.n * job.k) / ms);
      i0 = Atomics.load(ctrl, CTRL.next);
    }
  } catch (error) {
    thrown = { error };
  }
  if (thrown !== undefined || isStalled) Atomics.store(ctrl, CTRL.abort, seq);
  // Close the gate so a worker that wakes up late does not join a finished job.
  let gate = Atomics.load(ctrl, CTRL.gate);
  for (;;) {
    const prev = Atomics.compareExchange(ctrl, CTRL.gate, gate, gate | 0x80);
    if (prev === gate) break;
    gate = prev;
  }
  const joined = gate & 0x7f;
  if (joined > 0) stats.joinedJobs++;
  const watch = new Watchdog(ctrl, limitMs());
  let left: number;
  while (!isStalled && (left = Atomics.load(ctrl, CTRL.left)) < joined) {
    if (e.canBlock) Atomics.wait(ctrl, CTRL.left, left, 20);
    if (!watch.isAlive()) isStalled = true;
  }
  if (thrown !== undefined) {
    // The workers have left (or are written off): a later product must not share their memory.
    if (isStalled) retireEngine(e);
    throw thrown.error;
  }
  if (isStalled) return 'stalled';
  if (Atomics.load(ctrl, CTRL.error) !== 0) return 'failed';
  return joined > 0 ? 'ok' : 'alone';
}
