// The in-place updates (addInPlace, mulInPlace, …): write into storage, bump the version, refuse while recording.
import { userFrame } from '../graph/anomaly.ts';
import { ArgumentError, DTypeError, GradError, ShapeError } from '../base/errors.ts';
import { describe } from './define.ts';
import { broadcastIndex, broadcastShapes, fmt, sameShape } from '../base/shape.ts';
import { state, type TapeNode } from '../graph/tape.ts';
import { Tensor } from '../graph/tensor.ts';
import type { FloatArray } from '../base/dtype.ts';

/**
 * In-place updates write into a tensor's storage and bump its `version`. They are not recorded, so while
 * recording they refuse a target or operand that requires grad (a leaf, as PyTorch refuses, and also a
 * recorded output, whose later ops would otherwise silently lose a gradient). Inside `noGrad` everything
 * is allowed; a backward rule that later needs the changed tensor throws instead of using the new values.
 */

function checkTarget(op: string, a: unknown): Tensor {
  if (!(a instanceof Tensor)) throw new ArgumentError(`${op}: a must be a Tensor, got ${describe(a)}`);
  if (state.isRecording && a.requiresGrad) {
    const what =
      a.node === null ? `a leaf of shape ${fmt(a.shape)} that requires grad` : `the output of '${a.node.op.name}' (shape ${fmt(a.shape)}), recorded on the tape`;
    throw new GradError(
      `${op}: a must not require grad while recording, got ${what}; ` +
        'in-place ops are not recorded, so wrap the update in noGrad(() => …) or use the out-of-place op',
    );
  }
  return a;
}

function checkOperand(op: string, a: Tensor, b: unknown): Tensor | number {
  if (typeof b === 'number') return b;
  if (!(b instanceof Tensor)) throw new ArgumentError(`${op}: b must be a number or a Tensor, got ${describe(b)}`);
  if (b.dtype !== a.dtype) throw new DTypeError(`${op}: b must have a's dtype ${a.dtype}, got ${b.dtype}`);
  const shape = broadcastShapes(a.shape, b.shape, op);
  if (!sameShape(shape, a.shape)) throw new ShapeError(`${op}: b must broadcast to a's shape ${fmt(a.shape)}, got b ${fmt(b.shape)}`);
  if (state.isRecording && b.requiresGrad) {
    throw new GradError(
      `${op}: b must not require grad while recording, got b of shape ${fmt(b.shape)} that requires grad; ` +
        'in-place ops are not recorded, so its gradient would be lost (use the out-of-place op, or noGrad)',
    );
  }
  return b;
}

function apply(op: string, a: unknown, b: unknown, f: (x: number, y: number) => number): Tensor {
  const t = checkTarget(op, a);
  const v = checkOperand(op, t, b);
  if (state.tracer !== null) state.tracer.onInPlace(op, t, v, f);
  const d = t.data;
  if (typeof v === 'number') for (let i = 0; i < d.length; i++) d[i] = f(d[i]!, v);
  else if (v.size === d.length) {
    const s = v.data;
    for (let i = 0; i < d.length; i++) d[i] = f(d[i]!, s[i]!);
  } else {
    const s = v.data;
    const idx = broadcastIndex(t.shape, v.shape);
    for (let i = 0; i < d.length; i++) d[i] = f(d[i]!, s[idx[i]!]!);
  }
  t.bumpVersion();
  return t;
}

/**
 * In place: `a ← a + b` (b broadcast to a's shape). Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @param b A number or a tensor that broadcasts to a's shape, of a's dtype.
 * @returns `a`.
 * @throws {@link GradError} when a or b requires grad while recording; {@link ShapeError}, {@link DTypeError}.
 * @example
 * ```ts
 * import { addInPlace, tensor } from '@tapegrad/core';
 * console.log(addInPlace(tensor([1, 2]), 1).toArray()); // [2, 3]
 * ```
 * @category Elementwise
 */
export function addInPlace(a: Tensor, b: Tensor | number): Tensor {
  return apply('addInPlace', a, b, (x, y) => x + y);
}

/**
 * In place: `a ← a − b` (b broadcast to a's shape). Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @param b A number or a tensor that broadcasts to a's shape, of a's dtype.
 * @returns `a`.
 * @throws {@link GradError} when a or b requires grad while recording; {@link ShapeError}, {@link DTypeError}.
 * @example
 * ```ts
 * import { noGrad, subInPlace, tensor } from '@tapegrad/core';
 * const w = tensor([1, 2], { requiresGrad: true });
 * noGrad(() => subInPlace(w, tensor([0.5, 0.5])));
 * console.log(w.toArray(), w.version); // [0.5, 1.5] 1
 * ```
 * @category Elementwise
 */
export function subInPlace(a: Tensor, b: Tensor | number): Tensor {
  return apply('subInPlace', a, b, (x, y) => x - y);
}

/**
 * In place: `a ← a · b` (b broadcast to a's shape). Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @param b A number or a tensor that broadcasts to a's shape, of a's dtype.
 * @returns `a`.
 * @throws {@link GradError} when a or b requires grad while recording; {@link ShapeError}, {@link DTypeError}.
 * @example
 * ```ts
 * import { mulInPlace, tensor } from '@tapegrad/core';
 * console.log(mulInPlace(tensor([1, 2]), 3).toArray()); // [3, 6]
 * ```
 * @category Elementwise
 */
