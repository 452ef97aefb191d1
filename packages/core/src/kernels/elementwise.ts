// Elementwise loops on raw typed arrays: broadcast plans, arithmetic loops and the gradient reductions.
/**
 * Shared elementwise loops over raw typed arrays: broadcasting without index maps, the arithmetic
 * forward loops, and the reductions the engine runs on every broadcast gradient. They know nothing of
 * autograd; callers validate shapes first. No loop calls a closure or allocates per element.
 * @packageDocumentation
 */
import type { FloatArray } from '../base/dtype.ts';
import type { Shape } from '../base/shape.ts';

/**
 * How two contiguous operands map onto a contiguous output as at most two nested loops: output element
 * `o·inner + j` reads `a[o·aOuter + j·aInner]` and `b[o·bOuter + j·bInner]`. Strides are 0 along the
 * axes an operand is broadcast over. Covers equal shapes, a scalar, a row `[n]` against `[m, n]`, a
 * column `[m, 1]` against `[m, n]`, and `[m, 1]` against `[1, n]`.
 * @example
 * ```ts
 * // [2, 3] + [3]: two rows of three; a walks on, b restarts every row.
 * const p: BroadcastPlan = { outer: 2, inner: 3, aOuter: 3, aInner: 1, bOuter: 0, bInner: 1 };
 * ```
 * @internal
 */
export interface BroadcastPlan {
  /** Iterations of the outer loop. */
  readonly outer: number;
  /** Iterations of the inner loop (output elements per outer step). */
  readonly inner: number;
  /** a's stride per outer step (0 where a is broadcast). */
  readonly aOuter: number;
  /** a's stride per inner step (0 or 1). */
  readonly aInner: number;
  /** b's stride per outer step (0 where b is broadcast). */
  readonly bOuter: number;
  /** b's stride per inner step (0 or 1). */
  readonly bInner: number;
}

/**
 * The two-loop plan for broadcasting `a` and `b` onto `shape`, or null when the pattern needs more
 * than two loops (then callers use an index map). Adjacent axes where both operands are broadcast the
 * same way are merged; axes of size 1 are dropped.
 * @internal
 */
export function planBinary(shape: Shape, aShape: Shape, bShape: Shape): BroadcastPlan | null {
  const rank = shape.length;
  let size = 1;
  for (let d = 0; d < rank; d++) size *= shape[d]!;
  if (size === 0) return { outer: 0, inner: 0, aOuter: 0, aInner: 0, bOuter: 0, bInner: 0 };
  let groups = 0;
  let s0 = 1, s1 = 1;
  let a0 = false, a1 = false, b0 = false, b1 = false;
  const aLead = rank - aShape.length;
  const bLead = rank - bShape.length;
  for (let d = 0; d < rank; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const isA = d >= aLead && aShape[d - aLead] !== 1;
    const isB = d >= bLead && bShape[d - bLead] !== 1;
    if (groups === 1 && isA === a0 && isB === b0) s0 *= n;
    else if (groups === 2 && isA === a1 && isB === b1) s1 *= n;
    else if (groups === 0) [groups, s0, a0, b0] = [1, n, isA, isB];
    else if (groups === 1) [groups, s1, a1, b1] = [2, n, isA, isB];
    else return null;
  }
  if (groups < 2) {
    return { outer: 1, inner: s0, aOuter: 0, aInner: a0 ? 1 : 0, bOuter: 0, bInner: b0 ? 1 : 0 };
  }
  return {
    outer: s0,
    inner: s1,
    aOuter: a0 ? (a1 ? s1 : 1) : 0,
    aInner: a1 ? 1 : 0,
    bOuter: b0 ? (b1 ? s1 : 1) : 0,
    bInner: b1 ? 1 : 0,
  };
}

/**
 * The plan a backward loop reads with: `a` is the upstream gradient (full, the output's shape) and `b`
 * is the named operand of p, broadcast as in the forward.
 * @internal
 */
export function gradPlan(p: BroadcastPlan, operand: 'a' | 'b'): BroadcastPlan {
  const isA = operand === 'a';
  return {
    outer: p.outer,
    inner: p.inner,
    aOuter: p.inner,
    aInner: 1,
    bOuter: isA ? p.aOuter : p.bOuter,
    bInner: isA ? p.aInner : p.bInner,
  };
}

/** out = a + b under plan p. @internal */
export function addLoop(a: FloatArray, b: FloatArray, out: FloatArray, p: BroadcastPlan): void {
  const { outer, inner, aOuter, aInner, bOuter, bInner } = p;
  // A bias row added to every row of a matrix (either operand; a + b = b + a exactly).
  if (aInner === 1 && bInner === 1 && aOuter === inner && bOuter === 0) return addRowLoop(a, b, out, outer, inner);
  if (aInner === 1 && bInner === 1 && aOuter === 0 && bOuter === inner) return addRowLoop(b, a, out, outer, inner);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    let i = o * aOuter, j = o * bOuter;
    for (let e = k + inner; k < e; k++, i += aInner, j += bInner) out[k] = a[i]! + b[j]!;
  }
}

/**
 * out = x + row, the row repeated over `rows` rows of `cols`: four rows per pass, so each element of
 * the row is loaded once for four sums (about twice as fast as one row per pass on [512, 64]).
 */
