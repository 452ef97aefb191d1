// The logistic sigmoid over whole buffers: a Wasm SIMD kernel for large ones, the same algorithm in TypeScript for small ones.
/**
 * The logistic sigmoid over whole buffers: a WebAssembly SIMD kernel for large buffers and a
 * TypeScript implementation of the same algorithm (same operations, same order, so the same
 * bits) for small ones and as the fallback. The algorithm is described in
 * `wasm/sigmoid-wat.ts`: exp by Cody–Waite range reduction and a Taylor polynomial, in the
 * stable form σ(x) = (x ≥ 0 ? 1 : e)/(1 + e) with e = e^{−|x|}.
 * @packageDocumentation
 */
import { SIGMOID_F32, SIGMOID_F64 } from './sigmoid-constants.js';
import { sigmoidWasmReady, wasmSigmoid } from './wasm/sigmoid-wasm.js';
import type { FloatArray } from '../base/dtype.ts';

/**
 * Buffers shorter than this run in TypeScript: below it the copies into and out of Wasm
 * memory and the call cost more than the SIMD saves (float64 crossover measured at 32–64
 * elements; the float32 reference, with a `Math.fround` per operation, is slow enough that
 * Wasm wins from a few elements).
 */
const WASM_MIN_LENGTH_F64 = 48;
const WASM_MIN_LENGTH_F32 = 8;

// POW2[j + 540] = 2^j for j = −540 … 0 (k₁, k₂ ≥ −539 after the clamp), exact powers of two.
// Indexing by a non-negative integer keeps the loads monomorphic (−k₁ would give −0 for k₁ = 0).
const POW2_BIAS = 540;
const POW2 = new Float64Array(POW2_BIAS + 1);
POW2[POW2_BIAS] = 1;
for (let j = POW2_BIAS - 1; j >= 0; j--) POW2[j] = POW2[j + 1]! / 2;

const [T_MIN, LOG2E, MAGIC, LN2_HI, LN2_LO] = [
  SIGMOID_F64.tMin, SIGMOID_F64.log2e, SIGMOID_F64.magic, SIGMOID_F64.ln2Hi, SIGMOID_F64.ln2Lo,
];
const [C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13] = SIGMOID_F64.coeffs as [
  number, number, number, number, number, number, number, number, number, number, number, number];

/**
 * σ(x) = 1/(1 + e⁻ˣ) in float64, computed as (x ≥ 0 ? 1 : e)/(1 + e) with e = e^{−|x|}
 * (never overflows), e by range reduction and a polynomial; within a few ulps of
 * `1/(1 + Math.exp(-x))`, and bit for bit what {@link sigmoidInto} writes into a Float64Array.
 *
 * @param x - Any number; NaN gives NaN, ±∞ give 1 and 0.
 * @returns σ(x).
 * @example
 * ```ts
 * sigmoidScalar(0); // 0.5
 * ```
 * @internal
 */
export function sigmoidScalar(x: number): number {
  const t0 = -Math.abs(x);
  const t = t0 < T_MIN ? T_MIN : t0;
  const v = t * LOG2E + MAGIC;
  const kf = v - MAGIC;
  const r = t - kf * LN2_HI - kf * LN2_LO;
  const r2 = r * r;
  const r4 = r2 * r2;
  const r8 = r4 * r4;
  // Estrin's scheme, in the order of the Wasm kernel.
  const poly = ((C2 + C3 * r) + (C4 + C5 * r) * r2) + ((C6 + C7 * r) + (C8 + C9 * r) * r2) * r4
    + ((C10 + C11 * r) + (C12 + C13 * r) * r2) * r8;
  const p1 = 1 + (r + r2 * poly);
  // k = kf as an integer (|k| ≤ 1077; NaN gives 0, and e stays NaN through p1).
  const k = kf | 0;
  const k1 = k >> 1;
  const e = p1 * POW2[k1 + POW2_BIAS]! * POW2[k - k1 + POW2_BIAS]!;
  const d = 1 + e;
  const q = (x >= 0 ? 1 : e) / d;
  // d misses δ = (1 + e) − d (exact: Fast2Sum, 1 ≥ e); y = q/(1 + δ/d) ≈ q − q·δ·(1/d), and
  // 1/d is q (x ≥ 0) or 1 − q (x < 0), so the correction needs no second division.
  return q - q * (e - (d - 1)) * (x >= 0 ? q : 1 - q);
}

const [F_T_MIN, F_LOG2E, F_MAGIC, F_LN2_HI, F_LN2_LO] = [
  SIGMOID_F32.tMin, SIGMOID_F32.log2e, SIGMOID_F32.magic, SIGMOID_F32.ln2Hi, SIGMOID_F32.ln2Lo,
];
const [FC2, FC3, FC4, FC5, FC6, FC7] = SIGMOID_F32.coeffs as [number, number, number, number, number, number];