export function mulInPlace(a: Tensor, b: Tensor | number): Tensor {
  return apply('mulInPlace', a, b, (x, y) => x * y);
}

/**
 * In place: `a ← a / b` (b broadcast to a's shape). Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @param b A number or a tensor that broadcasts to a's shape, of a's dtype.
 * @returns `a`.
 * @throws {@link GradError} when a or b requires grad while recording; {@link ShapeError}, {@link DTypeError}.
 * @example
 * ```ts
 * import { divInPlace, tensor } from '@tapegrad/core';
 * console.log(divInPlace(tensor([2, 4]), 2).toArray()); // [1, 2]
 * ```
 * @category Elementwise
 */
export function divInPlace(a: Tensor, b: Tensor | number): Tensor {
  return apply('divInPlace', a, b, (x, y) => x / y);
}

/**
 * In place: `a ← a + α·b`, the update of an optimizer step (`α = −lr`). Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @param b A tensor that broadcasts to a's shape, of a's dtype.
 * @param alpha The scale α of b.
 * @returns `a`.
 * @throws {@link GradError} when a or b requires grad while recording; {@link ShapeError}, {@link DTypeError}, {@link ArgumentError} for a non-number α.
 * @example
 * ```ts
 * import { addScaledInPlace, noGrad, tensor } from '@tapegrad/core';
 * const w = tensor([1, 2], { requiresGrad: true });
 * noGrad(() => addScaledInPlace(w, tensor([1, 1]), -0.5));
 * console.log(w.toArray()); // [0.5, 1.5]
 * ```
 * @category Elementwise
 */
export function addScaledInPlace(a: Tensor, b: Tensor, alpha: number): Tensor {
  if (typeof alpha !== 'number') throw new ArgumentError(`addScaledInPlace: alpha must be a number, got ${describe(alpha)}`);
  return apply('addScaledInPlace', a, b, (x, y) => x + alpha * y);
}

/**
 * In place: every element of `a` becomes `value`. Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @param value The fill value.
 * @returns `a`.
 * @throws {@link GradError} when a requires grad while recording; {@link ArgumentError} for a non-number value.
 * @example
 * ```ts
 * import { fillInPlace, tensor } from '@tapegrad/core';
 * console.log(fillInPlace(tensor([1, 2]), 7).toArray()); // [7, 7]
 * ```
 * @category Elementwise
 */
export function fillInPlace(a: Tensor, value: number): Tensor {
  if (typeof value !== 'number') throw new ArgumentError(`fillInPlace: value must be a number, got ${describe(value)}`);
  return apply('fillInPlace', a, value, (_x, y) => y);
}

/**
 * In place: every element of `a` becomes 0. Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @returns `a`.
 * @throws {@link GradError} when a requires grad while recording.
 * @example
 * ```ts
 * import { tensor, zeroInPlace } from '@tapegrad/core';
 * console.log(zeroInPlace(tensor([1, 2])).toArray()); // [0, 0]
 * ```
 * @category Elementwise
 */
export function zeroInPlace(a: Tensor): Tensor {
  return apply('zeroInPlace', a, 0, () => 0);
}

/**
 * In place: `a ← src` (src broadcast to a's shape). Bumps `a.version`.
 * @param a The tensor to change; must not require grad while recording.
 * @param src A tensor that broadcasts to a's shape, of a's dtype.
 * @returns `a`.
 * @throws {@link GradError} when a or src requires grad while recording; {@link ShapeError}, {@link DTypeError}.
 * @example
 * ```ts
 * import { copyInPlace, tensor, zeros } from '@tapegrad/core';
 * console.log(copyInPlace(zeros([2]), tensor([3, 4])).toArray()); // [3, 4]
 * ```
 * @category Elementwise
 */
export function copyInPlace(a: Tensor, src: Tensor): Tensor {
  if (!(src instanceof Tensor)) throw new ArgumentError(`copyInPlace: src must be a Tensor, got ${describe(src)}`);
  return apply('copyInPlace', a, src, (_x, y) => y);
}

/**
 * The one door for changing a tensor's elements by hand (optimizer updates, initialisers, loading
 * weights): runs `fn` on the tensor's storage, then bumps its `version`, so a backward pass that saved
 * the old values refuses to use the new ones instead of silently computing a wrong gradient. As the
 * in-place ops, it refuses a tensor that requires grad while recording: wrap the update in `noGrad`.
 * @param t The tensor to change.
 * @param fn Writes into `data` (t's storage, row-major); its result is returned.
 * @returns What `fn` returns.
 * @throws {@link GradError} when t requires grad while recording; {@link ArgumentError} when fn is not a function.
 * @example
 * ```ts
 * import { mutate, noGrad, tensor } from '@tapegrad/core';
 * const w = tensor([1, 2], { requiresGrad: true });
 * noGrad(() => mutate(w, (d) => d.fill(0)));
 * console.log(w.toArray(), w.version); // [0, 0] 1
 * ```
 * @category Elementwise
 */
export function mutate<R>(t: Tensor, fn: (data: FloatArray) => R): R {
  const x = checkTarget('mutate', t);
  if (typeof fn !== 'function') throw new ArgumentError(`mutate: fn must be a function, got ${describe(fn)}`);
  try {
    return fn(x.data);
  } finally {
    // Even a partial write changed the storage.
    x.bumpVersion();
  }
}