function addRowLoop(x: FloatArray, row: FloatArray, out: FloatArray, rows: number, cols: number): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const k0 = r * cols, k1 = k0 + cols, k2 = k1 + cols, k3 = k2 + cols;
    for (let j = 0; j < cols; j++) {
      const v = row[j]!;
      out[k0 + j] = x[k0 + j]! + v;
      out[k1 + j] = x[k1 + j]! + v;
      out[k2 + j] = x[k2 + j]! + v;
      out[k3 + j] = x[k3 + j]! + v;
    }
  }
  for (; r < rows; r++) {
    const k = r * cols;
    for (let j = 0; j < cols; j++) out[k + j] = x[k + j]! + row[j]!;
  }
}

/** out = a − b under plan p. @internal */
export function subLoop(a: FloatArray, b: FloatArray, out: FloatArray, p: BroadcastPlan): void {
  const { outer, inner, aOuter, aInner, bOuter, bInner } = p;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    let i = o * aOuter, j = o * bOuter;
    for (let e = k + inner; k < e; k++, i += aInner, j += bInner) out[k] = a[i]! - b[j]!;
  }
}

/**
 * out = a · b under plan p. With `isGuarded`, an element of `a` equal to 0 gives 0 whatever `b` is:
 * the backward loops pass the upstream gradient as `a`, and a zero gradient means no dependence, so
 * an infinite local derivative must not turn it into NaN.
 * @internal
 */
export function mulLoop(a: FloatArray, b: FloatArray, out: FloatArray, p: BroadcastPlan, isGuarded = false): void {
  const { outer, inner, aOuter, aInner, bOuter, bInner } = p;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    let i = o * aOuter, j = o * bOuter;
    if (isGuarded) {
      for (let e = k + inner; k < e; k++, i += aInner, j += bInner) {
        const g = a[i]!;
        out[k] = g === 0 ? 0 : g * b[j]!;
      }
    } else {
      for (let e = k + inner; k < e; k++, i += aInner, j += bInner) out[k] = a[i]! * b[j]!;
    }
  }
}

/** out = a / b under plan p; `isGuarded` as {@link mulLoop}. @internal */
export function divLoop(a: FloatArray, b: FloatArray, out: FloatArray, p: BroadcastPlan, isGuarded = false): void {
  const { outer, inner, aOuter, aInner, bOuter, bInner } = p;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    let i = o * aOuter, j = o * bOuter;
    if (isGuarded) {
      for (let e = k + inner; k < e; k++, i += aInner, j += bInner) {
        const g = a[i]!;
        out[k] = g === 0 ? 0 : g / b[j]!;
      }
    } else {
      for (let e = k + inner; k < e; k++, i += aInner, j += bInner) out[k] = a[i]! / b[j]!;
    }
  }
}

/** out = −x. @internal */
export function negLoop(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = -x[i]!;
}

/**
 * out = x broadcast to the output: out[o·inner + j] = x[o·aOuter + j·aInner] (the `a` side of p).
 * @internal
 */
export function broadcastLoop(x: FloatArray, out: FloatArray, p: BroadcastPlan): void {
  const { outer, inner, aOuter, aInner } = p;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    let i = o * aOuter;
    if (aInner === 0) {
      out.fill(x[i]!, k, k + inner);
      k += inner;
    } else for (let e = k + inner; k < e; k++, i += aInner) out[k] = x[i]!;
  }
}

/**
 * The reverse of {@link broadcastLoop}: acc[o·aOuter + j·aInner] += x[o·inner + j], summing every
 * element of x onto the one it was broadcast from. `acc` starts at zero; float32 callers pass a
 * Float64Array and round once.
 * @internal
 */
export function sumBackLoop(x: FloatArray, acc: FloatArray, p: BroadcastPlan): void {
  const { outer, inner, aOuter, aInner } = p;
  if (aOuter === 0 && aInner === 1 && acc instanceof Float64Array) return sumRowsLoop(x, acc, outer, inner);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    let i = o * aOuter;
    if (aInner === 0) {
      let s = 0;
      for (let e = k + inner; k < e; k++) s += x[k]!;
      acc[i] = acc[i]! + s;
    } else for (let e = k + inner; k < e; k++, i += aInner) acc[i] = acc[i]! + x[k]!;
  }
}

/**
 * acc[j] += Σᵣ x[r·cols + j], the column sums of a `[rows, cols]` matrix (a bias gradient): four rows
 * per pass, each column still summed in row order, so the result is the same to the bit as one row
 * per pass (acc is float64, so no store rounded in between), with a quarter of the loads and stores of acc.
 */
function sumRowsLoop(x: FloatArray, acc: Float64Array, rows: number, cols: number): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const k0 = r * cols, k1 = k0 + cols, k2 = k1 + cols, k3 = k2 + cols;
    for (let j = 0; j < cols; j++) acc[j] = acc[j]! + x[k0 + j]! + x[k1 + j]! + x[k2 + j]! + x[k3 + j]!;
  }
  for (; r < rows; r++) {
    const k = r * cols;
    for (let j = 0; j < cols; j++) acc[j] = acc[j]! + x[k + j]!;
  }
}
