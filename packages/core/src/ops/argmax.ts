// argmax: the position of the largest element (no gradient), and the scan argmin shares.
import { ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis, reducedShape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record, type OpDef } from './define.ts';

/** Options of {@link argmax} and {@link argmin}. @category Reduction */
export interface ArgReduceOptions {
  /** Keep the reduced axis as size 1 (default false). */
  readonly keepdims?: boolean;
}

const argmaxOp = defineOp({ name: 'argmax', rule: 'an integer position: piecewise constant, no gradient', isNondifferentiable: true });
const argminOp = defineOp({ name: 'argmin', rule: 'an integer position: piecewise constant, no gradient', isNondifferentiable: true });

/** The position of the max (or min) along an axis, or over the flattened tensor; first on ties, NaN wins. @internal */
export function argExtremum(name: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, opts: ArgReduceOptions): Tensor {
  asTensor(name, 'x', x);
  const keepdims = opts.keepdims ?? false;
  const isMax = name === 'argmax';
  const flat = axis === undefined;
  const ax = flat ? 0 : normalizeAxis(name, axis, Math.max(x.rank, 1), x.shape);
  const n = flat ? x.size : (x.shape[ax] ?? 1);
  if (n === 0) throw new ShapeError(`${name}: the reduced axis must not be empty, got shape ${fmt(x.shape)}${flat ? '' : ` and axis ${ax}`}`);
  let inner = 1;
  if (!flat) for (let d = ax + 1; d < x.rank; d++) inner *= x.shape[d]!;
  const outer = x.size / (n * inner);
  const out = alloc(x.dtype, outer * inner);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = xd[base]!;
      let at = 0;
      for (let k = 1; k < n && best === best; k++) {
        const v = xd[base + k * inner]!;
        if (v !== v || (isMax ? v > best : v < best)) {
          best = v;
          at = k;
        }
      }
      out[o * inner + i] = at;
    }
  }
  const shape = flat ? (keepdims ? x.shape.map(() => 1) : []) : reducedShape(x.shape, x.rank === 0 ? [] : [ax], keepdims);
  return record<undefined>((isMax ? argmaxOp : argminOp) as OpDef<undefined>, [x], Tensor.fromData(out, shape, x.dtype), undefined);
}

/**
 * The index of the largest element along an axis (over the flattened tensor without one), as
 * PyTorch's `torch.argmax`: the first on ties, and a NaN counts as the largest. Positions are
 * piecewise constant, so there is no gradient (nothing is recorded).
 * @param x The tensor.
 * @param axis The axis to reduce (negative counts from the end); absent: the flat index over all elements.
 * @param opts `keepdims`: keep the reduced axis as size 1.
 * @returns Integer positions, in x's dtype.
 * @throws {@link ShapeError} for an axis out of range or of size 0.
 * @example
 * ```ts
 * import { argmax, tensor } from '@tapegrad/core';
 * console.log(argmax(tensor([[1, 5], [7, 2]]), 1).toArray()); // [1, 0]
 * ```
 * @category Reduction
 */
export function argmax(x: Tensor, axis?: number, opts: ArgReduceOptions = {}): Tensor {
  return argExtremum('argmax', x, axis, opts);
}
