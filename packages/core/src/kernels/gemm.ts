// The GEMM kernel: C (+)= op(A)·op(B) on row-major buffers, in JavaScript or Wasm by size.
/**
 * Dense matrix-multiply kernels. They know nothing of autograd or shapes: callers pass raw
 * row-major buffers, sizes and transpose flags, and validate them beforehand.
 * @packageDocumentation
 */
import type { FloatArray } from '../base/dtype.ts';
import { sigmoidInto } from './sigmoid.ts';
import {
  injectWasmWorkerFault, setWasmFma, setWasmThreads, wasmArena, wasmFmaActive, wasmGemm, wasmPoolStats, wasmReady,
  type GemmEpilogue, type WasmArena,
} from './wasm/gemm-wasm.js';

export type { GemmEpilogue, WasmArena };


/**
 * Products with fewer multiply-adds (m·n·k) than this run in JavaScript: below it, copying
 * the operands into Wasm memory and packing them costs more than SIMD saves. Measured
 * crossovers: about 16³ for float64 and 12³ for float32 (f32x4 does twice the work per op).
 */
const WASM_MIN_WORK_F64 = 6000;
const WASM_MIN_WORK_F32 = 2500;

/**
 * Matrix-vector products (m = 1 or n = 1) run in JavaScript: the Wasm kernel's 4-wide
 * micro-tiles would be three quarters padding. Measured (one thread, µs, JS vs Wasm):
 * n = 1: 512×1×32 16 vs 51, 256×1×256 60 vs 146, 1024×1×1024 1700 vs 4300 (f32 alike);
 * m = 1: 1×32×512ᵀ 15 vs 36, 1×256×256 64 vs 86 (f64; f32x4 wins that one, 68 vs 39, but
 * the rule stays symmetric in m and n so that C and Cᵀ = op(B)ᵀ·op(A)ᵀ take the same kernel
 * and get the same bits — the fast path computes the transposes of the generic engine's products).
 */
function isVectorProduct(m: number, n: number): boolean {
  return m === 1 || n === 1;
}

/**
 * General matrix multiply: C = op(A)·op(B), or C += op(A)·op(B) when `accumulate` is set.
 *
 * `C[i,j] (+)= Σ_p op(A)[i,p] · op(B)[p,j]`. Small products and matrix-vector products run a
 * register-blocked JavaScript kernel; larger ones a WebAssembly SIMD kernel (with fused
 * multiply-adds where the engine has relaxed SIMD, multi-threaded for large products where the
 * runtime has threads), falling back to JavaScript when WebAssembly is unavailable.
 * The kernel does not validate sizes or offsets, and C must not overlap A or B.
 *
 * @param a - op(A) is m×k: A is stored row-major as [m, k], or as [k, m] when `transA`.
 * @param b - op(B) is k×n: B is stored as [k, n], or as [n, k] when `transB`.
 * @param c - Output, [m, n] row-major; same element type as `a` and `b`.
 * @param m - Rows of op(A) and C.
 * @param n - Columns of op(B) and C.
 * @param k - Inner dimension.
 * @param transA - Read A transposed.
 * @param transB - Read B transposed.
 * @param aOffset - Index of A's first element in `a` (default 0).
 * @param bOffset - Index of B's first element in `b` (default 0).
 * @param cOffset - Index of C's first element in `c` (default 0).
 * @param accumulate - Add into C instead of overwriting it (default false).
 * @returns Nothing; C is written in place.
 * @example
 * ```ts
 * const a = Float64Array.of(1, 2, 3, 4); // [[1, 2], [3, 4]]
 * const c = new Float64Array(4);
 * gemm(a, a, c, 2, 2, 2, false, true); // C = A·Aᵀ = [[5, 11], [11, 25]]
 * ```
 * @category Linear algebra
 */
export function gemm(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aOffset = 0, bOffset = 0, cOffset = 0, accumulate = false,
): void {
  if (m === 0 || n === 0) return;
  const minWork = a instanceof Float32Array ? WASM_MIN_WORK_F32 : WASM_MIN_WORK_F64;
  if (k > 0 && m * n * k >= minWork && !isVectorProduct(m, n)
    && wasmGemm(a, b, c, m, n, k, transA, transB, aOffset, bOffset, cOffset, accumulate)) return;
  gemmJs(a, b, c, m, n, k, transA, transB, aOffset, bOffset, cOffset, accumulate);
}