/**
 * σ(x) in float32 arithmetic: the algorithm of {@link sigmoidScalar} with float32 constants,
 * a degree-7 polynomial and every operation rounded to float32, bit for bit what
 * {@link sigmoidInto} writes into a Float32Array. (Sums and products of two float32 values
 * rounded once in float64 and again by `Math.fround` equal the float32 operation.)
 *
 * @param x - A float32 value.
 * @returns σ(x) as a float32 value.
 * @example
 * ```ts
 * sigmoidScalarF32(0); // 0.5
 * ```
 * @internal
 */
export function sigmoidScalarF32(x: number): number {
  const t0 = -Math.abs(x);
  const t = t0 < F_T_MIN ? F_T_MIN : t0;
  const v = Math.fround(Math.fround(t * F_LOG2E) + F_MAGIC);
  const kf = Math.fround(v - F_MAGIC);
  const r = Math.fround(Math.fround(t - Math.fround(kf * F_LN2_HI)) - Math.fround(kf * F_LN2_LO));
  const r2 = Math.fround(r * r);
  const r4 = Math.fround(r2 * r2);
  const poly = Math.fround(Math.fround(Math.fround(FC2 + Math.fround(FC3 * r)) + Math.fround(Math.fround(FC4 + Math.fround(FC5 * r)) * r2)) + Math.fround(Math.fround(FC6 + Math.fround(FC7 * r)) * r4));
  const p1 = Math.fround(1 + Math.fround(r + Math.fround(r2 * poly)));
  const k = kf | 0;
  const k1 = k >> 1;
  const e = Math.fround(Math.fround(p1 * POW2[k1 + POW2_BIAS]!) * POW2[k - k1 + POW2_BIAS]!);
  const d = Math.fround(1 + e);
  const q = Math.fround((x >= 0 ? 1 : e) / d);
  return Math.fround(q - Math.fround(Math.fround(q * Math.fround(e - Math.fround(d - 1))) * (x >= 0 ? q : Math.fround(1 - q))));
}

/**
 * The TypeScript path of {@link sigmoidInto}, any length.
 *
 * @param x - Input buffer.
 * @param out - Output buffer of the same type and length; may be `x`.
 * @returns Nothing; `out` is written.
 * @example
 * ```ts
 * const y = new Float64Array(3);
 * sigmoidJs(Float64Array.of(-1, 0, 1), y);
 * ```
 * @internal
 */
export function sigmoidJs(x: FloatArray, out: FloatArray): void {
  if (x instanceof Float32Array) for (let i = 0; i < x.length; i++) out[i] = sigmoidScalarF32(x[i]!);
  else for (let i = 0; i < x.length; i++) out[i] = sigmoidScalar(x[i]!);
}

/**
 * The WebAssembly path of {@link sigmoidInto}, any length.
 *
 * @param x - Input buffer.
 * @param out - Output buffer of the same type and length; may be `x`.
 * @returns True when WebAssembly computed `out`; false (nothing written) when unavailable.
 * @example
 * ```ts
 * if (!sigmoidWasm(x, y)) sigmoidJs(x, y);
 * ```
 * @internal
 */
export function sigmoidWasm(x: FloatArray, out: FloatArray): boolean {
  return wasmSigmoid(x, out);
}

/**
 * Whether the sigmoid WebAssembly kernel is loaded.
 *
 * @returns True when {@link sigmoidWasm} can run.
 * @example
 * ```ts
 * sigmoidWasmAvailable(); // true after `pnpm install`
 * ```
 * @internal
 */
export function sigmoidWasmAvailable(): boolean {
  return sigmoidWasmReady();
}

/**
 * Elementwise logistic sigmoid of a buffer, `out[i] = σ(x[i]) = 1/(1 + e^{−x[i]})`, in the
 * buffer's own precision: float64 within a few ulps of `1/(1 + Math.exp(-x))`, float32
 * computed in float32 arithmetic. WebAssembly SIMD for large buffers, TypeScript otherwise;
 * both give the same bits.
 *
 * @param x - Input buffer.
 * @param out - Output buffer of the same type and length; may be `x`.
 * @returns Nothing; `out` is written.
 * @example
 * ```ts
 * import { sigmoidInto } from '@tapegrad/core';
 * const y = new Float64Array(2);
 * sigmoidInto(Float64Array.of(0, 1000), y);
 * console.log(Array.from(y)); // [0.5, 1]
 * ```
 * @category Elementwise
 */
export function sigmoidInto(x: FloatArray, out: FloatArray): void {
  const minLength = x instanceof Float32Array ? WASM_MIN_LENGTH_F32 : WASM_MIN_LENGTH_F64;
  if (x.length >= minLength && wasmSigmoid(x, out)) return;
  sigmoidJs(x, out);
}