/**
 * C = σ(op(A)·op(B) + bias), with the bias add and the sigmoid each optional: a product with its
 * epilogue. Each finished block of rows gets the epilogue inside the WebAssembly kernel while it is
 * still in cache (in the worker threads too), so the layer costs one pass over C instead of three.
 * The bits are those of {@link gemm} followed by an add of the bias row (in C's precision) and
 * `sigmoidInto`, as eager `matmul`, `add` and `sigmoid` compute them, whatever k is; where the product
 * runs in JavaScript, so does the epilogue, after it.
 *
 * @param a - See {@link gemm}.
 * @param b - See {@link gemm}.
 * @param c - Output, [m, n] row-major from index 0; overwritten (never accumulated into).
 * @param m - See {@link gemm}.
 * @param n - See {@link gemm}.
 * @param k - See {@link gemm}.
 * @param transA - See {@link gemm}.
 * @param transB - See {@link gemm}.
 * @param epilogue - The bias row (n values) to add, and whether to apply the sigmoid after it.
 * @returns Nothing; C is written in place.
 * @example
 * ```ts
 * const x = Float64Array.of(1, 2, 3, 4); // [[1, 2], [3, 4]]
 * const c = new Float64Array(4);
 * gemmFused(x, x, c, 2, 2, 2, false, true, { bias: Float64Array.of(-5, -11), sigmoid: true }); // σ(X·Xᵀ + b)
 * ```
 * @internal
 */
export function gemmFused(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, epilogue: GemmEpilogue,
): void {
  if (m === 0 || n === 0) return;
  const minWork = a instanceof Float32Array ? WASM_MIN_WORK_F32 : WASM_MIN_WORK_F64;
  // The same choice of kernel as gemm(), so the product has gemm()'s bits.
  if (k > 0 && m * n * k >= minWork && !isVectorProduct(m, n)
    && wasmGemm(a, b, c, m, n, k, transA, transB, 0, 0, 0, false, epilogue)) return;
  if (k === 0) c.fill(0, 0, m * n);
  else gemmJs(a, b, c, m, n, k, transA, transB);
  const bias = epilogue.bias;
  if (bias !== undefined) {
    const off = epilogue.biasOffset ?? 0;
    // A store into a Float32Array rounds the float64 sum once: float32 addition's result.
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) c[row + j] = c[row + j]! + bias[off + j]!;
    }
  }
  if (epilogue.sigmoid === true) {
    const y = c.subarray(0, m * n);
    sigmoidInto(y, y);
  }
}

/**
 * The WebAssembly SIMD path of {@link gemm}, regardless of size. Runs {@link gemmJs}
 * instead when WebAssembly is unavailable or its memory cannot hold the operands.
 *
 * @param a - See {@link gemm}; same for all parameters.
 * @param b - See {@link gemm}.
 * @param c - See {@link gemm}.
 * @param m - See {@link gemm}.
 * @param n - See {@link gemm}.
 * @param k - See {@link gemm}.
 * @param transA - See {@link gemm}.
 * @param transB - See {@link gemm}.
 * @param aOffset - See {@link gemm}.
 * @param bOffset - See {@link gemm}.
 * @param cOffset - See {@link gemm}.
 * @param accumulate - See {@link gemm}.
 * @returns True when the Wasm path handled the product (empty products and k = 0, which need
 *   no arithmetic, count as handled once Wasm is loaded); false when it fell back to JavaScript.
 * @example
 * ```ts
 * const ranWasm = gemmWasm(a, b, c, 64, 64, 64, false, false);
 * ```
 * @internal
 */
export function gemmWasm(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aOffset = 0, bOffset = 0, cOffset = 0, accumulate = false,
): boolean {
  if (m === 0 || n === 0) return wasmReady();
  if (k > 0 && wasmGemm(a, b, c, m, n, k, transA, transB, aOffset, bOffset, cOffset, accumulate)) return true;
  gemmJs(a, b, c, m, n, k, transA, transB, aOffset, bOffset, cOffset, accumulate);
  return k === 0 && wasmReady();
}

/**
 * Storage in the WebAssembly kernel's memory, which {@link gemm} reads and writes in place (no copy in or
 * out); undefined where products cannot use it (no shared memory, no WebAssembly). Its arrays are
 * reclaimed when the arena object is garbage, so only the arena's owner may hold them.
 * @returns An arena, or undefined.
 * @internal
 */
export function gemmArena(): WasmArena | undefined {
  return wasmArena();
}

/**
 * Whether the WebAssembly kernels are loaded (the generated module exists and the engine
 * compiled it). When false, {@link gemm} uses JavaScript only.
 *
 * @returns True when {@link gemmWasm} will use WebAssembly.
 * @example
 * ```ts
 * if (!wasmAvailable()) console.warn('run `pnpm exec tsx scripts/build-wasm.ts`');
 * ```
 * @internal
 */
export function wasmAvailable(): boolean {
  return wasmReady();
}

/**
 * Limits how many threads (the calling thread included) large WebAssembly products use;
 * 1 disables worker threads, 0 restores the default. Effective before the first large product.
 *
 * @param threads - Thread count, or 0 for the default.
 * @returns Nothing.
 * @example
 * ```ts
 * setGemmThreads(1); // benchmark a single core
 * ```
 * @internal
 */
export function setGemmThreads(threads: number): void {
  setWasmThreads(threads);
}

/**
 * Allows (the default) or forbids the fused multiply-add WebAssembly kernels. They run where
 * the engine has relaxed SIMD (Node 22+, current browsers, Deno, Bun; Node 20 only when started
 * with `--experimental-wasm-relaxed-simd`); forbidding them selects the mul + add kernels, whose results
 * equal {@link gemmReference} bit for bit when k fits one cache block.
 *
 * @param isAllowed - False forces the mul + add kernels, in worker threads too.
 * @returns Nothing.
 * @example
 * ```ts
 * setGemmFma(false); // reproducible, reference-identical sums
 * ```
 * @internal
 */
export function setGemmFma(isAllowed: boolean): void {
  setWasmFma(isAllowed);
}

/**
 * Counters of the GEMM worker pool, for tests: products a worker joined, products redone on the
 * calling thread because a worker stopped responding, and workers started so far.
 *
 * @returns `{ joinedJobs, failovers, workersStarted }`.
 * @example
 * ```ts
 * const { failovers } = gemmPoolStats();
 * ```
 * @internal
 */
export function gemmPoolStats(): { joinedJobs: number; failovers: number; workersStarted: number; copiedBytes: number } {
  return wasmPoolStats();
}

/**
 * Fault injection for tests: worker `index` (1-based) exits while packing op(B), exits in the
 * row phase, or hangs in the row phase of the next product it joins.
 *
 * @param index - The worker, from 1.
 * @param phase - `'pack'`, `'rows'`, `'hang'`, or `'none'` to clear.
 * @returns Nothing.
 * @example
 * ```ts
 * injectGemmWorkerFault(1, 'pack');
 * ```
 * @internal
 */
export function injectGemmWorkerFault(index: number, phase: 'pack' | 'rows' | 'hang' | 'none'): void {
  injectWasmWorkerFault(index, phase);
}

/**
 * Whether WebAssembly products currently use the fused multiply-add kernels.
 *
 * @returns True when relaxed SIMD is available and {@link setGemmFma} has not forbidden it.
 * @example
 * ```ts
 * console.log(gemmFmaActive() ? 'FMA' : 'mul + add');
 * ```
 * @internal
 */
export function gemmFmaActive(): boolean {
  return wasmFmaActive();
}

/**
 * The plain JavaScript path of {@link gemm}: 4×4 blocks of C accumulate in locals while p
 * runs over k, so each loaded element of A and B feeds four multiply-adds. Transposes are
 * read through strides, never copied. Sums run in p order from 0 in float64 and are
 * stored once, so results equal {@link gemmReference} bit for bit.
 *
 * @param a - See {@link gemm}; same for all parameters.
 * @param b - See {@link gemm}.
 * @param c - See {@link gemm}.
 * @param m - See {@link gemm}.
 * @param n - See {@link gemm}.
 * @param k - See {@link gemm}.
 * @param transA - See {@link gemm}.
 * @param transB - See {@link gemm}.
 * @param aOffset - See {@link gemm}.
 * @param bOffset - See {@link gemm}.
 * @param cOffset - See {@link gemm}.
 * @param accumulate - See {@link gemm}.
 * @returns Nothing; C is written in place.
 * @example
 * ```ts
 * gemmJs(a, b, c, 3, 3, 3, false, false);
 * ```
 * @internal
 */
export function gemmJs(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aOffset = 0, bOffset = 0, cOffset = 0, accumulate = false,
): void {
  // op(A)[i,p] = a[aOffset + i·ai + p·ap];  op(B)[p,j] = b[bOffset + p·bp + j·bj]
  const ai = transA ? 1 : k;
  const ap = transA ? m : 1;
  const bp = transB ? 1 : n;
  const bj = transB ? k : 1;
  const kap = k * ap;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = aOffset + i * ai;
    const c0 = cOffset + i * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      let pb = bOffset + j * bj;
      for (let pa = a0; pa < a0 + kap; pa += ap) {
        const x0 = a[pa]!, x1 = a[pa + ai]!, x2 = a[pa + 2 * ai]!, x3 = a[pa + 3 * ai]!;
        const y0 = b[pb]!, y1 = b[pb + bj]!, y2 = b[pb + 2 * bj]!, y3 = b[pb + 3 * bj]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
        pb += bp;
      }
      const q = c0 + j;
      if (accumulate) {
        c[q] = c[q]! + s00; c[q + 1] = c[q + 1]! + s01; c[q + 2] = c[q + 2]! + s02; c[q + 3] = c[q + 3]! + s03;
        c[q + n] = c[q + n]! + s10; c[q + n + 1] = c[q + n + 1]! + s11; c[q + n + 2] = c[q + n + 2]! + s12; c[q + n + 3] = c[q + n + 3]! + s13;
        c[q + 2 * n] = c[q + 2 * n]! + s20; c[q + 2 * n + 1] = c[q + 2 * n + 1]! + s21; c[q + 2 * n + 2] = c[q + 2 * n + 2]! + s22; c[q + 2 * n + 3] = c[q + 2 * n + 3]! + s23;
        c[q + 3 * n] = c[q + 3 * n]! + s30; c[q + 3 * n + 1] = c[q + 3 * n + 1]! + s31; c[q + 3 * n + 2] = c[q + 3 * n + 2]! + s32; c[q + 3 * n + 3] = c[q + 3 * n + 3]! + s33;
      } else {
        c[q] = s00; c[q + 1] = s01; c[q + 2] = s02; c[q + 3] = s03;
        c[q + n] = s10; c[q + n + 1] = s11; c[q + n + 2] = s12; c[q + n + 3] = s13;
        c[q + 2 * n] = s20; c[q + 2 * n + 1] = s21; c[q + 2 * n + 2] = s22; c[q + 2 * n + 3] = s23;
        c[q + 3 * n] = s30; c[q + 3 * n + 1] = s31; c[q + 3 * n + 2] = s32; c[q + 3 * n + 3] = s33;
      }
    }
    // Column remainder: a 4×1 strip.
    for (; j < n; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let pb = bOffset + j * bj;
      for (let pa = a0; pa < a0 + kap; pa += ap) {
        const y = b[pb]!;
        s0 += a[pa]! * y; s1 += a[pa + ai]! * y; s2 += a[pa + 2 * ai]! * y; s3 += a[pa + 3 * ai]! * y;
        pb += bp;
      }
      const q = c0 + j;
      if (accumulate) {
        c[q] = c[q]! + s0; c[q + n] = c[q + n]! + s1; c[q + 2 * n] = c[q + 2 * n]! + s2; c[q + 3 * n] = c[q + 3 * n]! + s3;
      } else {
        c[q] = s0; c[q + n] = s1; c[q + 2 * n] = s2; c[q + 3 * n] = s3;
      }
    }
  }
  // Row remainder: 1×4 strips, then single elements.
  for (; i < m; i++) {
    const a0 = aOffset + i * ai;
    const q0 = cOffset + i * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let pb = bOffset + j * bj;
      for (let pa = a0; pa < a0 + kap; pa += ap) {
        const x = a[pa]!;
        s0 += x * b[pb]!; s1 += x * b[pb + bj]!; s2 += x * b[pb + 2 * bj]!; s3 += x * b[pb + 3 * bj]!;
        pb += bp;
      }
      const q = q0 + j;
      if (accumulate) {
        c[q] = c[q]! + s0; c[q + 1] = c[q + 1]! + s1; c[q + 2] = c[q + 2]! + s2; c[q + 3] = c[q + 3]! + s3;
      } else {
        c[q] = s0; c[q + 1] = s1; c[q + 2] = s2; c[q + 3] = s3;
      }
    }
    for (; j < n; j++) {
      let s = 0;
      let pb = bOffset + j * bj;
      for (let pa = a0; pa < a0 + kap; pa += ap) {
        s += a[pa]! * b[pb]!;
        pb += bp;
      }
      if (accumulate) c[q0 + j] = c[q0 + j]! + s;
      else c[q0 + j] = s;
    }
  }
}

/**
 * Reference GEMM: the plain triple loop, summing each C element in float64 in p order.
 * It is the oracle the fast kernels are tested against; use {@link gemm} otherwise.
 *
 * @param a - See {@link gemm}; same for all parameters.
 * @param b - See {@link gemm}.
 * @param c - See {@link gemm}.
 * @param m - See {@link gemm}.
 * @param n - See {@link gemm}.
 * @param k - See {@link gemm}.
 * @param transA - See {@link gemm}.
 * @param transB - See {@link gemm}.
 * @param aOffset - See {@link gemm}.
 * @param bOffset - See {@link gemm}.
 * @param cOffset - See {@link gemm}.
 * @param accumulate - See {@link gemm}.
 * @returns Nothing; C is written in place.
 * @example
 * ```ts
 * const c = new Float64Array(1);
 * gemmReference(Float64Array.of(1, 2), Float64Array.of(3, 4), c, 1, 1, 2, false, false); // c = [11]
 * ```
 * @category Linear algebra
 */
export function gemmReference(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aOffset = 0, bOffset = 0, cOffset = 0, accumulate = false,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = a[aOffset + (transA ? p * m + i : i * k + p)]!;
        const y = b[bOffset + (transB ? j * k + p : p * n + j)]!;
        s += x * y;
      }
      const q = cOffset + i * n + j;
      c[q] = accumulate ? c[q]! + s : s;
    }
  }
}
